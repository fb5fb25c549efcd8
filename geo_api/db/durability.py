"""Whether the store keeps what gridgov acknowledged through a crash.

gridgov's own cluster is made durable (geo_api.db.cluster); a server of one's own
(``GEO_API_DATABASE_URL``) is its administrator's to set, so gridgov reports what
it finds rather than overriding it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection

# What each setting must be for an acknowledged commit to survive a crash, and why.
REQUIRED = {
    "fsync": ("on", "writes may sit in the OS cache when the machine fails"),
    "full_page_writes": ("on", "a page torn by a power cut cannot be repaired"),
    "synchronous_commit": (
        "on, remote_write, remote_apply or local",
        "a commit is acknowledged before its WAL is flushed: a crash loses it",
    ),
}
# synchronous_commit values that wait for the local WAL flush.
FLUSHING = {"on", "local", "remote_write", "remote_apply"}


def durability_settings(conn: Connection) -> dict[str, str]:
    """The server's fsync, full_page_writes and synchronous_commit, as it runs them."""
    from sqlalchemy import text

    return {
        name: str(conn.execute(text("SELECT current_setting(:n)"), {"n": name}).scalar_one())
        for name in REQUIRED
    }


def durability_problems(settings: dict[str, str]) -> list[str]:
    """A sentence for each setting that lets an acknowledged write be lost."""
    problems = []
    for name, (wanted, why) in REQUIRED.items():
        value = settings[name]
        ok = value in FLUSHING if name == "synchronous_commit" else value == "on"
        if not ok:
            problems.append(f"{name} is {value} (should be {wanted}): {why}")
    return problems
