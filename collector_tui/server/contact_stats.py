"""`GET /v1/team/contact-stats`: contacts per collector, case, day, channel and disposition for a lead's team.

Grouped queries over indexed columns (server/facts.py keeps them): the collectors and the open cases each
holds (casedoc by team and status); every open case with its promises kept, partly kept and broken in the range
(case_promise by team and due day, grouped per case; on PostgreSQL the cases' cards are read from an index
alone); and the contacts in the range (case_contact by team and
day: one row per collector, case, local day, local hour, channel, disposition and target, counted when the
case was written). Each case's and each contact row's JSON is written with the row, so the answer is their
text joined by the database (string_agg on PostgreSQL): no document is decoded and no object is built per
row, and a team's figures cost the server a few queries however many contacts they hold.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import msgspec
from psycopg.adapt import Loader
from psycopg.pq import Format
from sqlalchemy import Integer, String, case, cast, func, literal, select
from sqlmodel import Session

from collector_tui.server.models import Account, CaseContact, CaseDoc, CasePromise

_encode = msgspec.json.Encoder().encode


def _postgres(db: Session) -> bool:
    return db.get_bind().dialect.name == "postgresql"


class _TextAsBytes(Loader):
    """A text value as the bytes the database sent (UTF-8, the connection's encoding): nothing decoded."""

    format = Format.BINARY

    def load(self, data: Any) -> bytes:
        return bytes(data)


def _joined(db: Session, query: Any) -> bytes:
    """The text column of `query`'s rows joined with commas, as UTF-8: by the database on PostgreSQL, handed
    over in binary as the bytes it built (in text it would travel escaped; decoded, it would be encoded again;
    a conversion to bytea in the statement would copy it there once more); here on SQLite."""
    if not _postgres(db):
        return ",".join(db.execute(query).scalars()).encode()
    rows = query.subquery()
    driver = db.connection().connection.driver_connection
    joined = func.string_agg(rows.c[0], literal(","))
    if driver.info.encoding != "utf-8":  # type: ignore[union-attr]
        joined = func.convert_to(joined, "UTF8")
    compiled = select(joined).compile(dialect=db.get_bind().dialect)
    with driver.cursor(binary=True) as cur:  # type: ignore[union-attr]
        cur.adapters.register_loader("text", _TextAsBytes)
        row = cur.execute(str(compiled), compiled.params).fetchone()
    return bytes(row[0]) if row and row[0] is not None else b""


def contact_stats(db: Session, lead: Account, start: date, end: date, took: dict[str, float] | None = None) -> bytes:
    """Figures for every open case the lead's team holds, as the JSON body of a TeamStats; days are the
    customer's local days. Cases and contacts come in no particular order. `took` gets each part's ms."""
    team = lead.team_id
    took = {} if took is None else took
    t0 = time.perf_counter()

    def lap(part: str) -> None:
        nonlocal t0
        now = time.perf_counter()
        took[part] = round((now - t0) * 1000, 2)
        t0 = now

    held = (select(CaseDoc.assigned_to, func.count().label("n"))
            .where(CaseDoc.team_id == team, CaseDoc.status == "open").group_by(CaseDoc.assigned_to).subquery())
    collectors = db.execute(
        select(Account.username, Account.name, func.coalesce(held.c.n, 0))
        .outerjoin(held, held.c.assigned_to == Account.username)
        .where(Account.team_id == team, Account.role == "collector")).all()
    lap("collectors")

    promises = (select(CasePromise.case_id,
                       # a partly kept promise is counted apart, not as kept (docs/team.md)
                       func.sum(case((CasePromise.status == "kept", 1), else_=0)).label("kept"),
                       func.sum(case((CasePromise.status == "broken", 1), else_=0)).label("broken"),
                       func.sum(case((CasePromise.status == "partially_kept", 1), else_=0)).label("partly"))
                .where(CasePromise.team_id == team, CasePromise.due_date >= start, CasePromise.due_date <= end)
                .group_by(CasePromise.case_id).subquery())

    def count(column: Any) -> Any:
        return cast(cast(func.coalesce(column, 0), Integer), String)

    # Most cases have no promise due in the range: their counts are one constant, not three numbers made text.
    card = case((promises.c.case_id.is_(None),
                 CaseDoc.card + literal(',"promises_kept":0,"promises_broken":0,"promises_partly_kept":0}')),
                else_=CaseDoc.card + literal(',"promises_kept":') + count(promises.c.kept)
                + literal(',"promises_broken":') + count(promises.c.broken)
                + literal(',"promises_partly_kept":') + count(promises.c.partly) + literal("}"))
    cases = (select(card).outerjoin(promises, promises.c.case_id == CaseDoc.id)
             .where(CaseDoc.team_id == team, CaseDoc.status == "open"))
    cases_text = _joined(db, cases)
    lap("cases")
    contacts = _joined(db, select(CaseContact.item).where(CaseContact.team_id == team, CaseContact.day >= start,
                                                          CaseContact.day <= end))
    lap("contacts")

    head = _encode({"team_id": team, "from": start, "to": end,
                    "collectors": [{"id": u, "name": name, "cases": n} for u, name, n in sorted(collectors)]})
    body = b"".join((head[:-1], b',"cases":[', cases_text, b'],"contacts":[', contacts, b"]}"))
    lap("join")
    return body

