"""Delinquency stages by days past due, with what the training deck prescribes at each stage."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Stage(IntEnum):
    """Stages of delinquency; 0 means not (yet) overdue."""

    CURRENT = 0
    EARLY_WARNING = 1
    ESCALATION = 2
    SEVERE = 3
    LONG_TERM = 4


@dataclass(frozen=True)
class StageBounds:
    """Last DPD of each stage; the defaults are the deck's 1-15, 16-30, 31-90, 90+."""

    early_warning_last: int = 15
    escalation_last: int = 30
    severe_last: int = 90

    def __post_init__(self) -> None:
        if not (0 < self.early_warning_last < self.escalation_last < self.severe_last):
            raise ValueError("stage bounds must grow: early_warning_last < escalation_last < severe_last")


DEFAULT_BOUNDS = StageBounds()

# Message keys of the actions each stage prescribes (the training deck's stages; docs/rules.md).
PRESCRIBED_ACTIONS: dict[Stage, tuple[str, ...]] = {
    Stage.CURRENT: (),
    Stage.EARLY_WARNING: (
        "action.sms_reminder",
        "action.phone_call",
        "action.learn_reason",
        "action.record_feedback",
        "action.assess_risk",
    ),
    Stage.ESCALATION: (
        "action.risk_medium",
        "action.contact_2_3_weekly",
        "action.emergency_contacts",
        "action.draft_plan",
    ),
    Stage.SEVERE: (
        "action.risk_high",
        "action.prepare_legal",
        "action.asset_preservation",
        "action.loss_mitigation",
    ),
    Stage.LONG_TERM: ("action.long_term_tracking", "action.prepare_legal", "action.loss_mitigation"),
}


def stage_for_dpd(dpd: int, bounds: StageBounds = DEFAULT_BOUNDS) -> Stage:
    """The stage a case is in at `dpd` days past due."""
    if dpd <= 0:
        return Stage.CURRENT
    if dpd <= bounds.early_warning_last:
        return Stage.EARLY_WARNING
    if dpd <= bounds.escalation_last:
        return Stage.ESCALATION
    if dpd <= bounds.severe_last:
        return Stage.SEVERE
    return Stage.LONG_TERM
