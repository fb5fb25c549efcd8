"""Streets, communities, grids and compounds: areas with a code, a name, a parent.

Codes follow the statistical hierarchy (9, 12, 15 digits; compounds up to 20
characters). A parent is named by its code in the row; else by the leading
digits of the child's own code; else it is the parent the outline lies in,
and the notes say which was chosen. Outlines must be valid (or mended with
``repair``, each reported with its area before and after), inside the city,
and must neither overlap their siblings nor leave slivers between them
(overlaps.py), unless the user accepts them. Upserted on the code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from geo_api.importer.checks import Checked, RowErrors, polygons, text_column
from geo_api.importer.coords import SourceCRS
from geo_api.importer.layer import Field, Landing, Layer, Options, Rebuild
from geo_api.importer.overlaps import refuse_overlaps
from geo_api.importer.points import Bounds, city_bounds
from geo_api.importer.shapes import (
    areas_m2,
    parents_at,
    placed_note,
    reject_unplaceable,
    repair_notes,
)


@dataclass(frozen=True)
class AreaKind:
    """How one area layer is coded and nested."""

    table: str
    code: re.Pattern[str]
    code_rule: str  # said in rejects
    parent: str | None  # parent table
    parent_field: str | None  # the canonical field naming the parent's code
    prefix: int  # digits of the own code that make the parent's code
    multi: bool  # stored as MultiPolygon


@dataclass
class AreaState:
    """One import's lookups and memory."""

    conn: Connection
    parents: dict[str, tuple[int, int | None]]
    bounds: Bounds | None
    repair: bool
    seen: dict[str, int] = field(default_factory=dict)  # code -> row
    placed: list[str] = field(default_factory=list)  # parents chosen by location


class AreaLayer(Layer[AreaState]):
    """One of the four area layers."""

    geometry = "shapes"

    def __init__(
        self,
        name: str,
        kind: AreaKind,
        doc: str,
        fields: tuple[Field, ...],
        rebuilds: Rebuild = None,
    ) -> None:
        self.rebuilds = rebuilds  # type: ignore[misc]
        self.name = name  # type: ignore[misc]
        self.kind = kind
        self.doc = doc  # type: ignore[misc]
        self.fields = fields  # type: ignore[misc]
        self.required = frozenset({"code", "name"})  # type: ignore[misc]

    def prepare(self, conn: Connection, fields: dict[str, str], options: Options) -> AreaState:
        """Parent codes, the city's extent, the duplicate memory."""
        return AreaState(conn, parent_ids(conn, self.kind), city_bounds(conn), options.repair)

    def check(
        self, chunk: pd.DataFrame, fields: dict[str, str], crs: SourceCRS | None, state: AreaState
    ) -> Checked:
        """Codes, names, parents and outlines of one chunk."""
        assert crs is not None  # a layer of shapes always has a system
        return check_areas(chunk, fields, self.kind, crs, state)

    def landings(self, fields: dict[str, str], located: bool) -> list[Landing]:
        """Upserted on the code; a re-import may change the name, parent and outline."""
        parent = () if self.kind.parent is None else (f"{self.kind.parent}_id",)
        extra = ("community_id",) if self.kind.parent == "grid" else ()
        changed = ("name", *parent, *extra, "geom")
        return [Landing(self.kind.table, ("code",), ("code", *changed), changed)]

    def keys(self, state: AreaState) -> list[str]:
        """Every code the file holds."""
        return list(state.seen)

    def after(self, conn: Connection, state: AreaState, options: Options) -> list[str]:
        """Parents chosen by location, then overlaps and slivers among siblings."""
        parent = self.kind.parent
        notes = placed_note(
            f"{self.name} had no {parent} code (nor one their own code names): placed in the "
            f"{parent} they lie in",
            state.placed,
        )
        codes = list(state.seen)
        if options.check_overlaps:
            notes += refuse_overlaps(conn, self.kind.table, codes, accept=options.accept_overlaps)
        return notes


def _fields(word: str, *extra: Field) -> tuple[Field, ...]:
    """Code and name (also called 街道代码, 街道名称 ... in this layer), then the parent."""
    return (
        Field(
            "code",
            "code",
            "the statistical code, unique in the layer",
            tuple(f"{word}{s}" for s in ("代码", "编码", "编号")),
        ),
        Field("name", "text", "the name, up to 200 characters", (word, f"{word}名称")),
        *extra,
    )


def parent_ids(conn: Connection, kind: AreaKind) -> dict[str, tuple[int, int | None]]:
    """Parent code -> (id, its community id for grids) for the layer's parent table."""
    if kind.parent is None:
        return {}
    extra = "community_id" if kind.parent == "grid" else "NULL"
    rows = conn.execute(text(f"SELECT code, id, {extra} FROM {kind.parent}"))  # noqa: S608
    return {str(code): (int(i), None if c is None else int(c)) for code, i, c in rows}


