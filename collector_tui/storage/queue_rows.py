"""queue_entry rows as plain tuples: shared by the queue builder and a sync's helper process (no database here)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from collector_tui.domain.priority import Placement, sort_bytes

COLUMNS = ("case_id", "sort_key", "group", "reason", "params", "callable", "blocked_by", "next_allowed_at", "stage",
           "dpd", "tier", "score", "risk_level", "flags", "built_at", "valid_until")
# A true upsert: REPLACE deletes the old row and every index entry before inserting, which re-places slower.
UPSERT = (f'INSERT INTO queue_entry ({", ".join(f"{chr(34)}{c}{chr(34)}" for c in COLUMNS)}) '
          f'VALUES ({", ".join("?" for _ in COLUMNS)}) ON CONFLICT(case_id) DO UPDATE SET '
          + ", ".join(f'"{c}" = excluded."{c}"' for c in COLUMNS[1:]))


def params_json(value: object) -> str:
    """A placement's message parameters as compact JSON text."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def utc_text(moment: datetime) -> str:
    """UTC ISO text: stored times sort as time does."""
    return moment.astimezone(UTC).isoformat()


def placement_row(p: Placement, built: str) -> tuple[object, ...]:
    """One queue_entry row for the DB-API, placed at `built` (UTC text)."""
    until = utc_text(p.next_allowed_at) if p.next_allowed_at else None
    return (p.case_id, sort_bytes(p.sort_key), p.group, p.reason, params_json(p.params), p.callable, p.blocked_by,
            until, p.stage, p.dpd, p.tier, p.score, p.risk_level, " ".join(p.flags), built,
            utc_text(p.valid_until) if p.valid_until else built)
