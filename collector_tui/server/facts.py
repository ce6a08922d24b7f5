"""What the team figures count, kept in columns beside each case document so SQL can group them.

A case's contacts and promises are rows of case_contact and case_promise, and its days past due, overdue
date, zone and first reached contact are columns of casedoc. They are rewritten from the document whenever
a case is written through a Session (the flush hooks below: mutations, churn, lifted suppressions, anything
that sets CaseDoc.doc), and by `index_rows` where documents are inserted in bulk (seeding, migrations), so
`GET /v1/team/contact-stats` never decodes a document. Only open cases have rows: a closed case counts nowhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, delete, event, insert, inspect
from sqlalchemy.orm import Session

from collector_tui.domain.contact_rules import NOT_A_CONTACT
from collector_tui.server.models import CaseContact, CaseDoc, CasePromise

T_CONTACT = CaseContact.__table__  # type: ignore[attr-defined]
T_PROMISE = CasePromise.__table__  # type: ignore[attr-defined]
_WATCHED = ("doc", "status", "assigned_to", "team_id")
_PENDING = "collector_tui.facts"  # Session.info key: cases flushed whose rows are still to be rewritten
_CHUNK = 5000


@dataclass(frozen=True)
class CaseFacts:
    case_id: str
    columns: dict[str, Any]  # casedoc's dpd, overdue_since, timezone, first_contact_at
    contacts: list[dict[str, Any]]
    promises: list[dict[str, Any]]


def case_facts(case_id: str, team_id: str, assigned_to: str, status: str, doc: dict[str, Any]) -> CaseFacts:
    """Read one case's counted facts from its document (the definitions are those of docs/team.md)."""
    loan, customer = doc.get("loan") or {}, doc.get("customer") or {}
    zone = customer.get("timezone") or "Asia/Shanghai"
    tz = ZoneInfo(zone)
    since = loan.get("overdue_since")
    first: datetime | None = None
    contacts: list[dict[str, Any]] = []
    for n, c in enumerate(doc.get("contacts") or []):
        at = datetime.fromisoformat(c["at"]).astimezone(tz)
        target = c.get("target", "customer")
        reached = target == "customer" and c["disposition"] not in NOT_A_CONTACT
        if reached and (since is None or at.date().isoformat() >= since) and (first is None or at < first):
            first = at
        contacts.append({"case_id": case_id, "n": n, "team_id": team_id, "collector": c.get("collector") or assigned_to,
                         "day": at.date(), "local_hour": at.hour, "channel": c["channel"],
                         "disposition": c["disposition"], "target": target, "reached": reached})
    promises = [{"case_id": case_id, "n": n, "team_id": team_id, "due_date": date.fromisoformat(p["due_date"]),
                 "status": p["status"]} for n, p in enumerate(doc.get("promises") or []) if p.get("due_date")]
    columns = {"dpd": int(loan.get("dpd") or 0), "overdue_since": date.fromisoformat(since) if since else None,
               "timezone": zone, "first_contact_at": first.isoformat() if first else None}
    if status != "open":
        contacts, promises = [], []
    return CaseFacts(case_id, columns, contacts, promises)


def write_facts(conn: Connection, facts: Iterable[CaseFacts], *, fresh: bool = False) -> None:
    """Replace the contact and promise rows of these cases (`fresh`: they have none yet)."""
    facts = list(facts)
    if not fresh:
        ids = sorted(f.case_id for f in facts)
        for i in range(0, len(ids), _CHUNK):
            part = ids[i:i + _CHUNK]
            conn.execute(delete(T_CONTACT).where(T_CONTACT.c.case_id.in_(part)))
            conn.execute(delete(T_PROMISE).where(T_PROMISE.c.case_id.in_(part)))
    for table, rows in ((T_CONTACT, [r for f in facts for r in f.contacts]),
                        (T_PROMISE, [r for f in facts for r in f.promises])):
        for i in range(0, len(rows), _CHUNK):
            conn.execute(insert(table), rows[i:i + _CHUNK])


def index_rows(conn: Connection, rows: list[dict[str, Any]], *, fresh: bool = False) -> None:
    """For casedoc rows about to be inserted in bulk (dicts with id, team_id, assigned_to, status, doc): fill in
    their fact columns, in place, and write their contact and promise rows."""
    facts = []
    for row in rows:
        f = case_facts(row["id"], row["team_id"], row["assigned_to"], row.get("status", "open"), json.loads(row["doc"]))
        row.update(f.columns)
        facts.append(f)
    write_facts(conn, facts, fresh=fresh)


@event.listens_for(Session, "before_flush")
def _read_changed_cases(session: Session, _flush_context: Any, _instances: Any) -> None:
    changed: list[CaseFacts] = []
    for obj in (*session.new, *session.dirty):
        if not isinstance(obj, CaseDoc):
            continue
        state = inspect(obj)
        if not state.pending and not any(state.attrs[a].history.has_changes() for a in _WATCHED):
            continue
        f = case_facts(obj.id, obj.team_id, obj.assigned_to, obj.status, json.loads(obj.doc))
        for name, value in f.columns.items():
            if getattr(obj, name) != value:
                setattr(obj, name, value)
        changed.append(f)
    if changed:
        session.info.setdefault(_PENDING, {}).update({f.case_id: f for f in changed})


@event.listens_for(Session, "after_flush")
def _write_changed_cases(session: Session, _flush_context: Any) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        write_facts(session.connection(), pending.values())
