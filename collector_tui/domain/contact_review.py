"""The team lead's contact-frequency review: who contacts too often, too rarely, too late or at forbidden hours.

Every figure is defined once here, and docs/team.md says the same in words. A range is a run of whole days,
`start` to `end`; a day is always the customer's calendar day and an hour the customer's wall-clock hour (the
server counts contacts that way, so a daylight-saving change moves nothing). Three windows end on `end`:
- the range itself (`start`..`end`): outside-hours attempts, promises, the right-party rate, golden misses;
- the month, the 30 days ending on `end`: attempts in 30 days, reached contacts per case, the band;
- the week, the 7 days ending on `end`: attempts in 7 days.

- an attempt: any logged contact, of any channel, target and outcome. Attempts count for the collector who
  made them; a case's figures (the band, the golden window) count every attempt on the case, whoever made it,
  for the collector who holds it.
- reached: what the rule pack counts toward its monthly limit (`contact_rules.counts_as_contact`): an attempt
  to the debtor except no answer, busy, an invalid or a wrong number. A voicemail or a message left counts (a
  message was delivered), and so does someone else answering the debtor's own phone.
- the band: the pack's monthly floor and cap of reached contacts (3-6 by default). The cap applies to every
  case held; the floor to the cases past their golden window (overdue more than its days on `end`): a younger
  case is judged by the golden window instead, and shows as "new".
- a golden-window miss: the case was overdue on `overdue_since` and its first reached contact came after the
  window's last day (`overdue_since` + the window's days), or has not come. It becomes a miss on the day after
  that last day, and a range counts the misses that became misses on its days (so back-to-back ranges count
  each miss once, and a window that ends on `end` is not missed yet).
- outside hours: an attempt in the range whose hour at the customer falls outside the pack's allowed hours.
- promises: those due in the range, for the collector who holds the case: kept (paid in full), partly kept
  (some of it paid), broken (nothing by the due day), as the servicing system has judged them. A partly kept
  promise is not a kept one.
- the right-party rate: of the collector's phone attempts to the debtor in the range, the share that reached
  the debtor in person (`facts.Contact.right_party`: a conversation, and not a third party answering).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import median, quantiles

from collector_tui.domain.contact_rules import counts_as_contact
from collector_tui.domain.facts import Contact
from collector_tui.domain.policy import RulePack

MONTH_DAYS = 30
WEEK_DAYS = 7


@dataclass(frozen=True)
class TeamCase:
    case_id: str
    collector: str
    dpd: int
    overdue_since: date | None
    first_contact_at: datetime | None  # the first reached contact on or after overdue_since, the customer's time
    promises_kept: int = 0
    promises_broken: int = 0
    promises_partly_kept: int = 0


@dataclass(frozen=True)
class TeamContact:
    collector: str
    case_id: str
    day: date  # the customer's calendar day
    local_hour: int  # the customer's wall-clock hour
    channel: str
    disposition: str
    target: str
    count: int

    def _as_contact(self) -> Contact:
        return Contact(datetime.combine(self.day, datetime.min.time()), self.channel, self.disposition, self.target)

    @property
    def reached(self) -> bool:
        """Counts toward the monthly band: the rule pack's own definition of a contact."""
        return counts_as_contact(self._as_contact())

    @property
    def right_party(self) -> bool:
        """The debtor in person: a conversation, not a third party answering the debtor's phone."""
        return self._as_contact().right_party


@dataclass(frozen=True)
class CaseFigures:
    case_id: str
    collector: str
    reached_30d: int
    attempts_30d: int
    status: str  # over | under | ok | new (not yet past its golden window: the floor does not apply)
    golden_miss: bool
    outside_hours: int  # attempts in the range outside the allowed hours


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
    promises_partly_kept: int = 0
    phone_attempts: int = 0  # the right-party rate's denominator: phone attempts to the debtor in the range
    right_party: int = 0  # and its numerator


def month_start(end: date) -> date:
    """The first of the 30 days that end on `end`."""
    return end - timedelta(days=MONTH_DAYS - 1)


def monthly_band(pack: RulePack, default: tuple[int, int] = (3, 6)) -> tuple[int, int]:
    """The floor and cap of reached contacts a month: the pack's, else the deck's 3-6."""
    return (pack.per_month.min, pack.per_month.max) if pack.per_month else default


def window_end(case: TeamCase, days: int) -> date | None:
    """The golden window's last day (a reached contact on it is in time); None without an overdue date."""
    return case.overdue_since + timedelta(days=days) if case.overdue_since else None


