"""Parts of the officers' map: building and unit labels for high zoom, and the
address box that asks /lookup/address who covers a home."""

from __future__ import annotations

from typing import Any

import folium
from branca.element import MacroElement
from folium.template import Template

from maps.literal import js_literal
from maps.options import PageOptions

BUILDING_LABELS_FROM = 17  # zoom at which buildings are labelled (3号楼)
UNIT_LABELS_FROM = 18  # and units (2单元): below it, the labels would overlap


class PlaceLabels(MacroElement):
    """Labels as text on the map, each group shown from its zoom on: rows of
    [lat, lon, text] per group, drawn as non-interactive markers (clicks pass on)."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
          .gg-label {white-space:nowrap; font-size:12px; font-weight:600; color:#263238;
            text-shadow:0 0 3px #fff, 0 0 3px #fff, 0 0 3px #fff; pointer-events:none;}
          /* Centred on their point; a building's name sits above its units' numbers. */
          .gg-label span {display:inline-block; transform:translate(-50%, -50%);}
          .gg-label.gg-building span {transform:translate(-50%, -170%);}
          .gg-label.gg-unit {font-size:10px; font-weight:400; color:#37474f;}
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
          var map = {{ this._parent.get_name() }};
          {{ this.groups }}.forEach(function (g) {
            var layer = L.layerGroup(g.rows.map(function (row) {
              return L.marker([row[0], row[1]], {interactive: false, keyboard: false, text: row[2],
                icon: L.divIcon({className: 'gg-label ' + g.cls, html: '<span></span>',
                                 iconSize: null, iconAnchor: [0, 0]})});
            }));
            // The text set as text, not HTML: names come from imported data.
            layer.eachLayer(function (marker) {
              marker.on('add', function () {
                var el = marker.getElement();
                if (el) el.firstChild.textContent = marker.options.text;
              });
            });
            function show() {
              if (map.getZoom() >= g.from) { layer.addTo(map); } else { layer.remove(); }
            }
            map.on('zoomend', show);
            show();
          });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, groups: list[dict[str, Any]]) -> None:
        super().__init__()
        self._name = "PlaceLabels"
        self.groups = js_literal(groups)


def add_labels(
    m: folium.Map, buildings: list[list[Any]], units: list[list[Any]], opts: PageOptions
) -> None:
    """Buildings ([lat, lon, number]) labelled 3号楼 from zoom 17, units ([lat, lon,
    building, unit]) 2单元 from zoom 18."""
    building_rows = [
        [lat, lon, opts.t("label.building", number=n)]
        for lat, lon, n in opts.place_points(buildings)
    ]
    unit_rows = [
        [lat, lon, opts.t("label.unit", unit=u)] for lat, lon, _b, u in opts.place_points(units)
    ]
    PlaceLabels(
        [
            {"cls": "gg-building", "from": BUILDING_LABELS_FROM, "rows": building_rows},
            {"cls": "gg-unit", "from": UNIT_LABELS_FROM, "rows": unit_rows},
        ]
    ).add_to(m)


class AddressBox(MacroElement):
    """A box to type an address in: it asks /lookup/address (the officer's own key,
    so their own area only), flies to the home and says its unit and unit head."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
          .gg-address {background:#fff; padding:6px; border-radius:4px;
            box-shadow:0 1px 4px #999; width:260px; font-size:13px;}
          .gg-address input {width:100%; box-sizing:border-box; font-size:13px; padding:3px;}
          .gg-address .gg-answer {margin-top:4px; line-height:1.5;}
          /* The panel moves down to make room for the box above it. */
          #gg-panel {top:112px; max-height:calc(100% - 130px);}
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
          var map = {{ this._parent.get_name() }};
          var words = {{ this.words }};
          var box = L.control({position: 'topleft'});
          box.onAdd = function () {
            var div = L.DomUtil.create('div', 'gg-address');
            div.innerHTML = '<form><input type="search" id="gg-address-input"></form>'
              + '<div class="gg-answer" id="gg-address-answer"></div>';
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
          };
          box.addTo(map);
          var input = document.getElementById('gg-address-input');
          var answer = document.getElementById('gg-address-answer');
          input.placeholder = words.placeholder;
          var base = location.pathname.replace(/\\/maps\\/.*$/, '');
          function say(lines) {
            answer.textContent = '';
            lines.forEach(function (line) {
              var div = document.createElement('div');
              div.textContent = line;
              answer.appendChild(div);
            });
          }
          input.form.addEventListener('submit', function (event) {
            event.preventDefault();
            var q = input.value.trim();
            if (q.length < 2) return;
            fetch(base + '/lookup/address?q=' + encodeURIComponent(q),
                  {credentials: 'same-origin', headers: {Accept: 'application/json'}})
              .then(function (r) {
                return r.json().then(function (body) { return {ok: r.ok, body: body}; });
              })
              .then(function (res) {
                var hh = res.ok && res.body.household;
                if (!hh) {
                  var why = typeof res.body.detail === 'string' ? res.body.detail : '';
                  say([words.none + (why ? '：' + why : '')]);
                  return;
                }
                var head = hh.unit_head;
                say([hh.compound_name + hh.building_number + words.building
                       + hh.unit_number + words.unit + ' ' + hh.room,
                     words.head + '：' + (head ? head.name + ' ' + head.phone : words.no_head)]);
                var place = res.body.place;
                if (place) map.flyTo([place.lat, place.lon], 18);
                window.gg_address = res.body;
              })
              .catch(function () { say([words.none]); });
          });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, opts: PageOptions) -> None:
        super().__init__()
        self._name = "AddressBox"
        self.words = js_literal(
            {
                "placeholder": opts.t("address.placeholder"),
                "none": opts.t("address.none"),
                "head": opts.t("address.head"),
                "no_head": opts.t("address.no_head"),
                "building": opts.t("address.building"),
                "unit": opts.t("address.unit"),
            }
        )
