"""The numbered tail of an address: building, unit, floor and room.

Tails come in full form (3号楼2单元501室, 三栋二单元五零一, 3#楼-2单元, 5层501),
in shorthand (3-2-501, 3栋2-501, 3-501) or in part (3号楼, 2单元501). They are
read left to right in that order, each part optional. Compound names may hold
numbers too (阳光家园二期, 建设路12号院), so the tail is tried at every place a
number starts and the reading that finds the most parts wins, then the one
reaching furthest, then the leftmost.

Numbers are maximal runs (possessive quantifiers), so 32单元 is unit 32 and
never building 3 with unit 2; digits are ASCII only (re.ASCII), as normalisation
leaves them.

A building may carry a letter (12A号楼, 3号楼A座, 12-A, 12A-2-501) or be a
letter only (A座, B栋): the number and the letter are read apart, as
``building`` and ``suffix``. Tails in English words (building 41 unit 2 room
501, bldg 12A) are read too, for compounds named in Latin letters; normalisation
keeps the spaces between Latin words and numbers, and a part may follow the one
before after a "-" or a space.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from geo_api.address.numerals import NUMERAL_CHARS, chinese_digits, parse_number

# A number: Arabic digits or Chinese numerals (三, 十二, 一〇二, 两, 叁, 拾伍).
_NUM = rf"(?:\d++|[{NUMERAL_CHARS}]++)"
# A building number: as _NUM, and Arabic digits may carry one letter (12A).
_BNUM = rf"(?:\d++(?:[A-Za-z](?![A-Za-z]))?|[{NUMERAL_CHARS}]++)"
# A room: digits with an optional letter (501, 501A), or Chinese numerals.
_ROOM = rf"(?:\d++[A-Za-z]?|[{NUMERAL_CHARS}]++)"
# Characters that mark a part; a bare number followed by one belongs to that part.
_MARKERS = "号楼栋幢座单门层室#"
_ENDS_WORD = r"(?![A-Za-z0-9])"

# 3-2-501 (12A-2-501): building-unit-room shorthand; never the first three of 3-2-5-01.
_SHORT3 = re.compile(r"(\d++)([A-Za-z])?-(\d++)-(\d++[A-Za-z]?)(?!-\d)(?:室|号(?!楼))?", re.ASCII)
# 3-501 (building-room) or 3-2 (building-unit).
_SHORT2 = re.compile(r"(\d++)-(\d++)(?![-\d])(?:室|号(?!楼))?", re.ASCII)
# 3号楼, 3栋, 3幢, 3座, 3#楼, 3#, 3号, 第三栋, 12A号楼; N楼 only when a unit follows
# (alone, 5楼 is a floor), and a bare 3 only in 3-2单元.
_BUILDING = re.compile(
    rf"第?({_BNUM})(?:号楼|栋|幢|座|#楼|#|号|楼(?=-?{_NUM}(?:单元|门))|(?=-{_NUM}(?:单元|门)))",
    re.ASCII,
)
# A building named by a letter only: A座, B栋, C号楼.
_BUILDING_LETTER = re.compile(r"([A-Za-z])(?:号楼|栋|幢|座)", re.ASCII)
# 12-A: a building number, a dash and its letter (with an optional marker).
_BUILDING_DASH_LETTER = re.compile(rf"(\d++)-([A-Za-z]){_ENDS_WORD}(?:号楼|栋|幢|座)?", re.ASCII)
# building 41, bldg 12A, building A.
_BUILDING_EN = re.compile(
    rf"(?:building|bldg)[ -]?(\d++[A-Za-z]?|[A-Za-z]){_ENDS_WORD}", re.ASCII | re.IGNORECASE
)
# The letter after a numbered building: 3号楼A座, 3号楼-B栋.
_BUILDING_SUFFIX = re.compile(r"([A-Za-z])(?:座|栋|幢)", re.ASCII)
# 2-501 after a building (3栋2-501): unit-room shorthand.
_UNIT_ROOM = re.compile(r"(\d++)-(\d++[A-Za-z]?)(?![-\d])(?:室|号(?!楼))?", re.ASCII)
# 2单元, 2门, 第二单元; unit 2, entrance 2.
_UNIT = re.compile(rf"第?({_NUM})(?:单元|门)", re.ASCII)
_UNIT_EN = re.compile(rf"(?:unit|entrance)[ -]?(\d++){_ENDS_WORD}", re.ASCII | re.IGNORECASE)
# 5层, 5楼, 第五层; floor 5.
_FLOOR = re.compile(rf"第?({_NUM})(?:层|楼)", re.ASCII)
_FLOOR_EN = re.compile(rf"floor[ -]?(\d++){_ENDS_WORD}", re.ASCII | re.IGNORECASE)
# 501室, 501号 (not 501号楼), or a bare 501 that no other marker follows.
_ROOM_MARKED = re.compile(rf"({_ROOM})(?:室|号(?!楼))", re.ASCII)
_ROOM_BARE = re.compile(rf"({_ROOM})(?![{_MARKERS}A-Za-z])", re.ASCII)
# room 501, apt 501A, flat 12.
_ROOM_EN = re.compile(
    rf"(?:room|apt|apartment|flat)[ -]?(\d++[A-Za-z]?){_ENDS_WORD}", re.ASCII | re.IGNORECASE
)
# Where a tail may begin: a digit, a Chinese numeral, 第, or a Latin word or letter
# (A座, building 41) that does not continue a word.
_DIGITS = frozenset("0123456789")
_NUMERALS = frozenset(NUMERAL_CHARS)
_LATIN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_STARTS = _DIGITS | _NUMERALS | _LATIN | {"第"}


@dataclass(slots=True)
class Tail:
    """A reading of the tail: text[start:end] holds the parts that are not None.
    ``suffix`` is a building's letter (12A号楼, A座), upper-cased."""

    start: int
    end: int
    building: int | None = None
    unit: int | None = None
    floor: int | None = None
    room: str | None = None
    suffix: str | None = None

    def parts(self) -> int:
        """How many of building (number or letter), unit, floor and room were read."""
        named = self.building is not None or self.suffix is not None
        return named + sum(p is not None for p in (self.unit, self.floor, self.room))


