"""Plan drafts: kept in the cache as the collector types, so a restart or a crash loses nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from collector_tui.storage.engine import read, write
from collector_tui.storage.models import RepaymentPlan

T_PLAN = RepaymentPlan.__table__  # type: ignore[attr-defined]


def draft_id(case_id: str) -> str:
    return f"draft-{case_id}"  # one draft per case; never sent, so no UUID is needed


def save_draft(engine: Engine, case_id: str, values: dict[str, Any], at: datetime) -> None:
    row = {"id": draft_id(case_id), "case_id": case_id, "type": values.get("type", ""), "status": "draft",
           "created_at": at.isoformat(), "detail": values, "origin": "local"}
    stmt = sqlite_insert(T_PLAN).values(**row)
    with write(engine) as conn:
        conn.execute(stmt.on_conflict_do_update(index_elements=["id"], set_={"type": stmt.excluded.type,
                                                                             "detail": stmt.excluded.detail,
                                                                             "created_at": stmt.excluded.created_at}))


def load_draft(engine: Engine, case_id: str) -> dict[str, Any] | None:
    with read(engine) as conn:
        return conn.execute(select(T_PLAN.c.detail).where(T_PLAN.c.id == draft_id(case_id))).scalar()


def drop_draft(engine: Engine, case_id: str) -> None:
    with write(engine) as conn:
        conn.execute(delete(T_PLAN).where(T_PLAN.c.id == draft_id(case_id)))
