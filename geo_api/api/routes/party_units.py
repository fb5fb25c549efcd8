"""Alliance units (联盟单位), their agreements, and the lists' categories."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy import Engine

from geo_api.api.auth import CallerDep
from geo_api.api.deps import Read, Tx
from geo_api.api.party_bodies import (
    AgreementIn,
    CategoryIn,
    CategoryRename,
    EndIn,
    UnitChange,
    UnitIn,
)
from geo_api.auth.roles import Caller
from geo_api.party import categories, units
from geo_api.party.places import community_id
from geo_api.party.visible import audit_units, for_caller, own_community

router = APIRouter(tags=["party building"])
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _shown(request: Request, caller: Caller, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Units as the caller may see them; full contacts recorded in the audit log."""
    engine: Engine = request.app.state.engine
    with engine.begin() as conn:
        audit_units(conn, caller, f"{request.method} {request.url.path}", found)
    return for_caller(caller, found)


@router.get("/party/categories")
def list_categories(read: Read) -> list[dict[str, Any]]:
    """The lists' categories (code, names, whether new items may take them)."""
    with read() as conn:
        return categories.list_categories(conn)


@router.post("/party/categories", status_code=201)
def add_category(tx: Tx, caller: CallerDep, body: CategoryIn) -> dict[str, Any]:
    """Add a category to the shared vocabulary."""
    with tx() as conn:
        return categories.add_category(conn, body.code, body.name_zh, body.name_en, caller)


@router.put("/party/categories/{code}")
def rename_category(
    tx: Tx, caller: CallerDep, code: Annotated[str, Path(max_length=32)], body: CategoryRename
) -> dict[str, Any]:
    """Rename a category (its code stays)."""
    with tx() as conn:
        return categories.rename_category(conn, code, body.name_zh, body.name_en, caller)


@router.post("/party/categories/{code}/retire")
def retire_category(
    tx: Tx, caller: CallerDep, code: Annotated[str, Path(max_length=32)]
) -> dict[str, Any]:
    """Retire a category: kept on its items, refused to new ones."""
    with tx() as conn:
        return categories.retire_category(conn, code, caller)


@router.get("/units")
def list_units(
    request: Request,
    read: Read,
    caller: CallerDep,
    street: Annotated[str | None, Query(max_length=60)] = None,
    community: Annotated[str | None, Query(max_length=60)] = None,
) -> list[dict[str, Any]]:
    """Alliance units (those bound to a street or community, if one is named);
    an officer's, those of their community. Contacts as the role may see them."""
    if caller.scoped:
        street, community = None, caller.community_code
    with read() as conn:
        found = units.list_units(conn, street=street, community=community, reveal=caller.reveals)
    return _shown(request, caller, found)


@router.get("/units/{unit_id}")
def get_unit(request: Request, read: Read, caller: CallerDep, unit_id: Id) -> dict[str, Any]:
    """One unit with its agreements."""
    with read() as conn:
        found = units.get_unit(conn, unit_id, reveal=caller.reveals)
        if caller.scoped:
            own_community(
                caller,
                caller.community_id
                if any(a["community"] == caller.community_code for a in found["agreements"])
                else None,
                f"unit {unit_id}",
            )
    return _shown(request, caller, [found])[0]


@router.post("/units", status_code=201)
def add_unit(request: Request, tx: Tx, caller: CallerDep, body: UnitIn) -> dict[str, Any]:
    """Register an alliance unit."""
    with tx() as conn:
        made = units.add_unit(conn, **body.model_dump(), by=caller)
    return _shown(request, caller, [units.shown(made, caller.reveals)])[0]


@router.put("/units/{unit_id}")
def update_unit(
    request: Request, tx: Tx, caller: CallerDep, unit_id: Id, body: UnitChange
) -> dict[str, Any]:
    """Change a unit's fields (those given)."""
    with tx() as conn:
        changed = units.update_unit(conn, unit_id, body.model_dump(exclude_unset=True), caller)
    return _shown(request, caller, [units.shown(changed, caller.reveals)])[0]


@router.post("/units/{unit_id}/agreements", status_code=201)
def sign_agreement(tx: Tx, caller: CallerDep, unit_id: Id, body: AgreementIn) -> dict[str, Any]:
    """Sign an agreement binding the unit to a street or a community (an officer:
    their own community)."""
    with tx() as conn:
        if caller.scoped:
            where = community_id(conn, body.community) if body.community else None
            own_community(caller, where, "the agreement's community")
        return units.sign_agreement(
            conn,
            unit_id,
            street=body.street,
            community=body.community,
            signed_on=body.signed_on,
            notes=body.notes,
            by=caller,
        )


@router.post("/agreements/{agreement_id}/end")
def end_agreement(tx: Tx, caller: CallerDep, agreement_id: Id, body: EndIn) -> dict[str, Any]:
    """End an agreement (today, or on the day given)."""
    with tx() as conn:
        if caller.scoped:
            own_community(caller, units.agreement(conn, agreement_id)["community_id"], "it")
        return units.end_agreement(conn, agreement_id, body.on, caller)
