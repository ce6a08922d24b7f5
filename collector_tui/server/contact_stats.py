"""`GET /v1/team/contact-stats`: contacts per collector, case, day, channel and disposition for a lead's team.

Three grouped queries over indexed columns (server/facts.py keeps them): the collectors and the open cases
each holds (casedoc by team and status), every open case with its promises kept, partly kept and broken in the range
(case_promise by team and due day), and the contacts in the range counted per collector, case, local day,
local hour, channel, disposition and target (case_contact by team and day). No document is decoded; the
answer is encoded straight from the rows.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
from sqlalchemy import Integer, case, cast, func, select
from sqlmodel import Session

from collector_tui.server.models import Account, CaseContact, CaseDoc, CasePromise

_encode = msgspec.json.Encoder().encode


def _ordered(session: Session, column: Any) -> Any:
    """Order text as Python sorts it (by code point), whatever the database's collation."""
    return column.collate("C") if session.get_bind().dialect.name == "postgresql" else column


def contact_stats(db: Session, lead: Account, start: date, end: date) -> bytes:
    """Figures for every open case the lead's team holds, as the JSON body of a TeamStats; days are the
    customer's local days."""
    team = lead.team_id
    held = (select(CaseDoc.assigned_to, func.count().label("n"))
            .where(CaseDoc.team_id == team, CaseDoc.status == "open").group_by(CaseDoc.assigned_to).subquery())
    collectors = db.execute(
        select(Account.username, Account.name, func.coalesce(held.c.n, 0))
        .outerjoin(held, held.c.assigned_to == Account.username)
        .where(Account.team_id == team, Account.role == "collector")
        .order_by(_ordered(db, Account.username))).all()

    promises = (select(CasePromise.case_id,
                       # a partly kept promise is counted apart, not as kept (docs/team.md)
                       func.sum(case((CasePromise.status == "kept", 1), else_=0)).label("kept"),
                       func.sum(case((CasePromise.status == "broken", 1), else_=0)).label("broken"),
                       func.sum(case((CasePromise.status == "partially_kept", 1), else_=0)).label("partly"))
                .where(CasePromise.team_id == team, CasePromise.due_date >= start, CasePromise.due_date <= end)
                .group_by(CasePromise.case_id).subquery())
    cases = db.execute(
        select(CaseDoc.id, CaseDoc.assigned_to, CaseDoc.dpd, CaseDoc.overdue_since, CaseDoc.timezone,
               CaseDoc.first_contact_at, cast(func.coalesce(promises.c.kept, 0), Integer),
               cast(func.coalesce(promises.c.broken, 0), Integer), cast(func.coalesce(promises.c.partly, 0), Integer))
        .outerjoin(promises, promises.c.case_id == CaseDoc.id)
        .where(CaseDoc.team_id == team, CaseDoc.status == "open")
        .order_by(_ordered(db, CaseDoc.id))).all()

    key = (CaseContact.collector, CaseContact.case_id, CaseContact.day, CaseContact.local_hour, CaseContact.channel,
           CaseContact.disposition, CaseContact.target)
    contacts = db.execute(
        select(*key, func.count())
        .where(CaseContact.team_id == team, CaseContact.day >= start, CaseContact.day <= end)
        .group_by(*key)
        .order_by(*(_ordered(db, k) if k not in (CaseContact.day, CaseContact.local_hour) else k for k in key))).all()

    return _encode({
        "team_id": team, "from": start, "to": end,
        "collectors": [{"id": u, "name": name, "cases": n} for u, name, n in collectors],
        "cases": [{"case_id": i, "collector": c, "dpd": dpd, "overdue_since": since, "timezone": tz,
                   "first_contact_at": first, "promises_kept": kept, "promises_broken": broken,
                   "promises_partly_kept": partly}
                  for i, c, dpd, since, tz, first, kept, broken, partly in cases],
        "contacts": [{"collector": c, "case_id": i, "day": day, "local_hour": hour, "channel": channel,
                      "disposition": disposition, "target": target, "count": n}
                     for c, i, day, hour, channel, disposition, target, n in contacts],
    })
