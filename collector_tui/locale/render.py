"""Sentences built from the rules' message keys and parameters, for the screens and the CLI alike."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from collector_tui.domain.money import format_money
from collector_tui.locale import code, t


def when_text(next_allowed_at: str | datetime | None, tz: str) -> str:
    """'callable 11-28 08:00' in the collector's zone, or 'until lifted' when no time will do."""
    if next_allowed_at is None:
        return t("queue.reason.until_lifted")
    at = datetime.fromisoformat(next_allowed_at) if isinstance(next_allowed_at, str) else next_allowed_at
    return t("queue.reason.callable_from", at=at.astimezone(ZoneInfo(tz)).strftime("%m-%d %H:%M"))


def check_text(reason: str, params: dict[str, object]) -> str:
    shown = dict(params)
    if "type" in shown:
        shown["type"] = code("disposition", str(shown["type"]))
    if "channel" in shown:
        shown["channel"] = (t("check.all_channels") if shown["channel"] == "*"
                            else code("channel", str(shown["channel"])))
    if "outcome" in shown:
        shown["outcome"] = code("disposition", str(shown["outcome"]))
    # Codes inside a risk flag's evidence are words in the collector's language too, never raw ids.
    if "employment" in shown:
        shown["employment"] = code("employment", str(shown["employment"]))
    if "status" in shown:
        shown["status"] = code("study", str(shown["status"]))
    if shown.get("refused") in ("yes", "no"):
        shown["refused"] = t(f"profile.{shown['refused']}")
    if reason == "check.suppressed":
        shown["origin"] = t(f"check.origin_{shown.get('origin') or 'server'}", since=shown.get("since", ""))
    try:
        return t(reason, **shown)
    except (KeyError, IndexError):
        return t(reason)


def reason_text(group: str | None, reason: str | None, params: dict[str, object] | None, currency: str,
                blocked_by: str | None = None, next_allowed_at: str | None = None, tz: str = "UTC") -> str:
    """The one-line reason a case sits where it does in the queue."""
    params = dict(params or {})
    if not reason:
        return ""
    if "amount" in params:
        params["amount"] = format_money(str(params["amount"]), currency)
    if "stage" in params:
        params["stage_name"] = t(f"stage.{params['stage']}")
    if group == "blocked":
        return t("queue.reason.blocked", rule=blocked_by or "", why=check_text(reason, params),
                 when=when_text(next_allowed_at, tz))
    try:
        return t(reason, **params)
    except (KeyError, IndexError):
        return t(reason)


def plan_message_text(key: str, params: dict[str, object], currency: str) -> str:
    """A plan limit message with its money shown as money."""
    shown = {k: format_money(str(v), currency) if k in ("amount", "cap", "min") else v for k, v in params.items()}
    return t(key, **shown)


def entry_when(occurred_at: str, tz: str) -> str:
    """When an outbox entry was made, on the collector's clock (the column header names the zone)."""
    return datetime.fromisoformat(occurred_at).astimezone(ZoneInfo(tz)).strftime("%m-%d %H:%M")


def entry_what(kind: str, payload: dict[str, object]) -> str:
    """What an outbox entry records, in words: the outcome of a contact, the amount and day of a promise..."""
    if kind == "contact.logged":
        return t("outbox.what_contact", channel=code("channel", str(payload.get("channel", ""))),
                 outcome=code("disposition", str(payload.get("disposition", ""))))
    if kind == "promise.created":
        return t("outbox.what_promise",
                 amount=format_money(str(payload.get("amount", "0")), str(payload.get("currency") or "CNY")),
                 due=payload.get("due_date", ""))
    if kind == "callback.scheduled":
        return t("outbox.what_callback", at=str(payload.get("at", ""))[:16].replace("T", " "))
    if kind == "plan.submitted":
        instalments = payload.get("instalments")
        return t("outbox.what_plan", plan=t(f"plan.type_{payload.get('type', '')}"),
                 count=len(instalments) if isinstance(instalments, list) else 0)
    if kind == "message.requested":
        return t("outbox.what_message", channel=code("channel", str(payload.get("channel", ""))))
    if kind == "audit.recorded":
        return t("outbox.what_audit", action=code("audit", str(payload.get("action", ""))))
    if kind in ("checklist.completed", "customer.contact_corrected"):
        return t(f"outbox.what_{kind.split('.')[0]}")
    return kind
