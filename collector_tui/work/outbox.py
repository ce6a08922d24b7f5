"""The outbox as the collector handles it: what waits, what the server refused, retry and discard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from collector_tui.storage import outbox, rescue as salvage
from collector_tui.storage.outbox import Entry, entries, get, retry
from collector_tui.work.identity import require_user

__all__ = ["Entry", "OtherUsersWork", "Rescued", "discard", "entries", "get", "rescue", "retry", "states_for", "who"]


def discard(engine: Engine, entry_id: str, *, actor: str, at: datetime) -> Entry | None:
    """Drop an entry and its local record for good, audited under `actor` (NoUser when empty). A contact takes
    the checklist made with it along (each discard audited): a checklist without its contact means nothing."""
    actor = require_user(actor)
    dropped = outbox.discard(engine, entry_id, actor=actor, at=at)
    if dropped is not None and dropped.type == "contact.logged":
        for e in entries(engine):
            if e.type == "checklist.completed" and e.payload.get("contact_id") == entry_id:
                outbox.discard(engine, e.id, actor=actor, at=at)
    return dropped


def who(entry: Entry, user: str) -> str:
    """Who made an entry: the actor an audit entry names, else this home's user (its entries are all theirs)."""
    actor = entry.payload.get("actor") if entry.type == "audit.recorded" else None
    return str(actor or user)


def states_for(items: list[Entry], case_id: str) -> dict[str, str]:
    """Each local record of a case that is still in the outbox: pending, or failed."""
    return {e.id: e.state for e in items if e.case_id == case_id}


class OtherUsersWork(Exception):
    """The damaged cache belonged to another user: their work is not pushed under this home's token."""

    def __init__(self, owner: str) -> None:
        super().__init__(owner)
        self.owner = owner


@dataclass(frozen=True)
class Rescued:
    added: int  # entries now in this cache's outbox
    already: int  # entries this outbox already held
    lost: int  # rows SQLite could no longer read
    pending: int
    failed: int


def rescue(engine: Engine, damaged: Path, *, user: str) -> Rescued:
    """Adopt what a damaged cache's outbox still holds into this cache's, to be pushed by the next sync. The
    work must be `user`'s (the user this cache belongs to) when the damaged file still says whose it was.
    sqlite3.DatabaseError when the damaged file has no readable outbox at all."""
    found = salvage.read_outbox(damaged)
    if found.user and found.user != require_user(user):
        raise OtherUsersWork(found.user)
    added, already = salvage.adopt(engine, found.rows)
    pending = sum(1 for r in found.rows if r["state"] == "pending")
    return Rescued(added, already, found.lost, pending, len(found.rows) - pending)
