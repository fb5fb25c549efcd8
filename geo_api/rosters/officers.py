"""Grid officers (网格员, full- or part-time): appointed, changed, given grids, retired.

An officer serves a community and, usually, a grid of their own; grids without an
officer of their own are covered by the nearest officer of the community who has
room (their max_grids), or given to one by hand (``assign``). Every change is
recorded (who and when, geo_api.rosters.record) and followed by covering the
grids of the communities it touches again (geo_api.assign.places.assign_grids),
so place_cover always says who covers which grid, and since when.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from geo_api.assign.places import CoverReport, assign_grids
from geo_api.clock import today
from geo_api.errors import InvalidInputError, NotFoundError
from geo_api.privacy import mask_name, mask_phone
from geo_api.rosters.record import (
    Who,
    checked_date,
    checked_name,
    checked_phone,
    noted,
    place_id,
    serving,
)

MAX_GRIDS = 50  # far beyond any real load: a typo (300) is refused
ACTIVE = "(o.left_on IS NULL OR o.left_on > china_today())"
OFFICER_SQL = text(f"""
SELECT o.id, o.name, o.phone, o.community_id, c.code AS community_code,
       c.name AS community_name, o.grid_id, g.code AS grid_code, o.max_grids, o.part_time,
       o.appointed_on, o.left_on, o.left_reason, o.changed_by, o.changed_at,
       {ACTIVE} AS active
FROM grid_officer o JOIN community c ON c.id = o.community_id
LEFT JOIN grid g ON g.id = o.grid_id
WHERE o.id = :id
""")  # noqa: S608 - a constant fragment
COVERS_SQL = text("""
SELECT pc.grid_id, coalesce(g.code, pc.place_label) AS grid_code, pc.reason,
       pc.valid_from, pc.valid_to
FROM place_cover pc LEFT JOIN grid g ON g.id = pc.grid_id
WHERE pc.level = 'grid' AND pc.officer_id = :id
ORDER BY pc.valid_from, pc.id
""")
LIST_SQL = f"""
SELECT o.id, o.name, o.phone, c.code AS community_code, g.code AS grid_code, o.part_time,
       o.max_grids, o.left_on,
       (SELECT count(*) FROM place_cover pc WHERE pc.level = 'grid' AND pc.officer_id = o.id
        AND pc.valid_to IS NULL)::int AS grids
FROM grid_officer o JOIN community c ON c.id = o.community_id
LEFT JOIN grid g ON g.id = o.grid_id
WHERE (CAST(:community AS int) IS NULL OR o.community_id = :community)
  AND (CAST(:grid AS int) IS NULL OR o.grid_id = :grid
       OR EXISTS (SELECT 1 FROM place_cover pc WHERE pc.level = 'grid' AND pc.grid_id = :grid
                  AND pc.officer_id = o.id AND pc.valid_to IS NULL))
  AND (:all OR {ACTIVE})
