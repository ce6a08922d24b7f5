"""Apply one page of the server's case feed to the cache: its rows, their queue places and the cursor, together.

Rows go in through the DB-API's executemany with tuples: a full sync writes millions of rows, and an
ORM object or a Core parameter dict a row costs several times the write itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Connection, Engine

from collector_tui.domain.money import to_minor
from collector_tui.domain.queue import queue_place
from collector_tui.domain.rules import Rules
from collector_tui.domain.stages import stage_for_dpd
from collector_tui.storage.engine import write
from collector_tui.storage.facts import facts_in
from collector_tui.storage.queue_build import place_facts, store_placements
from collector_tui.sync.feed import CaseS, TombstoneS
from collector_tui.sync.wire_facts import facts_from_feed

_encode = msgspec.json.Encoder().encode


def _json(value: Any) -> str | None:
    return None if value is None else _encode(value).decode()


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _text(value: Any) -> str | None:
    """Dates, times and amounts as the API spells them (the cache compares them as text)."""
    return None if value is None else msgspec.to_builtins(value)  # type: ignore[no-any-return]


def _insert(table: str, columns: str, upsert: bool = False) -> str:
    names = columns.split(",")
    sql = f'INSERT INTO "{table}" ({columns}) VALUES ({",".join("?" * len(names))})'
    # An upsert, never OR REPLACE: replacing would delete the row and cascade to the case's local work.
    return sql + " ON CONFLICT(id) DO UPDATE SET " + ",".join(f"{n}=excluded.{n}" for n in names[1:]) if upsert else sql


SQL = {
    "case": _insert("case", "id,version,updated_at,status,assigned_to,customer_id,customer_name,dpd,stage,currency,"
                    "overdue_amount,overdue_minor,priority,next_action,last_contact_at", upsert=True),
    "customer": _insert("customer", "id,case_id,name,locale,timezone,birth_year,id_number,contact_info_confirmed_at,"
                        "address,employment,student,consents,bureau,extra"),
    "phone": _insert("phone", "case_id,number,type,verified,reachable,added_at,last_reached_at"),
    "loan": _insert("loan", "case_id,id,product,currency,principal,outstanding,overdue_amount,interest_due,fees_due,"
                    "dpd,overdue_since,instalment,minimum_payment,due_day,declared_purpose,extra"),
    "scheduleitem": _insert("scheduleitem", "case_id,seq,due_date,amount,paid,status"),
    "payment": _insert("payment", "case_id,ref,date,amount,minimum_only"),
    "contactattempt": _insert("contactattempt", "id,case_id,at,channel,target,disposition,number,collector,"
                              "duration_s,note,origin"),
    "promisetopay": _insert("promisetopay", "id,case_id,made_at,due_date,amount,status,origin"),
    "callback": _insert("callback", "id,case_id,at,note,origin"),
    "repaymentplan": _insert("repaymentplan", "id,case_id,type,status,created_at,detail,origin"),
}
# Replaced whole on every change of their case.
CHILDREN = ("customer", "phone", "loan", "scheduleitem", "payment")
# History tables hold local work too: the server's rows are replaced, local rows stay until the server has them.
HISTORY = ("contactattempt", "promisetopay", "callback", "repaymentplan")


@dataclass
class PageResult:
    upserted: int = 0
    removed: int = 0


def _case_row(c: Any) -> tuple[object, ...]:
    ln = c.loan
    last = max((x.at for x in c.contacts), default=None)
    place = queue_place(ln.dpd, contacted=last is not None)
    return (c.id, c.version, c.updated_at.isoformat(), c.status, c.assigned_to, c.customer.id, c.customer.name,
            ln.dpd, int(stage_for_dpd(ln.dpd)), ln.currency, str(ln.overdue_amount), to_minor(ln.overdue_amount, ln.currency),
            place.priority, place.next_action, _iso(last))


def _rows(cases: Sequence[Any]) -> dict[str, list[tuple[object, ...]]]:
    rows: dict[str, list[tuple[object, ...]]] = {name: [] for name in SQL}
    for c in cases:
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
        rows["scheduleitem"] += [(cid, s.seq, s.due_date.isoformat(), str(s.amount), str(s.paid), s.status)
                                 for s in c.schedule]
        rows["payment"] += [(cid, p.id, p.date.isoformat(), str(p.amount), p.minimum_only) for p in c.payments]
        rows["contactattempt"] += [(x.id, cid, _text(x.at), x.channel, x.target, x.disposition, x.number, x.collector,
                                    x.duration_s, x.note, "server") for x in c.contacts]
        rows["promisetopay"] += [(p.id, cid, _text(p.made_at), p.due_date.isoformat(), str(p.amount), p.status, "server")
                                 for p in c.promises]
        rows["callback"] += [(cb.id, cid, _text(cb.at), cb.note, "server") for cb in c.callbacks]
        rows["repaymentplan"] += [(pl.id, cid, pl.type, pl.status, _iso(pl.created_at) or "", _json(pl.detail), "server")
                                  for pl in c.plans]
    return rows


def _in(ids: Sequence[str]) -> str:
    return f"({','.join('?' * len(ids))})"


def _with_local_work(conn: Connection, ids: Sequence[str]) -> list[str]:
    """Cases on the page that still hold local records the server has not taken yet."""
    union = " UNION ".join(f"SELECT case_id FROM {t} WHERE origin = 'local' AND case_id IN {_in(ids)}" for t in HISTORY)
    return [r[0] for r in conn.exec_driver_sql(union, tuple(ids) * len(HISTORY))]


def apply_page(engine: Engine, items: Sequence[Any], next_cursor: str | None, now: datetime,
               rules: Rules | None = None) -> PageResult:
    """Write a page, its queue places (with `rules`) and its cursor together: a crash leaves the cache at a page
    boundary, never half a page, and never a case without its place in the queue."""
    cases = [i for i in items if isinstance(i, CaseS)]
    gone = [i.id for i in items if isinstance(i, TombstoneS)] + [c.id for c in cases if c.status == "closed"]
    cases = [c for c in cases if c.status == "open"]
    ids = [c.id for c in cases]
    rows = _rows(cases)
    placed = place_facts([facts_from_feed(c) for c in cases], now, rules) if rules and cases else []
    with write(engine) as conn:
        if gone:
            # Cascades purge the personal data; pending work stays in the outbox, which has no foreign key.
            conn.exec_driver_sql(f'DELETE FROM "case" WHERE id IN {_in(gone)}', tuple(gone))
        if cases:
            for table in CHILDREN:
                conn.exec_driver_sql(f"DELETE FROM {table} WHERE case_id IN {_in(ids)}", tuple(ids))
            for table in HISTORY:
                conn.exec_driver_sql(f"DELETE FROM {table} WHERE origin = 'server' AND case_id IN {_in(ids)}", tuple(ids))
                server_ids = [r[0] for r in rows[table]]
                for start in range(0, len(server_ids), 900):  # a local record the server now holds gives way to its copy
                    chunk = server_ids[start:start + 900]
                    conn.exec_driver_sql(f"DELETE FROM {table} WHERE id IN {_in(chunk)}", tuple(chunk))
            for table, sql in SQL.items():
                if rows[table]:
                    conn.exec_driver_sql(sql, rows[table])
            if rules:
                local = set(_with_local_work(conn, ids))
                if local:  # their facts include work only this cache holds
                    placed = [p for p in placed if p.case_id not in local] + place_facts(facts_in(conn, local), now, rules)
                store_placements(conn, placed, now)
        conn.exec_driver_sql("UPDATE syncstate SET cursor = ?, last_sync_at = ? WHERE id = 1",
                             (next_cursor, now.isoformat()))
    return PageResult(upserted=len(cases), removed=len(gone))
