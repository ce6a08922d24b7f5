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
        shown["channel"] = t("check.all_channels") if shown["channel"] == "*" else code("channel", str(shown["channel"]))
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
