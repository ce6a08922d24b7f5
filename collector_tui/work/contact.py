"""Record what happened on a contact: checked, decided by the rule pack, written with its outbox entries, and
the case re-placed in the queue, all before anything is pushed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from collector_tui.domain.actions import (
    FieldError,
    validate_callback,
    validate_contact,
    validate_promise,
    validate_scope,
)
from collector_tui.domain.contact_rules import Decision, check_contact
from collector_tui.domain.entry import case_began, validate_callback_hours, validate_moment
from collector_tui.domain.facts import CaseFacts
from collector_tui.domain.policy import RulePack
from collector_tui.domain.zones import candidate_zones
from collector_tui.domain.rules import Rules
from collector_tui.storage import actions
from collector_tui.storage.actions import UnknownCase
from collector_tui.storage.queue_build import replace_cases
from collector_tui.work.cases import case_facts
from collector_tui.work.cases import outstanding as loan_outstanding
from collector_tui.work.identity import require_user
from collector_tui.work.limits import payload_errors


class Invalid(ValueError):
    """Values no collector could mean: each error names its field and a message key."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(", ".join(e.field for e in errors))
        self.errors = errors


class Blocked(RuntimeError):
    """The rule pack blocks this contact: the decision says which rule, why, and from when it is allowed."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.rule or "")
        self.decision = decision


@dataclass(frozen=True)
class Outcome:
    """One contact as the collector reports it, with the promise or callback it produced."""

    channel: str
    disposition: str
    target: str = "customer"
    number: str = ""
    duration_s: int = 0
    note: str = ""
    promise: tuple[date, Decimal] | None = None
    callback_at: datetime | None = None
    checklist: dict[str, bool] | None = field(default=None)  # the compliance checklist, where one was worked
    scope: str = ""  # a cease request: "all" when the customer asked for no contact on any channel


def check(rules: Rules, facts: CaseFacts, *, channel: str, now: datetime, target: str = "customer",
          number: str | None = None, disposition: str | None = None) -> Decision:
    """May this contact be made now (the form's live check and the recorder's gate are the same call)?"""
    return check_contact(rules.pack, facts, channel=channel, now=now, target=target, number=number or None,
                         disposition=disposition)


def customer_zones(facts: CaseFacts, number: str = "") -> tuple[str, ...]:
    """Where the customer may be: the home zone, and the zone of the number used (or of the first reachable one)."""
    dialled = number or next((p.number for p in facts.phones if p.reachable), None)
    return candidate_zones(facts.timezone, [dialled] if dialled else [])


def validate(facts: CaseFacts, outcome: Outcome, now: datetime, *, at: datetime | None = None,
             outstanding: Decimal | None = None, pack: RulePack | None = None) -> list[FieldError]:
    """Every value of an outcome, checked where it enters. `at` is when the contact happened (default: now): not
    ahead of `now` beyond the clock skew, not before the case began. A promise is at most the loan's `outstanding`
    balance, where known; a callback is ahead and, with the rule `pack`, inside its hours wherever the customer
    may be."""
    # The API's limits, on the very payloads that will be pushed (`first_per_field` says which message wins).
    limited = payload_errors("contact.logged", actions.contact_payload(
        outcome.channel, outcome.disposition, outcome.target, outcome.number, outcome.duration_s, outcome.note,
        outcome.scope))
    if outcome.promise is not None:
        limited += payload_errors("promise.created", actions.promise_payload(*outcome.promise, facts.currency))
    if outcome.callback_at is not None:
        limited += payload_errors("callback.scheduled", actions.callback_payload(outcome.callback_at, outcome.note))
    errors = validate_contact(outcome.channel, outcome.disposition, outcome.target)
    errors += validate_scope(outcome.disposition, outcome.scope)
    errors += validate_moment(at or now, now, case_began(facts.overdue_since, facts.timezone))
    if outcome.promise is not None:
        due, amount = outcome.promise
        errors += validate_promise(due, amount, now.astimezone(ZoneInfo(facts.timezone)).date(),
                                   currency=facts.currency, outstanding=outstanding)
    if outcome.callback_at is not None:
        past = validate_callback(outcome.callback_at, now)
        errors += past
        if not past and pack is not None:
            errors += validate_callback_hours(pack, customer_zones(facts, outcome.number), outcome.callback_at)
    return first_per_field(limited, errors)


def first_per_field(limited: list[FieldError], ruled: list[FieldError]) -> list[FieldError]:
    """The rules' errors, then the API's limits on the fields no rule refused: a rule says more (a CNY amount's
    two decimals, the balance it may not pass) than the contract's bound behind it."""
    kept: dict[str, FieldError] = {}
    for e in limited:
        if not any(r.field == e.field for r in ruled):
            kept.setdefault(e.field, e)
    return ruled + list(kept.values())


def record_outcome(engine: Engine, rules: Rules, case_id: str, outcome: Outcome, *, now: datetime, collector: str,
                   at: datetime | None = None) -> list[str]:
    """Check, decide and record one outcome; returns the ids of what was written (the contact's first).

    Raises UnknownCase, Invalid (with every bad field) or Blocked (with the rule's decision), and NoUser when
    `collector` is empty. `at` is when the contact happened (default: now).
    """
    require_user(collector)
    facts = case_facts(engine, case_id)
    if facts is None:
        raise UnknownCase(case_id)
    moment = at or now
    errors = validate(facts, outcome, now, at=moment, outstanding=loan_outstanding(engine, case_id),
                      pack=rules.pack)
    if errors:
        raise Invalid(errors)
    decision = check(rules, facts, channel=outcome.channel, now=moment, target=outcome.target, number=outcome.number,
                     disposition=outcome.disposition)
    if not decision.allowed:
        raise Blocked(decision)
    promise = (outcome.promise[0], outcome.promise[1], facts.currency) if outcome.promise else None
    ids = actions.record_outcome(engine, case_id, at=moment, channel=outcome.channel, disposition=outcome.disposition,
                                 target=outcome.target, number=outcome.number, duration_s=outcome.duration_s,
                                 note=outcome.note, collector=collector, checklist=outcome.checklist,
                                 promise=promise, callback=outcome.callback_at, scope=outcome.scope)
    replace_cases(engine, [case_id], now, rules)
    return ids
