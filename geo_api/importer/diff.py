"""A roster import as a diff against the store: new, changed (with the fields that
change), unchanged, and the people the store holds that the file leaves out.

Generic over the roster layers (Layer.roster: heads, officers, members): a row is
matched to the store by the layer's identity columns, and compared on the columns
a re-import may change (its landings' ``updates``). Each chunk is compared before
it lands, so the counts say what the file changes, and its identities are kept in
a temporary table, so that at the end the store's serving people missing from the
file are known: reported, and with ``full`` retired (left_on today, the reason
"not in roster"). A dry run compares and lands nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Connection, text

from geo_api.db.bulk import copy_frame
from geo_api.importer.layer import Landing, RosterSpec
from geo_api.importer.upsert import SNAP_DEGREES

SHOWN_ROWS = 200  # rows listed per kind; the counts are always complete
NOT_IN_ROSTER = "not in roster"


@dataclass
class DiffRow:
    """One person of the diff: what happens to them, who, and what changes."""

    kind: str  # new, changed, retire
    label: str
    id: int | None = None
    fields: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)  # "phone: 138… → 139…"


@dataclass
class RosterDiff:
    """The diff of one roster file against the store."""

    full: bool
    dry_run: bool
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    missing: int = 0  # serving in the store, absent from the file
    retired: int = 0  # of those, retired (full, not a dry run)
    rows: list[DiffRow] = field(default_factory=list)
    # Heads whose consent to the placards the file changes (id -> new answer), all of
    # them (the rows above are capped): each change goes to the audit log.
    consent: dict[int, bool] = field(default_factory=dict)

    def add(self, row: DiffRow) -> None:
        """List a row, up to SHOWN_ROWS of each kind."""
        if sum(r.kind == row.kind for r in self.rows) < SHOWN_ROWS:
            self.rows.append(row)


def _key(alias: str, roster: RosterSpec) -> str:
    # Rows as text: equal identities (NULLs equal) are equal texts, and a hash join
    # matches a chunk against the whole table at once.
    return f"ROW({', '.join(f'{alias}.{c}' for c in roster.identity)})::text"


def _differs(name: str) -> str:
    if name == "geom":
        return (f"ST_SnapToGrid(t.geom, {SNAP_DEGREES}) IS DISTINCT FROM "
                f"ST_SnapToGrid(s.geom, {SNAP_DEGREES})")  # fmt: skip
    return f"t.{name} IS DISTINCT FROM s.{name}"


def _shown(name: str) -> str:
    if name == "geom":
        return "'geom: moved'"
    old, new = f"coalesce(t.{name}::text, '-')", f"coalesce(s.{name}::text, '-')"
    return f"format('%s: %s → %s', '{name}', {old}, {new})"


def start(conn: Connection, table: str, roster: RosterSpec) -> None:
    """Make the table of the identities the file names (dropped at the transaction's end)."""
    conn.execute(text("DROP TABLE IF EXISTS roster_seen"))
    conn.execute(
        text(
            f"CREATE TEMP TABLE roster_seen ON COMMIT DROP AS "  # noqa: S608 - constant names
            f"SELECT {_key('t', roster)} AS key FROM {table} t WITH NO DATA"
        )
    )


def compare(
    conn: Connection, landing: Landing, roster: RosterSpec, rows: pd.DataFrame, diff: RosterDiff
) -> None:
    """Count and list a chunk's rows of one landing as new, changed or unchanged; keep
    their identities for ``missing``."""
    if rows.empty:
        return
    compared = [c for c in landing.updates if c not in roster.identity]
    columns = list(dict.fromkeys([*roster.identity, roster.label, *compared]))
    table = landing.table
    conn.execute(text("DROP TABLE IF EXISTS roster_chunk"))
    conn.execute(
        text(
            f"CREATE TEMP TABLE roster_chunk ON COMMIT DROP AS "  # noqa: S608 - constant names
            f"SELECT {', '.join(columns)} FROM {table} WITH NO DATA"
        )
    )
    copy_frame(conn, "roster_chunk", rows, columns)
    differs = " OR ".join(_differs(c) for c in compared) or "FALSE"
    fields = ", ".join(f"CASE WHEN {_differs(c)} THEN '{c}' END" for c in compared)
    shown = ", ".join(f"CASE WHEN {_differs(c)} THEN {_shown(c)} END" for c in compared)
    found = conn.execute(
        text(f"""
        SELECT t.id, s.{roster.label} AS label, t.id IS NULL AS new,
               t.id IS NOT NULL AND ({differs}) AS changed,
               array_remove(ARRAY[{fields or "NULL"}]::text[], NULL) AS fields,
               array_remove(ARRAY[{shown or "NULL"}]::text[], NULL) AS changes
        FROM roster_chunk s LEFT JOIN {table} t ON {_key("t", roster)} = {_key("s", roster)}
        """)  # noqa: S608 - constant names from the layer tables
    ).all()
    for r in found:
        if r.new:
            diff.new += 1
            diff.add(DiffRow("new", str(r.label)))
        elif r.changed:
            diff.changed += 1
            diff.add(DiffRow("changed", str(r.label), int(r.id), list(r.fields), list(r.changes)))
            for change in r.changes:
                if change.startswith("consent_public: "):
                    diff.consent[int(r.id)] = change.rsplit("→", 1)[1].strip() == "true"
        else:
            diff.unchanged += 1
    conn.execute(text(f"INSERT INTO roster_seen SELECT {_key('s', roster)} FROM roster_chunk s"))  # noqa: S608


def missing(conn: Connection, table: str, roster: RosterSpec, diff: RosterDiff) -> list[int]:
    """The store's serving people the file does not name: counted, listed, their ids."""
    found = conn.execute(
        text(f"""
        SELECT t.id, t.{roster.label} AS label FROM {table} t
        WHERE {roster.active}
          AND NOT EXISTS (SELECT 1 FROM roster_seen s WHERE s.key = {_key("t", roster)})
        ORDER BY t.id""")  # noqa: S608 - constant names from the layer tables
    ).all()
    diff.missing = len(found)
    for r in found:
        diff.add(DiffRow("retire", str(r.label), int(r.id)))
    return [int(r.id) for r in found]


def retire(conn: Connection, table: str, roster: RosterSpec, ids: list[int], today: object) -> int:
    """Retire the people of ``ids`` as the layer says (left_on today, not in roster)."""
    if not ids:
        return 0
    done = conn.execute(
        text(f"UPDATE {table} t SET {roster.retire} WHERE t.id = ANY(:ids) RETURNING t.id"),  # noqa: S608
        {"ids": ids, "today": today, "reason": NOT_IN_ROSTER},
    ).all()
    return len(done)
