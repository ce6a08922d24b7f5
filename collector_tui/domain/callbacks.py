"""Callbacks the customer asked for: whether each is still to come, due now, made, or missed.

A callback is made by a phone attempt on its case from a little before its time (EARLY) to a little after
(GRACE). Past that, with no attempt, it is missed; an attempt later still follows it up, but it was missed
all the same (the lead counts both).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

EARLY = timedelta(minutes=15)  # an attempt this long before the time counts as the callback
GRACE = timedelta(minutes=30)  # after this, a callback not made is missed

UPCOMING, DUE, DONE, MISSED, LATE = "upcoming", "due", "done", "missed", "late"
STATES = (DUE, MISSED, UPCOMING, LATE, DONE)  # the order the callbacks view lists them in


def callback_state(at: datetime, attempts: Iterable[datetime], now: datetime) -> str:
    """The state of a callback due `at`, given the times of the phone attempts on its case, at `now`."""
    made = min((a for a in attempts if a >= at - EARLY and a <= now), default=None)
    if made is not None:
        return DONE if made <= at + GRACE else LATE
    if now < at:
        return UPCOMING
    return DUE if now <= at + GRACE else MISSED


def was_missed(state: str) -> bool:
    """Not made in time: still open, or followed up late."""
    return state in (MISSED, LATE)


def needs_a_call(state: str) -> bool:
    """Due now, or missed and not followed up yet."""
    return state in (DUE, MISSED)
