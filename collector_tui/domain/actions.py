"""What the collector records, checked before it is written: every bad value is a message, never a crash."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from collector_tui.domain.money import MINOR_DIGITS
from collector_tui.domain.vocabulary import CHANNELS, CORRECTABLE, DISPOSITIONS, SCOPE_PATTERN, TARGETS

__all__ = ["CHANNELS", "CORRECTABLE", "DISPOSITIONS", "SCOPE_PATTERN", "TARGETS", "FieldError", "parse_amount",
           "parse_day", "validate_amount", "validate_callback", "validate_contact", "validate_promise",
           "validate_scope", "valid_hours"]

SCOPES = ("", "all")  # a cease request covers its channel, or every channel
# The hours a customer names as inconvenient, in their own time: "HH:MM-HH:MM", the start before the end.
HOURS_SCOPE = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])")


@dataclass(frozen=True)
class FieldError:
    """A bad form value: the field, a message key and its parameters."""

    field: str
    key: str
    params: dict[str, object]


def valid_hours(scope: str) -> bool:
    m = HOURS_SCOPE.fullmatch(scope)
    return bool(m) and (int(m[1]), int(m[2])) < (int(m[3]), int(m[4]))


def validate_scope(disposition: str, scope: str) -> list[FieldError]:
    """A cease request may cover every channel; an inconvenient-time outcome names its hours."""
    if disposition == "inconvenient_time":
        return [] if valid_hours(scope) else [FieldError("hours", "form.hours_range", {})]
    if scope not in ("", "all") or (scope == "all" and disposition != "cease_requested"):
        return [FieldError("scope", "form.choose_one", {"choices": "all"})]
    return []


def validate_contact(channel: str, disposition: str, target: str) -> list[FieldError]:
    """The codes a contact is written in, and who may be reached as whom. The lengths and ranges of its values
    are the API contract's (`api/payloads.py`), checked with it by the use case (`work/limits.py`)."""
    errors = []
    if channel not in CHANNELS:
        errors.append(FieldError("channel", "form.choose_one", {"choices": ", ".join(CHANNELS)}))
    if disposition not in DISPOSITIONS:
        errors.append(FieldError("disposition", "form.choose_one", {"choices": ", ".join(DISPOSITIONS)}))
    if target not in TARGETS:
        errors.append(FieldError("target", "form.choose_one", {"choices": ", ".join(TARGETS)}))
    if target == "customer" and disposition == "third_party":
        errors.append(FieldError("disposition", "form.third_party_target", {}))
    return errors


# Digits with at most one decimal point, thousands optionally grouped by commas: no sign, exponent, NaN or Infinity.
PLAIN_AMOUNT = re.compile(r"(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]+)?")


def parse_amount(text: object, field: str = "amount") -> tuple[Decimal | None, list[FieldError]]:
    """An amount above zero written plainly, as typed (its decimals kept, for `validate_amount`)."""
    if not isinstance(text, str) or not PLAIN_AMOUNT.fullmatch(text.strip()):
        return None, [FieldError(field, "form.amount", {})]
    try:
        amount = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        return None, [FieldError(field, "form.amount", {})]
    if amount <= 0:
        return None, [FieldError(field, "form.amount", {})]
    return amount, []


def validate_amount(amount: Decimal, currency: str, *, outstanding: Decimal | None = None,
                    given_currency: str | None = None, field: str = "amount") -> list[FieldError]:
    """An amount owed on a case: above zero, plain, in the case's `currency` and its minor units, and at most
    the `outstanding` balance where that is known."""
    if given_currency is not None and given_currency != currency:
        return [FieldError("currency", "form.currency", {"currency": currency, "given": given_currency})]
    exponent = amount.as_tuple().exponent
    if not amount.is_finite() or amount <= 0 or not isinstance(exponent, int) or exponent > 0:
        return [FieldError(field, "form.amount", {})]
    digits = MINOR_DIGITS.get(currency, 2)
    if -exponent > digits:
        return [FieldError(field, "form.amount_minor", {"currency": currency, "digits": digits})]
    if outstanding is not None and amount > outstanding:
        return [FieldError(field, "form.amount_over", {"max": str(outstanding), "currency": currency})]
    return []


def parse_day(text: str, field: str = "date") -> tuple[date | None, list[FieldError]]:
    try:
        return date.fromisoformat(text.strip()), []
    except (ValueError, AttributeError):
        return None, [FieldError(field, "form.date", {})]


def validate_promise(due: date, amount: Decimal, today: date, max_days: int = 60, *, currency: str = "CNY",
                     outstanding: Decimal | None = None, given_currency: str | None = None) -> list[FieldError]:
    """A promise is for a day from today to `max_days` ahead, of an amount `validate_amount` accepts."""
    errors = []
    if due < today:
        errors.append(FieldError("date", "form.date_past", {}))
    elif (due - today).days > max_days:
        errors.append(FieldError("date", "form.date_far", {"days": max_days}))
    errors += validate_amount(amount, currency, outstanding=outstanding, given_currency=given_currency)
    return errors


def validate_callback(at: datetime, now: datetime) -> list[FieldError]:
    return [FieldError("at", "form.callback_past", {})] if at <= now else []
