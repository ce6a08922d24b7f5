"""An explainable behaviour score: stage points plus points for each raised flag, and the A/B/C tier.

score = stage points + sum of each flag's points (by severity unless the flag has its own weight),
capped at 100. Tier A below `tier_b_from`, C from `tier_c_from`, B between. The deck raises the risk
level to medium at stage 2 and to high at stage 3, whatever the score.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from collector_tui.domain.flags import RiskFlag
from collector_tui.domain.stages import Stage

RISK_LEVELS = ("low", "medium", "high")


@dataclass(frozen=True)
class ScoreWeights:
    severity_points: dict[str, int] = field(default_factory=lambda: {"low": 4, "medium": 8, "high": 14})
    stage_points: dict[int, int] = field(default_factory=lambda: {0: 0, 1: 5, 2: 15, 3: 30, 4: 40})
    flag_points: dict[str, int] = field(default_factory=dict)  # per-flag overrides
    # Placed so that a typical delinquent book splits about 30/45/25 into A/B/C.
    tier_b_from: int = 45
    tier_c_from: int = 75


@dataclass(frozen=True)
class Contribution:
    """One line of the score's explanation: a message key, its parameters, the points it added."""

    key: str
    params: dict[str, object]
    points: int


@dataclass(frozen=True)
class Score:
    value: int
    tier: str  # A | B | C
    risk_level: str  # low | medium | high
    contributions: tuple[Contribution, ...]


def score_case(stage: Stage, flags: list[RiskFlag], weights: ScoreWeights = ScoreWeights()) -> Score:
    parts = [Contribution(f"stage_long.{int(stage)}", {}, weights.stage_points.get(int(stage), 0))]
    for flag in flags:
        points = weights.flag_points.get(flag.id, weights.severity_points.get(flag.severity, 0))
        parts.append(Contribution(flag.evidence, flag.params, points))
    value = min(sum(p.points for p in parts), 100)
    tier = "A" if value < weights.tier_b_from else "B" if value < weights.tier_c_from else "C"
    level = RISK_LEVELS["ABC".index(tier)]
    floor = 2 if stage >= Stage.SEVERE else 1 if stage == Stage.ESCALATION else 0
    level = RISK_LEVELS[max(RISK_LEVELS.index(level), floor)]
    return Score(value, tier, level, tuple(sorted(parts, key=lambda p: -p.points)))
