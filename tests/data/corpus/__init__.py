"""A corpus of bad (and awkward) import files, made by generators, with what must happen.

Each ``Case`` makes one file and says what importing it into ``layer`` with
``options`` must do: be refused with a message holding some words (the file's
name, the row, the column, the value), or import some rows with some rejects
and notes. Generators make classes of files, not one example: title rows of 1
to 3 lines, GBK and UTF-8, a hidden sheet before or after the data.

Topic modules each hold a ``CASES`` list; add a module to ``TOPICS`` to add
its cases. ``tests/test_corpus.py`` runs every case through the CLI and the
API; ``tests/data/make_corpus.py`` writes every file into a folder to look at.

``options`` are the import's options by their API names: ``crs``, ``encoding``,
``sheet``, ``source_layer``, ``skip_bad``, ``header_row``, ``repair``,
``accept_overlaps``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

TOPICS = ("reading", "hostile", "signins", "party", "checks")


@dataclass(frozen=True)
class Refused:
    """The import is refused (exit status 1, HTTP 422); the message holds each of ``says``."""

    says: tuple[str, ...]


@dataclass(frozen=True)
class Landed:
    """Where a row must land: ``query`` (SQL, one row of lon, lat) finds what it stored,
    which must lie within ``metres`` of ``lon``, ``lat`` (WGS 84)."""

    query: str
    lon: float
    lat: float
    metres: float = 1.0


@dataclass(frozen=True)
class Imported:
    """The import succeeds: ``rows`` landed, these rejects as (row, field), for each
    of ``notes`` a note or warning that holds it, and each of ``landed`` where it says."""

    rows: int
    rejects: tuple[tuple[int, str], ...] = ()
    notes: tuple[str, ...] = ()
    landed: tuple[Landed, ...] = ()


Expect = Refused | Imported


@dataclass(frozen=True)
class Case:
    """One file, the layer it goes into, the import's options, and what must happen."""

    name: str
    layer: str
    make: Callable[[Path], Path]  # writes the file into the folder given; returns its path
    options: dict[str, object]
    expect: Expect


Maker = Callable[[Path], Path]


class Cases(list[Case]):
    """A topic module's cases, with helpers to register them."""

    def add(self, name: str, layer: str, make: Maker, expect: Expect, **options: object) -> None:
        """Add a case made by ``make``."""
        self.append(Case(name, layer, make, dict(options), expect))

    def case(
        self, name: str, layer: str, expect: Expect, **options: object
    ) -> Callable[[Maker], Maker]:
        """Decorator: add the decorated maker as a case."""

        def register(make: Maker) -> Maker:
            self.add(name, layer, make, expect, **options)
            return make

        return register


def _collect() -> list[Case]:
    """Every topic's cases; names are unique (they name the files and the tests)."""
    cases: list[Case] = []
    for topic in TOPICS:
        cases += importlib.import_module(f"{__name__}.{topic}").CASES
    names = [case.name for case in cases]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"corpus cases named twice: {', '.join(duplicates)}")
    return cases


CASES: list[Case] = _collect()
