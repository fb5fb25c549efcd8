"""Console output shared by the commands: tables, progress bars, logging.

Tables are printed in one language per run (geo_api.cli.words) and fit the
terminal's width (80 columns when it is not a terminal): long cells wrap.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from geo_api.cli.words import t

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

# Rich is imported where used: `gridgov --help` needs none of it.


class _LazyConsole:
    """A Rich console made on first use."""

    def __init__(self, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    def real(self) -> Console:
        """The console itself, for Rich objects that take one (progress, logging)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real(), name)


_stderr = _LazyConsole(stderr=True)
_stdout = _LazyConsole(stderr=False)
console = cast("Console", _stderr)  # messages and progress: stderr
out = cast("Console", _stdout)  # results: stdout


def fresh_consoles() -> None:
    """Make the consoles anew on next use, so that they read the terminal's width (and
    COLUMNS) of this run: tests run many commands in one process."""
    _stderr._console = None
    _stdout._console = None


def setup_logging(verbose: bool) -> None:
    """Log what happens to stderr: INFO by default, DEBUG with --verbose."""
    from rich.logging import RichHandler

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=_stderr.real(), show_path=False, show_time=False)],
        force=True,
    )
    # Third-party chatter stays at WARNING unless asked for.
    for name in ("alembic", "sqlalchemy", "uvicorn.access", "pyogrio", "fiona"):
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.WARNING)


def step(message: str) -> None:
    """Say on stderr what the command starts doing, before any slow import or query,
    so that every command answers at once."""
    console.print(f"[dim]{t(message)}…[/]", highlight=False)


def _width(title: str) -> int:
    from rich.cells import cell_len

    return min(cell_len(t(title)) + 2, 80)


def _cell(value: object) -> str:
    if isinstance(value, bool):  # before int: a bool is an int
        return t("yes") if value else t("no")
    return f"{value:,}" if isinstance(value, int) else str(value)


def table(
    title: str,
    rows: Mapping[str, object],
    headers: tuple[str, str] = ("", ""),
    *,
    names: bool = False,
) -> None:
    """Print a two-column summary table to stdout, its words in the run's language
    (``names``: the row keys are names, such as layers, and stay as they are)."""
    from rich.table import Table

    # At least as wide as the title, which would otherwise wrap inside a narrow table.
    grid = Table(
        title=t(title), title_justify="left", show_header=any(headers), min_width=_width(title)
    )
    grid.add_column(t(headers[0]), overflow="fold")
    grid.add_column(t(headers[1]), justify="right", overflow="fold")
    for key, value in rows.items():
        grid.add_row(key if names else t(key), _cell(value))
    out.print(grid)


def listing(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print a table of rows; every cell wraps (folds) to keep it within the terminal."""
    from rich.table import Table

    grid = Table(title=t(title), title_justify="left", min_width=_width(title))
    for column in columns:
        grid.add_column(t(column), overflow="fold")
    for row in rows:
        grid.add_row(*(_cell(v) for v in row))
    out.print(grid)


@contextmanager
def progress_bar() -> Iterator[Progress]:
    """A progress bar on stderr (redrawn on a terminal, printed once when done elsewhere)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_stderr.real(),
        transient=False,
    ) as bar:
        yield bar
