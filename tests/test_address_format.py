"""format_address: every address it writes reads back to the same parts, and the
demo city's addresses are written with it."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from geo_api.address import format_address, parse_address, zone_of
from geo_api.demo.city import generate_city
from geo_api.errors import InvalidInputError

STREETS = st.sampled_from([None, "路东街道", "浍滨街道", "上马街道", "张村街道", "新田乡"])
COMMUNITIES = st.builds(
    lambda stem, n: f"{stem}{n}社区",
    st.sampled_from(["新田", "平阳", "铁路", "建设路", "开发区", "三里屯", "五一"]),
    st.sampled_from(["", "2", "12"]),
)
# Characters of compound names, with the tail's own markers and numerals among them.
NUMERALS = "一二三四五六七八九十百千两零叁贰"
HAN = "水岸明珠阳光家园锦绣华庭金都翠苑花园新村公寓期号楼单元栋座层室门第里屯路院" + NUMERALS
HAN_NAMES = st.text(alphabet=HAN, min_size=1, max_size=8)
DIGITS = st.integers(1, 999).map(str)
LATIN_WORDS = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=9
)
COMPOUNDS = st.one_of(
    HAN_NAMES,
    st.builds(lambda n, d: n + d, HAN_NAMES, DIGITS),  # ending in digits: 幸福里12
    st.builds(lambda w, d: f"{w} {d}", LATIN_WORDS, DIGITS),  # Kortteli 111
    st.builds(lambda w, v: f"{w} {v}", LATIN_WORDS, LATIN_WORDS),  # Tower Park
    st.builds(lambda n, w: n + w, HAN_NAMES, st.sampled_from("ABCXYZ")),  # 阳光A
)
LABELS = st.one_of(
    st.none(),
    st.builds(lambda d, c: f"{d}{c}", st.sampled_from(["", "3", "12"]), st.sampled_from("ABCD")),
)
ZONES = st.sampled_from([None, "A区", "B区", "1区", "东区", "北区"])
ROOMS = st.builds(lambda f, n: f"{f}{n:02d}", st.integers(1, 33), st.integers(1, 8))


@settings(max_examples=400)
@given(
    STREETS, COMMUNITIES, COMPOUNDS, st.integers(1, 999), st.integers(1, 99), ROOMS, LABELS, ZONES
)
@example(None, "新田社区", "Kortteli 111", 41, 2, "501", None, None)
@example("浍滨街道", "平阳2社区", "三里屯", 3, 2, "501", None, None)
@example(None, "新田社区", "建设路12号", 3, 2, "501", None, None)
@example(None, "新田社区", "幸福3号楼2单元", 41, 2, "501", None, None)
@example(None, "新田社区", "阳光第", 3, 2, "501", None, None)
@example(None, "新田社区", "一号一层", 1, 1, "101", None, "1区")
def test_every_formatted_address_reads_back(
    street: str | None,
    community: str,
    compound: str,
    building: int,
    unit: int,
    room: str,
    label: str | None,
    zone: str | None,
) -> None:
    # The compound as written: with its zone (B区) unless its name ends with it.
    written = (
        compound if zone is None or zone_of(compound) == zone_of(f"名{zone}") else compound + zone
    )
    try:
        text = format_address(community, compound, building, unit, room, label, zone, street=street)
    except InvalidInputError:
        # Refused only for a name no writing reads back, not even the street and the
        # name (with its zone) alone before the building, unit and room (浍滨街道家园
        # reads as one name; 一号一层1区1号楼 as no compound 一号一层1区).
        # The writer needs both forms to read back: with the room, and without it (the
        # unit's address, written once for its homes).
        forms = (f"{building}号楼{unit}单元{room}室", f"{building}号楼{unit}单元")
        read = [parse_address(f"{street or ''}{written}{tail}") for tail in forms]
        assert any((alone.street, alone.compound) != (street, written) for alone in read)
        return
    parsed = parse_address(text)
    # A compound whose name begins with a generic word (家园…) is written without its
    # community, which the parser would otherwise read as part of the compound's name.
    assert parsed.community in (community, None)
    assert (parsed.community is None) == (not text.removeprefix(street or "").startswith(community))
    assert (parsed.street, parsed.compound) == (street, written)
    assert parsed.zone == zone_of(written)
    if label is None:
        assert (parsed.building, parsed.building_suffix) == (building, None)
    else:
        assert parsed.building_label == label
    assert (parsed.unit, parsed.room, parsed.unparsed) == (unit, room, "")


@pytest.mark.parametrize(
    ("args", "written"),
    [
        (("新田社区", "水岸明珠", 3, 2, "501"), "新田社区水岸明珠3号楼2单元501室"),
        (("新田社区", "Kortteli 111", 41, 2, "501"), "新田社区Kortteli 111·41号楼2单元501室"),
        (("新田社区", "阳光第", 3, 2, "501"), "新田社区阳光第·3号楼2单元501室"),
        ((None, "水岸明珠", 3, None, None), "水岸明珠3号楼"),
        (("新田社区", "水岸明珠", 3, 2, "501", "12a"), "新田社区水岸明珠12A号楼2单元501室"),
        (("新田社区", "水岸明珠", None, 2, "501", "A"), "新田社区水岸明珠A号楼2单元501室"),
        (("新田社区", "水岸明珠", 3, 2, "501", None, "B区"), "新田社区水岸明珠B区3号楼2单元501室"),
        (
            ("新田社区", "水岸明珠B区", 3, 2, "501", None, "B区"),
            "新田社区水岸明珠B区3号楼2单元501室",
        ),
    ],
)
def test_known_addresses(args: tuple[object, ...], written: str) -> None:
    assert format_address(*args) == written  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("新田社区", "", 3, 2, "501"), "compound"),
        (("新田社区", "水岸明珠", 0, 2, "501"), "building 0"),
        (("新田社区", "水岸明珠", 3, -1, "501"), "unit -1"),
        (("新田社区", "水岸明珠", 3, 2, "5-01"), "room '5-01'"),
        (("新田社区", "水岸明珠", 3, 2, "501", "AB"), "label 'AB'"),
        (("新田社区", "水岸明珠", 3, 2, "501", None, "B期"), "zone 'B期'"),
        (("新田社区", "12345", 3, 2, "501"), "compound '12345'"),
    ],
)
def test_bad_parts_are_refused_by_name(args: tuple[object, ...], named: str) -> None:
    with pytest.raises(InvalidInputError, match=named):
        format_address(*args)  # type: ignore[arg-type]


def test_every_address_the_generator_writes_reads_back() -> None:
    city = generate_city(2_000, 11)
    homes = city.households.merge(
        city.units[["id", "building_id", "number"]],
        left_on="unit_id",
        right_on="id",
        suffixes=("", "_u"),
    )
    homes = homes.merge(
        city.buildings[["id", "compound_id", "number"]],
        left_on="building_id",
        right_on="id",
        suffixes=("", "_b"),
    )
    names = dict(zip(city.compounds["id"], city.compounds["name"], strict=True))
    assert len(homes) == 2_000
    for address, compound_id, building, unit, room in zip(
        homes["address"],
        homes["compound_id"],
        homes["number_b"],
        homes["number"],
        homes["room"],
        strict=True,
    ):
        parsed = parse_address(address)
        assert parsed.compound == names[compound_id], address
        assert (parsed.building, parsed.unit, parsed.room) == (building, unit, room), address
        assert parsed.unparsed == "" and parsed.community and parsed.street, address
