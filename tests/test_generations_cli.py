"""gridgov import --generation, gridgov generations list|diff|activate|dates, on a
store of the test's own (the scratch database: activation commits), and the one-line
answers to bad dates and names."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from geo_api.assign.engine import run_assignment
from geo_api.db import migrate
from geo_api.db.engine import make_engine
from geo_api.demo.city import City
from geo_api.demo.load import load_city
from geo_api.generations.history import inconsistencies
from tests.cli_run import Run, invoker
from tests.generations_city import split_files

NAME = "2026 redistricting"


def test_a_split_imported_compared_and_made_current(
    scratch_url: str,
    city: City,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    engine = make_engine(scratch_url, pool_size=2)
    migrate.upgrade(engine)
    load_city(engine, city)
    with engine.begin() as conn:
        run_assignment(conn)
        split = split_files(conn, tmp_path)
    gridgov: Run = invoker(scratch_url, monkeypatch, capsys)

    status, out, _ = gridgov("--lang", "en", "generations", "dates", "1", "--from", "2025-01-01")
    assert status == 0 and "valid from 2025-01-01" in out
    for layer, path in (("communities", split.communities), ("grids", split.grids)):
        status, out, err = gridgov("--lang", "en", "import", layer, str(path), "--generation", NAME)
        assert status == 0, err
        assert NAME in out
    with engine.connect() as conn:
        new = conn.execute(text("SELECT count(*) FROM community WHERE code = :c"), {"c": split.new})
        assert new.scalar_one() == 0  # not current yet
    status, out, _ = gridgov("--lang", "en", "generations", "list")
    assert status == 0 and "initial" in out and "not current" in out
    status, out, _ = gridgov("--lang", "en", "generations", "diff", "initial", NAME)
    assert status == 0
    assert split.new in out and "added" in out and split.moved[0] in out
    assert f"households that change community or grid: {len(split.moved_households):,}" in out
    status, out, err = gridgov("--lang", "en", "generations", "activate", NAME)
    assert status == 0, err
    assert "communities assigned again" in out
    with engine.connect() as conn:
        moved = conn.execute(
            text("""
                SELECT count(*) FROM compound cp JOIN grid g ON g.id = cp.grid_id
                JOIN community c ON c.id = cp.community_id
                WHERE g.code = ANY(:moved) AND c.code = :new
            """),
            {"moved": split.moved, "new": split.new},
        ).scalar_one()
        assert moved > 0
        assert inconsistencies(conn) == []
    status, out, _ = gridgov("--lang", "en", "generations", "list")
    assert "past" in out and "current" in out
    engine.dispose()


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("generations", "diff", "1", "nope"), "generation 'nope' does not exist"),
        (("generations", "dates", "1", "--from", "2025-02-30"), "--from '2025-02-30'"),
        (("generations", "activate", "initial"), "already made current"),
    ],
)
def test_mistakes_are_one_line(run: Run, args: tuple[str, ...], named: str) -> None:
    status, _, err = run("--lang", "en", *args)
    assert status == 1
    assert named in err and len(err.strip().splitlines()) <= 2, err


def test_a_bad_valid_from_is_named_before_reading(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "c.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}')
    status, _, err = run(
        "--lang", "en", "import", "communities", str(path), "--generation", "x",
        "--valid-from", "2025-02-30",
    )  # fmt: skip
    assert status == 1 and "--valid-from '2025-02-30' is not an ISO 8601 date" in err
