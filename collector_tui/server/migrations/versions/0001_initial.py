"""The reference server's schema as it was before versioning: accounts, tokens, cases, tombstones, dedupe.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("timezone", sa.String(), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("username"),
    )
    op.create_table(
        "accesstoken",
        sa.Column("token_sha256", sa.String(), nullable=False),
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("token_sha256"),
    )
    op.create_index("ix_accesstoken_username", "accesstoken", ["username"])
    op.create_table(
        "appliedmutation",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.Column("case_version", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_appliedmutation_case_id", "appliedmutation", ["case_id"])
    op.create_table(
        "casedoc",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("assigned_to", sa.String(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_casedoc_assignee_seq", "casedoc", ["assigned_to", "seq"])
    op.create_index("ix_casedoc_seq", "casedoc", ["seq"])
    op.create_index("ix_casedoc_team_seq", "casedoc", ["team_id", "seq"])
    op.create_table(
        "counter",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "tombstone",
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("collector", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "collector"),
    )
    op.create_index("ix_tombstone_collector_seq", "tombstone", ["collector", "seq"])


def downgrade() -> None:
    for table in ("tombstone", "counter", "casedoc", "appliedmutation", "accesstoken", "account"):
        op.drop_table(table)
