"""The outbox: every local record's mutation, kept until the server answers applied or duplicate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, select, update

from collector_tui.storage.audit import append
from collector_tui.storage.engine import read, write
from collector_tui.storage.models import (
    Callback,
    ChecklistRecord,
    ContactAttempt,
    Message,
    PromiseToPay,
    RepaymentPlan,
)
from collector_tui.storage.outbox_rows import T_OUTBOX
# The local table each mutation type writes, so a discard can take the local record back too.
LOCAL_TABLE = {
    "contact.logged": ContactAttempt.__table__,  # type: ignore[attr-defined]
    "promise.created": PromiseToPay.__table__,  # type: ignore[attr-defined]
    "callback.scheduled": Callback.__table__,  # type: ignore[attr-defined]
    "plan.submitted": RepaymentPlan.__table__,  # type: ignore[attr-defined]
    "checklist.completed": ChecklistRecord.__table__,  # type: ignore[attr-defined]
    "message.requested": Message.__table__,  # type: ignore[attr-defined]
}


@dataclass(frozen=True)
class Entry:
    seq: int
    id: str
    type: str
    case_id: str
    base_version: int
    occurred_at: str
    payload: dict[str, Any]
    state: str
    attempts: int
    last_error: str | None

    def wire(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "case_id": self.case_id, "base_version": self.base_version,
                "occurred_at": self.occurred_at, "payload": self.payload}


def entries(engine: Engine, states: tuple[str, ...] = ("pending", "failed"), limit: int | None = None) -> list[Entry]:
    stmt = select(T_OUTBOX).where(T_OUTBOX.c.state.in_(states)).order_by(T_OUTBOX.c.seq)
    if limit:
        stmt = stmt.limit(limit)
    with read(engine) as conn:
        return [Entry(**row) for row in conn.execute(stmt).mappings().all()]


def get(engine: Engine, entry_id: str) -> Entry | None:
    with read(engine) as conn:
        row = conn.execute(select(T_OUTBOX).where(T_OUTBOX.c.id == entry_id)).mappings().first()
    return Entry(**row) if row else None


def settle(engine: Engine, done: list[str], failed: dict[str, str], attempted: list[str]) -> None:
    """Record a push's answers in one transaction: done leave the outbox, failed keep the server's reason."""
    with write(engine) as conn:
        if attempted:
            conn.execute(update(T_OUTBOX).where(T_OUTBOX.c.id.in_(attempted)).values(attempts=T_OUTBOX.c.attempts + 1))
        if done:
            conn.execute(delete(T_OUTBOX).where(T_OUTBOX.c.id.in_(done)))
        for entry_id, reason in failed.items():
            conn.execute(update(T_OUTBOX).where(T_OUTBOX.c.id == entry_id).values(state="failed", last_error=reason))


def note_error(engine: Engine, ids: list[str], reason: str) -> None:
    """A transient failure: the entries stay pending; the reason is kept for the outbox list."""
    with write(engine) as conn:
        conn.execute(update(T_OUTBOX).where(T_OUTBOX.c.id.in_(ids))
                     .values(attempts=T_OUTBOX.c.attempts + 1, last_error=reason))


def retry(engine: Engine, entry_id: str, payload: dict[str, Any] | None = None) -> bool:
    """Put a failed entry back in line, optionally with a corrected payload."""
    values: dict[str, Any] = {"state": "pending", "last_error": None}
    if payload is not None:
        values["payload"] = payload
    with write(engine) as conn:
        done = conn.execute(update(T_OUTBOX).where(T_OUTBOX.c.id == entry_id).values(**values)).rowcount
    return bool(done)


def discard(engine: Engine, entry_id: str, *, actor: str, at: datetime) -> Entry | None:
    """Drop an entry and its local record for good; the audit log keeps what was dropped."""
    entry = get(engine, entry_id)
    if entry is None:
        return None
    with write(engine) as conn:
        conn.execute(delete(T_OUTBOX).where(T_OUTBOX.c.id == entry_id))
        table = LOCAL_TABLE.get(entry.type)
        if table is not None:
            conn.execute(delete(table).where(table.c.id == entry_id))
        append(conn, at=at, actor=actor, action="outbox.discard", case_id=entry.case_id,
               detail=f"{entry.type} {entry.id}: {entry.last_error or 'pending'}")
    return entry


def counts(engine: Engine, case_id: str | None = None) -> dict[str, int]:
    """Entries by state: every case's, or one case's."""
    stmt = select(T_OUTBOX.c.state, func.count()).group_by(T_OUTBOX.c.state)
    if case_id is not None:
        stmt = stmt.where(T_OUTBOX.c.case_id == case_id)
    with read(engine) as conn:
        return dict(conn.execute(stmt).all())  # type: ignore[arg-type]
