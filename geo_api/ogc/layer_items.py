"""Items of a store layer, filtered and paged in SQL.

A layer's query (geo_api.catalogue.layers) is wrapped: property filters, the
bbox (ST_Intersects with an envelope, which the spatial index answers) and a
CQL2 filter (geo_api.ogc.filtering) become WHERE clauses, ANDed with the
caller's area; paging is LIMIT/OFFSET over the layer's key (or over ``sortby``
then the key), and PostGIS writes the GeoJSON geometry in the CRS asked for.
Households have a million rows in big cities: nothing here reads a whole layer
into Python.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from geo_api.catalogue.columns import (
    BOOLEAN_TYPES,
    INTEGER_TYPES,
    NUMBER_TYPES,
    Column,
    columns,
    quoted,
)
from geo_api.catalogue.layers import Layer
from geo_api.catalogue.scope import Area, where
from geo_api.errors import InvalidInputError, NotFoundError
from geo_api.ogc.crs import Bbox, Crs, geometry_sql
from geo_api.ogc.filtering.compile import column_of, compile_filter
from geo_api.ogc.filtering.parse import parse_properties, parse_sortby
from geo_api.ogc.filtering.queryables import Queryables, layer_queryables
from geo_api.ogc.query import (
    ItemQuery,
    Page,
    after_values,
    check_filters,
    feature_id,
    split_id,
)

BOUNDS = "ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)"
# A filtered page whose filter matches fewer rows than this finds them all, then sorts
# them; more (a filter that holds for much of the layer), and walking the key's index
# in order finds a page's worth sooner.
FIND_FIRST_BELOW = 100_000
MATCHED = "gg_matched"  # the window's count, beside a page's row
# For a page over a filter's few rows, for its transaction only. Costed for spinning
# disks (random_page_cost 4), reaching the found rows' joined tables (a household's
# head) by index looked dearer than reading them whole: a hash join over every
# assignment, 120 ms for 438 rows where index lookups take 2 ms; the store is cached
# in memory. And PostGIS's costly spatial functions tempt the planner into a parallel
# scan, whose worker takes 20 ms to start for 3 ms of work (at 1,000,000 households).
FEW_ROWS_SQL = text(
    "SELECT set_config('random_page_cost', '1.1', true), "
    "set_config('max_parallel_workers_per_gather', '0', true)"
)


def _estimate(conn: Connection, source: str, params: dict[str, Any]) -> float:
    """The planner's estimate of the rows of ``source`` (planning only, no rows read)."""
    plan = conn.execute(text(f"EXPLAIN (FORMAT JSON) SELECT 1 {source}"), params).scalar_one()
    rows: float = plan[0]["Plan"]["Plan Rows"]
    return rows


def _filter_value(column: Column, value: str) -> Any:
    """A filter's text as the column's type, or a message naming the property."""
    try:
        if column.type_oid in INTEGER_TYPES:
            return int(value)
        if column.type_oid in NUMBER_TYPES:
            return float(value)
    except ValueError:
        raise InvalidInputError(f"property {column.name!r} takes a number, not {value!r}") from None
    if column.type_oid in BOOLEAN_TYPES:
        if value.lower() not in ("true", "false"):
            raise InvalidInputError(f"property {column.name!r} takes true or false, not {value!r}")
        return value.lower() == "true"
    return value


def _where(
    layer: Layer,
    cols: list[Column],
    query: ItemQuery,
    area: Area | None,
    queryables: Queryables,
) -> tuple[str, dict[str, Any]]:
    """The WHERE clause and its bound values for property filters, a bbox, a CQL2
    filter and the caller's area (always ANDed: no filter reaches outside it)."""
    filters, bbox = query.filters, query.bbox
    check_filters(layer.name, filters, [c.name for c in cols])
    by_name = {c.name: c for c in cols}
    scope, params = where(layer, area)
    clauses = [scope]
    if query.filter is not None:
        condition = compile_filter(query.filter, queryables)
        clauses.append(f"({condition.sql})")
        params = {**params, **condition.params}
    for i, (name, value) in enumerate(sorted(filters.items())):
        column = by_name[name]
        typed = _filter_value(column, value)
        # Text and enum columns compare as text, so any value is a fair question.
        target = f"l.{quoted(name)}" if not isinstance(typed, str) else f"l.{quoted(name)}::text"
        clauses.append(f"{target} = :f{i}")
        params[f"f{i}"] = typed
    if bbox is not None:
        clauses.append("ST_Intersects(l.geom, ST_MakeEnvelope(:x1, :y1, :x2, :y2, 4326))")
        params.update(zip(("x1", "y1", "x2", "y2"), bbox, strict=True))
    return " AND ".join(clauses), params


