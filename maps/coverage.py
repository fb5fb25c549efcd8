"""Coverage layers: communities by share of households covered (two choropleths),
buildings by unit-head coverage, and households by unit."""

from __future__ import annotations

import folium
import geopandas as gpd
from folium.utilities import JsCode

from maps.options import PageOptions
from maps.page import CompactPoints, LegendItem, js_format
from maps.theme import BUILDING_COLOURS, SHARE_BREAKS, SHARE_COLOURS, building_class, share_colour

# Which count each choropleth divides by the households.
CHOROPLETHS = {"heads": "with_head", "station": "near_station"}


def add_choropleths(m: folium.Map, communities: gpd.GeoDataFrame, opts: PageOptions) -> None:
    """Two switchable layers: share of households with a unit head, and share within
    500 m of a community station (both off at start)."""
    communities = opts.place(communities)
    for kind, column in CHOROPLETHS.items():
        frame = communities[["code", "name", "households", "geometry"]].copy()
        shares = [
            n_in / n if n else None
            for n_in, n in zip(communities[column], communities["households"], strict=True)
        ]
        frame["share"] = [f"{s:.1%}" if s is not None else "—" for s in shares]
        frame["colour"] = [share_colour(s) for s in shares]
        folium.GeoJson(
            frame.to_json(drop_id=True),
            name=opts.t(f"coverage.{kind}"),
            show=False,
            style_function=lambda f: {
                "color": "#555",
                "weight": 1,
                "fillColor": f["properties"]["colour"],
                "fillOpacity": 0.65,
            },
            tooltip=folium.GeoJsonTooltip(
                fields=["name", "households", "share"],
                aliases=[
                    opts.t("field.name"),
                    opts.t("coverage.households"),
                    opts.t("coverage.share"),
                ],
            ),
        ).add_to(m)


def choropleth_legend(opts: PageOptions) -> tuple[str, list[LegendItem]]:
    """The classes of the choropleths."""
    edges = [0.0, *SHARE_BREAKS, 1.0]
    items: list[LegendItem] = [
        (f"{lo:.0%}–{hi:.0%}" if hi < 1 else f"≥ {lo:.0%}", colour, False)
        for lo, hi, colour in zip(edges[:-1], edges[1:], SHARE_COLOURS, strict=True)
    ]
    return opts.t("coverage.title"), items


def add_buildings(
    m: folium.Map, buildings: gpd.GeoDataFrame, opts: PageOptions, show: bool
) -> None:
    """Buildings coloured by the share of their households that have a unit head."""
    frame = opts.place(buildings)
    frame = frame.assign(
        cls=[
            building_class(n, c) for n, c in zip(frame["households"], frame["covered"], strict=True)
        ]
    )
    # Short properties, the tooltip written in the browser: 1,384 buildings of the demo
    # city cost 0.25 MB this way, against 0.43 MB with the sentence in every feature.
    name = js_format(opts.t("building.name"), compound="p.cp", number="p.no")
    tip = js_format(opts.t("buildings.tooltip"), name=name, covered="p.c", n="p.n")
    frame = frame.rename(
        columns={"compound": "cp", "building": "no", "households": "n", "covered": "c"}
    )
    folium.GeoJson(
        frame[["cls", "cp", "no", "n", "c", "geometry"]].to_json(drop_id=True),
        name=opts.t("buildings.layer"),
        show=show,
        style_function=lambda f: {
            "color": BUILDING_COLOURS[f["properties"]["cls"]],
            "weight": 1,
            "fillColor": BUILDING_COLOURS[f["properties"]["cls"]],
            "fillOpacity": 0.7,
        },
        on_each_feature=JsCode(
            f"function (f, layer) {{ var p = f.properties; layer.bindTooltip({tip}); }}"
        ),
    ).add_to(m)


def buildings_legend(opts: PageOptions) -> tuple[str, list[LegendItem]]:
    """The building classes."""
    return opts.t("buildings.title"), [
        (opts.t(f"buildings.{cls}"), colour, False) for cls, colour in BUILDING_COLOURS.items()
    ]


def add_households(m: folium.Map, rows: list[list[float]], opts: PageOptions) -> None:
    """Households as one dot per unit ([lat, lon, households, covered]), off at start."""
    colours = BUILDING_COLOURS
    make = f"""
    function (row) {{
      var colour = row[2] === 0 ? '{colours["empty"]}' : (row[3] >= row[2] ? '{colours["all"]}'
                 : (row[3] > 0 ? '{colours["some"]}' : '{colours["none"]}'));
      return L.circleMarker([row[0], row[1]], {{radius: 3 + Math.sqrt(row[2]) / 2,
          color: colour, fillColor: colour, fillOpacity: 0.7, weight: 1}})
        .bindTooltip({js_format(opts.t("households.tooltip"), n="row[2]", covered="row[3]")});
    }}"""
    CompactPoints(
        opts.place_points(rows), make, name=opts.t("households.layer"), show=False
    ).add_to(m)
