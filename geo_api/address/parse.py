"""Parse a Chinese residential address into street, community, compound,
building, unit, floor and room.

Grid officers type addresses the way residents say them: in full
("山西省临汾市侯马市浍滨街道水岸明珠小区3号楼2单元501室"), in shorthand
("水岸明珠3-2-501"), with Chinese numerals (三号楼, 叁号楼), full-width digits
(３号楼), traditional characters (社區12號樓), in Latin letters ("Kortteli 111,
41-2-501") or with parts missing. Finding the household or its head needs the
parts, so this module splits the text by hand, without a gazetteer or a database:

1. normalise: NFKC folding, traditional characters to simplified
   (``geo_api.address.fold``), separators and spaces removed, turned into "-"
   where they separate numbers, or kept as one space where they separate Latin
   words and numbers ("Kortteli 111") or end a name before a number
   ("Kortteli 111·41号楼", "五一 3号楼");
2. strip the region (省/市/区/县), then the street (街道/镇/乡), then the
   community (社区), each only at the front;
3. find the building-unit-floor-room tail (see ``geo_api.address.tail``); what
   lies between the community and the tail is the compound, kept as written;
4. read the zone (A区, 一区, 东区) off the end of the compound.

A zone is a part of a compound that people name in addresses (水岸明珠B区).
It stays in ``compound`` (a store may keep 水岸明珠B区 as a compound of its
own) and is also given as ``zone`` in a canonical form: a Latin letter upper-
cased, a number in Arabic digits, a direction as written, always ending in 区
("B区", "1区" for 一区, "东区"). ``compound_base`` is the compound without it,
for a store that keeps the whole 水岸明珠 as one compound.

Nothing here raises on odd text: what cannot be placed is returned in
``ParsedAddress.unparsed``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import groupby

from geo_api.address.fold import to_simplified
from geo_api.address.numerals import NUMERAL_CHARS, parse_number
from geo_api.address.tail import Tail, find_tail

_HAN = r"[\u4e00-\u9fff]"
_CITY_HAN = r"(?:(?![区县市])[\u4e00-\u9fff])"
_HAN_CHAR = re.compile(_HAN)  # a compound name holds at least one, or Latin words
_LATIN_WORD = re.compile(r"[A-Za-z]{2}")

# Provincial-level names; matched only with their suffix, so 山西路 stays a road.
_PROVINCES = (
    "北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北"
    "|湖南|广东|海南|四川|贵州|云南|陕西|甘肃|青海|台湾|内蒙古|广西|西藏|宁夏|新疆|香港|澳门"
)
_REGION_LEVELS = (
    # 山西省, 北京市, 广西壮族自治区, 香港特别行政区.
    re.compile(rf"(?:{_PROVINCES})(?:省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)"),
    # 临汾市, then 侯马市: a prefecture and a county-level city may both be given.
    # At least two characters before 市, so 城市花园 is not read as a city; none of
    # them 区/县/市, so 信义区市府路 is not read as a city 信义区市.
    re.compile(rf"{_CITY_HAN}{{2,5}}?(?:市|自治州)"),
    re.compile(rf"{_CITY_HAN}{{2,5}}?(?:市|自治州)"),
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
# A zone ending a compound name: B区, 12区, 一区, 东区 (the name must come first).
_ZONE = re.compile(rf"(?<=.)(?:([A-Za-z])|(\d+)|([{NUMERAL_CHARS}]+)|([东南西北中]))区\Z", re.ASCII)
# What a compound name ends with before its zone (翠苑东区): a district never does.
_COMPOUND_ENDS = tuple("苑园庭居城府湾寓村院里期珠") + _GENERIC_WORDS
# Characters that would join a number written after them (五一 + 3号楼, 第 + 3号楼).
_GLUES_TO_NUMBER = frozenset(NUMERAL_CHARS + "第")
# "·" ends a name before a number (format_address writes it there); "," does not,
# as people type 3，2，501 for 3-2-501, except after a Latin name (Kortteli 111, 41).
_NAME_ENDS = frozenset("·\u30fb\u2027")
_LATIN_NAME_END = re.compile(r"[A-Za-z] \d+\Z", re.ASCII)


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedAddress:
    """The parts of an address; a part that is not in the text is None.

    ``region`` is the stripped 省/市/区/县 prefix, ``compound`` is kept as written
    (with 小区/花园/… and any 二期), ``room`` is a digit string ("501", "0501",
    "501A") and ``floor`` is given or derived from a 3-4 digit room (1203 → 12).
    ``unparsed`` holds leftover text, or the whole input when nothing was
    recognised; ``normalised`` is the input after normalisation. ``zone`` is the
    canonical zone ending the compound ("B区"; see the module docstring), and
    ``building_suffix`` a building's letter, upper-cased (12A号楼 → building 12,
    suffix "A"; A座 → no building number, suffix "A").
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
    zone: str | None = None
    building_suffix: str | None = None
    unparsed: str = ""

    @property
    def compound_key(self) -> str | None:
        """The compound name for matching: normalised, without a trailing 小区."""
        return None if self.compound is None else compound_key(self.compound)

    @property
    def compound_base(self) -> str | None:
        """The compound without its zone (水岸明珠B区 → 水岸明珠); the compound if none."""
        if self.compound is None or self.zone is None:
            return self.compound
        found = _ZONE.search(self.compound)
        return self.compound[: found.start()] if found else self.compound

    @property
    def building_label(self) -> str | None:
        """A lettered building's label as stored (``building.label``): "12A", "A";
        None for a building with a number only."""
        if self.building_suffix is None:
            return None
        return f"{'' if self.building is None else self.building}{self.building_suffix}"

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
    zone = zone_of(compound) if compound else None
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
        zone=zone,
        building_suffix=tail.suffix if tail else None,
        unparsed=leftover,
    )
    if not parsed.recognised:
        return ParsedAddress(normalised=clean, unparsed=text.strip())
    return parsed


