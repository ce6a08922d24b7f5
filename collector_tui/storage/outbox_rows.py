"""Adding an entry to the outbox, inside the caller's transaction: the step every local record and audit entry shares.

The outbox's reads, pushes and discards are in `storage.outbox`, which records a discard in the audit log; the
audit log (`storage.audit`) queues its own entries here, so neither of the two imports the other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from collector_tui.storage.models import OutboxEntry

T_OUTBOX = OutboxEntry.__table__  # type: ignore[attr-defined]


def enqueue(conn: Connection, *, id: str, type: str, case_id: str, base_version: int, occurred_at: datetime,  # noqa: A002
            payload: dict[str, Any]) -> None:
    """Add an entry inside the caller's transaction, the one that writes the local record."""
    conn.execute(T_OUTBOX.insert().values(id=id, type=type, case_id=case_id, base_version=base_version,
                                          occurred_at=occurred_at.isoformat(), payload=payload, state="pending"))
