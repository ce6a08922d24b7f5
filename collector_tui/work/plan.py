"""Repayment plans: the draft kept as the collector types, its figures worked out, and the plan submitted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from collector_tui.domain.actions import parse_amount, parse_day
from collector_tui.domain.plans import (
    PlanLimits,
    PlanMessage,
    PlanPreview,
    check_first_due,
    deferral,
    reduction,
    reinstalment,
)
from collector_tui.storage import actions
from collector_tui.storage.drafts import drop_draft, load_draft, save_draft
from collector_tui.storage.queries import CaseDetail, case_detail
from collector_tui.work.limits import payload_errors

__all__ = ["PlanInputError", "PlanRefused", "customer_today", "income_months", "preview", "submit", "load_draft",
           "save_draft"]


@dataclass(frozen=True)
class PlanInputError:
    """The first value the plan cannot be worked out from: a message key."""

    key: str


class PlanRefused(ValueError):
    """A plan that breaks a limit or starts before the customer's today: nothing was submitted."""

    def __init__(self, messages: list[PlanMessage]) -> None:
        super().__init__(", ".join(m.key for m in messages))
        self.messages = messages


def customer_today(detail: CaseDetail, now: datetime) -> date:
    """The day it is where the customer lives: a plan's first instalment may fall on it, not before."""
    return now.astimezone(ZoneInfo(detail.customer.timezone)).date()


def income_months(detail: CaseDetail) -> list[Decimal]:
    """The customer's last six months of income, which the plan's affordability is judged against."""
    return [Decimal(m["amount"]) for m in detail.customer.extra.get("monthly_income", [])][-6:]


def preview(detail: CaseDetail, values: dict[str, Any], limits: PlanLimits,
            today: date | None = None) -> PlanPreview | PlanInputError:
    """The plan the form's values describe (type, months, base, first_due, waiver), or the first unusable value.
    With the customer's `today`, a plan whose first instalment falls before it carries an error."""
    loan = detail.loan
    months_text = str(values["months"] or "")
    if not months_text.isdigit():
        return PlanInputError("plan.bad_months")
    months = int(months_text)
    first, errors = parse_day(str(values["first_due"]))
    if errors or first is None:
        return PlanInputError("form.date")
    income, cur = income_months(detail), loan.currency
    if values["type"] == "deferral":
        unpaid = [(date.fromisoformat(s.due_date), Decimal(s.amount) - Decimal(s.paid))
                  for s in detail.schedule if s.status != "paid" and Decimal(s.amount) > Decimal(s.paid)]
        return deferral(unpaid, months, currency=cur, income=income, limits=limits, today=today)
    amount = Decimal(loan.overdue_amount if values["base"] == "arrears" else loan.outstanding)
    if values["type"] == "reinstalment":
        return reinstalment(amount, months, first, currency=cur, income=income, limits=limits, today=today)
    waiver = values["waiver"]
    share, share_errors = parse_amount(str(waiver or "0"), "waiver") if waiver not in ("", "0") else (Decimal(0), [])
    if share_errors or share is None:
        return PlanInputError("plan.bad_waiver")
    charges = Decimal(loan.interest_due) + Decimal(loan.fees_due)
    return reduction(amount, charges, share / 100, months, first, currency=cur, income=income, limits=limits,
                     today=today)


def submit(engine: Engine, case_id: str, plan: PlanPreview, parameters: dict[str, Any], *, now: datetime) -> str:
    """Put the plan in the outbox for approval; the draft it came from goes. A plan that breaks a limit, or whose
    first instalment is before the customer's today, raises PlanRefused and nothing is written."""
    refused = [m for m in plan.messages if m.level == "error"]
    case = case_detail(engine, case_id)
    if plan.instalments and case is not None:
        first = min(i.due_date for i in plan.instalments)
        refused += [m for m in check_first_due(first, customer_today(case, now)) if m not in refused]
    detail = {
        "restructured": str(plan.restructured), "waived": str(plan.waived),
        "instalments": [{"seq": i.seq, "due_date": i.due_date.isoformat(), "amount": str(i.amount)}
                        for i in plan.instalments],
        "parameters": parameters,
    }
    # The API's limits on what the figures came to (a balance too large for the server's digits, say).
    refused += [PlanMessage("error", e.key, e.params)
                for e in payload_errors("plan.submitted", {"type": plan.type, **detail})]
    if refused or not plan.instalments:
        raise PlanRefused(refused)
    entry = actions.submit_plan(engine, case_id, at=now, plan_type=plan.type, detail=detail)
    drop_draft(engine, case_id)
    return entry