ORDER BY c.code, g.code NULLS LAST, o.id
"""  # noqa: S608 - a constant fragment


def officer_detail(conn: Connection, officer_id: int, reveal: bool = False) -> dict[str, Any]:
    """An officer, the grids they cover now and every cover they held (history)."""
    row = conn.execute(OFFICER_SQL, {"id": officer_id}).mappings().first()
    if row is None:
        raise NotFoundError(f"grid officer {officer_id} does not exist")
    covers = [dict(c) for c in conn.execute(COVERS_SQL, {"id": officer_id}).mappings()]
    answer = dict(row)
    if not reveal:
        answer["name"], answer["phone"] = mask_name(row["name"]), mask_phone(row["phone"])
    answer["grids"] = [
        {"grid_code": c["grid_code"], "reason": c["reason"], "since": c["valid_from"]}
        for c in covers
        if c["valid_to"] is None
    ]
    answer["history"] = covers
    return answer


def list_officers(
    conn: Connection,
    community_id: int | None = None,
    grid_id: int | None = None,
    *,
    include_left: bool = False,
    reveal: bool = False,
) -> list[dict[str, Any]]:
    """Officers of a community or grid (or the city), contacts masked unless ``reveal``."""
    rows = conn.execute(
        text(LIST_SQL),
        {"community": community_id, "grid": grid_id, "all": include_left},
    ).mappings()
    out = []
    for r in rows:
        item = dict(r)
        if not reveal:
            item["name"], item["phone"] = mask_name(r["name"]), mask_phone(r["phone"])
        out.append(item)
    return out


def area_of_officer(conn: Connection, officer_id: int) -> tuple[int, int | None]:
    """(community id, own grid id) of an officer, for holding callers to their area."""
    row = conn.execute(
        text("SELECT community_id, grid_id FROM grid_officer WHERE id = :id"), {"id": officer_id}
    ).first()
    if row is None:
        raise NotFoundError(f"grid officer {officer_id} does not exist")
    return int(row[0]), None if row[1] is None else int(row[1])


def _grid_in(conn: Connection, grid: str | None, community_id: int) -> int | None:
    """The id of a grid code (or name) that lies in the community, or None for none."""
    if grid is None or not str(grid).strip():
        return None
    grid_id, of = place_id(conn, "grid", str(grid))
    if of != community_id:
        raise InvalidInputError(f"grid {grid}: not in the officer's community")
    return grid_id


def _max_grids(value: int) -> int:
    if not 1 <= value <= MAX_GRIDS:
        raise InvalidInputError(f"max_grids {value}: must be 1 to {MAX_GRIDS}")
    return value


def add_officer(
    conn: Connection,
    who: Who,
    *,
    name: str,
    phone: str,
    community: str,
    grid: str | None = None,
    max_grids: int = 3,
    part_time: bool = False,
    appointed_on: date | None = None,
) -> dict[str, Any]:
    """Appoint an officer in a community (and their own grid); their community's grids
    are covered again. Returns the officer, in full."""
    community_id, _ = place_id(conn, "community", community)
    values = {
        "name": checked_name(name),
        "phone": checked_phone(phone),
        "community": community_id,
        "grid": _grid_in(conn, grid, community_id),
        "max_grids": _max_grids(max_grids),
        "part_time": part_time,
        "appointed_on": checked_date(appointed_on, "appointed_on") or today(),
        "by": who.name,
    }
    clash = conn.execute(
        text("SELECT id FROM grid_officer WHERE name = :name AND phone = :phone"), values
    ).first()
    if clash is not None:
        raise InvalidInputError(
            f"an officer {values['name']} with phone {values['phone']} exists already "
            f"(id {clash[0]}): change that one"
        )
    officer_id = conn.execute(
        text("""INSERT INTO grid_officer (name, phone, community_id, grid_id, max_grids,
                    part_time, appointed_on, changed_by, changed_at)
                VALUES (:name, :phone, :community, :grid, :max_grids, :part_time,
                        :appointed_on, :by, now()) RETURNING id"""),
        values,
    ).scalar_one()
    noted(conn, who, "officer add", [f"officer:{officer_id}"])
    assign_grids(conn, [community_id])
    return officer_detail(conn, officer_id, reveal=who.reveals)


UPDATABLE = ("name", "phone", "community", "grid", "max_grids", "part_time", "appointed_on")


def update_officer(
    conn: Connection, who: Who, officer_id: int, changes: dict[str, Any]
) -> dict[str, Any]:
    """Change an officer's details, community, own grid or grid limit; the grids of the
    communities touched are covered again. Only the keys given change."""
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise InvalidInputError(f"cannot change {', '.join(sorted(unknown))}")
    now = serving(conn, "grid_officer", officer_id)
    values = dict(now)
    if "name" in changes:
        values["name"] = checked_name(changes["name"])
    if "phone" in changes:
        values["phone"] = checked_phone(changes["phone"])
    if "community" in changes:
        values["community_id"], _ = place_id(conn, "community", str(changes["community"]))
        if "grid" not in changes and values["community_id"] != now["community_id"]:
            values["grid_id"] = None  # their grid stays with the community they left
    if "grid" in changes:
        values["grid_id"] = _grid_in(conn, changes["grid"], values["community_id"])
    if "max_grids" in changes:
        values["max_grids"] = _max_grids(int(changes["max_grids"]))
        _check_limit(conn, officer_id, values["max_grids"], values["grid_id"] is not None)
    if "part_time" in changes:
        values["part_time"] = bool(changes["part_time"])
    if "appointed_on" in changes:
        values["appointed_on"] = checked_date(changes["appointed_on"], "appointed_on")
    conn.execute(
        text("""UPDATE grid_officer SET name = :name, phone = :phone,
                    community_id = :community_id, grid_id = :grid_id, max_grids = :max_grids,
                    part_time = :part_time, appointed_on = :appointed_on,
                    changed_by = :by, changed_at = now()
                WHERE id = :id"""),
        {**values, "by": who.name},
    )
    noted(conn, who, "officer update: " + ", ".join(sorted(changes)), [f"officer:{officer_id}"])
    if values["community_id"] != now["community_id"]:
        _release_assigned(conn, officer_id)  # grids given by hand were in the old community
    assign_grids(conn, {now["community_id"], values["community_id"]})
    return officer_detail(conn, officer_id, reveal=who.reveals)


def retire_officer(
    conn: Connection,
    who: Who,
    officer_id: int,
    left_on: date | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """An officer leaves (离任) on ``left_on`` (today by default), for ``reason``; from
    that day the grids they covered go to the community's other officers."""
    now = serving(conn, "grid_officer", officer_id)
    when = left_on or today()
    if now["appointed_on"] is not None and when < now["appointed_on"]:
        raise InvalidInputError(f"left_on {when}: before the appointment ({now['appointed_on']})")
    conn.execute(
        text("""UPDATE grid_officer SET left_on = :when, left_reason = :reason,
                    changed_by = :by, changed_at = now() WHERE id = :id"""),
        {"when": when, "reason": (reason or "").strip()[:200] or None, "by": who.name,
         "id": officer_id},
    )  # fmt: skip
    noted(conn, who, f"officer retire on {when}", [f"officer:{officer_id}"], reason)
    if when <= today():
        _release_assigned(conn, officer_id)
        assign_grids(conn, [now["community_id"]])
    return officer_detail(conn, officer_id, reveal=who.reveals)


