"""Apply one page of the server's case feed to the cache: every row of the page and its cursor in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from collector_tui.domain.money import to_minor
from collector_tui.domain.queue import queue_place
from collector_tui.domain.stages import stage_for_dpd
from collector_tui.storage.engine import write
from collector_tui.storage.models import (
    Callback,
    Case,
    ContactAttempt,
    Customer,
    Loan,
    Payment,
    Phone,
    PromiseToPay,
    RepaymentPlan,
    ScheduleItem,
    SyncState,
)
from collector_tui.sync.wire import CaseW, TombstoneW

T_CASE = Case.__table__  # type: ignore[attr-defined]
_CHILDREN = [t.__table__ for t in (Customer, Phone, Loan, ScheduleItem, Payment)]  # type: ignore[attr-defined]
# History tables hold local work too: the server's rows are replaced, local rows stay until the server has them.
_HISTORY = [t.__table__ for t in (ContactAttempt, PromiseToPay, Callback, RepaymentPlan)]  # type: ignore[attr-defined]


@dataclass
class PageResult:
    upserted: int = 0
    removed: int = 0


def _iso(value: object) -> str | None:
    return value.isoformat() if value is not None else None  # type: ignore[attr-defined]


def _case_row(c: CaseW) -> dict[str, object]:
    last = max((x.at for x in c.contacts), default=None)
    place = queue_place(c.loan.dpd, contacted=last is not None)
    return {
        "id": c.id, "version": c.version, "updated_at": c.updated_at.isoformat(), "status": c.status,
        "assigned_to": c.assigned_to, "customer_id": c.customer.id, "customer_name": c.customer.name,
        "dpd": c.loan.dpd, "stage": int(stage_for_dpd(c.loan.dpd)), "currency": c.loan.currency,
        "overdue_amount": str(c.loan.overdue_amount), "overdue_minor": to_minor(c.loan.overdue_amount, c.loan.currency),
        "priority": place.priority, "next_action": place.next_action, "last_contact_at": _iso(last),
    }


def _rows(cases: Sequence[CaseW]) -> dict[str, list[dict[str, object]]]:
    rows: dict[str, list[dict[str, object]]] = {t.name: [] for t in _CHILDREN + _HISTORY}
    for c in cases:
        cu, ln = c.customer, c.loan
        rows["customer"].append({
            "id": cu.id, "case_id": c.id, "name": cu.name, "locale": cu.locale, "timezone": cu.timezone,
            "birth_year": cu.birth_year, "id_number": cu.id_number,
            "contact_info_confirmed_at": _iso(cu.contact_info_confirmed_at),
            "address": cu.address.model_dump(mode="json"), "employment": cu.employment.model_dump(mode="json"),
            "student": cu.student.model_dump(mode="json") if cu.student else None,
            "consents": cu.consents.model_dump(mode="json"),
            "bureau": cu.bureau.model_dump(mode="json") if cu.bureau else None,
            "extra": cu.model_dump(mode="json", include={"emails", "contact_changes", "emergency_contacts",
                                                         "monthly_income", "suppressions"}),
        })
        for p in cu.phones:
            rows["phone"].append({"case_id": c.id, "number": p.number, "type": p.type, "verified": p.verified,
                                  "reachable": p.reachable, "added_at": _iso(p.added_at),
                                  "last_reached_at": _iso(p.last_reached_at)})
        rows["loan"].append({
            "case_id": c.id, **ln.model_dump(mode="json"),
            "extra": c.model_dump(mode="json", include={"spending", "deferral_requests"}),
        })
        for s in c.schedule:
            rows["scheduleitem"].append({"case_id": c.id, **s.model_dump(mode="json")})
        for pm in c.payments:
            rows["payment"].append({"case_id": c.id, "ref": pm.id, **pm.model_dump(mode="json", exclude={"id"})})
        for ct in c.contacts:
            rows["contactattempt"].append({"case_id": c.id, "origin": "server", **ct.model_dump(mode="json")})
        for pr in c.promises:
            rows["promisetopay"].append({"case_id": c.id, "origin": "server", **pr.model_dump(mode="json")})
        for cb in c.callbacks:
            rows["callback"].append({"case_id": c.id, "origin": "server", **cb.model_dump(mode="json")})
        for pl in c.plans:
            rows["repaymentplan"].append({"case_id": c.id, "origin": "server", "id": pl.id, "type": pl.type,
                                          "status": pl.status, "created_at": _iso(pl.created_at) or "",
                                          "detail": pl.detail})
    return rows


def apply_page(engine: Engine, items: Sequence[CaseW | TombstoneW], next_cursor: str | None, now: datetime) -> PageResult:
    """Write a page and its cursor together: a crash leaves the cache at a page boundary, never half a page."""
    cases = [i for i in items if isinstance(i, CaseW)]
    gone = [i.id for i in items if isinstance(i, TombstoneW)] + [c.id for c in cases if c.status == "closed"]
    cases = [c for c in cases if c.status == "open"]
    ids = [c.id for c in cases]
    rows = _rows(cases)
    with write(engine) as conn:
        if gone:
            # Cascades purge the personal data; pending work stays in the outbox, which has no foreign key.
            conn.execute(delete(T_CASE).where(T_CASE.c.id.in_(gone)))
        if cases:
            for table in _CHILDREN:
                conn.execute(delete(table).where(table.c.case_id.in_(ids)))
            for table in _HISTORY:
                server_ids = [r["id"] for r in rows[table.name]]
                conn.execute(delete(table).where(table.c.case_id.in_(ids), table.c.origin == "server"))
                if server_ids:  # a local record the server now holds is replaced by the server's copy
                    conn.execute(delete(table).where(table.c.id.in_(server_ids)))
            stmt = sqlite_insert(T_CASE)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["id"], set_={k: stmt.excluded[k] for k in _case_row(cases[0]) if k != "id"}
                ),
                [_case_row(c) for c in cases],
            )
            for table in _CHILDREN + _HISTORY:
                if rows[table.name]:
                    conn.execute(table.insert(), rows[table.name])
        conn.execute(
            update(SyncState.__table__).where(SyncState.__table__.c.id == 1)  # type: ignore[attr-defined]
            .values(cursor=next_cursor, last_sync_at=now.isoformat())
        )
    return PageResult(upserted=len(cases), removed=len(gone))
