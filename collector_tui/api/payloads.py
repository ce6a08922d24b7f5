"""What each kind of mutation carries (`Mutation.payload`), with every limit the server holds a value to.

The server validates each payload with these models; the client checks what it is about to record with the
same models before writing it (`work/limits.py`), so a value the server would refuse is refused where it is
typed. The codes (channels, outcomes, targets) are the rules' own words, taken from `domain/vocabulary.py`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from collector_tui.domain.vocabulary import CHANNELS, CORRECTABLE, DISPOSITIONS, SCOPE_PATTERN, TARGETS

Channel = Literal[CHANNELS]  # type: ignore[valid-type]
Disposition = Literal[DISPOSITIONS]  # type: ignore[valid-type]
Target = Literal[TARGETS]  # type: ignore[valid-type]
NOTE_MAX = 2000  # characters of a note, a reason or an audit detail
NUMBER_MAX = 32  # characters of a phone number, as the feed's numbers (api.Phone)
MONEY_DIGITS = 14  # digits of an amount in all: a trillion in any currency, with its minor units
CALL_MAX_S = 4 * 3600  # seconds of one call


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContactLogged(Payload):
    channel: Channel
    target: Target = "customer"
    number: str = Field(default="", max_length=NUMBER_MAX)
    disposition: Disposition
    duration_s: int = Field(default=0, ge=0, le=CALL_MAX_S)
    note: str = Field(default="", max_length=NOTE_MAX)
    scope: str = Field(default="", pattern=SCOPE_PATTERN)  # "all" for a cease request; hours for inconvenient times


class PromiseCreated(Payload):
    due_date: date
    amount: Decimal = Field(gt=0, max_digits=MONEY_DIGITS, decimal_places=2)
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class CallbackScheduled(Payload):
    at: datetime
    note: str = Field(default="", max_length=NOTE_MAX)

    @model_validator(mode="after")
    def _aware(self) -> CallbackScheduled:
        if self.at.tzinfo is None:
            raise ValueError("at must carry a time zone")
        return self


class InstalmentIn(Payload):
    seq: int = Field(ge=1)
    due_date: date
    amount: Decimal = Field(gt=0, max_digits=MONEY_DIGITS, decimal_places=2)


class PlanSubmitted(Payload):
    type: Literal["deferral", "reinstalment", "reduction"]
    restructured: Decimal = Field(gt=0, max_digits=MONEY_DIGITS, decimal_places=2)
    waived: Decimal = Field(default=Decimal(0), ge=0, max_digits=MONEY_DIGITS, decimal_places=2)
    instalments: list[InstalmentIn] = Field(min_length=1, max_length=120)
    parameters: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _reconciles(self) -> PlanSubmitted:
        total = sum((i.amount for i in self.instalments), Decimal(0))
        if total + self.waived != self.restructured:
            raise ValueError(f"instalments {total} plus waived {self.waived} must equal restructured "
                             f"{self.restructured}")
        return self


class ChecklistCompleted(Payload):
    items: dict[str, bool] = Field(min_length=1)
    contact_id: str | None = None


class AuditRecorded(Payload):
    action: str = Field(min_length=1, max_length=64)
    actor: str = Field(default="", max_length=64)
    detail: str = Field(default="", max_length=NOTE_MAX)


class MessageRequested(Payload):
    channel: Literal["sms", "email"]
    to: str = Field(min_length=3, max_length=254)
    template: str = Field(default="", max_length=64)
    body: str = Field(min_length=1, max_length=2000)
    locale: str = Field(default="", max_length=16)
    contact_id: str | None = None  # the contact it was recorded with


class ContactCorrected(Payload):
    field: Literal[CORRECTABLE]  # type: ignore[valid-type]
    value: str = Field(min_length=1, max_length=200)
    reason: str = Field(default="", max_length=NOTE_MAX)


PAYLOADS: dict[str, type[Payload]] = {
    "contact.logged": ContactLogged, "promise.created": PromiseCreated, "callback.scheduled": CallbackScheduled,
    "plan.submitted": PlanSubmitted, "checklist.completed": ChecklistCompleted,
    "customer.contact_corrected": ContactCorrected, "audit.recorded": AuditRecorded,
    "message.requested": MessageRequested,
}
