"""Registered party members (报到党员): registered, changed, and leaving.

A member is serving (在职党员, with a workplace: a text, and the alliance unit it
is, once that register exists) or retired (离退休党员). They register (报到) with
the community where they live on ``registered_on``, and leave it on ``left_on``
(moved away, transferred). Where they live places them: a household, a point,
or an address matched as the assignment run does (geo_api.assign.members), or the
community they name. Members cover nothing, so no re-assignment follows.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import shapely
from geoalchemy2.shape import from_shape
from sqlalchemy import Connection, text

from geo_api.assign.members import Known, _by_address
from geo_api.clock import today
from geo_api.errors import InvalidInputError, NotFoundError
from geo_api.privacy import mask_address, mask_name, mask_phone
from geo_api.rosters.record import (
    Who,
    checked_date,
    checked_name,
    checked_phone,
    noted,
    place_id,
    serving,
)

STATUSES = {"serving": "serving", "在职": "serving", "在职党员": "serving",
            "retired": "retired", "离退休": "retired", "退休": "retired",
            "离退休党员": "retired"}  # fmt: skip
MEMBER_SQL = text("""
SELECT m.id, m.name, m.phone, m.status, m.workplace, m.workplace_unit_id, m.registered_on,
       m.left_on, m.left_reason, m.address, m.household_id, m.community_id,
       c.code AS community_code, c.name AS community_name, m.placed_by, m.changed_by,
       m.changed_at
FROM member m LEFT JOIN community c ON c.id = m.community_id
WHERE m.id = :id
""")
# The grid a member lives in: their household's compound's, else the grid their point
# stands in. Members register with a community; a grid officer sees those of their grid.
MEMBER_GRID_SQL = """coalesce(
    (SELECT cp.grid_id FROM household h JOIN unit u ON u.id = h.unit_id
     JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
     WHERE h.id = m.household_id),
    (SELECT g.id FROM grid g WHERE m.geom IS NOT NULL AND ST_Covers(g.geom, m.geom)
     ORDER BY g.id LIMIT 1))"""
LIST_SQL = text(f"""
SELECT m.id, m.name, m.phone, m.status, m.workplace, m.registered_on, m.left_on,
       c.code AS community_code
FROM member m LEFT JOIN community c ON c.id = m.community_id
WHERE (CAST(:community AS int) IS NULL OR m.community_id = :community)
  AND (CAST(:grid AS int) IS NULL OR {MEMBER_GRID_SQL} = :grid)
  AND (:all OR m.left_on IS NULL OR m.left_on > china_today())
