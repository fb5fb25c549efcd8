"""Export every layer to GeoPackage or GeoJSON with GDAL (pyogrio).

Exports carry no personal data: heads and members are exported without names
or phone numbers, households without their address.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pyogrio
from sqlalchemy import Connection, text

from geo_api.errors import InvalidInputError
from geo_api.gaps.finder import find_gaps

FORMATS = {"gpkg": "GPKG", "geojson": "GeoJSON"}

LAYER_SQL: dict[str, str] = {
    "streets": "SELECT id, code, name, geom FROM street ORDER BY id",
    "communities": "SELECT id, code, name, street_id, geom FROM community ORDER BY id",
    "grids": "SELECT id, code, name, community_id, geom FROM grid ORDER BY id",
    "compounds": "SELECT id, code, name, grid_id, community_id, geom FROM compound ORDER BY id",
    "buildings": "SELECT id, compound_id, number, floors, geom FROM building ORDER BY id",
    "units": "SELECT id, building_id, number, geom FROM unit ORDER BY id",
    "households": """
        SELECT h.id, h.unit_id, h.room, h.persons, a.head_id, a.reason, a.distance_m, h.geom
        FROM household h LEFT JOIN assignment a ON a.household_id = h.id AND a.valid_to IS NULL
        ORDER BY h.id""",
    "heads": """
        SELECT hd.id, hd.role, hd.compound_id, hd.building_id, hd.unit_id, hd.capacity,
               hd.max_capacity,
               (SELECT count(*) FROM assignment a
                WHERE a.head_id = hd.id AND a.valid_to IS NULL)::int AS load,
               home.geom
        FROM head hd JOIN household home ON home.id = hd.household_id ORDER BY hd.id""",
    "stations": """
        SELECT id, tier, name, street_id, community_id, floor_area_m2, hours, geom
        FROM station ORDER BY id""",
    "members": """
        SELECT id, community_id, household_id, registered_on, geom FROM member ORDER BY id""",
}
LAYER_NAMES = [*LAYER_SQL, "gaps"]


def read_layer(conn: Connection, name: str) -> gpd.GeoDataFrame:
    """One layer of the store as a GeoDataFrame in EPSG:4326."""
    if name == "gaps":
        return find_gaps(conn)
    frame = gpd.read_postgis(text(LAYER_SQL[name]), conn, geom_col="geom", crs=4326)
    return frame.rename_geometry("geometry")


def export_layers(
    conn: Connection,
    fmt: str,
    out: Path,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Write every layer to ``out``: one GeoPackage file, or a folder of GeoJSON files."""
    if fmt not in FORMATS:
        raise InvalidInputError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "gpkg":
        if out.suffix.lower() != ".gpkg":
            raise InvalidInputError(f"a GeoPackage export needs a .gpkg path, not {out}")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.unlink(missing_ok=True)
    else:
        out.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    for name in LAYER_NAMES:
        frame = read_layer(conn, name)
        if fmt == "gpkg":
            pyogrio.write_dataframe(frame, out, layer=name, driver="GPKG")
        else:
            target = out / f"{name}.geojson"
            target.unlink(missing_ok=True)
            pyogrio.write_dataframe(frame, target, driver="GeoJSON")
        written[name] = len(frame)
        if progress:
            progress(name, len(frame))
    return written
