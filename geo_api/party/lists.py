"""The resource and demand lists (资源清单, 需求清单) of a year.

A resource is offered by a unit or by a member, in a category, with a quantity and
a capacity (how many demands it can serve at once), at a place. A demand is raised
in a community (and compound), in a category, with an urgency (1 low .. 3 high)
and the checkpoint of the year by which it should be met.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from geo_api.auth.roles import Caller
from geo_api.clock import today
from geo_api.db.party import Checkpoint, DemandStatus, ResourceKind
from geo_api.errors import InvalidInputError, NotFoundError
from geo_api.party.categories import category_id
from geo_api.party.journal import log_change, parse_day, point_wkb, text_field
from geo_api.party.places import community_id

RESOURCE_SQL = """
SELECT r.id, r.year, r.title, r.kind, lc.code AS category, r.unit_id, u.name AS unit,
       r.member_id, r.quantity, r.measure, r.capacity, c.code AS community,
       r.community_id, r.address, r.withdrawn_on, ST_X(r.geom) AS lon, ST_Y(r.geom) AS lat
FROM party_resource r JOIN list_category lc ON lc.id = r.category_id
LEFT JOIN alliance_unit u ON u.id = r.unit_id LEFT JOIN community c ON c.id = r.community_id
"""
DEMAND_SQL = """
SELECT d.id, d.year, d.title, lc.code AS category, c.code AS community, d.community_id,
       d.compound_id, d.raised_by, d.raised_on, d.urgency, d.due, d.status,
       ST_X(d.geom) AS lon, ST_Y(d.geom) AS lat
FROM party_demand d JOIN list_category lc ON lc.id = d.category_id
JOIN community c ON c.id = d.community_id
"""
# Which statuses a demand may move to from each (matched is set by accepting a match).
DEMAND_MOVES = {
    DemandStatus.open: {DemandStatus.matched, DemandStatus.dropped},
    DemandStatus.matched: {DemandStatus.met, DemandStatus.open, DemandStatus.dropped},
    DemandStatus.met: set(),
    DemandStatus.dropped: {DemandStatus.open},
}


def check_year(year: int) -> int:
    """A list's year, within reason."""
    if not 2000 <= year <= 2100:
        raise InvalidInputError(f"year {year} is out of range (2000..2100)")
    return year


def _enum_value(kind: type[Any], given: str, what: str) -> Any:
    try:
        return kind(given.strip())
    except ValueError:
        known = ", ".join(k.value for k in kind)
        raise InvalidInputError(f"{what} {given!r} is unknown (known: {known})") from None


def add_resource(
    conn: Connection,
    *,
    year: int,
    title: str,
    kind: str,
    category: str,
    unit_id: int | None = None,
    member_id: int | None = None,
    quantity: float | None = None,
    measure: str | None = None,
    capacity: int = 1,
    community: str | None = None,
    address: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
    by: Caller | None = None,
) -> dict[str, Any]:
    """Enter a resource of the year's list; it takes the unit's place when none is given."""
    if (unit_id is None) == (member_id is None):
        raise InvalidInputError("a resource is offered by a unit or by a member: name one")
    if capacity < 1:
        raise InvalidInputError(f"capacity {capacity}: a resource serves at least one demand")
    if quantity is not None and quantity <= 0:
        raise InvalidInputError(f"quantity {quantity} must be positive")
    owner = "alliance_unit" if unit_id is not None else "member"
    if not conn.execute(
        text(f"SELECT 1 FROM {owner} WHERE id = :id"),  # noqa: S608 - one of two names
        {"id": unit_id if unit_id is not None else member_id},
    ).first():
        raise NotFoundError(f"no {owner.replace('_', ' ')} {unit_id or member_id}")
    wkb = point_wkb(lon, lat, f"resource {title}")
    new_id = conn.execute(
        text("""INSERT INTO party_resource (year, title, kind, category_id, unit_id, member_id,
                    quantity, measure, capacity, community_id, address, geom)
                VALUES (:year, :title, :kind, :cat, :unit, :member, :q, :m, :cap, :comm,
                        :address, COALESCE(ST_GeomFromWKB(:g, 4326),
                            (SELECT geom FROM alliance_unit WHERE id = :unit)))
                RETURNING id"""),
        {
            "year": check_year(year),
            "title": text_field(title, "title"),
            "kind": _enum_value(ResourceKind, kind, "resource kind").value,
            "cat": category_id(conn, category),
            "unit": unit_id,
            "member": member_id,
            "q": quantity,
            "m": text_field(measure, "measure", required=False),
            "cap": capacity,
            "comm": community_id(conn, community) if community else None,
            "address": text_field(address, "address", required=False),
            "g": wkb,
        },
    ).scalar_one()
    log_change(conn, by, "resource add", f"party_resource:{new_id}")
    return get_resource(conn, int(new_id))


def withdraw_resource(
    conn: Connection, resource_id: int, on: str | date | None = None, by: Caller | None = None
) -> dict[str, Any]:
    """Withdraw a resource (no longer offered from ``on``): it is matched no more."""
    get_resource(conn, resource_id)
    conn.execute(
        text("UPDATE party_resource SET withdrawn_on = :d WHERE id = :id"),
        {"d": parse_day(on, "withdrawn_on") or today(), "id": resource_id},
    )
    log_change(conn, by, "resource withdraw", f"party_resource:{resource_id}")
    return get_resource(conn, resource_id)


