"""Team figures in SQL: the counted facts of each case as columns and rows; 64-bit change numbers.

casedoc gains dpd, overdue_since, timezone and first_contact_at; case_contact and case_promise hold each open
case's contacts and promises; existing cases are indexed by 0003. The change sequence (casedoc.seq,
tombstone.seq, counter.value) becomes BIGINT on PostgreSQL (SQLite's integers are 64-bit already). The dedupe
records get an index on received_at, which their pruning filters on.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("casedoc") as batch:
        batch.add_column(sa.Column("dpd", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("overdue_since", sa.Date(), nullable=True))
        batch.add_column(sa.Column("timezone", sa.String(), nullable=False, server_default="Asia/Shanghai"))
        batch.add_column(sa.Column("first_contact_at", sa.String(), nullable=True))
    op.create_index("ix_casedoc_team_status", "casedoc", ["team_id", "status", "assigned_to"])
    op.create_index("ix_appliedmutation_received_at", "appliedmutation", ["received_at"])
    op.create_table(
        "case_contact",
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("collector", sa.String(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("local_hour", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("disposition", sa.String(), nullable=False),
        sa.Column("target", sa.String(), nullable=False),
        sa.Column("reached", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "n"),
    )
    op.create_index("ix_case_contact_team_day", "case_contact", ["team_id", "day"])
    op.create_table(
        "case_promise",
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "n"),
    )
    op.create_index("ix_case_promise_team_due", "case_promise", ["team_id", "due_date"])
    if op.get_bind().dialect.name == "postgresql":
        for table, column in (("casedoc", "seq"), ("tombstone", "seq"), ("counter", "value")):
            op.alter_column(table, column, type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False)
    # Existing cases are indexed by 0003, which writes every case's facts in their final form.


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, column in (("casedoc", "seq"), ("tombstone", "seq"), ("counter", "value")):
            op.alter_column(table, column, type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False)
    op.drop_index("ix_case_promise_team_due", "case_promise")
    op.drop_table("case_promise")
    op.drop_index("ix_case_contact_team_day", "case_contact")
    op.drop_table("case_contact")
    op.drop_index("ix_appliedmutation_received_at", "appliedmutation")
    op.drop_index("ix_casedoc_team_status", "casedoc")
    with op.batch_alter_table("casedoc") as batch:
        for column in ("first_contact_at", "timezone", "overdue_since", "dpd"):
            batch.drop_column(column)
