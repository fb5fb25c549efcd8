"""China's day in SQL, whatever the session's time zone: ``china_today()``.

``current_date`` is the day in the session's TimeZone, the server's own (UTC on most
machines). From 16:00 to 24:00 UTC that is the day before China's, so a head retired
today (China's date, geo_api.clock) still counted as serving until UTC midnight, and a
roster's "left today" was not yet left. Every "today" in gridgov's SQL is China's: this
function (STABLE, inlined by the planner), in the active heads' view and in the column
defaults too; ``china_day(moment)`` is the China day of any moment (a write's time).

Revision ID: 0027
Revises: 0026
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# China's day of a moment, and today's. Both are STABLE SQL functions, inlined.
FUNCTIONS = """
CREATE OR REPLACE FUNCTION china_day(moment timestamptz) RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT (moment AT TIME ZONE 'Asia/Shanghai')::date $$;
CREATE OR REPLACE FUNCTION china_today() RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT china_day(now()) $$;
"""
DEFAULTS = (("head", "appointed_on"), ("party_demand", "raised_on"))


def _view(today: str) -> str:
    return (
        "CREATE OR REPLACE VIEW active_head AS SELECT * FROM head_effective "  # noqa: S608
        f"WHERE left_on IS NULL OR left_on > {today}"
    )


def upgrade() -> None:
    op.execute(FUNCTIONS)
    op.execute(_view("china_today()"))
    for table, column in DEFAULTS:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT china_today()")


def downgrade() -> None:
    for table, column in DEFAULTS:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT current_date")
    op.execute(_view("current_date"))
    op.execute("DROP FUNCTION china_today(); DROP FUNCTION china_day(timestamptz)")
