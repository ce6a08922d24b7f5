"""The reference server's tables, in their own registry so they never mix with the client's cache.

The schema is versioned by Alembic (collector_tui/server/migrations): a change here needs a migration, and
tests/test_server_schema.py fails while the two differ.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Boolean, Column, Date, Index, Integer, String, Text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

server_registry = registry()


class ServerModel(SQLModel, registry=server_registry):
    pass


class Account(ServerModel, table=True):
    """A collector or team lead who can sign in."""

    username: str = Field(primary_key=True)
    name: str
    role: str  # collector | lead
    team_id: str
    timezone: str = "Asia/Shanghai"
    password_hash: str  # scrypt, hex, with its salt


class AccessToken(ServerModel, table=True):
    """An issued bearer token, stored as its SHA-256 only."""

    token_sha256: str = Field(primary_key=True)
    username: str = Field(index=True)
    expires_at: float


class CaseDoc(ServerModel, table=True):
    """A case as served: the full JSON document plus the columns the feed and the team figures filter on.

    `dpd` to `first_contact_at` are read from the document whenever it is written (server/facts.py), so the
    team figures never decode documents."""

    __table_args__ = (
        Index("ix_casedoc_assignee_seq", "assigned_to", "seq"),
        Index("ix_casedoc_team_seq", "team_id", "seq"),
        Index("ix_casedoc_team_status", "team_id", "status", "assigned_to"),
        Index("ix_casedoc_team_card", "team_id", "status", postgresql_include=["id", "card"]),
    )

    id: str = Field(primary_key=True)
    assigned_to: str
    team_id: str
    version: int
    # global change sequence; the cursor points into it
    seq: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    status: str = "open"
    doc: str = Field(sa_column=Column(Text, nullable=False))
    dpd: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    overdue_since: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    timezone: str = Field(default="Asia/Shanghai",
                          sa_column=Column(String, nullable=False, server_default="Asia/Shanghai"))
    # the first reached contact on or after overdue_since, in the customer's zone (ISO 8601), if any
    first_contact_at: str | None = Field(default=None, sa_column=Column(String, nullable=True))
    # its entry in the team figures' `cases`, as JSON without the promises' counts and the closing brace
    card: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class Tombstone(ServerModel, table=True):
    """A case that left a collector's portfolio (reassigned or closed), for that collector's feed."""

    __table_args__ = (Index("ix_tombstone_collector_seq", "collector", "seq"),)

    case_id: str = Field(primary_key=True)
    collector: str = Field(primary_key=True)
    version: int
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    reason: str


class AppliedMutation(ServerModel, table=True):
    """Every mutation id the server has committed, so a retried push is answered `duplicate`. The primary
    key makes that exact: two pushes of one id at once cannot both be stored."""

    id: str = Field(primary_key=True)
    case_id: str = Field(index=True)
    type: str
    username: str
    received_at: float = Field(index=True)  # the dedupe window is pruned by it
    case_version: int | None = None
    status: str = "applied"
    payload: str = Field(default="{}", sa_column=Column(Text, nullable=False))


class Counter(ServerModel, table=True):
    """Named monotonic counters (the change sequence). A writer bumps `seq` with one UPDATE .. RETURNING, which
    holds the row's lock until it commits: changes take their places in the feed in the order they commit."""

    name: str = Field(primary_key=True)
    value: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class CaseContact(ServerModel, table=True):
    """The logged contacts of an open case as the team figures count them: one row per collector, customer's
    local day and hour, channel, outcome and target, with how many and its JSON entry (`item`). Rewritten
    with its case (server/facts.py). On PostgreSQL the team-and-day index carries `item`, so the figures are
    read from the index alone."""

    __tablename__ = "case_contact"
    __table_args__ = (Index("ix_case_contact_team_day", "team_id", "day", postgresql_include=["item"]),)

    case_id: str = Field(primary_key=True)
    n: int = Field(primary_key=True)  # its place among the case's rows
    team_id: str
    collector: str
    day: date
    local_hour: int
    channel: str
    disposition: str
    target: str
    reached: bool = Field(sa_column=Column(Boolean, nullable=False))
    count: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    item: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class CasePromise(ServerModel, table=True):
    """One promise to pay of an open case: its due day and status, for the team figures."""

    __tablename__ = "case_promise"
    __table_args__ = (Index("ix_case_promise_team_due", "team_id", "due_date"),)

    case_id: str = Field(primary_key=True)
    n: int = Field(primary_key=True)
    team_id: str
    due_date: date
    status: str
