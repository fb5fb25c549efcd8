"""Any generation's areas as SQL: the same columns whichever generation is asked.

Each layer's areas come out as (id, code, name, parent_code, geom), parents named by
code since generations share codes, not ids. The current generation is the layer's
own table. An older generation G is the table's rows valid since G or before
(``generation_low <= G``) and the kept versions valid in G; a generation not yet
current is its imported versions for the layers it imported, the table for the
others. Each branch is a plain table scan the planner can push a spatial filter into,
so a point finds its areas through the GiST indexes whichever generation is asked.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo_api.errors import InvalidInputError
from geo_api.generations.store import Generation
from geo_api.importer.upsert import SNAP_DEGREES

# SQL here and in this folder is built from the fixed names of AREAS (tables, columns)
# and constant fragments; every value is a bound parameter.


@dataclass(frozen=True)
class AreaTable:
    """One area layer: its table, the importer's name for it, its parent."""

    table: str
    layer: str
    parent: str | None
    parent_column: str | None


AREAS = (
    AreaTable("street", "streets", None, None),
    AreaTable("community", "communities", "street", "street_id"),
    AreaTable("grid", "grids", "community", "community_id"),
    AreaTable("compound", "compounds", "grid", "grid_id"),
)
BY_TABLE = {a.table: a for a in AREAS}
BY_LAYER = {a.layer: a for a in AREAS}


def area_layer(layer: str) -> AreaTable:
    """The area layer an import names; other layers have no generations."""
    found = BY_LAYER.get(layer)
    if found is None:
        raise InvalidInputError(
            f"layer {layer!r} has no generations: only {', '.join(BY_LAYER)} do"
        )
    return found


def reshaped(a: str, b: str) -> str:
    """SQL true when outlines ``a`` and ``b`` differ by more than the importer's
    tolerance (a tenth of a millimetre: coordinates through 15 digits still match)."""
    return f"ST_SnapToGrid({a}, {SNAP_DEGREES}) IS DISTINCT FROM ST_SnapToGrid({b}, {SNAP_DEGREES})"


def live_sql(area: AreaTable) -> str:
    """The layer's table with its parents' codes and each row's first generation. The
    parent's code is a scalar subquery, not a join: the table stays a single-table
    branch whose spatial filter the planner pushes down to its GiST index."""
    parent = (
        "NULL::text"
        if area.parent is None
        else f"(SELECT p.code::text FROM {area.parent} p WHERE p.id = x.{area.parent_column})"  # noqa: S608
    )
    return (
        f"SELECT x.id, x.code, x.name, {parent} AS parent_code, x.geom, x.generation_low "  # noqa: S608
        f"FROM {area.table} x"
    )


def kept_sql(area: AreaTable, condition: str) -> str:
    """The layer's kept versions (v) meeting ``condition``."""
    return (
        "SELECT v.area_id AS id, v.code, v.name, v.parent_code, v.geom, v.generation_low "  # noqa: S608
        f"FROM area_version v WHERE v.layer = '{area.table}' AND {condition}"
    )


def valid_in_sql(area: AreaTable, generation: str) -> str:
    """``area``'s areas in the generation the SQL expression ``generation`` names, if
    it was ever current (the current one included: its areas are the table's rows,
    and no kept version reaches it)."""
    live = live_sql(area)
    kept = kept_sql(area, f"v.generation_low <= {generation} AND v.generation_high >= {generation}")
    return f"SELECT * FROM ({live}) l WHERE l.generation_low <= {generation} UNION ALL {kept}"  # noqa: S608


def areas_sql(
    area: AreaTable, generation: Generation | None, current_id: int, param: str = "gen"
) -> str:
    """A subquery of ``area``'s areas in ``generation`` (None or the current one: the
    table itself), whose id is bound as ``:param``."""
    if generation is None or generation.id == current_id:
        return live_sql(area)
    if generation.pending:
        if area.layer not in generation.layers:
            return live_sql(area)
        return kept_sql(area, f"v.generation_low = :{param}")
    return valid_in_sql(area, f":{param}")
