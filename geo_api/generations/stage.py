"""An area layer imported into a new generation instead of over the current one.

The file goes through the importer as any import does (the same checks, notes and
rejects), inside a savepoint: the generation's layers above this one are written
first, so a grid may name a community that is new in it. The areas the file holds
are read back as landed and the savepoint is rolled back: the current boundaries
are untouched, and the file's areas are kept in ``area_version`` as the
generation's. A file replaces what an earlier import put into the same generation's
layer. Overlaps and slivers are checked among the generation's own areas (not
against the current ones it replaces), for the outlines it adds or changes.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Unpack

from sqlalchemy import Connection, text

from geo_api.errors import InvalidInputError
from geo_api.generations.apply import apply_generation
from geo_api.generations.areas import area_layer, live_sql, reshaped
from geo_api.generations.store import Generation, current, named, pending
from geo_api.importer.overlaps import refuse_overlaps
from geo_api.importer.report import ImportReport
from geo_api.importer.run import ImportOptions, import_file


def import_generation(
    conn: Connection,
    layer: str,
    path: Path,
    generation: str,
    *,
    valid_from: date | None = None,
    by: str | None = None,
    **options: Unpack[ImportOptions],
) -> tuple[Generation, ImportReport]:
    """Import ``path`` as ``layer`` of the generation ``generation`` (made if new,
    starting ``valid_from``, else the day it is made current); the current boundaries
    do not change. Returns the generation and the import's report."""
    area = area_layer(layer)
    if options.get("dry_run") or options.get("full"):
        raise InvalidInputError("dry runs and full rosters are for the rosters, not generations")
    accept = bool(options.get("accept_overlaps", False))
    # The importer's overlap check would compare the file with the areas it replaces:
    # the generation's are checked among themselves below.
    options["check_overlaps"] = False
    # Nor rebuild the walking network from rows rolled back below: activation rebuilds it.
    options["rebuild"] = False
    gen = pending(conn, generation, valid_from, by)
    keep_from = current(conn).id
    savepoint = conn.begin_nested()
    try:
        apply_generation(conn, gen, keep_from, above=layer, remove=False)
        report = import_file(conn, layer, path, **options)
        rows = conn.execute(
            text(
                f"SELECT code, name, parent_code, ST_AsEWKB(geom) AS geom "  # noqa: S608
                f"FROM ({live_sql(area)}) a WHERE code = ANY(:codes)"
            ),
            {"codes": report.keys},
        ).all()
    finally:
        savepoint.rollback()
    params = {"layer": area.table, "gen": gen.id}
    conn.execute(
        text("DELETE FROM area_version WHERE layer = :layer AND generation_low = :gen"), params
    )
    if rows:  # one statement for all (psycopg pipelines the rows)
        conn.execute(
            text(
                "INSERT INTO area_version (layer, area_id, code, name, parent_code, geom, "  # noqa: S608
                "generation_low, generation_high) VALUES (:layer, (SELECT id FROM "
                f"{area.table} WHERE code = :code), :code, :name, :parent, "
                "ST_GeomFromEWKB(:geom), :gen, :gen)"
            ),
            [
                {**params, "code": code, "name": name, "parent": parent, "geom": bytes(geom)}
                for code, name, parent, geom in rows
            ],
        )
    conn.execute(
        text(
            "UPDATE generation SET layers = array_append(layers, :layer) "
            "WHERE id = :gen AND NOT :layer = ANY(layers)"
        ),
        {"layer": layer, "gen": gen.id},
    )
    # Outlines new or changed in the generation, against its other areas (those it
    # keeps as they are were checked when they were imported).
    changed = list(
        conn.execute(
            text(
                f"SELECT v.code FROM area_version v LEFT JOIN {area.table} x ON x.code = v.code "  # noqa: S608
                "WHERE v.layer = :layer AND v.generation_low = :gen "
                f"AND (x.id IS NULL OR {reshaped('x.geom', 'v.geom')})"
            ),
            params,
        ).scalars()
    )
    report.notes += _overlaps(conn, area.table, gen.id, changed, accept)
    report.notes.append(
        f"{len(rows)} {layer} kept as generation {gen.name!r} (not current: "
        f"gridgov generations diff {keep_from} {gen.id}, then activate {gen.id})"
    )
    return named(conn, gen.id), report


def import_any(
    conn: Connection,
    layer: str,
    path: Path,
    *,
    generation: str | None = None,
    valid_from: date | None = None,
    by: str | None = None,
    **options: Unpack[ImportOptions],
) -> ImportReport:
    """``import_file``, or into the new generation ``generation`` when one is named
    (the API's import route and its child process call this)."""
    if generation is None:
        if valid_from is not None:
            raise InvalidInputError("valid_from goes with generation")
        return import_file(conn, layer, path, **options)
    return import_generation(
        conn, layer, path, generation, valid_from=valid_from, by=by, **options
    )[1]


def _overlaps(conn: Connection, table: str, gen: int, codes: list[str], accept: bool) -> list[str]:
    """The generation's overlaps and slivers in ``table``: notes if accepted, else refused."""
    view = f"generation_{table}"
    conn.execute(
        text(
            f"CREATE TEMP VIEW {view} AS SELECT id, code, geom FROM area_version "  # noqa: S608
            f"WHERE layer = '{table}' AND generation_low = {int(gen)}"
        )
    )
    try:
        return refuse_overlaps(conn, view, codes, accept=accept, what=f"the generation's {table}")
    finally:
        conn.execute(text(f"DROP VIEW {view}"))
