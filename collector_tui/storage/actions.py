"""Local-first actions: each writes its record and its outbox entry in one transaction."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select
from uuid6 import uuid7

from collector_tui.storage.engine import write
from collector_tui.storage.models import (
    Callback,
    Case,
    ChecklistRecord,
    ContactAttempt,
    PromiseToPay,
    RepaymentPlan,
)
from collector_tui.storage.outbox import enqueue


class UnknownCase(LookupError):
    """The case is not (or no longer) in this collector's cache."""


def new_id() -> str:
    """A UUIDv7: time-ordered, made here, the server's idempotency key."""
    return str(uuid7())


def _record(engine: Engine, mtype: str, case_id: str, occurred_at: datetime, payload: dict[str, Any],
            table: Any | None, row: dict[str, Any] | None) -> str:
    entry_id = new_id()
    with write(engine) as conn:
        version = conn.execute(select(Case.version).where(Case.id == case_id)).scalar()
        if version is None:
            raise UnknownCase(case_id)
        if table is not None and row is not None:
            conn.execute(table.insert().values(id=entry_id, case_id=case_id, **row))
        enqueue(conn, id=entry_id, type=mtype, case_id=case_id, base_version=version, occurred_at=occurred_at,
                payload=payload)
    return entry_id


def log_contact(engine: Engine, case_id: str, *, at: datetime, channel: str, disposition: str, target: str = "customer",
                number: str = "", duration_s: int = 0, note: str = "", collector: str = "") -> str:
    payload = {"channel": channel, "target": target, "number": number, "disposition": disposition,
               "duration_s": duration_s, "note": note}
    row = {**payload, "at": at.isoformat(), "collector": collector, "origin": "local"}
    return _record(engine, "contact.logged", case_id, at, payload, ContactAttempt.__table__, row)  # type: ignore[attr-defined]


def add_promise(engine: Engine, case_id: str, *, at: datetime, due: date, amount: Decimal, currency: str) -> str:
    payload = {"due_date": due.isoformat(), "amount": str(amount), "currency": currency}
    row = {"made_at": at.isoformat(), "due_date": due.isoformat(), "amount": str(amount), "status": "outstanding",
           "origin": "local"}
    return _record(engine, "promise.created", case_id, at, payload, PromiseToPay.__table__, row)  # type: ignore[attr-defined]


def schedule_callback(engine: Engine, case_id: str, *, at: datetime, when: datetime, note: str = "") -> str:
    payload = {"at": when.isoformat(), "note": note}
    row = {"at": when.isoformat(), "note": note, "origin": "local"}
    return _record(engine, "callback.scheduled", case_id, at, payload, Callback.__table__, row)  # type: ignore[attr-defined]


def submit_plan(engine: Engine, case_id: str, *, at: datetime, plan_type: str, detail: dict[str, Any]) -> str:
    payload = {"type": plan_type, **detail}
    row = {"type": plan_type, "status": "submitted", "created_at": at.isoformat(), "detail": detail, "origin": "local"}
    return _record(engine, "plan.submitted", case_id, at, payload, RepaymentPlan.__table__, row)  # type: ignore[attr-defined]


def complete_checklist(engine: Engine, case_id: str, *, at: datetime, items: dict[str, bool],
                       contact_id: str | None = None) -> str:
    payload = {"items": items, "contact_id": contact_id}
    row = {"completed_at": at.isoformat(), "items": items}
    return _record(engine, "checklist.completed", case_id, at, payload, ChecklistRecord.__table__, row)  # type: ignore[attr-defined]


def correct_contact(engine: Engine, case_id: str, *, at: datetime, field: str, value: str, reason: str = "") -> str:
    payload = {"field": field, "value": value, "reason": reason}
    return _record(engine, "customer.contact_corrected", case_id, at, payload, None, None)
