"""The area an officer's day is about, and how its places are written."""

from __future__ import annotations

from sqlalchemy import Connection, text

from geo_api.catalogue.scope import Area
from geo_api.errors import InvalidInputError, NotFoundError
from geo_api.lookup.places import resolve_code

ROLE_TITLES = {"compound": "小区长", "building": "楼长", "unit": "单元长"}


def community_area(conn: Connection, given: str | None) -> Area:
    """The whole community named by ``given`` (its code or its name), for the roles that
    see the city and must say which community they mean."""
    if given is None or not given.strip():
        raise InvalidInputError("community is required: give its 12-digit code or its name")
    code = resolve_code(conn, "community", given)
    row = conn.execute(text("SELECT id, code FROM community WHERE code = :c"), {"c": code}).first()
    if row is None:
        raise NotFoundError(f"no community has the code {code!r} (12 digits)")
    return Area(int(row.id), str(row.code))


def place_label(
    compound: str | None,
    building: int | None = None,
    label: str | None = None,
    unit: int | None = None,
) -> str:
    """水岸明珠3号楼2单元: a compound, building (by its label when lettered) and unit, as
    far as they are known."""
    written = compound or ""
    if building is not None or label:
        written += f"{label or building}号楼"
    if unit is not None:
        written += f"{unit}单元"
    return written
