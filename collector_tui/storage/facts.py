"""Build the rules' view of cases (domain.facts.CaseFacts) from the cache, in bulk."""

from __future__ import annotations

import json
import sqlite3
import sys
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from collector_tui.domain import facts as F

if TYPE_CHECKING:
    from sqlalchemy import Engine


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# The rules' columns only, read through the driver: SQLAlchemy's row and type processing cost more than
# placing the cases did when a whole queue is re-placed.
CASE_SQL = ('SELECT c.id, c.dpd, c.overdue_amount, c.currency, u.timezone AS tz, u.birth_year, '
            'u.contact_info_confirmed_at, u.address, u.employment, u.student, u.consents, u.bureau, u.extra AS cx, '
            'l.overdue_since, l.due_day, l.extra AS lx FROM "case" c JOIN customer u ON u.case_id = c.id '
            "JOIN loan l ON l.case_id = c.id WHERE c.status = 'open'")
JSON_COLUMNS = ("address", "employment", "student", "consents", "bureau", "cx", "lx")
# Each case's own records, in the order the rules expect them.
CHILD_SQL = (
    "SELECT case_id, number, reachable, added_at, last_reached_at, type FROM phone",
    "SELECT case_id, at, channel, disposition, target, number, origin, scope FROM contactattempt",
    "SELECT case_id, made_at, due_date, amount, status FROM promisetopay",
    "SELECT case_id, at FROM callback",
    "SELECT case_id, date, amount, minimum_only FROM payment",
)
CHILD_ORDER = ("id", "at", "due_date", "at", "date")


def _where(column: str, ids: list[str] | None, joiner: str) -> str:
    return "" if ids is None else f" {joiner} {column} IN ({','.join('?' * len(ids))})"


def load_facts(engine: Engine, case_ids: Iterable[str] | None = None) -> list[F.CaseFacts]:
    """Facts for the given open cases, or for every open case."""
    # start-up: `queue --json` reads facts on sqlite3 alone (facts_from_db), without the database toolkit
    from collector_tui.storage.engine import read

    with read(engine) as conn:
        return facts_in(conn, case_ids)


def facts_in(conn: Any, case_ids: Iterable[str] | None = None) -> list[F.CaseFacts]:
    """The same inside an open transaction (a sync page re-placing cases that hold local work)."""
    return facts_from_db(conn.connection.driver_connection, case_ids, conn.engine.url.database or "")


def facts_from_db(db: Any, case_ids: Iterable[str] | None = None, path: Path | str = "") -> list[F.CaseFacts]:
    """The same on a DB-API connection to the cache at `path` (sqlite3's, or SQLCipher's for an encrypted one)."""
    ids = list(case_ids) if case_ids is not None else None
    if ids == []:
        return []
    cursor = db.cursor()
    try:
        # Rows by column name: the driver's own Row (sqlite3's, or SQLCipher's for an encrypted cache).
        cursor.row_factory = getattr(sys.modules[type(cursor).__module__], "Row", sqlite3.Row)
        params = ids or ()
        children: list[dict[str, list[Any]]] = []
        for sql, order in zip(CHILD_SQL, CHILD_ORDER):
            grouped: dict[str, list[Any]] = defaultdict(list)
            for row in cursor.execute(f"{sql}{_where('case_id', ids, 'WHERE')} ORDER BY case_id, {order}", params):
                grouped[row[0]].append(row)
            children.append(grouped)
        phones, contacts, promises, callbacks, payments = children
        out = []
        loads = json.loads
        for row in cursor.execute(CASE_SQL + _where("c.id", ids, "AND"), params):
            c = dict(row)
            for column in JSON_COLUMNS:
                value = c[column]
                c[column] = loads(value) if value is not None else None
            key = c["id"]
            out.append(facts_from_rows(c, phones[key], contacts[key], promises[key], callbacks[key], payments[key]))
        return out
    except getattr(sys.modules[type(cursor).__module__], "Error", sqlite3.Error) as exc:
        # Read past SQLAlchemy, so past its error hook: a damaged page is still the one clear message.
        from collector_tui.storage.engine import CacheDamaged, damaged, is_damage  # start-up: only on an error

        if is_damage(exc):
            raise CacheDamaged(damaged(path, exc)) from None
        raise
    finally:
        cursor.close()


def facts_from_rows(c: Any, phones: list[Any], contacts: list[Any], promises: list[Any], callbacks: list[Any],
                    payments: list[Any]) -> F.CaseFacts:
    """One case's facts from its rows (mappings by column name, JSON columns decoded)."""
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
        spending=tuple(F.SpendingMonth(s["month"], Decimal(s["total"]), Decimal(s["largest"]),
                                       Decimal(s["investment_share"]))
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
