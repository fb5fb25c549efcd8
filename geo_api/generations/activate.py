"""Making a new generation current.

Its areas are written into the areas' tables (apply.py; the versions they replace are
kept), the generation before it ends the day this one starts, grid officers follow
their grid into its new community, and only the communities something moves out of
or into are assigned again. A generation takes effect on the day it is made current
(China's day): history before that day is never rewritten. An open assignment whose
household and head no longer share a community is closed at the start of that day
first, so that no assignment is valid outside its household's community of a date
(history.py checks it); the run then gives those households a head of their own
community.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

from geo_api.assign.engine import RunReport, run_assignment
from geo_api.clock import today
from geo_api.errors import ConflictError
from geo_api.generations.apply import apply_generation
from geo_api.generations.diff import GenerationDiff, diff_generations
from geo_api.generations.history import CHINA_DAY, HEAD_COMPOUND, HOUSEHOLD_COMPOUND
from geo_api.generations.store import Generation, current, named
from geo_api.network.build import NetworkReport, rebuild

# The moment a China day starts, for a date bound as :day.
DAY_START = CHINA_DAY.format(d="CAST(:day AS date)")  # the start of :day in China


@dataclass
class Activation:
    """What making a generation current did."""

    generation: Generation
    previous: Generation
    diff: GenerationDiff
    written: dict[str, int]
    closed: int  # open assignments closed because household and head parted
    officers: int  # officers whose community followed their grid
    run: RunReport | None  # the incremental re-assignment (None: nothing moved)
    # The walking network, rebuilt when the compounds (whose gates homes leave by) change.
    network: NetworkReport | None = None


def activate(conn: Connection, ref: str | int, by: str | None = None) -> Activation:
    """Make generation ``ref`` current from today; see the module docstring."""
    gen = named(conn, ref)
    previous = current(conn)
    day = today()
    if not gen.pending:
        raise ConflictError(f"generation {gen.name!r} was already made current on {gen.activated}")
    if not gen.layers:
        raise ConflictError(f"generation {gen.name!r} has no areas: import a layer into it first")
    if gen.valid_from is not None and gen.valid_from > day:
        raise ConflictError(
            f"generation {gen.name!r} is valid from {gen.valid_from.isoformat()}: make it "
            "current on that day"
        )
    if previous.valid_from is not None and day <= previous.valid_from:
        raise ConflictError(
            f"generation {previous.name!r} became current on {previous.valid_from.isoformat()}:"
            " a new one may take effect from the next day"
        )
    changes = diff_generations(conn, previous, gen)
    written = apply_generation(conn, gen, previous.id)
    # Its own imported versions are now the tables' rows; the replaced ones are kept.
    conn.execute(
        text("DELETE FROM area_version WHERE generation_low = :g AND generation_high = :g"),
        {"g": gen.id},
    )
    conn.execute(
        text("UPDATE generation SET valid_to = :day WHERE id = :id"),
        {"day": day, "id": previous.id},
    )
    conn.execute(
        text(
            "UPDATE generation SET activated = now(), valid_from = :day, "
            "changed_by = coalesce(:by, changed_by) WHERE id = :id"
        ),
        {"day": day, "id": gen.id, "by": by},
    )
    officers = written.pop("officers following their grid", 0)
    closed = close_parted(conn, day)
    ids = list(
        conn.execute(
            text("SELECT id FROM community WHERE code = ANY(:codes) ORDER BY id"),
            {"codes": sorted(changes.communities())},
        ).scalars()
    )
    run = run_assignment(conn, communities=ids) if ids else None
    # Homes reach the streets through their compound's outline and gates: new outlines,
    # a new network (the staging left it alone; the importer of compounds rebuilds it too).
    network = rebuild(conn) if "compounds" in gen.layers else None
    return Activation(
        named(conn, gen.id), previous, changes, written, closed, officers, run, network
    )


def close_parted(conn: Connection, day: date) -> int:
    """Close, at the start of ``day``, the open assignments whose household and head
    are in different communities now (locked ones too: a lock never crosses a
    community). Returns how many."""
    return int(
        conn.execute(
            text(f"""
                UPDATE assignment a SET valid_to = greatest(a.valid_from, {DAY_START}),
                       locked = false
                FROM ({HOUSEHOLD_COMPOUND}) hh, ({HEAD_COMPOUND}) hc
                WHERE a.valid_to IS NULL AND hh.id = a.household_id AND hc.id = a.head_id
                  AND hh.community_id <> hc.community_id
            """),  # noqa: S608
            {"day": day},
        ).rowcount
    )