ORDER BY c.code NULLS LAST, m.registered_on, m.id
LIMIT :limit OFFSET :offset
""")  # noqa: S608 - constant SQL; every value is bound


def status_of(value: Any) -> str:
    """serving or retired, from either word or its Chinese (在职, 离退休)."""
    found = STATUSES.get(str(value or "").strip().lower())
    if found is None:
        raise InvalidInputError(f"status {value!r}: say serving (在职) or retired (离退休)")
    return found


def member_detail(conn: Connection, member_id: int, reveal: bool = False) -> dict[str, Any]:
    """A member, contacts and address masked unless ``reveal``."""
    row = conn.execute(MEMBER_SQL, {"id": member_id}).mappings().first()
    if row is None:
        raise NotFoundError(f"member {member_id} does not exist")
    return _shown(dict(row), reveal)


def list_members(
    conn: Connection,
    community_id: int | None = None,
    *,
    grid_id: int | None = None,
    include_left: bool = False,
    reveal: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """A page of members of a community (or the city; with ``grid_id``, those living in
    that grid), masked unless ``reveal``."""
    params = {"community": community_id, "grid": grid_id, "all": include_left}
    rows = conn.execute(LIST_SQL, {**params, "limit": limit, "offset": offset}).mappings()
    return [_shown(dict(r), reveal) for r in rows]


def _shown(member: dict[str, Any], reveal: bool) -> dict[str, Any]:
    if not reveal:
        member["name"], member["phone"] = mask_name(member["name"]), mask_phone(member["phone"])
        if member.get("address"):
            member["address"] = mask_address(member["address"])
    return member


def grid_of_member(conn: Connection, member_id: int) -> int | None:
    """The grid a member lives in (None: their home is in no grid)."""
    sql = f"SELECT {MEMBER_GRID_SQL} FROM member m WHERE m.id = :id"  # noqa: S608 - constant
    found = conn.execute(text(sql), {"id": member_id}).scalar_one_or_none()
    return None if found is None else int(found)


def community_of_member(conn: Connection, member_id: int) -> int | None:
    """The community a member is placed in (None: not placed), for holding callers."""
    row = conn.execute(
        text("SELECT community_id FROM member WHERE id = :id"), {"id": member_id}
    ).first()
    if row is None:
        raise NotFoundError(f"member {member_id} does not exist")
    return None if row[0] is None else int(row[0])


def _workplace(status: str, workplace: str | None) -> str | None:
    text_ = (workplace or "").strip() or None
    if text_ is not None and len(text_) > 200:
        raise InvalidInputError(f"workplace {text_[:20]!r}…: longer than 200 characters")
    return text_


def add_member(
    conn: Connection,
    who: Who,
    *,
    name: str,
    phone: str,
    status: str = "serving",
    workplace: str | None = None,
    workplace_unit_id: int | None = None,
    registered_on: date | None = None,
    community: str | None = None,
    address: str | None = None,
    household_id: int | None = None,
    lon: float | None = None,
    lat: float | None = None,
) -> dict[str, Any]:
    """Register a member with the community where they live; returns them in full."""
    values: dict[str, Any] = {
        "name": checked_name(name),
        "phone": checked_phone(phone),
        "status": status_of(status),
        "workplace": _workplace(status, workplace),
        "unit": workplace_unit_id,
        "registered_on": checked_date(registered_on, "registered_on") or today(),
        "address": (address or "").strip() or None,
        "household": household_id,
        "geom": None,
        "by": who.name,
    }
    if lon is not None and lat is not None:
        values["geom"] = from_shape(shapely.Point(lon, lat), srid=4326)
    clash = conn.execute(
        text("SELECT id FROM member WHERE name = :name AND phone = :phone"), values
    ).first()
    if clash is not None:
        raise InvalidInputError(
            f"a member {values['name']} with phone {values['phone']} is registered already "
            f"(id {clash[0]}): change that one"
        )
    community_id, placed_by = _placed(conn, values, community)
    member_id = conn.execute(
        text("""INSERT INTO member (name, phone, status, workplace, workplace_unit_id,
                    registered_on, address, household_id, geom, community_id, placed_by,
                    changed_by, changed_at)
                VALUES (:name, :phone, :status, :workplace, :unit, :registered_on, :address,
                        :household, :geom, :community, :placed_by, :by, now())
                RETURNING id"""),
        {**values, "community": community_id, "placed_by": placed_by},
    ).scalar_one()
    noted(conn, who, "member add", [f"member:{member_id}"])
    return member_detail(conn, member_id, reveal=who.reveals)


def _placed(
    conn: Connection, values: dict[str, Any], community: str | None
) -> tuple[int | None, str | None]:
    """The community a new member lives in, and how it was found (as the run places
    them); the community they name when nothing else places them (unverified)."""
    if values["household"] is not None:
        row = conn.execute(
            text("""SELECT cp.community_id FROM household h JOIN unit u ON u.id = h.unit_id
                    JOIN building b ON b.id = u.building_id
                    JOIN compound cp ON cp.id = b.compound_id WHERE h.id = :id"""),
            {"id": values["household"]},
        ).first()
        if row is None:
            raise NotFoundError(f"household {values['household']} does not exist")
        return int(row[0]), "household"
    if values["geom"] is not None:
        row = conn.execute(
            text("""SELECT id FROM community WHERE ST_Covers(geom, :geom) ORDER BY id LIMIT 1"""),
            {"geom": values["geom"]},
        ).first()
        if row is not None:
            return int(row[0]), "point"
    if values["address"]:
        found, _ = _by_address(values["address"], Known.load(conn))
        if found is not None:
            return found, "address"
    if community:
        return place_id(conn, "community", community)[0], None
    raise InvalidInputError(
        "where does the member live? give a household, a point inside the city, an address "
        "of a known compound, or their community"
    )


UPDATABLE = ("name", "phone", "status", "workplace", "workplace_unit_id", "registered_on",
             "community")  # fmt: skip


def update_member(
    conn: Connection, who: Who, member_id: int, changes: dict[str, Any]
) -> dict[str, Any]:
    """Change a member's details, status, workplace, registration date or community."""
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise InvalidInputError(f"cannot change {', '.join(sorted(unknown))}")
    now = serving(conn, "member", member_id)
    values = dict(now)
    if "name" in changes:
        values["name"] = checked_name(changes["name"])
    if "phone" in changes:
        values["phone"] = checked_phone(changes["phone"])
    if "status" in changes:
        values["status"] = status_of(changes["status"])
    if "workplace" in changes:
        values["workplace"] = _workplace(values["status"], changes["workplace"])
    if "workplace_unit_id" in changes:
        values["workplace_unit_id"] = changes["workplace_unit_id"]
    if "registered_on" in changes:
        values["registered_on"] = checked_date(changes["registered_on"], "registered_on")
        if values["registered_on"] is None:
            raise InvalidInputError("registered_on: missing")
    if "community" in changes:  # said by a person: it stands until a run places them
        values["community_id"] = place_id(conn, "community", str(changes["community"]))[0]
        values["placed_by"] = None
    conn.execute(
        text("""UPDATE member SET name = :name, phone = :phone, status = :status,
                    workplace = :workplace, workplace_unit_id = :workplace_unit_id,
                    registered_on = :registered_on, community_id = :community_id,
                    placed_by = :placed_by, changed_by = :by, changed_at = now()
                WHERE id = :id"""),
        {**values, "by": who.name},
    )
    noted(conn, who, "member update: " + ", ".join(sorted(changes)), [f"member:{member_id}"])
    return member_detail(conn, member_id, reveal=who.reveals)


def leave_member(
    conn: Connection,
    who: Who,
    member_id: int,
    left_on: date | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """A member leaves the community (moved away, transferred) on ``left_on``."""
    now = serving(conn, "member", member_id)
    when = left_on or today()
    if when < now["registered_on"]:
        raise InvalidInputError(f"left_on {when}: before the registration ({now['registered_on']})")
    conn.execute(
        text("""UPDATE member SET left_on = :when, left_reason = :reason, changed_by = :by,
                    changed_at = now() WHERE id = :id"""),
        {"when": when, "reason": (reason or "").strip()[:200] or None, "by": who.name,
         "id": member_id},
    )  # fmt: skip
    noted(conn, who, f"member leave on {when}", [f"member:{member_id}"], reason)
    return member_detail(conn, member_id, reveal=who.reveals)
