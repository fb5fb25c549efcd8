"""An import in a child process with a memory limit.

Reading a file (a GeoJSON held whole by GDAL, a spreadsheet, a zipped Shapefile)
can take many times its size in memory, and memory a process has taken it rarely
gives back: imports in the server made it grow for good, and one file could take
it down. Here the import runs in a child process (forked from a clean forkserver
that has the importer loaded) whose address space is capped with RLIMIT_AS; it
opens its own connection, imports in its own transaction (committed there), and
sends back the report, or the error, pickled. A file that needs more than the cap
is refused with a message that says so; the server's memory does not move.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from geo_api.errors import GridgovError, InvalidInputError
from geo_api.generations.stage import import_any
from geo_api.importer.run import ImportRejectedError, ImportReport

MB = 1024**2
_context = multiprocessing.get_context("forkserver")
# The forkserver imports the importer (pandas, geopandas, GDAL) once; each import
# forks from it in milliseconds instead of starting Python afresh.
_context.set_forkserver_preload([__name__])


class ImportMemoryError(InvalidInputError):
    """The file needed more memory than an import may take."""


def _address_space() -> int:
    """Bytes of address space this process maps now (the first field of statm)."""
    pages = int(Path("/proc/self/statm").read_text().split()[0])
    return pages * os.sysconf("SC_PAGE_SIZE")


def _out_of_memory(exc: BaseException) -> bool:
    """Whether an error is a failed allocation: Python's MemoryError, or GDAL's and
    other C libraries' own words for it."""
    text = str(exc).lower()
    return isinstance(exc, MemoryError) or "out of memory" in text or "cannot allocate" in text


def _child(url: str, layer: str, path: str, options: dict[str, Any], cap: int, pipe: Pipe) -> None:
    """The child's work: cap memory, import in a transaction of its own, send the outcome."""
    try:
        budget = _address_space() + cap
        resource.setrlimit(resource.RLIMIT_AS, (budget, budget))
        engine = create_engine(url, poolclass=NullPool, connect_args={"options": "-c jit=off"})
        try:
            with engine.connect() as conn, conn.begin() as tx:
                report = import_any(conn, layer, Path(path), **options)
                if options.get("dry_run"):
                    tx.rollback()  # a dry run writes nothing, not even by mistake
        finally:
            engine.dispose()
        pipe.send(("ok", report))
    except ImportRejectedError as exc:
        pipe.send(("rejected", exc.report))
    except BaseException as exc:  # every outcome, bugs included, goes back to the parent
        if _out_of_memory(exc):
            pipe.send(("memory", ""))
        elif isinstance(exc, GridgovError):
            pipe.send(("invalid", str(exc)))
        else:
            pipe.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        pipe.close()


def import_in_child(
    url: str,
    layer: str,
    path: Path,
    memory_mb: int,
    timeout_s: float,
    **options: Any,
) -> ImportReport:
    """import_file(conn, layer, path, **options) in a child process on the store at
    ``url``, committed there, with at most ``memory_mb`` more memory than the child
    starts with; ImportRejectedError, InvalidInputError or ImportMemoryError as the
    import in this process would raise them."""
    receiver, sender = _context.Pipe(duplex=False)
    child = _context.Process(
        target=_child,
        args=(url, layer, str(path), options, memory_mb * MB, sender),
        name=f"gridgov-import-{layer}",
        daemon=True,
    )
    child.start()
    sender.close()
    try:
        if not receiver.poll(timeout_s):
            child.kill()
            raise InvalidInputError(
                f"{path.name}: the import took more than {timeout_s:.0f} s and was stopped; "
                "split the file (GEO_API_IMPORT_TIMEOUT_S)"
            )
        outcome, value = receiver.recv()
    except EOFError:
        outcome, value = "died", ""
    finally:
        receiver.close()
        child.join(timeout=10)
        if child.is_alive():
            child.kill()
    if outcome == "ok":
        report: ImportReport = value
        return report
    if outcome == "rejected":
        raise ImportRejectedError(value)
    if outcome == "invalid":
        raise InvalidInputError(value)
    if outcome in ("memory", "died"):
        # A C library may abort on a failed allocation rather than report it: a child
        # that died without a word ran out of memory, or crashed on the file.
        raise ImportMemoryError(
            f"{path.name}: reading it needs more than the {memory_mb} MB an import may "
            "take (GEO_API_IMPORT_MEMORY_MB), or it crashed the reader; nothing was "
            "imported. Split the file into smaller ones"
        )
    raise RuntimeError(f"the import of {path.name} failed in its child process: {value}")
