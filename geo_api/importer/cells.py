"""Buildings (楼栋) and units (单元): footprints numbered within their parent.

A building is named by its compound's code and its number (3 for 3号楼, digits
or Chinese numerals); a unit by the compound's code, its building's number and
its own. Where the compound's code is absent, the compound the footprint lies
in is taken (and said in the notes). Footprints are valid polygons (or mended
with ``repair``, each reported). A building's floors are optional (unknown).
Upserted on (compound, number) and (building, number).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from geo_api.address import lettered, parse_number
from geo_api.importer.checks import Checked, RowErrors, polygons, text_column
from geo_api.importer.coords import SourceCRS
from geo_api.importer.layer import Field, Landing, Layer, Options
from geo_api.importer.points import Bounds, city_bounds
from geo_api.importer.shapes import (
    areas_m2,
    parents_at,
    placed_note,
    reject_unplaceable,
    repair_notes,
)

PARENTS_SQL = {
    "buildings": "SELECT code, id FROM compound",
    # A lettered building (12A号楼) is known by its label, never by its number.
    "units": """SELECT cp.code || '/' || coalesce(b.label, b.number::text), b.id FROM building b
                JOIN compound cp ON cp.id = b.compound_id""",
}


@dataclass
class CellState:
    """One import's lookups and memory."""

    conn: Connection
    parents: dict[str, int]
    bounds: Bounds | None
    repair: bool
    seen: dict[str, int] = field(default_factory=dict)  # parent#number -> row
    # Lettered buildings: (compound code, label) -> the number it has or will have,
    # and each compound's highest number (a new lettered building takes the next).
    labelled: dict[tuple[str, str], int] = field(default_factory=dict)
    highest: dict[str, int] = field(default_factory=dict)
    placed: list[str] = field(default_factory=list)


class CellLayer(Layer[CellState]):
    """Buildings or units."""

    geometry = "shapes"

    def __init__(self, name: str, doc: str, fields: tuple[Field, ...], required: set[str]) -> None:
        self.name = name  # type: ignore[misc]
        self.doc = doc  # type: ignore[misc]
        self.fields = fields  # type: ignore[misc]
        self.required = frozenset(required)  # type: ignore[misc]

    def prepare(self, conn: Connection, fields: dict[str, str], options: Options) -> CellState:
        """Parents by key, the city's extent, the duplicate memory."""
        parents = {str(k): int(v) for k, v in conn.execute(text(PARENTS_SQL[self.name]))}
        state = CellState(conn, parents, city_bounds(conn), options.repair)
        numbers = text(
            "SELECT cp.code, b.number, b.label FROM building b "
            "JOIN compound cp ON cp.id = b.compound_id"
        )
        for code, number, label in conn.execute(numbers):
            state.highest[code] = max(state.highest.get(code, 0), int(number))
            if label is not None:
                state.labelled[(str(code), str(label))] = int(number)
        return state

    def check(
        self, chunk: pd.DataFrame, fields: dict[str, str], crs: SourceCRS | None, state: CellState
    ) -> Checked:
        """Numbers, parents and footprints of one chunk."""
        assert crs is not None  # a layer of shapes always has a system
        return check_cells(chunk, fields, self.name, crs, state)

    def landings(self, fields: dict[str, str], located: bool) -> list[Landing]:
        """Upserted on (parent, number); floors change only when the file gives them."""
        if self.name == "buildings":
            floors = ("floors",) if "floors" in fields else ()
            columns = ("compound_id", "number", "label", "floors", "geom")
            return [
                Landing("building", ("compound_id", "number"), columns, (*floors, "geom"),
                        part=("_lettered", False)),
                Landing("building", ("compound_id", "label"), columns, (*floors, "geom"),
                        where="label IS NOT NULL", part=("_lettered", True)),
            ]  # fmt: skip
        return [
            Landing("unit", ("building_id", "number"), ("building_id", "number", "geom"), ("geom",))
        ]

    def after(self, conn: Connection, state: CellState, options: Options) -> list[str]:
        """Which compound each footprint without a compound code was placed in."""
        return placed_note(
            f"{self.name} had no compound code or building number: placed where they lie",
            state.placed,
        )


