"""The gridgov command answers at once: importing it loads no heavy library, and the
copies of the domain's defaults it shows in --help are still the domain's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from geo_api.cli import choices
from geo_api.home import store_location
from geo_api.settings import DatabaseSettings

HEAVY = (
    "ortools",
    "scipy",
    "geopandas",
    "folium",
    "pandas",
    "sqlalchemy",
    "alembic",
    "dask",
    "distributed",
)

LOADED = """
import sys
from geo_api.cli.main import main
sys.argv = ["gridgov", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print("MODULES", " ".join(sorted({m.split('.')[0] for m in sys.modules})), file=sys.stderr)
"""


def _loaded(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", LOADED, *args], capture_output=True, text=True, check=True
    )
    line = next(x for x in done.stderr.splitlines() if x.startswith("MODULES "))
    return set(line.split()[1:])


def test_importing_the_cli_loads_no_heavy_library() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys, geo_api.cli.main; print(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = {name.split(".")[0] for name in done.stdout.split()}
    assert "geo_api" in loaded and "typer" in loaded
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


@pytest.mark.parametrize(
    "args",
    [["--help"], ["gaps", "--help"], ["export", "--help"], ["map", "--help"], ["db", "--help"]],
)
def test_help_loads_no_heavy_library(args: list[str]) -> None:
    loaded = _loaded(*args)
    assert "typer" in loaded and loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_status_loads_neither_pydantic_nor_a_heavy_library() -> None:
    """`gridgov db status` must answer in under 0.5 s: pydantic alone costs more than half
    of that, and Typer from 0.29 imports it for every command (pyproject pins below)."""
    loaded = _loaded("db", "status")
    assert "typer" in loaded and "geo_api" in loaded
    assert loaded.isdisjoint({*HEAVY, "pydantic", "pydantic_settings"}), sorted(
        loaded & {*HEAVY, "pydantic", "pydantic_settings"}
    )


@pytest.mark.parametrize(
    ("environment", "dotenv"),
    [
        ({}, ""),
        ({"GEO_API_DATABASE_URL": "postgresql://a@h/db"}, ""),
        ({}, "GEO_API_DATABASE_URL=postgresql://from-file@h/db\nGEO_API_CLUSTER_DIR=/srv/c1\n"),
        ({"GEO_API_CLUSTER_DIR": "/srv/env"}, "GEO_API_CLUSTER_DIR=/srv/file\n"),
        ({"geo_api_database_url": "postgresql://lower@h/db"}, ""),
        ({}, "# a comment\nexport GEO_API_DATABASE_URL='postgresql://q@h/db'\n"),
    ],
)
def test_store_location_reads_what_database_settings_read(
    environment: dict[str, str], dotenv: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """db status's pydantic-free reading of where the store is equals the settings'."""
    for name in ("GEO_API_DATABASE_URL", "GEO_API_CLUSTER_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    (tmp_path / ".env").write_text(dotenv, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    settings = DatabaseSettings()
    assert store_location() == (settings.database_url, settings.cluster_dir)


def test_the_cli_copies_of_the_domain_defaults_are_the_domains() -> None:
    from geo_api.assign.recruit import REACH_M
    from geo_api.assign.tasks import SOLVERS
    from geo_api.demo.city import DEMO_HOUSEHOLDS, DEMO_SEED
    from geo_api.export.layers import FORMATS
    from geo_api.gaps.access import REACHES_M
    from geo_api.gaps.finder import GAP_NAMES
    from geo_api.gaps.types import GRID_HOUSEHOLD_LIMIT
    from geo_api.importer.run import LAYERS

    assert (choices.DEMO_HOUSEHOLDS, choices.DEMO_SEED) == (DEMO_HOUSEHOLDS, DEMO_SEED)
    assert tuple(LAYERS) == choices.IMPORT_LAYERS
    assert set(choices.SOLVERS) == set(SOLVERS)
    assert choices.RECRUIT_REACH_M == REACH_M
    assert tuple(GAP_NAMES) == choices.GAP_NAMES
    assert choices.GRID_HOUSEHOLD_LIMIT == GRID_HOUSEHOLD_LIMIT
    assert tuple(REACHES_M) == choices.REACHES_M
    assert tuple(FORMATS) == choices.EXPORT_FORMATS


def test_status_reads_the_same_head_revision_as_alembic() -> None:
    from geo_api.db import migrate
    from geo_api.db.revisions import script_heads

    assert script_heads() == [migrate.head_revision()]


def test_status_reads_the_stored_revision_as_alembic_does(engine: Engine, db_url: str) -> None:
    from geo_api.db import migrate
    from geo_api.db.revisions import libpq_url, stored_revision

    assert stored_revision(libpq_url(db_url)) == migrate.current_revision(engine) is not None


def test_status_reads_an_unmigrated_store_as_having_no_revision(scratch_url: str) -> None:
    """A store never migrated has no alembic_version: status says so, not an error."""
    from geo_api.db.revisions import libpq_url, stored_revision

    assert stored_revision(libpq_url(scratch_url)) is None


def test_status_asks_revision_and_durability_in_one_question(engine: Engine, db_url: str) -> None:
    from geo_api.db import migrate
    from geo_api.db.revisions import durability, libpq_url, revision_and_durability

    url = libpq_url(db_url)
    assert revision_and_durability(url) == (migrate.current_revision(engine), durability(url))
