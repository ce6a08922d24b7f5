"""Messages: an SMS or an e-mail from a template, checked by the rule pack and sent through the server.

The message is recorded here with the contact it is (its channel, outcome `message_left`) and pushed as a
`message.requested` mutation at the next sync; the server hands it to its gateway (or holds it until the
customer's allowed hours) and the feed brings back its state.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from collector_tui.domain.actions import FieldError
from collector_tui.domain.contact_rules import Decision
from collector_tui.domain.facts import CaseFacts
from collector_tui.domain.messages import MESSAGE_CHANNELS, check_message
from collector_tui.domain.rules import Rules
from collector_tui.storage import actions
from collector_tui.storage.actions import UnknownCase
from collector_tui.storage.queries import CaseDetail, case_detail
from collector_tui.storage.queue_build import replace_cases
from collector_tui.work.cases import case_facts
from collector_tui.work.contact import Blocked, Invalid, first_per_field
from collector_tui.work.identity import require_user
from collector_tui.work.limits import payload_errors

__all__ = ["Blocked", "Invalid", "UnknownCase", "check", "recipients", "send"]


def recipients(detail: CaseDetail, channel: str) -> list[str]:
    """Where a message on `channel` may go: the customer's reachable numbers (then the others), or e-mail addresses."""
    if channel == "sms":
        phones = sorted(detail.phones, key=lambda p: (not p.reachable, p.type != "mobile"))
        return [p.number for p in phones]
    if channel == "email":
        return [e["address"] for e in detail.customer.extra.get("emails", []) if e.get("address")]
    return []


def check(rules: Rules, facts: CaseFacts, *, channel: str, now: datetime, to: str = "") -> Decision:
    """May this message be sent now? (The screen's live check and the sender's gate are the same call.)"""
    return check_message(rules.pack, facts, channel=channel, now=now, to=to)


def send(engine: Engine, rules: Rules, case_id: str, *, channel: str, to: str, template: str, body: str, locale: str,
         now: datetime, collector: str) -> list[str]:
    """Check and record a message with its contact; returns [contact id, message id].

    Raises UnknownCase, Invalid (a channel that is not a message's, an address that is not the customer's, an
    empty or long body), Blocked (the rule's decision) or NoUser.
    """
    require_user(collector)
    facts, detail = case_facts(engine, case_id), case_detail(engine, case_id)
    if facts is None or detail is None:
        raise UnknownCase(case_id)
    errors: list[FieldError] = []
    if channel not in MESSAGE_CHANNELS:
        errors.append(FieldError("channel", "form.choose_one", {"choices": ", ".join(MESSAGE_CHANNELS)}))
    elif to not in recipients(detail, channel):
        errors.append(FieldError("to", "message.not_the_customers", {}))
    if not body.strip():
        errors.append(FieldError("body", "form.required", {}))
    errors = first_per_field(payload_errors("message.requested", {"channel": channel, "to": to, "template": template,
                                                                  "body": body, "locale": locale}), errors)
    if errors:
        raise Invalid(errors)
    decision = check(rules, facts, channel=channel, now=now, to=to)
    if not decision.allowed:
        raise Blocked(decision)
    ids = actions.request_message(engine, case_id, at=now, channel=channel, to=to, template=template, body=body,
                                  locale=locale, collector=collector, number=to if channel == "sms" else "")
    replace_cases(engine, [case_id], now, rules)
    return ids
