"""Parse a Chinese residential address into street, community, compound,
building, unit, floor and room.

Grid officers type addresses the way residents say them: in full
("山西省临汾市侯马市浍滨街道水岸明珠小区3号楼2单元501室"), in shorthand
("水岸明珠3-2-501"), with Chinese numerals (三号楼), full-width digits (３号楼)
or parts missing. Finding the household or its head needs the parts, so this
module splits the text by hand, without a gazetteer or a database:

1. normalise: NFKC folding, separators and spaces removed (or turned into "-"
   where they separate numbers);
2. strip the region (省/市/区/县), then the street (街道/镇/乡), then the
   community (社区), each only at the front;
3. find the building-unit-floor-room tail (see ``geo_api.address.tail``); what
   lies between the community and the tail is the compound, kept as written.

Nothing here raises on odd text: what cannot be placed is returned in
``ParsedAddress.unparsed``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import groupby

from geo_api.address.tail import Tail, find_tail

_HAN = r"[\u4e00-\u9fff]"
_HAN_CHAR = re.compile(_HAN)  # a compound name holds at least one

# Provincial-level names; matched only with their suffix, so 山西路 stays a road.
_PROVINCES = (
    "北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北"
    "|湖南|广东|海南|四川|贵州|云南|陕西|甘肃|青海|台湾|内蒙古|广西|西藏|宁夏|新疆|香港|澳门"
)
_REGION_LEVELS = (
    # 山西省, 北京市, 广西壮族自治区, 香港特别行政区.
    re.compile(rf"(?:{_PROVINCES})(?:省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)"),
    # 临汾市, then 侯马市: a prefecture and a county-level city may both be given.
    # At least two characters before 市, so 城市花园 is not read as a city.
    re.compile(rf"{_HAN}{{2,5}}?(?:市|自治州)"),
    re.compile(rf"{_HAN}{{2,5}}?(?:市|自治州)"),
    # 尧都区, 曲沃县, 郊区; not 小区/社区/园区/校区/厂区/营区, which are not districts.
    re.compile(rf"{_HAN}{{1,5}}?(?<![小社园校厂营])(?:区|县)"),
)
# 浍滨街道 (办事处), 新田乡, 高村镇; a 乡 followed by 村 is 乡村, not a township.
_STREET = re.compile(rf"{_HAN}{{2,6}}?街道(?:办事处)?|{_HAN}{{2,3}}?(?:镇|乡)(?!村)")
# 新田社区 (居委会); demo names may carry a digit (平阳2社区).
_COMMUNITY = re.compile(r"[\u4e00-\u9fff0-9A-Za-z]{1,10}?社区(?:居民委员会|居委会)?")

# Words that end compound names. A prefix is not stripped when what remains
# would start with one (新城市花园 is a compound, not 新城市 + 花园).
_GENERIC_WORDS = (
    "小区",
    "社区",
    "街道",
    "花园",
    "家园",
    "公寓",
    "新村",
    "大院",
    "宿舍",
    "广场",
    "名都",
    "华庭",
    "雅居",
    "佳园",
    "明珠",
)
# What each prefix may not span: a lazy 区 or 市 must not swallow a street or compound.
_NOT_IN_REGION = ("小区", "社区", "街道")
_NOT_IN_STREET = ("小区", "社区")
_NOT_IN_COMMUNITY = ("小区", "街道")
_COMPOUND_SUFFIX = "小区"  # dropped from compound keys: 水岸明珠小区 == 水岸明珠

# Dashes that separate building-unit-room: ASCII/full-width -, _, /, \, ~ and minus;
# Unicode dashes (— ― –) are caught by their category, Pd.
_DASH_CHARS = frozenset("-_/\\~\u2212")
_DASH_RUNS = re.compile(r"-{2,}")
# No tail was found: a number run ending the text or followed by "-" (3-2-5-01)
# is not part of the compound name.
_TRAILING_NUMBERS = re.compile(r"\d+(?=-|\Z)", re.ASCII)


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedAddress:
    """The parts of an address; a part that is not in the text is None.

    ``region`` is the stripped 省/市/区/县 prefix, ``compound`` is kept as written
    (with 小区/花园/… and any 二期), ``room`` is a digit string ("501", "0501",
    "501A") and ``floor`` is given or derived from a 3-4 digit room (1203 → 12).
    ``unparsed`` holds leftover text, or the whole input when nothing was
    recognised; ``normalised`` is the input after normalisation.
    """

    normalised: str
    region: str | None = None
    street: str | None = None
    community: str | None = None
    compound: str | None = None
    building: int | None = None
    unit: int | None = None
    floor: int | None = None
    room: str | None = None
    unparsed: str = ""

    @property
    def compound_key(self) -> str | None:
        """The compound name for matching: normalised, without a trailing 小区."""
        return None if self.compound is None else compound_key(self.compound)

    @property
    def recognised(self) -> bool:
        """Whether any part of the address was found."""
        parts = (self.region, self.street, self.community, self.compound)
        numbers = (self.building, self.unit, self.floor, self.room)
        return any(p is not None for p in parts + numbers)


def parse_address(text: str) -> ParsedAddress:
    """Split an address into its parts; never raises on odd text (TypeError if not str)."""
    clean = normalise(text)
    rest, region = _strip_region(clean)
    rest, street = _take_prefix(_STREET, rest, _NOT_IN_STREET)
    rest, community = _take_prefix(_COMMUNITY, rest, _NOT_IN_COMMUNITY, number_after=True)
    tail = find_tail(rest)
    compound, leftover = _compound(rest, tail)
    parsed = ParsedAddress(
        normalised=clean,
        region=region,
        street=street,
        community=community,
        compound=compound,
        building=tail.building if tail else None,
        unit=tail.unit if tail else None,
        floor=_floor(tail) if tail else None,
        room=tail.room if tail else None,
        unparsed=leftover,
    )
    if not parsed.recognised:
        return ParsedAddress(normalised=clean, unparsed=text.strip())
    return parsed


def normalise(text: str) -> str:
    """Fold full-width forms (NFKC), drop spaces and punctuation, and turn the
    separators of building-unit-room shorthand into "-" ("3 / 2 — 501" → "3-2-501")."""
    if not isinstance(text, str):
        raise TypeError(f"an address must be a str, not {type(text).__name__}")
    runs = [(sep, "".join(chars)) for sep, chars in groupby(_fold(text), key=_is_separator)]
    kept: list[str] = []
    for i, (sep, chars) in enumerate(runs):
        if not sep:
            kept.append(chars)
            continue
        before = runs[i - 1][1][-1] if i > 0 else ""
        after = runs[i + 1][1][0] if i + 1 < len(runs) else ""
        between_numbers = _is_digit(before) and _is_digit(after)
        if between_numbers or any(_is_dash(ch) for ch in chars):
            kept.append("-")
    return _DASH_RUNS.sub("-", "".join(kept)).strip("-")


def compound_key(name: str) -> str:
    """A compound name for comparison: normalised, without a trailing 小区
    (水岸明珠小区 and 水岸明珠 give the same key)."""
    key = normalise(name)
    if key.endswith(_COMPOUND_SUFFIX) and len(key) > len(_COMPOUND_SUFFIX):
        key = key[: -len(_COMPOUND_SUFFIX)]
    return key


def _fold(text: str) -> str:
    """NFKC: full-width digits, letters and punctuation to their ASCII forms."""
    return unicodedata.normalize("NFKC", text)


def _is_separator(ch: str) -> bool:
    """Spaces, punctuation, symbols and control characters, except # (3#楼)."""
    return ch != "#" and (ch in _DASH_CHARS or unicodedata.category(ch)[0] in "ZPSC")


