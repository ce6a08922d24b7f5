"""The rows a sync writes, declared once: each table's columns in order, as a named tuple.

The page writer builds its statements from these fields, the feed's pages are prepared into them
(sync.prepare, possibly in a helper process: no database code here), and the bench's raw baseline
writes the same columns. A named tuple is a tuple, so executemany takes it as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class CaseRow(NamedTuple):
    id: str
    version: int
    updated_at: str
    status: str
    assigned_to: str
    customer_id: str
    customer_name: str
    dpd: int
    stage: int
    currency: str
    overdue_amount: str
    overdue_minor: int
    last_contact_at: str | None


class CustomerRow(NamedTuple):
    id: str
    case_id: str
    name: str
    locale: str
    timezone: str
    birth_year: int | None
    id_number: str
    contact_info_confirmed_at: str | None
    address: str | None
    employment: str | None
    student: str | None
    consents: str | None
    bureau: str | None
    extra: str | None


class PhoneRow(NamedTuple):
    case_id: str
    number: str
    type: str
    verified: bool
    reachable: bool
    added_at: str | None
    last_reached_at: str | None


class LoanRow(NamedTuple):
    case_id: str
    id: str
    product: str
    currency: str
    principal: str
    outstanding: str
    overdue_amount: str
    interest_due: str
    fees_due: str
    dpd: int
    overdue_since: str | None
    instalment: str
    minimum_payment: str
    due_day: int | None
    declared_purpose: str
    extra: str | None


class ScheduleRow(NamedTuple):
    case_id: str
    seq: int
    due_date: str
    amount: str
    paid: str
    status: str


class PaymentRow(NamedTuple):
    case_id: str
    ref: str
    date: str
    amount: str
    minimum_only: bool


class ContactRow(NamedTuple):
    id: str
    case_id: str
    at: str
    channel: str
    target: str
    disposition: str
    number: str
    collector: str
    duration_s: int
    note: str
    origin: str
    scope: str


class PromiseRow(NamedTuple):
    id: str
    case_id: str
    made_at: str
    due_date: str
    amount: str
    status: str
    origin: str


class CallbackRow(NamedTuple):
    id: str
    case_id: str
    at: str
    note: str
    origin: str


class PlanRow(NamedTuple):
    id: str
    case_id: str
    type: str
    status: str
    created_at: str
    detail: str | None
    origin: str
    decided_at: str | None = None
    reason: str = ""


class MessageRow(NamedTuple):
    id: str
    case_id: str
    requested_at: str
    channel: str
    to: str
    template: str
    body: str
    status: str
    status_at: str | None
    send_at: str | None
    reason: str
    origin: str


# Table name -> its row, in the order a page is written (a case before the rows that refer to it).
ROWS: dict[str, type[tuple[object, ...]]] = {
    "case": CaseRow, "customer": CustomerRow, "phone": PhoneRow, "loan": LoanRow, "scheduleitem": ScheduleRow,
    "payment": PaymentRow, "contactattempt": ContactRow, "promisetopay": PromiseRow, "callback": CallbackRow,
    "repaymentplan": PlanRow, "message": MessageRow,
}
# Replaced whole on every change of their case.
CHILDREN = ("customer", "phone", "loan", "scheduleitem", "payment")
# History tables hold local work too: the server's rows are replaced, local rows stay until the server has them.
HISTORY = ("contactattempt", "promisetopay", "callback", "repaymentplan", "message")
# The case row is updated in place: replacing it would delete it and cascade to the case's local work.
UPSERTED = frozenset({"case"})


def columns(table: str) -> tuple[str, ...]:
    return ROWS[table]._fields  # type: ignore[attr-defined,no-any-return]


def insert_sql(table: str, *, upsert: bool | None = None) -> str:
    """The INSERT for one table's rows (an upsert on the id for the tables that are updated in place)."""
    names = columns(table)
    quoted = ",".join(f'"{n}"' for n in names)
    sql = f'INSERT INTO "{table}" ({quoted}) VALUES ({",".join("?" * len(names))})'
    if upsert if upsert is not None else table in UPSERTED:
        sql += " ON CONFLICT(id) DO UPDATE SET " + ",".join(f'"{n}"=excluded."{n}"' for n in names[1:])
    return sql


@dataclass
class PreparedPage:
    """A decoded page as rows: open cases to write, cases to remove, and the feed position after it."""

    rows: dict[str, list[tuple[object, ...]]] = field(default_factory=lambda: {t: [] for t in ROWS})
    placed: list[tuple[object, ...]] = field(default_factory=list)  # queue_entry rows (storage.queue_rows)
    ids: list[str] = field(default_factory=list)  # open cases on the page
    gone: list[str] = field(default_factory=list)  # tombstoned or closed
    next_cursor: str | None = None
    has_more: bool = False
    items: int = 0
