"""Query functions the screens call: indexed, paged, never the whole portfolio at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, column, func, literal_column, select, table

from collector_tui.domain.priority import GROUPS, sort_bytes
from collector_tui.storage import search
from collector_tui.storage.engine import generation, read
from collector_tui.storage.models import (
    Callback,
    Case,
    ContactAttempt,
    Customer,
    Loan,
    Message,
    Payment,
    Phone,
    PromiseToPay,
    QueueEntry,
    RepaymentPlan,
    ScheduleItem,
)
from collector_tui.storage.queue_view import QueueFilter, QueueRow

Q = QueueEntry.__table__  # type: ignore[attr-defined]
QUEUE_COLUMNS = (Case.id, Case.customer_name, Q.c.dpd, Q.c.stage, Case.currency, Case.overdue_amount,
                 Case.last_contact_at, Q.c.group, Q.c.reason, Q.c.params,
                 Q.c.callable, Q.c.blocked_by, Q.c.next_allowed_at, Q.c.tier, Q.c.score, Q.c.flags)


def _from() -> Any:
    # Every open case has a queue entry (a sync writes both in one transaction): the queue is read from the
    # entries' sort_key index, a page at a time, joined to the case by its primary key.
    return Q.join(Case.__table__, Case.__table__.c.id == Q.c.case_id)  # type: ignore[attr-defined]


def _order(q: QueueFilter | None = None) -> list[Any]:
    if q is not None and q.sort == "dpd":
        return [Case.dpd.desc(), Q.c.sort_key]  # type: ignore[attr-defined]
    if q is not None and q.sort == "amount":
        return [Case.overdue_minor.desc(), Q.c.sort_key]  # type: ignore[attr-defined]
    return [Q.c.sort_key]


KEYSET_FROM = 1_000  # rows into the queue beyond which a page is found by its first key rather than by OFFSET
# How a search finds a page depends on how many cases it matches (docs/benchmarks.md has the figures):
# - up to BROAD, the matches are looked up by rowid and sorted;
# - up to WIDE, the queue's order is walked and each case tested against the list of matches, built once
#   from the trigram index;
# - beyond, the walk tests each case's own text: a page is full within a few hundred cases.
BROAD = 2_000
WIDE = 20_000

TEXT = table("case_text", column("id"), column("text"))
INDEX = table("case_search", column("rowid"))
CASE_ROWID = literal_column('"case".rowid')
WALKED_ROWID = literal_column('+"case".rowid')  # unary +: tested as the queue is walked, never used to look up

_memo: dict[tuple[object, ...], Any] = {}


def _remembered(conn: Connection, key: tuple[object, ...], count: Any) -> Any:
    """A count (a statement, or a function of the connection), remembered until the next write: a keypress
    asks for it several times, a filter cycled round asks again, and the cache only changes by a write."""
    key = (id(conn.engine), generation(conn.engine), *key)
    if key not in _memo:
        if len(_memo) > 256:
            _memo.clear()
        _memo[key] = count(conn) if callable(count) else int(conn.execute(count).scalar_one())
    return _memo[key]


def _search(conn: Connection, typed: str) -> tuple[Any, int]:
    """The clause that keeps the cases whose id, name or phones contain `typed`, and how many there are."""
    text = search.fold(typed)
    if len(text) >= search.MIN_CHARS:  # looked up in the trigram index
        match = literal_column("case_search").op("MATCH")(search.phrase(text))
        found = _remembered(conn, ("match", text), select(func.count()).select_from(INDEX).where(match))
        if found <= BROAD:
            return CASE_ROWID.in_(select(INDEX.c.rowid).where(match)), found
        if found <= WIDE:
            return WALKED_ROWID.in_(select(INDEX.c.rowid).where(match)), found
    else:  # too short for trigrams: one pass over the plain text table (instr: no LIKE escaping to get wrong)
        match = func.instr(TEXT.c.text, text) > 0
        found = _remembered(conn, ("scan", text), select(func.count()).select_from(TEXT).where(match))
        if found <= BROAD:
            return CASE_ROWID.in_(select(TEXT.c.id).where(match)), found
    own_text = select(TEXT.c.text).where(TEXT.c.id == CASE_ROWID).scalar_subquery()
    return func.instr(own_text, text) > 0, found


def _where(conn: Connection, q: QueueFilter) -> tuple[list[Any], int | None]:
    """The filter's clauses, and the exact count when the search alone can give it."""
    # No status test: the cache holds open cases only (a sync deletes a closed one), and testing it would
    # tempt SQLite into the status index instead of walking the queue's order.
    clauses: list[Any] = []
    if q.stage is not None:
        clauses.append(Q.c.stage == q.stage)
    if q.tier is not None:
        clauses.append(Q.c.tier == q.tier)
    if q.flag:
        clauses.append((" " + Q.c.flags + " ").like(f"% {q.flag} %"))
    found = None
    if q.text.strip():
        clause, found = _search(conn, q.text)
        clauses.append(clause)
    only_text = q.stage is None and q.tier is None and not q.flag
    return clauses, found if only_text else None


