"""``gridgov ARGS`` run in-process, as the CLI tests run it: one invoker, and the
fixtures built on it (the test city's store; committed writes: clean up after)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from geo_api.cli.main import main
from geo_api.demo.city import City

Run = Callable[..., tuple[int, str, str]]


def invoker(
    url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    columns: int = 200,
) -> Run:
    """Run ``gridgov ARGS`` against the store at ``url`` in a terminal ``columns`` wide;
    returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("GEO_API_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", str(columns))

    def invoke(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["gridgov", *args])
        with pytest.raises(SystemExit) as exited:
            main()
        captured = capsys.readouterr()
        return int(exited.value.code or 0), captured.out, captured.err

    return invoke


@pytest.fixture
def run(
    db_url: str,
    city: City,
    columns: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> Run:
    """``gridgov ARGS`` on the test city, in a terminal ``columns`` wide (conftest: 200;
    a module that checks tables fit a plain terminal sets 80); relative paths a command
    writes (even by mistake) land in the test's folder."""
    monkeypatch.chdir(tmp_path)
    return invoker(db_url, monkeypatch, capsys, columns)
