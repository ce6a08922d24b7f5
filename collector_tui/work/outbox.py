"""The outbox as the collector handles it: what waits, what the server refused, retry and discard."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from collector_tui.storage import outbox
from collector_tui.storage.outbox import Entry, entries, get, retry
from collector_tui.work.identity import require_user

__all__ = ["Entry", "discard", "entries", "get", "retry", "states_for"]


def discard(engine: Engine, entry_id: str, *, actor: str, at: datetime) -> Entry | None:
    """Drop an entry and its local record for good, audited under `actor` (NoUser when empty)."""
    return outbox.discard(engine, entry_id, actor=require_user(actor), at=at)


def states_for(items: list[Entry], case_id: str) -> dict[str, str]:
    """Each local record of a case that is still in the outbox: pending, or failed."""
    return {e.id: e.state for e in items if e.case_id == case_id}
