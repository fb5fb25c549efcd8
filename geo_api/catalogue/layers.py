"""The layers gridgov publishes, each one SQL query over the store.

Exports (geo_api.export) and the OGC API (geo_api.ogc) both read these, so a
layer is defined once. No layer carries personal data: no names or phone
numbers; households without address or room; heads placed where they serve,
not at home; members counted per community.

Each query has no ORDER BY: callers order by the layer's key, so that a query
wrapped in filters and LIMIT/OFFSET can still use the tables' indexes. Each
states which of its rows lie in an officer's area (geo_api.catalogue.scope).
"""

from __future__ import annotations

from dataclasses import dataclass

from geo_api.lookup.heads import HEAD_LOAD, HEAD_PLACE, HEAD_PLACE_JOINS


@dataclass(frozen=True)
class Layer:
    """One published layer: its geometry type, its SQL (with a ``geom`` column in
    EPSG:4326) and its key."""

    name: str
    title_zh: str
    title_en: str
    # GDAL's name of the type every geometry has: GIS files declare one per layer,
    # and an empty layer has no rows to tell it from.
    geometry: str
    sql: str
    # Columns that name one row, in order; integers unless listed in ``text_keys``.
    key: tuple[str, ...] = ("id",)
    text_keys: tuple[str, ...] = ()
    # The rows an officer sees: a condition over the layer's row ``l`` written with
    # geo_api.catalogue.scope's placeholders; None shows officers nothing.
    scope: str | None = None
    # A table whose geometries enclose the layer's, for the city-wide extent the OGC
    # API reports: read from a few thousand units or compounds instead of the layer
    # itself (a million households with their assignments took 1.4 s). None: the
    # layer's own extent, for layers that are small or are their own table.
    bounded_by: str | None = None
    # The layer's rows without the joins that cannot add or drop one, and the columns
    # those joins bring: counting numberMatched reads this instead, unless a filter
    # asks about a joined column (a million households counted with their current
    # assignment joined took 800 ms, alone 150). None: count the layer's own SQL.
    counted_sql: str | None = None
    joined: tuple[str, ...] = ()

    def ordered_sql(self) -> str:
        """The query ordered by its key, as exports write it."""
        return f"{self.sql} ORDER BY {', '.join(self.key)}"


