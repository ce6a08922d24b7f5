"""May the collector contact this customer now, on this channel? Allowed, or blocked with the rule, why, and when.

Days are counted in the customer's home time zone. The allowed window must hold in every zone the
customer may be in (home zone and the zone of the number dialled).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from collector_tui.domain.facts import CaseFacts, Contact
from collector_tui.domain.moment import INCONVENIENT, VERIFIED, WORKPLACE, active_suppressions, at_moment, dead_numbers
from collector_tui.domain.policy import RulePack
from collector_tui.domain.zones import candidate_zones

WEEK = timedelta(days=7)  # the weekly guidance counts the contacts of the last seven days, to the instant
UNANSWERED = frozenset({"no_answer", "busy", "voicemail"})
NOT_A_CONTACT = frozenset({"no_answer", "busy", "invalid_number", "wrong_number"})
FAILED_TO_REACH = frozenset({"no_answer", "busy", "voicemail", "invalid_number", "wrong_number", "message_left"})


@dataclass(frozen=True)
class Decision:
    """The answer of a check; `reason` is a message key with `params`."""

    allowed: bool
    rule: str | None = None
    reason: str = "check.allowed"
    params: dict[str, object] = field(default_factory=dict)
    next_allowed_at: datetime | None = None
    holds_until: datetime | None = None  # an allowed contact: when the allowed hours close in one of the zones


def counts_as_contact(c: Contact) -> bool:
    """A contact for the monthly and weekly guidance: someone was reached or a message was delivered."""
    return c.with_debtor and c.disposition not in NOT_A_CONTACT


def window_open(pack: RulePack, zones: tuple[str, ...], at: datetime) -> bool:
    for zone in zones:
        local = at.astimezone(ZoneInfo(zone)).time()
        if not (pack.hours.start <= local < pack.hours.end):
            return False
    return True


def window_close(pack: RulePack, zones: tuple[str, ...], at: datetime) -> datetime:
    """While the window is open at `at`: the first instant it closes in one of the zones."""
    return min(datetime.combine(at.astimezone(ZoneInfo(z)).date(), pack.hours.end, ZoneInfo(z)) for z in zones)


def next_window_open(pack: RulePack, zones: tuple[str, ...], at: datetime) -> datetime:
    """The first instant at or after `at` when the window is open in every zone."""
    if window_open(pack, zones, at):
        return at
    candidates = []
    for zone in zones:
        tz = ZoneInfo(zone)
        day = at.astimezone(tz).date()
        for offset in range(0, 9):
            # Window starts are at 08:00 local, never inside a DST gap, so combine() is exact.
            start = datetime.combine(day + timedelta(days=offset), pack.hours.start, tz)
            if start >= at and window_open(pack, zones, start):
                candidates.append(start)
                break
    if not candidates:  # the windows never overlap: contact is impossible under this pack
        raise ValueError(f"the allowed hours never hold in all of {', '.join(zones)} at once")
    return min(candidates)


def _day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tz)


def _caps(pack: RulePack, f: CaseFacts, channel: str, now: datetime, number: str | None,
          home: ZoneInfo) -> list[tuple[datetime, str, str, dict[str, object]]]:
    """Every frequency cap reached: (blocked until, rule, reason key, params)."""
    today = now.astimezone(home).date()
    tomorrow = _day_start(today + timedelta(days=1), home)
    past = [c for c in f.contacts if c.at <= now]
    phone = [c for c in past if c.channel == "phone"]
    hits: list[tuple[datetime, str, str, dict[str, object]]] = []

    days = {id(c): c.at.astimezone(home).date() for c in past}  # each contact's local day, worked out once

    def local_day(c: Contact) -> date:
        return days[id(c)]

    if channel == "phone" and pack.unanswered_per_day:
        cap = pack.unanswered_per_day
        same = [c for c in phone if local_day(c) == today and c.disposition in UNANSWERED
                and (not number or not c.number or c.number == number)]
        if len(same) >= cap.max:
            hits.append((tomorrow, cap.rule, "check.unanswered_per_day", {"count": len(same), "max": cap.max}))
    if channel == "phone" and pack.connected_per_day:
        cap = pack.connected_per_day
        connected = [c for c in phone if local_day(c) == today and c.conversation and c.with_debtor]
        if len(connected) >= cap.max:
            hits.append((tomorrow, cap.rule, "check.connected_per_day", {"count": len(connected), "max": cap.max}))
    if channel == "phone" and pack.seven_in_seven:
        rule = pack.seven_in_seven
        talks = [local_day(c) for c in phone if c.conversation and c.with_debtor]
        if talks:
            # The conversation day is day 1 of the waiting period.
            free_from = max(talks) + timedelta(days=rule.wait_after_conversation_days)
            if today < free_from:
                hits.append((_day_start(free_from, home), rule.rule, "check.wait_after_conversation",
                             {"day": max(talks).isoformat(), "days": rule.wait_after_conversation_days}))
        attempt_days = [local_day(c) for c in phone]

        def in_window(end: date) -> int:
            return sum(1 for d in attempt_days if end - timedelta(days=rule.window_days - 1) <= d <= end)

        if in_window(today) >= rule.max_attempts:
            day = today + timedelta(days=1)
            while in_window(day) >= rule.max_attempts:
                day += timedelta(days=1)
            hits.append((_day_start(day, home), rule.rule, "check.seven_in_seven",
                         {"count": in_window(today), "max": rule.max_attempts, "days": rule.window_days}))
    contacts = [c for c in past if counts_as_contact(c)]
    weekly = pack.per_week
    if weekly and weekly.from_dpd <= f.dpd <= weekly.to_dpd:
        recent = sorted(c.at for c in contacts if c.at > now - WEEK)
        if len(recent) >= weekly.max:
            until = recent[len(recent) - weekly.max] + WEEK
            hits.append((until, weekly.rule, "check.per_week", {"count": len(recent), "max": weekly.max}))
    monthly = pack.per_month
    if monthly:
        this_month = [c for c in contacts if (d := local_day(c)).year == today.year and d.month == today.month]
        if len(this_month) >= monthly.max:
            first = today.replace(day=1) + relativedelta(months=1)
            hits.append((_day_start(first, home), monthly.rule, "check.per_month",
                         {"count": len(this_month), "max": monthly.max}))
    return hits


def _hours(hours: str) -> tuple[time, time] | None:
    """Inconvenient hours as the customer named them ("HH:MM-HH:MM"); None when they are not a range."""
    try:
        start, end = (time.fromisoformat(part) for part in hours.split("-"))
    except ValueError:
        return None
    return start, end


def _inconvenient(hours: str, now: datetime, home: ZoneInfo) -> datetime | None:
    """Inside the hours the customer named as inconvenient (their own clock): when those hours end, else None."""
    named = _hours(hours)
    if named is None:
        return None
    start, end = named
    local = now.astimezone(home)
    if start <= local.time() < end:
        return datetime.combine(local.date(), end, home)
    return None


def _wall_clock(day: date, at: time, tz: ZoneInfo) -> list[datetime]:
    """The instants at which the customer's clock comes to `at` on `day`: once, twice in the hour a clock goes
    back, and in the hour a clock skips, the instant it jumps past `at`."""
    wall = datetime.combine(day, at)
    utc = ZoneInfo("UTC")
    first, second = (datetime.combine(day, at, tz).replace(fold=fold).astimezone(utc) for fold in (0, 1))
    if first.astimezone(tz).replace(tzinfo=None) == wall:
        return sorted({first, second})
    # Skipped: the jump lies between the two readings of the wall time (offsets before and after it).
    low, high = min(first, second), max(first, second)
    while high - low > timedelta(microseconds=1):
        mid = low + (high - low) / 2
        if mid.astimezone(tz).replace(tzinfo=None) >= wall:
            high = mid
        else:
            low = mid
    return [high]


def answer_changes(pack: RulePack, f: CaseFacts, now: datetime) -> list[datetime]:
    """Moments after `now`, within the customer's day, at which the check may answer otherwise than it does now,
    whatever it answers now: a contact dated later than `now` starts to count; the oldest contact counted
    against a reached weekly cap leaves its seven days; inconvenient hours the customer named start or end.
    The check's own `next_allowed_at` and `holds_until`, and the customer's day turning, come on top.
    `f` is the facts at that moment (domain.moment.at_moment: its days past due decide the weekly rule)."""
    home = ZoneInfo(f.timezone)
    moments = [c.at for c in f.contacts if c.at > now]
    weekly = pack.per_week
    if weekly and weekly.from_dpd <= f.dpd <= weekly.to_dpd:
        recent = sorted(c.at for c in f.contacts if counts_as_contact(c) and now - WEEK < c.at <= now)
        if len(recent) >= weekly.max:
            moments.append(recent[0] + WEEK)  # the count falls: still blocked, or callable again
    named_hours = any(c.disposition == INCONVENIENT for c in f.contacts) or any(
        s.type == INCONVENIENT for s in f.suppressions)
    if named_hours and pack.suppressions.get(INCONVENIENT):
        today = now.astimezone(home).date()
        for s in active_suppressions(f):
            named = _hours(s.hours) if s.type == INCONVENIENT else None
            if named is not None:
                moments += [m for bound in named for m in _wall_clock(today, bound, home)]
    return [m for m in moments if m > now]


def _dials_work(f: CaseFacts, number: str | None) -> bool:
    """The call would ring at the workplace: the number dialled is a work number, or, with none chosen, every
    number that could be dialled is."""
    if number:
        return any(p.number == number and p.type == "work" for p in f.phones)
    usable = [p for p in f.phones if p.reachable]
    return bool(usable) and all(p.type == "work" for p in usable)


def check_contact(pack: RulePack, f: CaseFacts, *, channel: str, now: datetime, target: str = "customer",
                  number: str | None = None, disposition: str | None = None) -> Decision:
    """Check one intended contact against the pack. `now` must carry a time zone. `disposition`, when known,
    lets through the one contact a suppression waits for (the verification that ends a dispute's pause)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    home = ZoneInfo(f.timezone)
    f = at_moment(f, now.astimezone(home).date())
    dialled = number or next((p.number for p in f.phones if p.reachable), None)
    zones = candidate_zones(f.timezone, [dialled] if dialled else [])
    home = ZoneInfo(f.timezone)
    for s in active_suppressions(f):
        rule = pack.suppressions.get(s.type)
        if s.type == "attorney" and target == "attorney":
            continue  # a represented customer is contacted through the attorney, and only so
        if s.type == "dispute" and disposition == VERIFIED:
            continue
        if s.type == INCONVENIENT:
            window = _inconvenient(s.hours, now, home) if rule else None
            if window is not None:
                return Decision(False, rule, "check.inconvenient", {"hours": s.hours, "origin": s.origin},
                                next_window_open(pack, zones, window))
            continue
        if s.type == WORKPLACE:
            if channel == "phone" and rule and _dials_work(f, number):
                return Decision(False, rule, "check.workplace", {"origin": s.origin})
            continue
        if rule and (s.channel is None or s.channel == channel):
            return Decision(False, rule, "check.suppressed", {"type": s.type, "channel": s.channel or "*",
                                                              "origin": s.origin,
                                                              "since": s.since.isoformat() if s.since else ""})
    if channel == "phone":
        dead = dead_numbers(f)
        rule = pack.suppressions.get("wrong_number", "HOUSE-DEAD-NUMBER")
        if number and number in dead:
            return Decision(False, rule, "check.dead_number", {"outcome": dead[number]})
        if not number and f.phones and all(p.number in dead for p in f.phones):
            return Decision(False, rule, "check.no_number", {})
    if f.consents.get(channel) is False:
        return Decision(False, pack.consent_rule, "check.no_consent", {"channel": channel})
    if target == "third_party" and pack.third_party:
        failures = 0
        for c in reversed([c for c in f.contacts if c.with_debtor]):
            if c.disposition not in FAILED_TO_REACH:
                break
            failures += 1
        unreachable = bool(f.phones) and not any(p.reachable for p in f.phones)
        if failures < pack.third_party.after_failed_attempts and not unreachable:
            return Decision(False, pack.third_party.rule, "check.third_party",
                            {"failures": failures, "needed": pack.third_party.after_failed_attempts})
    # The caps count contacts with the debtor; the attorney of a represented debtor is not the debtor.
    hits = _caps(pack, f, channel, now, number, home) if target != "attorney" else []
    if hits:
        until, rule, reason, params = max(hits, key=lambda h: h[0])
        return Decision(False, rule, reason, params, next_window_open(pack, zones, until))
    if not window_open(pack, zones, now):
        start, end = pack.hours.start.strftime("%H:%M"), pack.hours.end.strftime("%H:%M")
        return Decision(False, pack.hours.rule, "check.hours", {"start": start, "end": end, "zones": ", ".join(zones)},
                        next_window_open(pack, zones, now))
    return Decision(True, holds_until=window_close(pack, zones, now))
