"""What the collector records, checked before it is written: every bad value is a message, never a crash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

CHANNELS = ("phone", "sms", "email", "app", "visit")
TARGETS = ("customer", "third_party")
DISPOSITIONS = (
    "rpc", "third_party", "wrong_number", "no_answer", "busy", "voicemail", "message_left", "invalid_number",
    "callback_requested", "promise_to_pay", "plan_requested", "already_paid", "refused", "dispute", "hardship",
    "cease_requested", "attorney", "bankruptcy", "deceased", "complaint",
)
CORRECTABLE = ("phone", "email", "address")  # what the server accepts a correction of
NOTE_MAX = 2000


@dataclass(frozen=True)
class FieldError:
    """A bad form value: the field, a message key and its parameters."""

    field: str
    key: str
    params: dict[str, object]


def validate_contact(channel: str, disposition: str, target: str, duration_s: object, note: str) -> list[FieldError]:
    errors = []
    if channel not in CHANNELS:
        errors.append(FieldError("channel", "form.choose_one", {"choices": ", ".join(CHANNELS)}))
    if disposition not in DISPOSITIONS:
        errors.append(FieldError("disposition", "form.choose_one", {"choices": ", ".join(DISPOSITIONS)}))
    if target not in TARGETS:
        errors.append(FieldError("target", "form.choose_one", {"choices": ", ".join(TARGETS)}))
    if target == "customer" and disposition == "third_party":
        errors.append(FieldError("disposition", "form.third_party_target", {}))
    if isinstance(duration_s, bool) or not isinstance(duration_s, int) or not 0 <= duration_s <= 4 * 3600:
        errors.append(FieldError("duration_s", "form.duration", {"max": 4 * 3600}))
    if len(note) > NOTE_MAX:
        errors.append(FieldError("note", "form.too_long", {"max": NOTE_MAX}))
    return errors


def parse_amount(text: str, field: str = "amount") -> tuple[Decimal | None, list[FieldError]]:
    try:
        amount = Decimal(text.strip().replace(",", ""))
    except (InvalidOperation, AttributeError):
        return None, [FieldError(field, "form.amount", {})]
    if not amount.is_finite() or amount <= 0 or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        return None, [FieldError(field, "form.amount", {})]
    return amount, []


def parse_day(text: str, field: str = "date") -> tuple[date | None, list[FieldError]]:
    try:
        return date.fromisoformat(text.strip()), []
    except (ValueError, AttributeError):
        return None, [FieldError(field, "form.date", {})]


def validate_promise(due: date, amount: Decimal, today: date, max_days: int = 60) -> list[FieldError]:
    """A promise is for a day from today to `max_days` ahead."""
    errors = []
    if due < today:
        errors.append(FieldError("date", "form.date_past", {}))
    elif (due - today).days > max_days:
        errors.append(FieldError("date", "form.date_far", {"days": max_days}))
    if amount <= 0:
        errors.append(FieldError("amount", "form.amount", {}))
    return errors


def validate_callback(at: datetime, now: datetime) -> list[FieldError]:
    return [FieldError("at", "form.callback_past", {})] if at <= now else []
