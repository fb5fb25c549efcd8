"""Load a generated city into the store, replacing whatever city was there."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, text

from geo_api.auth.kept import keys_kept
from geo_api.db.bulk import bulk_load, copy_frame, reset_sequence
from geo_api.demo.activities import load_service
from geo_api.demo.city import City
from geo_api.demo.party import plant_party
from geo_api.generations.store import reset as reset_generations
from geo_api.network.build import rebuild

# (attribute of City, table, columns), parents before children.
LAYERS: list[tuple[str, str, list[str]]] = [
    ("streets", "street", ["id", "code", "name", "geom"]),
    ("communities", "community", ["id", "code", "name", "street_id", "geom"]),
    ("grids", "grid", ["id", "code", "name", "community_id", "geom"]),
    ("compounds", "compound", ["id", "code", "name", "grid_id", "community_id", "geom"]),
    ("buildings", "building", ["id", "compound_id", "number", "floors", "geom"]),
    ("units", "unit", ["id", "building_id", "number", "geom"]),
    (
        "households",
        "household",
        ["id", "unit_id", "room", "persons", "address", "volunteer", "geom"],
    ),
    (
        "heads",
        "head",
        [
            "id",
            "role",
            "name",
            "phone",
            "household_id",
            "compound_id",
            "building_id",
            "unit_id",
            "capacity",
            "max_capacity",
        ],
    ),
    (
        "stations",
        "station",
        ["id", "tier", "name", "street_id", "community_id", "floor_area_m2", "hours", "geom"],
    ),
    (
        "members",
        "member",
        [
            "id",
            "name",
            "phone",
            "community_id",
            "household_id",
            "address",
            "placed_by",
            "registered_on",
            "geom",
        ],
    ),
    ("grid_officers", "grid_officer", ["id", "name", "phone", "community_id", "grid_id"]),
    ("roads", "road", ["id", "ref", "name", "kind", "geom"]),
    ("gates", "compound_gate", ["id", "compound_id", "name", "geom"]),
]
CITY_TABLES = [table for _, table, _ in LAYERS] + [
    "assignment",
    "place_cover",
    "assignment_run",
    "road_vertex",
    "road_edge",
    "network_entry",
    "service_area",
    "activity",
    "points_entry",
]


def load_city(
    engine: Engine, city: City, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Replace the store's city with ``city`` in one transaction; rows loaded per table.
    API keys and the audit log are kept (geo_api.auth.kept)."""
    loaded: dict[str, int] = {}
    # The cascade reaches officers' keys (and so every key and the audit log): they
    # are kept aside and put back, officers' keys following their area by code.
    with engine.begin() as conn, keys_kept(conn):
        bulk_load(conn)  # a crash loses the whole load, never part of it
        conn.execute(text(f"TRUNCATE {', '.join(CITY_TABLES)} RESTART IDENTITY CASCADE"))
        reset_generations(conn)  # a new city: its boundaries are one generation, from today
        for attribute, table, columns in LAYERS:
            loaded[table] = copy_frame(conn, table, getattr(city, attribute), columns)
            reset_sequence(conn, table)
            if progress:
                progress(table, loaded[table])
        if city.service is not None:
            for table, rows in load_service(conn, city.service).items():
                loaded[table] = rows
                if progress:
                    progress(table, rows)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    with engine.begin() as conn:
        rebuild(conn)
        if progress:
            progress("walking network", loaded["road"])
    with engine.begin() as conn:
        loaded.update(plant_party(conn))
    return loaded
