"""What every importable layer is: one object with one interface.

A layer says which fields its files carry (with their types and the names
files give them), which are required, what its rows need in space, how a
chunk of rows is checked, where the checked rows land (table, upsert key,
columns a re-import may change) and what is rebuilt after they land.
run.py drives every layer the same way, so a fix there holds for all of
them; a new layer is one module defining a Layer, listed in registry.py.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection
from dataclasses import dataclass
from typing import ClassVar, Generic, Literal, TypeVar

import pandas as pd
from sqlalchemy import Connection

from geo_api.importer.checks import Checked
from geo_api.importer.coords import SourceCRS
from geo_api.importer.upsert import Landed

State = TypeVar("State")
# What a row needs in space: an outline or line ("shapes"), a point from the
# file's geometry or lon/lat columns ("points"), a point if it has one
# ("points or none": placed otherwise, e.g. at its unit), or nothing ("none").
Geometry = Literal["shapes", "points", "points or none", "none"]
# What a landed layer makes stale: the walking network (and its service
# areas), or only the service areas' household counts.
Rebuild = Literal["network", "service areas"] | None
# The fields a file's own geometry stands in for.
LOCATION = frozenset({"lon", "lat"})


@dataclass(frozen=True)
class Field:
    """A field of a layer: its canonical name, what it holds, and the names files give
    it in this layer beyond the shared vocabulary (fields.ALIASES)."""

    name: str
    kind: str  # as documented: "text", "code", "whole number", "date", "phone" ...
    doc: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Landing:
    """Where checked rows land: a table, the upsert key, the columns written and those
    a re-import may change. ``part`` lands only the rows whose column holds the value
    (one landing per partial unique index, whose predicate is ``where``)."""

    table: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    updates: tuple[str, ...]
    where: str | None = None
    reset: tuple[str, ...] = ()  # set to NULL on a changed row (a derived placement)
    part: tuple[str, object] | None = None


@dataclass(frozen=True)
class RosterSpec:
    """A layer of people (heads, officers, members) that an import compares with the
    store as a diff (geo_api.importer.diff): ``identity`` names a person (columns of
    the table, NULLs equal), ``label`` shows them, ``retire`` is the SET clause that
    retires one missing from a full roster (binds :today and :reason)."""

    identity: tuple[str, ...]
    label: str
    retire: str | None  # None: the layer's retired() retires them, through its domain
    active: str = "(t.left_on IS NULL OR t.left_on > china_today())"


@dataclass(frozen=True)
class Options:
    """What the user decided for this import beyond the file."""

    repair: bool = False  # mend invalid outlines with make_valid (each reported)
    accept_overlaps: bool = False  # land areas that overlap or leave slivers (reported)
    # False: the caller checks overlaps itself (a new generation, among its own areas).
    check_overlaps: bool = True


class Layer(ABC, Generic[State]):
    """One importable layer; see the module docstring."""

    name: ClassVar[str]
    doc: ClassVar[str]  # one line, for the column documentation
    fields: ClassVar[tuple[Field, ...]]
    required: ClassVar[frozenset[str]] = frozenset()
    one_of: ClassVar[tuple[frozenset[str], ...]] = ()  # beyond required, one group complete
    geometry: ClassVar[Geometry]
    rebuilds: ClassVar[Rebuild] = None
    # Whether the next chunk may be checked while this one lands (importer/ahead.py):
    # only for a layer whose check reads nothing that landing changes (its state is
    # what prepare() loaded and what earlier checks added, never the store).
    check_ahead: ClassVar[bool] = False
    roster: ClassVar[RosterSpec | None] = None  # a roster of people: imports may diff it

    @property
    def field_names(self) -> tuple[str, ...]:
        """The canonical fields, in documentation order."""
        return tuple(f.name for f in self.fields)

    def missing(self, present: Collection[str], *, has_geometry: bool) -> str | None:
        """What the file lacks to import this layer at all, or None."""
        have = set(present) | (LOCATION if has_geometry else set())
        absent = sorted(self.required - have)
        if absent:
            return f"{self.name} need the column(s) {', '.join(absent)}"
        if self.one_of and not any(group <= have for group in self.one_of):
            options = " or ".join("+".join(sorted(group)) for group in self.one_of)
            return f"{self.name} need {options}"
        return None

    def warnings(self, fields: dict[str, str]) -> list[str]:
        """What the file leaves out that the import fills in (said before anything lands)."""
        return []

    @abstractmethod
    def prepare(self, conn: Connection, fields: dict[str, str], options: Options) -> State:
        """What checking needs from the store, and the memory of the rows seen so far
        (duplicates are found across chunks)."""

    @abstractmethod
    def check(
        self, chunk: pd.DataFrame, fields: dict[str, str], crs: SourceCRS | None, state: State
    ) -> Checked:
        """One chunk's rows checked: rows to land (with ``_row``), rejects, notes."""

    @abstractmethod
    def landings(self, fields: dict[str, str], located: bool) -> list[Landing]:
        """Where the checked rows go; ``located`` says whether rows can carry points."""

    def land(self, conn: Connection, state: State, rows: pd.DataFrame) -> Landed | None:
        """Land a chunk's checked rows itself, or None to land them where ``landings``
        say: a layer whose key no unique index holds (the party lists' year, title and
        community) finds and updates its rows one by one."""
        return None

    def records(self, state: State) -> list[str]:
        """The stored rows the import added or changed ("party_resource:4"), for the
        audit row the CLI and the API write under whoever imported."""
        return []

    def keys(self, state: State) -> list[str]:
        """The codes of the rows the file holds, for layers that keep generations (a
        generation's import keeps exactly the file's areas)."""
        return []

    def retired(self, conn: Connection, state: State, ids: list[int]) -> None:
        """Rows missing from a full roster were retired (ids of the layer's table), before
        ``after`` runs: what the layer must know of them."""

    def after(self, conn: Connection, state: State, options: Options) -> list[str]:
        """Checks and notes once the rows have landed (still in the import's transaction);
        raises InvalidInputError to refuse the whole import."""
        return []
