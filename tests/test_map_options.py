"""Map page options, labels, basemaps and the GCJ-02 shift: no database, no browser."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo_api.errors import InvalidInputError
from geo_api.gaps.finder import GAP_TYPES
from geo_api.geo.china import wgs84_to_gcj02
from maps.basemaps import resolve_basemap
from maps.labels import EN, GAP_LABELS_EN, LABELS, ZH, gap_label
from maps.literal import js_literal
from maps.options import BIG_SCREEN_REFRESH_S, page_options
from maps.page import js_format, sql_format
from maps.shift import frame_to_gcj02


def test_every_gap_type_has_an_english_name() -> None:
    # A new gap type (geo_api/gaps/finder.py) needs its English name in maps/labels.py.
    missing = [g.name for g in GAP_TYPES if g.name not in GAP_LABELS_EN]
    assert missing == [], f"add English names to maps.labels.GAP_LABELS_EN: {missing}"
    assert set(GAP_LABELS_EN) <= {g.name for g in GAP_TYPES}, "names of gap types that left"


def test_a_gap_type_without_an_english_name_falls_back_to_its_code_name() -> None:
    assert gap_label("roads_without_lamps", "道路无路灯", "en") == "Roads without lamps"
    assert gap_label("roads_without_lamps", "道路无路灯", "zh") == "道路无路灯"


def placeholders(label: str) -> list[str]:
    return re.findall(r"\{(\w+)\}", label)


def test_both_languages_have_the_same_labels_and_placeholders() -> None:
    assert set(ZH) == set(EN) and set(LABELS) == {"zh", "en"}
    for key in ZH:
        assert placeholders(ZH[key]) == placeholders(EN[key]), key


def test_options_name_the_parameter_and_the_value() -> None:
    cases = [
        ({"lang": "fr"}, "lang must be one of zh, en, not 'fr'"),
        ({"screen": "huge"}, "screen must be one of normal, big, not 'huge'"),
        ({"refresh": 5}, "refresh must be 0 (never) or 10 to 86400 seconds, not 5"),
        ({"basemap": "ftp://tiles/{z}/{x}/{y}.png"}, "basemap 'ftp://tiles/{z}/{x}/{y}.png'"),
        ({"basemap": "https://tiles.example/{z}/{x}.png"}, "lacks {y}"),
        ({"basemap": "google"}, "neither one of none, osm, tianditu, amap, tencent"),
        ({"basemap": "tianditu"}, "set GEO_API_TIANDITU_KEY"),
    ]
    for kwargs, says in cases:
        with pytest.raises(InvalidInputError) as error:
            page_options(**kwargs)  # type: ignore[arg-type]
        assert says in str(error.value), kwargs


def test_big_screen_refreshes_unless_told_otherwise() -> None:
    assert page_options(screen="big").refresh_s == BIG_SCREEN_REFRESH_S
    assert page_options(screen="big", refresh=0).refresh_s is None
    assert page_options(refresh=60).refresh_s == 60 and page_options().refresh_s is None
    assert page_options().use_tiles(60_000) is False
    assert page_options().use_tiles(1_000_001) is True
    assert page_options(tiles=True).use_tiles(10) is True
    # The wall takes them from tiles however small the city, unless told not to (the
    # CLI's file, which has no server to ask).
    assert page_options(screen="big").use_tiles(1_000) is True
    assert page_options(screen="big", tiles=False).use_tiles(1_000) is False


def test_basemaps() -> None:
    assert resolve_basemap("none", "zh", None).layers == ()
    amap, tencent = resolve_basemap("amap", "zh", None), resolve_basemap("tencent", "zh", None)
    assert amap.gcj02 and tencent.gcj02 and "webrd01.is.autonavi.com" in amap.hosts
    assert not resolve_basemap("osm", "zh", None).gcj02
    tianditu = resolve_basemap("tianditu", "en", "k123")
    assert not tianditu.gcj02 and all("tk=k123" in layer.url for layer in tianditu.layers)
    assert "LAYER=eva" in tianditu.layers[1].url  # English place names for lang=en
    intranet = resolve_basemap("http://10.1.2.3:8080/tiles/{z}/{x}/{-y}.png", "zh", None)
    assert intranet.layers[0].url.endswith("{-y}.png") and not intranet.gcj02


def test_shift_is_the_converter_of_geo_china() -> None:
    frame = gpd.GeoDataFrame(
        geometry=[shapely.Point(111.34, 35.61), shapely.box(111.3, 35.6, 111.31, 35.61)],
        crs=4326,
    )
    moved = frame_to_gcj02(frame)
    lon, lat = wgs84_to_gcj02(111.34, 35.61)
    assert abs(moved.geometry[0].x - lon) < 1e-5 and abs(moved.geometry[0].y - lat) < 1e-5
    corners = np.column_stack(wgs84_to_gcj02(*shapely.get_coordinates(frame.geometry[1]).T))
    assert shapely.hausdorff_distance(moved.geometry[1], shapely.Polygon(corners)) < 1e-5
    assert 100 < shapely.distance(frame.geometry[0], moved.geometry[0]) * 111_000 < 1_000


def test_js_and_sql_helpers() -> None:
    assert js_format("联系 {n} 户", n="row[2]") == '"联系 " + (row[2]) + " 户"'
    assert sql_format("{compound}{number}号楼") == "%s%s号楼"
    assert sql_format("100% {x}") == "100%% %s"
    assert js_literal(["</script>", "水岸"]) == '["\\u003c/script\\u003e","水岸"]'
