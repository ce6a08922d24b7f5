"""Local-first actions: each writes its record and its outbox entry in one transaction."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, select
from uuid6 import uuid7

from collector_tui.storage.engine import write
from collector_tui.storage.models import (
    Callback,
    Case,
    ChecklistRecord,
    ContactAttempt,
    Message,
    PromiseToPay,
    RepaymentPlan,
)
from collector_tui.storage.outbox_rows import enqueue


class UnknownCase(LookupError):
    """The case is not (or no longer) in this collector's cache."""


def new_id() -> str:
    """A UUIDv7: time-ordered, made here, the server's idempotency key."""
    return str(uuid7())


def _record_in(conn: Connection, mtype: str, case_id: str, occurred_at: datetime, payload: dict[str, Any],
               table: Any | None, row: dict[str, Any] | None) -> str:
    entry_id = new_id()
    version = conn.execute(select(Case.version).where(Case.id == case_id)).scalar()
    if version is None:
        raise UnknownCase(case_id)
    if table is not None and row is not None:
        conn.execute(table.insert().values(id=entry_id, case_id=case_id, **row))
    enqueue(conn, id=entry_id, type=mtype, case_id=case_id, base_version=version, occurred_at=occurred_at,
            payload=payload)
    return entry_id


def _record(engine: Engine, mtype: str, case_id: str, occurred_at: datetime, payload: dict[str, Any],
            table: Any | None, row: dict[str, Any] | None) -> str:
    with write(engine) as conn:
        return _record_in(conn, mtype, case_id, occurred_at, payload, table, row)


def contact_payload(channel: str, disposition: str, target: str, number: str, duration_s: int, note: str,
                    scope: str = "") -> dict[str, Any]:
    """A contact as it is pushed (`contact.logged`): what the use case checks against the API's limits first."""
    payload: dict[str, Any] = {"channel": channel, "target": target, "number": number, "disposition": disposition,
                               "duration_s": duration_s, "note": note}
    if scope:
        payload["scope"] = scope
    return payload


def promise_payload(due: date, amount: Decimal, currency: str) -> dict[str, Any]:
    """A promise to pay as it is pushed (`promise.created`)."""
    return {"due_date": due.isoformat(), "amount": str(amount), "currency": currency}


def callback_payload(at: datetime, note: str) -> dict[str, Any]:
    """A callback as it is pushed (`callback.scheduled`)."""
    return {"at": at.isoformat(), "note": note}


def _contact_parts(at: datetime, channel: str, disposition: str, target: str, number: str, duration_s: int,
                   note: str, collector: str, scope: str = "") -> tuple[dict[str, Any], dict[str, Any]]:
    payload = contact_payload(channel, disposition, target, number, duration_s, note, scope)
    return payload, {**payload, "at": at.isoformat(), "collector": collector, "origin": "local"}


def record_outcome(engine: Engine, case_id: str, *, at: datetime, channel: str, disposition: str, target: str,
                   number: str, duration_s: int, note: str, collector: str, checklist: dict[str, bool] | None,
                   promise: tuple[date, Decimal, str] | None = None, callback: datetime | None = None,
                   scope: str = "") -> list[str]:
    """A whole outcome (the contact, its checklist where one was worked, any promise or callback) in one
    transaction: all of it is kept, or none of it."""
    ids = []
    with write(engine) as conn:
        payload, row = _contact_parts(at, channel, disposition, target, number, duration_s, note, collector, scope)
        contact_id = _record_in(conn, "contact.logged", case_id, at, payload, ContactAttempt.__table__, row)  # type: ignore[attr-defined]
        ids.append(contact_id)
        if checklist is not None:
            ids.append(_record_in(conn, "checklist.completed", case_id, at,
                                  {"items": checklist, "contact_id": contact_id},
                                  ChecklistRecord.__table__, {"completed_at": at.isoformat(), "items": checklist}))  # type: ignore[attr-defined]
        if promise is not None:
            due, amount, currency = promise
            ids.append(_record_in(conn, "promise.created", case_id, at, promise_payload(due, amount, currency),
                                  PromiseToPay.__table__,  # type: ignore[attr-defined]
                                  {"made_at": at.isoformat(), "due_date": due.isoformat(), "amount": str(amount),
                                   "status": "outstanding", "origin": "local"}))
        if callback is not None:
            ids.append(_record_in(conn, "callback.scheduled", case_id, at, callback_payload(callback, note),
                                  Callback.__table__, {"at": callback.isoformat(), "note": note, "origin": "local"}))  # type: ignore[attr-defined]
    return ids


def log_contact(engine: Engine, case_id: str, *, at: datetime, channel: str, disposition: str, target: str = "customer",
                number: str = "", duration_s: int = 0, note: str = "", collector: str = "") -> str:
    """Write a contact as given, unchecked (the use cases check first: collector_tui.work.contact)."""
    payload, row = _contact_parts(at, channel, disposition, target, number, duration_s, note, collector)
    return _record(engine, "contact.logged", case_id, at, payload, ContactAttempt.__table__, row)  # type: ignore[attr-defined]


def add_promise(engine: Engine, case_id: str, *, at: datetime, due: date, amount: Decimal, currency: str) -> str:
    """Write a promise to pay as given, unchecked (the use case checks first: collector_tui.work.promise)."""
    payload = promise_payload(due, amount, currency)
    row = {"made_at": at.isoformat(), "due_date": due.isoformat(), "amount": str(amount), "status": "outstanding",
           "origin": "local"}
    return _record(engine, "promise.created", case_id, at, payload, PromiseToPay.__table__, row)  # type: ignore[attr-defined]


def request_message(engine: Engine, case_id: str, *, at: datetime, channel: str, to: str, template: str, body: str,
                    locale: str, collector: str, number: str = "") -> list[str]:
    """A message asked for: the contact it is (on its channel, outcome `message_left`) and the message itself, each
    with its outbox entry, in one transaction. Returns [contact id, message id]."""
    with write(engine) as conn:
        payload, row = _contact_parts(at, channel, "message_left", "customer", number, 0, "", collector)
        contact_id = _record_in(conn, "contact.logged", case_id, at, payload, ContactAttempt.__table__, row)  # type: ignore[attr-defined]
        message = {"channel": channel, "to": to, "template": template, "body": body, "locale": locale,
                   "contact_id": contact_id}
        message_id = _record_in(conn, "message.requested", case_id, at, message, Message.__table__,  # type: ignore[attr-defined]
                                {"requested_at": at.isoformat(), "channel": channel, "to": to, "template": template,
                                 "body": body, "status": "requested", "origin": "local"})
    return [contact_id, message_id]


def submit_plan(engine: Engine, case_id: str, *, at: datetime, plan_type: str, detail: dict[str, Any]) -> str:
    payload = {"type": plan_type, **detail}
    row = {"type": plan_type, "status": "submitted", "created_at": at.isoformat(), "detail": detail, "origin": "local"}
    return _record(engine, "plan.submitted", case_id, at, payload, RepaymentPlan.__table__, row)  # type: ignore[attr-defined]
