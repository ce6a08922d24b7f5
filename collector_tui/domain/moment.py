"""A case's facts at a moment: what the calendar and the collector's own records have changed since the
server's snapshot.

The snapshot is as old as the last sync. Days past due run on from the day the loan went overdue; each
contact's outcome takes effect at once: a cease request, an attorney, a dispute, a bankruptcy or a death
suppresses contact, a wrong or invalid number is not dialled again, and a right-party conversation marks
its number reached.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from dateutil.relativedelta import relativedelta

from collector_tui.domain.facts import CaseFacts, Contact, Phone, Suppression

# Outcomes that suppress contact from the moment they are recorded; the customer saying the employer
# prohibits contact at work suppresses only the work number.
SUPPRESSING = frozenset({"cease_requested", "attorney", "dispute", "bankruptcy", "deceased", "workplace_prohibited",
                         "inconvenient_time"})
WORKPLACE = "workplace_prohibited"
INCONVENIENT = "inconvenient_time"  # the customer named hours that do not suit: honoured like the allowed hours
# Outcomes that take one number out of use.
DEAD_NUMBER = frozenset({"wrong_number", "invalid_number"})
# A recorded verification ends the pause that a dispute started.
VERIFIED = "verification_sent"


def days_past_due(f: CaseFacts, today: date) -> int:
    """Days past due on the customer's `today`: the calendar runs on from the day the loan went overdue.
    Without that date, the snapshot's figure is all there is."""
    if f.overdue_since is None:
        return f.dpd
    return max((today - f.overdue_since).days, 0)


def _from_contact(c: Contact) -> Suppression:
    channel = c.channel if c.disposition == "cease_requested" and c.scope != "all" else None
    hours = c.scope if c.disposition == INCONVENIENT else ""
    return Suppression(c.disposition, channel, c.at.date(), origin="local" if c.local else "contact", hours=hours)


def active_suppressions(f: CaseFacts) -> tuple[Suppression, ...]:
    """The server's suppressions and those the contact history implies, less what the server lifted."""
    lifts = [s for s in f.suppressions if s.lifted_at is not None]
    found = [s for s in f.suppressions if s.lifted_at is None]
    verified = [c.at.date() for c in f.contacts if c.disposition == VERIFIED]
    for c in f.contacts:
        if c.disposition not in SUPPRESSING:
            continue
        s = _from_contact(c)
        if s.type == "dispute" and any(day >= s.since for day in verified):  # type: ignore[operator]
            continue
        found.append(s)

    def lifted(s: Suppression) -> bool:
        return any(x.type == s.type and (x.channel is None or x.channel == s.channel)
                   and (s.since is None or x.lifted_at >= s.since) for x in lifts)  # type: ignore[operator]

    return tuple(s for s in found if not lifted(s))


def dead_numbers(f: CaseFacts) -> dict[str, str]:
    """Numbers whose last outcome said they are wrong or not in service: number -> that outcome."""
    last: dict[str, str] = {}
    for c in f.contacts:  # oldest first: the last word on each number wins
        if c.number and c.channel == "phone":
            if c.disposition in DEAD_NUMBER:
                last[c.number] = c.disposition
            elif c.right_party:
                last.pop(c.number, None)
    return last


def _phones(f: CaseFacts, dead: dict[str, str]) -> tuple[Phone, ...]:
    reached: dict[str, object] = {}
    for c in f.contacts:
        if c.number and c.channel == "phone" and c.right_party:
            reached[c.number] = c.at
    out = []
    for p in f.phones:
        if p.number in dead:
            out.append(replace(p, reachable=False) if p.reachable else p)
        elif p.number in reached:
            at = reached[p.number]
            later = p.last_reached_at is None or at > p.last_reached_at  # type: ignore[operator]
            out.append(replace(p, reachable=True, last_reached_at=at if later else p.last_reached_at))  # type: ignore[arg-type]
        else:
            out.append(p)
    return tuple(out)


def time_barred_since(f: CaseFacts, years: int) -> date | None:
    """The day the time to sue ran out: `years` after the last payment, or after the default with none."""
    last = max((p.date for p in f.payments), default=f.overdue_since)
    return None if last is None else last + relativedelta(years=years)


def at_moment(f: CaseFacts, today: date) -> CaseFacts:
    """The facts as the rules must see them on the customer's `today` (the same object when nothing moved)."""
    dpd = days_past_due(f, today)
    changes: dict[str, object] = {}
    if dpd != f.dpd:
        changes["dpd"] = dpd
    if f.contacts:
        dead = dead_numbers(f)
        phones = _phones(f, dead)
        if phones != f.phones:
            changes["phones"] = phones
    return replace(f, **changes) if changes else f  # type: ignore[arg-type]
