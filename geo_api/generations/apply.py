"""A generation's imported areas written into the areas' own tables.

Used three ways: inside a savepoint rolled back afterwards, to import a layer whose
parents are new in the generation (stage.py) and to see what making it current would
change (diff.py); and for good, to make it current (activate.py). Layers go top
down (streets before communities ...) so that parents exist before their children
name them; removed areas go bottom up, after their children have moved, and an area
that would take buildings, child areas, officers or keys with it is refused. The
version each change replaces is kept in ``area_version`` (valid from its
``generation_low`` to the generation that was current).
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from geo_api.errors import ConflictError
from geo_api.generations.areas import AREAS, AreaTable, reshaped
from geo_api.generations.store import Generation

# What refers to an area (every foreign key to its id, whatever it does on delete:
# cascade, set null or refuse), read from the catalogue so that no table added later is
# forgotten: a removed area with any of it still hanging on is refused, named.
DEPENDENTS_SQL = """
SELECT c.conrelid::regclass::text AS tbl, a.attname AS col
FROM pg_constraint c
CROSS JOIN LATERAL unnest(c.conkey, c.confkey) AS k(own, ref)
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.own
JOIN pg_attribute r ON r.attrelid = c.confrelid AND r.attnum = k.ref
WHERE c.contype = 'f' AND c.conparentid = 0 AND r.attname = 'id'
  AND c.confrelid = CAST(:t AS regclass)
  AND c.conrelid <> CAST('network_entry' AS regclass)  -- derived: the network is rebuilt
ORDER BY 1, 2
"""


def _changed(area: AreaTable) -> str:
    """Rows of the table (x) whose version in the generation (v, parent p) differs."""
    parent = "" if area.parent is None else f" OR x.{area.parent_column} IS DISTINCT FROM p.id"
    return f"(x.name IS DISTINCT FROM v.name OR {reshaped('x.geom', 'v.geom')}{parent})"


def _pending(area: AreaTable) -> str:
    """The generation's versions of the layer (v) with their parents' ids (p)."""
    join = "" if area.parent is None else f" LEFT JOIN {area.parent} p ON p.code = v.parent_code"
    return f"area_version v{join} WHERE v.layer = '{area.table}' AND v.generation_low = :gen"


def _check_parents(conn: Connection, area: AreaTable, generation: Generation) -> None:
    """Every parent a version names exists (in the table, after the layers above)."""
    if area.parent is None:
        return
    missing = conn.execute(
        text(f"SELECT v.code, v.parent_code FROM {_pending(area)} AND p.id IS NULL LIMIT 5"),  # noqa: S608
        {"gen": generation.id},
    ).all()
    if missing:
        named = ", ".join(f"{code} (in {parent})" for code, parent in missing)
        raise ConflictError(
            f"generation {generation.name!r}: {area.layer} name a {area.parent} that neither "
            f"it nor the current boundaries have: {named}"
        )


def _upsert(conn: Connection, area: AreaTable, generation: Generation, keep_from: int) -> int:
    """Write the layer's new and changed versions; the replaced ones are kept (valid
    until ``keep_from``). Returns how many areas changed or were added."""
    params = {"gen": generation.id, "kept": keep_from}
    sets = {"name": "v.name", "geom": "v.geom" if area.table == "compound" else "ST_Multi(v.geom)"}
    old_parent = "NULL::text"
    if area.parent_column is not None:
        sets[area.parent_column] = "p.id"
        old_parent = f"(SELECT xp.code FROM {area.parent} xp WHERE xp.id = x.{area.parent_column})"  # noqa: S608
    if area.table == "compound":
        sets["community_id"] = "p.community_id"
    conn.execute(
        text(
            f"INSERT INTO area_version (layer, area_id, code, name, parent_code, geom, "  # noqa: S608
            f"generation_low, generation_high) SELECT '{area.table}', x.id, x.code, x.name, "
            f"{old_parent}, x.geom, x.generation_low, :kept FROM {area.table} x, "
            f"{_pending(area)} AND x.code = v.code AND {_changed(area)}"
        ),
        params,
    )
    assignments = ", ".join(f"{column} = {value}" for column, value in sets.items())
    updated = conn.execute(
        text(
            f"UPDATE {area.table} x SET {assignments}, generation_low = :gen "  # noqa: S608
            f"FROM {_pending(area)} AND x.code = v.code AND {_changed(area)}"
        ),
        params,
    ).rowcount
    columns = ", ".join(sets)
    values = ", ".join(sets.values())
    inserted = conn.execute(
        text(
            f"INSERT INTO {area.table} (code, {columns}, generation_low) "  # noqa: S608
            f"SELECT v.code, {values}, :gen FROM {_pending(area)} "
            f"AND NOT EXISTS (SELECT 1 FROM {area.table} x WHERE x.code = v.code)"
        ),
        params,
    ).rowcount
    conn.execute(
        text(
            f"UPDATE area_version v SET area_id = x.id FROM {area.table} x "  # noqa: S608
            f"WHERE v.layer = '{area.table}' AND v.generation_low = :gen AND x.code = v.code"
        ),
        params,
    )
    return int(updated) + int(inserted)


def _removed(conn: Connection, area: AreaTable, generation: Generation) -> list[str]:
    """Codes of the layer's areas the generation leaves out."""
    return list(
        conn.execute(
            text(
                f"SELECT code FROM {area.table} x WHERE NOT EXISTS (SELECT 1 FROM area_version v "  # noqa: S608
                f"WHERE v.layer = '{area.table}' AND v.generation_low = :gen AND v.code = x.code) "
                "ORDER BY code"
            ),
            {"gen": generation.id},
        ).scalars()
    )


