"""The outbox as the collector handles it: what waits, what the server refused, retry and discard."""

from __future__ import annotations

from collector_tui.storage.outbox import Entry, discard, entries, get, retry

__all__ = ["Entry", "discard", "entries", "get", "retry", "states_for"]


def states_for(items: list[Entry], case_id: str) -> dict[str, str]:
    """Each local record of a case that is still in the outbox: pending, or failed."""
    return {e.id: e.state for e in items if e.case_id == case_id}