def _is_dash(ch: str) -> bool:
    """A character that separates the numbers of 3-2-501."""
    return ch in _DASH_CHARS or unicodedata.category(ch) == "Pd"


def _is_digit(ch: str) -> bool:
    """An ASCII digit (str.isdigit would also take ² and ①)."""
    return len(ch) == 1 and "0" <= ch <= "9"


def _strip_region(text: str) -> tuple[str, str | None]:
    """Remove a 省 / 市 / 区 / 县 prefix, level by level; return (rest, prefix)."""
    rest = text
    for level in _REGION_LEVELS:
        rest, _ = _take_prefix(level, rest, _NOT_IN_REGION)
    region = text[: len(text) - len(rest)]
    return rest, region or None


def _take_prefix(
    pattern: re.Pattern[str],
    text: str,
    forbidden: tuple[str, ...],
    *,
    number_after: bool = False,
) -> tuple[str, str | None]:
    """Remove what ``pattern`` matches at the front of ``text``, unless the match
    holds a ``forbidden`` word or leaves a compound suffix without its name, or
    (unless ``number_after``) a building number without its compound: 金色城市3号楼
    is a compound, while 新田社区3号楼 is a community's building."""
    match = pattern.match(text)
    if match is None:
        return text, None
    name, rest = match.group(), text[match.end() :]
    if any(word in name for word in forbidden) or rest.startswith(_GENERIC_WORDS):
        return text, None
    if not number_after and _is_digit(rest[:1]):
        return text, None
    return rest, name


def _compound(text: str, tail: Tail | None) -> tuple[str | None, str]:
    """The compound name before the tail, and the text nobody could place.

    Without a tail, trailing number runs are left out of the name (水岸明珠3-2-5-01
    gives 水岸明珠). A "compound" with no Han character is not one (12345).
    """
    if tail is None:
        numbers = _TRAILING_NUMBERS.search(text)
        cut = numbers.start() if numbers else len(text)
        head, after = text[:cut], text[cut:]
    else:
        head, after = text[: tail.start], text[tail.end :]
    head = head.strip("-")
    leftover = after.strip("-")
    if not _HAN_CHAR.search(head):
        return None, "-".join(part for part in (head, leftover) if part)
    return head, leftover


def _floor(tail: Tail) -> int | None:
    """The floor given, or read from a 3-4 digit room: 501 → 5, 1203 → 12."""
    if tail.floor is not None or tail.room is None:
        return tail.floor
    digits = re.match(r"\d+", tail.room)
    if digits is None or not 3 <= len(digits.group()) <= 4:
        return None
    return int(digits.group()[:-2])
