"""The call queue's order: a total, deterministic order with a one-line reason for every case.

Groups, in order: promises due today or broken; first contact still inside the golden window (nearest
deadline first); callbacks whose time has come (from a quarter of an hour before) and missed ones, until a
call makes or follows them up; the rest by stage, tier and overdue amount. A case that may not be
called now sinks to "not callable now", which says which rule blocks it and until when.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from collector_tui.domain.assessment import assess
from collector_tui.domain.callbacks import DUE, EARLY, MISSED, UPCOMING, callback_state
from collector_tui.domain.contact_rules import Decision, answer_changes, counts_as_contact
from collector_tui.domain.facts import CaseFacts
from collector_tui.domain.policy import RulePack
from collector_tui.domain.rules import Rules
from collector_tui.domain.sort_key import GROUPS, sort_bytes
from collector_tui.domain.stages import Stage

# Stage 3 first: recovery is still likely and legal steps are near; 90+ is tracked separately (domain brief).
STAGE_ORDER = {Stage.SEVERE: 0, Stage.ESCALATION: 1, Stage.EARLY_WARNING: 2, Stage.LONG_TERM: 3, Stage.CURRENT: 4}
NEVER = datetime.max.replace(tzinfo=ZoneInfo("UTC"))  # sorts after every real time


@dataclass(frozen=True)
class Placement:
    """Where one case sits in the queue and why."""

    case_id: str
    group: str
    reason: str
    params: dict[str, object]
    stage: int
    dpd: int  # days past due at the moment placed
    tier: str
    score: int
    risk_level: str
    flags: tuple[str, ...]
    callable: bool = True
    blocked_by: str | None = None
    next_allowed_at: datetime | None = None
    sort_key: tuple[object, ...] = field(default=(), compare=False)
    # Until when this placement holds as the clock moves: the first moment any of its inputs may change its
    # answer (priority._holds_until). Re-place it then.
    valid_until: datetime | None = field(default=None, compare=False)


def _working_group(f: CaseFacts, now: datetime, pack: RulePack, stage: Stage,
                   tier: str) -> tuple[str, str, dict[str, object], tuple[object, ...]]:
    tz = ZoneInfo(f.timezone)
    today = now.astimezone(tz).date()
    for p in sorted(f.promises, key=lambda p: (p.due_date, p.made_at)):
        if p.status == "outstanding" and p.due_date == today:
            return ("promise", "queue.reason.promise_due", {"amount": str(p.amount), "date": p.due_date.isoformat()},
                    (0, p.due_date))
    for p in sorted(f.promises, key=lambda p: p.due_date, reverse=True):
        broken = p.status == "broken" or (p.status == "outstanding" and p.due_date < today)
        followed_up = any(c.with_debtor and c.at.astimezone(tz).date() > p.due_date for c in f.contacts)
        if broken and not followed_up:
            return ("promise", "queue.reason.promise_broken",
                    {"amount": str(p.amount), "date": p.due_date.isoformat()}, (1, p.due_date))
    golden = pack.golden_window.days
    since = f.overdue_since
    reached = any(counts_as_contact(c) and (since is None or c.at.astimezone(tz).date() >= since) for c in f.contacts)
    if not reached and 0 < f.dpd <= golden:
        left = golden - f.dpd
        return "golden", "queue.reason.golden", {"days": left, "rule": pack.golden_window.rule}, (left,)
    # A callback rises when its time comes (EARLY before it) and stays until a call makes it or follows it up.
    attempts = [c.at for c in f.contacts if c.channel == "phone"]
    pending = sorted(cb for cb in f.callbacks
                     if cb - EARLY <= now and callback_state(cb, attempts, now) in (UPCOMING, DUE, MISSED))
    if pending:
        local = pending[0].astimezone(tz)
        if local.date() < today:
            return "callback", "queue.reason.callback_missed", {"at": local.strftime("%m-%d %H:%M")}, (pending[0],)
        return "callback", "queue.reason.callback", {"at": local.strftime("%H:%M")}, (pending[0],)
    return ("rest", "queue.reason.rest", {"stage": int(stage), "tier": tier, "amount": str(f.overdue_amount)},
            (STAGE_ORDER[stage], "CBA".index(tier), -f.overdue_amount))


def place_case(f: CaseFacts, now: datetime, rules: Rules) -> Placement:
    pack = rules.pack
    a = assess(f, now, rules)
    f, today, stage, score, decision = a.facts, a.today, a.stage, a.score, a.decision
    group, reason, params, key = _working_group(f, now, pack, stage, score.tier)
    common = dict(case_id=f.case_id, stage=int(stage), dpd=f.dpd, tier=score.tier, score=score.value,
                  risk_level=score.risk_level, flags=tuple(fl.id for fl in a.flags))
    ends = _holds_until(f, now, pack, today, decision)
    if not decision.allowed:
        until = decision.next_allowed_at
        return Placement(group="blocked", reason=decision.reason, params={**decision.params, "then": reason},
                         callable=False, blocked_by=decision.rule, next_allowed_at=until,
                         sort_key=(GROUPS.index("blocked"), until or NEVER, GROUPS.index(group), *key, f.case_id),
                         valid_until=ends, **common)  # type: ignore[arg-type]
    return Placement(group=group, reason=reason, params=params, sort_key=(GROUPS.index(group), *key, f.case_id),
                     valid_until=ends, **common)  # type: ignore[arg-type]


def _holds_until(f: CaseFacts, now: datetime, pack: RulePack, today: date, decision: Decision) -> datetime:
    """The first moment after `now` at which any input of the placement may change its answer: the customer's
    day turns (days past due, stage, promises due or broken, the golden window, the flags and the daily and
    monthly counts are all counted in days); the check's answer ends (a blocked case's wait, the allowed hours
    closing) or another rule's begins (domain.contact_rules.answer_changes); a callback rises, whether the
    case is callable now or blocked (its group is the "then" a blocked case is ordered by)."""
    day_ends = datetime.combine(today + timedelta(days=1), datetime.min.time(), ZoneInfo(f.timezone))
    moments = [day_ends, *answer_changes(pack, f, now), *(cb - EARLY for cb in f.callbacks)]
    moments.append(decision.holds_until if decision.allowed else decision.next_allowed_at)  # type: ignore[arg-type]
    return min(m for m in moments if m is not None and m > now)


def order(placements: list[Placement]) -> list[Placement]:
    """Total and stable: every key ends with the case id, which is unique."""
    return sorted(placements, key=lambda p: sort_bytes(p.sort_key))
