"""Team figures joined as text: contacts counted per bucket with their JSON entry, each case's card.

case_contact holds one row per bucket of the figures (collector, local day and hour, channel, outcome,
target) with `count` and its JSON entry `item`; casedoc gains `card`, its entry in the figures' cases. On
PostgreSQL the indexes the figures read include `item` and `card`, so they are read from the indexes alone.
Every existing case is indexed again.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from collector_tui.server.facts import case_facts, write_facts

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_BATCH = 2000


def upgrade() -> None:
    with op.batch_alter_table("case_contact") as batch:
        batch.add_column(sa.Column("count", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("item", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("casedoc") as batch:
        batch.add_column(sa.Column("card", sa.Text(), nullable=False, server_default=""))
    op.drop_index("ix_case_contact_team_day", "case_contact")
    op.create_index("ix_case_contact_team_day", "case_contact", ["team_id", "day"], postgresql_include=["item"])
    op.create_index("ix_casedoc_team_card", "casedoc", ["team_id", "status"], postgresql_include=["id", "card"])
    conn = op.get_bind()
    conn.execute(sa.text("DELETE FROM case_contact"))
    conn.execute(sa.text("DELETE FROM case_promise"))
    casedoc = sa.table("casedoc", sa.column("id"), sa.column("team_id"), sa.column("assigned_to"),
                       sa.column("status"), sa.column("doc"), sa.column("dpd"), sa.column("overdue_since"),
                       sa.column("timezone"), sa.column("first_contact_at"), sa.column("card"))
    after = ""
    while True:
        rows = conn.execute(sa.select(casedoc.c.id, casedoc.c.team_id, casedoc.c.assigned_to, casedoc.c.status,
                                      casedoc.c.doc).where(casedoc.c.id > after).order_by(casedoc.c.id)
                            .limit(_BATCH)).all()
        if not rows:
            return
        facts = [case_facts(r.id, r.team_id, r.assigned_to, r.status, json.loads(r.doc)) for r in rows]
        for f in facts:
            conn.execute(sa.update(casedoc).where(casedoc.c.id == f.case_id).values(**f.columns))
        write_facts(conn, facts, fresh=True)
        after = rows[-1].id


def downgrade() -> None:
    op.drop_index("ix_casedoc_team_card", "casedoc")
    op.drop_index("ix_case_contact_team_day", "case_contact")
    op.create_index("ix_case_contact_team_day", "case_contact", ["team_id", "day"])
    with op.batch_alter_table("casedoc") as batch:
        batch.drop_column("card")
    with op.batch_alter_table("case_contact") as batch:
        batch.drop_column("item")
        batch.drop_column("count")
