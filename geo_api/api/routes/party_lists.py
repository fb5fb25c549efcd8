"""The three lists: resources, demands and projects (with milestones and the year's
checkpoints)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from geo_api.api.auth import CallerDep
from geo_api.api.deps import Read, Tx
from geo_api.api.party_bodies import DemandIn, EndIn, MilestoneIn, ProjectIn, ResourceIn, StatusIn
from geo_api.party import lists, projects
from geo_api.party.places import community_id
from geo_api.party.visible import for_caller, own_community

router = APIRouter(tags=["party building"])
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
YearQ = Annotated[int | None, Query(ge=2000, le=2100)]
CommunityQ = Annotated[str | None, Query(max_length=60, description="code or name")]


def _community(conn: Any, caller: CallerDep, given: str | None) -> int | None:
    """The community a read is held to: an officer's own, else the one named."""
    if caller.scoped:
        return caller.community_id
    return community_id(conn, given) if given else None


@router.get("/resources")
def list_resources(
    read: Read, caller: CallerDep, year: YearQ = None, community: CommunityQ = None
) -> list[dict[str, Any]]:
    """The resource list (资源清单) of a year, or a community's."""
    with read() as conn:
        found = lists.list_resources(
            conn, year=year, community_id=_community(conn, caller, community)
        )
    return for_caller(caller, found)


@router.post("/resources", status_code=201)
def add_resource(tx: Tx, caller: CallerDep, body: ResourceIn) -> dict[str, Any]:
    """Enter a resource (an officer: in their own community)."""
    with tx() as conn:
        if caller.scoped:
            where = community_id(conn, body.community) if body.community else None
            own_community(caller, where, "the resource's community")
        return lists.add_resource(conn, **body.model_dump(), by=caller)


@router.post("/resources/{resource_id}/withdraw")
def withdraw_resource(tx: Tx, caller: CallerDep, resource_id: Id, body: EndIn) -> dict[str, Any]:
    """Withdraw a resource: it is matched no more."""
    with tx() as conn:
        own_community(caller, lists.get_resource(conn, resource_id)["community_id"], "it")
        return lists.withdraw_resource(conn, resource_id, body.on, caller)


@router.get("/demands")
def list_demands(
    read: Read,
    caller: CallerDep,
    year: YearQ = None,
    community: CommunityQ = None,
    status: Literal["open", "matched", "met", "dropped"] | None = None,
) -> list[dict[str, Any]]:
    """The demand list (需求清单) of a year, or a community's."""
    with read() as conn:
        found = lists.list_demands(
            conn, year=year, community_id=_community(conn, caller, community), status=status
        )
    return for_caller(caller, found)


@router.post("/demands", status_code=201)
def add_demand(tx: Tx, caller: CallerDep, body: DemandIn) -> dict[str, Any]:
    """Enter a demand (an officer: in their own community)."""
    with tx() as conn:
        own_community(caller, community_id(conn, body.community), "the demand's community")
        return for_caller(caller, [lists.add_demand(conn, **body.model_dump(), by=caller)])[0]


@router.post("/demands/{demand_id}/status")
def demand_status(tx: Tx, caller: CallerDep, demand_id: Id, body: StatusIn) -> dict[str, Any]:
    """Move a demand to met, dropped or open again."""
    with tx() as conn:
        own_community(caller, lists.get_demand(conn, demand_id)["community_id"], "it")
        return for_caller(caller, [lists.set_demand_status(conn, demand_id, body.status, caller)])[
            0
        ]


@router.get("/projects")
def list_projects(
    read: Read, caller: CallerDep, year: YearQ = None, community: CommunityQ = None
) -> list[dict[str, Any]]:
    """The project list (项目清单): each project with its resources and milestones."""
    with read() as conn:
        ids = projects.project_ids(conn, year, _community(conn, caller, community))
        return [projects.get_project(conn, i) for i in ids]


@router.get("/projects/checkpoint")
def checkpoint(
    read: Read,
    caller: CallerDep,
    year: Annotated[int, Query(ge=2000, le=2100)],
    at: Literal["start", "mid", "end"],
    community: CommunityQ = None,
) -> dict[str, Any]:
    """Where the year's projects stand at a checkpoint (年初/年中/年末): late ones listed."""
    with read() as conn:
        return projects.checkpoint_report(conn, year, at, _community(conn, caller, community))


@router.post("/projects", status_code=201)
def add_project(tx: Tx, caller: CallerDep, body: ProjectIn) -> dict[str, Any]:
    """Enter a project by hand."""
    with tx() as conn:
        where = community_id(conn, body.community)
        own_community(caller, where, "the project's community")
        return projects.add_project(
            conn,
            year=body.year,
            title=body.title,
            community_id=where,
            demand_id=body.demand_id,
            lead_unit_id=body.lead_unit_id,
            owners=body.owners,
            resources=[(r, None) for r in body.resource_ids],
            by=caller,
        )


@router.post("/projects/{project_id}/status")
def project_status(tx: Tx, caller: CallerDep, project_id: Id, body: StatusIn) -> dict[str, Any]:
    """Move a project to underway, done or dropped."""
    with tx() as conn:
        own_community(caller, projects.get_project(conn, project_id)["community_id"], "it")
        return projects.set_project_status(conn, project_id, body.status, caller)


@router.post("/projects/{project_id}/milestones", status_code=201)
def add_milestone(tx: Tx, caller: CallerDep, project_id: Id, body: MilestoneIn) -> dict[str, Any]:
    """Add a milestone to a project."""
    with tx() as conn:
        own_community(caller, projects.get_project(conn, project_id)["community_id"], "it")
        return projects.add_milestone(
            conn, project_id, body.title, body.checkpoint, body.due_on, caller
        )


@router.post("/milestones/{milestone_id}/done")
def milestone_done(tx: Tx, caller: CallerDep, milestone_id: Id, body: EndIn) -> dict[str, Any]:
    """Mark a milestone done (today, or on the day given)."""
    with tx() as conn:
        own_community(caller, projects.milestone_community(conn, milestone_id), "it")
        return projects.complete_milestone(conn, milestone_id, body.on, caller)
