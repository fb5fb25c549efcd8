"""The audit log partitioned by year (issue 18).

The audit log only grows: a row for every read of personal data, tens of
thousands of officers a day on a provincial platform. ``audit_log`` is now
partitioned BY RANGE (at), a partition a year (China's years, 00:00 +08 on 1
January) and a DEFAULT one (``audit_log_later``), so that no read of personal data
ever fails to be logged for want of a partition. What it buys, measured
(docs/scale.md, scripts/bench/scale_store.py): a year of the log goes by DROP or
DETACH of its partition in tens of milliseconds, where a DELETE of its rows took 11
to 44 times as long (and leaves the table to vacuum).

The migration makes partitions from the data's first year through next year;
geo_api.db.partitions makes later ones (every `gridgov db up`/`migrate` runs it).

A unique key of a partitioned table must include the partition key: the primary
key is now (id, at). Nothing refers to the audit log and nothing upserts into it;
its reference to api_key (ON DELETE SET NULL) is kept.

Not partitioned, with the figures that say why (docs/scale.md): the assignment
history (reads of the current assignments go through partial indexes of the
current rows, so years of history beside them did not slow them) and the
households (a copy partitioned by community was slower for one community's
households than the plain table).

Revision ID: 0025
Revises: 0024
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from alembic import op
from sqlalchemy import Connection, text

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHINA_OFFSET = "+08"
# table: (partition key, default partition, the unique keys the partitioned table gets)
TABLES = {
    "audit_log": (
        "at",
        "audit_log_later",
        ["ALTER TABLE audit_log ADD CONSTRAINT pk_audit_log PRIMARY KEY (id, at)"],
    ),
}
# The keys the plain table had (for the downgrade).
PLAIN_KEYS = {
    "audit_log": ["ALTER TABLE audit_log ADD CONSTRAINT pk_audit_log PRIMARY KEY (id)"],
}
KEY_NAMES = {"pk_audit_log"}

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
