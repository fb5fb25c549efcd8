"""The address parser and compound matcher: pure, no database.

Streets are Houma's real ones (浍滨, 路西, 上马, 张村 街道 and 新田乡); the
compounds are invented in the style of the demo city.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo_api.address import (
    ParsedAddress,
    compound_key,
    match_address,
    normalise,
    parse_address,
    parse_number,
    similarity,
)

# text, street, community, compound, building, unit, room, floor
Row = tuple[str, str | None, str | None, str | None, int | None, int | None, str | None, int | None]
FORMS: list[Row] = [
    # Full forms, with and without region, street and community.
    ("浍滨街道水岸明珠小区3号楼2单元501室", "浍滨街道", None, "水岸明珠小区", 3, 2, "501", 5),
    ("山西省临汾市浍滨街道翠苑小区3号楼2单元501室", "浍滨街道", None, "翠苑小区", 3, 2, "501", 5),
    ("侯马市路西街道金都花园12号楼1单元1203室", "路西街道", None, "金都花园", 12, 1, "1203", 12),
    ("浍滨街道新田社区水岸明珠3号楼2单元", "浍滨街道", "新田社区", "水岸明珠", 3, 2, None, None),
    ("上马街道平阳社区平阳家园5栋3单元302", "上马街道", "平阳社区", "平阳家园", 5, 3, "302", 3),
    ("张村街道翠苑小区2幢1单元101室", "张村街道", None, "翠苑小区", 2, 1, "101", 1),
    ("新田乡浍河新村8座2门402", "新田乡", None, "浍河新村", 8, 2, "402", 4),
    ("路西街道铁路社区电力公寓1号楼3单元602号", "路西街道", "铁路社区", "电力公寓", 1, 3, "602", 6),
    ("浍滨街道办事处锦绣华庭6号楼2单元201", "浍滨街道办事处", None, "锦绣华庭", 6, 2, "201", 2),
    (
        "路西街道平阳2社区阳光家园二期3-2-5",
        "路西街道",
        "平阳2社区",
        "阳光家园二期",
        3,
        2,
        "5",
        None,
    ),
    ("开发区社区金都花园1-1-101", None, "开发区社区", "金都花园", 1, 1, "101", 1),
    ("翠苑小区3号楼2单元5层501室", None, None, "翠苑小区", 3, 2, "501", 5),
    # Building markers: 号楼 栋 幢 座 # #楼 号 楼(+unit), and 第.
    ("金都花园3栋2单元501", None, None, "金都花园", 3, 2, "501", 5),
    ("金都花园3幢2单元501", None, None, "金都花园", 3, 2, "501", 5),
    ("金都花园3座2单元501", None, None, "金都花园", 3, 2, "501", 5),
    ("金都花园3#楼2单元501", None, None, "金都花园", 3, 2, "501", 5),
    ("金都花园3#2单元501", None, None, "金都花园", 3, 2, "501", 5),
    ("金都花园3号2单元501号", None, None, "金都花园", 3, 2, "501", 5),
    ("金都花园3楼2单元501", None, None, "金都花园", 3, 2, "501", 5),
    ("金都花园第三栋第二单元", None, None, "金都花园", 3, 2, None, None),
    # Floors: N层 / N楼 without a unit after it; a room of 4 digits gives a 2-digit floor.
    ("平阳家园5层501", None, None, "平阳家园", None, None, "501", 5),
    ("平阳家园3号楼5楼501", None, None, "平阳家园", 3, None, "501", 5),
    ("平阳家园5楼", None, None, "平阳家园", None, None, None, 5),
    ("平阳家园3号楼1203", None, None, "平阳家园", 3, None, "1203", 12),
    ("平阳家园3号楼0501", None, None, "平阳家园", 3, None, "0501", 5),
    ("平阳家园3号楼2单元501A", None, None, "平阳家园", 3, 2, "501A", 5),
    # Chinese numerals: 十, 十一, 二十, 二十三, 一百零一, 〇/零, 两.
    ("水岸明珠三号楼二单元五零一室", None, None, "水岸明珠", 3, 2, "501", 5),
    ("水岸明珠十号楼十一单元", None, None, "水岸明珠", 10, 11, None, None),
    ("水岸明珠二十栋二十三单元", None, None, "水岸明珠", 20, 23, None, None),
    ("水岸明珠十二栋二十一单元一百零一室", None, None, "水岸明珠", 12, 21, "101", 1),
    ("水岸明珠一号楼一单元一〇二室", None, None, "水岸明珠", 1, 1, "102", 1),
    ("水岸明珠一号楼一单元一零二", None, None, "水岸明珠", 1, 1, "102", 1),
    ("翠苑小区两号楼两单元", None, None, "翠苑小区", 2, 2, None, None),
    # Full-width digits, letters and punctuation.
    ("金都花园３号楼", None, None, "金都花园", 3, None, None, None),
    ("金都花园３＃楼２单元５０１室", None, None, "金都花园", 3, 2, "501", 5),
    ("水岸明珠３－２－５０１", None, None, "水岸明珠", 3, 2, "501", 5),
    # Shorthand, with every separator.
    ("水岸明珠3-2-501", None, None, "水岸明珠", 3, 2, "501", 5),
    ("水岸明珠 3-2-501", None, None, "水岸明珠", 3, 2, "501", 5),
    ("水岸明珠3栋2-501", None, None, "水岸明珠", 3, 2, "501", 5),
    ("水岸明珠3—2—501", None, None, "水岸明珠", 3, 2, "501", 5),
    ("水岸明珠3―2―501", None, None, "水岸明珠", 3, 2, "501", 5),
    ("水岸明珠3_2_501", None, None, "水岸明珠", 3, 2, "501", 5),
    ("水岸明珠3/2/501", None, None, "水岸明珠", 3, 2, "501", 5),
    ("水岸明珠3，2，501", None, None, "水岸明珠", 3, 2, "501", 5),
    ("水岸明珠，3号楼，2单元，501室", None, None, "水岸明珠", 3, 2, "501", 5),
    ("水岸明珠 3 2 501", None, None, "水岸明珠", 3, 2, "501", 5),
    ("水岸明珠-3-2-501室", None, None, "水岸明珠", 3, 2, "501", 5),
    ("水岸明珠3号楼-2单元-501室", None, None, "水岸明珠", 3, 2, "501", 5),
    ("水岸明珠3-2单元501", None, None, "水岸明珠", 3, 2, "501", 5),
    ("水岸明珠3-501", None, None, "水岸明珠", 3, None, "501", 5),
    ("水岸明珠3-2", None, None, "水岸明珠", 3, 2, None, None),
    ("3-2-501", None, None, None, 3, 2, "501", 5),
    # Missing parts.
    ("水岸明珠小区", None, None, "水岸明珠小区", None, None, None, None),
    ("水岸明珠3号楼", None, None, "水岸明珠", 3, None, None, None),
    ("水岸明珠3号", None, None, "水岸明珠", 3, None, None, None),
    ("水岸明珠501室", None, None, "水岸明珠", None, None, "501", 5),
    ("水岸明珠2单元501", None, None, "水岸明珠", None, 2, "501", 5),
    ("上马街道翠苑小区", "上马街道", None, "翠苑小区", None, None, None, None),
    ("路西街道", "路西街道", None, None, None, None, None, None),
    ("两栋两单元", None, None, None, 2, 2, None, None),
    # Numbers inside compound names stay in the name.
    ("阳光家园二期3号楼5楼501", None, None, "阳光家园二期", 3, None, "501", 5),
    ("水岸明珠（二期）十二栋", None, None, "水岸明珠二期", 12, None, None, None),
    ("建设路12号院3号楼2单元501", None, None, "建设路12号院", 3, 2, "501", 5),
    ("五一小区3-2-501", None, None, "五一小区", 3, 2, "501", 5),
    # Prefix look-alikes that are compound names.
    ("新城市花园3号楼", None, None, "新城市花园", 3, None, None, None),
    ("金色城市3号楼", None, None, "金色城市", 3, None, None, None),
    ("新田社区3号楼2单元", None, "新田社区", None, 3, 2, None, None),
    ("新田乡水乡人家2号楼", "新田乡", None, "水乡人家", 2, None, None, None),
]


@pytest.mark.parametrize(
    ("text", "street", "community", "compound", "building", "unit", "room", "floor"), FORMS
)
def test_forms(
    text: str,
    street: str | None,
    community: str | None,
    compound: str | None,
    building: int | None,
    unit: int | None,
    room: str | None,
    floor: int | None,
) -> None:
    parsed = parse_address(text)
    got = (parsed.street, parsed.community, parsed.compound)
    got_numbers = (parsed.building, parsed.unit, parsed.room, parsed.floor)
    assert got == (street, community, compound)
    assert got_numbers == (building, unit, room, floor)
    assert parsed.unparsed == ""


def test_region_is_kept_apart() -> None:
    parsed = parse_address("山西省临汾市侯马市浍滨街道水岸明珠小区3号楼2单元501室")
    assert parsed.region == "山西省临汾市侯马市"
    assert parse_address("北京市朝阳区建外街道金都小区3号楼").region == "北京市朝阳区"
    assert parse_address("水岸明珠3号楼").region is None


def test_leftover_text_is_unparsed() -> None:
    parsed = parse_address("水岸明珠3号楼2单元501室东户")
    assert (parsed.building, parsed.unit, parsed.room) == (3, 2, "501")
    assert parsed.unparsed == "东户"


def test_four_part_shorthand_is_not_guessed() -> None:
    parsed = parse_address("水岸明珠3-2-5-01")
    assert parsed.compound == "水岸明珠"
    assert (parsed.building, parsed.unit, parsed.room) == (None, None, None)
    assert parsed.unparsed == "3-2-5-01"


def test_bare_number_after_compound_is_not_a_room() -> None:
    parsed = parse_address("水岸明珠501")
    assert (parsed.compound, parsed.room, parsed.unparsed) == ("水岸明珠", None, "501")


@pytest.mark.parametrize("text", ["", "   ", "!!!", "，。、；", "12345", "---", "ＡＢＣ"])
def test_garbage_parses_to_nothing(text: str) -> None:
    parsed = parse_address(text)
    assert not parsed.recognised
    assert parsed == ParsedAddress(normalised=parsed.normalised, unparsed=text.strip())


def test_wrong_type_raises() -> None:
    with pytest.raises(TypeError, match="str"):
        parse_address(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("3", 3),
        ("十", 10),
        ("十一", 11),
        ("二十", 20),
        ("二十三", 23),
        ("一百", 100),
        ("一百零一", 101),
        ("一百一十", 110),
        ("一百一", 110),
        ("两千三", 2300),
        ("一千零五", 1005),
        ("一〇二", 102),
        ("五零一", 501),
        ("零", 0),
        ("两", 2),
    ],
)
def test_numbers(written: str, value: int) -> None:
    assert parse_number(written) == value


@pytest.mark.parametrize(
    "written", ["", "十十", "百千", "一二十", "三a", "x", "²", "٣", "9" * 5000, "一" * 5000]
)
def test_malformed_numbers(written: str) -> None:
    assert parse_number(written) is None


def test_normalise() -> None:
    assert normalise("水岸明珠　３号楼 ２单元") == "水岸明珠3号楼2单元"
    assert normalise(" 3 — 2 / 501 ") == "3-2-501"
    assert normalise("金都·花园（二期）") == "金都花园二期"


def test_compound_key_drops_xiaoqu() -> None:
    assert compound_key("水岸明珠小区") == compound_key("水岸明珠") == "水岸明珠"
    assert compound_key("小区") == "小区"
    assert parse_address("水岸明珠小区3号楼").compound_key == "水岸明珠"
    assert parse_address("3-2-501").compound_key is None


KNOWN = [
    "水岸明珠小区",
    "水岸明珠二期",
    "金都花园",
    "翠苑小区",
    "平阳家园",
    "阳光家园二期",
    "锦绣华庭",
]


def test_match_exact_key() -> None:
    assert match_address(parse_address("翠苑1-1-101"), KNOWN) == [("翠苑小区", 1.0)]
    best = match_address(parse_address("水岸明珠小区3-2-501"), KNOWN)[0]
    assert best == ("水岸明珠小区", 1.0)


def test_match_without_xiaoqu() -> None:
    candidates = match_address(parse_address("水岸明珠3-2-501"), KNOWN)
    assert [name for name, _ in candidates] == ["水岸明珠小区", "水岸明珠二期"]
    assert candidates[0][1] == 1.0
    assert 0.8 < candidates[1][1] < 1.0


def test_match_typo() -> None:
    candidates = match_address(parse_address("水岸名珠3-2-501"), KNOWN)
    assert candidates[0] == ("水岸明珠小区", 0.75)
    assert match_address(parse_address("金都花苑1号楼"), KNOWN) == [("金都花园", 0.75)]


def test_match_nothing_close() -> None:
    assert match_address(parse_address("幸福里5号楼"), KNOWN) == []
    assert match_address(parse_address("3-2-501"), KNOWN) == []
    assert match_address(parse_address("水岸明珠3号楼"), []) == []


def test_match_limit_and_order() -> None:
    names = [f"水岸明珠{n}期" for n in "二三四五六七"] + ["水岸明珠小区"]
    candidates = match_address(parse_address("水岸明珠"), names + names)
    assert len(candidates) == 5
    assert candidates[0] == ("水岸明珠小区", 1.0)
    assert [name for name, _ in candidates[1:]] == sorted(name for name, _ in candidates[1:])


def test_similarity_tiers() -> None:
    contained = similarity("水岸明珠", "水岸明珠二期")
    assert similarity("水岸明珠", "水岸明珠") == 1.0 > contained > 0.8
    assert similarity("水岸明珠花园", "水岸明珠家园") <= 0.8
    assert similarity("", "水岸明珠") == 0.0


COMPOUNDS = st.sampled_from(
    ["水岸明珠小区", "金都花园", "翠苑小区", "平阳家园", "阳光家园二期", "锦绣华庭", "五一小区"]
)
BUILDINGS = st.integers(1, 999)
UNITS = st.integers(1, 99)
ROOMS = st.integers(1, 9999)


@given(COMPOUNDS, BUILDINGS, UNITS, ROOMS)
def test_full_and_shorthand_agree(compound: str, building: int, unit: int, room: int) -> None:
    full = parse_address(f"{compound}{building}号楼{unit}单元{room}室")
    short = parse_address(f"{compound}{building}-{unit}-{room}")
    for parsed in (full, short):
        assert parsed.compound == compound
        assert (parsed.building, parsed.unit, parsed.room) == (building, unit, str(room))
        assert parsed.floor == (room // 100 if room >= 100 else None)


def to_chinese(n: int) -> str:
    """The standard reading of 0 < n < 10,000: 十二, 一百零一, 一千零一十."""
    digits = "零一二三四五六七八九"
    out, gap = "", False
    for place, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // place % 10
        if digit == 0:
            gap = gap or bool(out)
            continue
        out += "零" if gap else ""
        out += "" if (digit == 1 and name == "十" and not out) else digits[digit]
        out += name
        gap = False
    return out


@given(st.integers(1, 9999))
def test_chinese_numerals_round_trip(n: int) -> None:
    assert parse_number(to_chinese(n)) == n


@given(COMPOUNDS, BUILDINGS, UNITS)
def test_chinese_building_and_unit(compound: str, building: int, unit: int) -> None:
    parsed = parse_address(f"{compound}{to_chinese(building)}号楼{to_chinese(unit)}单元")
    assert (parsed.compound, parsed.building, parsed.unit) == (compound, building, unit)


@given(st.text(max_size=40))
def test_never_raises(text: str) -> None:
    parsed = parse_address(text)
    assert isinstance(parsed, ParsedAddress)


@pytest.mark.parametrize(
    "text",
    [
        "1" * 5000 + "号楼",
        "幸福小区" + "9" * 5000 + "栋" + "1" * 5000 + "单元",
        "一" * 5000 + "号楼",
    ],
)
def test_numbers_past_any_address_parse_to_nothing_rather_than_raise(text: str) -> None:
    parsed = parse_address(text)
    assert parsed.building is None and parsed.unit is None


def test_a_short_name_inside_a_typo_does_not_outrank_the_typo_s_compound() -> None:
    ranked = match_address(parse_address("紫金名珠3号楼"), ["紫金小区", "紫金明珠"])
    assert ranked[0][0] == "紫金明珠"


# text, compound, zone, building, building_suffix, unit, room
Extended = tuple[str, str | None, str | None, int | None, str | None, int | None, str | None]
# Zones: a letter, a number (Arabic or Chinese) or a direction before 区 ends the compound.
ZONES: list[Extended] = [
    ("水岸明珠B区3号楼2单元501", "水岸明珠B区", "B区", 3, None, 2, "501"),
    ("水岸明珠b区3-2-501", "水岸明珠b区", "B区", 3, None, 2, "501"),
    ("水岸明珠一区3号楼", "水岸明珠一区", "1区", 3, None, None, None),
    ("水岸明珠12区3号楼", "水岸明珠12区", "12区", 3, None, None, None),
    ("水岸明珠东区3号楼2单元", "水岸明珠东区", "东区", 3, None, 2, None),
    ("浍滨街道翠苑东区A座2单元", "翠苑东区", "东区", None, "A", 2, None),
    ("水岸明珠东区", "水岸明珠东区", "东区", None, None, None, None),
    ("阳光家园二期C区5栋", "阳光家园二期C区", "C区", 5, None, None, None),
    # Not zones: 小区, 社区 and a district of the region.
    ("水岸明珠小区3号楼", "水岸明珠小区", None, 3, None, None, None),
]
# Financial numerals (大写), 〇/零 and 两, in every part.
FINANCIAL: list[Extended] = [
    ("水岸明珠叁号楼贰单元", "水岸明珠", None, 3, None, 2, None),
    ("水岸明珠叁号楼贰单元壹仟零贰室", "水岸明珠", None, 3, None, 2, "1002"),
    ("水岸明珠拾伍号楼", "水岸明珠", None, 15, None, None, None),
    ("水岸明珠贰拾叁栋肆单元伍〇壹室", "水岸明珠", None, 23, None, 4, "501"),
    ("水岸明珠壹佰零捌号楼两单元", "水岸明珠", None, 108, None, 2, None),
    ("水岸明珠陆号楼柒单元玖零捌室", "水岸明珠", None, 6, None, 7, "908"),
]
# Traditional characters read as their simplified forms.
TRADITIONAL: list[Extended] = [
    ("新田社區水岸明珠12號樓1單元502室", "水岸明珠", None, 12, None, 1, "502"),
    ("錦繡華庭3棟2單元5層501室", "锦绣华庭", None, 3, None, 2, "501"),
    ("陽光家園東區叄號樓貳單元", "阳光家园东区", "东区", 3, None, 2, None),
    ("金都花園12號樓A座", "金都花园", None, 12, "A", None, None),
]
# Lettered buildings: the number and the letter apart.
LETTERED: list[Extended] = [
    ("水岸明珠12A号楼2单元501", "水岸明珠", None, 12, "A", 2, "501"),
    ("水岸明珠12a号楼", "水岸明珠", None, 12, "A", None, None),
    ("水岸明珠A座3单元501", "水岸明珠", None, None, "A", 3, "501"),
    ("水岸明珠B栋", "水岸明珠", None, None, "B", None, None),
    ("水岸明珠3号楼A座2单元501室", "水岸明珠", None, 3, "A", 2, "501"),
    ("水岸明珠3号楼-B座", "水岸明珠", None, 3, "B", None, None),
    ("水岸明珠12-A", "水岸明珠", None, 12, "A", None, None),
    ("水岸明珠12A-2-501", "水岸明珠", None, 12, "A", 2, "501"),
    # A letter on a room is the room's.
    ("水岸明珠3号楼2单元501A", "水岸明珠", None, 3, None, 2, "501A"),
    ("水岸明珠3-2-501A", "水岸明珠", None, 3, None, 2, "501A"),
]
# No Chinese characters: a Latin name, then building-unit-room in words or shorthand.
LATIN: list[Extended] = [
    ("Kortteli 111 building 41 unit 2 room 501", "Kortteli 111", None, 41, None, 2, "501"),
    ("Kortteli 111, 41-2-501", "Kortteli 111", None, 41, None, 2, "501"),
    ("Kortteli 111 41-2-501", "Kortteli 111", None, 41, None, 2, "501"),
    ("Kortteli 111·41号楼2单元501室", "Kortteli 111", None, 41, None, 2, "501"),
    ("KORTTELI 111, Building 41A, Unit 2, Room 501", "KORTTELI 111", None, 41, "A", 2, "501"),
    ("Riverside Park bldg 7 floor 5 apt 502", "Riverside Park", None, 7, None, None, "502"),
    ("41-2-501", None, None, 41, None, 2, "501"),
]


@pytest.mark.parametrize(
    ("text", "compound", "zone", "building", "suffix", "unit", "room"),
    ZONES + FINANCIAL + TRADITIONAL + LETTERED + LATIN,
)
def test_extended_forms(
    text: str,
    compound: str | None,
    zone: str | None,
    building: int | None,
    suffix: str | None,
    unit: int | None,
    room: str | None,
) -> None:
    parsed = parse_address(text)
    assert (parsed.compound, parsed.zone) == (compound, zone)
    assert (parsed.building, parsed.building_suffix) == (building, suffix)
    assert (parsed.unit, parsed.room, parsed.unparsed) == (unit, room, "")


def test_zone_keys_and_base() -> None:
    parsed = parse_address("水岸明珠一区3号楼")
    assert parsed.compound_base == "水岸明珠"
    assert compound_key("水岸明珠一区") == compound_key("水岸明珠1区") == "水岸明珠1区"
    assert compound_key("水岸明珠b区") == compound_key("水岸明珠B区")
    assert parse_address("水岸明珠3号楼").compound_base == "水岸明珠"


def test_a_zone_finds_the_zoned_compound_first_then_the_whole_one() -> None:
    zoned = ["水岸明珠B区", "水岸明珠A区", "水岸明珠", "翠苑小区"]
    ranked = match_address(parse_address("水岸明珠B区3号楼"), zoned)
    assert ranked[:2] == [("水岸明珠B区", 1.0), ("水岸明珠", 0.95)]
    whole = match_address(parse_address("水岸明珠二区3号楼"), ["水岸明珠", "水岸明珠二期"])
    assert whole[0] == ("水岸明珠", 0.95) and whole[1][1] < 0.9
    # No zone in the address: two zones of one compound are a tie, for the officer.
    tie = match_address(parse_address("水岸明珠3号楼"), ["水岸明珠A区", "水岸明珠B区"])
    assert tie[0][1] == tie[1][1] < 1.0


def test_districts_are_not_zones() -> None:
    assert parse_address("天津市河东区").region == "天津市河东区"
    parsed = parse_address("上海市浦东新区金都小区3号楼")
    assert (parsed.region, parsed.compound, parsed.zone) == ("上海市浦东新区", "金都小区", None)


@pytest.mark.parametrize(
    ("traditional", "region", "compound", "building"),
    [
        # Taipei City Hall and Taipei 101, as their owners publish them.
        ("臺北市信義區市府路1號", "台北市信义区", "市府路", 1),
        ("臺北市信義區信義路五段7號", "台北市信义区", "信义路五段", 7),
    ],
)
def test_known_real_addresses_in_traditional_characters(
    traditional: str, region: str, compound: str, building: int
) -> None:
    parsed = parse_address(traditional)
    assert (parsed.region, parsed.compound, parsed.building) == (region, compound, building)


SIMPLIFIED = "社区水岸明珠阳光家园锦绣华庭号楼栋单元层区东"
TRADITIONAL_OF = dict(zip("区园阳锦绣华号楼栋单层东", "區園陽錦繡華號樓棟單層東", strict=True))


@given(st.text(alphabet=SIMPLIFIED, min_size=2, max_size=6), BUILDINGS, UNITS, ROOMS)
def test_traditional_reads_as_simplified(name: str, building: int, unit: int, room: int) -> None:
    simplified = f"{name}{building}号楼{unit}单元{room}室"
    traditional = "".join(TRADITIONAL_OF.get(ch, ch) for ch in simplified)
    assert parse_address(traditional) == parse_address(simplified)


FINANCIAL_DIGITS = dict(zip("一二三四五六七八九十百千", "壹贰叁肆伍陆柒捌玖拾佰仟", strict=True))


@given(COMPOUNDS, BUILDINGS, UNITS, ROOMS)
def test_financial_numerals_read_as_plain_ones(
    compound: str, building: int, unit: int, room: int
) -> None:
    def financial(n: int) -> str:
        return "".join(FINANCIAL_DIGITS.get(ch, ch) for ch in to_chinese(n))

    parsed = parse_address(f"{compound}{financial(building)}号楼{financial(unit)}单元")
    assert (parsed.compound, parsed.building, parsed.unit) == (compound, building, unit)
    assert parse_number(financial(room)) == room


@given(COMPOUNDS, BUILDINGS, st.sampled_from("ABCDEFGH"), UNITS)
def test_every_lettered_form_gives_the_same_label(
    compound: str, building: int, letter: str, unit: int
) -> None:
    forms = [f"{building}{letter}号楼", f"{building}号楼{letter}座", f"{building}-{letter}-"]
    for form in forms:
        parsed = parse_address(f"{compound}{form}{unit}单元")
        assert parsed.building_label == f"{building}{letter}", form
        assert parsed.unit == unit, form
