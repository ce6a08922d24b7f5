"""Query functions the screens call: indexed, paged, never the whole portfolio at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, or_, select

from collector_tui.storage.engine import read
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
)

QUEUE_COLUMNS = (Case.id, Case.customer_name, Case.dpd, Case.stage, Case.currency, Case.overdue_amount,
                 Case.next_action, Case.priority, Case.last_contact_at)


@dataclass(frozen=True)
class QueueRow:
    id: str
    customer_name: str
    dpd: int
    stage: int
    currency: str
    overdue_amount: str
    next_action: str
    priority: int
    last_contact_at: str | None


@dataclass(frozen=True)
class QueueFilter:
    """What narrows the queue: free text (name, phone or case id) and a stage."""

    text: str = ""
    stage: int | None = None


def _where(q: QueueFilter) -> list[Any]:
    clauses: list[Any] = [Case.status == "open"]
    if q.stage is not None:
        clauses.append(Case.stage == q.stage)
    text = q.text.strip()
    if text:
        like = f"%{text}%"
        phone_match = select(Phone.case_id).where(Phone.number.like(like))  # type: ignore[attr-defined]
        clauses.append(or_(Case.id.like(like), Case.customer_name.like(like), Case.id.in_(phone_match)))  # type: ignore[attr-defined]
    return clauses


def queue_count(engine: Engine, q: QueueFilter = QueueFilter()) -> int:
    with read(engine) as conn:
        return int(conn.execute(select(func.count()).select_from(Case).where(*_where(q))).scalar_one())


def queue_page(engine: Engine, offset: int, limit: int, q: QueueFilter = QueueFilter()) -> list[QueueRow]:
    """One page of the queue in priority order (uses ix_case_queue)."""
    stmt = (
        select(*QUEUE_COLUMNS)
        .where(*_where(q))
        .order_by(Case.priority, Case.dpd.desc(), Case.overdue_minor.desc(), Case.id)  # type: ignore[attr-defined]
        .offset(offset)
        .limit(limit)
    )
    with read(engine) as conn:
        return [QueueRow(*row) for row in conn.execute(stmt).all()]


@dataclass
class CaseDetail:
    """Everything the profile shows about one case."""

    case: Case
    customer: Customer
    loan: Loan
    phones: list[Phone] = field(default_factory=list)
    schedule: list[ScheduleItem] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    contacts: list[ContactAttempt] = field(default_factory=list)
    promises: list[PromiseToPay] = field(default_factory=list)
    callbacks: list[Callback] = field(default_factory=list)
    plans: list[RepaymentPlan] = field(default_factory=list)


def case_detail(engine: Engine, case_id: str) -> CaseDetail | None:
    def rows(conn: Any, model: Any, *order: Any) -> list[Any]:
        table = model.__table__
        result = conn.execute(select(table).where(table.c.case_id == case_id).order_by(*order)).mappings().all()
        return [model(**r) for r in result]

    with read(engine) as conn:
        case_row = conn.execute(select(Case.__table__).where(Case.__table__.c.id == case_id)).mappings().first()  # type: ignore[attr-defined]
        if case_row is None:
            return None
        customer = rows(conn, Customer)
        loan = rows(conn, Loan)
        if not customer or not loan:
            return None
        return CaseDetail(
            case=Case(**case_row), customer=customer[0], loan=loan[0],
            phones=rows(conn, Phone, Phone.id),
            schedule=rows(conn, ScheduleItem, ScheduleItem.seq),
            payments=rows(conn, Payment, Payment.date),
            contacts=rows(conn, ContactAttempt, ContactAttempt.at.desc()),  # type: ignore[attr-defined]
            promises=rows(conn, PromiseToPay, PromiseToPay.made_at.desc()),  # type: ignore[attr-defined]
            callbacks=rows(conn, Callback, Callback.at),
            plans=rows(conn, RepaymentPlan, RepaymentPlan.created_at),
        )


def case_position(engine: Engine, case_id: str, q: QueueFilter = QueueFilter()) -> int | None:
    """Index of a case in the filtered queue, to jump the cursor to it."""
    with read(engine) as conn:
        target = conn.execute(
            select(Case.priority, Case.dpd, Case.overdue_minor).where(Case.id == case_id, *_where(q))
        ).first()
        if target is None:
            return None
        prio, dpd, minor = target
        before = or_(
            Case.priority < prio,
            (Case.priority == prio) & (Case.dpd > dpd),
            (Case.priority == prio) & (Case.dpd == dpd) & (Case.overdue_minor > minor),
            (Case.priority == prio) & (Case.dpd == dpd) & (Case.overdue_minor == minor) & (Case.id < case_id),
        )
        return int(conn.execute(select(func.count()).select_from(Case).where(*_where(q), before)).scalar_one())
