"""The project list (项目清单): a demand met with resources, with owners, milestones and
a status through the year's three checkpoints (年初/年中/年末).

The checkpoints fall on 03-31 (the lists drawn up), 06-30 (mid-year guidance) and
12-31 (results reported for the annual assessment) of the list's year.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from geo_api.auth.roles import Caller
from geo_api.clock import today
from geo_api.db.party import CHECKPOINT_DAYS, Checkpoint, DemandStatus, ProjectStatus
from geo_api.errors import InvalidInputError, NotFoundError
from geo_api.party.journal import log_change, parse_day, text_field
from geo_api.party.lists import check_year, get_demand

# The milestones a project starts with, one per checkpoint.
DEFAULT_MILESTONES = (
    (Checkpoint.start, "立项"),  # set up
    (Checkpoint.mid, "推进实施"),  # carried out
    (Checkpoint.end, "结果反馈"),  # results reported
)
PROJECT_MOVES = {
    ProjectStatus.planned: {ProjectStatus.underway, ProjectStatus.dropped},
    ProjectStatus.underway: {ProjectStatus.done, ProjectStatus.dropped},
    ProjectStatus.done: set(),
    ProjectStatus.dropped: set(),
}


def checkpoint_date(year: int, checkpoint: Checkpoint | str) -> date:
    """The day of a checkpoint of the year (03-31, 06-30, 12-31)."""
    month, day = CHECKPOINT_DAYS[Checkpoint(checkpoint)]
    return date(year, month, day)


def add_project(
    conn: Connection,
    *,
    year: int,
    title: str,
    community_id: int,
    demand_id: int | None = None,
    lead_unit_id: int | None = None,
    owners: str | None = None,
    resources: Sequence[tuple[int, float | None]] = (),
    milestones: bool = True,
    by: Caller | None = None,
) -> dict[str, Any]:
    """A project of the year, with its resources (id, walking metres) and a milestone
    per checkpoint; its demand, if any, becomes matched."""
    check_year(year)
    if demand_id is not None:
        demand = get_demand(conn, demand_id)
        if demand["status"] != DemandStatus.open:
            raise InvalidInputError(f"demand {demand_id} is {demand['status']}, not open")
        if demand["community_id"] != community_id:
            raise InvalidInputError(f"demand {demand_id} is not in the project's community")
    new_id = int(
        conn.execute(
            text("""INSERT INTO party_project (year, title, demand_id, community_id,
                        lead_unit_id, owners, created_by)
                    VALUES (:y, :t, :d, :c, :u, :o, :by) RETURNING id"""),
            {
                "y": year,
                "t": text_field(title, "title"),
                "d": demand_id,
                "c": community_id,
                "u": lead_unit_id,
                "o": text_field(owners, "owners", required=False),
                "by": by.name if by is not None else "cli",
            },
        ).scalar_one()
    )
    for resource_id, metres in resources:
        _commit_resource(conn, new_id, year, resource_id, metres)
    if milestones:
        for checkpoint, step in DEFAULT_MILESTONES:
            conn.execute(
                text("""INSERT INTO project_milestone (project_id, title, checkpoint, due_on)
                        VALUES (:p, :t, :c, :d)"""),
                {
                    "p": new_id,
                    "t": step,
                    "c": checkpoint.value,
                    "d": checkpoint_date(year, checkpoint),
                },
            )
    if demand_id is not None:
        conn.execute(
            text("UPDATE party_demand SET status = 'matched' WHERE id = :id"), {"id": demand_id}
        )
    log_change(conn, by, "project add", f"party_project:{new_id}")
    return get_project(conn, new_id)


def _commit_resource(
    conn: Connection, project_id: int, year: int, resource_id: int, metres: float | None
) -> None:
    row = conn.execute(
        text("SELECT year, withdrawn_on, capacity FROM party_resource WHERE id = :id"),
        {"id": resource_id},
    ).first()
    if row is None:
        raise NotFoundError(f"no resource {resource_id}")
    if row.year != year or row.withdrawn_on is not None:
        raise InvalidInputError(f"resource {resource_id} is not offered in {year}")
    busy = conn.execute(
        text("""SELECT count(*) FROM project_resource pr
                JOIN party_project p ON p.id = pr.project_id
                WHERE pr.resource_id = :id AND p.status IN ('planned', 'underway')"""),
        {"id": resource_id},
    ).scalar_one()
    if busy >= row.capacity:
        raise InvalidInputError(
            f"resource {resource_id} serves {busy} projects already, its capacity"
        )
    conn.execute(
        text("""INSERT INTO project_resource (project_id, resource_id, distance_m)
                VALUES (:p, :r, :m)"""),
        {"p": project_id, "r": resource_id, "m": metres},
    )


def get_project(conn: Connection, project_id: int) -> dict[str, Any]:
    """One project with its resources and milestones."""
    row = (
        conn.execute(
            text("""SELECT p.id, p.year, p.title, p.demand_id, p.community_id, c.code AS community,
                       p.lead_unit_id, p.owners, p.status, p.created_at, p.created_by
                FROM party_project p JOIN community c ON c.id = p.community_id
                WHERE p.id = :id"""),
            {"id": project_id},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFoundError(f"no project {project_id}")
    project = dict(row)
    project["resources"] = [
        dict(r)
        for r in conn.execute(
            text("""SELECT resource_id, distance_m FROM project_resource
                    WHERE project_id = :id ORDER BY resource_id"""),
            {"id": project_id},
        ).mappings()
    ]
    project["milestones"] = [
        dict(r)
        for r in conn.execute(
            text("""SELECT id, title, checkpoint, due_on, done_on FROM project_milestone
                    WHERE project_id = :id ORDER BY due_on, id"""),
            {"id": project_id},
        ).mappings()
    ]
    return project


def set_project_status(
    conn: Connection, project_id: int, status: str, by: Caller | None = None
) -> dict[str, Any]:
    """Move a project planned → underway → done (or dropped); done meets its demand,
    dropped reopens it."""
    found = get_project(conn, project_id)
    try:
        wanted = ProjectStatus(status)
    except ValueError:
        raise InvalidInputError(f"project status {status!r} is unknown") from None
    now = ProjectStatus(found["status"])
    if wanted not in PROJECT_MOVES[now]:
        raise InvalidInputError(
            f"project {project_id} is {now.value}: it cannot become {wanted.value}"
        )
    conn.execute(
        text("UPDATE party_project SET status = :s WHERE id = :id"),
        {"s": wanted.value, "id": project_id},
    )
    follows = {ProjectStatus.done: "met", ProjectStatus.dropped: "open"}.get(wanted)
    if follows is not None and found["demand_id"] is not None:
        conn.execute(
            text("UPDATE party_demand SET status = :s WHERE id = :id AND status = 'matched'"),
            {"s": follows, "id": found["demand_id"]},
        )
    log_change(conn, by, f"project {wanted.value}", f"party_project:{project_id}")
    return get_project(conn, project_id)


def add_milestone(
    conn: Connection,
    project_id: int,
    title: str,
    checkpoint: str,
    due_on: str | date | None = None,
    by: Caller | None = None,
) -> dict[str, Any]:
    """A milestone due at a checkpoint (on its day unless ``due_on`` says otherwise)."""
    project = get_project(conn, project_id)
    try:
        point = Checkpoint(checkpoint)
    except ValueError:
        raise InvalidInputError(f"checkpoint {checkpoint!r}: start, mid or end") from None
    day = parse_day(due_on, "due_on") or checkpoint_date(project["year"], point)
    if day.year != project["year"]:
        raise InvalidInputError(f"due_on {day} is outside the project's year {project['year']}")
    conn.execute(
        text("""INSERT INTO project_milestone (project_id, title, checkpoint, due_on)
                VALUES (:p, :t, :c, :d)"""),
        {"p": project_id, "t": text_field(title, "title"), "c": point.value, "d": day},
    )
    log_change(conn, by, "milestone add", f"party_project:{project_id}")
    return get_project(conn, project_id)


def complete_milestone(
    conn: Connection, milestone_id: int, done_on: str | date | None = None, by: Caller | None = None
) -> dict[str, Any]:
    """Mark a milestone done (today by default); its project gets underway if planned."""
    row = conn.execute(
        text("SELECT project_id FROM project_milestone WHERE id = :id"), {"id": milestone_id}
    ).first()
    if row is None:
        raise NotFoundError(f"no milestone {milestone_id}")
    conn.execute(
        text("UPDATE project_milestone SET done_on = :d WHERE id = :id"),
        {"d": parse_day(done_on, "done_on") or today(), "id": milestone_id},
    )
    conn.execute(
        text("UPDATE party_project SET status = 'underway' WHERE id = :p AND status = 'planned'"),
        {"p": row.project_id},
    )
    log_change(conn, by, "milestone done", f"project_milestone:{milestone_id}")
    return get_project(conn, int(row.project_id))


def checkpoint_report(
    conn: Connection, year: int, checkpoint: str, community_id: int | None = None
) -> dict[str, Any]:
    """Where the year's projects stand at a checkpoint: milestones due by its day,
    done and late, and the projects that are late."""
    day = checkpoint_date(check_year(year), checkpoint)
    rows = conn.execute(
        text("""SELECT p.id, p.title, p.status, c.code AS community,
                   count(m.id) FILTER (WHERE m.due_on <= :day) AS due,
                   count(m.id) FILTER (WHERE m.due_on <= :day AND m.done_on <= :day) AS done
                FROM party_project p JOIN community c ON c.id = p.community_id
                LEFT JOIN project_milestone m ON m.project_id = p.id
                WHERE p.year = :y AND p.status <> 'dropped'
                  AND (CAST(:c AS int) IS NULL OR p.community_id = :c)
                GROUP BY p.id, c.code ORDER BY p.id"""),
        {"day": day, "y": year, "c": community_id},
    ).mappings()
    projects = [dict(r) for r in rows]
    late = [p for p in projects if p["done"] < p["due"]]
    return {
        "year": year,
        "checkpoint": checkpoint,
        "day": day,
        "projects": len(projects),
        "milestones_due": sum(p["due"] for p in projects),
        "milestones_done": sum(p["done"] for p in projects),
        "late": late,
    }


def project_ids(conn: Connection, year: int | None, community_id: int | None) -> list[int]:
    """The ids of a year's projects (all years when None), optionally one community's."""
    return [
        int(i)
        for i in conn.execute(
            text("""SELECT id FROM party_project WHERE (CAST(:y AS int) IS NULL OR year = :y)
                    AND (CAST(:c AS int) IS NULL OR community_id = :c) ORDER BY id"""),
            {"y": year, "c": community_id},
        ).scalars()
    ]


def milestone_community(conn: Connection, milestone_id: int) -> int:
    """The community of a milestone's project."""
    found = conn.execute(
        text("""SELECT p.community_id FROM project_milestone m
                JOIN party_project p ON p.id = m.project_id WHERE m.id = :id"""),
        {"id": milestone_id},
    ).scalar()
    if found is None:
        raise NotFoundError(f"no milestone {milestone_id}")
    return int(found)
