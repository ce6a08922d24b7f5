"""Record a promise to pay outside a contact (the CLI's `promise add`)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from collector_tui.domain.actions import validate_promise
from collector_tui.domain.rules import Rules
from collector_tui.storage import actions
from collector_tui.storage.queue_build import replace_cases
from collector_tui.work.cases import case_facts, outstanding
from collector_tui.work.contact import Invalid, UnknownCase, first_per_field
from collector_tui.work.limits import payload_errors


def add_promise(engine: Engine, rules: Rules, case_id: str, *, due: date, amount: Decimal, now: datetime) -> str:
    facts = case_facts(engine, case_id)
    if facts is None:
        raise UnknownCase(case_id)
    errors = first_per_field(
        payload_errors("promise.created", actions.promise_payload(due, amount, facts.currency)),
        validate_promise(due, amount, now.astimezone(ZoneInfo(facts.timezone)).date(), currency=facts.currency,
                         outstanding=outstanding(engine, case_id)))
    if errors:
        raise Invalid(errors)
    entry = actions.add_promise(engine, case_id, at=now, due=due, amount=amount, currency=facts.currency)
    replace_cases(engine, [case_id], now, rules)
    return entry