def get_resource(conn: Connection, resource_id: int) -> dict[str, Any]:
    """One resource of the lists."""
    row = (
        conn.execute(text(RESOURCE_SQL + " WHERE r.id = :id"), {"id": resource_id})
        .mappings()
        .first()
    )
    if row is None:
        raise NotFoundError(f"no resource {resource_id}")
    return dict(row)


def list_resources(
    conn: Connection, *, year: int | None = None, community_id: int | None = None
) -> list[dict[str, Any]]:
    """The resources of a year (all years when None), optionally one community's."""
    rows = conn.execute(
        text(
            RESOURCE_SQL
            + """ WHERE (CAST(:y AS int) IS NULL OR r.year = :y)
             AND (CAST(:c AS int) IS NULL OR r.community_id = :c) ORDER BY r.id"""
        ),
        {"y": year, "c": community_id},
    ).mappings()
    return [dict(r) for r in rows]


def add_demand(
    conn: Connection,
    *,
    year: int,
    title: str,
    category: str,
    community: str,
    lon: float | None = None,
    lat: float | None = None,
    compound_id: int | None = None,
    raised_by: str | None = None,
    raised_on: str | date | None = None,
    urgency: int = 2,
    due: str = "mid",
    by: Caller | None = None,
) -> dict[str, Any]:
    """Enter a demand of the year's list, at a point, or else at its compound's centre."""
    if urgency not in (1, 2, 3):
        raise InvalidInputError(f"urgency {urgency}: 1 (low), 2 or 3 (high)")
    cid = community_id(conn, community)
    wkb = point_wkb(lon, lat, f"demand {title}")
    if compound_id is not None:
        inside = conn.execute(
            text("SELECT community_id FROM compound WHERE id = :id"), {"id": compound_id}
        ).first()
        if inside is None or inside.community_id != cid:
            raise InvalidInputError(f"compound {compound_id} is not in community {community}")
    if wkb is None and compound_id is None:
        raise InvalidInputError(f"demand {title!r}: give its place (lon, lat) or its compound")
    new_id = conn.execute(
        text("""INSERT INTO party_demand (year, title, category_id, community_id, compound_id,
                    raised_by, raised_on, urgency, due, geom)
                VALUES (:year, :title, :cat, :comm, :cp, :by, COALESCE(:on, china_today()),
                        :urgency, :due, COALESCE(ST_GeomFromWKB(:g, 4326),
                            (SELECT ST_PointOnSurface(geom) FROM compound WHERE id = :cp)))
                RETURNING id"""),
        {
            "year": check_year(year),
            "title": text_field(title, "title"),
            "cat": category_id(conn, category),
            "comm": cid,
            "cp": compound_id,
            "by": text_field(raised_by, "raised_by", required=False),
            "on": parse_day(raised_on, "raised_on"),
            "urgency": urgency,
            "due": _enum_value(Checkpoint, due, "due checkpoint").value,
            "g": wkb,
        },
    ).scalar_one()
    log_change(conn, by, "demand add", f"party_demand:{new_id}")
    return get_demand(conn, int(new_id))


def set_demand_status(
    conn: Connection, demand_id: int, status: str, by: Caller | None = None
) -> dict[str, Any]:
    """Move a demand along open → matched → met (or dropped, and back to open)."""
    found = get_demand(conn, demand_id)
    now, wanted = DemandStatus(found["status"]), _enum_value(DemandStatus, status, "status")
    if wanted not in DEMAND_MOVES[now]:
        raise InvalidInputError(
            f"demand {demand_id} is {now.value}: it cannot become {wanted.value}"
        )
    conn.execute(
        text("UPDATE party_demand SET status = :s WHERE id = :id"),
        {"s": wanted.value, "id": demand_id},
    )
    log_change(conn, by, f"demand {wanted.value}", f"party_demand:{demand_id}")
    return get_demand(conn, demand_id)


def get_demand(conn: Connection, demand_id: int) -> dict[str, Any]:
    """One demand of the lists."""
    row = conn.execute(text(DEMAND_SQL + " WHERE d.id = :id"), {"id": demand_id}).mappings().first()
    if row is None:
        raise NotFoundError(f"no demand {demand_id}")
    return dict(row)


def list_demands(
    conn: Connection,
    *,
    year: int | None = None,
    community_id: int | None = None,
    status: str | None = None,
) -> list[dict[str, Any]]:
    """The demands of a year, optionally one community's, optionally of one status."""
    rows = conn.execute(
        text(
            DEMAND_SQL
            + """ WHERE (CAST(:y AS int) IS NULL OR d.year = :y)
             AND (CAST(:c AS int) IS NULL OR d.community_id = :c)
             AND (CAST(:s AS text) IS NULL OR d.status = :s) ORDER BY d.id"""
        ),
        {"y": year, "c": community_id, "s": status},
    ).mappings()
    return [dict(r) for r in rows]
