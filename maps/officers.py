"""The officers' maps: one community or one grid, its buildings by unit-head coverage
(labelled 3号楼, and their units 2单元, at high zoom), its unit heads with the rooms
they cover, its stations, its gaps with who must act, and an address box.

Unit heads' names and phones are shown in full to roles that may see them (an
officer, an admin: the route records the read in the audit log), masked to others.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import shapely
from sqlalchemy import Connection, text

from geo_api.auth.audit import id_ranges
from geo_api.errors import InvalidInputError, NotFoundError
from geo_api.gaps.areas import gaps_in_grid
from geo_api.gaps.stored import select_gaps
from geo_api.gaps.who_acts import who_acts_frame
from geo_api.privacy import mask_name, mask_phone
from maps import coverage_layers, layers
from maps.command_centre import add_areas, add_stations
from maps.coverage import add_buildings, buildings_legend
from maps.gap_layers import add_gaps, gap_legends
from maps.grid_officers import add_grid_officers, grid_covers
from maps.officer_parts import AddressBox, add_labels
from maps.options import PageOptions
from maps.page import Bounds, add_search, data_time, finish, new_map, panel, sql_format
from maps.party import add_party
from maps.theme import LOAD_COLOURS, building_class

CODE_DIGITS = {"community": 12, "grid": 15}
AREA_SQL = {
    "community": """SELECT c.id, c.code, c.name, c.code AS community, ST_AsBinary(c.geom) AS wkb
                    FROM community c WHERE c.code = :code""",
    "grid": """SELECT g.id, g.code, g.name, c.code AS community, ST_AsBinary(g.geom) AS wkb
               FROM grid g JOIN community c ON c.id = g.community_id WHERE g.code = :code""",
}


@dataclass(frozen=True)
class Area:
    """The community or grid a map is of."""

    level: str
    id: int
    code: str
    name: str
    community: str  # the community's code (its own, for a community)
    geom: shapely.Geometry
    bounds: Bounds

    @property
    def scope(self) -> dict[str, str | None]:
        """The community= and grid= arguments that narrow layers to this area."""
        if self.level == "community":
            return {"community": self.code, "grid": None}
        return {"community": None, "grid": self.code}


def find_area(conn: Connection, level: str, code: str) -> Area:
    """The community or grid with ``code``: 422 if malformed, 404 if unknown."""
    digits = CODE_DIGITS[level]
    if not re.fullmatch(rf"[0-9]{{{digits}}}", code):
        raise InvalidInputError(f"a {level} code is {digits} digits, not {code!r}")
    row = conn.execute(text(AREA_SQL[level]), {"code": code}).mappings().first()
    if row is None:
        raise NotFoundError(f"no {level} has the code {code!r}")
    geom = shapely.from_wkb(bytes(row["wkb"]))
    west, south, east, north = shapely.bounds(geom).tolist()
    return Area(
        level,
        row["id"],
        row["code"],
        row["name"],
        row["community"],
        geom,
        (west, south, east, north),
    )


def gaps_in(conn: Connection, area: Area) -> gpd.GeoDataFrame:
    """The gaps of a community; for a grid, those inside it (a community-wide gap, such
    as no station, concerns every grid of the community)."""
    gaps = select_gaps(conn, community=area.community)
    if area.level == "community":
        return gaps
    return gaps_in_grid(gaps, area.id, area.geom)


def _rooms_text(rooms: list[tuple[int, int, list[str]]], opts: PageOptions) -> str:
    return "<br>".join(
        html.escape(f"{opts.t('unit.name', building=b, unit=u)}：{', '.join(map(str, rs))}")
        for b, u, rs in rooms
    )


def head_popup(row: Any, opts: PageOptions, reveal: bool) -> str:
    """A unit head's popup: name and phone (masked unless ``reveal``), load against
    target and maximum, said once, then the rooms covered, once per unit."""
    name, phone = str(getattr(row, "name", "")), str(getattr(row, "phone", ""))
    if not reveal:
        name, phone = mask_name(name), mask_phone(phone)
    load = opts.t(
        "head.tooltip",
        load=row.load,
        target=row.target,
        max=row.maximum,
    )
    return (
        f"<b>{html.escape(opts.t('role.unit'))}：{html.escape(name)}</b>"
        f"<br>{html.escape(opts.t('head.phone'))}：{html.escape(phone)}"
        f"<br>{html.escape(load)}"
        f"<br><b>{html.escape(opts.t('head.rooms'))}</b>"
        f"<br>{_rooms_text(row.rooms, opts)}"
    )


def add_unit_heads(
    m: folium.Map, heads: gpd.GeoDataFrame, opts: PageOptions, reveal: bool = False
) -> None:
    """Each unit head as a dot by load; the popup names them and lists their rooms."""
    heads = opts.place(heads)
    group = folium.FeatureGroup(name=opts.t("role.unit"))
    for row in heads.itertuples():
        colour = LOAD_COLOURS[
            "over_max"
            if row.load > row.maximum
            else ("over_target" if row.load > row.target else "within")
        ]
        name = str(row.name) if reveal else mask_name(str(row.name))
        folium.CircleMarker(
            [row.geometry.y, row.geometry.x],
            radius=5,
            color="#263238",
            weight=1,
            fill=True,
            fill_color=colour,
            fill_opacity=0.9,
            tooltip=html.escape(f"{name} · {opts.t('head.covers', n=row.load)}"),
            popup=folium.Popup(head_popup(row, opts, reveal), max_width=360),
        ).add_to(group)
    group.add_to(m)


def people_shown(conn: Connection, level: str, code: str) -> list[str]:
    """The audit records of the people an area's map names in full: its unit heads
    and whoever must act on its gaps."""
    area = find_area(conn, level, code)
    heads = coverage_layers.unit_heads(conn, **area.scope)
    actors = who_acts_frame(conn, gaps_in(conn, area))
    acting = sorted({a.record for a in actors if a.record})
    return id_ranges("head", [int(i) for i in heads["id"]]) + acting


def officer_figures(
    buildings: gpd.GeoDataFrame, heads: gpd.GeoDataFrame, gaps: gpd.GeoDataFrame
) -> dict[str, int]:
    """The panel's figures for one area."""
    classes = [
        building_class(n, c)
        for n, c in zip(buildings["households"], buildings["covered"], strict=True)
    ]
    return {
        "households": int(buildings["households"].sum()),
        "households_covered": int(buildings["covered"].sum()),
        "unit_heads": len(heads),
        "buildings_all": classes.count("all"),
        "buildings_some": classes.count("some"),
        "buildings_none": classes.count("none"),
        "gaps": len(gaps),
    }


