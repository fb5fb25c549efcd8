"""Cases of files whose content is wrong in ways a reader cannot see: a coordinate
system per row, a .prj that places the data far away, invalid outlines (rejected, or
mended with --repair and reported), overlaps and slivers between areas, numbers that
are not finite, and each layer given only the columns it requires.

Each generator varies what varies in the files officers send: the header's words,
the encoding, the format, which row is bad and the shape of the defect.
Layers: streets and compounds (outlines), stations (points), buildings, units, grids,
heads and officers (their required columns only).
"""

from __future__ import annotations

from functools import lru_cache, partial
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import Polygon

from geo_api.geo.china import wgs84_to_bd09, wgs84_to_gcj02
from tests.data.corpus import Cases, Imported, Landed, Refused
from tests.data.corpus.files import (
    AREA_LON,
    COMMUNITY,
    LAT,
    LON,
    shapefile_zip,
    square,
    streets,
    text_table,
    vector,
)

CASES = Cases()
GEOD = Geod(ellps="WGS84")

# In the test city (generated Houma, seed 7): compound 1 (紫金小区) of grid 1, and its
# first household; a free corner of the compound for new footprints.
GRID = COMMUNITY + "001"
COMPOUND = GRID + "001"
HOUSEHOLD = "路东街道晋都社区紫金小区1号楼1单元101室"
YARD_LON, YARD_LAT = 111.3162, 35.6169

FORMATS = ("geojson", "gpkg", "zip")


def _where(fmt: str, row: int) -> str:
    """A feature's row as the user's program numbers it."""
    return {"gpkg": f"feature fid {row}", "zip": f"record {row}"}.get(fmt, f"feature {row}")


def _write(folder: Path, stem: str, frame: gpd.GeoDataFrame, fmt: str) -> Path:
    """``frame`` as a GeoJSON, a GeoPackage or a zipped Shapefile."""
    if fmt == "zip":
        return shapefile_zip(folder / f"{stem}.zip", frame)
    return vector(folder / f"{stem}.{fmt}", frame)


# A buildings file without a compound-code column: each footprint takes the compound it
# lies in; one beyond every compound is rejected, naming its row.


def _buildings(folder: Path, stem: str, header: str, fmt: str, count: int, astray: int) -> Path:
    geoms = [square(YARD_LON + i * 0.00012, YARD_LAT, 0.0001) for i in range(count)]
    if astray:
        geoms[astray - 1] = square(AREA_LON, LAT, 0.0002)
    frame = gpd.GeoDataFrame({header: [91 + i for i in range(count)]}, geometry=geoms, crs=4326)
    return _write(folder, stem, frame, fmt)


for _k, (_header, _fmt) in enumerate((("楼号", "geojson"), ("楼栋", "gpkg"), ("栋号", "zip"))):
    _count = 2 + _k
    CASES.add(
        f"buildings_without_compound_code_{_fmt}",
        "buildings",
        partial(_buildings, stem=f"buildings_{_fmt}", header=_header, fmt=_fmt, count=_count,
                astray=0),
        Imported(_count, notes=(f"{_where(_fmt, 1)} → {COMPOUND}", "placed where they lie")),
    )  # fmt: skip
    CASES.add(
        f"buildings_without_compound_code_one_astray_{_fmt}",
        "buildings",
        partial(_buildings, stem=f"astray_{_fmt}", header=_header, fmt=_fmt, count=_count,
                astray=_k + 1),
        Imported(_count - 1, rejects=((_k + 1, "compound_code"),)),
        skip_bad=True,
    )  # fmt: skip

# A coordinate-system column: each row converted from its own system.

SYSTEMS = ("GCJ-02", "火星坐标", "高德", "BD-09", "百度", "WGS84", "CGCS2000")


def _in_system(lon: float, lat: float, system: str) -> tuple[float, float]:
    """lon, lat (WGS 84) as written by a program that works in ``system``."""
    convert = {"GCJ-02": wgs84_to_gcj02, "火星坐标": wgs84_to_gcj02, "高德": wgs84_to_gcj02,
               "BD-09": wgs84_to_bd09, "百度": wgs84_to_bd09}.get(system)  # fmt: skip
    if convert is None:
        return lon, lat  # WGS 84 and CGCS2000 agree within centimetres
    x, y = convert(np.array([lon]), np.array([lat]))
    return float(x[0]), float(y[0])


def _true(i: int) -> tuple[float, float]:
    return LON + 0.0007 * i, LAT + 0.0003 * i


