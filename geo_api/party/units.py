"""Alliance units (联盟单位) and their agreements (联盟协议) with streets and communities.

A unit's liaison (contact name and phone) is personal data: masked for the roles
that see masks, in full (and audited by the caller) for the others.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from geo_api.auth.roles import Caller
from geo_api.clock import today
from geo_api.db.party import UnitKind
from geo_api.errors import InvalidInputError, NotFoundError
from geo_api.importer.phones import normalise_phone, phone_problem
from geo_api.party.journal import log_change, parse_day, point_wkb, text_field
from geo_api.party.places import community_id, street_id
from geo_api.privacy import mask_name, mask_phone

UNIT_SQL = """
SELECT u.id, u.name, u.kind, u.address, u.contact_name, u.contact_phone,
       ST_X(u.geom) AS lon, ST_Y(u.geom) AS lat,
       (SELECT count(*) FROM alliance_agreement a
        WHERE a.unit_id = u.id AND (a.ended_on IS NULL OR a.ended_on > china_today()))
         AS agreements_in_force
FROM alliance_unit u
"""
# Every unit, or those bound to a street (:s) or community (:c) by an agreement in force.
LIST_SQL = f"""{UNIT_SQL}
WHERE (CAST(:s AS int) IS NULL AND CAST(:c AS int) IS NULL) OR EXISTS (
    SELECT 1 FROM alliance_agreement a WHERE a.unit_id = u.id
    AND (a.street_id = :s OR a.community_id = :c)
    AND (a.ended_on IS NULL OR a.ended_on > china_today()))
ORDER BY u.id"""  # noqa: S608 - constant SQL


def unit_kind(given: str) -> UnitKind:
    """A unit kind by its code (government, state_firm, school...)."""
    try:
        return UnitKind(given.strip())
    except ValueError:
        known = ", ".join(k.value for k in UnitKind)
        raise InvalidInputError(f"unit kind {given!r} is unknown (known: {known})") from None


def clean_phone(phone: str | None) -> str | None:
    """A contact phone, normalised, or an error saying why it is not one."""
    if phone is None or not phone.strip():
        return None
    number = normalise_phone(phone)
    problem = phone_problem(number)
    if problem is not None:
        raise InvalidInputError(f"contact_phone {phone!r}: {problem}")
    return number


def add_unit(
    conn: Connection,
    name: str,
    kind: str,
    *,
    address: str | None = None,
    contact_name: str | None = None,
    contact_phone: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
    by: Caller | None = None,
) -> dict[str, Any]:
    """Register an alliance unit; its name is unique in the city."""
    title = text_field(name, "unit name")
    if conn.execute(text("SELECT 1 FROM alliance_unit WHERE name = :n"), {"n": title}).first():
        raise InvalidInputError(f"alliance unit {title!r} exists already")
    new_id = conn.execute(
        text("""INSERT INTO alliance_unit (name, kind, address, contact_name, contact_phone, geom)
                VALUES (:name, :kind, :address, :cname, :phone, ST_GeomFromWKB(:g, 4326))
                RETURNING id"""),
        {
            "name": title,
            "kind": unit_kind(kind).value,
            "address": text_field(address, "address", required=False),
            "cname": text_field(contact_name, "contact_name", required=False),
            "phone": clean_phone(contact_phone),
            "g": point_wkb(lon, lat, f"unit {title}"),
        },
    ).scalar_one()
    log_change(conn, by, "unit add", f"alliance_unit:{new_id}")
    return get_unit(conn, int(new_id), reveal=True)


UPDATABLE = ("name", "kind", "address", "contact_name", "contact_phone")


def update_unit(
    conn: Connection, unit_id: int, changes: dict[str, Any], by: Caller | None = None
) -> dict[str, Any]:
    """Change a unit's name, kind, address, contact or place (lon and lat together)."""
    get_unit(conn, unit_id, reveal=True)
    unknown = set(changes) - {*UPDATABLE, "lon", "lat"}
    if unknown:
        raise InvalidInputError(f"unit fields {sorted(unknown)} cannot be changed")
    values: dict[str, Any] = {}
    for field in UPDATABLE:
        if field in changes:
            value = changes[field]
            if field == "kind":
                value = unit_kind(value).value
            elif field == "contact_phone":
                value = clean_phone(value)
            else:
                value = text_field(value, field, required=field == "name")
            values[field] = value
    for field, value in values.items():
        conn.execute(
            text(f"UPDATE alliance_unit SET {field} = :v WHERE id = :id"),  # noqa: S608 - fixed names
            {"v": value, "id": unit_id},
        )
    if "lon" in changes or "lat" in changes:
        wkb = point_wkb(changes.get("lon"), changes.get("lat"), f"unit {unit_id}")
        conn.execute(
            text("UPDATE alliance_unit SET geom = ST_GeomFromWKB(:g, 4326) WHERE id = :id"),
            {"g": wkb, "id": unit_id},
        )
    log_change(conn, by, "unit update", f"alliance_unit:{unit_id}")
    return get_unit(conn, unit_id, reveal=True)