def normalise(text: str) -> str:
    """Fold full-width forms (NFKC) and traditional characters, drop spaces and
    punctuation, turn the separators of building-unit-room shorthand into "-"
    ("3 / 2 — 501" → "3-2-501"), and keep one space where a separator ends a name
    before a number or parts Latin words ("Kortteli 111, 41-2-501")."""
    if not isinstance(text, str):
        raise TypeError(f"an address must be a str, not {type(text).__name__}")
    runs = [(sep, "".join(chars)) for sep, chars in groupby(_fold(text), key=_is_separator)]
    kept: list[str] = []
    for i, (sep, chars) in enumerate(runs):
        if not sep:
            kept.append(chars)
            continue
        after = runs[i + 1][1][0] if i + 1 < len(runs) else ""
        # The last word, the separator kept before it, and the word before that.
        kept.append(_separator(chars, "".join(kept[-3:]), after))
    return _DASH_RUNS.sub("-", "".join(kept)).strip("- ")


def zone_of(compound: str) -> str | None:
    """The canonical zone ending a compound name (水岸明珠B区 → "B区", 水岸明珠一区
    → "1区", 翠苑东区 → "东区"), or None; 小区 and 社区 are not zones."""
    found = _ZONE.search(normalise(compound))
    if found is None:
        return None
    letter, digits, numeral, direction = found.groups()
    if letter:
        return f"{letter.upper()}区"
    if digits or numeral:
        value = parse_number(digits or numeral)
        return None if value is None else f"{value}区"
    return f"{direction}区"


def compound_key(name: str) -> str:
    """A compound name for comparison: normalised, without a trailing 小区
    (水岸明珠小区 and 水岸明珠 give the same key)."""
    key = normalise(name)
    if key.endswith(_COMPOUND_SUFFIX) and len(key) > len(_COMPOUND_SUFFIX):
        key = key[: -len(_COMPOUND_SUFFIX)]
    # One spelling of a zone (水岸明珠一区 == 水岸明珠1区) and of Latin letters.
    zone = zone_of(key)
    if zone is not None and (found := _ZONE.search(key)):
        key = key[: found.start()] + zone
    return key.lower()


def _fold(text: str) -> str:
    """NFKC (full-width digits, letters and punctuation to their ASCII forms), then
    traditional characters to simplified ones (社區12號樓 → 社区12号楼)."""
    return to_simplified(unicodedata.normalize("NFKC", text))


def _separator(chars: str, so_far: str, after: str) -> str:
    """What a run of separators after ``so_far`` and before ``after`` becomes: "-"
    in shorthand (3 2 501, 3，2，501, 3/2/501); " " where it ends a name before a
    number (Kortteli 111, 41-2-501; 幸福里12·41号楼; 阳光第·3号楼) or parts Latin
    words; else nothing (水岸明珠 3号楼)."""
    before = so_far[-1:]
    if any(_is_dash(ch) for ch in chars):
        return "-"
    boundary = any(ch in _NAME_ENDS for ch in chars)
    if _is_digit(before) and _is_digit(after):
        latin_name = _LATIN_NAME_END.search(so_far) is not None
        return " " if boundary or latin_name else "-"
    if before.isascii() and before.isalnum() and after.isascii() and after.isalnum():
        return " "
    glued = before in _GLUES_TO_NUMBER or (before.isascii() and before.isalpha())
    if _is_digit(after) and glued and (boundary or chars.isspace()):
        return " "
    return ""


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
        before = rest
        rest, taken = _take_prefix(level, rest, _NOT_IN_REGION)
        if taken and _is_zoned_compound(taken):
            rest = before
    region = text[: len(text) - len(rest)]
    return rest, region or None


def _is_zoned_compound(name: str) -> bool:
    """Whether a would-be district (…区) is a compound's zone: 水岸明珠东区 and
    翠苑东区 are, 河东区 and 浦东新区 are not."""
    found = _ZONE.search(name)
    if found is None:
        return False
    name_before = name[: found.start()]
    return len(name) >= 5 or name_before.endswith(_COMPOUND_ENDS)


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
    gives 水岸明珠). A "compound" with no Han character is not one (12345), unless
    it holds a Latin word and a tail follows it (Kortteli 111, 41-2-501).
    """
    if tail is None:
        numbers = _TRAILING_NUMBERS.search(text)
        cut = numbers.start() if numbers else len(text)
        head, after = text[:cut], text[cut:]
    else:
        head, after = text[: tail.start], text[tail.end :]
    head = head.strip("- ")
    leftover = after.strip("- ")
    latin = tail is not None and _LATIN_WORD.search(head) is not None
    if not (_HAN_CHAR.search(head) or latin):
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
