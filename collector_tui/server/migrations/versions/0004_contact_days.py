"""Team figures: each team's contact entries joined per day, kept up to date from the days that changed.

contact_day holds a team's contact entries of one local day joined with commas; contact_day_stale the days
whose contact rows changed since. On PostgreSQL a trigger on case_contact marks the days each statement
touches (whatever writes them: a push, churn, a migration, a bulk load), and every existing day starts
marked, so the first read builds it. `gen` is the transaction that built a day: a server process keeps the
days' texts it has read and fetches a day again only when that changed. The text is stored uncompressed.
SQLite keeps reading case_contact itself; the tables are there but stay empty.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_MARK = """
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
"""
_TRIGGERS = {
    "contact_day_inserted": "AFTER INSERT ON case_contact REFERENCING NEW TABLE AS new_rows",
    "contact_day_deleted": "AFTER DELETE ON case_contact REFERENCING OLD TABLE AS old_rows",
    "contact_day_updated": "AFTER UPDATE ON case_contact REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
}


def upgrade() -> None:
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
    op.execute(_MARK)
    for name, when in _TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT EXECUTE FUNCTION contact_day_touched()")
    op.execute("INSERT INTO contact_day_stale (team_id, day) SELECT DISTINCT team_id, day FROM case_contact")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in _TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON case_contact")
        op.execute("DROP FUNCTION contact_day_touched()")
    op.drop_index("ix_contact_day_stale_team", "contact_day_stale")
    op.drop_table("contact_day_stale")
    op.drop_table("contact_day")
