"""The reference server's tables, in their own registry so they never mix with the client's cache."""

from __future__ import annotations

from sqlalchemy import Column, Index, Text
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
    """A case as served: the full JSON document plus the columns the feed filters on."""

    __table_args__ = (
        Index("ix_casedoc_assignee_seq", "assigned_to", "seq"),
        Index("ix_casedoc_team_seq", "team_id", "seq"),
    )

    id: str = Field(primary_key=True)
    assigned_to: str
    team_id: str
    version: int
    seq: int = Field(index=True)  # global change sequence; the cursor points into it
    status: str = "open"
    doc: str = Field(sa_column=Column(Text, nullable=False))


class Tombstone(ServerModel, table=True):
    """A case that left a collector's portfolio (reassigned or closed), for that collector's feed."""

    __table_args__ = (Index("ix_tombstone_collector_seq", "collector", "seq"),)

    case_id: str = Field(primary_key=True)
    collector: str = Field(primary_key=True)
    version: int
    seq: int
    reason: str


class AppliedMutation(ServerModel, table=True):
    """Every mutation id the server has committed, so a retried push is answered `duplicate`."""

    id: str = Field(primary_key=True)
    case_id: str = Field(index=True)
    type: str
    username: str
    received_at: float
    case_version: int | None = None
    status: str = "applied"
    payload: str = Field(default="{}", sa_column=Column(Text, nullable=False))


class Counter(ServerModel, table=True):
    """Named monotonic counters (the change sequence)."""

    name: str = Field(primary_key=True)
    value: int = 0
