"""Turn one page of the case feed into the rows the cache stores, its queue places included: no I/O here.

This is the CPU half of a sync (decode, build rows, run every case through the rules), so that a big first
sync can run it in a helper process while this one writes (sync.pipeline). The rows are tuples for the
DB-API's executemany: an ORM object or a parameter dict a row costs several times the write itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

from collector_tui.domain.money import to_minor
from collector_tui.domain.priority import place_case
from collector_tui.domain.queue import queue_place
from collector_tui.domain.rules import Rules
from collector_tui.domain.stages import stage_for_dpd
from collector_tui.storage.queue_rows import placement_row, utc_text
from collector_tui.sync.feed import CaseS, TombstoneS, decode_page
from collector_tui.sync.wire_facts import facts_from_feed

Row = tuple[object, ...]
_encode = msgspec.json.Encoder().encode
# Tables a page fills, in the order of their columns in sync.apply.SQL.
TABLES = ("case", "customer", "phone", "loan", "scheduleitem", "payment", "contactattempt", "promisetopay", "callback",
          "repaymentplan")


@dataclass
class PreparedPage:
    """A decoded page as rows: open cases to write, cases to remove, and the feed position after it."""

    rows: dict[str, list[Row]] = field(default_factory=lambda: {t: [] for t in TABLES})
    placed: list[Row] = field(default_factory=list)  # queue_entry rows (storage.queue_rows)
    ids: list[str] = field(default_factory=list)  # open cases on the page
    gone: list[str] = field(default_factory=list)  # tombstoned or closed
    next_cursor: str | None = None
    has_more: bool = False
    items: int = 0


def _json(value: Any) -> str | None:
    return None if value is None else _encode(value).decode()


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _text(value: Any) -> str | None:
    """Dates, times and amounts as the API spells them (the cache compares them as text)."""
    return None if value is None else msgspec.to_builtins(value)  # type: ignore[no-any-return]


def _case_row(c: Any) -> Row:
    ln = c.loan
    last = max((x.at for x in c.contacts), default=None)
    place = queue_place(ln.dpd, contacted=last is not None)
    return (c.id, c.version, c.updated_at.isoformat(), c.status, c.assigned_to, c.customer.id, c.customer.name,
            ln.dpd, int(stage_for_dpd(ln.dpd)), ln.currency, str(ln.overdue_amount), to_minor(ln.overdue_amount, ln.currency),
            place.priority, place.next_action, _iso(last))


def _add_rows(rows: dict[str, list[Row]], c: Any) -> None:
    cid, cu, ln = c.id, c.customer, c.loan
    rows["case"].append(_case_row(c))
    rows["customer"].append((
        cu.id, cid, cu.name, cu.locale, cu.timezone, cu.birth_year, cu.id_number, _iso(cu.contact_info_confirmed_at),
        _json(cu.address), _json(cu.employment), _json(cu.student), _json(cu.consents), _json(cu.bureau),
        _json({"emails": cu.emails, "contact_changes": cu.contact_changes, "emergency_contacts": cu.emergency_contacts,
               "monthly_income": cu.monthly_income, "suppressions": cu.suppressions}),
    ))
    rows["phone"] += [(cid, p.number, p.type, p.verified, p.reachable, _iso(p.added_at), _iso(p.last_reached_at))
                      for p in cu.phones]
    rows["loan"].append((
        cid, ln.id, ln.product, ln.currency, str(ln.principal), str(ln.outstanding), str(ln.overdue_amount),
        str(ln.interest_due), str(ln.fees_due), ln.dpd, _iso(ln.overdue_since), str(ln.instalment),
        str(ln.minimum_payment), ln.due_day, ln.declared_purpose,
        _json({"spending": c.spending, "deferral_requests": c.deferral_requests}),
    ))
    rows["scheduleitem"] += [(cid, s.seq, s.due_date.isoformat(), str(s.amount), str(s.paid), s.status) for s in c.schedule]
    rows["payment"] += [(cid, p.id, p.date.isoformat(), str(p.amount), p.minimum_only) for p in c.payments]
    rows["contactattempt"] += [(x.id, cid, _text(x.at), x.channel, x.target, x.disposition, x.number, x.collector,
                                x.duration_s, x.note, "server") for x in c.contacts]
    rows["promisetopay"] += [(p.id, cid, _text(p.made_at), p.due_date.isoformat(), str(p.amount), p.status, "server")
                             for p in c.promises]
    rows["callback"] += [(cb.id, cid, _text(cb.at), cb.note, "server") for cb in c.callbacks]
    rows["repaymentplan"] += [(pl.id, cid, pl.type, pl.status, _iso(pl.created_at) or "", _json(pl.detail), "server")
                              for pl in c.plans]


def placement_rows(cases: list[Any], now: datetime, rules: Rules) -> list[Row]:
    """queue_entry rows for decoded open feed cases, placed at `now`."""
    built = utc_text(now)
    return [placement_row(place_case(facts_from_feed(c), now, rules.pack, thresholds=rules.thresholds,
                                     weights=rules.weights, bounds=rules.bounds), built) for c in cases]


def prepare_items(items: list[Any], next_cursor: str | None, has_more: bool, now: datetime,
                  rules: Rules | None) -> PreparedPage:
    page = PreparedPage(next_cursor=next_cursor, has_more=has_more, items=len(items))
    cases = [i for i in items if isinstance(i, CaseS)]
    page.gone = [i.id for i in items if isinstance(i, TombstoneS)] + [c.id for c in cases if c.status == "closed"]
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
