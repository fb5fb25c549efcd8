"""Households from registers: placed in a unit by their address or by columns.

A row names its home either by columns (compound, building, unit, room) or by a
written address ("浍滨街道水岸明珠小区3号楼2单元501室", "水岸明珠3-2-501"),
parsed by geo_api.address; columns win where both are given. The compound is
matched by name (within the row's community when it names one); a name that
matches no compound exactly is rejected with the closest candidates. A row
with no coordinates is placed at its unit. Rows are upserted on (unit, room).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, text

from geo_api.address import compound_key, lettered, match_address, parse_address
from geo_api.address.format import address_prefix
from geo_api.digits import whole
from geo_api.errors import InvalidInputError
from geo_api.importer.checks import Checked, RowErrors, by_value, dates, phones, text_column
from geo_api.importer.coords import SourceCRS
from geo_api.importer.layer import Field, Landing, Layer, Options
from geo_api.importer.points import Bounds, city_bounds, point_coordinates

UNITS_SQL = """
SELECT u.id, u.number AS unit, b.number AS building, b.label, cp.id AS compound_id,
       cp.name AS compound,
       cm.name AS community, ST_X(ST_PointOnSurface(u.geom)) AS lon,
       ST_Y(ST_PointOnSurface(u.geom)) AS lat
FROM unit u JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
JOIN community cm ON cm.id = cp.community_id
"""
TRUE = {"1", "true", "yes", "y", "是", "t", "√"}
FALSE = {"0", "false", "no", "n", "否", "f", ""}
MAX_PERSONS = 30
HOUSEHOLD_NO_MAX = 32
# Households upsert on their room among current households (an ended one keeps its row).
CURRENT = "ended_on IS NULL"
SHOWN_FLAGS = 5


@dataclass
class Homes:
    """The store's compounds and units, indexed for placing rows."""

    compounds: dict[str, list[tuple[int, str]]]  # key -> [(compound id, community name)]
    names: list[str]  # every compound name, for candidates
    # (compound, building, unit) -> (unit id, lon, lat); a building is its number, or its
    # label for a lettered one (12A号楼 is "12A", never building 12).
    units: dict[tuple[int, int | str, int], tuple[int, float, float]]
    bounds: Bounds | None = None

    @classmethod
    def load(cls, conn: Connection) -> Homes:
        homes = cls({}, [], {})
        keys: dict[str, str] = {}  # a compound's name is normalised once, not per unit
        for row in conn.execute(text(UNITS_SQL)):
            if row.compound not in keys:
                keys[row.compound] = compound_key(row.compound)
            key = keys[row.compound]
            entry = (int(row.compound_id), str(row.community))
            if entry not in homes.compounds.setdefault(key, []):
                homes.compounds[key].append(entry)
                homes.names.append(row.compound)
            building = int(row.building) if row.label is None else str(row.label)
            homes.units[(int(row.compound_id), building, int(row.unit))] = (
                int(row.id),
                float(row.lon),
                float(row.lat),
            )
        homes.bounds = city_bounds(conn)
        return homes

    def compound(self, name: str, community: str | None) -> tuple[int | None, str]:
        """The compound id for a name, or why there is none (with candidates)."""
        found = self.compounds.get(compound_key(name), [])
        if community and found:
            there = [f for f in found if f[1] == community]
            if not there:
                where = ", ".join(sorted(f[1] for f in found))
                return None, f"is not in {community} (it is in {where})"
            found = there
        if len(found) == 1:
            return found[0][0], ""
        if len(found) > 1:
            where = ", ".join(sorted(f[1] for f in found))
            return None, f"is in several communities ({where}): add the community"
        near = match_address(parse_address(name), self.names)
        listed = ", ".join(f"{n} ({s:.2f})" for n, s in near)
        return None, "no such compound" + (f"; closest: {listed}" if listed else "")


def _room(text: str) -> str:
    text = text.strip()
    number = whole(text)
    return text if number is None else str(number)


