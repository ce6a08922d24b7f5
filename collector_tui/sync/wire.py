"""API v1 wire models. Clients ignore fields they do not know; a missing or mistyped field is a clear error."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_serializer

Money = Annotated[Decimal, Field(allow_inf_nan=False)]


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=False)


class PhoneW(Wire):
    number: str = Field(min_length=3, max_length=32)
    type: str = "mobile"
    verified: bool = False
    reachable: bool = True
    added_at: date | None = None
    last_reached_at: datetime | None = None


class EmailW(Wire):
    address: str
    verified: bool = False


class AddressW(Wire):
    line: str = ""
    city: str = ""
    country: str = ""
    verified: bool = False
    mismatch_reported_at: date | None = None


class ContactChangeW(Wire):
    at: date
    field: str
    reported_by_customer: bool = True


class EmergencyContactW(Wire):
    name: str
    relation: str = ""
    phone: str = ""


class EmploymentW(Wire):
    type: str = "salaried"  # salaried | freelance | temporary | student | unemployed
    has_contract: bool = False
    income_sources: int = 1
    employer: str | None = None
    started_at: date | None = None


class IncomeMonthW(Wire):
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    amount: Money


class StudentW(Wire):
    school: str = ""
    status: str = "enrolled"
    completed_required_study: bool = True
    school_changes_12m: int = 0


class ConsentsW(Wire):
    data_processing: bool = False
    sensitive_data: bool = False
    recorded_at: date | None = None
    channels: dict[str, bool] = Field(default_factory=dict)


class BureauW(Wire):
    active_lenders: int = 0
    total_debt: Money = Decimal("0")
    checked_at: date | None = None


class SuppressionW(Wire):
    type: str
    channel: str | None = None
    since: date | None = None


class CustomerW(Wire):
    id: str
    name: str = Field(min_length=1)
    locale: str = "zh_CN"
    timezone: str = "Asia/Shanghai"
    birth_year: int | None = None
    id_number: str = ""
    phones: list[PhoneW] = Field(default_factory=list)
    emails: list[EmailW] = Field(default_factory=list)
    address: AddressW = Field(default_factory=AddressW)
    contact_info_confirmed_at: date | None = None
    contact_changes: list[ContactChangeW] = Field(default_factory=list)
    emergency_contacts: list[EmergencyContactW] = Field(default_factory=list)
    employment: EmploymentW = Field(default_factory=EmploymentW)
    monthly_income: list[IncomeMonthW] = Field(default_factory=list)
    student: StudentW | None = None
    consents: ConsentsW = Field(default_factory=ConsentsW)
    bureau: BureauW | None = None
    suppressions: list[SuppressionW] = Field(default_factory=list)


class LoanW(Wire):
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


class ScheduleItemW(Wire):
    seq: int
    due_date: date
    amount: Money
    paid: Money = Decimal("0")
    status: str = "due"


class PaymentW(Wire):
    id: str
    date: date
    amount: Money
    minimum_only: bool = False


class SpendingMonthW(Wire):
    month: str
    total: Money
    largest: Money = Decimal("0")
    investment_share: Decimal = Decimal("0")


class DeferralRequestW(Wire):
    at: date
    granted: bool = False


class ContactW(Wire):
    id: str
    at: datetime
    channel: str
    target: str = "customer"
    disposition: str
    number: str = ""
    collector: str = ""
    duration_s: int = Field(default=0, ge=0)
    note: str = ""


class PromiseW(Wire):
    id: str
    made_at: datetime
    due_date: date
    amount: Money
    status: str = "outstanding"


class CallbackW(Wire):
    id: str
    at: datetime
    note: str = ""


class PlanW(Wire):
    id: str
    type: str
    status: str = "submitted"
    created_at: datetime | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


class CaseW(Wire):
    id: str = Field(min_length=1)
    version: int = Field(ge=0)
    updated_at: datetime
    status: Literal["open", "closed"] = "open"
    assigned_to: str = ""
    customer: CustomerW
    loan: LoanW
    schedule: list[ScheduleItemW] = Field(default_factory=list)
    payments: list[PaymentW] = Field(default_factory=list)
    spending: list[SpendingMonthW] = Field(default_factory=list)
    deferral_requests: list[DeferralRequestW] = Field(default_factory=list)
    contacts: list[ContactW] = Field(default_factory=list)
    promises: list[PromiseW] = Field(default_factory=list)
    callbacks: list[CallbackW] = Field(default_factory=list)
    plans: list[PlanW] = Field(default_factory=list)

    @field_serializer("updated_at")
    def _ser_updated(self, value: datetime) -> str:
        return value.isoformat()


class TombstoneW(Wire):
    id: str = Field(min_length=1)
    version: int = Field(ge=0)
    deleted: Literal[True]
    reason: str = ""


class CasesPageW(Wire):
    items: list[TombstoneW | CaseW]
    next_cursor: str | None = None
    has_more: bool = False


class MeW(Wire):
    id: str
    name: str
    role: Literal["collector", "lead"]
    team_id: str | None = None
    timezone: str = "Asia/Shanghai"


class TokenW(Wire):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = 3600


class MutationW(Wire):
    id: str = Field(min_length=1, max_length=64)
    type: Literal[
        "contact.logged",
        "promise.created",
        "callback.scheduled",
        "plan.submitted",
        "checklist.completed",
        "customer.contact_corrected",
        "audit.recorded",
    ]
    case_id: str
    base_version: int = Field(ge=0)
    occurred_at: datetime
    payload: dict[str, Any] = Field(default_factory=dict)


class MutationBatchW(Wire):
    mutations: list[MutationW] = Field(max_length=200)


class ErrorDetailW(Wire):
    code: str
    message: str


class MutationResultW(Wire):
    id: str
    status: Literal["applied", "duplicate", "conflict", "rejected"]
    case_version: int | None = None
    error: ErrorDetailW | None = None


class MutationResultsW(Wire):
    results: list[MutationResultW]


class ErrorW(Wire):
    error: ErrorDetailW


PAGE_ADAPTER = TypeAdapter(CasesPageW)


class TeamCollectorW(Wire):
    id: str
    name: str
    cases: int = Field(ge=0)


class TeamCaseW(Wire):
    case_id: str
    collector: str
    dpd: int = Field(ge=0)
    overdue_since: date | None = None
    timezone: str = "Asia/Shanghai"
    first_contact_at: datetime | None = None
    promises_kept: int = Field(default=0, ge=0)
    promises_broken: int = Field(default=0, ge=0)


class TeamContactW(Wire):
    collector: str
    case_id: str
    day: date
    local_hour: int = Field(ge=0, le=23)
    channel: str
    disposition: str
    target: str = "customer"
    count: int = Field(ge=1)


class TeamStatsW(Wire):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    team_id: str
    from_: date = Field(alias="from")
    to: date
    collectors: list[TeamCollectorW]
    cases: list[TeamCaseW]
    contacts: list[TeamContactW]
