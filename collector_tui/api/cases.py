"""The case feed (`GET /v1/cases`): a case as the server holds it, a tombstone for one that left, a page of them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, TypeAdapter, field_serializer

from collector_tui.api.base import ApiModel, Money


class Phone(ApiModel):
    number: str = Field(min_length=3, max_length=32)
    type: str = "mobile"
    verified: bool = False
    reachable: bool = True
    added_at: date | None = None
    last_reached_at: datetime | None = None


class Email(ApiModel):
    address: str
    verified: bool = False


class Address(ApiModel):
    line: str = ""
    city: str = ""
    country: str = ""
    verified: bool = False
    mismatch_reported_at: date | None = None


class ContactChange(ApiModel):
    at: date
    field: str
    reported_by_customer: bool = True


class EmergencyContact(ApiModel):
    name: str
    relation: str = ""
    phone: str = ""


class Employment(ApiModel):
    type: str = "salaried"  # salaried | freelance | temporary | student | unemployed
    has_contract: bool = False
    income_sources: int = 1
    employer: str | None = None
    started_at: date | None = None


class IncomeMonth(ApiModel):
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    amount: Money


class Student(ApiModel):
    school: str = ""
    status: str = "enrolled"
    completed_required_study: bool = True
    school_changes_12m: int = 0


class Consents(ApiModel):
    data_processing: bool = False
    sensitive_data: bool = False
    recorded_at: date | None = None
    channels: dict[str, bool] = Field(default_factory=dict)


class Bureau(ApiModel):
    active_lenders: int = 0
    total_debt: Money = Decimal("0")
    checked_at: date | None = None


class Suppression(ApiModel):
    """Contact the rules forbid. `origin` is "contact" when a recorded outcome started it; an entry with
    `lifted_at` lifts the suppressions of its type (and channel) that began before then, `reason` says why."""

    type: str
    channel: str | None = None
    since: date | None = None
    number: str | None = None
    origin: str = "server"
    lifted_at: date | None = None
    reason: str = ""
    hours: str = ""  # inconvenient times the customer named, in their own time: "HH:MM-HH:MM"


class Customer(ApiModel):
    id: str
    name: str = Field(min_length=1)
    locale: str = "zh_CN"
    timezone: str = "Asia/Shanghai"
    birth_year: int | None = None
    id_number: str = ""
    phones: list[Phone] = Field(default_factory=list)
    emails: list[Email] = Field(default_factory=list)
    address: Address = Field(default_factory=Address)
    contact_info_confirmed_at: date | None = None
    contact_changes: list[ContactChange] = Field(default_factory=list)
    emergency_contacts: list[EmergencyContact] = Field(default_factory=list)
    employment: Employment = Field(default_factory=Employment)
    monthly_income: list[IncomeMonth] = Field(default_factory=list)
    student: Student | None = None
    consents: Consents = Field(default_factory=Consents)
    bureau: Bureau | None = None
    suppressions: list[Suppression] = Field(default_factory=list)


class Loan(ApiModel):
    id: str
    product: str = ""
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    principal: Money
    outstanding: Money
    overdue_amount: Money
    interest_due: Money = Decimal("0")
    fees_due: Money = Decimal("0")
    dpd: int = Field(ge=0)
    overdue_since: date | None = None
    instalment: Money = Decimal("0")
    minimum_payment: Money = Decimal("0")
    due_day: int | None = Field(default=None, ge=1, le=31)
    declared_purpose: str = ""


class ScheduleItem(ApiModel):
    seq: int
    due_date: date
    amount: Money
    paid: Money = Decimal("0")
    status: str = "due"


class Payment(ApiModel):
    id: str
    date: date
    amount: Money
    minimum_only: bool = False


class SpendingMonth(ApiModel):
    month: str
    total: Money
    largest: Money = Decimal("0")
    investment_share: Decimal = Decimal("0")


class DeferralRequest(ApiModel):
    at: date
    granted: bool = False


class Contact(ApiModel):
    id: str
    at: datetime
    channel: str
    target: str = "customer"
    disposition: str
    number: str = ""
    collector: str = ""
    duration_s: int = Field(default=0, ge=0)
    note: str = ""
    scope: str = ""  # a cease request: "all" when it covers every channel


class Promise(ApiModel):
    id: str
    made_at: datetime
    due_date: date
    amount: Money
    status: str = "outstanding"


class Callback(ApiModel):
    id: str
    at: datetime
    note: str = ""


class Plan(ApiModel):
    id: str
    type: str
    status: str = "submitted"  # submitted | approved | rejected
    created_at: datetime | None = None
    detail: dict[str, Any] = Field(default_factory=dict)
    decided_at: datetime | None = None  # when it was approved or rejected
    reason: str = ""  # why, given with the decision (always with a rejection)


class Message(ApiModel):
    """An SMS or e-mail the collector asked the servicer to send, with its state: held (outside the customer's
    allowed hours, until `send_at`), sent, delivered, failed (`reason` says why) or refused."""

    id: str
    requested_at: datetime
    channel: str
    to: str
    template: str = ""
    body: str = ""
    status: str = "sent"
    status_at: datetime | None = None
    send_at: datetime | None = None
    reason: str = ""


class Case(ApiModel):
    id: str = Field(min_length=1)
    version: int = Field(ge=0)
    updated_at: datetime
    status: Literal["open", "closed"] = "open"
    assigned_to: str = ""
    customer: Customer
    loan: Loan
    schedule: list[ScheduleItem] = Field(default_factory=list)
    payments: list[Payment] = Field(default_factory=list)
    spending: list[SpendingMonth] = Field(default_factory=list)
    deferral_requests: list[DeferralRequest] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list)
    promises: list[Promise] = Field(default_factory=list)
    callbacks: list[Callback] = Field(default_factory=list)
    plans: list[Plan] = Field(default_factory=list)
    messages: list[Message] = Field(default_factory=list)

    @field_serializer("updated_at")
    def _ser_updated(self, value: datetime) -> str:
        return value.isoformat()


class Tombstone(ApiModel):
    id: str = Field(min_length=1)
    version: int = Field(ge=0)
    deleted: Literal[True]
    reason: str = ""


class CasesPage(ApiModel):
    items: list[Tombstone | Case]
    next_cursor: str | None = None
    has_more: bool = False



PAGE_ADAPTER = TypeAdapter(CasesPage)
