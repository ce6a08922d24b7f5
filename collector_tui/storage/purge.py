"""Erasing personal data on request: a case, or the whole cache. The audit log keeps that it happened."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete, func, select, update

from collector_tui.storage.audit import append
from collector_tui.storage.engine import write
from collector_tui.storage.models import Case, RepaymentPlan, SyncState, TeamStatsRow

T_CASE = Case.__table__  # type: ignore[attr-defined]


def _audit(conn, actor: str, at: datetime, case_id: str | None, detail: str) -> None:  # type: ignore[no-untyped-def]
    append(conn, at=at, actor=actor, action="purge", case_id=case_id, detail=detail)


def purge_case(engine: Engine, case_id: str, *, actor: str, at: datetime) -> int:
    """Delete the case and, by cascade, its customer, phones, loan, history and drafts."""
    with write(engine) as conn:
        gone = conn.execute(delete(T_CASE).where(T_CASE.c.id == case_id)).rowcount
        if gone:
            _audit(conn, actor, at, case_id, "case")
    return int(gone or 0)


def purge_all(engine: Engine, *, actor: str, at: datetime) -> int:
    """Every case, the team statistics and every draft; the next sync starts from scratch."""
    with write(engine) as conn:
        count = conn.execute(select(func.count()).select_from(T_CASE)).scalar_one()
        conn.execute(delete(T_CASE))
        conn.execute(delete(RepaymentPlan.__table__))  # type: ignore[attr-defined]
        conn.execute(delete(TeamStatsRow.__table__))  # type: ignore[attr-defined]
        conn.execute(update(SyncState.__table__).values(cursor=None))  # type: ignore[attr-defined]
        _audit(conn, actor, at, None, f"all ({count} cases)")
    return int(count)
