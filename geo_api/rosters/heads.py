"""Heads (三长) appointed, retired, moved to another place, and updated.

A head's row is one term at one place (appointed_on to left_on, with who and
why): heads are never deleted, so the assignment history that names them keeps
its meaning. A move ends the term and opens a new one (moved_from links them).
Every change re-assigns the communities it touches, unless the caller batches
changes and re-assigns once (``reassign=False``, as the roster import does).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from geo_api.assign.capacity import set_head_capacity
from geo_api.errors import ConflictError, InvalidInputError, NotFoundError
from geo_api.rosters.change import (
    Change,
    community_of_place,
    day_of,
    reason_of,
    reassign,
    today,
    who,
)

ROLES = ("unit", "building", "compound")
# What a building or compound head covers when nobody says (households), as imports do.
DEFAULTS = {"building": (400, 600), "compound": (3000, 5000)}
PHONE = re.compile(r"^\+?[0-9][0-9 -]{4,18}[0-9]$")

HOME_SQL = text("""
SELECT h.id, h.head_name, h.phone, h.volunteer, h.ended_on, h.unit_id, u.building_id,
       b.compound_id, cp.community_id,
       EXISTS (SELECT 1 FROM member m WHERE m.household_id = h.id) AS member
FROM household h JOIN unit u ON u.id = h.unit_id JOIN building b ON b.id = u.building_id
JOIN compound cp ON cp.id = b.compound_id
WHERE h.id = :id
""")
HEAD_SQL = text("""
SELECT hd.id, hd.role, hd.name, hd.phone, hd.household_id, hd.unit_id, hd.building_id,
       hd.compound_id, hd.capacity, hd.max_capacity, hd.appointed_on, hd.left_on
FROM head hd WHERE hd.id = :id
FOR UPDATE
""")
INSERT_SQL = text("""
INSERT INTO head (role, name, phone, household_id, unit_id, building_id, compound_id,
                  capacity, max_capacity, appointed_on, appointed_by, moved_from)
VALUES (:role, :name, :phone, :household, :unit, :building, :compound,
        :capacity, :max_capacity, :on, :by, :moved_from)
RETURNING id
""")

# A head's terms, of a household or of a place (one of unit, building, compound is set).
TERMS_SQL = text("""
SELECT id, role, household_id, unit_id, building_id, compound_id, appointed_on, appointed_by,
       left_on, left_reason, left_by, moved_from FROM head
WHERE (CAST(:h AS int) IS NULL OR household_id = :h)
  AND (CAST(:role AS text) IS NULL
       OR (role = :role AND coalesce(unit_id, building_id, compound_id) = :place))
ORDER BY appointed_on DESC, id DESC
""")


def place_of(head: Any) -> int:
    """The id of the unit, building or compound a head row serves."""
    return int(getattr(head, f"{head.role}_id"))


def _role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInputError(f"role {role!r}: say one of {', '.join(ROLES)}")
    return role


def _eligible(conn: Connection, role: str, place_id: int, household_id: int) -> tuple[Any, int]:
    """The head's home and the place's community, or why they may not serve there: the
    home must be a current household of the place's community, and live in the place
    itself unless it is a volunteer's or a registered member's."""
    area = community_of_place(conn, role, place_id)
    if area is None:
        raise NotFoundError(f"{role} {place_id} does not exist")
    home = conn.execute(HOME_SQL, {"id": household_id}).first()
    if home is None:
        raise NotFoundError(f"household {household_id} does not exist")
    if home.ended_on is not None:
        raise InvalidInputError(f"household {household_id} moved out on {home.ended_on}")
    if home.community_id != area[0]:
        raise InvalidInputError(
            f"household {household_id} lives in another community than {role} {place_id}: "
            "a head serves the community they live in"
        )
    lives_there = getattr(home, f"{role}_id") == place_id
    if not (lives_there or home.volunteer or home.member):
        raise InvalidInputError(
            f"household {household_id} does not live in {role} {place_id} and is neither a "
            "volunteer nor a registered party member's"
        )
    return home, area[0]


def _person(
    name: str | None, phone: str | None, known_name: str | None, known_phone: str | None
) -> tuple[str, str]:
    """The head's name and phone: as given, else as known (the household's register)."""
    name = (name or known_name or "").strip()
    phone = re.sub(r"\s+", "", phone or known_phone or "")
    if not name or len(name) > 50:
        raise InvalidInputError("name: give the head's name (1 to 50 characters)")
    if not PHONE.match(phone):
        raise InvalidInputError(f"phone {phone!r} is not a phone number")
    return name, phone


def _capacity(role: str, capacity: int | None, maximum: int | None) -> tuple[Any, Any]:
    """A unit head's own target and maximum (None: the community's); a building or
    compound head's, with the defaults imports use."""
    for label, value in (("capacity", capacity), ("max_capacity", maximum)):
        if value is not None and not 1 <= value <= 100_000:
            raise InvalidInputError(f"{label} must be 1 to 100000 households, not {value}")
    if role != "unit":
        target, most = DEFAULTS[role]
        capacity = target if capacity is None else capacity
        maximum = max(most, capacity) if maximum is None else maximum
    if capacity is not None and maximum is not None and maximum < capacity:
        raise InvalidInputError(f"max_capacity {maximum} is below capacity {capacity}")
    return capacity, maximum


