"""Personal data: revealing it (always audited first) and erasing it on request."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from collector_tui.storage import audit
from collector_tui.storage.purge import purge_all, purge_case

__all__ = ["REVEALED", "purge_all", "purge_case", "reveal"]

REVEALED = "phones,id_number,name,address"  # what a reveal shows, as the audit records it


def reveal(engine: Engine, case_id: str, *, actor: str, now: datetime) -> None:
    """Record the reveal; the caller shows the data only after this returns (no reveal goes unrecorded)."""
    audit.record(engine, at=now, actor=actor, action="reveal", case_id=case_id, detail=REVEALED)
