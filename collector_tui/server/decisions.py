"""The servicer's side of the cycle, for the reference server's `--admin`: a submitted plan approved or rejected
with a reason, a promise settled kept or broken. Each changes the case, so the collector's next sync brings it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import Engine, select
from sqlmodel import Session

from collector_tui.server.models import AppliedMutation, CaseDoc
from collector_tui.server.store import save_doc


class PlanDecisionIn(BaseModel):
    decision: Literal["approved", "rejected"]
    reason: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _reasoned(self) -> PlanDecisionIn:
        if self.decision == "rejected" and not self.reason.strip():
            raise ValueError("a rejection needs its reason")
        return self


class PromiseSettledIn(BaseModel):
    status: Literal["kept", "partially_kept", "broken"]


class NotFound(LookupError):
    """No open case holds a record with that id."""


def _holder(session: Session, record_id: str) -> CaseDoc | None:
    """The open case holding a record (a plan or a promise): the one its mutation was applied to, else a search of
    the documents (the generated history's records came with no mutation)."""
    case_id = session.execute(select(AppliedMutation.case_id).where(AppliedMutation.id == record_id)).scalar()
    if case_id is None:
        quoted = json.dumps(record_id)
        case_id = session.execute(select(CaseDoc.id).where(CaseDoc.doc.contains(f'"id":{quoted}'))).scalar()  # type: ignore[attr-defined]
    row = session.get(CaseDoc, case_id) if case_id else None
    return row if row is not None and row.status == "open" else None


def _change(engine: Engine, record_id: str, kind: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    with Session(engine) as session:
        row = _holder(session, record_id)
        doc = json.loads(row.doc) if row is not None else {}
        record = next((r for r in doc.get(kind, []) if r.get("id") == record_id), None)
        if row is None or record is None:
            raise NotFound(record_id)
        change(record)
        save_doc(session, row, doc)
        session.commit()
        return {"case_id": row.id, "case_version": row.version, **record}


def decide_plan(engine: Engine, plan_id: str, *, approved: bool, reason: str, at: datetime) -> dict[str, Any]:
    """Approve or reject a submitted plan; the reason goes to the collector with the decision."""

    def decide(plan: dict[str, Any]) -> None:
        plan.update(status="approved" if approved else "rejected", decided_at=at.isoformat(), reason=reason)

    return _change(engine, plan_id, "plans", decide)


def settle_promise(engine: Engine, promise_id: str, *, status: str) -> dict[str, Any]:
    """Record what became of a promise: kept, partially kept or broken."""
    return _change(engine, promise_id, "promises", lambda promise: promise.update(status=status))


def submitted_plans(engine: Engine) -> list[dict[str, Any]]:
    """Every plan still waiting for a decision, for the admin to find its id."""
    found = []
    with Session(engine) as session:
        for case_id, assigned_to, raw in session.execute(
                select(CaseDoc.id, CaseDoc.assigned_to, CaseDoc.doc).where(CaseDoc.status == "open",
                                                                          CaseDoc.doc.contains('"plans":[{'))):  # type: ignore[attr-defined]
            for plan in json.loads(raw).get("plans", []):
                if plan.get("status") == "submitted":
                    found.append({"id": plan["id"], "case_id": case_id, "collector": assigned_to, "type": plan["type"],
                                  "created_at": plan.get("created_at")})
    return sorted(found, key=lambda p: (p["created_at"] or "", p["id"]))


class MessageReportIn(BaseModel):
    status: Literal["sent", "delivered", "failed"]
    reason: str = Field(default="", max_length=500)


def report_message(engine: Engine, message_id: str, *, status: str, reason: str, at: datetime) -> dict[str, Any]:
    """What the gateway reports of a message (sent, delivered, or failed and why); a held one is sent so."""

    def report(message: dict[str, Any]) -> None:
        message.update(status=status, status_at=at.isoformat(), reason=reason)
        message.pop("send_at", None)

    return _change(engine, message_id, "messages", report)
