"""A fixture that runs ``gridgov ARGS`` against the test city (committed: clean up)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from geo_api.cli.main import main
from geo_api.demo.city import City

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(
    db_url: str,
    city: City,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> Run:
    """Run ``gridgov ARGS``; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("GEO_API_DATABASE_URL", db_url)
    monkeypatch.setenv("COLUMNS", "80")  # tables must fit a plain terminal
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["gridgov", *args])
        with pytest.raises(SystemExit) as exited:
            main()
        captured = capsys.readouterr()
        return int(exited.value.code or 0), captured.out, captured.err

    return invoke
