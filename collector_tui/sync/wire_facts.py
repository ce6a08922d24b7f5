"""The rules' view of a case (domain.facts.CaseFacts) straight from a decoded feed item.

A sync places every case it writes; reading them back from the cache would double the work. The result
equals `storage.facts.load_facts` for a case with no local records (a test holds the two together).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from collector_tui.domain import facts as F


def facts_from_feed(c: Any) -> F.CaseFacts:
    """`c` is a feed case (sync.feed.FeedCase)."""
    cu, ln = c.customer, c.loan
    job, student, bureau = cu.employment, cu.student, cu.bureau
    return F.CaseFacts(
        case_id=c.id, dpd=ln.dpd, overdue_amount=ln.overdue_amount, currency=ln.currency, timezone=cu.timezone,
        overdue_since=ln.overdue_since, due_day=ln.due_day, birth_year=cu.birth_year,
        employment_type=job.type, has_contract=job.has_contract, income_sources=job.income_sources,
        employment_started=job.started_at,
        monthly_income=tuple(m.amount for m in cu.monthly_income),
        contact_info_confirmed_at=cu.contact_info_confirmed_at,
        address_mismatch_at=cu.address.mismatch_reported_at,
        emergency_contacts=len(cu.emergency_contacts),
        student_status=student.status if student else None,
        student_completed_study=student.completed_required_study if student else True,
        school_changes_12m=student.school_changes_12m if student else 0,
        payments=tuple(F.Payment(p.date, p.amount, p.minimum_only) for p in sorted(c.payments, key=lambda p: p.date)),
        deferral_requests=tuple(r.at for r in c.deferral_requests),
        contact_changes=tuple(F.ContactChange(x.at, x.field, x.reported_by_customer) for x in cu.contact_changes),
        phones=tuple(F.Phone(p.number, p.reachable, p.added_at, p.last_reached_at, p.type) for p in cu.phones),
        spending=tuple(F.SpendingMonth(s.month, s.total, s.largest, s.investment_share) for s in c.spending),
        active_lenders=bureau.active_lenders if bureau else 0,
        total_debt=bureau.total_debt if bureau else Decimal(0),
        consents=dict(cu.consents.channels),
        suppressions=tuple(F.Suppression(s.type, s.channel, s.since, s.number, s.origin, s.lifted_at, s.reason, s.hours)
                           for s in cu.suppressions),
        contacts=tuple(F.Contact(x.at, x.channel, x.disposition, x.target, x.number, scope=x.scope)
                       for x in sorted(c.contacts, key=lambda x: x.at)),
        promises=tuple(F.Promise(p.made_at, p.due_date, p.amount, p.status)
                       for p in sorted(c.promises, key=lambda p: p.due_date)),
        callbacks=tuple(sorted(cb.at for cb in c.callbacks)),
    )
