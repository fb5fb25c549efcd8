"""A data version, bumped by every transaction that changes the city, and results
stored per version: gaps, proposed recruits and map pages are computed once per data
change and served from the store by every worker (issue 20).

Each data table has a statement-level trigger that marks the transaction as a
changer (one row in data_change); a deferred constraint trigger on that row bumps
data_version.version at commit. The version row is thus locked only while the
changing transaction commits, not for the whole of a long import, and readers see
the new version and the new data at once. A transaction that sees a data_change
row has changes of its own not yet committed: it must not use or store results.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables whose rows the gaps, recruits and maps are computed from.
DATA_TABLES = (
    "street",
    "community",
    "grid",
    "compound",
    "building",
    "unit",
    "household",
    "head",
    "assignment_run",
    "assignment",
    "station",
    "member",
    "grid_officer",
    "place_cover",
    "road",
    "compound_gate",
    "road_vertex",
    "road_edge",
    "network_entry",
    "service_area",
)

MARK = """
CREATE FUNCTION gridgov_mark_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO data_change (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$
"""
BUMP = """
CREATE FUNCTION gridgov_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE data_version SET version = version + 1 WHERE id = 1;
    DELETE FROM data_change WHERE txid = NEW.txid;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "data_version",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_data_version_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
    )
    op.execute("INSERT INTO data_version (id, version) VALUES (1, 0)")
    op.create_table(
        "data_change",
        sa.Column("txid", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("txid", name=op.f("pk_data_change")),
    )
    op.create_table(
        "stored_result",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column(
            "made_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("kind", "key", "version", name=op.f("pk_stored_result")),
    )
    op.execute(MARK)
    op.execute(BUMP)
    op.execute(
        "CREATE CONSTRAINT TRIGGER data_change_commit AFTER INSERT ON data_change "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION gridgov_bump_version()"
    )
    for table in DATA_TABLES:
        op.execute(
            "CREATE TRIGGER data_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f'ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION gridgov_mark_change()'
        )


def downgrade() -> None:
    for table in DATA_TABLES:
        op.execute(f'DROP TRIGGER data_changed ON "{table}"')
    op.execute("DROP TRIGGER data_change_commit ON data_change")
    op.execute("DROP FUNCTION gridgov_bump_version()")
    op.execute("DROP FUNCTION gridgov_mark_change()")
    op.drop_table("stored_result")
    op.drop_table("data_change")
    op.drop_table("data_version")