def building_keys(
    values: pd.Series, labels: pd.Series, errors: RowErrors, name: str = "building"
) -> pd.Series:
    """Each row's building: its label where it is lettered (12A, A座: given in ``labels``
    or written in the cell), else its whole number; others rejected."""
    from_cell = by_value(values, lambda v: lettered(str(v)))
    label = labels.where(labels.notna(), from_cell)
    plain = values.where(label.isna(), None)
    number = _number(plain.astype(object), errors, name, 1, 999)
    return label.where(label.notna(), number).astype(object)


def _number(values: pd.Series, errors: RowErrors, name: str, low: int, high: int) -> pd.Series:
    """Whole numbers from text (Chinese numerals too); others rejected."""
    parsed = by_value(values, _whole)
    errors.flag((values.notna() & parsed.isna()).to_numpy(), name, values, "not a whole number")
    out_of_range = parsed.notna() & ~parsed.fillna(low).between(low, high)
    errors.flag(out_of_range.to_numpy(), name, values, f"must be {low} to {high}")
    return parsed


def _whole(value: object) -> int | None:
    """A whole number from text: digits, or a Chinese numeral (三, 十二); else None."""
    from geo_api.address import parse_number

    return parse_number(str(value))


def _place(
    compound: pd.Series,
    community: pd.Series,
    building: pd.Series,
    unit: pd.Series,
    homes: Homes,
    errors: RowErrors,
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's unit id and unit point (-1 where the row is rejected)."""
    n = len(compound)
    pairs = list(zip(compound.tolist(), community.tolist(), strict=True))
    resolved = {p: homes.compound(str(p[0]), p[1]) for p in set(pairs) if p[0] is not None}
    looked = [resolved.get(p, (None, "")) for p in pairs]
    compound_id = np.array([found[0] or -1 for found in looked], dtype=np.int64)
    reasons = pd.Series([found[1] for found in looked], dtype=object)
    for why in set(reasons[compound_id < 0]) - {""}:
        errors.flag(np.asarray((compound_id < 0) & (reasons == why)), "compound", compound, why)
    unit_id = np.full(n, -1, dtype=np.int64)
    at_unit = np.zeros((n, 2))
    keys = zip(compound_id.tolist(), building.tolist(), unit.tolist(), strict=True)
    found = [
        homes.units.get((c, b if isinstance(b, str) else int(b), int(u)))
        if c >= 0 and b is not None and u is not None
        else None
        for c, b, u in keys
    ]
    missing = np.array([f is None for f in found], dtype=bool) & ~errors.bad
    if missing.any():  # the unit as the file names it, written only for those rows
        shown = pd.Series(None, index=compound.index, dtype=object)
        for k in np.flatnonzero(missing).tolist():
            shown.iat[k] = f"{compound.iat[k]} {building.iat[k]}号楼{unit.iat[k]}单元"
        errors.flag(
            missing, "unit", shown, "no such building and unit in the store: import them first"
        )
    placed = np.flatnonzero(~errors.bad)
    hits = np.array([found[k] for k in placed.tolist()], dtype=float).reshape(-1, 3)
    unit_id[placed], at_unit[placed] = hits[:, 0].astype(np.int64), hits[:, 1:]
    return unit_id, at_unit


def _split(
    unit_id: np.ndarray,
    room: pd.Series,
    number: pd.Series,
    head: pd.Series,
    state: HomeState,
    errors: RowErrors,
) -> pd.Series:
    """Each row's household number within its room (分户): the file's, else '' for the
    first household of a room and the head of household's name for another one with a
    different head; the same home twice is rejected, naming the first row."""
    # Plain lists, not pandas' per-cell access: this runs once per row of the file.
    out = number.fillna("").astype(object).tolist()
    rooms = [str(r) for r in room.tolist()]
    heads = head.tolist()
    units = unit_id.tolist()
    rows = errors.rows.tolist()
    twice: dict[int, list[int]] = {}  # first row -> the rows repeating it
    for k in np.flatnonzero(~errors.bad).tolist():
        home = (units[k], rooms[k])
        # A row without its head's name never splits a room, nor tells a later row
        # apart: only rows with one are remembered (most registers have none).
        if not out[k] and heads[k] is not None:
            first = state.heads.get(home)
            if first is None:
                state.heads[home] = str(heads[k])
            elif heads[k] != first:
                out[k] = str(heads[k])[:HOUSEHOLD_NO_MAX]
        key = (*home, out[k])
        seen = state.seen.setdefault(key, rows[k])
        if seen != rows[k]:
            twice.setdefault(seen, []).append(k)
    for first_row, repeats in twice.items():
        mask = np.zeros(len(unit_id), dtype=bool)
        mask[repeats] = True
        errors.flag(
            mask,
            "room",
            room,
            f"the same home as row {first_row} (several households "
            "in one room? give each its household number, 户号)",
        )
    return pd.Series(out, index=number.index, dtype=object)


@dataclass
class HomeState:
    """One import's lookups and memory: the store's homes, the rooms seen so far."""

    homes: Homes
    seen: dict[tuple[int, str, str], int] = field(default_factory=dict)
    heads: dict[tuple[int, str], str | None] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    unit_placed: int = 0


COLUMNS = (
    "unit_id",
    "room",
    "household_no",
    "persons",
    "address",
    "volunteer",
    "head_name",
    "phone",
    "registered_on",
    "remarks",
    "geom",
)
# Fields the file may leave out, and the columns that then keep what the store holds.
OPTIONAL = {
    "persons": "persons",
    "address": "address",
    "volunteer": "volunteer",
    "head_name": "head_name",
    "phone": "phone",
    "registered_on": "registered_on",
    "remarks": "remarks",
}


class HouseholdLayer(Layer[HomeState]):
    """Households (户) from registers, placed in their unit."""

    name = "households"
    doc = (
        "households (户): placed in a unit by a written address or by compound, building, "
        "unit and room columns"
    )
    geometry = "points or none"
    check_ahead = True  # the state is the store's homes, loaded once, and the rows seen
    rebuilds = "service areas"
    one_of = (frozenset({"address"}), frozenset({"compound", "building", "unit", "room"}))
    fields = (
        Field(
            "address",
            "text",
            "the written address (浍滨街道水岸明珠小区3号楼2单元501室, 水岸明珠3-2-501)",
        ),
        Field("street", "text", "the street's name"),
        Field("community", "text", "the community's name (tells apart compounds of one name)"),
        Field("compound", "text", "the compound's name"),
        Field("building", "whole number", "the building's number"),
        Field("unit", "whole number", "the unit's number"),
        Field("room", "text", "the room (501)"),
        Field(
            "household_no",
            "text",
            "the household number (户号), for several households in one room (分户)",
            ("户号", "户编号", "分户号", "household_no"),
        ),
        Field(
            "persons",
            "whole number",
            f"people in the household, 1 to {MAX_PERSONS} (1 when absent)",
        ),
        Field("lon", "number", "longitude (else the unit's point)"),
        Field("lat", "number", "latitude"),
        Field("crs", "coordinate system", "the row's own coordinate system (GCJ-02, BD-09, ...)"),
        Field("volunteer", "yes/no", "someone here offered to serve (是/否)"),
        Field(
            "head_name",
            "text",
            "the head of household's name (personal data)",
            ("户主姓名", "户主", "户主名称", "head_name", "householder"),
        ),
        Field("phone", "phone", "a contact phone (personal data)"),
        Field(
            "registered_on",
            "date",
            "the registration date",
            ("登记日期", "登记时间", "入户日期", "registered_on"),
        ),
        Field("remarks", "text", "remarks", ("备注", "说明", "remarks", "note", "notes")),
    )

    def warnings(self, fields: dict[str, str]) -> list[str]:
        """No persons column: every household counts as one person."""
        if "persons" not in fields:
            return ["no persons column: every household counted as 1 person"]
        return []

    def prepare(self, conn: Connection, fields: dict[str, str], options: Options) -> HomeState:
        """The store's compounds and units."""
        return HomeState(Homes.load(conn))

    def check(
        self, chunk: pd.DataFrame, fields: dict[str, str], crs: SourceCRS | None, state: HomeState
    ) -> Checked:
        """Homes, people and points of one chunk."""
        return check_households(chunk, fields, crs, state)

    def landings(self, fields: dict[str, str], located: bool) -> list[Landing]:
        """Upserted on (unit, room, household number). An existing home changes only in
        what the file says: no persons column keeps the stored persons; a row without
        coordinates keeps the stored point."""
        given = [column for f, column in OPTIONAL.items() if f in fields]
        key = ("unit_id", "room", "household_no")
        with_point = (*given, "geom") if located else tuple(given)
        return [
            Landing("household", key, COLUMNS, with_point, where=CURRENT, part=("_located", True)),
            Landing(
                "household", key, COLUMNS, tuple(given), where=CURRENT, part=("_located", False)
            ),
        ]

    def after(self, conn: Connection, state: HomeState, options: Options) -> list[str]:
        """Rows placed at their unit, and phones worth a look."""
        notes = []
        if state.unit_placed:
            notes.append(f"{state.unit_placed} households had no coordinates: placed at their unit")
        if state.flags:
            shown = "; ".join(state.flags[:SHOWN_FLAGS])
            more = len(state.flags) - SHOWN_FLAGS
            notes.append(
                f"{len(state.flags)} phones to check: {shown}"
                + (f" (and {more} more)" if more > 0 else "")
            )
        return notes


HOUSEHOLDS = HouseholdLayer()


def check_households(
    chunk: pd.DataFrame, fields: dict[str, str], crs: SourceCRS | None, state: HomeState
) -> Checked:
    """Check one chunk of households; ``state`` spans the file."""
    homes = state.homes
    errors = RowErrors(chunk["_row"])
    col = {
        f: text_column(chunk, fields.get(f))
        for f in (
            "address",
            "community",
            "compound",
            "building",
            "unit",
            "room",
            "household_no",
            "persons",
            "volunteer",
            "lon",
            "lat",
            "crs",
            "head_name",
            "phone",
            "registered_on",
            "remarks",
        )
    }
    if "crs" not in fields:
        del col["crs"]
    # The address is parsed only where a column leaves a part of the home unsaid.
    unsaid = pd.concat([col[c].isna() for c in ("compound", "building", "unit", "room")], axis=1)
    needed = (col["address"].notna() & unsaid.any(axis=1)).to_numpy()
    parsed = [
        parse_address(a) if need else None
        for a, need in zip(col["address"].tolist(), needed.tolist(), strict=True)
    ]

    def part(name: str) -> pd.Series:
        from_address = [getattr(p, name) if p else None for p in parsed]
        given = col[name]
        return given.where(given.notna(), pd.Series(from_address, index=given.index, dtype=object))

    compound, community = part("compound"), part("community")
    building, unit, room = part("building"), part("unit"), part("room")
    labels = pd.Series([p.building_label if p else None for p in parsed], index=building.index,
                       dtype=object)  # fmt: skip
    # A column's plain number wins over the address's lettered building.
    labels = labels.where(col["building"].isna(), None)
    for name, values in (
        ("compound", compound),
        ("building", building),
        ("unit", unit),
        ("room", room),
    ):
        errors.flag(
            values.isna().to_numpy(),
            name,
            col["address"] if name != "room" else None,
            "missing (no column, and the address does not say)",
        )
    building_no = building_keys(building.astype(object), labels, errors)
    unit_no = _number(unit.astype(object), errors, "unit", 1, 99)
    # 0201 and 201 are one room: digits-only rooms lose their leading zeros.
    room = by_value(room, lambda r: _room(str(r)))
    errors.flag((room.fillna("").str.len() > 16).to_numpy(), "room", room, "longer than 16")
    number = col["household_no"]
    errors.flag(
        (number.fillna("").str.len() > HOUSEHOLD_NO_MAX).to_numpy(),
        "household_no",
        number,
        f"longer than {HOUSEHOLD_NO_MAX}",
    )
    persons = (
        _number(col["persons"], errors, "persons", 1, MAX_PERSONS)
        if "persons" in fields
        else pd.Series([1] * len(chunk), index=chunk.index)
    )
    volunteer = by_value(col["volunteer"], lambda v: str(v).strip().lower()).fillna("")
    errors.flag(
        (~volunteer.isin(TRUE | FALSE)).to_numpy(),
        "volunteer",
        col["volunteer"],
        "say 是/否, yes/no, true/false or 1/0",
    )
    phone = phones(col["phone"], errors, state.flags)
    registered = dates(col["registered_on"], errors, "registered_on")
    unit_id, at_unit = _place(compound, community, building_no, unit_no, homes, errors)
    split = _split(unit_id, room, number, col["head_name"], state, errors)
    lon, lat = point_coordinates(chunk, col, crs, homes.bounds, errors)
    placed = ~np.isfinite(lon)
    lon = np.where(placed, at_unit[:, 0], lon)
    lat = np.where(placed, at_unit[:, 1], lat)
    good = ~errors.bad
    state.unit_placed += int((placed & good).sum())
    need = good & col["address"].isna().to_numpy()
    written = _written(compound, building_no, unit_no, room, need)
    address = col["address"].where(col["address"].notna(), pd.Series(written, dtype=object))
    frame = gpd.GeoDataFrame(
        {
            "_row": chunk["_row"].to_numpy()[good],
            "unit_id": unit_id[good],
            "room": room.to_numpy()[good],
            "household_no": split.to_numpy()[good],
            "persons": persons.to_numpy()[good].astype(np.int64),
            "address": address.to_numpy()[good],
            "volunteer": volunteer.isin(TRUE).to_numpy()[good],
            "head_name": col["head_name"].to_numpy()[good],
            "phone": phone.to_numpy()[good],
            "registered_on": registered.to_numpy()[good],
            "remarks": col["remarks"].to_numpy()[good],
            "_located": ~placed[good],
        },
        geometry=shapely.points(lon[good], lat[good]),
        crs=4326,
    )
    return Checked(frame, errors.rejects, [])


def _prefix(compound: str, building: int | str, unit: int) -> str:
    """The written address of a unit, as the address parser reads it back."""
    number, label = (None, building) if isinstance(building, str) else (building, None)
    try:
        return address_prefix(None, compound, number, unit, label)
    except InvalidInputError:  # a name no written form reads back: say it plainly
        return f"{compound} {building}号楼{unit}单元"


def _written(
    compound: pd.Series, building: pd.Series, unit: pd.Series, room: pd.Series, need: np.ndarray
) -> np.ndarray:
    """The address of each ``need`` row (the file gives none, the row landed): one
    gridgov's own lookup reads back. Each unit's prefix is written once."""
    out = np.full(len(need), None, dtype=object)
    rows = np.flatnonzero(need)
    if not len(rows):
        return out
    parts = pd.DataFrame(
        {"c": compound.to_numpy()[rows], "b": building.to_numpy()[rows], "u": unit.to_numpy()[rows]}
    )
    unit_of = parts.groupby(["c", "b", "u"], sort=False).ngroup().to_numpy()
    first = np.unique(unit_of, return_index=True)[1]  # each unit's first row, in unit order
    prefixes = np.array(
        [
            _prefix(c, b if isinstance(b, str) else int(b), int(u))
            for c, b, u in parts.iloc[first].itertuples(index=False)
        ],
        dtype=object,
    )
    out[rows] = prefixes[unit_of] + room.to_numpy()[rows].astype(object) + "室"
    return out
