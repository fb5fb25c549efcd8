"""What area and cell layers share once their outlines are in WGS 84: areas in
square metres on the ellipsoid, repairs reported with their areas, slivers and
outlines beyond the city rejected, and parents found by location."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from pyproj import Geod
from sqlalchemy import Connection, text

from geo_api.importer.checks import RowErrors
from geo_api.importer.points import Bounds

GEOD = Geod(ellps="WGS84")
SHOWN_CHOICES = 5  # parents chosen by location, listed in a note
MIN_AREA_M2 = 1.0  # below this an outline is a sliver, not a place


def areas_m2(geoms: np.ndarray) -> np.ndarray:
    """Each lon/lat geometry's area in m² on the WGS 84 ellipsoid (0 for None)."""
    return np.array(
        [0.0 if g is None else abs(GEOD.geometry_area_perimeter(g)[0]) for g in geoms],
        dtype=float,
    )


def repair_notes(rows: np.ndarray, before: np.ndarray, after: np.ndarray) -> list[str]:
    """One note per repaired outline, with its area before and after make_valid."""
    return [
        f"row {int(r)}: invalid outline repaired with make_valid: {b:,.1f} m² before, "
        f"{a:,.1f} m² after"
        for r, b, a in zip(rows, before, after, strict=True)
    ]


def reject_unplaceable(
    lonlat: np.ndarray, errors: RowErrors, bounds: Bounds | None, source: str
) -> None:
    """Reject outlines of (almost) no area, and those wholly beyond the city."""
    live = ~errors.bad
    area = np.zeros(len(lonlat))
    area[live] = areas_m2(lonlat[live])
    shown = pd.Series([f"{a:.3g} m²" for a in area], dtype=object)
    errors.flag(
        live & (area < MIN_AREA_M2),
        "geometry",
        shown,
        f"a sliver of under {MIN_AREA_M2:g} m²: no place",
    )
    if bounds is None:
        return
    live = ~errors.bad
    away = np.zeros(len(lonlat), dtype=bool)
    away[live] = ~shapely.intersects(lonlat[live], bounds.box())
    where = pd.Series([None if g is None else _at(g) for g in lonlat], dtype=object)
    errors.flag(
        away, "geometry", where, f"outside the city ({bounds.describe()}): is the file in {source}?"
    )


def _at(geom: shapely.Geometry) -> str:
    point = shapely.point_on_surface(geom)
    return f"lands at lon {point.x:.5f}, lat {point.y:.5f}"


@dataclass(frozen=True)
class Found:
    """A parent found by location: its id, code and (for grids) community."""

    id: int
    code: str
    community_id: int | None


# What identifies a parent found by location, per table, as a user reads it.
_LABEL = {
    "street": "code",
    "community": "code",
    "grid": "code",
    "compound": "code",
    "building": "(SELECT code FROM compound c WHERE c.id = compound_id) || ' ' || number || '号楼'",
}


def parents_at(conn: Connection, table: str, geoms: np.ndarray) -> list[Found | None]:
    """For each lon/lat outline, the row of ``table`` its point on surface lies in (the
    lowest id where rows overlap), or None where it lies in none."""
    if len(geoms) == 0:
        return []
    points = shapely.to_wkb(shapely.point_on_surface(geoms), hex=True)
    community = "community_id" if table == "grid" else "NULL::int"
    sql = text(
        "SELECT k.i, p.id, p.label, p.community_id "  # noqa: S608 - table names from _LABEL
        "FROM unnest(CAST(:points AS text[])) WITH ORDINALITY AS k(wkb, i) "
        f"JOIN LATERAL (SELECT id, {_LABEL[table]} AS label, {community} AS community_id "
        f"FROM {table} "
        "WHERE ST_Intersects(geom, ST_SetSRID(ST_GeomFromWKB(decode(k.wkb, 'hex')), 4326)) "
        "ORDER BY id LIMIT 1) p ON true"
    )
    found: list[Found | None] = [None] * len(geoms)
    for i, pid, label, comm in conn.execute(sql, {"points": list(points)}):
        found[int(i) - 1] = Found(int(pid), str(label), None if comm is None else int(comm))
    return found


def placed_note(what: str, placed: list[str]) -> list[str]:
    """One note for the rows whose parent was found by location ("row 3 → 1410…"), the
    first few listed: "N <what> (row 3 → …; …; and M more)"."""
    if not placed:
        return []
    shown = "; ".join(placed[:SHOWN_CHOICES])
    more = len(placed) - SHOWN_CHOICES
    return [f"{len(placed)} {what} ({shown}{f'; and {more} more' if more > 0 else ''})"]
