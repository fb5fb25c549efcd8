"""Checked rows into the store: staged with COPY, then upserted on their natural key.

A row whose values equal the stored ones is not touched (the WHERE of the
ON CONFLICT), so importing the same file twice changes nothing, and the counts
say how many rows were inserted, updated and left unchanged.

Into an empty table (a city's first load) nothing can conflict, and keeping its
indexes and foreign keys up to date row by row costs far more than the rows:
bulk.py copies the rows straight in and builds those once at the end.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from geo_api.db.bulk import copy_frame
from geo_api.errors import InvalidInputError

SNAP_DEGREES = 1e-9  # about 0.1 mm


@dataclass
class Landed:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: Landed) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged


def upsert(
    conn: Connection,
    table: str,
    key: list[str],
    columns: list[str],
    updates: list[str],
    rows: pd.DataFrame,
    reset: tuple[str, ...] = (),
    where: str | None = None,
) -> Landed:
    """Insert or update ``rows`` (columns named as the table's) on ``key``; a row that
    changes also has the ``reset`` columns set to NULL (e.g. a derived placement).
    ``where`` names the predicate of a partial unique index on ``key``."""
    if rows.empty:
        return Landed()
    listed = ", ".join(columns)
    conn.execute(text("DROP TABLE IF EXISTS import_stage"))
    conn.execute(
        text(
            f"CREATE TEMP TABLE import_stage ON COMMIT DROP AS "  # noqa: S608 - constant names
            f"SELECT {listed} FROM {table} WITH NO DATA"
        )
    )
    copy_frame(conn, "import_stage", rows, columns, not_null=key)
    target = f"({', '.join(key)})" + (f" WHERE {where}" if where else "")
    if updates:
        changed = ", ".join(
            [f"{c} = EXCLUDED.{c}" for c in updates] + [f"{c} = NULL" for c in reset]
        )
        old = ", ".join(_compared(f"{table}.{c}", c) for c in updates)
        new = ", ".join(_compared(f"EXCLUDED.{c}", c) for c in updates)
        action = f"DO UPDATE SET {changed} WHERE ({old}) IS DISTINCT FROM ({new})"
    else:  # the file says nothing that could change a stored row: insert new ones only
        action = "DO NOTHING"
    # Counted in the server: the rows need not come back one by one.
    sql = f"""
        WITH landed AS (
            INSERT INTO {table} ({listed}) SELECT {listed} FROM import_stage
            ON CONFLICT {target} {action}
            RETURNING (xmax = 0) AS inserted)
        SELECT count(*) FILTER (WHERE inserted), count(*) FROM landed
    """  # noqa: S608 - constant names from the layer tables
    savepoint = conn.begin_nested()
    try:
        inserted, changed = conn.execute(text(sql)).one()
    except IntegrityError as error:
        savepoint.rollback()
        diag = getattr(error.orig, "diag", None)
        constraint = getattr(diag, "constraint_name", None)
        detail = getattr(diag, "message_detail", None)
        raise InvalidInputError(
            f"the rows clash with what {table} holds ({constraint}): {detail or error.orig}"
        ) from error
    savepoint.commit()
    return Landed(inserted, changed - inserted, len(rows) - changed)


def _compared(column: str, name: str) -> str:
    """A column as compared for "unchanged": geometry to a tenth of a millimetre, so
    that coordinates that went through a spreadsheet's 15 digits still match."""
    return f"ST_SnapToGrid({column}, {SNAP_DEGREES})" if name == "geom" else column