def _insert(conn: Connection, values: dict[str, Any]) -> int:
    """Insert one term; a head already serving the same place from the same home is a
    conflict, named."""
    savepoint = conn.begin_nested()
    try:
        head_id = int(conn.execute(INSERT_SQL, values).scalar_one())
    except IntegrityError as error:
        savepoint.rollback()
        constraint = getattr(getattr(error.orig, "diag", None), "constraint_name", None) or ""
        if constraint.startswith("uq_head_"):
            raise ConflictError(
                f"household {values['household']} already has a serving {values['role']} head "
                f"of {values['role']} {values[values['role']]}"
            ) from error
        raise InvalidInputError(f"the head was refused by the store ({constraint})") from error
    savepoint.commit()
    return head_id


def appoint(
    conn: Connection,
    role: str,
    place_id: int,
    household_id: int,
    by: str,
    name: str | None = None,
    phone: str | None = None,
    capacity: int | None = None,
    max_capacity: int | None = None,
    on: date | None = None,
    reassign_now: bool = True,
) -> Change:
    """Appoint a head of a unit, building or compound from one of its households (or a
    volunteer or member living in the community); re-assigns that community."""
    by = who(by)
    home, community = _eligible(conn, _role(role), place_id, household_id)
    name, phone = _person(name, phone, home.head_name, home.phone)
    capacity, max_capacity = _capacity(role, capacity, max_capacity)
    day = day_of(conn, on, "appointed_on")
    if day > today(conn):
        raise InvalidInputError(f"appointed_on {day} is in the future: appoint on the day")
    places = dict.fromkeys(ROLES)
    places[role] = place_id
    head_id = _insert(
        conn,
        {
            "role": role, "name": name, "phone": phone, "household": household_id,
            **places, "capacity": capacity, "max_capacity": max_capacity, "on": day, "by": by,
            "moved_from": None,
        },
    )  # fmt: skip
    change = Change("appointed", head_id=head_id)
    return reassign(conn, change, [community]) if reassign_now else _touch(change, [community])


def _touch(change: Change, communities: list[int]) -> Change:
    change.communities = sorted(set(communities))
    return change


def _serving(conn: Connection, head_id: int) -> Any:
    head = conn.execute(HEAD_SQL, {"id": head_id}).first()
    if head is None:
        raise NotFoundError(f"head {head_id} does not exist")
    if head.left_on is not None:
        raise ConflictError(f"head {head_id} stepped down on {head.left_on}")
    return head


def end_term(conn: Connection, head: Any, day: date, reason: str, by: str) -> int:
    """End a head's term on ``day``; from today on, the households locked to them are
    freed (their assignment closed) for the run to place again. Returns the community."""
    conn.execute(
        text("UPDATE head SET left_on = :day, left_reason = :reason, left_by = :by WHERE id = :id"),
        {"day": day, "reason": reason, "by": by, "id": head.id},
    )
    if day <= today(conn):
        conn.execute(
            text(
                "UPDATE assignment SET valid_to = greatest(now(), valid_from) "
                "WHERE head_id = :id AND valid_to IS NULL AND locked"
            ),
            {"id": head.id},
        )
    area = community_of_place(conn, head.role, place_of(head))
    assert area is not None  # the place is held by the head's foreign key
    return area[0]


