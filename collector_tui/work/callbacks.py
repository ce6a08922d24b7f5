"""Callbacks as the collector works them: today's and the overdue ones, which are due now, and which were missed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from collector_tui.domain.callbacks import DUE, GRACE, MISSED, STATES, callback_state, was_missed
from collector_tui.storage.callbacks import CallbackRecord, callback_records, callback_records_between

__all__ = ["CallbackItem", "DUE", "MISSED", "callbacks", "counts", "due_now", "missed_today"]


@dataclass(frozen=True)
class CallbackItem:
    id: str
    case_id: str
    at: datetime
    note: str
    customer_name: str  # in full: the screens mask it
    timezone: str  # the customer's
    state: str  # domain.callbacks: upcoming, due, done, missed, late
    local: bool  # recorded here, not yet on the server


def _items(engine: Engine, now: datetime, records: list[CallbackRecord] | None = None) -> list[CallbackItem]:
    items = []
    for r in callback_records(engine) if records is None else records:
        at = datetime.fromisoformat(r.at)
        state = callback_state(at, [datetime.fromisoformat(a) for a in r.attempts], now)
        items.append(CallbackItem(r.id, r.case_id, at, r.note, r.customer_name, r.timezone, state, r.origin == "local"))
    return items


def callbacks(engine: Engine, now: datetime, tz: str) -> list[CallbackItem]:
    """Today's callbacks (the collector's day, in zone `tz`) in every state, and older ones missed and not yet
    followed up; those that need a call first, then by time."""
    today = now.astimezone(ZoneInfo(tz)).date()
    chosen = [i for i in _items(engine, now)
              if i.at.astimezone(ZoneInfo(tz)).date() == today or i.state in (DUE, MISSED)]
    return sorted(chosen, key=lambda i: (STATES.index(i.state), i.at))


def due_now(engine: Engine, now: datetime) -> list[CallbackItem]:
    """Callbacks whose time has come and that have not been made yet.

    Only those due from GRACE ago to now are read (a second more each side, the index's instants being whole
    seconds): one older is missed, one later still to come."""
    second = timedelta(seconds=1)
    coming = callback_records_between(engine, now - GRACE - second, now + second)
    return [i for i in _items(engine, now, coming) if i.state == DUE]


def counts(items: list[CallbackItem]) -> dict[str, int]:
    return dict(Counter(i.state for i in items))


def missed_today(items: list[CallbackItem], now: datetime, tz: str) -> int:
    """Today's callbacks that were not made in time (still open, or followed up late)."""
    today = now.astimezone(ZoneInfo(tz)).date()
    return sum(1 for i in items if was_missed(i.state) and i.at.astimezone(ZoneInfo(tz)).date() == today)
