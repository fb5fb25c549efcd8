"""Console output shared by the commands: tables, progress bars, logging."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import pandas as pd
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console(stderr=True)
out = Console()


def setup_logging(verbose: bool) -> None:
    """Log what happens to stderr: INFO by default, DEBUG with --verbose."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False, show_time=False)],
        force=True,
    )
    # Third-party chatter stays at WARNING unless asked for.
    for name in ("alembic", "sqlalchemy", "uvicorn.access", "pyogrio", "fiona"):
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.WARNING)


def _cell(value: object) -> str:
    if isinstance(value, bool):  # before int: a bool is an int
        return "yes" if value else "no"
    return f"{value:,}" if isinstance(value, int) else str(value)


def table(title: str, rows: Mapping[str, object], headers: tuple[str, str] = ("", "")) -> None:
    """Print a two-column summary table to stdout."""
    grid = Table(title=title, title_justify="left")
    grid.add_column(headers[0])
    grid.add_column(headers[1], justify="right")
    for key, value in rows.items():
        grid.add_row(key, _cell(value))
    out.print(grid)


def matrix(title: str, frame: pd.DataFrame, headers: Mapping[str, str]) -> None:
    """Print a DataFrame of counts (rows by index) as a table, columns renamed."""
    grid = Table(title=title, title_justify="left")
    grid.add_column(str(frame.index.name or ""))
    for column in frame.columns:
        grid.add_column(headers.get(str(column), str(column)), justify="right")
    for index, row in frame.iterrows():
        grid.add_row(str(index), *(f"{int(v):,}" if v else "·" for v in row))
    out.print(grid)


@contextmanager
def progress_bar() -> Iterator[Progress]:
    """A progress bar on stderr (redrawn on a terminal, printed once when done elsewhere)."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        yield bar
