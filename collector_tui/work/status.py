"""Where the cache stands and whose clock the screens speak in: last sync, its error, the outbox."""

from __future__ import annotations

from collector_tui.domain.zones import DEFAULT_ZONE
from collector_tui.storage.models import Collector
from collector_tui.storage.state import Status, me, status

__all__ = ["DEFAULT_ZONE", "Collector", "Status", "collector_zone", "me", "status"]


def collector_zone(collector: Collector | None) -> str:
    """The zone the collector's screens and reports show times in."""
    return collector.timezone if collector and collector.timezone else DEFAULT_ZONE
