"""The cache's state read with the standard library's sqlite3 alone, for commands a script calls often.

`collector-tui status --json` runs from cron jobs and dialers: it need not pay for SQLAlchemy to count a
few rows. Where this cannot answer (no cache yet, an encrypted one, a schema it does not know), the caller
opens the cache the usual way (storage.engine), which also migrates it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any


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
