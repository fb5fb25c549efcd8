"""Communities, grids and compounds by code or by name: people say 开发区社区, not
141081001002, so wherever a code is asked for its name works too.

A name that fits one place gives its code; one that fits several, or none, is
an error listing the candidates with their codes.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from sqlalchemy import Connection, text

from geo_api.errors import InvalidInputError, NotFoundError

# level -> (table, its Chinese name, the suffix people leave out of names)
LEVELS = {
    "community": ("community", "社区", "社区"),
    "grid": ("grid", "网格", "网格"),
    "compound": ("compound", "小区", "小区"),
}
SHOWN_CANDIDATES = 5


@dataclass(frozen=True)
class Place:
    """A community, grid or compound as people name it."""

    code: str
    name: str


def _places(conn: Connection, level: str) -> list[Place]:
    table = LEVELS[level][0]
    rows = conn.execute(text(f'SELECT code, name FROM "{table}" ORDER BY code'))  # noqa: S608 - a fixed table name
    return [Place(str(r.code), str(r.name)) for r in rows]


def _listed(places: list[Place]) -> str:
    return ", ".join(f"{p.name} ({p.code})" for p in places[:SHOWN_CANDIDATES])


def resolve_code(conn: Connection, level: str, given: str) -> str:
    """The code of the ``level`` (community, grid or compound) that ``given`` names:
    its code, its name, or its name without the suffix (开发区 for 开发区社区).
    A code that names nothing is returned as it is, for the caller's own message."""
    if level not in LEVELS:
        raise InvalidInputError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
    wanted = given.strip()
    if not wanted or (wanted.isascii() and any(c.isdigit() for c in wanted)):
        return wanted  # a code, or a mistyped one: the caller's check names what is wrong
    _, label, suffix = LEVELS[level]
    places = _places(conn, level)
    if any(p.code == wanted for p in places):
        return wanted
    bare = wanted.removesuffix(suffix)
    exact = [p for p in places if p.name == wanted]
    if not exact:
        exact = [p for p in places if p.name.removesuffix(suffix) == bare]
    if len(exact) == 1:
        return exact[0].code
    if exact:
        raise InvalidInputError(
            f"{wanted!r} names {len(exact)} {level} ({label}) places: {_listed(exact)}; "
            "give the code"
        )
    partial = [p for p in places if bare in p.name]
    if len(partial) == 1:
        return partial[0].code
    if partial:
        raise InvalidInputError(
            f"{wanted!r} fits {len(partial)} {level} ({label}) names: {_listed(partial)}; "
            "give the full name or the code"
        )
    by_name = {p.name: p for p in places}
    close = difflib.get_close_matches(wanted, list(by_name), n=SHOWN_CANDIDATES, cutoff=0.3)
    hint = f"; did you mean {_listed([by_name[n] for n in close])}?" if close else ""
    raise NotFoundError(f"no {level} ({label}) is named {wanted!r}{hint}")


@dataclass(frozen=True)
class CommunityRow:
    """A community as listed: its names, codes, size and map."""

    code: str
    name: str
    street: str
    grids: int
    compounds: int
    households: int

    @property
    def map_path(self) -> str:
        """The path of its officers' map on the server."""
        return f"/maps/communities/{self.code}"


COMMUNITIES_SQL = text("""
SELECT c.code, c.name, s.name AS street,
       (SELECT count(*) FROM grid g WHERE g.community_id = c.id) AS grids,
       (SELECT count(*) FROM compound cp WHERE cp.community_id = c.id) AS compounds,
       (SELECT count(*) FROM household h JOIN unit u ON u.id = h.unit_id
        JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
        WHERE cp.community_id = c.id AND h.ended_on IS NULL) AS households
FROM community c JOIN street s ON s.id = c.street_id
WHERE CAST(:street AS text) IS NULL OR s.code = :street OR s.name = :street
ORDER BY c.code""")


def list_communities(conn: Connection, street: str | None = None) -> list[CommunityRow]:
    """Every community (or a street's, by its code or name), with its street, grids,
    compounds and households."""
    rows = conn.execute(COMMUNITIES_SQL, {"street": street}).all()
    if street is not None and not rows:
        raise NotFoundError(f"no street has the code or name {street!r}")
    return [
        CommunityRow(
            str(r.code),
            str(r.name),
            str(r.street),
            int(r.grids),
            int(r.compounds),
            int(r.households),
        )
        for r in rows
    ]
