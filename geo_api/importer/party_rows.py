"""What the three lists' imports (resources, demands, projects) share: the store's
categories, communities, compounds, units and members by the names files give them,
the checks of a year, a category and a community, and the landing of rows on their
key (year, title, community), which no unique index holds (the lists let an officer
enter two items of one title), so rows are found and updated one by one.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, text

from geo_api.digits import whole
from geo_api.importer.checks import RowErrors
from geo_api.importer.points import Bounds
from geo_api.importer.upsert import SNAP_DEGREES, Landed

_YEAR = re.compile(r"^(\d{4})(?:\.0+)?\s*年?(?:度)?$")
YEARS = (2000, 2100)


@dataclass
class Lookups:
    """The store's vocabulary and places, by the names files give them."""

    categories: dict[str, tuple[int, bool]]  # code, 中文名, english name (folded) -> (id, active)
    known: str  # the active categories, as a rejected row lists them
    communities: dict[str, int]  # code and name -> id
    ambiguous: set[str]  # community names two communities share
    centres: dict[int, tuple[float, float]]  # community id -> lon, lat inside it
    compounds: dict[tuple[int, str], tuple[int, float, float]]  # (community, name) -> id, point
    units: dict[str, tuple[int, float | None, float | None]]  # name -> id, lon, lat
    unit_ids: set[int]
    members: dict[tuple[str, str], int]  # (name, phone) -> id


@dataclass
class ListState:
    """One list import: the lookups, the keys seen (for duplicates), what landed."""

    conn: Connection
    lookups: Lookups
    seen: dict[tuple[int, str, int | None], int] = field(default_factory=dict)
    touched: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    bounds: Bounds | None = None  # the city's extent: points beyond it are rejected
    updates: set[str] = field(default_factory=set)  # the columns a stored row may change


def given(fields: dict[str, str], sources: dict[str, tuple[str, ...]]) -> set[str]:
    """The table's columns that the file's fields give (``sources``: column -> fields);
    "geom" when it has lon and lat columns (a file's own points add it as they come)."""
    found = {c for c, names in sources.items() if any(n in fields for n in names)}
    return found | ({"geom"} if {"lon", "lat"} <= set(fields) else set())


def lookups(conn: Connection) -> Lookups:
    """Everything a list's rows name, read once per import."""
    categories: dict[str, tuple[int, bool]] = {}
    active: list[str] = []
    for r in conn.execute(text("SELECT id, code, name_zh, name_en, active FROM list_category")):
        for name in (r.code, r.name_zh, str(r.name_en).casefold()):
            categories.setdefault(str(name).strip(), (int(r.id), bool(r.active)))
        if r.active:
            active.append(f"{r.code} {r.name_zh}")
    communities: dict[str, int] = {}
    names: dict[str, int] = {}
    ambiguous: set[str] = set()
    centres: dict[int, tuple[float, float]] = {}
    for r in conn.execute(
        text("""SELECT id, code, name, ST_X(p) AS lon, ST_Y(p) AS lat
                FROM (SELECT id, code, name, ST_PointOnSurface(geom) AS p FROM community) c""")
    ):
        communities[str(r.code)] = int(r.id)
        if r.name in names:
            ambiguous.add(str(r.name))
        names[str(r.name)] = int(r.id)
        if r.lon is not None:
            centres[int(r.id)] = (float(r.lon), float(r.lat))
    for name, cid in names.items():
        communities.setdefault(name, cid)
    compounds = {
        (int(r.community_id), str(r.name).strip()): (int(r.id), float(r.lon), float(r.lat))
        for r in conn.execute(
            text("""SELECT id, community_id, name, ST_X(p) AS lon, ST_Y(p) AS lat
                    FROM (SELECT id, community_id, name, ST_PointOnSurface(geom) AS p
                          FROM compound WHERE community_id IS NOT NULL) c""")
        )
        if r.lon is not None
    }
    units = {
        str(r.name).strip(): (int(r.id), r.lon, r.lat)
        for r in conn.execute(
            text("SELECT id, name, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM alliance_unit")
        )
    }
    members = {
        (str(r.name).strip(), str(r.phone)): int(r.id)
        for r in conn.execute(text("SELECT id, name, phone FROM member"))
    }
    return Lookups(
        categories, ", ".join(active), communities, ambiguous, centres, compounds, units,
        {u[0] for u in units.values()}, members,
    )  # fmt: skip


