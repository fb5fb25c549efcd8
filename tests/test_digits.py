"""Whole numbers from a client's or a file's text never crash int()."""

from __future__ import annotations

import pytest

from geo_api.digits import declared_size, whole


@pytest.mark.parametrize(
    ("text", "value"),
    [("0", 0), ("007", 7), ("123456789012345678", 123456789012345678), (b"42", 42)],
)
def test_ascii_digits_are_their_value(text: str | bytes, value: int) -> None:
    assert whole(text) == value


@pytest.mark.parametrize(
    "text", ["", "²", "٣", "１", "-1", "+1", "1.0", " 1", "1234567890123456789", "9" * 5000, b""]
)
def test_anything_else_is_none(text: str | bytes) -> None:
    assert whole(text) is None


def test_the_digit_limit_is_the_callers() -> None:
    assert whole("1234567890", max_digits=9) is None
    assert whole("123456789", max_digits=9) == 123456789


@pytest.mark.parametrize(
    ("text", "size"),
    [("0", 0), (b"1024", 1024), (" 7 ", 7), ("", None), ("²", None), ("-1", None),
     ("9" * 5000, 10**18), (b"9" * 19, 10**18)],
)  # fmt: skip
def test_a_declared_size_too_long_for_any_number_is_over_any_limit(
    text: str | bytes, size: int | None
) -> None:
    assert declared_size(text) == size