def find_tail(text: str) -> Tail | None:
    """The best reading of a tail in ``text``: most parts, then furthest end, then
    leftmost start; None when no number there reads as one."""
    best: Tail | None = None
    for start in range(len(text)):
        if not _can_start(text, start):
            continue
        tail = read_tail(text, start)
        if tail is not None and (best is None or _rank(tail) > _rank(best)):
            best = tail
    return best


def read_tail(text: str, start: int) -> Tail | None:
    """Read building, unit, floor and room in that order from ``text[start:]``."""
    if short := _SHORT3.match(text, start):
        letter = short[2].upper() if short[2] else None
        return Tail(
            start, short.end(), int(short[1]), int(short[3]), None, short[4].upper(), letter
        )
    tail = Tail(start, start)
    if _building(tail, text):
        if pair := _after_dash(_UNIT_ROOM, text, tail.end):
            tail.unit, tail.room, tail.end = int(pair[1]), pair[2].upper(), pair.end()
            return tail
    elif short := _SHORT2.match(text, start):
        return _two_part(short, start)
    if unit := _number((_UNIT, _UNIT_EN), text, tail.end):
        tail.unit, tail.end = unit
    if floor := _number((_FLOOR, _FLOOR_EN), text, tail.end):
        tail.floor, tail.end = floor
    if room := _room(text, tail.end, bare=tail.parts() > 0):
        tail.room, tail.end = room
    return tail if tail.parts() else None


def _building(tail: Tail, text: str) -> bool:
    """Read the building at ``tail.start`` into ``tail``: its number, its letter
    (12A号楼, 12-A, A座, and a letter after the number: 3号楼A座), and the end."""
    pos = tail.start
    if match := _BUILDING_DASH_LETTER.match(text, pos):
        tail.building, tail.suffix = int(match[1]), match[2].upper()
    elif match := _BUILDING.match(text, pos) or _BUILDING_EN.match(text, pos):
        written = match[1]
        if written[-1].isascii() and written[-1].isalpha():
            tail.suffix, written = written[-1].upper(), written[:-1]
        tail.building = parse_number(written) if written else None
        if written and tail.building is None:  # a malformed numeral (十十)
            tail.suffix = None
            return False
    elif match := _BUILDING_LETTER.match(text, pos):
        tail.suffix = match[1].upper()
    else:
        return False
    tail.end = match.end()
    if tail.suffix is None and (letter := _after_dash(_BUILDING_SUFFIX, text, tail.end)):
        tail.suffix, tail.end = letter[1].upper(), letter.end()
    return True


def _can_start(text: str, start: int) -> bool:
    """Whether a number starts at ``start``: not inside a digit run, a Chinese
    numeral, a Latin word or a dashed shorthand (so 3-2-5-01 is not read from its 2)."""
    ch = text[start]
    if ch not in _STARTS:
        return False
    before = text[start - 1] if start > 0 else ""
    if before in _DIGITS or (before == "-" and text[start - 2 : start - 1] in _DIGITS):
        return False
    if ch in _LATIN and before in _LATIN:
        return False
    return not (ch in _NUMERALS and before in _NUMERALS)


def _rank(tail: Tail) -> tuple[int, int]:
    """Most parts first, then furthest end; ties keep the earlier (leftmost) reading."""
    return tail.parts(), tail.end


def _after_dash(pattern: re.Pattern[str], text: str, pos: int) -> re.Match[str] | None:
    """``pattern`` at ``pos``, or just after a "-" or a space there (3号楼-2单元,
    building 41 unit 2)."""
    match = pattern.match(text, pos)
    if match is None and text[pos : pos + 1] in ("-", " "):
        match = pattern.match(text, pos + 1)
    return match


def _number(patterns: tuple[re.Pattern[str], ...], text: str, pos: int) -> tuple[int, int] | None:
    """(value, end) of a numbered part at ``pos``, in the first of ``patterns`` that
    matches; None if absent or malformed (十十)."""
    for pattern in patterns:
        if match := _after_dash(pattern, text, pos):
            value = parse_number(match[1])
            return None if value is None else (value, match.end())
    return None


def _room(text: str, pos: int, *, bare: bool) -> tuple[str, int] | None:
    """(room digits, end) at ``pos``: 501室, 501号, 一〇二室; a bare 501 only if
    ``bare`` (after another part; alone, a bare number is no address)."""
    match = _after_dash(_ROOM_MARKED, text, pos) or _after_dash(_ROOM_EN, text, pos)
    if match is None and bare:
        match = _after_dash(_ROOM_BARE, text, pos)
    if match is None:
        return None
    written = match[1]
    digits = written.upper() if written[0].isascii() else chinese_digits(written)
    return None if digits is None else (digits, match.end())


def _two_part(match: re.Match[str], start: int) -> Tail:
    """3-501 is building 3, room 501; 3-2 is building 3, unit 2 (a room has 3+ digits)."""
    first, second = int(match[1]), match[2]
    if len(second) >= 3:
        return Tail(start, match.end(), building=first, room=second)
    return Tail(start, match.end(), building=first, unit=int(second))