def _whole(
    values: pd.Series, errors: RowErrors, name: str, high: int, *, needed: bool = True
) -> pd.Series:
    """Positive whole numbers (digits or Chinese numerals); others rejected."""
    parsed = values.map(lambda v: None if v is None else parse_number(str(v).rstrip("号楼栋幢层")))
    if needed:
        errors.flag(values.isna().to_numpy(), name, None, "missing")
    bad = values.notna() & (parsed.isna() | ~parsed.fillna(1).between(1, high))
    errors.flag(bad.to_numpy(), name, values, f"must be a whole number from 1 to {high}")
    return parsed


def check_cells(
    chunk: pd.DataFrame, fields: dict[str, str], layer: str, crs: SourceCRS, state: CellState
) -> Checked:
    """Check one chunk of buildings or units; ``state.seen`` spans the file."""
    errors = RowErrors(chunk["_row"])
    repaired: list[int] = []
    geoms = polygons(chunk["geometry"].to_numpy(), errors, repaired, False, state.repair)
    lonlat = np.full(len(geoms), None, dtype=object)
    live = ~errors.bad
    lonlat[live] = crs.geometries(geoms[live])
    reject_unplaceable(lonlat, errors, state.bounds, crs.name)
    compound = _compound_codes(
        text_column(chunk, fields.get("compound_code")), lonlat, errors, state
    )
    given = text_column(chunk, fields.get("number"))
    label = given.map(lambda v: None if v is None or layer != "buildings" else lettered(str(v)))
    number = _whole(given.where(label.isna(), None), errors, "number", 999, needed=False)
    errors.flag(given.isna().to_numpy(), "number", None, "missing")
    number = _lettered_numbers(compound, label, number, errors, state)
    out = pd.DataFrame({"_row": chunk["_row"].to_numpy(), "number": number})
    if layer == "buildings":
        out["label"] = label
        out["_lettered"] = label.notna().to_numpy()
        parent_key = compound
        out["floors"] = _whole(
            text_column(chunk, fields.get("floors")), errors, "floors", 200, needed=False
        )
        parent_field, parent_rule = "compound_code", "no compound with this code"
    else:
        cell = text_column(chunk, fields.get("building"))
        building_label = cell.map(lambda v: None if v is None else lettered(str(v)))
        building = _whole(cell.where(building_label.isna(), None), errors, "building", 999,
                          needed=False)  # fmt: skip
        # Without its building's number, a unit is in the building its footprint lies in.
        located = _buildings_at(cell, lonlat, errors, state)
        named = located.where(located.notna(), None).astype(object)
        named = named.where(named.notna(), building_label)
        named = named.where(
            building_label.notna(), building.map(lambda b: "" if b is None else str(int(b)))
        )
        # As text on both sides (None stays missing): the footprint's building comes as
        # Python objects, the compound as pandas' text, which will not add to objects.
        parent_key = compound.astype("str") + "/" + named.astype("str")
        parent_field, parent_rule = "building", "no such building of this compound"
    parent = parent_key.map(lambda k: state.parents.get(str(k)))
    if layer == "units":
        parent = parent.where(located.isna(), located.map(lambda b: _building_id(b)))
    errors.flag(
        (parent.isna() & compound.notna()).to_numpy(),
        parent_field,
        parent_key,
        f"{parent_rule} in the store: import it first",
    )
    own_key = parent_key + "#" + number.map(lambda n: "" if n is None else str(int(n)))
    for k, key in enumerate(own_key.tolist()):
        if not errors.bad[k]:
            if key in state.seen:
                errors.flag(
                    np.arange(len(own_key)) == k,
                    "number",
                    number,
                    f"duplicate: row {state.seen[key]} has it",
                )
            else:
                state.seen[key] = int(errors.rows[k])
    out["compound_id" if layer == "buildings" else "building_id"] = pd.array(
        parent.tolist(), dtype="Int64"
    )
    good = ~errors.bad
    frame = out[good].reset_index(drop=True)
    frame["number"] = frame["number"].astype("int64")
    if "floors" in frame:
        frame["floors"] = pd.array(frame["floors"].tolist(), dtype="Int64")
    kept = [k for k in repaired if good[k]]
    notes = (
        repair_notes(
            errors.rows[kept],
            areas_m2(crs.geometries(chunk["geometry"].to_numpy()[kept])),
            areas_m2(lonlat[kept]),
        )
        if kept
        else []
    )
    return Checked(
        gpd.GeoDataFrame(frame, geometry=list(lonlat[good]), crs=4326), errors.rejects, notes
    )


