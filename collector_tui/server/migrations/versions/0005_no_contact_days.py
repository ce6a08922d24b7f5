"""Team figures: the contacts are joined from case_contact's index on every read; the per-day texts go.

Measured under load, building a team's changed days again before each read cost more than joining the month's
contact entries from the index outright: a closed or reassigned case marks every day of its history, so a
read after the servicer's changes rebuilt dozens of days, and the trigger added a statement to every write.

The figures read case_contact's entries and casedoc's cards from indexes alone, which skips the table only for
pages vacuum has marked all-visible: by default autovacuum waits for a fifth of a table to change, so the two
tables are vacuumed after a hundredth instead.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TRIGGERS = ("contact_day_inserted", "contact_day_deleted", "contact_day_updated")
_VACUUMED = ("case_contact", "casedoc")
_SOONER = "autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in _TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON case_contact")
        op.execute("DROP FUNCTION IF EXISTS contact_day_touched()")
        for table in _VACUUMED:
            op.execute(f"ALTER TABLE {table} SET ({_SOONER})")
    op.drop_index("ix_contact_day_stale_team", "contact_day_stale")
    op.drop_table("contact_day_stale")
    op.drop_table("contact_day")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _VACUUMED:
            op.execute(f"ALTER TABLE {table} RESET (autovacuum_vacuum_scale_factor, "
                       "autovacuum_vacuum_insert_scale_factor)")
    # 0004's tables, every day marked so the first read builds it; its trigger as 0004 made it.
    op.create_table(
        "contact_day",
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("gen", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("team_id", "day"),
    )
    op.create_table(
        "contact_day_stale",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_contact_day_stale_team", "contact_day_stale", ["team_id"])
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE contact_day ALTER COLUMN items SET STORAGE EXTERNAL")
    op.execute("""
CREATE FUNCTION contact_day_touched() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO contact_day_stale (team_id, day) SELECT DISTINCT team_id, day FROM new_rows;
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    INSERT INTO contact_day_stale (team_id, day) SELECT DISTINCT team_id, day FROM old_rows;
  END IF;
  RETURN NULL;
END $$
""")
    for name, when in (("contact_day_inserted", "AFTER INSERT ON case_contact REFERENCING NEW TABLE AS new_rows"),
                       ("contact_day_deleted", "AFTER DELETE ON case_contact REFERENCING OLD TABLE AS old_rows"),
                       ("contact_day_updated", "AFTER UPDATE ON case_contact REFERENCING OLD TABLE AS old_rows "
                                               "NEW TABLE AS new_rows")):
        op.execute(f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT EXECUTE FUNCTION contact_day_touched()")
    op.execute("INSERT INTO contact_day_stale (team_id, day) SELECT DISTINCT team_id, day FROM case_contact")
