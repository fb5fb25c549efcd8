"""How many households a unit head should cover (target) and may cover (maximum):
set per community, and overridden per head. The next run applies them.

Each setter writes, then checks what the new setting breaks (a head's own
setting that clashes, locked households over a maximum) and raises: the
caller's transaction rolls back, so a refused setting leaves no trace.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from geo_api.errors import InvalidInputError, NotFoundError

# Heads whose locked households would not fit under their maximum any more.
LOCKS_OVER_SQL = """
SELECT hd.id, hd.max_capacity, count(a.id) AS locked
FROM head_effective hd JOIN assignment a ON a.head_id = hd.id
WHERE a.valid_to IS NULL AND a.locked AND hd.role = 'unit' AND {scope}
GROUP BY hd.id, hd.max_capacity HAVING count(a.id) > hd.max_capacity
ORDER BY hd.id
"""
COMMUNITY_OF_HEAD = """hd.unit_id IN (
    SELECT u.id FROM unit u JOIN building b ON b.id = u.building_id
    JOIN compound cp ON cp.id = b.compound_id WHERE cp.community_id = :scope)"""

CLASH_SQL = f"""
SELECT id, capacity, max_capacity FROM head_effective hd
WHERE {COMMUNITY_OF_HEAD} AND max_capacity < capacity ORDER BY id LIMIT 1
"""  # noqa: S608 - a constant fragment


def _check(target: int | None, maximum: int | None) -> None:
    if target is not None and target < 1:
        raise InvalidInputError(f"target must be at least 1 household, not {target}")
    if maximum is not None and maximum < 1:
        raise InvalidInputError(f"maximum must be at least 1 household, not {maximum}")
    if target is not None and maximum is not None and maximum < target:
        raise InvalidInputError(f"maximum {maximum} is below target {target}")


def _refuse_broken_locks(conn: Connection, scope: str, value: int) -> None:
    over = conn.execute(text(LOCKS_OVER_SQL.format(scope=scope)), {"scope": value}).first()
    if over is not None:
        raise InvalidInputError(
            f"head {over.id} has {over.locked} locked households, more than the new maximum "
            f"of {over.max_capacity}: unlock or move some first"
        )


def set_community_capacity(
    conn: Connection, code: str, target: int, maximum: int
) -> dict[str, Any]:
    """Set a community's unit-head target and maximum; returns the new setting."""
    _check(target, maximum)
    community = conn.execute(
        text(
            "UPDATE community SET unit_head_target = :t, unit_head_max = :m WHERE code = :c "
            "RETURNING id, code, name"
        ),
        {"t": target, "m": maximum, "c": code},
    ).first()
    if community is None:
        raise NotFoundError(f"no community with code {code}")
    _refuse_broken_locks(conn, "hd.role = 'unit' AND " + COMMUNITY_OF_HEAD, community.id)
    # A head's own target above the new maximum (or the reverse) is no setting at all.
    clash = conn.execute(text(CLASH_SQL), {"scope": community.id}).first()
    if clash is not None:
        raise InvalidInputError(
            f"head {clash.id} has its own setting that clashes with the new one "
            f"(target {clash.capacity}, maximum {clash.max_capacity}): change the head first"
        )
    return {"code": community.code, "name": community.name, "target": target, "maximum": maximum}


def set_head_capacity(
    conn: Connection, head_id: int, target: int | None, maximum: int | None
) -> dict[str, Any]:
    """Override a unit head's target and maximum (None: follow the community)."""
    _check(target, maximum)
    head = conn.execute(
        text(
            "UPDATE head SET capacity = :t, max_capacity = :m WHERE id = :id AND role = 'unit' "
            "RETURNING id"
        ),
        {"t": target, "m": maximum, "id": head_id},
    ).first()
    if head is None:
        raise NotFoundError(f"unit head {head_id} does not exist")
    row = conn.execute(
        text("SELECT capacity, max_capacity FROM head_effective WHERE id = :id"), {"id": head_id}
    ).one()
    if row.max_capacity < row.capacity:
        raise InvalidInputError(
            f"head {head_id} would have target {row.capacity} above maximum {row.max_capacity}"
            " (one of them comes from the community): set both"
        )
    _refuse_broken_locks(conn, "hd.id = :scope", head_id)
    return {
        "head_id": head_id,
        "target": row.capacity,
        "maximum": row.max_capacity,
        "own_setting": target is not None or maximum is not None,
    }
