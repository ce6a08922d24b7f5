"""The queue's rows and filter, and the first look at a cache: what the workbench's first frame shows, read
with the standard library's sqlite3 alone, before the database toolkit is loaded (storage.queries reads the
same rows through it afterwards)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collector_tui.domain.sort_key import GROUPS, sort_bytes
from collector_tui.storage.peek import Status, status_fields


@dataclass(frozen=True)
class QueueRow:
    id: str
    customer_name: str
    dpd: int
    stage: int
    currency: str
    overdue_amount: str
    last_contact_at: str | None
    group: str | None = None
    reason: str | None = None
    params: dict[str, Any] | None = None
    callable: bool | None = None
    blocked_by: str | None = None
    next_allowed_at: str | None = None
    tier: str | None = None
    score: int | None = None
    flags: str | None = None


@dataclass(frozen=True)
class QueueFilter:
    """What narrows the queue: free text (name, phone or case id), a stage, a tier, a risk flag."""

    text: str = ""
    stage: int | None = None
    tier: str | None = None
    flag: str | None = None
    sort: str = "priority"  # priority (the rules' order) | dpd | amount


@dataclass(frozen=True)
class FirstLook:
    """The unfiltered queue's first rows and counts, the sync line's state and who the collector is."""

    rows: list[QueueRow]
    count: int
    group_counts: dict[str, int]
    status: Status
    role: str | None
    timezone: str | None


# storage.queries.QUEUE_COLUMNS, in the queue's order (the entries' sort_key index).
FIRST_ROWS = ('SELECT c.id, c.customer_name, q.dpd, q.stage, c.currency, c.overdue_amount, c.last_contact_at, '
              'q."group", q.reason, q.params, q.callable, q.blocked_by, q.next_allowed_at, q.tier, q.score, q.flags '
              'FROM queue_entry q JOIN "case" c ON c.id = q.case_id ORDER BY q.sort_key LIMIT ?')


def _decoded(row: tuple[Any, ...]) -> list[Any]:
    """A row as SQLAlchemy's column types would give it: params from JSON, callable a bool."""
    out = list(row)
    out[9] = json.loads(out[9]) if out[9] is not None else None
    out[10] = bool(out[10])
    return out


def first_look(path: Path, rows: int) -> FirstLook | None:
    """The first look at the cache at `path`, or None when only the full open can tell (no cache yet, an
    encrypted or damaged one, one from before these tables)."""
    fields = status_fields(path)
    if fields is None:
        return None
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        db.execute("BEGIN")  # one snapshot: the rows and the counts agree
        page = [QueueRow(*_decoded(row)) for row in db.execute(FIRST_ROWS, (rows,))]
        count = db.execute("SELECT count(*) FROM queue_entry").fetchone()[0]
        groups = {}
        for rank, group in enumerate(GROUPS):  # each group is one range of the sort_key index
            n = db.execute("SELECT count(*) FROM queue_entry WHERE sort_key >= ? AND sort_key < ?",
                           (sort_bytes((rank,)), sort_bytes((rank + 1,)))).fetchone()[0]
            if n:
                groups[group] = n
        me = db.execute("SELECT role, timezone FROM collector LIMIT 1").fetchone()
    except sqlite3.Error:
        return None
    finally:
        db.close()
    return FirstLook(page, count, groups, Status(**fields), *(me or (None, None)))