def queue_count(engine: Engine, q: QueueFilter = QueueFilter()) -> int:
    with read(engine) as conn:
        if q == QueueFilter(sort=q.sort):  # unfiltered: count the entries' smallest index
            return _remembered(conn, ("queue",), select(func.count()).select_from(Q))
        clauses, found = _where(conn, q)
        if found is not None:
            return found
        # Without a search every clause is on the queue's own columns: count them without the join.
        source = _from() if q.text.strip() else Q
        return _remembered(conn, ("queue", q.text, q.stage, q.tier, q.flag),
                           select(func.count()).select_from(source).where(*clauses))


def queue_page(engine: Engine, offset: int, limit: int, q: QueueFilter = QueueFilter()) -> list[QueueRow]:
    """One page of the queue in the rules' order (walks ix_queue_sort)."""
    with read(engine) as conn:
        if offset > KEYSET_FROM and q.sort == "priority" and not q.text.strip():
            # Far down the queue (G, or a long scroll), skipping rows with OFFSET would build every row it
            # skips: find the page's first key in the index alone, then read the page from there.
            clauses, _ = _where(conn, q)
            first = conn.execute(select(Q.c.sort_key).where(*clauses).order_by(Q.c.sort_key)
                                 .offset(offset).limit(1)).scalar()
            if first is None:
                return []
            stmt = (select(*QUEUE_COLUMNS).select_from(_from()).where(Q.c.sort_key >= first, *clauses)
                    .order_by(Q.c.sort_key).limit(limit))
            return [QueueRow(*row) for row in conn.execute(stmt).all()]
        return [QueueRow(*row) for row in conn.execute(page_statement(conn, q, offset, limit)).all()]


def page_statement(conn: Connection, q: QueueFilter, offset: int, limit: int) -> Any:
    clauses, _ = _where(conn, q)
    return select(*QUEUE_COLUMNS).select_from(_from()).where(*clauses).order_by(*_order(q)).offset(offset).limit(limit)


@dataclass
class CaseDetail:
    """Everything the profile shows about one case."""

    case: Case
    customer: Customer
    loan: Loan
    phones: list[Phone] = field(default_factory=list)
    schedule: list[ScheduleItem] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    contacts: list[ContactAttempt] = field(default_factory=list)
    promises: list[PromiseToPay] = field(default_factory=list)
    callbacks: list[Callback] = field(default_factory=list)
    plans: list[RepaymentPlan] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)


