"""The team lead's contact-frequency review: who contacts too often, too rarely, too late or at forbidden hours.

Definitions (also in docs/team.md):
- attempts: every logged contact of any channel and target; "contacts in the last 7/30 days" count these.
- a reached contact: the debtor reached or a message delivered (not no-answer, busy, invalid or wrong
  number); the monthly cap and floor (3-6 by default, the rule pack's when it has one) count these over
  the 30 days that end on the report's last day.
- a golden-window miss: no reached contact within the window (15 days) after becoming overdue.
- outside hours: an attempt whose local hour at the customer falls outside the pack's allowed window.
- right-party rate: phone conversations with the debtor over phone attempts to the debtor.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import median, quantiles

from collector_tui.domain.contact_rules import NOT_A_CONTACT
from collector_tui.domain.facts import CONVERSATIONS
from collector_tui.domain.policy import RulePack


@dataclass(frozen=True)
class TeamCase:
    case_id: str
    collector: str
    dpd: int
    overdue_since: date | None
    first_contact_at: datetime | None
    promises_kept: int = 0
    promises_broken: int = 0


@dataclass(frozen=True)
class TeamContact:
    collector: str
    case_id: str
    day: date
    local_hour: int
    channel: str
    disposition: str
    target: str
    count: int

    @property
    def reached(self) -> bool:
        return self.target == "customer" and self.disposition not in NOT_A_CONTACT


@dataclass(frozen=True)
class CaseFigures:
    case_id: str
    collector: str
    reached_30d: int
    attempts_30d: int
    status: str  # over | under | ok
    golden_miss: bool
    outside_hours: int


@dataclass
class CollectorFigures:
    id: str
    name: str
    cases: int
    contacts_7d: int = 0
    contacts_30d: int = 0
    per_case_median: float = 0.0
    per_case_p25: float = 0.0
    per_case_p75: float = 0.0
    over_cap: list[str] = field(default_factory=list)
    under_floor: list[str] = field(default_factory=list)
    golden_misses: list[str] = field(default_factory=list)
    outside_hours: int = 0
    promises_kept: int = 0
    promises_broken: int = 0
    rpc_rate: float = 0.0
    per_day: list[int] = field(default_factory=list)  # attempts per day over the 30 days, oldest first


def monthly_band(pack: RulePack, default: tuple[int, int] = (3, 6)) -> tuple[int, int]:
    """The floor and cap of reached contacts a month: the pack's, else the deck's 3-6."""
    return (pack.per_month.min, pack.per_month.max) if pack.per_month else default


def golden_miss(case: TeamCase, days: int, as_of: date) -> bool:
    """First contact came after the golden window, or has not come and the window closed by `as_of` (the
    calendar judges it, not the days past due of the last snapshot)."""
    if case.overdue_since is None:
        return case.first_contact_at is None and case.dpd > days
    deadline = case.overdue_since + timedelta(days=days)
    if case.first_contact_at is None:
        return as_of > deadline
    return case.first_contact_at.date() > deadline


def case_figures(cases: list[TeamCase], contacts: list[TeamContact], end: date, pack: RulePack) -> list[CaseFigures]:
    floor, cap = monthly_band(pack)
    start30 = end - timedelta(days=29)
    reached: dict[str, int] = defaultdict(int)
    attempts: dict[str, int] = defaultdict(int)
    outside: dict[str, int] = defaultdict(int)
    for c in contacts:
        if start30 <= c.day <= end:
            attempts[c.case_id] += c.count
            if c.reached:
                reached[c.case_id] += c.count
        if not (pack.hours.start.hour <= c.local_hour < pack.hours.end.hour):
            outside[c.case_id] += c.count
    out = []
    for case in cases:
        n = reached[case.case_id]
        status = "over" if n > cap else "under" if n < floor else "ok"
        out.append(CaseFigures(case.case_id, case.collector, n, attempts[case.case_id], status,
                               golden_miss(case, pack.golden_window.days, end), outside[case.case_id]))
    return out


def team_figures(collectors: list[tuple[str, str, int]], cases: list[TeamCase], contacts: list[TeamContact],
                 end: date, pack: RulePack) -> list[CollectorFigures]:
    """Figures per collector for the 30 days ending `end` (7-day counts end there too)."""
    per_case = case_figures(cases, contacts, end, pack)
    figures = {cid: CollectorFigures(cid, name, held, per_day=[0] * 30) for cid, name, held in collectors}
    for f in per_case:
        fig = figures.get(f.collector)
        if fig is None:
            continue
        if f.status == "over":
            fig.over_cap.append(f.case_id)
        elif f.status == "under":
            fig.under_floor.append(f.case_id)
        if f.golden_miss:
            fig.golden_misses.append(f.case_id)
        fig.outside_hours += f.outside_hours
    for case in cases:
        if case.collector in figures:
            figures[case.collector].promises_kept += case.promises_kept
            figures[case.collector].promises_broken += case.promises_broken
    phone_attempts: dict[str, int] = defaultdict(int)
    phone_talks: dict[str, int] = defaultdict(int)
    for c in contacts:
        fig = figures.get(c.collector)
        if fig is None:
            continue
        age = (end - c.day).days
        if 0 <= age < 30:
            fig.contacts_30d += c.count
            fig.per_day[29 - age] += c.count
        if 0 <= age < 7:
            fig.contacts_7d += c.count
        if c.channel == "phone" and c.target == "customer":
            phone_attempts[c.collector] += c.count
            if c.disposition in CONVERSATIONS:
                phone_talks[c.collector] += c.count
    for cid, fig in figures.items():
        counts = sorted(f.reached_30d for f in per_case if f.collector == cid)
        if counts:
            fig.per_case_median = float(median(counts))
            if len(counts) >= 2:
                q = quantiles(counts, n=4, method="inclusive")
                fig.per_case_p25, fig.per_case_p75 = q[0], q[2]
            else:
                fig.per_case_p25 = fig.per_case_p75 = float(counts[0])
        fig.rpc_rate = phone_talks[cid] / phone_attempts[cid] if phone_attempts[cid] else 0.0
        for ids in (fig.over_cap, fig.under_floor, fig.golden_misses):
            ids.sort()
    return [figures[cid] for cid, _, _ in collectors]
