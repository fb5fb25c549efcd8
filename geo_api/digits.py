"""Whole numbers from text a client or a file gives: ASCII digits only, and not too many.

``str.isdigit`` is true for ``²`` and ``٣`` (which ``int`` refuses) and says nothing of
length (``int`` refuses more than 4,300 digits, and a long run costs quadratic time), so
``text.isdigit() and int(text)`` is a crash waiting for its input.
"""

from __future__ import annotations

# Enough for any count, id, size in bytes or house number gridgov reads (a bigint has 19).
MAX_DIGITS = 18


def whole(text: str | bytes, max_digits: int = MAX_DIGITS) -> int | None:
    """The value of ``text`` when it is 1 to ``max_digits`` ASCII digits, else None."""
    if not 0 < len(text) <= max_digits or not text.isascii() or not text.isdigit():
        return None
    return int(text)


def declared_size(text: str | bytes) -> int | None:
    """A Content-Length as a number of bytes: None when it is none; a run of digits too
    long for any size counts as more than any limit (as the 18-digit cap)."""
    text = text.strip()
    if not text.isascii() or not text.isdigit():
        return None
    return whole(text) if len(text) <= MAX_DIGITS else 10**MAX_DIGITS