def case_detail(engine: Engine, case_id: str) -> CaseDetail | None:
    def rows(conn: Any, model: Any, *order: Any) -> list[Any]:
        table = model.__table__
        result = conn.execute(select(table).where(table.c.case_id == case_id).order_by(*order)).mappings().all()
        return [model(**r) for r in result]

    with read(engine) as conn:
        case_row = conn.execute(select(Case.__table__).where(Case.__table__.c.id == case_id)).mappings().first()  # type: ignore[attr-defined]
        if case_row is None:
            return None
        customer = rows(conn, Customer)
        loan = rows(conn, Loan)
        if not customer or not loan:
            return None
        return CaseDetail(
            case=Case(**case_row), customer=customer[0], loan=loan[0],
            phones=rows(conn, Phone, Phone.id),
            schedule=rows(conn, ScheduleItem, ScheduleItem.seq),
            payments=rows(conn, Payment, Payment.date),
            contacts=rows(conn, ContactAttempt, ContactAttempt.at.desc()),  # type: ignore[attr-defined]
            promises=rows(conn, PromiseToPay, PromiseToPay.made_at.desc()),  # type: ignore[attr-defined]
            callbacks=rows(conn, Callback, Callback.at),
            plans=rows(conn, RepaymentPlan, RepaymentPlan.created_at),
            messages=rows(conn, Message, Message.requested_at.desc()),  # type: ignore[attr-defined]
        )


def case_position(engine: Engine, case_id: str, q: QueueFilter = QueueFilter()) -> int | None:
    """Index of a case in the filtered queue, to put the cursor back on it: a count of what sorts before it."""
    with read(engine) as conn:
        clauses, _ = _where(conn, q)
        key = conn.execute(select(Q.c.sort_key, Case.dpd, Case.overdue_minor).select_from(_from())  # type: ignore[attr-defined]
                           .where(Q.c.case_id == case_id, *clauses)).first()
        if key is None:
            return None
        sort_key, dpd, minor = key
        # Each part of "sorts before" is its own count, so that each can use an index.
        parts = [Q.c.sort_key < sort_key]
        if q.sort == "dpd":
            parts = [Case.dpd > dpd, (Case.dpd == dpd) & (Q.c.sort_key < sort_key)]
        elif q.sort == "amount":
            parts = [Case.overdue_minor > minor, (Case.overdue_minor == minor) & (Q.c.sort_key < sort_key)]
        source = _from() if q.text.strip() or q.sort != "priority" else Q
        n = sum(conn.execute(select(func.count()).select_from(source).where(part, *clauses)).scalar_one()
                for part in parts)
    return int(n)


def queue_group_counts(engine: Engine) -> dict[str, int]:
    """Cases per queue group: the group leads the sort key, so each is one range of the queue's index."""

    def count(conn: Connection) -> dict[str, int]:
        counts = {}
        for rank, group in enumerate(GROUPS):
            low, high = sort_bytes((rank,)), sort_bytes((rank + 1,))
            n = conn.execute(select(func.count()).select_from(Q)
                             .where(Q.c.sort_key >= low, Q.c.sort_key < high)).scalar_one()
            if n:
                counts[group] = int(n)
        return counts

    with read(engine) as conn:
        return dict(_remembered(conn, ("groups",), count))


@dataclass(frozen=True)
class CaseSummary:
    id: str
    currency: str
    customer_name: str


def case_summaries(engine: Engine) -> dict[str, CaseSummary]:
    with read(engine) as conn:
        rows = conn.execute(select(Case.id, Case.currency, Case.customer_name).where(Case.status == "open")).all()
    return {r[0]: CaseSummary(*r) for r in rows}


def flag_counts(engine: Engine) -> dict[str, int]:
    """How many open cases carry each risk flag, for the flag filter."""

    def count(conn: Connection) -> dict[str, int]:
        counts: dict[str, int] = {}
        # Cases share flag sets: split each distinct set once (16,000 sets for 100,000 cases).
        for flags, n in conn.execute(select(Q.c.flags, func.count()).group_by(Q.c.flags)):
            for flag in (flags or "").split():
                counts[flag] = counts.get(flag, 0) + n
        return dict(sorted(counts.items(), key=lambda kv: -kv[1]))

    with read(engine) as conn:
        return dict(_remembered(conn, ("flags",), count))
