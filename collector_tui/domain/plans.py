"""Repayment-plan math for the deck's three kinds of flexible adjustment.

Money is Decimal in the currency's minor unit; a preview's instalments always add up exactly to the
amount restructured (less any waiver). Dates move with relativedelta from the first due date, so
31 January plus one month is the end of February and the month after is 31 March again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal
from statistics import median

from dateutil.relativedelta import relativedelta

from collector_tui.domain.money import MINOR_DIGITS

PLAN_TYPES = ("deferral", "reinstalment", "reduction")


@dataclass(frozen=True)
class PlanLimits:
    max_extension_months: int = 6
    max_instalments: int = 36
    max_waiver_share: Decimal = Decimal("0.50")
    min_instalment: Decimal = Decimal("100")
    affordability_share: Decimal = Decimal("0.50")  # instalment at most half the median recent income


@dataclass(frozen=True)
class Instalment:
    seq: int
    due_date: date
    amount: Decimal


@dataclass(frozen=True)
class PlanMessage:
    """A limit breached (`error`: cannot submit) or a caution (`warning`); key and params for the catalogue."""

    level: str
    key: str
    params: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class PlanPreview:
    type: str
    currency: str
    restructured: Decimal
    waived: Decimal
    instalments: tuple[Instalment, ...]
    messages: tuple[PlanMessage, ...]

    @property
    def total(self) -> Decimal:
        return sum((i.amount for i in self.instalments), Decimal(0))

    @property
    def ok(self) -> bool:
        return not any(m.level == "error" for m in self.messages)


def _unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-MINOR_DIGITS.get(currency, 2))


def split(amount: Decimal, count: int, currency: str) -> list[Decimal]:
    """`amount` in `count` parts differing by at most one minor unit, larger parts first; sums exactly."""
    unit = _unit(currency)
    minor = int((amount / unit).to_integral_value(rounding=ROUND_DOWN))
    base, extra = divmod(minor, count)
    return [(base + (1 if i < extra else 0)) * unit for i in range(count)]


def check_first_due(first: date, today: date) -> list[PlanMessage]:
    """A plan starts on the customer's `today` or later: an instalment already past could only be missed."""
    if first < today:
        return [PlanMessage("error", "plan.first_due_past", {"first": first.isoformat(), "today": today.isoformat()})]
    return []


def _limits(parts: list[Decimal], income: list[Decimal], limits: PlanLimits, currency: str) -> list[PlanMessage]:
    messages = []
    smallest, largest = min(parts), max(parts)
    if smallest < limits.min_instalment:
        messages.append(PlanMessage("error", "plan.min_instalment",
                                    {"amount": str(smallest), "min": str(limits.min_instalment)}))
    if income:
        cap = (Decimal(median(income)) * limits.affordability_share).quantize(_unit(currency), rounding=ROUND_DOWN)
        if largest > cap:
            messages.append(PlanMessage("error", "plan.unaffordable", {
                "amount": str(largest), "cap": str(cap), "share": int(limits.affordability_share * 100)}))
    else:
        messages.append(PlanMessage("warning", "plan.no_income"))
    return messages


def reinstalment(amount: Decimal, months: int, first_due: date, *, currency: str = "CNY",
                 income: list[Decimal] | None = None, limits: PlanLimits = PlanLimits(),
                 waived: Decimal = Decimal(0), plan_type: str = "reinstalment",
                 today: date | None = None) -> PlanPreview:
    """Spread `amount` (the arrears or the whole balance) less `waived` over `months` monthly instalments, the first
    on `first_due` (refused when before the customer's `today`, where given)."""
    if months < 1:
        return PlanPreview(plan_type, currency, amount, waived, (), (PlanMessage("error", "plan.months_min"),))
    messages: list[PlanMessage] = []
    if months > limits.max_instalments:
        messages.append(PlanMessage("error", "plan.max_instalments", {"months": months, "max": limits.max_instalments}))
    parts = split(amount - waived, months, currency)
    instalments = tuple(Instalment(i + 1, first_due + relativedelta(months=i), part) for i, part in enumerate(parts))
    # Rounding down to minor units can leave a remainder only if amount itself had sub-minor digits.
    remainder = amount - waived - sum(parts, Decimal(0))
    if remainder:
        last = instalments[-1]
        instalments = (*instalments[:-1], Instalment(last.seq, last.due_date, last.amount + remainder))
    messages += _limits([i.amount for i in instalments], income or [], limits, currency)
    if today is not None:
        messages += check_first_due(first_due, today)
    return PlanPreview(plan_type, currency, amount, waived, instalments, tuple(messages))


def deferral(unpaid: list[tuple[date, Decimal]], months: int, *, currency: str = "CNY",
             income: list[Decimal] | None = None, limits: PlanLimits = PlanLimits(),
             today: date | None = None) -> PlanPreview:
    """Move every unpaid instalment `months` later, amounts unchanged (refused when the first of them would
    still fall before the customer's `today`, where given)."""
    messages: list[PlanMessage] = []
    if months < 1:
        messages.append(PlanMessage("error", "plan.months_min"))
    if months > limits.max_extension_months:
        messages.append(PlanMessage("error", "plan.max_extension",
                                    {"months": months, "max": limits.max_extension_months}))
    instalments = tuple(Instalment(i + 1, due + relativedelta(months=months), amount)
                        for i, (due, amount) in enumerate(sorted(unpaid)))
    restructured = sum((a for _, a in unpaid), Decimal(0))
    if instalments:
        messages += [m for m in _limits([i.amount for i in instalments], income or [], limits, currency)
                     if m.key != "plan.min_instalment"]
        if today is not None:
            messages += check_first_due(instalments[0].due_date, today)
    return PlanPreview("deferral", currency, restructured, Decimal(0), instalments, tuple(messages))


def reduction(amount: Decimal, interest_and_fees: Decimal, waiver_share: Decimal, months: int, first_due: date, *,
              currency: str = "CNY", income: list[Decimal] | None = None,
              limits: PlanLimits = PlanLimits(), today: date | None = None) -> PlanPreview:
    """Waive a share of interest and fees, then spread the rest of `amount` over `months`."""
    extra: list[PlanMessage] = []
    if not Decimal(0) <= waiver_share <= 1:
        extra.append(PlanMessage("error", "plan.waiver_range"))
        waiver_share = Decimal(0)
    if waiver_share > limits.max_waiver_share:
        extra.append(PlanMessage("error", "plan.max_waiver", {"share": int(waiver_share * 100),
                                                              "max": int(limits.max_waiver_share * 100)}))
    waived = (min(interest_and_fees, amount) * waiver_share).quantize(_unit(currency), rounding=ROUND_DOWN)
    preview = reinstalment(amount, months, first_due, currency=currency, income=income, limits=limits,
                           waived=waived, plan_type="reduction", today=today)
    return PlanPreview("reduction", currency, amount, waived, preview.instalments, tuple(extra) + preview.messages)
