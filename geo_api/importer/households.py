"""Households from registers: placed in a unit by their address or by columns.

A row names its home either by columns (compound, building, unit, room) or by a
written address ("浍滨街道水岸明珠小区3号楼2单元501室", "水岸明珠3-2-501"),
parsed by geo_api.address; columns win where both are given. The compound is
matched by name (within the row's community when it names one); a name that
matches no compound exactly is rejected with the closest candidates. A row
with no coordinates is placed at its unit. Rows are upserted on (unit, room).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, text

from geo_api.address import compound_key, match_address, parse_address
from geo_api.importer.checks import Checked, RowErrors, text_column
from geo_api.importer.coords import SourceCRS

UNITS_SQL = """
SELECT u.id, u.number AS unit, b.number AS building, cp.id AS compound_id, cp.name AS compound,
       cm.name AS community, ST_X(ST_PointOnSurface(u.geom)) AS lon,
       ST_Y(ST_PointOnSurface(u.geom)) AS lat
FROM unit u JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
JOIN community cm ON cm.id = cp.community_id
"""
TRUE = {"1", "true", "yes", "y", "是", "t", "√"}
FALSE = {"0", "false", "no", "n", "否", "f", ""}
MAX_PERSONS = 30
MARGIN = 0.05  # degrees (about 5 km) around the streets' extent: still the city


Bounds = tuple[float, float, float, float]  # west, south, east, north in degrees


def city_bounds(conn: Connection) -> Bounds | None:
    """The extent of the city's streets, within which imported points must lie."""
    box = conn.execute(
        text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
            "FROM (SELECT ST_Extent(geom) AS e FROM street) s"
        )
    ).one()
    if box[0] is None:
        return None
    return float(box[0]), float(box[1]), float(box[2]), float(box[3])