def golden_miss(case: TeamCase, days: int, as_of: date, start: date | None = None) -> bool:
    """The case's golden window was missed, and became a miss (the day after its last day) between `start` (no
    bound when None) and `as_of`. Without an overdue date: no contact and more than `days` past due."""
    last = window_end(case, days)
    if last is None:
        return case.first_contact_at is None and case.dpd > days
    missed_on = last + timedelta(days=1)
    if missed_on > as_of or (start is not None and missed_on < start):
        return False
    return case.first_contact_at is None or case.first_contact_at.date() > last


def in_band(case: TeamCase, days: int, end: date) -> bool:
    """Whether the monthly floor applies: the case is past its golden window on `end` (or, without an overdue
    date, more than `days` past due)."""
    last = window_end(case, days)
    return case.dpd > days if last is None else last < end


def case_figures(cases: list[TeamCase], contacts: list[TeamContact], end: date, pack: RulePack,
                 start: date | None = None) -> list[CaseFigures]:
    """Each case's figures for the range `start`..`end` (default: the 30 days ending on `end`)."""
    start = month_start(end) if start is None else start
    floor, cap = monthly_band(pack)
    first30 = month_start(end)
    days = pack.golden_window.days
    reached: dict[str, int] = defaultdict(int)
    attempts: dict[str, int] = defaultdict(int)
    outside: dict[str, int] = defaultdict(int)
    for c in contacts:
        if first30 <= c.day <= end:
            attempts[c.case_id] += c.count
            if c.reached:
                reached[c.case_id] += c.count
        if start <= c.day <= end and not (pack.hours.start.hour <= c.local_hour < pack.hours.end.hour):
            outside[c.case_id] += c.count
    out = []
    for case in cases:
        n = reached[case.case_id]
        if n > cap:
            status = "over"
        elif not in_band(case, days, end):
            status = "new"
        else:
            status = "under" if n < floor else "ok"
        out.append(CaseFigures(case.case_id, case.collector, n, attempts[case.case_id], status,
                               golden_miss(case, days, end, start), outside[case.case_id]))
    return out


def team_figures(collectors: list[tuple[str, str, int]], cases: list[TeamCase], contacts: list[TeamContact],
                 end: date, pack: RulePack, start: date | None = None) -> list[CollectorFigures]:
    """Figures per collector for the range `start`..`end` (default: the 30 days ending on `end`); the 30- and
    7-day figures always cover the 30 and 7 days ending on `end`. `contacts` may hold days outside the windows
    (each figure takes its own); promise counts are the range's, as the server gave them."""
    start = month_start(end) if start is None else start
    per_case = case_figures(cases, contacts, end, pack, start)
    figures = {cid: CollectorFigures(cid, name, held, per_day=[0] * MONTH_DAYS) for cid, name, held in collectors}
    judged: dict[str, list[int]] = defaultdict(list)  # reached contacts of each case judged against the band
    for f in per_case:
        fig = figures.get(f.collector)
        if fig is None:
            continue
        if f.status == "over":
            fig.over_cap.append(f.case_id)
        elif f.status == "under":
            fig.under_floor.append(f.case_id)
        if f.status != "new":
            judged[f.collector].append(f.reached_30d)
        if f.golden_miss:
            fig.golden_misses.append(f.case_id)
    for case in cases:
        if case.collector in figures:
            fig = figures[case.collector]
            fig.promises_kept += case.promises_kept
            fig.promises_partly_kept += case.promises_partly_kept
            fig.promises_broken += case.promises_broken
    for c in contacts:
        fig = figures.get(c.collector)
        if fig is None or c.day > end:
            continue
        age = (end - c.day).days
        if age < MONTH_DAYS:
            fig.contacts_30d += c.count
            fig.per_day[MONTH_DAYS - 1 - age] += c.count
        if age < WEEK_DAYS:
            fig.contacts_7d += c.count
        if c.day < start:
            continue
        if not (pack.hours.start.hour <= c.local_hour < pack.hours.end.hour):
            fig.outside_hours += c.count
        if c.channel == "phone" and c.target == "customer":
            fig.phone_attempts += c.count
            if c.right_party:
                fig.right_party += c.count
    for cid, fig in figures.items():
        counts = sorted(judged[cid])
        if counts:
            fig.per_case_median = float(median(counts))
            if len(counts) >= 2:
                q = quantiles(counts, n=4, method="inclusive")
                fig.per_case_p25, fig.per_case_p75 = q[0], q[2]
            else:
                fig.per_case_p25 = fig.per_case_p75 = float(counts[0])
        fig.rpc_rate = fig.right_party / fig.phone_attempts if fig.phone_attempts else 0.0
        for ids in (fig.over_cap, fig.under_floor, fig.golden_misses):
            ids.sort()
    return [figures[cid] for cid, _, _ in collectors]


def band_counts(per_case: list[CaseFigures]) -> list[int]:
    """The reached contacts of the cases judged against the band (the histogram's cases): "new" ones left out."""
    return [f.reached_30d for f in per_case if f.status != "new"]
