"""How soon the gridgov command answers: `gridgov --help`, `gridgov db status` and
each command's --help, against the anchor of a bare `import typer` measured in the
same run, plus what `python -X importtime` says importing the CLI costs.

Run: uv run python scripts/bench/cli_startup.py [--runs 5]

Wall time on a shared machine swings with the load, so the table gives CPU time
(user + system, which the load barely moves) beside it; the goal is 0.5 s for
--help and db status, and a first line within 1 s for every command.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

PROJECT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
HEAVY = ("ortools", "scipy", "geopandas", "folium", "pandas", "sqlalchemy", "alembic")
COMMANDS = {
    "python -c 'import typer' (anchor)": [PYTHON, "-c", "import typer"],
    "gridgov --help": [PYTHON, "-m", "geo_api.cli", "--help"],
    "gridgov db status": [PYTHON, "-m", "geo_api.cli", "db", "status"],
    "gridgov gaps --help": [PYTHON, "-m", "geo_api.cli", "gaps", "--help"],
    "gridgov export --help": [PYTHON, "-m", "geo_api.cli", "export", "--help"],
    "gridgov map --help": [PYTHON, "-m", "geo_api.cli", "map", "--help"],
}


# As a user's shell runs it: with Python's bytecode cache. A sandbox that sets
# PYTHONDONTWRITEBYTECODE makes every run compile every module again (twice the time).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system of the child) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, cwd=PROJECT, capture_output=True, check=True, env=ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def import_profile() -> tuple[float, list[tuple[str, float]]]:
    """Seconds importing geo_api.cli.main takes by -X importtime, and its dearest
    top-level packages."""
    done = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", "import geo_api.cli.main"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    )
    total = 0.0
    packages: dict[str, float] = {}
    for line in done.stderr.splitlines():
        found = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if not found:
            continue
        _self_us, cumulative_us, indent, name = found.groups()
        if len(indent) == 1:  # imported by the command itself, not by another module
            total += int(cumulative_us) / 1e6
            top = name.split(".")[0]
            packages[top] = packages.get(top, 0.0) + int(cumulative_us) / 1e6
    return total, sorted(packages.items(), key=lambda kv: -kv[1])[:6]


def main() -> None:
    """Time every command, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per command (median shown)")
    runs = parser.parse_args().runs
    subprocess.run(COMMANDS["gridgov --help"], cwd=PROJECT, capture_output=True, check=True)
    results: dict[str, tuple[float, float]] = {}
    for name, args in COMMANDS.items():
        timed(args)  # warm: the bytecode cache written, the files in the page cache
        samples = [timed(args) for _ in range(runs)]
        results[name] = (
            statistics.median(w for w, _ in samples),
            statistics.median(c for _, c in samples),
        )
    _anchor_wall, anchor_cpu = next(iter(results.values()))
    table = Table(title=f"gridgov start-up, median of {runs} runs (seconds)")
    for column in ("command", "wall", "CPU", "CPU / anchor"):
        table.add_column(column, justify="left" if column == "command" else "right")
    for name, (wall, cpu) in results.items():
        table.add_row(name, f"{wall:.3f}", f"{cpu:.3f}", f"{cpu / anchor_cpu:.2f}")
    console = Console()
    console.print(table)
    total, packages = import_profile()
    loaded = subprocess.run(
        [PYTHON, "-c", "import sys, geo_api.cli.main; print(' '.join(sys.modules))"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    heavy = sorted({m.split(".")[0] for m in loaded} & set(HEAVY))
    console.print(
        f"python -X importtime: importing geo_api.cli.main takes {total:.3f} s; "
        f"dearest: {', '.join(f'{n} {s:.3f}' for n, s in packages)}"
    )
    console.print(f"heavy libraries loaded by the import: {', '.join(heavy) or 'none'}")
    if heavy:
        sys.exit(1)  # wrong, not slow: the CLI must not import them


if __name__ == "__main__":
    main()
