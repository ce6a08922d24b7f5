"""Callbacks with what the callbacks view, the alerts and the day's figures need: the case, the customer's
name and zone, and the times of the phone attempts on the case."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Engine, select

from collector_tui.storage.engine import read
from collector_tui.storage.models import Callback, Case, ContactAttempt, Customer

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
