"""The cache's state read with the standard library's sqlite3 alone, for commands a script calls often.

`collector-tui status --json` runs from cron jobs and dialers: it need not pay for SQLAlchemy to count a
few rows. Where this cannot answer (no cache yet, an encrypted one, a schema it does not know), the caller
opens the cache the usual way (storage.engine), which also migrates it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collector_tui.domain.facts import CaseFacts


@dataclass(frozen=True)
class Status:
    """What `collector-tui status` and the footer report."""

    api: str
    user: str
    last_sync_at: str | None
    last_error: str | None
    cases: int
    open_cases: int
    outbox_pending: int
    outbox_failed: int
    schema_version: int
    timezone: str = "UTC"


def status_fields(path: Path) -> dict[str, Any] | None:
    """The fields of storage.state.Status, or None when only the full open can tell."""
    if not path.exists():
        return None
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        state = db.execute("SELECT api_url, user, last_sync_at, last_error FROM syncstate WHERE id = 1").fetchone()
        cases = db.execute('SELECT count(*) FROM "case"').fetchone()[0]
        counts = dict(db.execute("SELECT state, count(*) FROM outboxentry GROUP BY state").fetchall())
        version = db.execute("PRAGMA user_version").fetchone()[0]
        zone = db.execute("SELECT timezone FROM collector LIMIT 1").fetchone()
    except sqlite3.Error:  # encrypted, damaged, or from before these tables: the full open decides
        return None
    finally:
        db.close()
    api, user, last_sync_at, last_error = state or ("", "", None, None)
    return {"api": api or "", "user": user or "", "last_sync_at": last_sync_at, "last_error": last_error,
            "cases": cases, "open_cases": cases, "outbox_pending": counts.get("pending", 0),
            "outbox_failed": counts.get("failed", 0), "schema_version": version,
            "timezone": (zone[0] if zone else None) or "UTC"}


# Open cases in the stored order with the placement each holds at a moment (UTC text), and the case's currency.
QUEUE_SQL = ('SELECT q.sort_key, q.case_id, q."group", q.reason, q.params, q.callable, q.blocked_by, '
             "q.next_allowed_at, q.stage, q.dpd, q.tier, q.score, q.flags, c.currency FROM queue_entry q "
             "JOIN \"case\" c ON c.id = q.case_id WHERE c.status = 'open' AND q.valid_until > ? ORDER BY q.sort_key")
# Open cases whose placement went stale at that moment, or that have none (storage.queue_build.stale_cases).
STALE_SQL = ('SELECT c.id FROM "case" c LEFT JOIN queue_entry q ON q.case_id = c.id '
             "WHERE c.status = 'open' AND (q.case_id IS NULL OR q.valid_until <= ?)")


def stored_queue(path: Path,
                 now_utc: str) -> tuple[str | None, list[tuple[Any, ...]], list[CaseFacts], str | None] | None:
    """The queue as stored: the rules' digest it was placed with, the placements that hold at `now_utc` in
    order (QUEUE_SQL's columns), the facts of the open cases to place again, and the collector's zone. None
    when only the full open can tell."""
    if not path.exists():
        return None
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        db.execute("BEGIN")  # one snapshot: a sync writing meanwhile moves no case into both lists or neither
        digest = db.execute("SELECT rules_digest FROM syncstate WHERE id = 1").fetchone()
        rows = db.execute(QUEUE_SQL, (now_utc,)).fetchall()
        stale = [r[0] for r in db.execute(STALE_SQL, (now_utc,))]
        # start-up: the rules' facts only for a queue with stale placements (`status` reads none)
        from collector_tui.storage.facts import facts_from_db

        facts = facts_from_db(db, stale, path) if stale else []
        zone = db.execute("SELECT timezone FROM collector LIMIT 1").fetchone()
    except sqlite3.Error:  # encrypted, damaged, or from before these tables: the full open decides
        return None
    finally:
        db.close()
    return (digest[0] if digest else None), rows, facts, (zone[0] if zone else None)
