"""SQLModel tables of the local cache. Money is kept as decimal text plus minor units for sorting."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, String
from sqlmodel import Field, SQLModel


def case_fk() -> Any:
    # Child rows go with their case: a tombstone's purge is one DELETE.
    return Field(sa_column=Column(String, ForeignKey("case.id", ondelete="CASCADE"), nullable=False, index=True))


class Collector(SQLModel, table=True):
    """The signed-in user as the server describes them (`GET /v1/me`)."""

    id: str = Field(primary_key=True)
    name: str
    role: str
    team_id: str | None = None
    timezone: str = "Asia/Shanghai"
    targets: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))  # the team's daily targets


class Case(SQLModel, table=True):
    """One assigned delinquent case; queue columns are denormalised here so the queue reads one table."""

    __tablename__ = "case"
    __table_args__ = (
        Index("ix_case_dpd", "dpd"),
        Index("ix_case_amount", "overdue_minor"),
        Index("ix_case_stage", "stage"),
        Index("ix_case_name", "customer_name"),
    )

    id: str = Field(primary_key=True)
    version: int
    updated_at: str
    status: str = "open"
    assigned_to: str = ""
    customer_id: str
    customer_name: str
    dpd: int
    stage: int
    currency: str = "CNY"
    overdue_amount: str = "0.00"
    overdue_minor: int = 0
    last_contact_at: str | None = None


class Customer(SQLModel, table=True):
    """The debtor: personal data, purged when the case leaves this collector."""

    id: str = Field(primary_key=True)
    case_id: str = case_fk()
    name: str
    locale: str = "zh_CN"
    timezone: str = "Asia/Shanghai"
    birth_year: int | None = None
    id_number: str = ""
    contact_info_confirmed_at: str | None = None
    address: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    employment: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    student: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    consents: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    bureau: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    # Histories the risk flags read: income, contact changes, emergency contacts, e-mails, suppressions.
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class Phone(SQLModel, table=True):
    """A customer's phone number."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = case_fk()
    number: str
    type: str = "mobile"
    verified: bool = False
    reachable: bool = True
    added_at: str | None = None
    last_reached_at: str | None = None


class Loan(SQLModel, table=True):
    """The delinquent loan of a case."""

    case_id: str = Field(sa_column=Column(String, ForeignKey("case.id", ondelete="CASCADE"), primary_key=True))
    id: str
    product: str = ""
    currency: str = "CNY"
    principal: str = "0.00"
    outstanding: str = "0.00"
    overdue_amount: str = "0.00"
    interest_due: str = "0.00"
    fees_due: str = "0.00"
    dpd: int = 0
    overdue_since: str | None = None
    instalment: str = "0.00"
    minimum_payment: str = "0.00"
    due_day: int | None = None
    declared_purpose: str = ""
    # Spending summary and deferral requests, read by the risk flags.
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class ScheduleItem(SQLModel, table=True):
    """One instalment of the loan's schedule."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = case_fk()
    seq: int
    due_date: str
    amount: str
    paid: str = "0.00"
    status: str = "due"


class Payment(SQLModel, table=True):
    """A payment received; `ref` is the server's id, unique only within its case."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = case_fk()
    ref: str
    date: str
    amount: str
    minimum_only: bool = False


class ContactAttempt(SQLModel, table=True):
    """A call, message or visit: from the server's history, or recorded here and waiting to be pushed."""

    __table_args__ = (Index("ix_contact_case_at", "case_id", "at"),)

    id: str = Field(primary_key=True)
    case_id: str = case_fk()
    at: str
    channel: str
    target: str = "customer"
    disposition: str
    number: str = ""
    collector: str = ""
    duration_s: int = 0
    note: str = ""
    origin: str = "server"  # server | local
    scope: str = ""  # a cease request: "all" when it covers every channel


class PromiseToPay(SQLModel, table=True):
    """A promise to pay an amount by a date."""

    id: str = Field(primary_key=True)
    case_id: str = case_fk()
    made_at: str
    due_date: str
    amount: str
    status: str = "outstanding"
    origin: str = "server"


# A callback's instant as SQLite reads it (UTC text): its `at` keeps the offset it was given in, which does not
# sort by instant. Indexed by migration 14 (an index on this expression); a query must name the same expression.
CALLBACK_DUE_INDEX = "ix_callback_due"


def callback_instant(column: str = "at") -> str:
    return f"datetime({column})"


class Callback(SQLModel, table=True):
    """A callback the customer asked for."""

    id: str = Field(primary_key=True)
    case_id: str = case_fk()
    at: str
    note: str = ""
    origin: str = "server"


