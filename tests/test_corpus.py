"""Every corpus case (tests/data/corpus) through both shells: the CLI and the API.

Both must agree: refused (exit status 1, HTTP 422) with the expected words and
no traceback, or imported with the expected rows, rejects and notes. Each
shell's import runs in a savepoint of the test's transaction, rolled back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pyproj import Geod
from sqlalchemy import Connection, text
from typer.testing import CliRunner

from geo_api.cli import imports as cli_imports
from geo_api.cli.main import app
from geo_api.errors import GridgovError
from geo_api.generations import stage
from geo_api.importer import run
from geo_api.importer.read import Source
from tests.data.corpus import CASES, Case, Imported, Refused

GEOD = Geod(ellps="WGS84")
CLI_FLAGS = {"source_layer": "--layer", "skip_bad": "--skip-bad"}


@dataclass
class Outcome:
    """What one shell made of a case."""

    refused: str | None = None  # the message
    rows: int = 0
    rejects: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # notes and warnings of the answer
    read_notes: list[str] = field(default_factory=list)  # the reader's own (Source.notes)
    metres: list[float | None] = field(default_factory=list)  # each Landed's distance off


def _measure(case: Case, conn: Connection) -> list[float | None]:
    """How far what each of the case's ``landed`` queries finds lies from where it must."""
    if not isinstance(case.expect, Imported):
        return []
    off: list[float | None] = []
    for where in case.expect.landed:
        row = conn.execute(text(where.query)).first()
        off.append(
            None if row is None else float(GEOD.inv(where.lon, where.lat, row[0], row[1])[2])
        )
    return off


class _Sources:
    """Keeps each Source an import opens, to see its notes (run.py copies them later)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.opened: list[Source] = []
        real = run.open_source

        def spy(*args: Any, **kwargs: Any) -> Source:
            source = real(*args, **kwargs)
            self.opened.append(source)
            return source

        monkeypatch.setattr(run, "open_source", spy)

    def notes(self) -> list[str]:
        return [note for source in self.opened for note in source.notes]


class _Store:
    """The CLI's store, in a savepoint of the test's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.conn.begin_nested():
            yield self.conn

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """The test's connection, whose ``begin`` (the CLI's transaction) is a savepoint."""
        real = self.conn.begin
        self.conn.begin = self.conn.begin_nested  # type: ignore[method-assign, assignment]
        try:
            yield self.conn
        finally:
            self.conn.begin = real  # type: ignore[method-assign]


def _cli(case: Case, path: Path, conn: Connection, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    """``gridgov import LAYER FILE --options`` in-process; the report taken from the run."""
    sources = _Sources(monkeypatch)
    reports: list[run.ImportReport] = []
    real = run.import_file

    def keep(*args: Any, **kwargs: Any) -> run.ImportReport:
        report = real(*args, **kwargs)
        reports.append(report)
        return report

    monkeypatch.setattr(run, "import_file", keep)
    monkeypatch.setattr(stage, "import_file", keep)  # the CLI imports through stage.import_any
    monkeypatch.setattr(cli_imports, "store", lambda: _Store(conn))
    args = ["import", case.layer, str(path)]
    for name, value in case.options.items():
        flag = CLI_FLAGS.get(name, f"--{name.replace('_', '-')}")
        args += [flag] if value is True else [flag, str(value)]
    savepoint = conn.begin_nested()
    try:
        result = CliRunner().invoke(app, args)
        metres = _measure(case, conn) if result.exit_code == 0 else []
    finally:
        savepoint.rollback()
    assert "Traceback" not in result.output, result.output
    if result.exit_code != 0:
        error = result.exception
        assert result.exit_code == 1 and isinstance(error, GridgovError), (
            f"{case.name}: exit {result.exit_code}, {error!r}\n{result.output}"
        )
        return Outcome(refused=str(error), read_notes=sources.notes())
    (report,) = reports
    return Outcome(
        rows=report.rows_landed,
        rejects=[(r.row, r.field) for r in report.rejects],
        notes=report.notes + report.warnings,
        read_notes=sources.notes(),
        metres=metres,
    )


def _api(
    case: Case,
    path: Path,
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    conn: Connection | None = None,
) -> Outcome:
    """``POST /imports/{layer}`` with the file and the options as query parameters."""
    sources = _Sources(monkeypatch)
    params = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in case.options.items()}
    answer = client.post(
        f"/imports/{case.layer}", params=params, files={"file": (path.name, path.read_bytes())}
    )
    assert answer.status_code in (200, 422), f"{case.name}: {answer.status_code} {answer.text}"
    assert "Traceback" not in answer.text
    body = answer.json()
    if answer.status_code == 422:
        return Outcome(refused=str(body["detail"]), read_notes=sources.notes())
    return Outcome(
        rows=body["inserted"] + body["updated"] + body["unchanged"],
        rejects=[(r["row"], r["field"]) for r in body["rejects"]],
        notes=body["notes"] + body["warnings"],
        read_notes=sources.notes(),
        metres=[] if conn is None else _measure(case, conn),
    )