def _select(layer: Layer, cols: list[Column], crs: Crs) -> str:
    props = ", ".join(f"'{c.name}', l.{quoted(c.name)}" for c in cols)
    geometry = geometry_sql("l.geom", crs)
    return f"SELECT json_build_object({props}) AS properties, {geometry} AS geometry"


def _feature(layer: Layer, row: Any, chosen: tuple[str, ...] | None = None) -> dict[str, Any]:
    """A row as a GeoJSON feature; with ``chosen``, only those properties (the key
    columns were read for the id)."""
    properties: dict[str, Any] = row.properties
    fid = feature_id([properties[k] for k in layer.key])
    if chosen is not None:
        properties = {k: v for k, v in properties.items() if k in chosen}
    return {"type": "Feature", "id": fid, "geometry": row.geometry, "properties": properties}


def _order(layer: Layer, query: ItemQuery, queryables: Queryables) -> str:
    """ORDER BY: ``sortby``'s keys (text as text, whatever the column's type), then the
    layer's key, so that equal values still come in one order page after page."""
    keys = []
    for key in parse_sortby(query.sortby, queryables):
        found = queryables[key.name]
        sql = column_of(found) + ("::text" if found.kind == "string" else "")
        keys.append(f"{sql} {'DESC' if key.descending else 'ASC'} NULLS LAST")
    return ", ".join([*keys, *(f"l.{quoted(k)}" for k in layer.key)])


def _found_page(
    conn: Connection,
    layer: Layer,
    read: list[Column],
    chosen: tuple[str, ...] | None,
    query: ItemQuery,
    page: str,
    params: dict[str, Any],
    order: str,
    skip: int,
) -> Page | None:
    """A CQL2 filter's first page and its count in one scan, when it matches at most
    FIND_FIRST_BELOW rows (None when it matches more).

    The matches are found first, fenced by a LIMIT one past that bound, so that the
    planner does not walk the key's index in order testing each row (a filter whose
    rows lie late in that order read most of the layer: 32 ms instead of 8 at 100,000
    households). ``count(*) OVER ()`` counts them in the same scan, before the few are
    sorted and cut to the page: the count and the page read the same rows once."""
    conn.execute(FEW_ROWS_SQL)
    fence = f"FROM (SELECT l.* {page} LIMIT {FIND_FIRST_BELOW + 1}) AS l"
    counted = f"SELECT l.*, count(*) OVER () AS {MATCHED} {fence}"
    chosen_rows = f"{counted} ORDER BY {order} LIMIT :n OFFSET :skip"
    rows = conn.execute(
        text(
            f"{_select(layer, read, query.crs)}, l.{MATCHED} FROM ({chosen_rows}) AS l "
            f"ORDER BY {order}"
        ),
        {**params, "n": query.limit, "skip": skip},
    ).all()
    if rows:
        matched: int = rows[0]._mapping[MATCHED]
    elif skip == 0:
        matched = 0
    else:  # an offset past the matches: count them alone
        matched = conn.execute(text(f"SELECT count(*) {fence}"), params).scalar_one()
    if matched > FIND_FIRST_BELOW:  # many: the caller walks the key's index in order
        conn.execute(text("RESET random_page_cost"))
        conn.execute(text("RESET max_parallel_workers_per_gather"))
        return None
    return Page([_feature(layer, row, chosen) for row in rows], matched)


