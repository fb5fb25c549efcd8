"""A user's mistakes get one clear line and status 1 from every command, never a
traceback: unknown codes and names, missing files, existing outputs, a database
that is down or not migrated, a port already taken."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from geo_api.cli.main import main
from tests.cli_run import Run

DOWN_URL = "postgresql+psycopg://gridgov:x@127.0.0.1:9/nothing"  # port 9: discard, closed


def _one_clear_line(code: int, err: str, says: str) -> None:
    assert code == 1, err
    assert "Traceback" not in err, err
    errors = [line for line in err.splitlines() if line.startswith(("error:", "错误:"))]
    assert len(errors) == 1, err
    assert says in errors[0], errors[0]


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port of 127.0.0.1 something listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """A folder with an existing output and a file that is not GIS data."""
    (tmp_path / "old.gpkg").write_bytes(b"already here")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "streets.csv").write_text("x\n", encoding="utf-8")
    (tmp_path / "junk.geojson").write_text("this is not JSON", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["gaps", "--community", "没有这个社区"], "no community (社区) is named '没有这个社区'"),
        # Every community's name holds 社区: the candidates, and how to choose.
        (["gaps", "--community", "社区"], "community (社区) names: "),
        (["map", "--community", "社区", "--out", "c.html"], "give the full name or the code"),
        (["recruit", "--community", "999999999999"], "999999999999"),
        (["map", "--grid", "没有这个网格", "--out", "g.html"], "no grid (网格) is named"),
        (["capacity", "--community", "nowhere", "--target", "18", "--maximum", "25"], "nowhere"),
        (["users", "create", "x", "--role", "officer", "--community", "无名"], "无名"),
        (["import", "streets", "missing.geojson"], "missing.geojson: no such file"),
        (["import", "streets", "junk.geojson"], "junk.geojson"),
        (["site", "--candidates", "missing.gpkg"], "missing.gpkg: no such file"),
        (["import", "streets", "junk.geojson", "--mapping", "none.toml"], "none.toml"),
        (["export", "--out", "old.gpkg"], "old.gpkg already exists; give --overwrite"),
        (["export", "--format", "csv", "--out", "folder"], "folder already exists"),
        (["gaps", "--out", "gaps.pdf"], ".gpkg, .csv or .geojson"),
        (["site", "--out", "sites.xlsx"], ".gpkg, .csv or .geojson"),
        (["gaps", "--lang", "fr"], "--lang must be one of zh, en, not 'fr'"),
        (["users", "revoke", "nobody"], "no live key is named 'nobody'"),
    ],
)
def test_a_mistake_is_one_line_and_status_1(
    run: Run,
    files: Path,
    args: list[str],
    says: str,
) -> None:
    code, _, err = run(*args)
    _one_clear_line(code, err, says)


@pytest.mark.parametrize(
    ("args", "zh", "en"),
    [
        (["--bogus"], "没有选项 --bogus", "no such option: --bogus"),
        (["gaps", "--comunity", "x"], "没有选项 --comunity（可能是：--community", "did you mean"),
        (["import"], "缺少参数 'layer'", "Missing argument 'layer'"),
        (["import", "streets", "a.csv", "b.csv"], "多余的参数：b.csv", "unexpected extra"),
        (["frob"], "没有这个命令：frob", "No such command 'frob'"),
        (["capacity", "--target", "x"], "'--target' 的值无效", "Invalid value for '--target'"),
    ],
)
def test_a_mistyped_command_line_is_one_line_and_status_1(
    run: Run,
    args: list[str],
    zh: str,
    en: str,
) -> None:
    """Click's own usage box (English, status 2) becomes one line in the run's language,
    with where to read the command's usage."""
    code, _, err = run(*args)
    _one_clear_line(code, err, zh)
    assert "用法见 gridgov" in err and "Usage:" not in err
    code, _, err = run("--lang", "en", *args)
    _one_clear_line(code, err, en)
    assert "see gridgov" in err


def test_asking_a_group_for_nothing_shows_its_help(run: Run) -> None:
    code, out, err = run("db")
    assert code == 2 and "Commands" in out + err and "错误" not in out + err


@pytest.mark.parametrize(
    "args", [["gaps"], ["assign"], ["export", "--out", "x.gpkg"], ["communities"], ["db", "status"]]
)
def test_a_database_that_is_down(
    run: Run,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
) -> None:
    monkeypatch.setenv("GEO_API_DATABASE_URL", DOWN_URL)
    code, _, err = run(*args)
    _one_clear_line(code, err, "the database is unavailable")


def test_a_database_not_migrated(
    run: Run,
    monkeypatch: pytest.MonkeyPatch,
    scratch_url: str,
) -> None:
    monkeypatch.setenv("GEO_API_DATABASE_URL", scratch_url)
    code, _, err = run("gaps")
    _one_clear_line(code, err, "run `gridgov db up`")


def test_a_busy_port_stops_serve_and_demo_before_any_work(
    run: Run,
    monkeypatch: pytest.MonkeyPatch,
    busy_port: int,
) -> None:
    code, _, err = run("serve", "--port", str(busy_port))
    _one_clear_line(code, err, f"port {busy_port} on 127.0.0.1 is in use")
    monkeypatch.setenv("GEO_API_PORT", str(busy_port))
    code, _, err = run("demo", "--households", "1000")
    _one_clear_line(code, err, f"port {busy_port} on 127.0.0.1 is in use")
    assert "…" not in err  # it said so before starting any step (no city was built)


def test_a_bug_still_shows_its_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only users' mistakes are folded into one line: a bug must keep its traceback."""

    def broken(**_: object) -> None:
        raise ZeroDivisionError("a bug")

    import geo_api.cli.main as cli

    monkeypatch.setattr(cli, "app", broken)
    monkeypatch.setattr(sys, "argv", ["gridgov", "gaps"])
    with pytest.raises(ZeroDivisionError):
        main()
