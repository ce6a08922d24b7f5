"""What the day's figures read: contacts and promises around a day, and who holds each open case."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Engine, select

from collector_tui.storage.engine import read
from collector_tui.storage.models import Case, ContactAttempt, PromiseToPay

T_CASE = Case.__table__  # type: ignore[attr-defined]
T_CONTACT = ContactAttempt.__table__  # type: ignore[attr-defined]
T_PROMISE = PromiseToPay.__table__  # type: ignore[attr-defined]


class ContactOn(NamedTuple):
    case_id: str
    at: str
    channel: str
    disposition: str
    target: str
    collector: str
    origin: str


class PromiseOn(NamedTuple):
    case_id: str
    made_at: str
    amount: str
    currency: str


def _around(start: datetime, end: datetime) -> tuple[str, str]:
    """Text bounds that hold every ISO time between `start` and `end` whatever offset it was written with (a day
    either side); the caller keeps what really falls inside."""
    return (start - timedelta(days=1)).date().isoformat(), (end + timedelta(days=1)).date().isoformat()


def contacts_around(engine: Engine, start: datetime, end: datetime) -> list[ContactOn]:
    low, high = _around(start, end)
    with read(engine) as conn:
        rows = conn.execute(select(T_CONTACT.c.case_id, T_CONTACT.c.at, T_CONTACT.c.channel, T_CONTACT.c.disposition,
                                   T_CONTACT.c.target, T_CONTACT.c.collector, T_CONTACT.c.origin)
                            .where(T_CONTACT.c.at >= low, T_CONTACT.c.at < high)).all()
    return [ContactOn(*r) for r in rows]


def promises_around(engine: Engine, start: datetime, end: datetime) -> list[PromiseOn]:
    low, high = _around(start, end)
    with read(engine) as conn:
        rows = conn.execute(select(T_PROMISE.c.case_id, T_PROMISE.c.made_at, T_PROMISE.c.amount, T_CASE.c.currency)
                            .join(T_CASE, T_CASE.c.id == T_PROMISE.c.case_id)
                            .where(T_PROMISE.c.made_at >= low, T_PROMISE.c.made_at < high)).all()
    return [PromiseOn(*r) for r in rows]


def case_holders(engine: Engine) -> dict[str, str]:
    """Every open case and the collector who holds it."""
    with read(engine) as conn:
        return dict(conn.execute(select(T_CASE.c.id, T_CASE.c.assigned_to).where(T_CASE.c.status == "open")).all())  # type: ignore[arg-type]