def _remove(
    conn: Connection, area: AreaTable, generation: Generation, codes: list[str], keep_from: int
) -> None:
    """Delete the areas left out, keeping their last version; refused while anything
    that a delete would take with it still hangs on them."""
    if not codes:
        return
    ids: dict[int, str] = dict(
        conn.execute(
            text(f"SELECT id, code FROM {area.table} WHERE code = ANY(:codes)"),  # noqa: S608
            {"codes": codes},
        ).all()
    )
    dependents = conn.execute(text(DEPENDENTS_SQL), {"t": area.table}).all()
    held: dict[str, list[str]] = {}  # area code -> "36 activity", "2 station", ... by table
    for table, column in dependents:
        for area_id, n in conn.execute(
            text(
                f"SELECT {column}, count(*) FROM {table} WHERE {column} = ANY(:ids) "  # noqa: S608
                f"GROUP BY {column}"
            ),
            {"ids": list(ids)},
        ).all():
            held.setdefault(ids[area_id], []).append(f"{n} {table.replace('_', ' ')}")
    if held:  # everything that still belongs to them, named at once
        listed = "; ".join(f"{code} ({', '.join(what)})" for code, what in sorted(held.items())[:5])
        more = f" and {len(held) - 5} more" if len(held) > 5 else ""
        raise ConflictError(
            f"generation {generation.name!r} leaves out {area.table} {listed}{more}: move "
            "them to an area of the generation first (import their layer into it)"
        )
    parent = (
        "NULL::text"
        if area.parent is None
        else f"(SELECT p.code FROM {area.parent} p WHERE p.id = x.{area.parent_column})"  # noqa: S608
    )
    conn.execute(
        text(f"""
            INSERT INTO area_version
                (layer, area_id, code, name, parent_code, geom, generation_low, generation_high)
            SELECT '{area.table}', x.id, x.code, x.name, {parent}, x.geom, x.generation_low, :kept
            FROM {area.table} x WHERE x.code = ANY(:codes)
        """),  # noqa: S608
        {"codes": codes, "kept": keep_from},
    )
    conn.execute(
        text(f"DELETE FROM {area.table} WHERE code = ANY(:codes)"),  # noqa: S608
        {"codes": codes},
    )


def apply_generation(
    conn: Connection,
    generation: Generation,
    keep_from: int,
    *,
    above: str | None = None,
    remove: bool = True,
) -> dict[str, int]:
    """Write ``generation``'s imported layers into the areas' tables (only those above
    layer ``above`` when given, for an import of that layer); the versions replaced are
    kept as valid until generation ``keep_from``. ``remove`` deletes the areas the
    generation leaves out. Returns the areas written and removed per layer."""
    done: dict[str, int] = {}
    layers = [a for a in AREAS if a.layer in generation.layers]
    if above is not None:
        order = [a.layer for a in AREAS]
        layers = [a for a in layers if order.index(a.layer) < order.index(above)]
    for area in layers:
        _check_parents(conn, area, generation)
        done[area.layer] = _upsert(conn, area, generation, keep_from)
    # Officers follow their grid into its community (before a community is removed).
    done["officers following their grid"] = int(
        conn.execute(
            text(
                "UPDATE grid_officer o SET community_id = g.community_id FROM grid g "
                "WHERE g.id = o.grid_id AND o.community_id <> g.community_id"
            )
        ).rowcount
    )
    # And so do keys of one grid: a grid officer's key names its community too, and
    # check_area holds the caller to both.
    conn.execute(
        text(
            "UPDATE api_key k SET community_id = g.community_id FROM grid g "
            "WHERE g.id = k.grid_id AND k.community_id IS DISTINCT FROM g.community_id"
        )
    )
    if remove:
        for area in reversed(layers):
            codes = _removed(conn, area, generation)
            _remove(conn, area, generation, codes, keep_from)
            done[f"{area.layer} removed"] = len(codes)
    return done