def officer_page(
    conn: Connection,
    level: str,
    code: str,
    opts: PageOptions | None = None,
    reveal: bool = False,
) -> str:
    """The map of one community (level 'community') or grid ('grid') as HTML, with
    people's names and phones in full if ``reveal`` (people_shown says whose)."""
    opts = opts or PageOptions()
    read_at = data_time(conn)
    area = find_area(conn, level, code)
    buildings = coverage_layers.buildings(conn, **area.scope)
    heads = coverage_layers.unit_heads(conn, **area.scope)
    gaps = gaps_in(conn, area)
    # Open on the whole area: an officer answers for all of it, homes or not.
    m = new_map(area.bounds, opts)
    levels = ("community", "grid", "compound") if level == "community" else ("grid", "compound")
    add_areas(m, conn, opts, levels, **area.scope)
    add_buildings(m, buildings, opts, show=True)
    add_stations(m, conn, opts, community=area.community)
    add_labels(
        m,
        [
            [round(p.y, 6), round(p.x, 6), int(n)]
            for p, n in zip(
                buildings.geometry.representative_point(), buildings["building"], strict=True
            )
        ],
        coverage_layers.unit_labels(conn, **area.scope),
        opts,
    )
    add_party(m, conn, opts, community=area.community)
    add_unit_heads(m, heads, opts, reveal)
    add_grid_officers(m, grid_covers(conn, **area.scope), opts)
    add_gaps(m, gaps, opts, conn, reveal)
    building = sql_format(opts.t("building.name"))
    add_search(m, layers.search_places(conn, building, **area.scope), opts)
    AddressBox(opts).add_to(m)
    figures = officer_figures(buildings, heads, gaps)
    title = f"{area.name} {area.code} · {opts.t('title.' + level)}"
    rows = [(key, opts.t(f"figure.{key}"), value) for key, value in figures.items()]
    legends = [buildings_legend(opts), *gap_legends(opts)]
    return finish(m, opts, title, panel(opts, title, rows, legends), read_at)