def retire(
    conn: Connection,
    head_id: int,
    by: str,
    reason: str,
    on: date | None = None,
    reassign_now: bool = True,
) -> Change:
    """A head steps down (left_on, with a reason; never deleted); their households are
    re-assigned in their community, now or, for a later date, by the run on that day."""
    by, reason = who(by), reason_of(reason, "the head steps down")
    head = _serving(conn, head_id)
    day = day_of(conn, on, "left_on", earliest=head.appointed_on)
    community = end_term(conn, head, day, reason, by)
    change = Change("retired", head_id=head_id)
    if day > today(conn):
        change.notes.append(f"head {head_id} serves until {day}: the run after then re-assigns")
        return _touch(change, [community])
    return reassign(conn, change, [community]) if reassign_now else _touch(change, [community])


def move(
    conn: Connection,
    head_id: int,
    place_id: int,
    by: str,
    on: date | None = None,
    reassign_now: bool = True,
) -> Change:
    """A head moves to serve another place of the same role: the old term ends, a new
    one starts (moved_from); both communities are re-assigned."""
    by = who(by)
    head = _serving(conn, head_id)
    if place_of(head) == place_id:
        raise ConflictError(f"head {head_id} already serves {head.role} {place_id}")
    _, community = _eligible(conn, head.role, place_id, head.household_id)
    day = day_of(conn, on, "moved on", earliest=head.appointed_on)
    if day > today(conn):
        raise InvalidInputError(f"moved on {day} is in the future: move on the day")
    old = end_term(conn, head, day, f"moved to {head.role} {place_id}", by)
    places = dict.fromkeys(ROLES)
    places[head.role] = place_id
    new_id = _insert(
        conn,
        {
            "role": head.role, "name": head.name, "phone": head.phone,
            "household": head.household_id, **places, "capacity": head.capacity,
            "max_capacity": head.max_capacity, "on": day, "by": by, "moved_from": head_id,
        },
    )  # fmt: skip
    change = Change("moved", head_id=new_id, ended_heads=[head_id])
    touched = [old, community]
    return reassign(conn, change, touched) if reassign_now else _touch(change, touched)


def update(
    conn: Connection,
    head_id: int,
    by: str,
    name: str | None = None,
    phone: str | None = None,
    capacity: int | None = None,
    max_capacity: int | None = None,
    follow_community: bool = False,
    reassign_now: bool = True,
) -> Change:
    """Change a serving head's name, phone or capacity (``follow_community``: a unit
    head takes the community's again); a new capacity re-assigns the community."""
    by = who(by)
    head = _serving(conn, head_id)
    if name is not None or phone is not None:
        new_name, new_phone = _person(name, phone, head.name, head.phone)
        conn.execute(
            text("UPDATE head SET name = :n, phone = :p WHERE id = :id"),
            {"n": new_name, "p": new_phone, "id": head_id},
        )
    change = Change("updated", head_id=head_id)
    area = community_of_place(conn, head.role, place_of(head))
    assert area is not None
    if capacity is None and max_capacity is None and not follow_community:
        return _touch(change, [])
    if head.role == "unit":
        if follow_community and (capacity is not None or max_capacity is not None):
            raise InvalidInputError("give a capacity or follow the community's, not both")
        target = None if follow_community else (capacity if capacity is not None else head.capacity)
        most = (
            None
            if follow_community
            else (max_capacity if max_capacity is not None else head.max_capacity)
        )
        set_head_capacity(conn, head_id, target, most)
    else:
        if follow_community:
            raise InvalidInputError(f"a {head.role} head has no community setting to follow")
        target = capacity if capacity is not None else head.capacity
        most = max_capacity if max_capacity is not None else head.max_capacity
        target, most = _capacity(head.role, target, most)
        conn.execute(
            text("UPDATE head SET capacity = :c, max_capacity = :m WHERE id = :id"),
            {"c": target, "m": most, "id": head_id},
        )
    return reassign(conn, change, [area[0]]) if reassign_now else _touch(change, [area[0]])


def terms(
    conn: Connection, household_id: int | None = None, place: tuple[str, int] | None = None
) -> list[dict[str, Any]]:
    """The terms of heads, newest first: of one person's household, or of one place."""
    role = None if place is None else _role(place[0])
    rows = conn.execute(TERMS_SQL, {
        "h": household_id, "role": role, "place": None if place is None else place[1]
    }).mappings()  # fmt: skip
    return [dict(r) for r in rows]