def _stations_by_system(folder: Path, stem: str, header: str, order: tuple[str, ...],
                        encoding: str) -> Path:  # fmt: skip
    lines: list[list[object]] = [["站点名称", "层级", "面积", "经度", "纬度", header]]
    for i, system in enumerate(order):
        x, y = _in_system(*_true(i), system)
        lines.append([f"坐标站{stem}{i}", "驿站", 50, repr(x), repr(y), system])
    return text_table(folder / f"{stem}.csv", lines, encoding)


def _landed(stem: str, order: tuple[str, ...]) -> tuple[Landed, ...]:
    return tuple(
        Landed(f"SELECT ST_X(geom), ST_Y(geom) FROM station WHERE name = '坐标站{stem}{i}'",
               *_true(i))
        for i in range(len(order))
    )  # fmt: skip


for _k, (_header, _encoding) in enumerate(
    (("坐标系", "utf-8"), ("坐标类型", "gbk"), ("coord_sys", "utf-8"))
):
    _order = SYSTEMS[_k:] + SYSTEMS[:_k]  # which row is in which system varies
    _stem = f"systems{_k}"
    CASES.add(
        f"csv_coordinate_system_column_{_header}_{_encoding}",
        "stations",
        partial(_stations_by_system, stem=_stem, header=_header, order=_order,
                encoding=_encoding),
        Imported(len(_order), landed=_landed(_stem, _order)),
    )  # fmt: skip

CASES.add(
    "csv_coordinate_system_unknown",
    "stations",
    partial(_stations_by_system, stem="systems_unknown", header="坐标系",
            order=("高德", "北京54", "百度"), encoding="utf-8"),
    Refused(("systems_unknown.csv", "坐标系", "北京54", "unknown coordinate system")),
)  # fmt: skip

# A .prj that places the data far from the city: refused, naming the file and where.

WRONG_PRJ = {
    "gk_zone_114": "EPSG:4547",  # the next 3° Gauss-Krüger zone east
    "gk_zone_108": "EPSG:4545",  # the next zone west
    "custom_tm": "+proj=tmerc +lat_0=0 +lon_0=120 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m",
}


def _far_prj(folder: Path, name: str, wrong: str) -> Path:
    from pyproj import CRS

    frame = streets(2).to_crs(4546)  # really in CGCS2000 / 3-degree GK CM 111E
    return shapefile_zip(folder / f"{name}.zip", frame, prj=CRS(wrong).to_wkt("WKT1_ESRI"))


for _name, _wrong in WRONG_PRJ.items():
    CASES.add(
        f"shapefile_prj_far_{_name}",
        "streets",
        partial(_far_prj, name=f"far_{_name}", wrong=_wrong),
        Refused((f"far_{_name}.zip", "would land around lon", "km from the city", "--crs")),
    )

# Invalid outlines: rejected per feature, naming the defect.


def _bowtie(lon: float, lat: float, size: float) -> Polygon:
    return Polygon([(lon, lat), (lon + size, lat + size), (lon + size, lat), (lon, lat + size)])


def _hole_outside(lon: float, lat: float, size: float) -> Polygon:
    hole = square(lon + 2 * size, lat, size / 2).exterior.coords
    return Polygon(square(lon, lat, size).exterior.coords, [hole])


def _collapsed(lon: float, lat: float, size: float) -> Polygon:
    return Polygon([(lon, lat), (lon + size, lat), (lon + size / 2, lat), (lon, lat)])


def _sliver(lon: float, lat: float, size: float) -> Polygon:
    """A valid triangle of well under 1 m²: a ring drawn along a line."""
    return Polygon([(lon, lat), (lon + size, lat), (lon + size, lat + 1e-9)])


DEFECTS = {
    "self_intersection": (_bowtie, "Self-intersection"),
    "hole_outside_shell": (_hole_outside, "Hole lies outside shell"),
    "ring_along_a_line": (_collapsed, "Self-intersection"),
    "zero_area_sliver": (_sliver, "a sliver of under 1 m²"),
}


def _streets_with(folder: Path, stem: str, defect: str, bad: int, count: int, fmt: str,
                  size: float = 0.002) -> Path:  # fmt: skip
    frame = streets(count)
    make = DEFECTS[defect][0]
    frame.loc[bad - 1, "geometry"] = make(AREA_LON + (bad - 1) * 0.01, LAT, size)
    return _write(folder, stem, frame, fmt)


