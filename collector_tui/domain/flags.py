"""Risk flags: every warning signal of the training deck, with the figure that raised it and the threshold.

Each threshold is a field of `FlagThresholds`, whose defaults are the deck's figures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from dateutil.relativedelta import relativedelta

from collector_tui.domain.facts import CaseFacts


@dataclass(frozen=True)
class FlagThresholds:
    """Thresholds of the risk signals; defaults from the deck where it gives a figure."""

    income_swing: Decimal = Decimal("0.30")  # monthly income fluctuates by more than 30%
    new_employee_months: int = 12
    young_age: int = 25
    stale_contact_months: int = 6  # contact details not updated for more than 6 months
    school_changes_12m: int = 2
    minimum_run: int = 3  # minimum payment 3 or more periods in a row
    irregular_days: int = 7  # mean distance of payment day from due day
    deferrals: int = 3
    deferral_months: int = 6
    contact_changes: int = 2  # contact details changed 2 or more times within 3 months
    contact_change_months: int = 3
    spending_jump: Decimal = Decimal("2.0")  # this month's spending over last month's
    large_spend_income_share: Decimal = Decimal("1.0")  # one spend above a month's income
    investment_share: Decimal = Decimal("0.30")
    lost_contact_days: int = 30
    many_lenders: int = 4
    debt_to_annual_income: Decimal = Decimal("1.0")
    broken_promises: int = 2
    care_days: int = 90  # a complaint or a hardship stays before the lead and the plan desk this long


@dataclass(frozen=True)
class RiskFlag:
    """A raised signal: `evidence` is a message key whose parameters hold the figure and the threshold."""

    id: str
    group: str
    severity: str
    evidence: str
    params: dict[str, object] = field(default_factory=dict)


DEFAULT_SEVERITY: dict[str, str] = {
    "income.swing": "medium", "income.no_contract": "low", "income.single_source": "low",
    "income.unstable_group": "low", "info.stale_contact": "medium", "info.address_mismatch": "medium",
    "info.no_emergency_contact": "medium", "study.incomplete": "medium", "study.dropped": "high",
    "study.school_changes": "medium", "study.abnormal": "high", "repay.minimum_run": "medium",
    "repay.irregular": "low", "repay.deferrals": "medium", "contact.changes": "medium",
    "contact.new_unreachable": "high", "contact.unreported_change": "medium", "funds.spending_jump": "medium",
    "funds.large_spend": "medium", "funds.investment": "high", "lost_contact": "high", "debt.many_lenders": "high",
    "debt.high": "medium", "willingness.low": "high", "care.complaint": "medium", "care.hardship": "medium",
}


def _pct(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


@lru_cache(maxsize=64)  # a queue build asks the same few (day, months) pairs for every case
def _months_ago(today: date, months: int) -> date:
    return today - relativedelta(months=months)


def _mean(values: tuple[Decimal, ...]) -> Decimal:
    # statistics.mean is exact through Fractions and costs more than all the rules together on a big queue.
    return sum(values, Decimal(0)) / len(values)


def compute_flags(f: CaseFacts, today: date, th: FlagThresholds = FlagThresholds(),
                  severity: dict[str, str] | None = None) -> list[RiskFlag]:
    """All risk flags raised for a case on `today`, in a stable order."""
    sev = {**DEFAULT_SEVERITY, **(severity or {})}
    raised: list[RiskFlag] = []

    def flag(fid: str, **params: object) -> None:
        raised.append(RiskFlag(fid, fid.split(".")[0], sev[fid], f"flag.{fid}", params))

    for check in CHECKS:
        check(f, today, th, flag)
    return raised


Raise = Callable[..., None]


def _income(f: CaseFacts, today: date, th: FlagThresholds, flag: Raise) -> None:
    if len(f.monthly_income) >= 2:
        avg = _mean(f.monthly_income)
        if avg > 0:
            swing = (max(f.monthly_income) - min(f.monthly_income)) / avg
            if swing > th.income_swing:
                flag("income.swing", swing=_pct(swing), months=len(f.monthly_income), threshold=_pct(th.income_swing))
    if not f.has_contract and f.employment_type != "unemployed":
        flag("income.no_contract", employment=f.employment_type)
    if f.income_sources <= 1:
        flag("income.single_source", sources=f.income_sources)
    new_young = (
        f.employment_type == "salaried" and f.employment_started is not None and f.birth_year is not None
        and f.employment_started > _months_ago(today, th.new_employee_months)
        and today.year - f.birth_year < th.young_age
    )
    if f.employment_type in ("freelance", "temporary") or new_young:
        flag("income.unstable_group", employment=f.employment_type)


def _info(f: CaseFacts, today: date, th: FlagThresholds, flag: Raise) -> None:
    confirmed = f.contact_info_confirmed_at
    if confirmed is None or confirmed < _months_ago(today, th.stale_contact_months):
        months = "?" if confirmed is None else (today.year - confirmed.year) * 12 + today.month - confirmed.month
        flag("info.stale_contact", months=months, threshold=th.stale_contact_months)
    if f.address_mismatch_at is not None:
        flag("info.address_mismatch", since=f.address_mismatch_at.isoformat())
    if f.emergency_contacts == 0:
        flag("info.no_emergency_contact")


def _study(f: CaseFacts, today: date, th: FlagThresholds, flag: Raise) -> None:
    if f.student_status is None:
        return
    if not f.student_completed_study:
        flag("study.incomplete")
    if f.student_status in ("dropped_out", "suspended"):
        flag("study.dropped", status=f.student_status)
    if f.school_changes_12m >= th.school_changes_12m:
        flag("study.school_changes", changes=f.school_changes_12m, threshold=th.school_changes_12m)
    if f.student_status == "abnormal":
        flag("study.abnormal")


def _repayment(f: CaseFacts, today: date, th: FlagThresholds, flag: Raise) -> None:
    run = best = 0
    for p in sorted(f.payments, key=lambda p: p.date):
        run = run + 1 if p.minimum_only else 0
        best = max(best, run)
    if best >= th.minimum_run:
        flag("repay.minimum_run", run=best, threshold=th.minimum_run)
    if f.due_day and len(f.payments) >= 3:
        # Distance in days from the due day, wrapping around the month end.
        gaps = [min(abs(p.date.day - f.due_day), 30 - abs(p.date.day - f.due_day)) for p in f.payments]
        spread = sum(gaps) / len(gaps)
        if spread > th.irregular_days:
            flag("repay.irregular", days=round(spread), threshold=th.irregular_days)
    recent = [d for d in f.deferral_requests if d >= _months_ago(today, th.deferral_months)]
    if len(recent) >= th.deferrals:
        flag("repay.deferrals", count=len(recent), months=th.deferral_months, threshold=th.deferrals)


def _contact_changes(f: CaseFacts, today: date, th: FlagThresholds, flag: Raise) -> None:
    since = _months_ago(today, th.contact_change_months)
    recent = [c for c in f.contact_changes if c.at >= since]
    if len(recent) >= th.contact_changes:
        flag("contact.changes", count=len(recent), months=th.contact_change_months, threshold=th.contact_changes)
    if any(p.added_at and p.added_at >= since and not p.reachable for p in f.phones):
        flag("contact.new_unreachable")
    unreported = [c for c in recent if not c.reported_by_customer]
    if unreported:
        flag("contact.unreported_change", count=len(unreported))


def _funds(f: CaseFacts, today: date, th: FlagThresholds, flag: Raise) -> None:
    if len(f.spending) >= 2:
        prev, last = f.spending[-2], f.spending[-1]
        if prev.total > 0 and last.total / prev.total >= th.spending_jump:
            flag("funds.spending_jump", ratio=f"{last.total / prev.total:.1f}", threshold=f"{th.spending_jump:.1f}")
    if f.spending and f.monthly_income:
        income = _mean(f.monthly_income)
        largest = f.spending[-1].largest
        if income > 0 and largest > income * th.large_spend_income_share:
            flag("funds.large_spend", amount=str(largest), income=str(income.quantize(Decimal("1"))))
    if f.spending and f.spending[-1].investment_share > th.investment_share:
        flag("funds.investment", share=_pct(f.spending[-1].investment_share), threshold=_pct(th.investment_share))


def _lost_and_debt(f: CaseFacts, today: date, th: FlagThresholds, flag: Raise) -> None:
    if f.phones and not any(p.reachable for p in f.phones):
        reached = [p.last_reached_at.date() for p in f.phones if p.last_reached_at]
        last = max(reached) if reached else None
        if last is None or (today - last) > timedelta(days=th.lost_contact_days):
            flag("lost_contact", days="?" if last is None else (today - last).days, threshold=th.lost_contact_days)
    if f.active_lenders >= th.many_lenders:
        flag("debt.many_lenders", lenders=f.active_lenders, threshold=th.many_lenders)
    if f.monthly_income and f.total_debt > 0:
        annual = _mean(f.monthly_income) * 12
        if annual > 0 and f.total_debt / annual > th.debt_to_annual_income:
            flag("debt.high", ratio=f"{f.total_debt / annual:.1f}", threshold=f"{th.debt_to_annual_income:.1f}")
    broken = sum(1 for p in f.promises if p.status == "broken")
    refused = any(c.disposition == "refused" for c in f.contacts)
    if broken >= th.broken_promises or refused:
        flag("willingness.low", broken=broken, refused="yes" if refused else "no")


def _care(f: CaseFacts, today: date, th: FlagThresholds, flag: Raise) -> None:
    """A complaint goes before the team lead, a hardship gets a plan offered: neither blocks contact."""
    since = today - timedelta(days=th.care_days)
    for disposition in ("complaint", "hardship"):
        days = [c.at.date() for c in f.contacts if c.disposition == disposition and c.at.date() >= since]
        if days:
            flag(f"care.{disposition}", day=max(days).isoformat())


CHECKS = (_income, _info, _study, _repayment, _contact_changes, _funds, _lost_and_debt, _care)