def _lettered_numbers(
    compound: pd.Series, label: pd.Series, number: pd.Series, errors: RowErrors, state: CellState
) -> pd.Series:
    """Numbers for lettered buildings: the one a stored building of that label has, else
    the compound's next free one (units and heads hang on numbers; people on labels)."""
    out = number.astype(object).copy()
    for k in np.flatnonzero(label.notna().to_numpy() & compound.notna().to_numpy()).tolist():
        key = (str(compound.iat[k]), str(label.iat[k]))
        if key not in state.labelled:
            state.highest[key[0]] = state.highest.get(key[0], 0) + 1
            state.labelled[key] = state.highest[key[0]]
        out.iat[k] = state.labelled[key]
    return out


def _buildings_at(
    cell: pd.Series, lonlat: np.ndarray, errors: RowErrors, state: CellState
) -> pd.Series:
    """For units without their building's number: "#<building id>" of the building the
    footprint lies in (None elsewhere); a footprint in no building is rejected."""
    found = pd.Series([None] * len(cell), dtype=object)
    lost = cell.isna().to_numpy() & ~errors.bad
    if lost.any():
        hits = parents_at(state.conn, "building", lonlat[lost])
        for k, hit in zip(np.flatnonzero(lost).tolist(), hits, strict=True):
            if hit is not None:
                found.iat[k] = f"#{hit.id}"
                state.placed.append(f"row {errors.rows[k]} → {hit.code}")
    errors.flag(lost & found.isna().to_numpy(), "building", None,
                "no building number, and the footprint lies in no stored building")  # fmt: skip
    return found


def _building_id(key: object) -> int | None:
    """The id in a "#<id>" key of _buildings_at."""
    return int(str(key)[1:]) if isinstance(key, str) and key.startswith("#") else None


def _compound_codes(
    given: pd.Series, lonlat: np.ndarray, errors: RowErrors, state: CellState
) -> pd.Series:
    """Each row's compound code: as given, else the compound its footprint lies in."""
    lost = given.isna().to_numpy() & ~errors.bad
    if not lost.any():
        errors.flag(given.isna().to_numpy(), "compound_code", None, "missing")
        return given
    codes = given.copy()
    for k, hit in zip(
        np.flatnonzero(lost).tolist(),
        parents_at(state.conn, "compound", lonlat[lost]),
        strict=True,
    ):
        if hit is not None:
            codes.iat[k] = hit.code
            state.placed.append(f"row {errors.rows[k]} → {hit.code}")
    errors.flag(
        codes.isna().to_numpy(),
        "compound_code",
        None,
        "no compound code, and the footprint lies in no stored compound",
    )
    return codes


BUILDINGS = CellLayer(
    "buildings",
    "buildings (楼栋): footprints numbered within their compound",
    (
        Field(
            "compound_code", "code", "the compound's code (else the compound the footprint lies in)"
        ),
        Field(
            "number",
            "whole number",
            "the building's number in its compound (3, 3号楼, 三号楼)",
            ("楼栋", "楼号", "栋号", "楼栋号", "栋", "编号"),
        ),
        Field("floors", "whole number", "floors above ground (optional: unknown if absent)"),
    ),
    {"number"},
)
UNITS = CellLayer(
    "units",
    "units (单元): stairwell footprints numbered within their building",
    (
        Field(
            "compound_code", "code", "the compound's code (else the compound the footprint lies in)"
        ),
        Field(
            "building",
            "whole number",
            "the building's number in its compound (else the building the footprint lies in)",
        ),
        Field(
            "number",
            "whole number",
            "the unit's number in its building (2, 2单元)",
            ("单元", "单元号", "编号"),
        ),
    ),
    {"number"},
)
