"""The importer's vocabulary: each layer's canonical fields, and the column
names (Chinese and English) that officers' files use for them.

Aliases are compared after normalising (NFKC, case-folded, spaces and
punctuation removed), so "Floor Area (m²)", "floor_area_m2" and "面积（㎡）"
are the same name. A table, not code: add an alias by adding a string.
"""

from __future__ import annotations

import unicodedata

LAYERS: dict[str, tuple[str, ...]] = {
    "streets": ("code", "name"),
    "communities": ("code", "name", "street_code"),
    "grids": ("code", "name", "community_code"),
    "compounds": ("code", "name", "grid_code"),
    "buildings": ("compound_code", "number", "floors"),
    "units": ("compound_code", "building", "number"),
    "households": (
        "address", "street", "community", "compound", "building", "unit", "room",
        "persons", "lon", "lat", "volunteer",
    ),
    "heads": (
        "role", "name", "phone", "address", "household_address", "compound", "building",
        "unit", "capacity", "max_capacity",
    ),
    "stations": (
        "name", "tier", "floor_area_m2", "hours", "community_code", "street_code", "lon", "lat",
    ),
    "members": ("name", "phone", "address", "lon", "lat", "registered_on"),
    "roads": ("ref", "name", "kind", "bridge", "tunnel", "layer"),
    "gates": ("compound_code", "name", "lon", "lat"),
}  # fmt: skip

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
    "registered_on": ("报到日期", "报到时间", "registered_on", "registered"),
}

# Names that mean a field only in one layer (where the general meaning does not apply).
LAYER_ALIASES: dict[tuple[str, str], tuple[str, ...]] = {
    ("streets", "code"): ("街道代码", "街道编码"),
    ("streets", "name"): ("街道", "街道名称"),
    ("communities", "code"): ("社区代码", "社区编码"),
    ("communities", "name"): ("社区", "社区名称"),
    ("grids", "code"): ("网格代码", "网格编码", "网格编号"),
    ("grids", "name"): ("网格", "网格名称"),
    ("compounds", "code"): ("小区代码", "小区编码", "小区编号"),
    ("compounds", "name"): ("小区", "小区名称"),
    ("buildings", "number"): ("楼栋", "楼号", "栋号", "楼栋号", "栋", "编号"),
    ("units", "number"): ("单元", "单元号", "编号"),
    ("roads", "ref"): ("道路编号", "路段编号", "编号", "osm_id", "id", "ref"),
    ("roads", "name"): ("道路名称", "路名", "街路名称"),
    ("roads", "kind"): ("道路类型", "道路等级", "类型", "highway", "fclass", "kind", "type"),
    ("roads", "bridge"): ("桥梁", "是否桥梁", "桥", "bridge", "is_bridge"),
    ("roads", "tunnel"): ("隧道", "是否隧道", "地道", "tunnel", "is_tunnel"),
    ("roads", "layer"): ("层", "图层", "层级", "立交层", "layer", "z_level"),
    ("gates", "name"): ("出入口", "出入口名称", "大门", "门"),
    ("stations", "name"): ("站点名称", "阵地名称", "服务站", "站点"),
    ("heads", "name"): ("三长姓名", "楼长姓名", "单元长姓名"),
}


def normalise(name: str) -> str:
    """A name compared loosely: NFKC (full-width, ㎡ → m2), case-folded, letters and digits only."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(char for char in folded if unicodedata.category(char)[0] in "LN")


def aliases(layer: str) -> dict[str, str]:
    """Normalised name → field for ``layer``; a layer's own aliases win over general ones."""
    table: dict[str, str] = {}
    for field in LAYERS[layer]:
        for alias in (*ALIASES.get(field, ()), field):
            table.setdefault(normalise(alias), field)
    for field in LAYERS[layer]:
        for alias in LAYER_ALIASES.get((layer, field), ()):
            table[normalise(alias)] = field
    return table
