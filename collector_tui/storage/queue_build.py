"""Keep the queue ordered: place cases through the rules at `now` and store where each sits and why.

A sync places the cases it writes in the same transaction (storage.page_writer). What goes stale as the clock moves
is re-placed here, and only that: each placement says until when it holds (the first moment any of its
inputs may change it: domain.priority), and an index on that finds the stale ones. When the rules themselves
change (another pack, a threshold in the settings), every case is placed again, once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from collector_tui.domain.priority import Placement, order, place_case
from collector_tui.domain.rules import Rules, fingerprint
from collector_tui.storage.engine import read, write
from collector_tui.storage.facts import load_facts
from collector_tui.storage.models import Case, QueueEntry, SyncState
from collector_tui.storage.queue_helper import replace_in_helper
from collector_tui.storage.queue_rows import UPSERT, placement_row, utc_text

T_QUEUE = QueueEntry.__table__  # type: ignore[attr-defined]
T_CASE = Case.__table__  # type: ignore[attr-defined]
T_STATE = SyncState.__table__  # type: ignore[attr-defined]


def store_placements(conn: Connection, placed: Sequence[Placement], now: datetime) -> None:
    """Write placements inside the caller's transaction, replacing each case's previous one."""
    if placed:
        built = utc_text(now)
        conn.exec_driver_sql(UPSERT, [placement_row(p, built) for p in placed])


def place_all(engine: Engine, now: datetime, rules: Rules, case_ids: Iterable[str] | None = None) -> list[Placement]:
    """The ordered placements at `now`, without writing anything (for `collector-tui queue --at`)."""
    return order(place_facts(load_facts(engine, case_ids), now, rules))


def place_facts(facts: Iterable[Any], now: datetime, rules: Rules) -> list[Placement]:
    return [place_case(f, now, rules) for f in facts]


CHUNK = 500  # cases placed and written a transaction at a time (and within SQLite's bound-parameter limit)


def rebuild_queue(engine: Engine, now: datetime, rules: Rules) -> int:
    """Place every open case again (rules changed, or asked for); returns how many were placed.
    Most callers want `refresh_queue`."""
    with read(engine) as conn:
        ids = list(conn.execute(select(T_CASE.c.id).where(T_CASE.c.status == "open")).scalars())
    return replace_cases(engine, ids, now, rules)


# From this many cases on, a helper process places them (storage.queue_helper). Below it, starting the helper
# (a new interpreter importing the cache's modules) costs more than the second it would free.
HELPER_AT = 5_000


def replace_cases(engine: Engine, case_ids: Iterable[str], now: datetime, rules: Rules,
                  helper_at: int | None = HELPER_AT) -> int:
    """Re-place the given cases from the cache (after local work on them); returns how many were placed.

    A chunk at a time, each in its own transaction: a whole portfolio never sits in memory at once, and the
    queue stays whole throughout (a case keeps its old place until its new one is written). From `helper_at`
    cases on (None: never), a helper process does it, leaving this process free to answer keys.
    """
    ids = list(dict.fromkeys(case_ids))
    if helper_at is not None and len(ids) >= helper_at:
        return replace_in_helper(engine, ids, now, rules, lambda: replace_cases(engine, ids, now, rules, None))
    placed = 0
    for start in range(0, len(ids), CHUNK):
        chunk = place_facts(load_facts(engine, ids[start:start + CHUNK]), now, rules)
        with write(engine) as conn:
            store_placements(conn, chunk, now)
        placed += len(chunk)
    return placed


def stale_cases(engine: Engine, now: datetime) -> list[str]:
    """Open cases whose placement no longer holds at `now` (its valid_until has come), or that have none."""
    with read(engine) as conn:
        q = T_QUEUE.c
        stale = select(q.case_id).where(q.valid_until <= utc_text(now))
        missing = (select(T_CASE.c.id).select_from(T_CASE.outerjoin(T_QUEUE, q.case_id == T_CASE.c.id))
                   .where(T_CASE.c.status == "open", q.case_id.is_(None)))
        return list(dict.fromkeys([*conn.execute(stale).scalars(), *conn.execute(missing).scalars()]))


def placed_with(engine: Engine) -> str | None:
    """The fingerprint of the rules the queue was placed with (None: not recorded yet)."""
    with read(engine) as conn:
        return conn.execute(select(T_STATE.c.rules_digest).where(T_STATE.c.id == 1)).scalar()


def rules_changed(engine: Engine, rules: Rules) -> bool:
    recorded = placed_with(engine)
    return recorded is not None and recorded != fingerprint(rules)


def _record_rules(conn: Connection, digest: str) -> None:
    if not conn.execute(update(T_STATE).where(T_STATE.c.id == 1).values(rules_digest=digest)).rowcount:
        conn.execute(insert(T_STATE).values(id=1, rules_digest=digest))


def refresh_queue(engine: Engine, now: datetime, rules: Rules) -> int:
    """Re-place what went stale, or every case when the rules changed; returns how many were placed.

    A cache that has not recorded its rules yet (new, or from before they were recorded) takes the
    current ones as its own: its stale placements are re-placed as usual.
    """
    digest = fingerprint(rules)
    recorded = placed_with(engine)
    if recorded is not None and recorded != digest:
        placed = rebuild_queue(engine, now, rules)
    else:
        ids = stale_cases(engine, now)
        placed = replace_cases(engine, ids, now, rules) if ids else 0
    if recorded != digest:
        with write(engine) as conn:
            _record_rules(conn, digest)
    return placed


def queue_due(engine: Engine, now: datetime) -> bool:
    """Whether any placement went stale (one look at the valid_until index: cheap enough for every minute)."""
    with read(engine) as conn:
        q = T_QUEUE.c
        first = conn.execute(select(q.valid_until).order_by(q.valid_until).limit(1)).scalar()
        if first is None:
            return conn.execute(select(T_CASE.c.id).where(T_CASE.c.status == "open").limit(1)).first() is not None
    return bool(first <= utc_text(now))