def shown(row: Any, reveal: bool) -> dict[str, Any]:
    """A unit as answered: contacts in full when ``reveal``, masked else."""
    unit = dict(row)
    if not reveal:
        if unit.get("contact_name"):
            unit["contact_name"] = mask_name(unit["contact_name"])
        if unit.get("contact_phone"):
            unit["contact_phone"] = mask_phone(unit["contact_phone"])
    return unit


def get_unit(conn: Connection, unit_id: int, *, reveal: bool = False) -> dict[str, Any]:
    """One unit with its agreements."""
    row = conn.execute(text(UNIT_SQL + " WHERE u.id = :id"), {"id": unit_id}).mappings().first()
    if row is None:
        raise NotFoundError(f"no alliance unit {unit_id}")
    unit = shown(row, reveal)
    unit["agreements"] = agreements(conn, unit_id)
    return unit


def list_units(
    conn: Connection,
    *,
    street: str | None = None,
    community: str | None = None,
    reveal: bool = False,
) -> list[dict[str, Any]]:
    """Units, optionally those bound to a street or a community by an agreement in force."""
    sid = street_id(conn, street) if street is not None else None
    cid = community_id(conn, community) if community is not None else None
    rows = conn.execute(
        text(LIST_SQL),
        {"s": sid, "c": cid},
    ).mappings()
    return [shown(r, reveal) for r in rows]


def agreements(conn: Connection, unit_id: int) -> list[dict[str, Any]]:
    """A unit's agreements, newest first, with the street's or community's code."""
    rows = conn.execute(
        text("""SELECT a.id, s.code AS street, c.code AS community, a.signed_on, a.ended_on,
                       a.notes
                FROM alliance_agreement a LEFT JOIN street s ON s.id = a.street_id
                LEFT JOIN community c ON c.id = a.community_id
                WHERE a.unit_id = :u ORDER BY a.signed_on DESC, a.id DESC"""),
        {"u": unit_id},
    ).mappings()
    return [dict(r) for r in rows]


def sign_agreement(
    conn: Connection,
    unit_id: int,
    *,
    street: str | None = None,
    community: str | None = None,
    signed_on: str | date | None = None,
    notes: str | None = None,
    by: Caller | None = None,
) -> dict[str, Any]:
    """Bind a unit to a street or a community from ``signed_on`` (today by default);
    one agreement in force per unit and place."""
    get_unit(conn, unit_id, reveal=True)
    if (street is None) == (community is None):
        raise InvalidInputError("an agreement binds a unit to a street or a community: name one")
    sid = street_id(conn, street) if street is not None else None
    cid = community_id(conn, community) if community is not None else None
    day = parse_day(signed_on, "signed_on") or today()
    in_force = conn.execute(
        text("""SELECT id FROM alliance_agreement WHERE unit_id = :u
                AND street_id IS NOT DISTINCT FROM :s AND community_id IS NOT DISTINCT FROM :c
                AND (ended_on IS NULL OR ended_on > :d)"""),
        {"u": unit_id, "s": sid, "c": cid, "d": day},
    ).first()
    if in_force is not None:
        raise InvalidInputError(f"unit {unit_id} has agreement {in_force.id} in force there")
    new_id = conn.execute(
        text("""INSERT INTO alliance_agreement (unit_id, street_id, community_id, signed_on, notes)
                VALUES (:u, :s, :c, :d, :n) RETURNING id"""),
        {"u": unit_id, "s": sid, "c": cid, "d": day, "n": notes},
    ).scalar_one()
    log_change(conn, by, "agreement sign", f"alliance_agreement:{new_id}")
    return agreement(conn, int(new_id))


def end_agreement(
    conn: Connection,
    agreement_id: int,
    ended_on: str | date | None = None,
    by: Caller | None = None,
) -> dict[str, Any]:
    """End an agreement on ``ended_on`` (today by default), not before it was signed."""
    found = agreement(conn, agreement_id)
    if found["ended_on"] is not None:
        raise InvalidInputError(f"agreement {agreement_id} ended on {found['ended_on']}")
    day = parse_day(ended_on, "ended_on") or today()
    if day < found["signed_on"]:
        raise InvalidInputError(
            f"agreement {agreement_id}: ended_on {day} is before it was signed "
            f"({found['signed_on']})"
        )
    conn.execute(
        text("UPDATE alliance_agreement SET ended_on = :d WHERE id = :id"),
        {"d": day, "id": agreement_id},
    )
    log_change(conn, by, "agreement end", f"alliance_agreement:{agreement_id}")
    return agreement(conn, agreement_id)


def agreement(conn: Connection, agreement_id: int) -> dict[str, Any]:
    """One agreement, with the place it binds the unit to."""
    row = (
        conn.execute(
            text("""SELECT a.id, a.unit_id, a.street_id, a.community_id, s.code AS street,
                       c.code AS community, a.signed_on, a.ended_on, a.notes
                FROM alliance_agreement a LEFT JOIN street s ON s.id = a.street_id
                LEFT JOIN community c ON c.id = a.community_id WHERE a.id = :id"""),
            {"id": agreement_id},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFoundError(f"no alliance agreement {agreement_id}")
    return dict(row)
