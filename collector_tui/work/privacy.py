"""Personal data: revealing it (always audited first) and erasing it on request."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from collector_tui.storage import audit, outbox, purge
from collector_tui.work.identity import require_user

__all__ = ["REVEALED", "purge_all", "purge_case", "reveal", "unpushed"]

REVEALED = "phones,id_number,name,address"  # what a reveal shows, as the audit records it


def reveal(engine: Engine, case_id: str, *, actor: str, now: datetime) -> None:
    """Record the reveal; the caller shows the data only after this returns (no reveal goes unrecorded, and
    none is recorded without its actor: NoUser)."""
    audit.record(engine, at=now, actor=require_user(actor), action="reveal", case_id=case_id, detail=REVEALED)


def purge_case(engine: Engine, case_id: str, *, actor: str, at: datetime) -> int:
    """Erase one case's personal data (audited under `actor`; NoUser when empty); how many cases were erased."""
    return purge.purge_case(engine, case_id, actor=require_user(actor), at=at)


def purge_all(engine: Engine, *, actor: str, at: datetime) -> int:
    """Erase every case's personal data (audited under `actor`; NoUser when empty); how many were erased."""
    return purge.purge_all(engine, actor=require_user(actor), at=at)


def unpushed(engine: Engine, case_id: str | None = None) -> tuple[int, int]:
    """The work a purge keeps because the server does not have it yet: (waiting to be pushed, refused by the
    server and waiting for a fix), for one case or for every case."""
    states = outbox.counts(engine, case_id)
    return states.get("pending", 0), states.get("failed", 0)