def layer_items(conn: Connection, layer: Layer, query: ItemQuery, area: Area | None = None) -> Page:
    """One page of the layer's features (those in ``area``, if given), and how many match
    (unless the page was reached by ``after``)."""
    cols = columns(conn, layer)
    queryables = layer_queryables(conn, layer)
    chosen = parse_properties(query.properties, queryables)
    condition, params = _where(layer, cols, query, area, queryables)
    source = f"FROM ({layer.sql}) AS l WHERE {condition}"
    key = ", ".join(f"l.{quoted(k)}" for k in layer.key)
    order = _order(layer, query, queryables)
    page = source
    skip = query.offset
    if query.after is not None:  # keyset paging: the key's index finds the start
        types: list[type] = [str if k in layer.text_keys else int for k in layer.key]
        values = after_values(layer.name, query.after, types)
        marks = ", ".join(f":a{i}" for i in range(len(values)))
        page = f"{source} AND ({key}) > ({marks})"
        params = {**params, **{f"a{i}": v for i, v in enumerate(values)}}
        skip = 0
    read = cols if chosen is None else [c for c in cols if c.name in chosen or c.name in layer.key]
    if query.filter is not None and query.after is None:
        found = _found_page(conn, layer, read, chosen, query, page, params, order, skip)
        if found is not None:
            return found
    elif query.filter is not None and _estimate(conn, page, params) <= FIND_FIRST_BELOW:
        # A later page of a filter's few rows, fenced as _found_page's are.
        page = f"FROM (SELECT l.* {page} OFFSET 0) AS l"
        conn.execute(FEW_ROWS_SQL)
    # The page's rows are chosen first, then written as JSON: written before the sort,
    # every match of a filter would be (13 ms for the 1,500 households of a 300 m box
    # at 1,000,000 households, where the page's 100 take 2).
    chosen_rows = f"SELECT l.* {page} ORDER BY {order} LIMIT :n OFFSET :skip"
    rows = conn.execute(
        text(f"{_select(layer, read, query.crs)} FROM ({chosen_rows}) AS l ORDER BY {order}"),
        {**params, "n": query.limit, "skip": skip},
    )
    features = [_feature(layer, row, chosen) for row in rows]
    matched: int | None = None
    if query.after is not None:
        pass  # counted on the first page
    elif query.offset == 0 and len(features) < query.limit:
        matched = len(features)  # the whole answer is on this page: no count needed
    else:
        counting = text(f"SELECT count(*) {_counted(layer, condition)}")
        matched = conn.execute(counting, params).scalar_one()
    return Page(features, matched)


def _counted(layer: Layer, condition: str) -> str:
    """FROM and WHERE for counting the layer's rows that meet ``condition``: over
    ``Layer.counted_sql`` (no joins) unless the condition reads a joined column."""
    if layer.counted_sql is None or any(f"l.{quoted(c)}" in condition for c in layer.joined):
        return f"FROM ({layer.sql}) AS l WHERE {condition}"
    return f"FROM ({layer.counted_sql}) AS l WHERE {condition}"


def layer_item(
    conn: Connection, layer: Layer, fid: str, crs: Crs, area: Area | None = None
) -> dict[str, Any]:
    """One feature by its id; NotFoundError names it when there is none, or when it
    lies outside ``area`` (so that its existence does not leak)."""
    types: list[type] = [str if k in layer.text_keys else int for k in layer.key]
    values = split_id(layer.name, fid, types)
    cols = columns(conn, layer)
    scope, params = where(layer, area)
    keys = " AND ".join(f"l.{quoted(k)} = :k{i}" for i, k in enumerate(layer.key))
    row = conn.execute(
        text(f"{_select(layer, cols, crs)} FROM ({layer.sql}) AS l WHERE {keys} AND {scope}"),
        {**params, **{f"k{i}": v for i, v in enumerate(values)}},
    ).first()
    if row is None:
        raise NotFoundError(f"collection {layer.name!r} has no feature {fid!r}")
    return _feature(layer, row)


def layer_extent(conn: Connection, layer: Layer, area: Area | None = None) -> Bbox | None:
    """The lon/lat bounds of the layer's geometries (in ``area``, if given; None when
    there are none). City-wide, a big layer's bounds are those of the table that
    encloses it (``Layer.bounded_by``): OGC asks for a box holding every feature,
    and recommends, not requires, the smallest."""
    scope, params = where(layer, area)
    # The layer's SQL is a constant of geo_api.catalogue; nothing here comes from a request.
    extent = f"SELECT ST_Extent(l.geom) AS e FROM ({layer.sql}) AS l WHERE {scope}"  # noqa: S608
    if area is None and layer.bounded_by is not None:
        extent = f"SELECT ST_Extent(geom) AS e FROM {layer.bounded_by}"  # noqa: S608
    row = conn.execute(text(f"SELECT {BOUNDS} FROM ({extent}) AS x"), params).one()  # noqa: S608
    return None if row[0] is None else (row[0], row[1], row[2], row[3])
