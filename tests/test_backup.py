"""gridgov db backup and restore: a round trip gives back every table row for row, on
the scratch database (the shared test database is only read, by the backup)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect, text

from geo_api.cli.main import main
from geo_api.db import migrate
from geo_api.db.backup import store_tables
from geo_api.db.cluster import free_port
from geo_api.demo.city import City

Gridgov = Callable[..., tuple[int, str, str]]
# A table's rows, as a count and a checksum that does not depend on their order.
CHECKSUM_SQL = (
    "SELECT count(*), coalesce(md5(string_agg(md5(t::text), ',' ORDER BY md5(t::text))), '') "
    'FROM "{table}" t'
)


def fingerprint(engine: Engine) -> dict[str, tuple[int, str]]:
    """Every table of the store: its row count and the checksum of its rows; and
    every sequence's position."""
    with engine.connect() as conn:
        found: dict[str, tuple[int, str]] = {}
        for table in store_tables(conn):
            count, checksum = conn.execute(text(CHECKSUM_SQL.format(table=table))).one()
            found[table] = (count, checksum)
        for name, last in conn.execute(
            text("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")
        ):
            found[f"sequence {name}"] = (last or 0, "")
    return found


@pytest.fixture
def gridgov(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> Gridgov:
    """Run ``gridgov ARGS`` on the database at ``url``: (exit status, stdout, stderr)."""
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.chdir(tmp_path)

    def invoke(url: str, *args: str) -> tuple[int, str, str]:
        monkeypatch.setenv("GEO_API_DATABASE_URL", url)
        monkeypatch.setattr(sys, "argv", ["gridgov", *args])
        with pytest.raises(SystemExit) as exited:
            main()
        captured = capsys.readouterr()
        return int(exited.value.code or 0), captured.out, captured.err

    return invoke


def refused(result: tuple[int, str, str], *words: str) -> None:
    """Exit status 1 and one line saying why, with no traceback."""
    status, _, err = result
    lines = [line for line in err.splitlines() if line.strip()]
    assert status == 1 and len(lines) == 1, err
    assert lines[0].startswith(("error:", "错误:")) and "Traceback" not in err
    for word in words:
        assert word in lines[0], lines[0]


def test_backup_and_restore_give_back_every_row(
    gridgov: Gridgov, db_url: str, scratch_url: str, engine: Engine, city: City, tmp_path: Path
) -> None:
    dump = tmp_path / "city.dump"
    assert gridgov(db_url, "db", "backup", str(dump))[0] == 0
    assert dump.stat().st_size > 10_000
    original = fingerprint(engine)
    assert original["household"][0] == len(city.households) and original["assignment"][0] > 0

    scratch = create_engine(scratch_url)
    status, out, _ = gridgov(scratch_url, "db", "restore", str(dump))  # an empty store
    assert status == 0 and "migrated" in out
    assert fingerprint(scratch) == original

    # A store holding data is kept unless asked.
    with scratch.begin() as conn:
        conn.execute(text("DELETE FROM audit_log"))
        conn.execute(text("UPDATE household SET persons = persons + 1 WHERE id < 50"))
    refused(gridgov(scratch_url, "db", "restore", str(dump)), "holds data", "--force")
    assert fingerprint(scratch) != original
    assert gridgov(scratch_url, "db", "restore", "--force", str(dump))[0] == 0
    assert fingerprint(scratch) == original

    # An older schema's backup is restored, then migrated.
    migrate.downgrade(scratch, "0007")
    at_0007 = set(inspect(scratch).get_table_names())
    older = tmp_path / "older.dump"
    assert gridgov(scratch_url, "db", "backup", str(older))[0] == 0
    status, out, _ = gridgov(scratch_url, "db", "restore", "--force", str(older))
    assert status == 0 and "0007" in out
    assert migrate.current_revision(scratch) == migrate.head_revision()
    # Tables newer than 0007 were dropped by the downgrade: they come back as their
    # migrations make them (the data version counts the restore as a change).
    added = set(original) - at_0007
    assert {k: v for k, v in fingerprint(scratch).items() if k not in added} == {
        k: v for k, v in original.items() if k not in added
    }

    # A newer schema's is refused, and the store stays as it was.
    with scratch.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    newer = tmp_path / "newer.dump"
    assert gridgov(scratch_url, "db", "backup", str(newer))[0] == 0
    with scratch.begin() as conn:
        conn.execute(
            text("UPDATE alembic_version SET version_num = :r"), {"r": migrate.head_revision()}
        )
    before = fingerprint(scratch)
    refused(gridgov(scratch_url, "db", "restore", "--force", str(newer)), "0099", "does not know")
    assert fingerprint(scratch) == before
    scratch.dispose()


def test_a_broken_backup_leaves_the_store_as_it_was(
    gridgov: Gridgov, scratch_url: str, tmp_path: Path
) -> None:
    scratch = create_engine(scratch_url)
    migrate.upgrade(scratch)
    with scratch.begin() as conn:
        conn.execute(text("INSERT INTO assignment_run (households) VALUES (7)"))
    before = fingerprint(scratch)
    dump = tmp_path / "whole.dump"
    assert gridgov(scratch_url, "db", "backup", str(dump))[0] == 0
    cut = tmp_path / "cut.dump"
    cut.write_bytes(dump.read_bytes()[: dump.stat().st_size * 2 // 3])
    refused(gridgov(scratch_url, "db", "restore", "--force", str(cut)))
    assert fingerprint(scratch) == before
    scratch.dispose()


def test_bad_files_and_a_server_that_is_down_are_one_line(
    gridgov: Gridgov, scratch_url: str, tmp_path: Path
) -> None:
    refused(
        gridgov(scratch_url, "db", "restore", str(tmp_path / "nowhere.dump")),
        "no such backup file",
        "nowhere.dump",
    )
    text_file = tmp_path / "notes.dump"
    text_file.write_text("this is not a dump\n")
    refused(gridgov(scratch_url, "db", "restore", str(text_file)), "notes.dump", "not a pg_dump")
    down = f"postgresql+psycopg://gridgov:x@127.0.0.1:{free_port()}/gridgov"
    refused(gridgov(down, "db", "backup", str(tmp_path / "b.dump")), "unavailable")
    refused(gridgov(down, "db", "restore", str(text_file)), "unavailable")
    assert not (tmp_path / "b.dump").exists()


def test_status_says_whether_the_server_is_durable(gridgov: Gridgov, db_url: str) -> None:
    status, out, _ = gridgov(db_url, "db", "status")
    # The tests' throwaway cluster trades crash safety for speed, and says so.
    assert status == 0 and "fsync is off" in out and "full_page_writes is off" in out
