"""History is never deleted by a cascade.

Deleting a household deleted its assignment history (ON DELETE CASCADE), and
deleting a building, compound or grid the history of who covered it. The history
tables (assignment, place_cover) now keep the id of what they cover without a
foreign key, and a copy of what identifies it is stamped when it is deleted: the
household's address, or the place's code (building: compound code/number). The
open entry is closed then, so the history says who covered what until when.
Inserts are still checked (a trigger in place of the foreign key, taking the
same lock), so no history names a household or place that never existed.

The other audit-like tables already kept their rows: audit_log's key is ON DELETE
SET NULL beside a copy of the key's name and role; the heads and officers that
history names are ON DELETE RESTRICT (they leave via left_on); assignment_run is
referenced with SET NULL.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, referred table) of every history reference a cascade could delete.
KEPT = [
    ("assignment", "household_id", "household"),
    ("place_cover", "building_id", "building"),
    ("place_cover", "compound_id", "compound"),
    ("place_cover", "grid_id", "grid"),
]

UPGRADE_SQL = """
CREATE FUNCTION history_household_exists() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM household WHERE id = NEW.household_id FOR KEY SHARE;
  IF NOT FOUND THEN
    RAISE foreign_key_violation USING
      MESSAGE = format('assignment names household %s, which does not exist', NEW.household_id);
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER assignment_household_exists
  BEFORE INSERT OR UPDATE OF household_id ON assignment
  FOR EACH ROW EXECUTE FUNCTION history_household_exists();

CREATE FUNCTION history_place_exists() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.building_id IS NOT NULL THEN
    PERFORM 1 FROM building WHERE id = NEW.building_id FOR KEY SHARE;
    IF NOT FOUND THEN
      RAISE foreign_key_violation USING
        MESSAGE = format('place_cover names building %s, which does not exist', NEW.building_id);
    END IF;
  END IF;
  IF NEW.compound_id IS NOT NULL THEN
    PERFORM 1 FROM compound WHERE id = NEW.compound_id FOR KEY SHARE;
    IF NOT FOUND THEN
      RAISE foreign_key_violation USING
        MESSAGE = format('place_cover names compound %s, which does not exist', NEW.compound_id);
    END IF;
  END IF;
  IF NEW.grid_id IS NOT NULL THEN
    PERFORM 1 FROM grid WHERE id = NEW.grid_id FOR KEY SHARE;
    IF NOT FOUND THEN
      RAISE foreign_key_violation USING
        MESSAGE = format('place_cover names grid %s, which does not exist', NEW.grid_id);
    END IF;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER place_cover_place_exists
  BEFORE INSERT OR UPDATE OF building_id, compound_id, grid_id ON place_cover
  FOR EACH ROW EXECUTE FUNCTION history_place_exists();

-- Before the row goes: close the open entries and keep what identifies it.
CREATE FUNCTION history_keep_household() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE assignment SET valid_to = coalesce(valid_to, greatest(now(), valid_from)),
                        household_address = OLD.address
  WHERE household_id = OLD.id;
  RETURN OLD;
END $$;
CREATE TRIGGER household_history_kept BEFORE DELETE ON household
  FOR EACH ROW EXECUTE FUNCTION history_keep_household();

CREATE FUNCTION history_keep_building() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE place_cover pc
  SET valid_to = coalesce(pc.valid_to, greatest(now(), pc.valid_from)),
      place_label = coalesce(pc.place_label,
                             (SELECT cp.code FROM compound cp WHERE cp.id = OLD.compound_id)
                             || '/' || OLD.number)
  WHERE pc.building_id = OLD.id;
  RETURN OLD;
END $$;
CREATE TRIGGER building_history_kept BEFORE DELETE ON building
  FOR EACH ROW EXECUTE FUNCTION history_keep_building();

-- A compound's buildings are labelled by it while it is still there (a cascade
-- deletes them after it).
CREATE FUNCTION history_keep_compound() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE place_cover pc SET place_label = OLD.code || '/' || b.number
  FROM building b
  WHERE b.compound_id = OLD.id AND pc.building_id = b.id AND pc.place_label IS NULL;
  UPDATE place_cover pc
  SET valid_to = coalesce(pc.valid_to, greatest(now(), pc.valid_from)), place_label = OLD.code
  WHERE pc.compound_id = OLD.id;
  RETURN OLD;
END $$;
CREATE TRIGGER compound_history_kept BEFORE DELETE ON compound
  FOR EACH ROW EXECUTE FUNCTION history_keep_compound();

CREATE FUNCTION history_keep_grid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE place_cover pc
  SET valid_to = coalesce(pc.valid_to, greatest(now(), pc.valid_from)), place_label = OLD.code
  WHERE pc.grid_id = OLD.id;
  RETURN OLD;
END $$;
CREATE TRIGGER grid_history_kept BEFORE DELETE ON grid
  FOR EACH ROW EXECUTE FUNCTION history_keep_grid();
"""

DOWNGRADE_SQL = """
DROP TRIGGER grid_history_kept ON grid;
DROP TRIGGER compound_history_kept ON compound;
DROP TRIGGER building_history_kept ON building;
DROP TRIGGER household_history_kept ON household;
DROP TRIGGER place_cover_place_exists ON place_cover;
DROP TRIGGER assignment_household_exists ON assignment;
DROP FUNCTION history_keep_grid();
DROP FUNCTION history_keep_compound();
DROP FUNCTION history_keep_building();
DROP FUNCTION history_keep_household();
DROP FUNCTION history_place_exists();
DROP FUNCTION history_household_exists();
"""


def upgrade() -> None:
    for table, column, referred in KEPT:
        op.drop_constraint(op.f(f"fk_{table}_{column}_{referred}"), table, type_="foreignkey")
    # What identifies a household or place once it is gone (empty while it exists).
    op.add_column("assignment", sa.Column("household_address", sa.Text(), nullable=True))
    op.add_column("place_cover", sa.Column("place_label", sa.Text(), nullable=True))
    # The triggers find a deleted row's history by its id: without an index, every
    # household of a deleted compound would scan the whole history.
    for table, column, _ in KEPT:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column])
    op.execute(UPGRADE_SQL)


def downgrade() -> None:
    op.execute(DOWNGRADE_SQL)
    for table, column, _ in KEPT:
        op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
    # The foreign keys cannot come back over history of what is gone: that history
    # goes first, as the cascade would have taken it.
    for table, column, referred in KEPT:
        op.execute(
            f"DELETE FROM {table} t WHERE t.{column} IS NOT NULL AND NOT EXISTS "  # noqa: S608
            f"(SELECT 1 FROM {referred} r WHERE r.id = t.{column})"
        )
        op.create_foreign_key(
            op.f(f"fk_{table}_{column}_{referred}"),
            table,
            referred,
            [column],
            ["id"],
            ondelete="CASCADE",
        )
    op.drop_column("place_cover", "place_label")
    op.drop_column("assignment", "household_address")
