"""Queue order: which case to work next, and the one-line reason it is there."""

from __future__ import annotations

from dataclasses import dataclass

from collector_tui.domain.stages import DEFAULT_BOUNDS, Stage, StageBounds, stage_for_dpd

GOLDEN_WINDOW_DAYS = 15  # domain.md: first contact within 15 days of becoming overdue


@dataclass(frozen=True)
class QueuePlace:
    """Where a case sorts (lower first) and the message key of the next action."""

    priority: int
    next_action: str


def queue_place(
    dpd: int, contacted: bool, *, golden_window_days: int = GOLDEN_WINDOW_DAYS, bounds: StageBounds = DEFAULT_BOUNDS
) -> QueuePlace:
    """Untouched cases inside the golden window first, then the most severe stages."""
    stage = stage_for_dpd(dpd, bounds)
    if not contacted and 0 < dpd <= golden_window_days:
        return QueuePlace(0, "next.golden")
    if not contacted:
        return QueuePlace(1, "next.first_contact_late")
    order = {Stage.SEVERE: 2, Stage.ESCALATION: 3, Stage.LONG_TERM: 4, Stage.EARLY_WARNING: 5, Stage.CURRENT: 6}
    return QueuePlace(order[stage], f"next.stage{int(stage)}")


def golden_days_left(dpd: int, golden_window_days: int = GOLDEN_WINDOW_DAYS) -> int:
    return max(golden_window_days - dpd, 0)
