"""What the rules read about a case: plain values built by storage from the cache, nothing live."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

# Dispositions that count as a conversation (the compliance table of dispositions; docs/rules.md).
CONVERSATIONS = frozenset({
    "rpc", "third_party", "callback_requested", "promise_to_pay", "plan_requested", "already_paid", "refused",
    "dispute", "hardship", "cease_requested", "attorney", "bankruptcy", "deceased", "complaint",
})


@dataclass(frozen=True)
class Contact:
    at: datetime
    channel: str
    disposition: str
    target: str = "customer"
    number: str = ""
    local: bool = False  # recorded here and not yet taken by the server
    scope: str = ""  # a cease request: "all" when the customer asked for no contact on any channel

    @property
    def conversation(self) -> bool:
        return self.disposition in CONVERSATIONS

    @property
    def with_debtor(self) -> bool:
        return self.target == "customer"

    @property
    def right_party(self) -> bool:
        """A conversation with the debtor in person (a third party answering the debtor's phone is not)."""
        return self.with_debtor and self.disposition in CONVERSATIONS and self.disposition != "third_party"


@dataclass(frozen=True)
class Promise:
    made_at: datetime
    due_date: date
    amount: Decimal
    status: str


@dataclass(frozen=True)
class Phone:
    number: str
    reachable: bool
    added_at: date | None = None
    last_reached_at: datetime | None = None
    type: str = "mobile"  # mobile | home | work


@dataclass(frozen=True)
class ContactChange:
    at: date
    field: str
    reported_by_customer: bool


@dataclass(frozen=True)
class Suppression:
    """Contact the rules forbid: on one channel, or every channel (None), or one number.

    `origin` says where it came from: the server's record, a contact in the history, or a contact recorded
    here that the server has not taken yet. A server entry with `lifted_at` lifts every suppression of its
    type (and channel) that began before then, and `reason` says why.
    """

    type: str
    channel: str | None = None
    since: date | None = None
    number: str | None = None
    origin: str = "server"  # server | contact | local
    lifted_at: date | None = None
    reason: str = ""
    hours: str = ""  # an inconvenient time the customer named, in their own zone: "HH:MM-HH:MM"


@dataclass(frozen=True)
class Payment:
    date: date
    amount: Decimal
    minimum_only: bool


@dataclass(frozen=True)
class SpendingMonth:
    month: str
    total: Decimal
    largest: Decimal
    investment_share: Decimal


@dataclass(frozen=True)
class CaseFacts:
    """One case as the rules see it."""

    case_id: str
    dpd: int
    overdue_amount: Decimal
    currency: str
    timezone: str
    overdue_since: date | None = None
    due_day: int | None = None
    birth_year: int | None = None
    employment_type: str = "salaried"
    has_contract: bool = True
    income_sources: int = 1
    employment_started: date | None = None
    monthly_income: tuple[Decimal, ...] = ()
    contact_info_confirmed_at: date | None = None
    address_mismatch_at: date | None = None
    emergency_contacts: int = 1
    student_status: str | None = None
    student_completed_study: bool = True
    school_changes_12m: int = 0
    payments: tuple[Payment, ...] = ()
    deferral_requests: tuple[date, ...] = ()
    contact_changes: tuple[ContactChange, ...] = ()
    phones: tuple[Phone, ...] = ()
    spending: tuple[SpendingMonth, ...] = ()
    active_lenders: int = 0
    total_debt: Decimal = Decimal(0)
    consents: dict[str, bool] = field(default_factory=dict)
    suppressions: tuple[Suppression, ...] = ()
    contacts: tuple[Contact, ...] = ()  # oldest first
    promises: tuple[Promise, ...] = ()
    callbacks: tuple[datetime, ...] = ()
