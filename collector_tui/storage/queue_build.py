"""Order the queue: run every open case through the rules at `now` and store positions, groups and reasons."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Engine, delete, select

from collector_tui.domain.priority import Placement, order, place_case
from collector_tui.domain.rules import Rules
from collector_tui.storage.engine import read, write
from collector_tui.storage.facts import load_facts
from collector_tui.storage.models import QueueEntry

T_QUEUE = QueueEntry.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class QueueSummary:
    built_at: str
    groups: dict[str, int]
    next_change: str | None  # the earliest time a blocked case becomes callable


def place_all(engine: Engine, now: datetime, rules: Rules, case_ids: Iterable[str] | None = None) -> list[Placement]:
    """The ordered placements at `now`, without writing anything (for `collector-tui queue --at`)."""
    return order([place_case(f, now, rules.pack, thresholds=rules.thresholds, weights=rules.weights, bounds=rules.bounds)
                  for f in load_facts(engine, case_ids)])


def rebuild_queue(engine: Engine, now: datetime, rules: Rules) -> QueueSummary:
    placed = place_all(engine, now, rules)
    built = now.isoformat()
    rows = [
        {"case_id": p.case_id, "position": i, "group": p.group, "reason": p.reason, "params": p.params,
         "callable": p.callable, "blocked_by": p.blocked_by,
         # UTC so that the stored text sorts as time does.
         "next_allowed_at": p.next_allowed_at.astimezone(timezone.utc).isoformat() if p.next_allowed_at else None,
         "tier": p.tier, "score": p.score, "risk_level": p.risk_level, "flags": " ".join(p.flags), "built_at": built}
        for i, p in enumerate(placed)
    ]
    with write(engine) as conn:
        conn.execute(delete(T_QUEUE))
        if rows:
            conn.execute(T_QUEUE.insert(), rows)
    waits = [p.next_allowed_at for p in placed if p.next_allowed_at]
    return QueueSummary(built, dict(Counter(p.group for p in placed)), min(waits).isoformat() if waits else None)


def queue_built_at(engine: Engine) -> str | None:
    with read(engine) as conn:
        return conn.execute(select(T_QUEUE.c.built_at).limit(1)).scalar()


def queue_due(engine: Engine, now: datetime) -> bool:
    """Whether the stored order is stale: never built, built on another day, or a blocked case is now callable."""
    with read(engine) as conn:
        built = conn.execute(select(T_QUEUE.c.built_at).limit(1)).scalar()
        if built is None:
            return True
        if datetime.fromisoformat(built).date() != now.date():
            return True
        earliest = conn.execute(
            select(T_QUEUE.c.next_allowed_at).where(T_QUEUE.c.next_allowed_at.is_not(None))
            .order_by(T_QUEUE.c.next_allowed_at).limit(1)
        ).scalar()
    return earliest is not None and datetime.fromisoformat(earliest) <= now
