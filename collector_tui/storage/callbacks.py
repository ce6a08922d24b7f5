"""Callbacks with what the callbacks view, the alerts and the day's figures need: the case, the customer's
name and zone, and the times of the phone attempts on the case."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, UTC

from sqlalchemy import Engine, select, text

from collector_tui.storage.engine import read
from collector_tui.storage.models import Callback, Case, ContactAttempt, Customer, callback_instant

T_CALLBACK = Callback.__table__  # type: ignore[attr-defined]
T_CONTACT = ContactAttempt.__table__  # type: ignore[attr-defined]
T_CASE = Case.__table__  # type: ignore[attr-defined]
T_CUSTOMER = Customer.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class CallbackRecord:
    id: str
    case_id: str
    at: str  # ISO with the offset it was given in
    note: str
    origin: str  # server | local
    customer_name: str
    timezone: str  # the customer's
    attempts: tuple[str, ...]  # ISO times of the phone attempts on the case


def callback_records(engine: Engine) -> list[CallbackRecord]:
    """Every callback of an open case in the cache (a handful a case at most), oldest first."""
    with read(engine) as conn:
        rows = conn.execute(
            select(T_CALLBACK.c.id, T_CALLBACK.c.case_id, T_CALLBACK.c.at, T_CALLBACK.c.note, T_CALLBACK.c.origin,
                   T_CASE.c.customer_name, T_CUSTOMER.c.timezone)
            .join(T_CASE, T_CASE.c.id == T_CALLBACK.c.case_id)
            .join(T_CUSTOMER, T_CUSTOMER.c.case_id == T_CALLBACK.c.case_id)
            .where(T_CASE.c.status == "open")
            .order_by(T_CALLBACK.c.at)).all()
        attempts: dict[str, list[str]] = defaultdict(list)
        for case_id, at in conn.execute(
                select(T_CONTACT.c.case_id, T_CONTACT.c.at)
                .where(T_CONTACT.c.channel == "phone", T_CONTACT.c.case_id.in_(select(T_CALLBACK.c.case_id)))):
            attempts[case_id].append(at)
    return [CallbackRecord(*row, attempts=tuple(attempts[row[1]])) for row in rows]


# Callbacks of open cases whose instant lies in a span, through the index on that instant (migration 14): the
# check that runs every few seconds reads the few coming due, not a portfolio's worth.
DUE_SQL = (
    "SELECT cb.id, cb.case_id, cb.at, cb.note, cb.origin, k.customer_name, cu.timezone FROM callback cb "
    'JOIN "case" k ON k.id = cb.case_id JOIN customer cu ON cu.case_id = cb.case_id '
    f"WHERE {callback_instant('cb.at')} BETWEEN :start AND :end AND k.status = 'open' "
    f"ORDER BY {callback_instant('cb.at')}"
)
# The phone attempts on those callbacks' cases (ix_contact_case_at), which say whether each was made.
DUE_ATTEMPTS_SQL = (
    "SELECT case_id, at FROM contactattempt WHERE channel = 'phone' AND case_id IN "
    f"(SELECT case_id FROM callback WHERE {callback_instant()} BETWEEN :start AND :end)"
)


def _instant(at: datetime) -> str:
    """`at` as SQLite's datetime() spells a UTC instant, to the second."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def callback_records_between(engine: Engine, start: datetime, end: datetime) -> list[CallbackRecord]:
    """Callbacks of open cases due from `start` to `end` (whole seconds: a callback in the seconds at either
    end is included), earliest first."""
    span = {"start": _instant(start), "end": _instant(end)}
    with read(engine) as conn:
        rows = conn.execute(text(DUE_SQL), span).all()
        attempts: dict[str, list[str]] = defaultdict(list)
        if rows:
            for case_id, at in conn.execute(text(DUE_ATTEMPTS_SQL), span):
                attempts[case_id].append(at)
    return [CallbackRecord(*row, attempts=tuple(attempts[row[1]])) for row in rows]
