"""The team lead's review, worked out once for the Team screen (`T`) and `collector-tui report contacts`.

The Team screen reads the figures the last sync kept in the cache: the 30 days ending on the lead's today. A
report is its own query: the CLI fetches its range from the server and hands the answer here; nothing of it is
stored, so the Team screen's figures stay the screen's. docs/team.md defines every figure
(collector_tui.domain.contact_review computes them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine

from collector_tui.domain.contact_review import (
    CaseFigures,
    CollectorFigures,
    case_figures,
    month_start,
    monthly_band,
    team_figures,
)
from collector_tui.domain.policy import RulePack
from collector_tui.storage.team_stats import TeamData, load_team_stats, team_data

__all__ = ["Review", "TeamData", "fetch_range", "future", "report_data", "review", "screen_review"]


@dataclass(frozen=True)
class Review:
    """The figures for one range: per collector, and per case (the drill-down)."""

    data: TeamData
    start: date  # the range's first day (the customer's calendar)
    end: date  # its last day: the 30 and 7 days end here too
    figures: list[CollectorFigures]
    cases: list[CaseFigures]
    floor: int
    cap: int

    @property
    def month_start(self) -> date:
        return month_start(self.end)


def review(data: TeamData, pack: RulePack, start: date | None = None, end: date | None = None) -> Review:
    """The figures for `start`..`end` (default: the 30 days ending on the data's last day)."""
    end = end or data.date_to
    start = start or month_start(end)
    floor, cap = monthly_band(pack)
    return Review(data, start, end, team_figures(data.collectors, data.cases, data.contacts, end, pack, start),
                  case_figures(data.cases, data.contacts, end, pack, start), floor, cap)


def screen_review(engine: Engine, pack: RulePack) -> Review | None:
    """The Team screen's figures: the 30 days ending on the day the last sync fetched them to."""
    data = load_team_stats(engine)
    return None if data is None else review(data, pack)


def fetch_range(start: date, end: date) -> tuple[date, date]:
    """What a report must ask the server for: its own range and the whole 30 days ending on its last day."""
    return min(start, month_start(end)), end


def future(end: date, today: date) -> bool:
    """A range that ends after the lead's today has days nobody can have worked yet: it is refused."""
    return end > today


def report_data(wide: dict[str, Any], ranged: dict[str, Any] | None, fetched_at: datetime) -> TeamData:
    """A report's data from the server's answers: the contacts of `wide` (the fetch range, which covers the 30
    days) and the promises of `ranged` (the report's own range; None when the two ranges are the same)."""
    if ranged is not None:
        wide = {**wide, "cases": ranged["cases"], "from": ranged["from"]}
    return team_data(wide, fetched_at.isoformat())


def cached_for(engine: Engine, start: date, end: date) -> TeamData | None:
    """The cached figures, when the network is down and they cover exactly this range (promises are counted
    over the range they were fetched for, so nothing else can be answered from them)."""
    data = load_team_stats(engine)
    if data is None or (data.date_from, data.date_to) != (start, end) or fetch_range(start, end)[0] < data.date_from:
        return None
    return data
