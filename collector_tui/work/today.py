"""My day: the collector's attempts, right-party contacts, promises, callbacks and untouched cases today, against
the team's targets; for a lead, the same per collector of the team (missed callbacks among them).

The day is the collector's own (their zone, from the server). Attempts and right-party contacts count what the
collector recorded (here or on another device); promises are those made today on the collector's cases.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from collector_tui.domain.callbacks import DONE, MISSED, callback_state, was_missed
from collector_tui.domain.facts import Contact
from collector_tui.storage.callbacks import callback_records
from collector_tui.storage.day import case_holders, contacts_around, promises_around
from collector_tui.work.status import collector_zone, me

__all__ = ["Day", "Figures", "Targets", "my_day"]


@dataclass(frozen=True)
class Targets:
    attempts: int = 0
    right_party: int = 0
    promises: int = 0
    promise_amount: Decimal = Decimal(0)
    currency: str = ""


@dataclass
class Figures:
    attempts: int = 0
    right_party: int = 0
    promises: int = 0
    promised: dict[str, Decimal] = field(default_factory=dict)  # currency -> total promised today
    callbacks_today: int = 0  # callbacks due today (the collector's day), in any state
    callbacks_made: int = 0  # of those, made in time
    callbacks_missed: int = 0  # of those, not made in time (open, or followed up late)
    callbacks_open: int = 0  # missed on any day and not yet called back
    untouched: int = 0  # open cases without an attempt today
    cases: int = 0  # open cases held

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["promised"] = {c: str(v) for c, v in sorted(self.promised.items())}
        return data


@dataclass(frozen=True)
class Day:
    day: date
    zone: str  # whose clock: the collector's
    user: str
    figures: Figures
    targets: Targets | None
    collectors: dict[str, Figures]  # a lead's team, per collector (empty for a collector)

    def as_json(self) -> dict[str, Any]:
        targets = None
        if self.targets is not None:
            targets = {**asdict(self.targets), "promise_amount": str(self.targets.promise_amount)}
        return {"day": self.day.isoformat(), "zone": self.zone, "user": self.user, **self.figures.as_json(),
                "targets": targets, "collectors": {k: v.as_json() for k, v in sorted(self.collectors.items())}}


def _targets(raw: dict[str, Any] | None) -> Targets | None:
    if not raw:
        return None
    return Targets(attempts=int(raw.get("attempts", 0)), right_party=int(raw.get("right_party", 0)),
                   promises=int(raw.get("promises", 0)), promise_amount=Decimal(str(raw.get("promise_amount", "0"))),
                   currency=str(raw.get("currency", "")))


def my_day(engine: Engine, now: datetime, user: str = "") -> Day:
    """The day's figures at `now` for `user` (default: the collector the server named at the last sync); for a
    lead, the team's and each collector's."""
    who = me(engine)
    user = user or (who.id if who else "")
    zone = collector_zone(who)
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    start = datetime.combine(today, time(0), tz)
    end = start + timedelta(days=1)
    lead = bool(who and who.role == "lead")
    holders = case_holders(engine)

    def within(iso: str) -> datetime | None:
        at = datetime.fromisoformat(iso)
        return at if start <= at < end and at <= now else None

    figures: dict[str, Figures] = defaultdict(Figures)
    for holder in holders.values():
        figures[holder].cases += 1
    worked: dict[str, set[str]] = defaultdict(set)  # collector -> cases with an attempt today
    for c in contacts_around(engine, start, end):
        at = within(c.at)
        if at is None or c.case_id not in holders:
            continue
        by = c.collector or (user if c.origin == "local" else holders[c.case_id])
        worked[holders[c.case_id]].add(c.case_id)
        f = figures[by]
        f.attempts += 1
        if Contact(at, c.channel, c.disposition, c.target).right_party:
            f.right_party += 1
    for p in promises_around(engine, start, end):
        if within(p.made_at) is None or p.case_id not in holders:
            continue
        f = figures[holders[p.case_id]]
        f.promises += 1
        f.promised[p.currency] = f.promised.get(p.currency, Decimal(0)) + Decimal(p.amount)
    for cb in callback_records(engine):
        holder = holders.get(cb.case_id)
        if holder is None:
            continue
        at = datetime.fromisoformat(cb.at)
        state = callback_state(at, [datetime.fromisoformat(a) for a in cb.attempts], now)
        f = figures[holder]
        if state == MISSED:
            f.callbacks_open += 1
        if start <= at < end:
            f.callbacks_today += 1
            f.callbacks_made += state == DONE
            f.callbacks_missed += was_missed(state)
    for holder, f in figures.items():
        f.untouched = f.cases - len(worked[holder])
    if lead:
        team = {k: v for k, v in figures.items() if k and k != user}
        total = _sum(team.values())
        return Day(today, zone, user, total, None, team)
    return Day(today, zone, user, figures[user] if user in figures else _sum(figures.values()),
               _targets(who.targets if who else None), {})


def _sum(parts: Any) -> Figures:
    total = Figures()
    for f in parts:
        for name in ("attempts", "right_party", "promises", "callbacks_today", "callbacks_made", "callbacks_missed",
                     "callbacks_open", "untouched", "cases"):
            setattr(total, name, getattr(total, name) + getattr(f, name))
        for currency, amount in f.promised.items():
            total.promised[currency] = total.promised.get(currency, Decimal(0)) + amount
    return total
