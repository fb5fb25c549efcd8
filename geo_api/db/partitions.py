"""The yearly partitions of the audit log (migration 0025).

It has one partition a year (China's years) and a DEFAULT partition for anything
of a year that has no partition yet. ``ensure_years`` makes this year's and next
year's partitions where missing; rows of that year already in the DEFAULT
partition (the store went a year without `gridgov db up`) are moved into the new
one in the same transaction, so nothing is lost and nothing fails.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from geo_api.clock import today

# table: (partition key, DEFAULT partition)
YEARLY = {"audit_log": ("at", "audit_log_later")}

PARTITIONS_SQL = text("""
SELECT c.relname FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = CAST(:table AS regclass)
""")
IS_PARTITIONED = text("""
SELECT EXISTS (SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE c.relname = :table AND n.nspname = current_schema())
""")


def year_bound(year: int) -> str:
    """1 January of ``year``, 00:00 in China, as a timestamptz literal."""
    return f"{year}-01-01 00:00:00+08"


def partitioned(conn: Connection, table: str) -> bool:
    """Whether ``table`` is partitioned in this store (it is from migration 0025 on)."""
    return bool(conn.execute(IS_PARTITIONED, {"table": table}).scalar_one())


def add_year(conn: Connection, table: str, year: int) -> int:
    """Make ``table``'s partition of ``year``, moving that year's rows out of the
    DEFAULT partition into it; how many rows moved."""
    key, default = YEARLY[table]
    part = f"{table}_y{year}"
    low, high = year_bound(year), year_bound(year + 1)
    conn.execute(
        text(f"CREATE TABLE {part} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    )
    moved = conn.execute(
        text(
            f"WITH moved AS (DELETE FROM {default} WHERE {key} >= CAST(:low AS timestamptz) "  # noqa: S608 - names from YEARLY
            f"AND {key} < CAST(:high AS timestamptz) RETURNING *) "
            f"INSERT INTO {part} SELECT * FROM moved"
        ),
        {"low": low, "high": high},
    ).rowcount
    conn.execute(
        text(f"ALTER TABLE {table} ATTACH PARTITION {part} FOR VALUES FROM ('{low}') TO ('{high}')")
    )
    return int(moved)


def ensure_years(conn: Connection, ahead: int = 1, since: int | None = None) -> list[str]:
    """Make the partitions of this year (or from ``since``, a past year) and the
    ``ahead`` next ones where missing, for each partitioned table; the partitions made.
    A store before migration 0025 (plain tables) is left alone."""
    made: list[str] = []
    this_year = today().year
    for table in YEARLY:
        if not partitioned(conn, table):
            continue
        have = set(conn.execute(PARTITIONS_SQL, {"table": table}).scalars())
        for year in range(min(since or this_year, this_year), this_year + ahead + 1):
            if f"{table}_y{year}" not in have:
                add_year(conn, table, year)
                made.append(f"{table}_y{year}")
    return made
