"""Build the rules' view of cases (domain.facts.CaseFacts) from the cache, in bulk."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select

from collector_tui.domain import facts as F
from collector_tui.storage.engine import read
from collector_tui.storage.models import Callback, Case, ContactAttempt, Customer, Loan, Payment, Phone, PromiseToPay


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _grouped(conn: Any, model: Any, ids: list[str] | None, order: Any) -> dict[str, list[Any]]:
    table = model.__table__
    stmt = select(table).order_by(table.c.case_id, order)
    if ids is not None:
        stmt = stmt.where(table.c.case_id.in_(ids))
    out: dict[str, list[Any]] = defaultdict(list)
    for row in conn.execute(stmt).mappings():
        out[row["case_id"]].append(row)
    return out


def load_facts(engine: Engine, case_ids: Iterable[str] | None = None) -> list[F.CaseFacts]:
    """Facts for the given open cases, or for every open case."""
    with read(engine) as conn:
        return facts_in(conn, case_ids)


def facts_in(conn: Any, case_ids: Iterable[str] | None = None) -> list[F.CaseFacts]:
    """The same inside an open transaction (a sync page re-placing cases that hold local work)."""
    ids = list(case_ids) if case_ids is not None else None
    stmt = (select(Case.__table__, Customer.__table__.c.timezone.label("tz"), Customer.__table__.c.birth_year,  # type: ignore[attr-defined]
                   Customer.__table__.c.contact_info_confirmed_at, Customer.__table__.c.address,  # type: ignore[attr-defined]
                   Customer.__table__.c.employment, Customer.__table__.c.student, Customer.__table__.c.consents,  # type: ignore[attr-defined]
                   Customer.__table__.c.bureau, Customer.__table__.c.extra.label("cx"),  # type: ignore[attr-defined]
                   Loan.__table__.c.overdue_since, Loan.__table__.c.due_day, Loan.__table__.c.extra.label("lx"))  # type: ignore[attr-defined]
            .join(Customer.__table__, Customer.__table__.c.case_id == Case.__table__.c.id)  # type: ignore[attr-defined]
            .join(Loan.__table__, Loan.__table__.c.case_id == Case.__table__.c.id)  # type: ignore[attr-defined]
            .where(Case.__table__.c.status == "open"))  # type: ignore[attr-defined]
    if ids is not None:
        stmt = stmt.where(Case.__table__.c.id.in_(ids))  # type: ignore[attr-defined]
    cases = conn.execute(stmt).mappings().all()
    phones = _grouped(conn, Phone, ids, Phone.__table__.c.id)  # type: ignore[attr-defined]
    contacts = _grouped(conn, ContactAttempt, ids, ContactAttempt.__table__.c.at)  # type: ignore[attr-defined]
    promises = _grouped(conn, PromiseToPay, ids, PromiseToPay.__table__.c.due_date)  # type: ignore[attr-defined]
    callbacks = _grouped(conn, Callback, ids, Callback.__table__.c.at)  # type: ignore[attr-defined]
    payments = _grouped(conn, Payment, ids, Payment.__table__.c.date)  # type: ignore[attr-defined]
    return [_facts(c, phones[c["id"]], contacts[c["id"]], promises[c["id"]], callbacks[c["id"]], payments[c["id"]])
            for c in cases]


def _facts(c: Any, phones: list[Any], contacts: list[Any], promises: list[Any], callbacks: list[Any],
           payments: list[Any]) -> F.CaseFacts:
    employment = c["employment"] or {}
    student = c["student"]
    extra = c["cx"] or {}
    loan_extra = c["lx"] or {}
    bureau = c["bureau"] or {}
    return F.CaseFacts(
        case_id=c["id"], dpd=c["dpd"], overdue_amount=Decimal(c["overdue_amount"]), currency=c["currency"],
        timezone=c["tz"], overdue_since=_d(c["overdue_since"]), due_day=c["due_day"], birth_year=c["birth_year"],
        employment_type=employment.get("type", "salaried"), has_contract=bool(employment.get("has_contract")),
        income_sources=int(employment.get("income_sources", 1)), employment_started=_d(employment.get("started_at")),
        monthly_income=tuple(Decimal(m["amount"]) for m in extra.get("monthly_income", [])),
        contact_info_confirmed_at=_d(c["contact_info_confirmed_at"]),
        address_mismatch_at=_d((c["address"] or {}).get("mismatch_reported_at")),
        emergency_contacts=len(extra.get("emergency_contacts", [])),
        student_status=student.get("status") if student else None,
        student_completed_study=bool(student.get("completed_required_study", True)) if student else True,
        school_changes_12m=int(student.get("school_changes_12m", 0)) if student else 0,
        payments=tuple(F.Payment(_d(p["date"]), Decimal(p["amount"]), bool(p["minimum_only"])) for p in payments),  # type: ignore[arg-type]
        deferral_requests=tuple(_d(r["at"]) for r in loan_extra.get("deferral_requests", [])),  # type: ignore[misc]
        contact_changes=tuple(F.ContactChange(_d(x["at"]), x["field"], bool(x["reported_by_customer"]))  # type: ignore[arg-type]
                              for x in extra.get("contact_changes", [])),
        phones=tuple(F.Phone(p["number"], bool(p["reachable"]), _d(p["added_at"]), _dt(p["last_reached_at"]), p["type"])
                     for p in phones),
        spending=tuple(F.SpendingMonth(s["month"], Decimal(s["total"]), Decimal(s["largest"]), Decimal(s["investment_share"]))
                       for s in loan_extra.get("spending", [])),
        active_lenders=int(bureau.get("active_lenders", 0)), total_debt=Decimal(bureau.get("total_debt", "0")),
        consents=dict((c["consents"] or {}).get("channels", {})),
        suppressions=tuple(F.Suppression(s["type"], s.get("channel"), _d(s.get("since")), s.get("number"),
                                         s.get("origin", "server"), _d(s.get("lifted_at")), s.get("reason", ""),
                                         s.get("hours", ""))
                           for s in extra.get("suppressions", [])),
        contacts=tuple(F.Contact(_dt(x["at"]), x["channel"], x["disposition"], x["target"], x["number"] or "",  # type: ignore[arg-type]
                                 local=x["origin"] == "local", scope=x["scope"] or "")
                       for x in contacts),
        promises=tuple(F.Promise(_dt(p["made_at"]), _d(p["due_date"]), Decimal(p["amount"]), p["status"])  # type: ignore[arg-type]
                       for p in promises),
        callbacks=tuple(_dt(cb["at"]) for cb in callbacks),  # type: ignore[misc]
    )
