"""The assignment history and the audit log partitioned by year (issue 18).

Both only grow: a city of 10,000,000 households closes hundreds of thousands of
assignments in a year of roster changes and writes an audit row for every read of
personal data. Measured (docs/scale.md, scripts/bench/scale_store.py), what grows
with them is every whole-city read of the *current* assignments (the engine's
read, the gaps, the exports): each scanned the history beside the current rows.
So:

- ``assignment`` is partitioned BY RANGE (valid_to). A current assignment has no
  valid_to: range partitioning sends NULL keys to the DEFAULT partition, so
  ``assignment_current`` holds exactly the current rows (and closed rows of a year
  that has no partition yet), and a closed row lives in its year's partition
  (``assignment_y2026``). ``valid_to IS NULL`` prunes to the current partition;
  closing an assignment (valid_to = now()) moves its row into its year.
- ``audit_log`` is partitioned BY RANGE (at), one partition a year and a DEFAULT
  one (``audit_log_later``) so that no read of personal data ever fails to be
  logged for want of a partition. A year of the log is dropped or detached whole.

Years are China's (00:00 +08 on 1 January). The migration makes partitions from
the data's first year through next year; geo_api.db.partitions makes later ones
(every `gridgov db up`/`migrate` runs it).

What PostgreSQL allows on a partitioned table, and what changed with it:
- A unique key must include the partition key. audit_log's primary key is now
  (id, at). assignment cannot have a primary key (valid_to is NULL while current):
  its unique keys are (id, valid_to) and, for the one current assignment per
  household, (household_id, valid_to) WHERE valid_to IS NULL, both NULLS NOT
  DISTINCT (PostgreSQL 15), so two NULLs collide as the old keys did. Ids still
  come from the same sequence. No code upserts into either table (no ON CONFLICT);
  what closes an assignment by id now also says ``valid_to IS NULL``, so it reads
  the current partition only.
- Foreign keys from a partitioned table are allowed, and kept as they were (head,
  assignment_run, api_key); nothing refers to either table. The triggers (history
  checks, data_changed) are recreated on the partitioned table.
- household is NOT partitioned: whole-city gaps and exports grow linearly with it
  as it is, and partitioning it by community would add community_id to its key and
  to every reference to it (heads, members), for no measured gain (docs/scale.md).

Revision ID: 0025
Revises: 0021
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from alembic import op
from sqlalchemy import Connection, text

revision: str = "0025"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHINA_OFFSET = "+08"
# table: (partition key, default partition, the unique keys the partitioned table gets)
TABLES = {
    "assignment": (
        "valid_to",
        "assignment_current",
        [
            "ALTER TABLE assignment ADD CONSTRAINT uq_assignment_id_valid_to "
            "UNIQUE NULLS NOT DISTINCT (id, valid_to)",
            "CREATE UNIQUE INDEX uq_assignment_current_household ON assignment "
            "(household_id, valid_to) NULLS NOT DISTINCT WHERE valid_to IS NULL",
        ],
    ),
    "audit_log": (
        "at",
        "audit_log_later",
        ["ALTER TABLE audit_log ADD CONSTRAINT pk_audit_log PRIMARY KEY (id, at)"],
    ),
}
# The keys the plain tables had (for the downgrade).
PLAIN_KEYS = {
    "assignment": [
        "ALTER TABLE assignment ADD CONSTRAINT pk_assignment PRIMARY KEY (id)",
        "CREATE UNIQUE INDEX uq_assignment_current_household ON assignment (household_id) "
        "WHERE valid_to IS NULL",
    ],
    "audit_log": ["ALTER TABLE audit_log ADD CONSTRAINT pk_audit_log PRIMARY KEY (id)"],
}
KEY_NAMES = {
    "pk_assignment",
    "uq_assignment_id_valid_to",
    "uq_assignment_current_household",
    "pk_audit_log",
}

# Everything but the keys above, as SQL that recreates it on a table of the same
# name: foreign keys, plain indexes and user triggers (checks come with LIKE).
DEFINITIONS_SQL = """
SELECT 'ALTER TABLE ' || quote_ident(:table) || ' ADD CONSTRAINT ' || quote_ident(c.conname)
       || ' ' || pg_get_constraintdef(c.oid), c.conname
FROM pg_constraint c
WHERE c.conrelid = CAST(:table AS regclass) AND c.contype = 'f'
UNION ALL
SELECT replace(pg_get_indexdef(x.indexrelid), ' ON ONLY ', ' ON '), i.relname
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
WHERE x.indrelid = CAST(:table AS regclass)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid
                  AND c.conrelid = x.indrelid)
UNION ALL
SELECT pg_get_triggerdef(t.oid), t.tgname
FROM pg_trigger t
WHERE t.tgrelid = CAST(:table AS regclass) AND NOT t.tgisinternal
"""


def _definitions(conn: Connection, table: str) -> list[str]:
    rows = conn.execute(text(DEFINITIONS_SQL), {"table": table}).all()
    return [sql for sql, name in rows if name not in KEY_NAMES]


def _year_bound(year: int) -> str:
    return f"'{year}-01-01 00:00:00{CHINA_OFFSET}'"


def _years(conn: Connection, table: str, key: str) -> range:
    """From the first year of the data (else this year) through next year, in China."""
    china = datetime.now(UTC) + timedelta(hours=8)
    first = conn.execute(
        text(f"SELECT min(extract(year FROM {key} AT TIME ZONE 'Asia/Shanghai')) FROM {table}")  # noqa: S608
    ).scalar()
    start = int(first) if first is not None else china.year
    return range(min(start, china.year), china.year + 2)


def _rebuild(conn: Connection, table: str, partitioned: bool) -> None:
    """Copy ``table`` into a new table of the same name, partitioned by year or plain,
    with the same columns, defaults, checks, foreign keys, indexes and triggers."""
    key, default, keys = TABLES[table]
    definitions = _definitions(conn, table)
    years = _years(conn, table, key) if partitioned else range(0)
    new = f"{table}_new"
    conn.execute(text(f"ALTER SEQUENCE {table}_id_seq OWNED BY NONE"))
    spec = f" PARTITION BY RANGE ({key})" if partitioned else ""
    conn.execute(
        text(f"CREATE TABLE {new} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS){spec}")
    )
    if partitioned:
        conn.execute(text(f"CREATE TABLE {default} PARTITION OF {new} DEFAULT"))
        for year in years:
            conn.execute(
                text(
                    f"CREATE TABLE {table}_y{year} PARTITION OF {new} "
                    f"FOR VALUES FROM ({_year_bound(year)}) TO ({_year_bound(year + 1)})"
                )
            )
    conn.execute(text(f"INSERT INTO {new} SELECT * FROM {table}"))  # noqa: S608
    conn.execute(text(f"DROP TABLE {table}"))
    conn.execute(text(f"ALTER TABLE {new} RENAME TO {table}"))
    conn.execute(text(f"ALTER SEQUENCE {table}_id_seq OWNED BY {table}.id"))
    for statement in (keys if partitioned else PLAIN_KEYS[table]) + definitions:
        conn.execute(text(statement))
    conn.execute(text(f"ANALYZE {table}"))


def upgrade() -> None:
    conn = op.get_bind()
    for table in TABLES:
        _rebuild(conn, table, partitioned=True)


def downgrade() -> None:
    conn = op.get_bind()
    for table in TABLES:
        _rebuild(conn, table, partitioned=False)