def _check(case: Case, shell: str, got: Outcome) -> None:
    """The outcome is what the case expects."""
    expect = case.expect
    if isinstance(expect, Refused):
        assert got.refused is not None, f"{case.name} via {shell}: imported, not refused"
        message = " ".join(got.refused.split())
        for words in expect.says:
            assert words in message, f"{case.name} via {shell}: {words!r} not in {message!r}"
        return
    assert isinstance(expect, Imported)
    assert got.refused is None, f"{case.name} via {shell}: refused: {got.refused}"
    assert got.rows == expect.rows, f"{case.name} via {shell}: {got.rows} rows landed"
    assert got.rejects == list(expect.rejects), f"{case.name} via {shell}: {got.rejects}"
    said = got.notes + got.read_notes
    for words in expect.notes:
        assert any(words in note for note in said), f"{case.name} via {shell}: {words!r} in {said}"
    for where, off in zip(expect.landed, got.metres, strict=True):
        assert off is not None and off < where.metres, (
            f"{case.name} via {shell}: {where.query} lands {off} m from {where.lon}, {where.lat}"
        )


def _params() -> list[Any]:
    return [pytest.param(case, id=case.name) for case in CASES]


@pytest.mark.parametrize("case", _params())
def test_case_through_cli_and_api(
    case: Case,
    tmp_path: Path,
    conn: Connection,
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = case.make(tmp_path)
    via_cli = _cli(case, path, conn, monkeypatch)
    via_api = _api(case, path, client, monkeypatch, conn)
    _check(case, "the CLI", via_cli)
    _check(case, "the API", via_api)
    assert (via_cli.refused is None) == (via_api.refused is None)
    assert (via_cli.rows, via_cli.rejects) == (via_api.rows, via_api.rejects)
    assert via_cli.notes == via_api.notes  # the same notes and warnings, in the same order
    assert via_cli.read_notes == via_api.read_notes


def test_corpus_covers_every_outcome_and_the_simple_layers() -> None:
    assert {type(case.expect) for case in CASES} == {Imported, Refused}
    assert {"members", "streets", "stations"} <= {case.layer for case in CASES}
    assert len({case.name for case in CASES}) == len(CASES)


def test_make_corpus_writes_every_case(tmp_path: Path) -> None:
    from tests.data.make_corpus import main

    main([str(tmp_path)])
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(case.name for case in CASES)
    for name in written:
        files = {p.name for p in (tmp_path / name).iterdir()}
        assert "expect.txt" in files and len(files) >= 2, (name, files)


def test_the_readers_notes_reach_the_answer(
    tmp_path: Path, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = next(c for c in CASES if c.name == "xlsx_title_2_merged")
    got = _api(case, case.make(tmp_path), client, monkeypatch)
    assert got.read_notes and all(note in got.notes for note in got.read_notes)
