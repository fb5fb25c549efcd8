"""The walking network on the map: the roads, and the stations' service areas, one
switchable layer with the three walks (300, 500 and 1,000 m) in three shades, each
area with its station, its walk and the households it reaches."""

from __future__ import annotations

import folium
import geopandas as gpd
import shapely
from sqlalchemy import Connection, text

from geo_api.network.areas import REACHES_M
from maps.layers import SIMPLIFY_DEG, compact
from maps.options import PageOptions
from maps.page import LegendItem

COLOURS = {300: "#31a354", 500: "#3182bd", 1000: "#756bb1"}
AREAS = """
SELECT s.name AS station, sa.reach_m, sa.method, sa.households, sa.geom
FROM service_area sa JOIN station s ON s.id = sa.station_id
WHERE s.tier IN ('community', 'outpost', 'street', 'city')
ORDER BY sa.reach_m DESC, s.id
"""


ROADS = "SELECT geom FROM road ORDER BY id"
ROAD_SIMPLIFY_DEG = SIMPLIFY_DEG * 2.5  # about 5 m
AREA_SIMPLIFY_DEG = SIMPLIFY_DEG * 10  # about 20 m: a pixel at the city's zoom


def add_roads(m: folium.Map, conn: Connection, opts: PageOptions) -> None:
    """The roads people walk along, thin and grey under everything else: one feature
    of every line (they have nothing to say one by one), simplified to what a screen
    shows of a street a few metres wide."""
    frame = gpd.read_postgis(text(ROADS), conn, geom_col="geom", crs=4326)
    group = folium.FeatureGroup(name=opts.t("roads.layer"), show=True)
    if len(frame):
        lines = shapely.get_parts(frame.geometry.simplify(ROAD_SIMPLIFY_DEG).to_numpy())
        one = gpd.GeoDataFrame(geometry=[shapely.multilinestrings(lines)], crs=4326)
        folium.GeoJson(
            opts.place(compact(one, simplify=False)),
            style_function=lambda _f: {"color": "#969696", "weight": 1.5, "opacity": 0.8},
        ).add_to(group)
    group.add_to(m)


def service_areas(conn: Connection) -> gpd.GeoDataFrame:
    """Every station's service areas, simplified for a page."""
    frame = gpd.read_postgis(text(AREAS), conn, geom_col="geom", crs=4326)
    # The bands between walks are 200 m wide or more, and soft.
    frame.geometry = frame.geometry.simplify(AREA_SIMPLIFY_DEG)
    return compact(frame, simplify=False)


def add_service_areas(m: folium.Map, conn: Connection, opts: PageOptions) -> None:
    """One layer, the three walks in three shades (the longest drawn first, under the
    shorter); the walk's method (along streets or straight) in the tooltip."""
    frame = opts.place(service_areas(conn))
    frame["how"] = frame["method"].map(lambda k: opts.t(f"reach.{k}"))
    group = folium.FeatureGroup(name=opts.t("reach.one_layer"), show=True)
    for reach in sorted(REACHES_M, reverse=True):
        subset = frame[frame["reach_m"] == reach]
        if len(subset):
            colour = COLOURS[reach]
            folium.GeoJson(
                subset.drop(columns="method"),
                style_function=lambda _f, c=colour: {
                    "color": c,
                    "weight": 1,
                    "fillColor": c,
                    "fillOpacity": 0.06,
                },
                tooltip=folium.GeoJsonTooltip(
                    fields=["station", "reach_m", "how", "households"],
                    aliases=[
                        opts.t("reach.station"),
                        opts.t("reach.metres"),
                        opts.t("reach.how"),
                        opts.t("reach.homes"),
                    ],
                ),
            ).add_to(group)
    group.add_to(m)


def reach_legend(opts: PageOptions) -> tuple[str, list[LegendItem]]:
    """The three shades of the service areas."""
    return opts.t("reach.one_layer"), [
        (opts.t("reach.layer").format(metres=r), COLOURS[r], False) for r in REACHES_M
    ]
