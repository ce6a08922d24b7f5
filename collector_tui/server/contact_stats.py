"""`GET /v1/team/contact-stats`: contacts per collector, case, day, channel and disposition for a lead's team."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session

from collector_tui.domain.contact_rules import NOT_A_CONTACT
from collector_tui.server.models import Account, CaseDoc


def contact_stats(db: Session, lead: Account, start: date, end: date) -> dict[str, Any]:
    """Figures for every case the lead's team holds; days are the customer's local days."""
    members = db.execute(select(Account).where(Account.team_id == lead.team_id, Account.role == "collector")).scalars().all()
    names = {m.username: m.name for m in members}
    rows = db.execute(select(CaseDoc.id, CaseDoc.assigned_to, CaseDoc.doc)
                      .where(CaseDoc.team_id == lead.team_id, CaseDoc.status == "open")).all()
    held: Counter[str] = Counter()
    cases, buckets = [], Counter()
    for case_id, collector, raw in rows:
        doc = json.loads(raw)
        tz = ZoneInfo(doc["customer"]["timezone"])
        held[collector] += 1
        since = doc["loan"].get("overdue_since")
        first = None
        for c in sorted(doc.get("contacts", []), key=lambda c: c["at"]):
            at = datetime.fromisoformat(c["at"]).astimezone(tz)
            reached = c.get("target", "customer") == "customer" and c["disposition"] not in NOT_A_CONTACT
            if first is None and reached and (since is None or at.date().isoformat() >= since):
                first = at
            if start <= at.date() <= end:
                buckets[(c.get("collector") or collector, case_id, at.date().isoformat(), at.hour, c["channel"],
                         c["disposition"], c.get("target", "customer"))] += 1
        promises = Counter(p["status"] for p in doc.get("promises", []) if start.isoformat() <= p["due_date"] <= end.isoformat())
        cases.append({"case_id": case_id, "collector": collector, "dpd": doc["loan"]["dpd"], "overdue_since": since,
                      "timezone": doc["customer"]["timezone"], "first_contact_at": first.isoformat() if first else None,
                      "promises_kept": promises["kept"], "promises_broken": promises["broken"],
                      # a partly kept promise is counted apart, not as kept (docs/team.md)
                      "promises_partly_kept": promises["partially_kept"]})
    contacts = [{"collector": k[0], "case_id": k[1], "day": k[2], "local_hour": k[3], "channel": k[4],
                 "disposition": k[5], "target": k[6], "count": n} for k, n in sorted(buckets.items())]
    return {
        "team_id": lead.team_id, "from": start.isoformat(), "to": end.isoformat(),
        "collectors": [{"id": u, "name": names[u], "cases": held[u]} for u in sorted(names)],
        "cases": sorted(cases, key=lambda c: c["case_id"]), "contacts": contacts,
    }