def check_areas(
    chunk: pd.DataFrame, fields: dict[str, str], kind: AreaKind, crs: SourceCRS, state: AreaState
) -> Checked:
    """Check one chunk of an area layer; ``state.seen`` (code -> row) spans the whole file."""
    errors = RowErrors(chunk["_row"])
    code = text_column(chunk, fields.get("code"))
    name = text_column(chunk, fields.get("name"))
    errors.flag(code.isna().to_numpy(), "code", None, "missing")
    bad_code = code.notna() & ~code.fillna("").str.match(kind.code.pattern)
    errors.flag(bad_code.to_numpy(), "code", code, f"must be {kind.code_rule}")
    errors.flag(name.isna().to_numpy(), "name", None, "missing")
    errors.flag((name.fillna("").str.len() > 200).to_numpy(), "name", name, "longer than 200")
    for k, value in enumerate(code):
        if value is not None and not errors.bad[k]:
            if value in state.seen:
                errors.flag(
                    np.arange(len(code)) == k,
                    "code",
                    code,
                    f"duplicate: row {state.seen[value]} has it",
                )
            else:
                state.seen[value] = int(errors.rows[k])
    repaired: list[int] = []
    geoms = polygons(chunk["geometry"].to_numpy(), errors, repaired, kind.multi, state.repair)
    lonlat = np.full(len(geoms), None, dtype=object)
    live = ~errors.bad
    lonlat[live] = crs.geometries(geoms[live])
    reject_unplaceable(lonlat, errors, state.bounds, crs.name)
    out = pd.DataFrame({"_row": chunk["_row"].to_numpy(), "code": code, "name": name})
    if kind.parent is not None:
        _parents(chunk, fields, kind, code, lonlat, out, errors, state)
    notes = _repaired(chunk, crs, lonlat, repaired, errors)
    good = ~errors.bad
    frame = gpd.GeoDataFrame(
        out[good].reset_index(drop=True), geometry=list(lonlat[good]), crs=4326
    )
    return Checked(frame, errors.rejects, notes)


def _repaired(
    chunk: pd.DataFrame,
    crs: SourceCRS,
    lonlat: np.ndarray,
    repaired: list[int],
    errors: RowErrors,
) -> list[str]:
    """Notes for the mended outlines that landed, with their areas before and after (the
    area before is the one of the rings as drawn, as GIS programs measure it)."""
    kept = [k for k in repaired if not errors.bad[k]]
    if not kept:
        return []
    before = areas_m2(crs.geometries(chunk["geometry"].to_numpy()[kept]))
    return repair_notes(errors.rows[kept], before, areas_m2(lonlat[kept]))


def _parents(
    chunk: pd.DataFrame,
    fields: dict[str, str],
    kind: AreaKind,
    code: pd.Series,
    lonlat: np.ndarray,
    out: pd.DataFrame,
    errors: RowErrors,
    state: AreaState,
) -> None:
    """Each row's parent: its code in the row, else the own code's prefix, else where it lies."""
    assert kind.parent_field is not None and kind.parent is not None
    given = text_column(chunk, fields.get(kind.parent_field))
    derived = code.fillna("").str[: kind.prefix]
    by_prefix = derived.map(lambda c: state.parents.get(c))
    parent_code = given.where(given.notna(), derived.where(by_prefix.notna(), None))
    found = parent_code.map(lambda c: None if c is None else state.parents.get(c))
    unknown = given.notna() & found.isna()
    errors.flag(
        unknown.to_numpy(),
        kind.parent_field,
        given,
        f"no {kind.parent} with this code in the store: import the {kind.parent}s first",
    )
    lost = (found.isna() & ~unknown).to_numpy() & ~errors.bad
    found = found.astype(object)
    if lost.any():
        at = parents_at(state.conn, kind.parent, lonlat[lost])
        for k, hit in zip(np.flatnonzero(lost).tolist(), at, strict=True):
            if hit is not None:
                found.iat[k] = (hit.id, hit.community_id)  # type: ignore[assignment]
                state.placed.append(f"row {errors.rows[k]} → {hit.code}")
        nowhere = lost & found.isna().to_numpy()
        errors.flag(
            nowhere,
            kind.parent_field,
            None,
            f"no {kind.parent} code, and the outline lies in no stored {kind.parent}",
        )
    out[f"{kind.parent}_id"] = pd.array(
        [f[0] if isinstance(f, tuple) else None for f in found], dtype="Int64"
    )
    if kind.parent == "grid":
        out["community_id"] = pd.array(
            [f[1] if isinstance(f, tuple) else None for f in found], dtype="Int64"
        )


STREETS = AreaLayer(
    "streets",
    AreaKind("street", re.compile(r"^\d{9}$"), "9 digits", None, None, 0, True),
    "streets (街道): outlines with a 9-digit code",
    _fields("街道"),
)
COMMUNITIES = AreaLayer(
    "communities",
    AreaKind("community", re.compile(r"^\d{12}$"), "12 digits", "street", "street_code", 9, True),
    "communities (社区): outlines with a 12-digit code, in a street",
    _fields(
        "社区",
        Field(
            "street_code",
            "code",
            "the street's code (else the code's first 9 digits, "
            "else the street the outline lies in)",
        ),
    ),
)
GRIDS = AreaLayer(
    "grids",
    AreaKind("grid", re.compile(r"^\d{15}$"), "15 digits", "community", "community_code", 12, True),
    "grids (网格): outlines with a 15-digit code, in a community",
    _fields(
        "网格",
        Field(
            "community_code",
            "code",
            "the community's code (else the code's first 12 "
            "digits, else the community the outline lies in)",
        ),
    ),
)
COMPOUNDS = AreaLayer(
    "compounds",
    AreaKind(
        "compound",
        re.compile(r"^[0-9A-Za-z-]{1,20}$"),
        "1 to 20 letters, digits or '-'",
        "grid",
        "grid_code",
        15,
        False,
    ),
    "compounds (小区): one polygon each, coded up to 20 letters or digits, in a grid",
    _fields(
        "小区",
        Field(
            "grid_code",
            "code",
            "the grid's code (else the code's first 15 digits, else the grid the outline lies in)",
        ),
    ),
    rebuilds="network",  # homes reach the streets through their compound's outline and gates
)
AREAS = {layer.name: layer for layer in (STREETS, COMMUNITIES, GRIDS, COMPOUNDS)}
