"""importer/ahead.py: one item ahead in a thread, in order, errors where they belong."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from geo_api.importer.ahead import ahead


def test_items_come_in_order_each_made_once_off_the_callers_thread() -> None:
    made: list[tuple[int, str]] = []

    def items() -> Iterator[int]:
        for k in range(5):
            made.append((k, threading.current_thread().name))
            yield k

    assert list(ahead(items())) == [0, 1, 2, 3, 4]
    assert [k for k, _ in made] == [0, 1, 2, 3, 4]
    assert all(name.startswith("import-ahead") for _, name in made)


def test_the_next_item_is_made_while_the_caller_works_on_this_one() -> None:
    second_started = threading.Event()

    def items() -> Iterator[int]:
        yield 1
        second_started.set()
        yield 2

    taken = ahead(items())
    assert next(taken) == 1
    # The caller holds item 1; item 2 is being made meanwhile, without another next().
    assert second_started.wait(timeout=10)
    assert next(taken) == 2


def test_an_error_making_an_item_is_raised_where_that_item_is_taken() -> None:
    def items() -> Iterator[int]:
        yield 1
        raise ValueError("row 7: bad")

    taken = ahead(items())
    assert next(taken) == 1
    with pytest.raises(ValueError, match="row 7"):
        next(taken)


def test_a_caller_that_stops_early_ends_the_thread() -> None:
    def items() -> Iterator[int]:
        yield from range(1_000_000)

    taken = ahead(items())
    assert next(taken) == 0
    taken.close()
    alive = [t for t in threading.enumerate() if t.name.startswith("import-ahead")]
    assert not any(t.is_alive() for t in alive)
