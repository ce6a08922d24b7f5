"""Everything the rules need from settings in one value: the contact-rule pack and every threshold."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from collector_tui.domain.flags import FlagThresholds
from collector_tui.domain.plans import PlanLimits
from collector_tui.domain.policy import RulePack
from collector_tui.domain.scoring import ScoreWeights
from collector_tui.domain.stages import DEFAULT_BOUNDS, StageBounds


@dataclass(frozen=True)
class Rules:
    pack: RulePack
    thresholds: FlagThresholds = field(default_factory=FlagThresholds)
    weights: ScoreWeights = field(default_factory=ScoreWeights)
    bounds: StageBounds = DEFAULT_BOUNDS
    plan_limits: PlanLimits = field(default_factory=PlanLimits)


def fingerprint(rules: Rules) -> str:
    """A short digest of every rule and threshold: equal rules, equal digests (the repr of frozen dataclasses
    names every field, in order)."""
    return hashlib.sha256(repr(rules).encode()).hexdigest()[:16]