LAYERS: tuple[Layer, ...] = (
    Layer(
        "streets",
        "街道",
        "Streets",
        "MultiPolygon",
        "SELECT id, code, name, geom FROM street",
        scope="l.id = ANY(ARRAY({street}))",
    ),
    Layer(
        "communities",
        "社区",
        "Communities",
        "MultiPolygon",
        "SELECT id, code, name, street_id, geom FROM community",
        scope="l.id = :area_community",
    ),
    Layer(
        "grids",
        "网格",
        "Grids",
        "MultiPolygon",
        "SELECT id, code, name, community_id, geom FROM grid",
        scope="l.id = ANY(ARRAY({grids}))",
    ),
    Layer(
        "compounds",
        "小区",
        "Compounds",
        "Polygon",
        "SELECT id, code, name, grid_id, community_id, geom FROM compound",
        scope="l.id = ANY(ARRAY({compounds}))",
    ),
    Layer(
        "buildings",
        "楼栋",
        "Buildings",
        "Polygon",
        "SELECT id, compound_id, number, floors, geom FROM building",
        scope="l.compound_id = ANY(ARRAY({compounds}))",
    ),
    Layer(
        "units",
        "单元",
        "Units",
        "Polygon",
        "SELECT id, building_id, number, geom FROM unit",
        scope="l.building_id = ANY(ARRAY({buildings}))",
    ),
    Layer(
        "households",
        "户",
        "Households (no names, addresses or rooms)",
        "Point",
        """
        SELECT h.id, h.unit_id, h.persons, a.head_id, a.reason, a.distance_m, h.geom
        FROM household h
        LEFT JOIN assignment a ON a.household_id = h.id AND a.valid_to IS NULL
        WHERE h.ended_on IS NULL""",
        scope="l.unit_id = ANY(ARRAY({units}))",
        bounded_by="unit",  # a household is in its unit
        # A household has at most one current assignment (the partial unique index
        # uq_assignment_current_household), and the join is LEFT: it keeps every row.
        counted_sql="SELECT h.id, h.unit_id, h.persons, h.geom FROM household h "
        "WHERE h.ended_on IS NULL",
        joined=("head_id", "reason", "distance_m"),
    ),
    # Heads are placed in the unit, building or compound they serve, not at home.
    Layer(
        "heads",
        "三长",
        "Compound, building and unit heads (placed where they serve)",
        "Point",
        f"""
        SELECT hd.id, hd.role, hd.compound_id, hd.building_id, hd.unit_id, hd.capacity,
               hd.max_capacity, hd.left_on, ({HEAD_LOAD})::int AS load, {HEAD_PLACE} AS geom
        FROM head_effective hd {HEAD_PLACE_JOINS}""",  # noqa: S608 - constant fragments
        # A head serves one place: their compound, building or unit.
        scope="""l.compound_id = ANY(ARRAY({compounds}))
                 OR l.building_id = ANY(ARRAY({buildings}))
                 OR l.unit_id = ANY(ARRAY({units}))""",
        bounded_by="compound",  # placed inside the place they serve
    ),
    # Grid officers serving now, placed in their own grid (else their community), with
    # how many grids they cover; names and phones only in exports with people.
    Layer(
        "officers",
        "网格员",
        "Grid officers serving now (placed in their own grid), without names",
        "Point",
        """
        SELECT o.id, o.community_id, o.grid_id, o.part_time, o.max_grids, o.appointed_on,
               (SELECT count(*) FROM place_cover pc WHERE pc.level = 'grid'
                AND pc.officer_id = o.id AND pc.valid_to IS NULL)::int AS grids,
               ST_PointOnSurface(coalesce(og.geom, oc.geom)) AS geom
        FROM grid_officer o JOIN community oc ON oc.id = o.community_id
        LEFT JOIN grid og ON og.id = o.grid_id
        WHERE o.left_on IS NULL OR o.left_on > china_today()""",
        scope="""l.grid_id = ANY(ARRAY({grids}))
                 OR (l.grid_id IS NULL AND l.community_id = :area_community)""",
        bounded_by="community",
    ),
    Layer(
        "stations",
        "党群服务站",
        "Party-mass service stations",
        "Point",
        """
        SELECT id, tier, name, street_id, community_id, floor_area_m2, hours, geom
        FROM station""",
        scope="l.id = ANY(ARRAY({stations}))",
    ),
    Layer(
        "roads",
        "道路",
        "Roads",
        "MultiLineString",
        "SELECT id, ref, name, kind, geom FROM road",
        scope="ST_Intersects(l.geom, ({boundary}))",  # the road index answers it
    ),
    Layer(
        "gates",
        "小区门",
        "Compound gates",
        "Point",
        "SELECT id, compound_id, name, geom FROM compound_gate",
        scope="l.compound_id = ANY(ARRAY({compounds}))",
    ),
    # Each station's ground within a walk of 300, 500 and 1,000 m, and the homes in it.
    Layer(
        "service_areas",
        "服务范围",
        "Station service areas (300, 500 and 1,000 m walks)",
        "MultiPolygon",
        """
        SELECT sa.station_id, s.name AS station, s.tier, sa.reach_m, sa.method,
               sa.households, sa.geom
        FROM service_area sa JOIN station s ON s.id = sa.station_id""",
        key=("station_id", "reach_m"),
        scope="l.station_id = ANY(ARRAY({stations}))",
    ),
    # Members as counts per community: a member's home would tie a person to the party.
    Layer(
        "members",
        "报到党员",
        "Registered party members, counted per community",
        "MultiPolygon",
        """
        SELECT c.id AS community_id, c.code AS community_code, c.name AS community_name,
               count(m.id)::int AS members, c.geom
        FROM community c LEFT JOIN member m ON m.community_id = c.id
        GROUP BY c.id""",
        key=("community_id",),
        scope="l.community_id = :area_community",
        bounded_by="community",  # the communities' own outlines
    ),
    # Party building (issue 17): units without their liaison's name or phone, demands
    # without who raised them; a project stands at its demand (or its community).
    Layer(
        "alliance_units",
        "联盟单位",
        "Alliance units (no contacts)",
        "Point",
        """
        SELECT u.id, u.name AS unit_name, u.kind,
               (SELECT count(*) FROM alliance_agreement a WHERE a.unit_id = u.id
                AND (a.ended_on IS NULL OR a.ended_on > china_today()))::int AS agreements,
               u.geom
        FROM alliance_unit u WHERE u.geom IS NOT NULL""",
        scope="""l.id IN (SELECT a.unit_id FROM alliance_agreement a
                          WHERE a.community_id = :area_community)""",
    ),
    Layer(
        "resources",
        "资源清单",
        "Resource list",
        "Point",
        """
        SELECT r.id, r.year, r.title, r.kind, lc.code AS category, r.unit_id, r.quantity,
               r.measure, r.capacity, r.community_id, r.withdrawn_on, r.geom
        FROM party_resource r JOIN list_category lc ON lc.id = r.category_id
        WHERE r.geom IS NOT NULL""",
        scope="l.community_id = :area_community",
    ),
    Layer(
        "demands",
        "需求清单",
        "Demand list (without who raised it)",
        "Point",
        """
        SELECT d.id, d.year, d.title, lc.code AS category, d.community_id, d.compound_id,
               d.raised_on, d.urgency, d.due, d.status, d.geom
        FROM party_demand d JOIN list_category lc ON lc.id = d.category_id""",
        scope="l.community_id = :area_community",
    ),
    Layer(
        "projects",
        "项目清单",
        "Project list (at its demand, or its community)",
        "Point",
        """
        SELECT p.id, p.year, p.title, p.demand_id, p.community_id, p.lead_unit_id, p.status,
               (SELECT count(*) FROM project_milestone m WHERE m.project_id = p.id
                AND m.done_on IS NOT NULL)::int AS milestones_done,
               (SELECT count(*) FROM project_milestone m
                WHERE m.project_id = p.id)::int AS milestones,
               COALESCE(d.geom, ST_PointOnSurface(c.geom)) AS geom
        FROM party_project p JOIN community c ON c.id = p.community_id
        LEFT JOIN party_demand d ON d.id = p.demand_id""",
        scope="l.community_id = :area_community",
    ),
)
LAYER_BY_NAME = {layer.name: layer for layer in LAYERS}
