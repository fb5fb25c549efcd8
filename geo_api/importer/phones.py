"""Chinese phone numbers as registers write them: checked, normalised, and the
usual spreadsheet damage recognised.

A mobile is 11 digits from 13 to 19; a landline is an area code (0 and 2 or 3
digits) and 7 or 8 digits, with an optional extension. Spaces, dashes,
brackets and a +86 / 0086 prefix are dropped. A 10- or 11-digit number that
would be a landline with a leading 0 was most likely typed in a number cell,
which ate the 0: flagged, not guessed. Scientific notation (1.38E+10) lost digits
and is rejected.
"""

from __future__ import annotations

import re

from geo_api.importer.values import scientific_digits

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
# The normalised form of either: what PHONE matched before (members, heads).
PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$")
_NOISE = re.compile(r"[\s()（）]")


def normalise_phone(text: str) -> str:
    """The number without spaces, brackets or a +86 / 0086 prefix."""
    number = _NOISE.sub("", text)
    for prefix in ("+86", "0086"):
        if number.startswith(prefix):
            number = number[len(prefix) :].lstrip("-")
    return number


def phone_problem(number: str) -> str | None:
    """Why a normalised number is not a usable phone, or None when it is."""
    if PHONE.match(number):
        return None
    if scientific_digits(number):
        return "digits lost to scientific notation: format the column as text and type it again"
    if number.endswith(".0") and number[:-2].isdigit():
        return "typed as a decimal number: format the column as text"
    return "not a Chinese phone number (an 11-digit mobile, or 0 + area code + number)"


def lost_leading_zero(number: str) -> bool:
    """A landline whose leading 0 a number cell ate (3575123456 for 0357-5123456)."""
    digits = number.replace("-", "")
    return (
        digits.isdigit()
        and len(digits) in (9, 10, 11)
        and not digits.startswith(("0", "1"))
        and LANDLINE.match("0" + number) is not None
    )