def one(errors: RowErrors, k: int) -> np.ndarray:
    """The mask of row ``k`` alone (RowErrors flags by mask)."""
    mask = np.zeros(len(errors.rows), dtype=bool)
    mask[k] = True
    return mask


def year_of(value: object) -> int | None:
    """A list's year from a cell (2021, 2021年, 2021年度, 2021.0), or None."""
    if value is None:
        return None
    found = _YEAR.match(unicodedata.normalize("NFKC", str(value)).strip())
    if not found:
        return None
    year = int(found.group(1))
    return year if YEARS[0] <= year <= YEARS[1] else None


# A list item's key: year, title, community (a resource may have none).
ListKey = tuple[int, str, int | None]


def row_year(errors: RowErrors, col: dict[str, pd.Series], k: int) -> int | None:
    """Row k's year (年度), or None with the row flagged."""
    year = year_of(col["year"].iat[k])
    if year is None:
        errors.flag(one(errors, k), "year", col["year"], "not a year (2021, 2021年)")
    return year


def first_of_key(
    errors: RowErrors,
    col: dict[str, pd.Series],
    k: int,
    seen: dict[ListKey, int],
    key: ListKey,
) -> bool:
    """Whether row k is the file's first with this year, title and community (the lists'
    key); a later one is flagged, naming the first."""
    if key not in seen:
        return True
    errors.flag(one(errors, k), "title", col["title"],
                f"duplicate: row {seen[key]} has this year, title and community")  # fmt: skip
    return False


def category_of(
    value: object, look: Lookups, errors: RowErrors, k: int, col: pd.Series, stored: int | None
) -> int | None:
    """The category a cell names (code, Chinese or English name); unknown ones are
    rejected listing the known; a retired one only on an item that has it already."""
    given = str(value).strip()
    found = look.categories.get(given) or look.categories.get(given.casefold())
    if found is None:
        errors.flag(one(errors, k), "category", col, f"unknown category (known: {look.known})")
        return None
    cid, active = found
    if not active and cid != stored:
        errors.flag(one(errors, k), "category", col,
                    "a retired category: new items may not take it")  # fmt: skip
        return None
    return cid


def community_of(
    value: object, look: Lookups, errors: RowErrors, k: int, col: pd.Series, field: str
) -> int | None:
    """The community a cell names by code or name (or id, as the lists' exports give
    it); unknown and ambiguous names are rejected."""
    given = str(value).strip()
    if given.endswith(".0") and given[:-2].isdigit():
        given = given[:-2]  # a number cell
    if given in look.ambiguous:
        errors.flag(one(errors, k), field, col, "two communities have this name: give its code")
        return None
    found = look.communities.get(given)
    if found is None and field == "community_id" and (number := whole(given)) is not None:
        found = number if number in look.centres else None
    if found is None:
        errors.flag(
            one(errors, k),
            field,
            col,
            "no community with this code or name (gridgov communities lists them)",
        )
    return found


def number(value: object) -> float | None:
    """A number from a cell (full-width digits and thousands commas allowed), or None."""
    cleaned = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
    try:
        found = float(cleaned)
    except ValueError:
        return None
    return found if math.isfinite(found) else None


def stored_key(
    conn: Connection, table: str, year: int, title: str, community: int | None
) -> dict[str, Any] | None:
    """The stored item of this year, title and community (the oldest, if two)."""
    row = (
        conn.execute(
            text(
                f"SELECT * FROM {table} WHERE year = :y AND title = :t "  # noqa: S608 - constant
                "AND community_id IS NOT DISTINCT FROM :c ORDER BY id LIMIT 1"
            ),
            {"y": year, "t": title, "c": community},
        )
        .mappings()
        .first()
    )
    return dict(row) if row is not None else None