def assign_officer(conn: Connection, who: Who, officer_id: int, grids: list[str]) -> dict[str, Any]:
    """Give grids of their community that have no officer of their own to an officer, by
    hand: kept by every run while the officer has room (their grid limit)."""
    officer = (
        conn.execute(
            text(f"SELECT o.*, {ACTIVE} AS active FROM grid_officer o WHERE o.id = :id FOR UPDATE"),  # noqa: S608
            {"id": officer_id},
        )
        .mappings()
        .first()
    )
    if officer is None:
        raise NotFoundError(f"grid officer {officer_id} does not exist")
    if not officer["active"]:
        raise InvalidInputError(f"grid officer {officer_id} left on {officer['left_on']}")
    if officer["grid_id"] is None:
        raise InvalidInputError(
            f"grid officer {officer_id} has no grid of their own: give them one first "
            "(covers are measured from it)"
        )
    ids = [_grid_in(conn, g, officer["community_id"]) for g in grids]
    wanted = sorted({i for i in ids if i is not None and i != officer["grid_id"]})
    staffed = (
        conn.execute(
            text(f"""SELECT g.code FROM grid g JOIN grid_officer o ON o.grid_id = g.id
                 WHERE g.id = ANY(:ids) AND {ACTIVE} ORDER BY g.code"""),  # noqa: S608
            {"ids": wanted},
        )
        .scalars()
        .all()
    )
    if staffed:
        raise InvalidInputError(f"grid {', '.join(staffed)}: has an officer of its own")
    held = conn.execute(
        text("""SELECT count(*) FROM place_cover WHERE level = 'grid' AND officer_id = :id
                AND valid_to IS NULL AND reason = 'assigned' AND NOT grid_id = ANY(:ids)"""),
        {"id": officer_id, "ids": wanted},
    ).scalar_one()
    total = 1 + int(held) + len(wanted)
    if total > officer["max_grids"]:
        raise InvalidInputError(
            f"grid officer {officer_id} may cover {officer['max_grids']} grids (max_grids); "
            f"this would make {total}"
        )
    conn.execute(
        text("""UPDATE place_cover SET valid_to = now() WHERE level = 'grid'
                AND valid_to IS NULL AND grid_id = ANY(:ids)
                AND NOT (officer_id = :id AND reason = 'assigned')"""),
        {"ids": wanted, "id": officer_id},
    )
    conn.execute(
        text("""INSERT INTO place_cover (level, grid_id, officer_id, reason, distance_m)
                SELECT 'grid', g.id, :id, 'assigned',
                       ST_Distance(ST_PointOnSurface(g.geom)::geography,
                                   ST_PointOnSurface(own.geom)::geography)
                FROM grid g, grid own WHERE g.id = ANY(:ids) AND own.id = :own
                  AND NOT EXISTS (SELECT 1 FROM place_cover pc WHERE pc.level = 'grid'
                                  AND pc.grid_id = g.id AND pc.valid_to IS NULL)"""),
        {"ids": wanted, "id": officer_id, "own": officer["grid_id"]},
    )
    noted(conn, who, "officer assign grids", [f"officer:{officer_id}"], ",".join(grids))
    assign_grids(conn, [officer["community_id"]])
    return officer_detail(conn, officer_id, reveal=who.reveals)


def _check_limit(conn: Connection, officer_id: int, max_grids: int, has_own: bool) -> None:
    """Refuse a grid limit below the grids the officer holds by decision (their own and
    those given by hand); grids they cover as the nearest simply go to others."""
    held = conn.execute(
        text("""SELECT count(*) FROM place_cover WHERE level = 'grid' AND officer_id = :id
                AND valid_to IS NULL AND reason = 'assigned'"""),
        {"id": officer_id},
    ).scalar_one()
    needed = int(held) + int(has_own)
    if max_grids < needed:
        raise InvalidInputError(
            f"max_grids {max_grids}: below the {needed} grids given to officer {officer_id} "
            "(their own and those assigned by hand)"
        )


def _release_assigned(conn: Connection, officer_id: int) -> None:
    """Close the grids given to an officer by hand (they left, or changed community)."""
    conn.execute(
        text("""UPDATE place_cover SET valid_to = now() WHERE level = 'grid'
                AND officer_id = :id AND valid_to IS NULL AND reason = 'assigned'"""),
        {"id": officer_id},
    )


def report_line(report: CoverReport) -> str:
    """A cover report in one line, for notes."""
    return (
        f"{report.places} grids: {report.own} by their own officer, {report.nearest} by "
        f"the nearest, {report.uncovered} uncovered ({report.changed} changed)"
    )
