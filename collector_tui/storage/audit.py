"""The audit log: append-only record of reveals of personal data, exports and discards."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine, select
from uuid6 import uuid7

from collector_tui.storage.engine import read, write
from collector_tui.storage.models import AuditEntry
from collector_tui.storage.outbox_rows import enqueue

T_AUDIT = AuditEntry.__table__  # type: ignore[attr-defined]


def append(conn: Connection, *, at: datetime, actor: str, action: str, case_id: str | None = None, detail: str = "",
           push: bool = True) -> None:
    """Write an audit entry and queue it for the server, inside the caller's transaction. `push=False` keeps it
    here: for what the server did itself and already knows (a case it closed leaving this cache)."""
    conn.execute(T_AUDIT.insert().values(at=at.isoformat(), actor=actor, action=action, case_id=case_id, detail=detail))
    if not push:
        return
    enqueue(conn, id=str(uuid7()), type="audit.recorded", case_id=case_id or "", base_version=0, occurred_at=at,
            payload={"action": action, "actor": actor, "detail": detail})


def record(engine: Engine, *, at: datetime, actor: str, action: str, case_id: str | None = None,
           detail: str = "") -> None:
    with write(engine) as conn:
        append(conn, at=at, actor=actor, action=action, case_id=case_id, detail=detail)


def entries(engine: Engine, case_id: str | None = None) -> list[AuditEntry]:
    stmt = select(T_AUDIT).order_by(T_AUDIT.c.seq)
    if case_id is not None:
        stmt = stmt.where(T_AUDIT.c.case_id == case_id)
    with read(engine) as conn:
        return [AuditEntry(**r) for r in conn.execute(stmt).mappings().all()]
