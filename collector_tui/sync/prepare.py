"""Turn one page of the case feed into the rows the cache stores, its queue places included: no I/O here.

This is the CPU half of a sync (decode, build rows, run every case through the rules), so that a big first
sync can run it in a helper process while this one writes (sync.pipeline). The rows are tuples for the
DB-API's executemany: an ORM object or a parameter dict a row costs several times the write itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from collector_tui.domain.money import to_minor
from collector_tui.domain.priority import place_case
from collector_tui.domain.rules import Rules
from collector_tui.domain.stages import stage_for_dpd
from collector_tui.storage.queue_rows import placement_row, utc_text
from collector_tui.storage.rows import (
    CallbackRow,
    CaseRow,
    ContactRow,
    CustomerRow,
    LoanRow,
    MessageRow,
    PaymentRow,
    PhoneRow,
    PlanRow,
    PreparedPage,
    PromiseRow,
    ScheduleRow,
)
from collector_tui.sync.feed import FeedCase, FeedTombstone, decode_page
from collector_tui.sync.wire_facts import facts_from_feed

_encode = msgspec.json.Encoder().encode


def _json(value: Any) -> str | None:
    return None if value is None else _encode(value).decode()


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _text(value: Any) -> str | None:
    """Dates, times and amounts as the API spells them (the cache compares them as text)."""
    return None if value is None else msgspec.to_builtins(value)  # type: ignore[no-any-return]


def _add_rows(rows: dict[str, list[tuple[object, ...]]], c: Any) -> None:
    cid, cu, ln = c.id, c.customer, c.loan
    last = max((x.at for x in c.contacts), default=None)
    rows["case"].append(CaseRow(
        id=cid, version=c.version, updated_at=c.updated_at.isoformat(), status=c.status, assigned_to=c.assigned_to,
        customer_id=cu.id, customer_name=cu.name, dpd=ln.dpd, stage=int(stage_for_dpd(ln.dpd)), currency=ln.currency,
        overdue_amount=str(ln.overdue_amount), overdue_minor=to_minor(ln.overdue_amount, ln.currency),
        last_contact_at=_iso(last)))
    rows["customer"].append(CustomerRow(
        id=cu.id, case_id=cid, name=cu.name, locale=cu.locale, timezone=cu.timezone, birth_year=cu.birth_year,
        id_number=cu.id_number, contact_info_confirmed_at=_iso(cu.contact_info_confirmed_at),
        address=_json(cu.address), employment=_json(cu.employment), student=_json(cu.student),
        consents=_json(cu.consents), bureau=_json(cu.bureau),
        extra=_json({"emails": cu.emails, "contact_changes": cu.contact_changes,
                     "emergency_contacts": cu.emergency_contacts, "monthly_income": cu.monthly_income,
                     "suppressions": cu.suppressions}),
    ))
    rows["phone"] += [PhoneRow(cid, p.number, p.type, p.verified, p.reachable, _iso(p.added_at),
                               _iso(p.last_reached_at)) for p in cu.phones]
    rows["loan"].append(LoanRow(
        case_id=cid, id=ln.id, product=ln.product, currency=ln.currency, principal=str(ln.principal),
        outstanding=str(ln.outstanding), overdue_amount=str(ln.overdue_amount), interest_due=str(ln.interest_due),
        fees_due=str(ln.fees_due), dpd=ln.dpd, overdue_since=_iso(ln.overdue_since), instalment=str(ln.instalment),
        minimum_payment=str(ln.minimum_payment), due_day=ln.due_day, declared_purpose=ln.declared_purpose,
        extra=_json({"spending": c.spending, "deferral_requests": c.deferral_requests}),
    ))
    rows["scheduleitem"] += [ScheduleRow(cid, s.seq, s.due_date.isoformat(), str(s.amount), str(s.paid), s.status)
                             for s in c.schedule]
    rows["payment"] += [PaymentRow(cid, p.id, p.date.isoformat(), str(p.amount), p.minimum_only) for p in c.payments]
    rows["contactattempt"] += [ContactRow(x.id, cid, _text(x.at), x.channel, x.target, x.disposition, x.number,
                                          x.collector, x.duration_s, x.note, "server", x.scope) for x in c.contacts]
    rows["promisetopay"] += [PromiseRow(p.id, cid, _text(p.made_at), p.due_date.isoformat(), str(p.amount), p.status,
                                        "server") for p in c.promises]
    rows["callback"] += [CallbackRow(cb.id, cid, _text(cb.at), cb.note, "server") for cb in c.callbacks]
    rows["repaymentplan"] += [PlanRow(pl.id, cid, pl.type, pl.status, _iso(pl.created_at) or "", _json(pl.detail),
                                      "server", _iso(pl.decided_at), pl.reason) for pl in c.plans]
    rows["message"] += [MessageRow(ms.id, cid, _text(ms.requested_at), ms.channel, ms.to, ms.template, ms.body,
                                   ms.status, _iso(ms.status_at), _iso(ms.send_at), ms.reason, "server")
                        for ms in c.messages]


def placement_rows(cases: list[Any], now: datetime, rules: Rules) -> list[tuple[object, ...]]:
    """queue_entry rows for decoded open feed cases, placed at `now`."""
    built = utc_text(now)
    return [placement_row(place_case(facts_from_feed(c), now, rules), built) for c in cases]


def prepare_items(items: list[Any], next_cursor: str | None, has_more: bool, now: datetime,
                  rules: Rules | None) -> PreparedPage:
    page = PreparedPage(next_cursor=next_cursor, has_more=has_more, items=len(items))
    cases = [i for i in items if isinstance(i, FeedCase)]
    page.gone = [i.id for i in items if isinstance(i, FeedTombstone)] + [c.id for c in cases if c.status == "closed"]
    cases = [c for c in cases if c.status == "open"]
    page.ids = [c.id for c in cases]
    for c in cases:
        _add_rows(page.rows, c)
    if rules is not None:
        page.placed = placement_rows(cases, now, rules)
    return page


def prepare_page(content: bytes, now: datetime, rules: Rules | None) -> PreparedPage:
    """Decode (FeedError when malformed) and prepare one page."""
    page = decode_page(content)
    return prepare_items(page.items, page.next_cursor, page.has_more, now, rules)
