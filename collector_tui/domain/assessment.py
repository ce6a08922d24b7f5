"""Assess a case at a moment: its stage, risk flags, score and tier, and whether it may be contacted now.

One function for the queue's placement and the profile's risk panel, so that the two never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from collector_tui.domain.contact_rules import Decision, check_contact
from collector_tui.domain.facts import CaseFacts
from collector_tui.domain.flags import RiskFlag, compute_flags
from collector_tui.domain.moment import at_moment, time_barred_since
from collector_tui.domain.rules import Rules
from collector_tui.domain.scoring import Score, score_case
from collector_tui.domain.stages import Stage, stage_for_dpd


@dataclass(frozen=True)
class Assessment:
    facts: CaseFacts  # as they stand at the moment assessed (domain.moment)
    today: date  # the customer's calendar day at the moment assessed
    stage: Stage
    flags: list[RiskFlag]
    score: Score
    decision: Decision  # a phone call to the customer, now


def assess(f: CaseFacts, now: datetime, rules: Rules) -> Assessment:
    today = now.astimezone(ZoneInfo(f.timezone)).date()
    f = at_moment(f, today)
    stage = stage_for_dpd(f.dpd, rules.bounds)
    flags = compute_flags(f, today, rules.thresholds)
    barred = rules.pack.time_barred
    since = time_barred_since(f, barred.years) if barred else None
    if barred and since is not None and today >= since:
        # Never threaten suit: the talk track leaves legal steps out and the checklist asks for the disclosure.
        flags.append(RiskFlag("debt.time_barred", "debt", "high", "flag.debt.time_barred",
                              {"since": since.isoformat(), "years": barred.years, "rule": barred.rule}))
    return Assessment(facts=f, today=today, stage=stage, flags=flags, score=score_case(stage, flags, rules.weights),
                      decision=check_contact(rules.pack, f, channel="phone", now=now))
