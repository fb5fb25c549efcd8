"""Names for the synthetic city: the real street names of Houma, plausible
community and compound names, and random people and phone numbers."""

from __future__ import annotations

import numpy as np

CITY_CODE = "141081"  # GB/T 2260 code of 侯马市

# The five real streets (街道) of Houma with their statistical codes.
STREETS = [
    ("141081001", "路东街道"),
    ("141081002", "路西街道"),
    ("141081003", "浍滨街道"),
    ("141081004", "上马街道"),
    ("141081005", "张村街道"),
]

COMMUNITY_STEMS = [
    "建设路",
    "新田",
    "铁路",
    "北关",
    "南关",
    "平阳",
    "晋都",
    "浍河",
    "新华",
    "光明",
    "和平",
    "文化",
    "紫金",
    "秦村",
    "西阳",
    "东阳",
    "虒祁",
    "上马",
    "张村",
    "西台神",
    "驿桥",
    "凤城",
    "车站",
    "电力",
    "开发区",
    "向阳",
    "友谊",
    "前进",
    "彭村",
    "晋园",
    "北坞",
    "新绛路",
    "体育",
    "盛世",
    "东关",
    "西关",
]

COMPOUND_PREFIXES = [
    "水岸",
    "阳光",
    "锦绣",
    "金色",
    "华府",
    "御景",
    "东方",
    "幸福",
    "和谐",
    "康乐",
    "翠苑",
    "紫金",
    "晋都",
    "平阳",
    "浍河",
    "新田",
    "铁路",
    "电力",
    "文苑",
    "怡景",
    "世纪",
    "龙城",
    "凤凰",
    "春晖",
    "丽景",
    "富康",
    "嘉禾",
    "泰和",
    "永安",
    "恒大",
]
COMPOUND_SUFFIXES = [
    "小区",
    "家园",
    "花园",
    "新村",
    "苑",
    "公寓",
    "名都",
    "华庭",
    "雅居",
    "明珠",
    "佳园",
]
PHASES = ["", "二期", "三期", "四期", "五期", "六期"]

SURNAMES = list("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国红玉梅志文斌琴云飞鹏晓")

MOBILE_PREFIXES = ["13", "15", "17", "18", "19"]


def community_names(count: int, rng: np.random.Generator) -> list[str]:
    """Distinct community names (…社区)."""
    stems = rng.permutation(COMMUNITY_STEMS).tolist()
    while len(stems) < count:
        stems += [f"{s}{len(stems) // len(COMMUNITY_STEMS) + 1}" for s in COMMUNITY_STEMS]
    return [f"{stem}社区" for stem in stems[:count]]


def compound_names(count: int, rng: np.random.Generator) -> list[str]:
    """Distinct compound names (水岸明珠, 阳光家园二期 …), unique across the city."""
    bases = [p + s for p in COMPOUND_PREFIXES for s in COMPOUND_SUFFIXES]
    order = rng.permutation(len(bases))
    names: list[str] = []
    for phase in range(count // len(bases) + 1):
        suffix = PHASES[phase] if phase < len(PHASES) else f"{phase + 1}期"
        names += [bases[i] + suffix for i in order]
    return names[:count]


def person_names(count: int, rng: np.random.Generator) -> list[str]:
    """Random Chinese names of two or three characters."""
    surnames = rng.choice(SURNAMES, count)
    first = rng.choice(GIVEN, count)
    second = rng.choice(GIVEN, count)
    double = rng.random(count) < 0.6
    return [
        s + f + (g if d else "") for s, f, g, d in zip(surnames, first, second, double, strict=True)
    ]


def phones(count: int, rng: np.random.Generator) -> list[str]:
    """Random 11-digit mainland mobile numbers."""
    prefixes = rng.choice(MOBILE_PREFIXES, count)
    digits = rng.integers(0, 10**9, count)
    return [f"{p}{int(d):09d}" for p, d in zip(prefixes, digits, strict=True)]
