"""CPU seconds spent by a benchmark's parties: a server's process tree, the database
server's, and the benchmark's own children (wrk, pgbench).

On a machine whose cores the load generator, the API and PostgreSQL share, requests a
second follow from CPU per request; these say where a request's CPU goes. Read from
/proc (Linux): a process's own time plus its reaped children's (``cutime``,
``cstime``), summed over the live processes of the tree, counts every process that
ran in it once, whether it is still running or has ended.
"""

from __future__ import annotations

import os
import resource
from itertools import pairwise
from pathlib import Path

from sqlalchemy import Engine, text

TICK = os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue  # a thread that ended meanwhile
    return found


def tree_cpu(pid: int) -> float:
    """CPU seconds of ``pid`` and every process below it, live or reaped."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue  # ended meanwhile: its parent's cutime has it
        # utime, stime, cutime, cstime: fields 14 to 17 of stat(5), 12 to 15 here
        total += sum(int(f) for f in fields[11:15])
        todo += _children(current)
    return total / TICK


def postmaster_pid(engine: Engine) -> int | None:
    """The PostgreSQL server's main process, when it runs on this machine and the
    benchmark may read its data directory; None otherwise."""
    try:
        with engine.connect() as conn:
            data = conn.execute(text("SHOW data_directory")).scalar_one()
        pid = int(Path(data, "postmaster.pid").read_text().split()[0])
    except Exception:  # not a superuser, or another machine: no figure
        return None
    return pid if Path(f"/proc/{pid}").exists() else None


def children_cpu() -> float:
    """CPU seconds of this process's ended children (wrk and pgbench, once they ran)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def server_pid(port: int) -> int | None:
    """The oldest process whose command line names ``--port PORT`` (a server started so)."""
    best: tuple[float, int] | None = None
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
            started = float((proc / "stat").read_text().rsplit(")", 1)[1].split()[19])
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        named = any(a == b"--port" and b == str(port).encode() for a, b in pairwise(args))
        if named and (best is None or started < best[0]):
            best = (started, int(proc.name))
    return None if best is None else best[1]
