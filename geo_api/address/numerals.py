"""Chinese numerals as people write them in addresses: 三, 十二, 二十一, 一百零一,
两, digit-by-digit readings such as 一〇二 or 五零一, and the financial forms
(大写) of registers and contracts: 叁号楼贰单元, 壹仟零贰室, 拾伍号楼.

Addresses number buildings, units, floors and rooms this way as often as with
Arabic digits, and a lookup must treat 三号楼, 叁号楼 and 3号楼 as the same
building. Only what addresses need is covered: values below 10,000 (no 万),
no fractions. Traditional forms (貳, 陸, 參) are folded to these before
parsing (geo_api.address.fold).
"""

from __future__ import annotations

from geo_api.digits import whole

DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    # Financial forms (大写), written so that a digit cannot be altered by a stroke.
    "壹": 1,
    "贰": 2,
    "叁": 3,
    "肆": 4,
    "伍": 5,
    "陆": 6,
    "柒": 7,
    "捌": 8,
    "玖": 9,
}
MULTIPLIERS = {"十": 10, "百": 100, "千": 1000, "拾": 10, "佰": 100, "仟": 1000}
# Every character that may appear in a Chinese numeral (for building regexes).
NUMERAL_CHARS = "".join(DIGITS) + "".join(MULTIPLIERS)


def chinese_digits(text: str) -> str | None:
    """The Arabic digit string of a Chinese numeral, as a room is read: 一〇二 → "102",
    五百零一 → "501"; None when ``text`` is not a well-formed numeral."""
    if not text or any(ch not in NUMERAL_CHARS for ch in text):
        return None
    if any(ch in MULTIPLIERS for ch in text):
        value = _positional(text)
        return None if value is None else str(value)
    return "".join(str(DIGITS[ch]) for ch in text)


def parse_number(text: str) -> int | None:
    """The value of a number written in Arabic digits or Chinese numerals
    (3, 三, 十二, 二十一, 一〇二, 两), or None when it is neither."""
    if text.isascii() and text.isdigit():
        return whole(text)
    digits = chinese_digits(text)
    return None if digits is None else whole(digits)


def _positional(text: str) -> int | None:
    """The value of a numeral with 十/百/千 (一百零一 → 101), None if malformed.

    A leading 十 means 一十 (十二 → 12). A last digit straight after 百 or 千 is
    the colloquial shortening of the next place (一百一 → 110, 两千三 → 2300),
    unless a 零 came between (一百零一 → 101).
    """
    total = 0
    pending: int | None = None  # a digit waiting for its multiplier
    last = 10_000  # the last multiplier seen; each must be smaller than the one before
    zero = False  # a 零 since the last multiplier
    for ch in text:
        if ch in MULTIPLIERS:
            place = MULTIPLIERS[ch]
            if place >= last:
                return None
            total += (1 if pending is None else pending) * place
            pending, last, zero = None, place, False
        elif DIGITS[ch] == 0:
            if pending is not None:
                return None
            zero = True
        else:
            if pending is not None:
                return None
            pending = DIGITS[ch]
    if pending is None:
        return total
    shortened = last >= 100 and not zero
    return total + pending * (last // 10 if shortened else 1)
