"""Export every layer to GeoPackage or GeoJSON with GDAL (pyogrio).

Exports carry no personal data: no names or phone numbers; households without
address or room; heads placed where they serve, not at home; members counted
per community.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pyogrio
from sqlalchemy import Connection, text

from geo_api.errors import InvalidInputError
from geo_api.gaps.finder import find_gaps
from geo_api.lookup.heads import HEAD_LOAD, HEAD_PLACE, HEAD_PLACE_JOINS

FORMATS = {"gpkg": "GPKG", "geojson": "GeoJSON"}

LAYER_SQL: dict[str, str] = {
    "streets": "SELECT id, code, name, geom FROM street ORDER BY id",
    "communities": "SELECT id, code, name, street_id, geom FROM community ORDER BY id",
    "grids": "SELECT id, code, name, community_id, geom FROM grid ORDER BY id",
    "compounds": "SELECT id, code, name, grid_id, community_id, geom FROM compound ORDER BY id",
    "buildings": "SELECT id, compound_id, number, floors, geom FROM building ORDER BY id",
    "units": "SELECT id, building_id, number, geom FROM unit ORDER BY id",
    "households": """
        SELECT h.id, h.unit_id, h.persons, a.head_id, a.reason, a.distance_m, h.geom
        FROM household h LEFT JOIN assignment a ON a.household_id = h.id AND a.valid_to IS NULL
        ORDER BY h.id""",
    # Heads are placed in the unit, building or compound they serve, not at home.
    "heads": f"""
        SELECT hd.id, hd.role, hd.compound_id, hd.building_id, hd.unit_id, hd.capacity,
               hd.max_capacity, hd.left_on, ({HEAD_LOAD})::int AS load, {HEAD_PLACE} AS geom
        FROM head_effective hd {HEAD_PLACE_JOINS} ORDER BY hd.id""",  # noqa: S608 - constant fragments
    "stations": """
        SELECT id, tier, name, street_id, community_id, floor_area_m2, hours, geom
        FROM station ORDER BY id""",
    "roads": "SELECT id, ref, name, kind, geom FROM road ORDER BY id",
    "gates": "SELECT id, compound_id, name, geom FROM compound_gate ORDER BY id",
    # Each station's ground within a walk of 300, 500 and 1,000 m, and the homes in it.
    "service_areas": """
        SELECT sa.station_id, s.name AS station, s.tier, sa.reach_m, sa.method,
               sa.households, sa.geom
        FROM service_area sa JOIN station s ON s.id = sa.station_id
        ORDER BY sa.station_id, sa.reach_m""",
    # Members as counts per community: a member's home would tie a person to the party.
    "members": """
        SELECT c.id AS community_id, c.code AS community_code, c.name AS community_name,
               count(m.id)::int AS members, c.geom
        FROM community c LEFT JOIN member m ON m.community_id = c.id
        GROUP BY c.id ORDER BY c.id""",
}
# Gaps are areas (units, buildings, compounds) or points (heads, stations): one
# geometry type per layer, as GIS tools expect.
GAP_LAYERS = {"gap_areas": ("Polygon", "MultiPolygon"), "gap_points": ("Point",)}
LAYER_NAMES = [*LAYER_SQL, *GAP_LAYERS]
# GeoPackage 1.2 opens in every GDAL and QGIS still in use (1.4 warns in GDAL < 3.8).
GPKG_OPTIONS = {"VERSION": "1.2"}


def read_layer(
    conn: Connection, name: str, gaps: gpd.GeoDataFrame | None = None
) -> gpd.GeoDataFrame:
    """One layer of the store as a GeoDataFrame in EPSG:4326 (gap layers are cut from
    ``gaps`` when the caller found them already)."""
    if name in GAP_LAYERS:
        gaps = find_gaps(conn) if gaps is None else gaps
        return gaps[gaps.geom_type.isin(GAP_LAYERS[name])].reset_index(drop=True)
    frame = gpd.read_postgis(text(LAYER_SQL[name]), conn, geom_col="geom", crs=4326)
    # Nullable references come back as floats; keep them integers in the file.
    for column in frame.columns:
        if column.endswith("_id") or column == "id":
            frame[column] = frame[column].astype("Int64")
    return frame.rename_geometry("geometry")


def check_target(fmt: str, out: Path) -> None:
    """Refuse an unknown format, or a GeoPackage path without .gpkg."""
    if fmt not in FORMATS:
        raise InvalidInputError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "gpkg" and out.suffix.lower() != ".gpkg":
        raise InvalidInputError(f"a GeoPackage export needs a .gpkg path, not {out}")


def export_layers(
    conn: Connection,
    fmt: str,
    out: Path,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Write every layer to ``out``: one GeoPackage file, or a folder of GeoJSON files."""
    check_target(fmt, out)
    if fmt == "gpkg":
        out.parent.mkdir(parents=True, exist_ok=True)
        out.unlink(missing_ok=True)
    else:
        out.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    gaps = find_gaps(conn)  # once, for both gap layers
    for name in LAYER_NAMES:
        frame = read_layer(conn, name, gaps)
        if fmt == "gpkg":
            pyogrio.write_dataframe(
                frame, out, layer=name, driver="GPKG", dataset_options=GPKG_OPTIONS
            )
        else:
            target = out / f"{name}.geojson"
            target.unlink(missing_ok=True)
            pyogrio.write_dataframe(frame, target, driver="GeoJSON")
        written[name] = len(frame)
        if progress:
            progress(name, len(frame))
    return written
