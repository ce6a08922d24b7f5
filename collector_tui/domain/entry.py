"""When a recorded time may be: not ahead of the clock beyond a small skew, not before the case began, and a
callback inside the allowed hours wherever the customer may be. The form, the CLI and the server use these.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from collector_tui.domain.actions import FieldError
from collector_tui.domain.contact_rules import next_window_open, window_open
from collector_tui.domain.policy import RulePack

# How far ahead of the checking clock a recorded time may be: another device's clock may run that much fast.
CLOCK_SKEW = timedelta(minutes=5)


def case_began(since: date | None, zone: str) -> datetime | None:
    """The first instant work on a case can be recorded: the start of the day it was assigned or, where no
    assignment date is known, the day its loan went overdue, in the customer's zone."""
    return datetime.combine(since, time(0, 0), ZoneInfo(zone)) if since else None


def validate_moment(at: datetime, now: datetime, began: datetime | None, field: str = "at",
                    skew: timedelta = CLOCK_SKEW) -> list[FieldError]:
    """A time something happened: at most `skew` after `now`, and not before the case began."""
    if at.tzinfo is None:
        return [FieldError(field, "form.zone_needed", {})]
    if at > now + skew:
        return [FieldError(field, "form.at_future", {"minutes": int(skew.total_seconds() // 60)})]
    if began is not None and at < began:
        return [FieldError(field, "form.at_before_case", {"day": began.date().isoformat()})]
    return []


def validate_callback_hours(pack: RulePack, zones: tuple[str, ...], at: datetime,
                            field: str = "at") -> list[FieldError]:
    """A callback inside the pack's hours in every zone the customer may be in; refused with the next time
    that is, shown in the first zone's (the customer's home) time."""
    if window_open(pack, zones, at):
        return []
    params: dict[str, object] = {"start": pack.hours.start.strftime("%H:%M"), "end": pack.hours.end.strftime("%H:%M"),
                                 "zones": ", ".join(zones), "rule": pack.hours.rule}
    try:
        params["next"] = next_window_open(pack, zones, at).astimezone(ZoneInfo(zones[0])).strftime("%Y-%m-%d %H:%M")
    except ValueError:  # the hours never hold in every zone at once: no time will do
        return [FieldError(field, "form.callback_never", params)]
    return [FieldError(field, "form.callback_hours", params)]
