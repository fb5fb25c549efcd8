"""The importer's shared vocabulary: the column names (Chinese and English) that
officers' files use for each field, whatever the layer (a layer's own names are
in its Field definitions).

Aliases are compared after normalising (NFKC, case-folded, spaces and
punctuation removed), so "Floor Area (m²)", "floor_area_m2" and "面积（㎡）"
are the same name. A table, not code: add an alias by adding a string.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from geo_api.importer.layer import Layer

# Field → names it goes by in any layer that has the field (the field's own name included).
ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("代码", "编码", "编号", "统计代码", "区划代码", "统计用区划代码", "code"),
    "name": ("姓名", "名称", "name"),
    "street_code": ("街道代码", "街道编码", "所属街道代码", "street_code"),
    "community_code": ("社区代码", "社区编码", "所属社区代码", "community_code"),
    "grid_code": ("网格代码", "网格编码", "网格编号", "所属网格代码", "grid_code"),
    "compound_code": ("小区代码", "小区编码", "小区编号", "所属小区代码", "compound_code"),
    "address": ("地址", "住址", "详细地址", "家庭住址", "居住地址", "address", "addr"),
    "household_address": ("户地址", "家庭地址", "所在户地址", "household_address"),
    "street": ("街道", "街道名称", "所属街道", "街道办事处", "street"),
    "community": ("社区", "社区名称", "所属社区", "居委会", "community"),
    "compound": ("小区", "小区名称", "所属小区", "院落", "compound"),
    "building": ("楼栋", "楼号", "栋号", "栋", "楼", "楼栋号", "building", "bldg"),
    "unit": ("单元", "单元号", "unit"),
    "room": ("门牌号", "房号", "室", "房间号", "room"),
    "number": ("number", "no"),
    "floors": ("层数", "楼层数", "总层数", "地上层数", "floors"),
    "persons": ("人口", "人数", "户人数", "家庭人口", "户籍人口", "persons", "population"),
    "lon": ("经度", "lng", "lon", "long", "longitude", "x"),
    "lat": ("纬度", "lat", "latitude", "y"),
    "volunteer": ("志愿者", "是否志愿者", "volunteer"),
    "role": ("角色", "职务", "类型", "role"),
    "phone": (
        "电话",
        "手机",
        "手机号",
        "手机号码",
        "联系电话",
        "联系方式",
        "phone",
        "tel",
        "mobile",
    ),
    "capacity": ("联系户数", "负责户数", "目标户数", "capacity"),
    "max_capacity": ("单元长上限", "最多户数", "上限户数", "最大联系户数", "max_capacity"),
    "tier": ("层级", "级别", "阵地级别", "tier", "level"),
    "floor_area_m2": (
        "面积",
        "建筑面积",
        "使用面积",
        "面积m2",
        "建筑面积m2",
        "floor_area_m2",
        "area",
    ),
    "hours": ("开放时间", "服务时间", "办公时间", "hours", "opening_hours"),
    "registered_on": ("报到日期", "报到时间", "登记日期", "registered_on", "registered"),
    "crs": (
        "坐标系",
        "坐标类型",
        "坐标系统",
        "坐标格式",
        "coord_sys",
        "coordsys",
        "coordinate_system",
        "crs",
        "srs",
    ),
}


def normalise(name: str) -> str:
    """A name compared loosely: NFKC (full-width, ㎡ → m2), case-folded, letters and digits only."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(char for char in folded if unicodedata.category(char)[0] in "LN")


def aliases(layer: Layer[Any]) -> dict[str, str]:
    """Normalised name → field for ``layer``; a layer's own aliases win over general ones."""
    table: dict[str, str] = {}
    for field in layer.fields:
        for alias in (*ALIASES.get(field.name, ()), field.name):
            table.setdefault(normalise(alias), field.name)
    for field in layer.fields:
        for alias in field.aliases:
            table[normalise(alias)] = field.name
    return table


def names_of(layer: Layer[Any], field: str) -> tuple[str, ...]:
    """Every name a file may give ``field`` in ``layer`` (for the documentation)."""
    own = next((f.aliases for f in layer.fields if f.name == field), ())
    return tuple(dict.fromkeys((*own, *ALIASES.get(field, ()), field)))
