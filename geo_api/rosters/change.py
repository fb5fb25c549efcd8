"""What every roster change shares: who makes it, its result, and the re-assignment."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection, text

from geo_api.assign.engine import RunReport, run_assignment
from geo_api.errors import InvalidInputError

MAX_REASON = 200


@dataclass
class Change:
    """A roster change: what it did, to whom, and the re-assignment it caused."""

    action: str  # appointed, retired, moved, updated, ended, relocated
    head_id: int | None = None
    household_id: int | None = None
    # Heads whose terms ended with the change (a head moved: the old term; a
    # household ended: the heads living there).
    ended_heads: list[int] = field(default_factory=list)
    communities: list[int] = field(default_factory=list)
    # The incremental run over the communities touched; None when nothing changes
    # today (a retirement dated later) or the caller re-assigns itself.
    run: RunReport | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def records(self) -> list[str]:
        """The records the change touched, as the audit log names them."""
        heads = [self.head_id] if self.head_id is not None else []
        out = [f"head:{h}" for h in [*heads, *self.ended_heads]]
        if self.household_id is not None:
            out.append(f"household:{self.household_id}")
        return out


def who(by: str) -> str:
    """Who makes the change: recorded in the history, so it must be said."""
    by = (by or "").strip()
    if not by:
        raise InvalidInputError("say who makes the change (by): it is recorded")
    return by[:100]


def reason_of(reason: str | None, what: str) -> str:
    """A reason, required and kept short (it goes on the record)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInputError(f"say why {what} (reason): it is recorded")
    if len(reason) > MAX_REASON:
        raise InvalidInputError(f"reason is {len(reason)} characters; at most {MAX_REASON}")
    return reason


def today(conn: Connection) -> date:
    """The store's date: what active_head counts serving heads by."""
    day: date = conn.execute(text("SELECT china_today()")).scalar_one()
    return day


def day_of(conn: Connection, on: date | None, what: str, earliest: date | None = None) -> date:
    """The date of a change: today unless given; never before ``earliest``."""
    day = on or today(conn)
    if earliest is not None and day < earliest:
        raise InvalidInputError(f"{what} {day} is before {earliest}")
    return day


def community_of_place(conn: Connection, kind: str, place_id: int) -> tuple[int, int] | None:
    """The community and grid of a unit, building or compound, or None if there is none."""
    sql = {
        "unit": "SELECT cp.community_id, cp.grid_id FROM unit u JOIN building b ON b.id = "
        "u.building_id JOIN compound cp ON cp.id = b.compound_id WHERE u.id = :id",
        "building": "SELECT cp.community_id, cp.grid_id FROM building b JOIN compound cp "
        "ON cp.id = b.compound_id WHERE b.id = :id",
        "compound": "SELECT community_id, grid_id FROM compound WHERE id = :id",
    }[kind]
    row = conn.execute(text(sql), {"id": place_id}).first()
    return None if row is None else (int(row[0]), int(row[1]))


def reassign(conn: Connection, change: Change, communities: list[int]) -> Change:
    """Re-assign the communities a change touched (their households only); kept on it."""
    change.communities = sorted(set(communities))
    if change.communities:
        change.run = run_assignment(conn, communities=change.communities)
    return change