for _k, (_defect, (_, _says)) in enumerate(DEFECTS.items()):
    for _bad, _fmt in ((1, FORMATS[_k % 3]), (3, FORMATS[(_k + 1) % 3])):
        if _defect == "hole_outside_shell" and _fmt == "zip":
            # A Shapefile has no holes of its own: a ring outside every shell is read as
            # another part of the shape (valid, and streets may have several parts).
            _fmt = "geojson"
        _stem = f"{_defect}_{_bad}_{_fmt}"
        _make = partial(_streets_with, stem=_stem, defect=_defect, bad=_bad, count=3, fmt=_fmt)
        _file = f"{_stem}.{_fmt}"
        CASES.add(f"streets_{_stem}", "streets", _make,
                  Refused((_file, f"{_where(_fmt, _bad)}, geometry", _says)))  # fmt: skip
        CASES.add(f"streets_{_stem}_skipped", "streets", _make,
                  Imported(2, rejects=((_bad, "geometry"),)), skip_bad=True)  # fmt: skip


def _multi_compounds(folder: Path, stem: str, bad: int, parts: int) -> Path:
    geoms: list[shapely.Geometry] = [square(AREA_LON + i * 0.003, LAT, 0.001) for i in range(3)]
    geoms[bad - 1] = shapely.MultiPolygon(
        [square(AREA_LON + (bad - 1) * 0.003, LAT + j * 0.0015, 0.001) for j in range(parts)]
    )
    frame = gpd.GeoDataFrame(
        {"小区编码": [f"CHK{stem}{i}" for i in range(3)],
         "小区名称": [f"多块小区{i}" for i in range(3)], "网格编码": [GRID] * 3},
        geometry=geoms, crs=4326,
    )  # fmt: skip
    return vector(folder / f"{stem}.geojson", frame)


for _bad, _parts in ((1, 2), (2, 3)):
    _stem = f"multi{_bad}"
    _make = partial(_multi_compounds, stem=_stem, bad=_bad, parts=_parts)
    _says = (f"{_stem}.geojson", f"feature {_bad}", "one polygon is expected")
    CASES.add(f"compounds_multipolygon_{_bad}", "compounds", _make, Refused(_says))
    CASES.add(f"compounds_multipolygon_{_bad}_skipped", "compounds", _make,
              Imported(2, rejects=((_bad, "geometry"),)), skip_bad=True)  # fmt: skip

# --repair: every repaired outline reported with its area before and after.


def _area(geom: shapely.Geometry) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0])


def _repaired(defect: str, bad: int, size: float) -> str:
    broken = DEFECTS[defect][0](AREA_LON + (bad - 1) * 0.01, LAT, size)
    mended = shapely.make_valid(broken)
    return (f"feature {bad}: invalid outline repaired with make_valid: "
            f"{_area(broken):,.1f} m² before, {_area(mended):,.1f} m² after")  # fmt: skip


for _defect, _bad, _size in (("self_intersection", 2, 0.002), ("self_intersection", 3, 0.004),
                             ("hole_outside_shell", 1, 0.002)):  # fmt: skip
    _stem = f"repair_{_defect}_{_bad}"
    CASES.add(
        f"streets_{_stem}",
        "streets",
        partial(_streets_with, stem=_stem, defect=_defect, bad=_bad, count=3, fmt="geojson",
                size=_size),
        Imported(3, notes=(_repaired(_defect, _bad, _size),)),
        repair=True,
    )  # fmt: skip

# Overlaps and slivers between sibling areas: refused unless --accept-overlaps.


def _neighbours(folder: Path, stem: str, shift: float) -> Path:
    """Two streets side by side; the second moved by ``shift`` degrees west (an overlap)
    or east (a sliver between them) of where it would touch."""
    frame = streets(2)
    frame.loc[1, "geometry"] = square(AREA_LON + 0.002 - shift, LAT)
    return vector(folder / f"{stem}.geojson", frame)


for _name, _shift, _says in (
    ("overlap_wide", 0.0005, "overlap by"),
    ("overlap_narrow", 0.00002, "overlap by"),
    ("sliver_3m", -0.00003, "leave a sliver"),
    ("sliver_8m", -0.00009, "leave a sliver"),
):
    _make = partial(_neighbours, stem=_name, shift=_shift)
    CASES.add(f"streets_{_name}", "streets", _make,
              Refused(("141081901 and 141081902", _says, "m²", "--accept-overlaps")))  # fmt: skip
    CASES.add(f"streets_{_name}_accepted", "streets", _make,
              Imported(2, notes=("accepted: ", _says)), accept_overlaps=True)  # fmt: skip

