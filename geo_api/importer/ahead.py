"""An iterator run one item ahead in a thread: the next chunk is read and checked while
the caller lands this one.

Checking is Python and numpy in the importer's process; landing is mostly the
database's work (COPY, in the server's process) and GIL-free encoding (WKB,
Arrow's CSV). One step ahead, the two run at once on two cores; memory holds one
more chunk. Items are made one at a time, in order, in one worker thread: the
iterator needs no locking. An exception raised making an item is raised where that
item is taken; a caller that stops early waits for the item being made, no more.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar, cast

T = TypeVar("T")
_END = object()


def ahead(items: Iterator[T]) -> Iterator[T]:
    """``items``, each made in a worker thread while the caller works on the one before."""
    with ThreadPoolExecutor(1, thread_name_prefix="import-ahead") as pool:
        pending = pool.submit(next, items, _END)
        while True:
            item = pending.result()
            if item is _END:
                return
            pending = pool.submit(next, items, _END)
            yield cast(T, item)  # not _END: that returned above
