"""Households and buildings as vector tiles (/tiles/...), for cities too big for a page.

Leaflet.VectorGrid draws them; the tiles carry counts only (geo_api.tiles.mvt).
On a GCJ-02 basemap the tiles are asked for in GCJ-02 too, so they line up.
"""

from __future__ import annotations

import folium
from branca.element import MacroElement
from folium import plugins
from folium.template import Template

from maps.options import PageOptions
from maps.page import js_format
from maps.theme import BUILDING_COLOURS

# Below this zoom the tiles of a city of millions would hold tens of thousands of
# features each; the choropleths show the city as a whole.
TILES_MIN_ZOOM = 13

_CLASS_JS = f"""function (p) {{
  return p.households === 0 ? '{BUILDING_COLOURS["empty"]}'
    : (p.covered >= p.households ? '{BUILDING_COLOURS["all"]}'
    : (p.covered > 0 ? '{BUILDING_COLOURS["some"]}' : '{BUILDING_COLOURS["none"]}'));
}}"""


class TilePopups(MacroElement):
    """Opens a popup with a tile feature's counts when it is clicked."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.layer.get_name() }}.on('click', function (e) {
          var p = e.layer.properties;
          L.popup().setLatLng(e.latlng).setContent({{ this.content }})
            .openOn({{ this._parent.get_name() }});
        });
        {% endmacro %}
        """
    )

    def __init__(self, layer: plugins.VectorGridProtobuf, content: str) -> None:
        super().__init__()
        self._name = "TilePopups"
        self.layer = layer
        self.content = content


def _layer(m: folium.Map, opts: PageOptions, layer: str, style: str, popup: str) -> None:
    crs = "?crs=gcj02" if opts.basemap.gcj02 else ""
    options = f"""{{
      interactive: true,
      minZoom: {TILES_MIN_ZOOM},
      maxZoom: 19,
      vectorTileLayerStyles: {{ {layer}: function (p) {{
        var colour = ({_CLASS_JS})(p);
        return {style};
      }} }}
    }}"""
    grid = plugins.VectorGridProtobuf(
        f"{opts.tiles_url}/tiles/{layer}/{{z}}/{{x}}/{{y}}.mvt{crs}",
        name=opts.t(f"{layer}.layer"),
        options=options,
        show=False,
    )
    grid.add_to(m)
    TilePopups(grid, popup).add_to(m)


def add_tile_layers(m: folium.Map, opts: PageOptions) -> None:
    """The buildings and households layers, from the vector tiles (off at start)."""
    _layer(
        m,
        opts,
        "buildings",
        "{fill: true, fillColor: colour, fillOpacity: 0.7, color: colour, weight: 1}",
        js_format(
            opts.t("buildings.tooltip"),
            name=js_format(opts.t("building.name"), compound="p.compound", number="p.number"),
            covered="p.covered",
            n="p.households",
        ),
    )
    _layer(
        m,
        opts,
        "households",
        "{radius: 3 + Math.sqrt(p.households) / 2, fill: true, fillColor: colour,"
        " fillOpacity: 0.7, color: colour, weight: 1}",
        js_format(opts.t("households.tooltip"), n="p.households", covered="p.covered"),
    )