@dataclass
class Homes:
    """The store's compounds and units, indexed for placing rows."""

    compounds: dict[str, list[tuple[int, str]]]  # key -> [(compound id, community name)]
    names: list[str]  # every compound name, for candidates
    units: dict[tuple[int, int, int], tuple[int, float, float]]  # (compound, bldg, unit) -> …
    bounds: Bounds | None = None

    @classmethod
    def load(cls, conn: Connection) -> Homes:
        homes = cls({}, [], {})
        for row in conn.execute(text(UNITS_SQL)):
            key = compound_key(row.compound)
            entry = (int(row.compound_id), str(row.community))
            if entry not in homes.compounds.setdefault(key, []):
                homes.compounds[key].append(entry)
                homes.names.append(row.compound)
            homes.units[(int(row.compound_id), int(row.building), int(row.unit))] = (
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
    return str(int(text)) if text.isdigit() else text


def _number(values: pd.Series, errors: RowErrors, name: str, low: int, high: int) -> pd.Series:
    """Whole numbers from text (Chinese numerals too); others rejected."""
    from geo_api.address import parse_number

    # Digits the fast way; Chinese numerals and odd text one by one.
    fast = pd.to_numeric(values.where(values.astype(str).str.isdigit()), errors="coerce")
    parsed = fast.astype(object).where(fast.notna(), None)
    slow = (values.notna() & fast.isna()).to_numpy()
    if slow.any():
        parsed[slow] = [parse_number(str(v)) for v in values[slow]]
    errors.flag((values.notna() & parsed.isna()).to_numpy(), name, values, "not a whole number")
    out_of_range = parsed.notna() & ~parsed.fillna(low).between(low, high)
    errors.flag(out_of_range.to_numpy(), name, values, f"must be {low} to {high}")
    return parsed


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
    compound_id = np.array([resolved.get(p, (None, ""))[0] or -1 for p in pairs], dtype=np.int64)
    reasons = pd.Series([resolved.get(p, (None, ""))[1] for p in pairs], dtype=object)
    for why in set(reasons[compound_id < 0]) - {""}:
        errors.flag(np.asarray((compound_id < 0) & (reasons == why)), "compound", compound, why)
    unit_id = np.full(n, -1, dtype=np.int64)
    at_unit = np.zeros((n, 2))
    keys = zip(compound_id.tolist(), building.tolist(), unit.tolist(), strict=True)
    found = [
        homes.units.get((c, int(b), int(u))) if c >= 0 and b is not None and u is not None else None
        for c, b, u in keys
    ]
    missing = np.array([f is None for f in found]) & ~errors.bad
    shown = compound.astype(str) + " " + building.astype(str) + "号楼" + unit.astype(str) + "单元"
    errors.flag(missing, "unit", shown, "no such building and unit in the store: import them first")
    for k in np.flatnonzero(~errors.bad).tolist():
        hit = found[k]
        assert hit is not None
        unit_id[k], at_unit[k] = hit[0], hit[1:]
    return unit_id, at_unit


def _no_twice(
    unit_id: np.ndarray, room: pd.Series, seen: dict[tuple[int, str], int], errors: RowErrors
) -> None:
    """Reject a home named twice in the file, naming the first row."""
    twice: dict[int, list[int]] = {}  # first row -> the rows repeating it
    for k, key in enumerate(zip(unit_id.tolist(), room.tolist(), strict=True)):
        if errors.bad[k]:
            continue
        if key in seen:
            twice.setdefault(seen[key], []).append(k)
        else:
            seen[key] = int(errors.rows[k])
    for first, rows in twice.items():
        mask = np.zeros(len(unit_id), dtype=bool)
        mask[rows] = True
        errors.flag(mask, "room", room, f"the same home as row {first}")


def check_households(
    chunk: pd.DataFrame,
    fields: dict[str, str],
    crs: SourceCRS | None,
    homes: Homes,
    seen: dict[tuple[int, str], int],
) -> Checked:
    """Check one chunk of households; ``seen`` ((unit, room) -> row) spans the file."""
    errors = RowErrors(chunk["_row"])
    notes: list[str] = []
    col = {
        f: text_column(chunk, fields.get(f))
        for f in (
            "address",
            "community",
            "compound",
            "building",
            "unit",
            "room",
            "persons",
            "volunteer",
            "lon",
            "lat",
        )
    }
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
    building_no = _number(building.astype(object), errors, "building", 1, 999)
    unit_no = _number(unit.astype(object), errors, "unit", 1, 99)
    # 0201 and 201 are one room: digits-only rooms lose their leading zeros.
    room = room.map(lambda r: None if r is None else _room(str(r)))
    errors.flag((room.fillna("").str.len() > 16).to_numpy(), "room", room, "longer than 16")
    persons = (
        _number(col["persons"], errors, "persons", 1, MAX_PERSONS)
        if "persons" in fields
        else pd.Series([1] * len(chunk), index=chunk.index)
    )
    volunteer = col["volunteer"].map(lambda v: "" if v is None else str(v).strip().lower())
    errors.flag(
        (~volunteer.isin(TRUE | FALSE)).to_numpy(),
        "volunteer",
        col["volunteer"],
        "say 是/否, yes/no, true/false or 1/0",
    )
    unit_id, at_unit = _place(compound, community, building_no, unit_no, homes, errors)
    _no_twice(unit_id, room, seen, errors)
    lon, lat = point_coordinates(chunk, col, crs, homes.bounds, errors)
    placed = ~np.isfinite(lon)
    lon = np.where(placed, at_unit[:, 0], lon)
    lat = np.where(placed, at_unit[:, 1], lat)
    good = ~errors.bad
    if (placed & good).any():
        notes.append(
            f"{int((placed & good).sum())} households had no coordinates: placed at their unit"
        )
    address = col["address"].where(
        col["address"].notna(),
        compound.astype(str)
        + building_no.astype(str)
        + "号楼"
        + unit_no.astype(str)
        + "单元"
        + room.astype(str)
        + "室",
    )
    frame = gpd.GeoDataFrame(
        {
            "_row": chunk["_row"].to_numpy()[good],
            "unit_id": unit_id[good],
            "room": room.to_numpy()[good],
            "persons": persons.to_numpy()[good].astype(np.int64),
            "address": address.to_numpy()[good],
            "volunteer": volunteer.isin(TRUE).to_numpy()[good],
            "_located": ~placed[good],
        },
        geometry=shapely.points(lon[good], lat[good]),
        crs=4326,
    )
    return Checked(frame, errors.rejects, notes)


def point_coordinates(
    chunk: pd.DataFrame,
    col: dict[str, pd.Series],
    crs: SourceCRS | None,
    bounds: Bounds | None,
    errors: RowErrors,
) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 lon/lat of each row (NaN where the row gives none); bad ones, and those
    beyond ``bounds`` (the city), rejected."""
    n = len(chunk)
    if "geometry" in chunk:
        geoms = chunk["geometry"].to_numpy()
        has = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        x = np.full(n, np.nan)
        y = np.full(n, np.nan)
        x[has], y[has] = shapely.get_x(geoms[has]), shapely.get_y(geoms[has])
    else:
        x = pd.to_numeric(col["lon"], errors="coerce").to_numpy(dtype=float)
        y = pd.to_numeric(col["lat"], errors="coerce").to_numpy(dtype=float)
        errors.flag(col["lon"].notna().to_numpy() & np.isnan(x), "lon", col["lon"], "not a number")
        errors.flag(col["lat"].notna().to_numpy() & np.isnan(y), "lat", col["lat"], "not a number")
    given = np.isfinite(x) & np.isfinite(y)
    half = np.isfinite(x) ^ np.isfinite(y)
    errors.flag(half, "lon/lat", None, "give both longitude and latitude, or neither")
    if not given.any() or crs is None:
        return np.full(n, np.nan), np.full(n, np.nan)
    shown = pd.Series([f"{a:g}, {b:g}" for a, b in zip(x, y, strict=True)])
    if crs.degrees:
        swapped = given & (np.abs(x - 28.5) <= 25.5) & (np.abs(y - 104.5) <= 31.5)
        errors.flag(swapped, "lon/lat", shown, "latitude and longitude swapped")
        projected = given & ((np.abs(x) > 180) | (np.abs(y) > 90))
        errors.flag(
            projected,
            "lon/lat",
            shown,
            f"metres, not degrees: the file is not in {crs.name} (say --crs, e.g. EPSG:4546)",
        )
    given &= ~errors.bad
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    lon[given], lat[given] = crs.to_lonlat(x[given], y[given])
    if bounds is not None:
        west, south, east, north = bounds
        far = given & (
            (lon < west - MARGIN)
            | (lon > east + MARGIN)
            | (lat < south - MARGIN)
            | (lat > north + MARGIN)
        )
        errors.flag(far, "lon/lat", shown, "outside the city")
    return lon, lat