# Numbers that are not finite in CSV coordinates and counts: never stored.

NOT_FINITE = ("1e309", "inf", "-inf", "NaN", "nan", "Infinity")


def _stations_not_finite(folder: Path, stem: str, column: int, bad: int, value: str) -> Path:
    lines: list[list[object]] = [["站点名称", "层级", "面积", "经度", "纬度"]]
    for i in range(3):
        row: list[object] = [f"数站{stem}{i}", "驿站", 60, LON + i / 1000, LAT]
        if i == bad - 1:
            row[column] = value
        lines.append(row)
    return text_table(folder / f"{stem}.csv", lines)


for _k, _value in enumerate(NOT_FINITE):
    _column = (2, 3, 4)[_k % 3]
    # A coordinate that is infinite is checked as a position (lon/lat); NaN as a number.
    _field = "floor_area_m2" if _column == 2 else "lon" if _value.lower() == "nan" else "lon/lat"
    _bad = 1 + _k % 3
    _stem = f"not_finite_{_k}"
    _make = partial(_stations_not_finite, stem=_stem, column=_column, bad=_bad, value=_value)
    _in = ("面积", "经度", "纬度")[_k % 3]
    CASES.add(f"csv_not_finite_{_value}_{_in}", "stations", _make,
              Refused((f"{_stem}.csv", f"line {_bad + 1}", _value)))  # fmt: skip
    CASES.add(f"csv_not_finite_{_value}_{_in}_skipped", "stations", _make,
              Imported(2, rejects=((_bad + 1, _field),)), skip_bad=True)  # fmt: skip

# Each layer with only its required columns.


# East of the city's communities: placed in the community its code names, and warned.
@CASES.case("grids_required_columns_only", "grids", Imported(1, notes=("outside",)))
def _grids(folder: Path) -> Path:
    frame = gpd.GeoDataFrame({"网格代码": [COMMUNITY + "901"], "网格名称": ["语料网格"]},
                             geometry=[square(AREA_LON, LAT, 0.001)], crs=4326)  # fmt: skip
    return vector(folder / "grids.geojson", frame)


@CASES.case("compounds_required_columns_only", "compounds", Imported(1))
def _compounds(folder: Path) -> Path:
    frame = gpd.GeoDataFrame({"小区代码": ["CHKMIN1"], "小区名称": ["语料小区"]},
                             geometry=[square(111.2712, 35.5962, 0.0005)], crs=4326)  # fmt: skip
    return vector(folder / "compounds.geojson", frame)


@lru_cache(maxsize=1)
def _inside_a_building() -> tuple[float, float]:
    """A point inside the test city's first building (of compound 1), as the generator
    makes it: a unit's footprint there needs no building column."""
    from geo_api.demo.city import generate_city

    city = generate_city(1_000, 7)  # the test city (tests/conftest.py)
    first = city.compounds.iloc[0]["id"]
    building = city.buildings[city.buildings["compound_id"] == first].iloc[:1]
    point = building.to_crs(4326).geometry.representative_point().iloc[0]
    return float(point.x), float(point.y)


@CASES.case("units_required_columns_only", "units", Imported(1))
def _units(folder: Path) -> Path:
    lon, lat = _inside_a_building()
    frame = gpd.GeoDataFrame({"单元": [9]}, geometry=[square(lon, lat, 0.00002)], crs=4326)
    return vector(folder / "units.gpkg", frame)


for _encoding in ("utf-8", "gbk"):

    @CASES.case(f"heads_required_columns_only_{_encoding}", "heads", Imported(1))
    def _heads(folder: Path, encoding: str = _encoding) -> Path:
        lines = [
            ["角色", "姓名", "电话", "地址"],
            ["单元长", "语料单元长", "13900000123", HOUSEHOLD],
        ]
        return text_table(folder / f"heads_{encoding}.csv", lines, encoding)

    @CASES.case(f"officers_required_columns_only_{_encoding}", "officers", Imported(2))
    def _officers(folder: Path, encoding: str = _encoding) -> Path:
        lines = [["网格员", "电话", "所属社区"], ["语料网格员", "13900000124", COMMUNITY],
                 ["语料网格员二", "13900000125", COMMUNITY]]  # fmt: skip
        return text_table(folder / f"officers_{encoding}.csv", lines, encoding)
