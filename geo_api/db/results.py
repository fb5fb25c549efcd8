"""Results computed once per data version and stored, shared by every worker.

The gaps, the proposed recruits and the map pages take seconds to compute and
change only when the data does. The data version (migration 0012) is bumped at
the commit of every transaction that changes the city; a result is stored under
the version it was computed from, with the parameters that shape it as its key,
and served from the store (and from a small cache in this process) until the
version moves on. The key carries the code's own mark too (``code_mark``): a result
computed by an older gridgov (a rule changed, a page's script) is not served by a
newer one that was installed over it during the day.

A transaction that has changed data itself and not committed (an import in
progress, a test's rolled-back transaction) sees its own data_change row: it
computes afresh and stores nothing, so no result mixes uncommitted data.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine, text

T = TypeVar("T")
MEMORY_ENTRIES = 32  # decoded results kept in this process, newest used last
MAX_KEY_LOCKS = 1024
# An execution option of a replica's engine: the primary's engine, where results
# computed from the replica's data are stored (the replica itself is read-only).
WRITER_OPTION = "gridgov_writer"
VERSION_SQL = text(
    "SELECT v.version, EXISTS (SELECT 1 FROM data_change) AS pending "
    "FROM data_version v WHERE v.id = 1"
)

_memory: OrderedDict[tuple[str, str, int], object] = OrderedDict()
_memory_lock = threading.Lock()
_key_locks: dict[tuple[str, str], threading.Lock] = {}


# What the results are made from besides the data: gridgov's own code and page assets.
SOURCES = (
    Path(__file__).resolve().parents[1],  # geo_api
    Path(__file__).resolve().parents[2] / "maps",
)
SKIP = {"__pycache__", "node_modules"}


@functools.cache
def code_mark() -> str:
    """Twelve hex digits of a hash of gridgov's sources (its Python, its own page
    scripts and the pinned assets' lock file): they change with any upgrade. Read once
    per process (about 20 ms)."""
    digest = hashlib.sha256()
    for root in SOURCES:
        for folder, subfolders, files in os.walk(root):  # top down, subfolders in order
            subfolders[:] = sorted(set(subfolders) - SKIP)  # never walked into, not only skipped
            for name in sorted(files):
                if not name.endswith(".pyc"):
                    path = Path(folder, name)
                    digest.update(str(path.relative_to(root.parent)).encode())
                    digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def marked(key: str) -> str:
    """The key a result is stored under: its parameters and the code's mark."""
    return f"{key};code={code_mark()}"


def data_version(conn: Connection) -> int | None:
    """The version of the data this connection sees; None when its transaction has
    uncommitted changes of its own (then nothing may be stored or reused)."""
    row = conn.execute(VERSION_SQL).one()
    return None if row.pending else int(row.version)


def _remember(slot: tuple[str, str, int], value: object) -> None:
    with _memory_lock:
        _memory[slot] = value
        _memory.move_to_end(slot)
        while len(_memory) > MEMORY_ENTRIES:
            _memory.popitem(last=False)


def _recall(slot: tuple[str, str, int]) -> object | None:
    with _memory_lock:
        found = _memory.get(slot)
        if found is not None:
            _memory.move_to_end(slot)
        return found


def _load(conn: Connection, kind: str, key: str, version: int) -> bytes | None:
    body = conn.execute(
        text("SELECT body FROM stored_result WHERE kind = :k AND key = :key AND version = :v"),
        {"k": kind, "key": key, "v": version},
    ).scalar_one_or_none()
    return bytes(body) if body is not None else None


def _store(conn: Connection, kind: str, key: str, version: int, body: bytes) -> None:
    """Store a result in a transaction of its own (the caller's may be read-only, or on
    a replica: then on the engine its WRITER_OPTION names), and drop the results of
    older versions, which no one can ask for any more."""
    primary = conn.get_execution_options().get(WRITER_OPTION)
    engine = primary if isinstance(primary, Engine) else conn.engine
    with engine.begin() as writer:
        writer.execute(
            text(
                "INSERT INTO stored_result (kind, key, version, body) "
                "VALUES (:k, :key, :v, :body) ON CONFLICT DO NOTHING"
            ),
            {"k": kind, "key": key, "v": version, "body": body},
        )
        writer.execute(
            text("DELETE FROM stored_result WHERE version < :v"),
            {"v": version},
        )


def stored(
    conn: Connection,
    kind: str,
    key: str,
    compute: Callable[[], T],
    encode: Callable[[T], bytes],
    decode: Callable[[bytes], T],
) -> T:
    """The result ``kind`` with parameters ``key`` for the data ``conn`` sees: from this
    process's memory, else the store, else computed (by one thread of this process at
    a time per key; others wait and take its result) and stored."""
    version = data_version(conn)
    if version is None:
        return compute()
    key = marked(key)
    slot = (kind, key, version)
    hit = _recall(slot)
    if hit is not None:
        return hit  # type: ignore[return-value]
    with _memory_lock:
        if len(_key_locks) > MAX_KEY_LOCKS:
            # Many parameter sets seen: forget the locks (a thread holding one keeps
            # it; at worst a result is computed twice).
            _key_locks.clear()
        lock = _key_locks.setdefault((kind, key), threading.Lock())
    with lock:
        hit = _recall(slot)
        if hit is not None:
            return hit  # type: ignore[return-value]
        body = _load(conn, kind, key, version)
        if body is not None:
            value = decode(body)
        else:
            value = compute()
            _store(conn, kind, key, version, encode(value))
        _remember(slot, value)
        return value


def forget() -> None:
    """Empty this process's memory of results (the store keeps them)."""
    with _memory_lock:
        _memory.clear()