LandedRow = tuple[int, dict[str, Any], str]  # id, the checked row, inserted/updated/unchanged


def land_rows(
    conn: Connection,
    table: str,
    columns: Sequence[str],
    rows: pd.DataFrame,
    updates: Collection[str],
) -> tuple[Landed, list[LandedRow]]:
    """Insert or update each row on (year, title, community_id): a stored row has only
    ``updates`` changed (the columns the file gives: an export that leaves out who raised
    a demand does not erase it), and is left alone when they are equal. ``rows`` holds
    ``columns`` and, for located tables, ``lon``/``lat`` ("geom" in ``updates`` when the
    file's points may move a stored one). Returns the counts and, for each row, its id
    and what happened."""
    landed = Landed()
    results: list[LandedRow] = []
    located = "lon" in rows
    listed = [*columns, "geom"] if located else list(columns)
    value = {c: f":{c}" for c in columns} | {"geom": "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"}
    changing = [c for c in listed if c in updates]
    sets = ", ".join(f"{c} = {value[c]}" for c in changing)
    old = ", ".join(_compared(c) for c in changing)
    new = ", ".join(
        f"ST_SnapToGrid({value[c]}, {SNAP_DEGREES})" if c == "geom" else f"CAST(:{c} AS {_type(c)})"
        for c in changing
    )
    insert = text(
        f"INSERT INTO {table} ({', '.join(listed)}) "  # noqa: S608 - constant names
        f"VALUES ({', '.join(value[c] for c in listed)}) RETURNING id"
    )
    update = text(
        f"UPDATE {table} SET {sets} WHERE id = :id "  # noqa: S608 - constant names
        f"AND ({old}, 0) IS DISTINCT FROM ({new}, 0) RETURNING id"
    )
    for row in cast(list[dict[str, Any]], rows.to_dict("records")):
        params = {c: _plain(row[c]) for c in columns}
        if located:
            params["lon"], params["lat"] = _plain(row["lon"]), _plain(row["lat"])
        found = stored_key(conn, table, params["year"], params["title"], params["community_id"])
        if found is None:
            new_id = conn.execute(insert, params).scalar_one()
            landed.inserted += 1
            results.append((int(new_id), row, "inserted"))
            continue
        done = bool(changing) and conn.execute(update, {**params, "id": found["id"]}).first()
        if done:
            landed.updated += 1
        else:
            landed.unchanged += 1
        results.append((int(found["id"]), row, "updated" if done else "unchanged"))
    return landed, results


_TYPES = {"year": "smallint", "quantity": "double precision", "capacity": "int",
          "urgency": "smallint", "raised_on": "date"}  # fmt: skip
_IDS = ("category_id", "unit_id", "member_id", "community_id", "compound_id", "demand_id",
        "lead_unit_id")  # fmt: skip


def _type(column: str) -> str:
    """The SQL type a bound value is compared as (the columns' own)."""
    return "int" if column in _IDS else _TYPES.get(column, "text")


def _compared(column: str) -> str:
    """A stored column as compared for "unchanged" (points to a tenth of a millimetre)."""
    if column == "geom":
        return f"ST_SnapToGrid(geom, {SNAP_DEGREES})"
    return f"CAST({column} AS {_type(column)})"


def _plain(value: Any) -> Any:
    """A frame's cell as a bound parameter: numpy scalars as Python's, NaN as NULL."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return _plain(value.item())
    return value


def point(lon: float | None, lat: float | None) -> shapely.Point | None:
    """A lon/lat point, or None."""
    if lon is None or lat is None or not (math.isfinite(lon) and math.isfinite(lat)):
        return None
    return shapely.Point(lon, lat)
