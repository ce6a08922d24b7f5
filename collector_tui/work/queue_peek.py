"""The queue as the cache stores it, read without the database toolkit: for `queue --json`, which dialers and
scripts call often."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from collector_tui.domain.priority import place_case, sort_bytes
from collector_tui.domain.rules import Rules, fingerprint
from collector_tui.domain.zones import DEFAULT_ZONE
from collector_tui.storage.peek import stored_queue
from collector_tui.storage.queue_rows import utc_text

__all__ = ["StoredQueue", "queue_rows"]


@dataclass(frozen=True)
class StoredQueue:
    """The queue at a moment: placements in order (a Placement's fields), each case's currency, the collector's zone."""

    placed: list[Any]
    currency: dict[str, str]
    zone: str


class _Stored:
    """A stored placement with a Placement's fields."""

    __slots__ = ("case_id", "group", "reason", "params", "callable", "blocked_by", "next_allowed_at", "stage", "dpd",
                 "tier", "score", "flags")

    def __init__(self, row: tuple[Any, ...]) -> None:
        (_, self.case_id, self.group, self.reason, params, callable_, self.blocked_by, until, self.stage, self.dpd,
         self.tier, self.score, flags, _currency) = row
        self.params = json.loads(params)
        self.callable = bool(callable_)
        self.next_allowed_at = datetime.fromisoformat(until) if until else None
        self.flags = flags.split()


def queue_rows(cache: Path, now: datetime, rules: Rules) -> StoredQueue | None:
    """The queue at `now` from the placements the cache holds, as the workbench shows them: those still
    holding are read as stored, the stale ones placed again here (nothing is written).
    None when the queue was placed with other rules, or only the full open can read the cache."""
    found = stored_queue(cache, utc_text(now))
    if found is None:
        return None
    digest, rows, stale, zone = found
    if digest is not None and digest != fingerprint(rules):
        return None
    currency = {row[1]: row[13] for row in rows}
    keyed = [(row[0], _Stored(row)) for row in rows]
    if stale:
        currency.update((f.case_id, f.currency) for f in stale)
        keyed += [(sort_bytes(p.sort_key), p) for p in (place_case(f, now, rules) for f in stale)]
        keyed.sort(key=lambda pair: pair[0])
    return StoredQueue([p for _, p in keyed], currency, zone or DEFAULT_ZONE)
