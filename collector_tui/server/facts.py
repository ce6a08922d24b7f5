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

from sqlalchemy import Connection, delete, event, insert, inspect, tuple_
from sqlalchemy.orm import Session

from collector_tui.domain.contact_rules import NOT_A_CONTACT
from collector_tui.server.models import CaseContact, CaseDoc, CasePromise

T_CONTACT = CaseContact.__table__  # type: ignore[attr-defined]
T_PROMISE = CasePromise.__table__  # type: ignore[attr-defined]
_WATCHED = ("doc", "status", "assigned_to", "team_id")
_PENDING = "collector_tui.facts"  # Session.info key: cases flushed whose rows are still to be rewritten
_CHUNK = 5000
_ROWS = 1000  # rows per INSERT: 12 columns stay under SQLite's 32,766 variables


@dataclass(frozen=True)
class CaseFacts:
    case_id: str
    columns: dict[str, Any]  # casedoc's dpd, overdue_since, timezone, first_contact_at, card
    contacts: list[dict[str, Any]]  # its contacts counted per collector, local day and hour, channel, outcome, target
    promises: list[dict[str, Any]]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def case_facts(case_id: str, team_id: str, assigned_to: str, status: str, doc: dict[str, Any]) -> CaseFacts:
    """Read one case's counted facts from its document (the definitions are those of docs/team.md).

    Each contact row is one bucket of the team figures' `contacts`, with its count and its JSON already
    written (`item`), and the case's `card` is its entry in `cases` but for the promises, which depend on the
    range asked for: the figures are then joined text, not rows built into objects (server/contact_stats.py)."""
    loan, customer = doc.get("loan") or {}, doc.get("customer") or {}
    zone = customer.get("timezone") or "Asia/Shanghai"
    tz = ZoneInfo(zone)
    since = loan.get("overdue_since")
    first: datetime | None = None
    buckets: dict[tuple[str, date, int, str, str, str], int] = {}
    reached_in: dict[tuple[str, date, int, str, str, str], bool] = {}
    for c in doc.get("contacts") or []:
        at = datetime.fromisoformat(c["at"]).astimezone(tz)
        target = c.get("target", "customer")
        reached = target == "customer" and c["disposition"] not in NOT_A_CONTACT
        if reached and (since is None or at.date().isoformat() >= since) and (first is None or at < first):
            first = at
        key = (c.get("collector") or assigned_to, at.date(), at.hour, c["channel"], c["disposition"], target)
        buckets[key] = buckets.get(key, 0) + 1
        reached_in[key] = reached
    contacts = [{"case_id": case_id, "n": n, "team_id": team_id, "collector": who, "day": day, "local_hour": hour,
                 "channel": channel, "disposition": disposition, "target": target, "reached": reached_in[key],
                 "count": count,
                 "item": _json({"collector": who, "case_id": case_id, "day": day.isoformat(), "local_hour": hour,
                                "channel": channel, "disposition": disposition, "target": target, "count": count})}
                for n, (key, count) in enumerate(buckets.items())
                for who, day, hour, channel, disposition, target in (key,)]
    promises = [{"case_id": case_id, "n": n, "team_id": team_id, "due_date": date.fromisoformat(p["due_date"]),
                 "status": p["status"]} for n, p in enumerate(doc.get("promises") or []) if p.get("due_date")]
    dpd = int(loan.get("dpd") or 0)
    first_at = first.isoformat() if first else None
    card = _json({"case_id": case_id, "collector": assigned_to, "dpd": dpd, "overdue_since": since, "timezone": zone,
                  "first_contact_at": first_at})[:-1]  # the promises' counts follow
    columns = {"dpd": dpd, "overdue_since": date.fromisoformat(since) if since else None, "timezone": zone,
               "first_contact_at": first_at, "card": card}
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
        # One multi-row INSERT per chunk: a push writes a few cases' rows in one round trip.
        for i in range(0, len(rows), _ROWS):
            conn.execute(insert(table).values(rows[i:i + _ROWS]))


def index_rows(conn: Connection, rows: list[dict[str, Any]], *, fresh: bool = False) -> None:
    """For casedoc rows about to be inserted in bulk (dicts with id, team_id, assigned_to, status, doc): fill in
    their fact columns, in place, and write their contact and promise rows."""
    facts = []
    for row in rows:
        f = case_facts(row["id"], row["team_id"], row["assigned_to"], row.get("status", "open"), json.loads(row["doc"]))
        row.update(f.columns)
        facts.append(f)
    write_facts(conn, facts, fresh=fresh)


def write_changes(conn: Connection, changes: Iterable[tuple[CaseFacts, CaseFacts | None]]) -> None:
    """Bring the rows of changed cases up to date: where the facts before the change are known, only the rows
    that differ are deleted and written (a contact logged adds or recounts one row), the others in full."""
    changes = list(changes)
    whole: list[CaseFacts] = []
    for table, kind in ((T_CONTACT, "contacts"), (T_PROMISE, "promises")):
        stale: list[tuple[str, int]] = []
        fresh: list[dict[str, Any]] = []
        for new, old in changes:
            if old is None:
                if kind == "contacts":
                    whole.append(new)
                continue
            before = {r["n"]: r for r in getattr(old, kind)}
            after = {r["n"]: r for r in getattr(new, kind)}
            stale += [(new.case_id, n) for n, r in before.items() if after.get(n) != r]
            fresh += [r for n, r in after.items() if before.get(n) != r]
        for i in range(0, len(stale), _ROWS):
            conn.execute(delete(table).where(tuple_(table.c.case_id, table.c.n).in_(stale[i:i + _ROWS])))
        for i in range(0, len(fresh), _ROWS):
            conn.execute(insert(table).values(fresh[i:i + _ROWS]))
    if whole:
        write_facts(conn, whole)


def _before(state: Any, name: str) -> Any:
    """An attribute's value as loaded, before this flush's change (None when it was never loaded)."""
    history = state.attrs[name].history
    if history.deleted:
        return history.deleted[0]
    return history.unchanged[0] if history.unchanged else None


@event.listens_for(Session, "before_flush")
def _read_changed_cases(session: Session, _flush_context: Any, _instances: Any) -> None:
    changed: list[tuple[CaseFacts, CaseFacts | None]] = []
    for obj in (*session.new, *session.dirty):
        if not isinstance(obj, CaseDoc):
            continue
        state = inspect(obj)
        if not state.pending and not any(state.attrs[a].history.has_changes() for a in _WATCHED):
            continue
        f = case_facts(obj.id, obj.team_id, obj.assigned_to, obj.status, json.loads(obj.doc))
        old = None
        if not state.pending:
            before = {a: _before(state, a) for a in _WATCHED}
            if all(v is not None for v in before.values()):
                old = case_facts(obj.id, before["team_id"], before["assigned_to"], before["status"],
                                 json.loads(before["doc"]))
        for name, value in f.columns.items():
            if getattr(obj, name) != value:
                setattr(obj, name, value)
        changed.append((f, old))
    if changed:
        pending = session.info.setdefault(_PENDING, {})
        pending.update({f.case_id: (f, old) for f, old in changed})


@event.listens_for(Session, "after_flush")
def _write_changed_cases(session: Session, _flush_context: Any) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        write_changes(session.connection(), list(pending.values()))