class RepaymentPlan(SQLModel, table=True):
    """A repayment plan: a local draft, submitted, or the server's record."""

    id: str = Field(primary_key=True)
    case_id: str = case_fk()
    type: str
    status: str = "draft"
    created_at: str = ""
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    origin: str = "server"
    decided_at: str | None = None  # when the servicer approved or rejected it
    reason: str = ""  # the servicer's reason, given with the decision


class Message(SQLModel, table=True):
    """An SMS or e-mail: asked for here and waiting to be pushed (status "requested"), or as the server reports it."""

    __table_args__ = (Index("ix_message_case_at", "case_id", "requested_at"),)

    id: str = Field(primary_key=True)
    case_id: str = case_fk()
    requested_at: str
    channel: str
    to: str
    template: str = ""
    body: str = ""
    status: str = "requested"  # requested | held | sent | delivered | failed | refused
    status_at: str | None = None
    send_at: str | None = None  # held until the customer's allowed hours open
    reason: str = ""
    origin: str = "server"


class ChecklistRecord(SQLModel, table=True):
    """A completed compliance checklist around one contact."""

    id: str = Field(primary_key=True)
    case_id: str = case_fk()
    completed_at: str
    items: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class OutboxEntry(SQLModel, table=True):
    """A mutation waiting to be pushed. No foreign key: it outlives a purged case until the server has it."""

    __table_args__ = (Index("ix_outbox_state_seq", "state", "seq"),)

    seq: int | None = Field(default=None, primary_key=True)
    id: str = Field(unique=True)
    type: str
    case_id: str
    base_version: int
    occurred_at: str
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    state: str = "pending"  # pending | failed
    attempts: int = 0
    last_error: str | None = None


class AuditEntry(SQLModel, table=True):
    """Append-only record of reveals, exports and discards."""

    seq: int | None = Field(default=None, primary_key=True)
    at: str
    actor: str
    action: str
    case_id: str | None = None
    detail: str = ""


class SyncState(SQLModel, table=True):
    """Where the last pull stopped and when; one row."""

    id: int = Field(default=1, primary_key=True)
    api_url: str = ""
    user: str = ""
    cursor: str | None = None
    last_sync_at: str | None = None
    last_error: str | None = None
    rules_digest: str | None = None  # domain.rules.fingerprint of the rules the queue was placed with


class QueueEntry(SQLModel, table=True):
    """Where every open case sits in the queue and why, with its tier and flags.

    `sort_key` is bytes whose order is the queue's order (domain.priority.sort_bytes): the queue is read
    through its index, and re-placing one case rewrites one row instead of renumbering the portfolio.
    """

    __tablename__ = "queue_entry"
    __table_args__ = (
        Index("ix_queue_sort", "sort_key"),
        Index("ix_queue_valid", "valid_until"),
        Index("ix_queue_stage", "stage", "sort_key"),  # a filtered queue comes out of its index in order
        Index("ix_queue_tier", "tier", "sort_key"),
        {"sqlite_with_rowid": False},  # the case id is the row's key: one b-tree fewer to write
    )

    case_id: str = Field(sa_column=Column(String, ForeignKey("case.id", ondelete="CASCADE"), primary_key=True))
    sort_key: bytes
    group: str
    reason: str
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    callable: bool = True
    blocked_by: str | None = None
    next_allowed_at: str | None = None  # UTC ISO text, so that it sorts as time does
    stage: int = 0  # with the rules' stage bounds, so that the stage filter walks the queue's own index
    dpd: int = 0  # days past due when placed: the calendar runs on after the last sync (domain.moment)
    tier: str = "B"
    score: int = 0
    risk_level: str = "low"
    flags: str = ""  # space-separated flag ids, for LIKE filtering
    built_at: str = ""  # UTC ISO text of the placement
    valid_until: str = ""  # UTC ISO text: from then on the placement may be wrong (domain.priority.Placement)


class TeamStatsRow(SQLModel, table=True):
    """The team lead's last fetched contact statistics (one row per fetched report)."""

    __tablename__ = "team_stats"

    id: int = Field(default=1, primary_key=True)
    team_id: str
    date_from: str
    date_to: str
    fetched_at: str
    collectors: list[Any] = Field(default_factory=list, sa_column=Column(JSON))
    cases: list[Any] = Field(default_factory=list, sa_column=Column(JSON))
    contacts: list[Any] = Field(default_factory=list, sa_column=Column(JSON))
