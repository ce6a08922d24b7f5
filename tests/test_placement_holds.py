"""A stored placement says until when it holds; until then, placing the case again gives the same placement.

Generated cases and moments (domain level, pure), the two holds that once ended too late (a blocked case whose
callback rises, a weekly count that falls while the cap is still reached), and the stored queue: a placement the
cache still counts as valid is the row a fresh placement would write.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from collector_tui.domain.callbacks import EARLY
from collector_tui.domain.facts import CaseFacts, Contact, Phone, Promise, Suppression
from collector_tui.domain.priority import Placement, place_case, sort_bytes
from collector_tui.domain.rules import Rules
from collector_tui.policies import load_pack
from collector_tui.storage.queue_build import place_all, refresh_queue, stale_cases
from collector_tui.storage.queue_rows import placement_row
from collector_tui.sync.service import run_sync
from collector_tui.work import contact as recorder
from tests.conftest import RunningServer
from tests.test_tui_contact import MORNING, first_callable_chinese_case

PACKS = {name: Rules(pack=load_pack(name)) for name in ("cn", "us-regf", "uk-conc")}
CN = PACKS["cn"]
SH = ZoneInfo("Asia/Shanghai")
# Zones with and without daylight saving, and the numbers that point to them (domain.zones).
ZONES = ("Asia/Shanghai", "Europe/London", "America/New_York", "America/Los_Angeles", "Asia/Kolkata",
         "America/Halifax")
NUMBERS = ("+8613800000000", "+447700900123", "+12125550123", "+13105550123", "+8613911112222")
DISPOSITIONS = ("rpc", "no_answer", "busy", "voicemail", "message_left", "promise_to_pay", "callback_requested",
                "third_party", "refused", "wrong_number", "inconvenient_time", "dispute", "verification_sent",
                "complaint", "workplace_prohibited", "cease_requested")
# Days around which the clocks change (US and EU, spring and autumn) and an ordinary one.
DAYS = (datetime(2026, 3, 7, tzinfo=UTC), datetime(2026, 3, 28, tzinfo=UTC), datetime(2026, 10, 24, tzinfo=UTC),
        datetime(2026, 10, 31, tzinfo=UTC), datetime(2026, 11, 26, tzinfo=UTC))


@st.composite
def hours(draw: st.DrawFn) -> str:
    start = draw(st.integers(6 * 4, 21 * 4))
    end = draw(st.integers(start + 1, 23 * 4))
    return f"{start // 4:02d}:{start % 4 * 15:02d}-{end // 4:02d}:{end % 4 * 15:02d}"


@st.composite
def cases(draw: st.DrawFn) -> tuple[CaseFacts, datetime]:
    """A case and a moment: contacts over the last ten days (a few dated a little ahead), callbacks and promises
    around the moment, now and then a suppression or inconvenient hours."""
    t0 = draw(st.sampled_from(DAYS)) + timedelta(minutes=draw(st.integers(0, 4 * 24 * 60)))
    zone = draw(st.sampled_from(ZONES))
    today = t0.astimezone(ZoneInfo(zone)).date()
    dpd = draw(st.integers(0, 120))
    numbers = draw(st.lists(st.sampled_from(NUMBERS), min_size=0, max_size=2, unique=True))
    phones = tuple(Phone(n, draw(st.booleans()) or i == 0, type=draw(st.sampled_from(("mobile", "work"))))
                   for i, n in enumerate(numbers))

    def moment(low: int, high: int) -> datetime:
        return t0 + timedelta(minutes=draw(st.integers(low, high)))

    contacts = []
    for _ in range(draw(st.integers(0, 9))):
        disposition = draw(st.sampled_from(DISPOSITIONS))
        channel = "phone" if disposition in ("no_answer", "busy", "wrong_number") else draw(
            st.sampled_from(("phone", "phone", "sms")))
        scope = draw(hours()) if disposition == "inconvenient_time" else ""
        contacts.append(Contact(moment(-10 * 24 * 60, 60), channel, disposition,
                                target=draw(st.sampled_from(("customer", "customer", "customer", "third_party"))),
                                number=draw(st.sampled_from(numbers)) if numbers and channel == "phone" else "",
                                scope=scope))
    callbacks = tuple(sorted(moment(-2 * 24 * 60, 2 * 24 * 60) for _ in range(draw(st.integers(0, 3)))))
    promises = tuple(Promise(t0 - timedelta(days=5), today + timedelta(days=draw(st.integers(-3, 3))),
                             Decimal(draw(st.integers(1, 900))),
                             draw(st.sampled_from(("outstanding", "broken", "kept"))))
                     for _ in range(draw(st.integers(0, 2))))
    suppressions = tuple(draw(st.lists(st.sampled_from((
        Suppression("dispute", since=today - timedelta(days=3)),
        Suppression("cease_requested", "sms", today - timedelta(days=1)),
        Suppression("inconvenient_time", hours="12:00-14:00"),
    )), max_size=1)))
    f = CaseFacts(case_id="C-1", dpd=dpd, overdue_amount=Decimal(draw(st.integers(100, 90_000))), currency="CNY",
                  timezone=zone, overdue_since=today - timedelta(days=dpd), phones=phones,
                  consents={"phone": draw(st.sampled_from((True, True, True, False))), "sms": draw(st.booleans())},
                  contacts=tuple(sorted(contacts, key=lambda c: c.at)), callbacks=callbacks, promises=promises,
                  suppressions=suppressions, active_lenders=draw(st.integers(0, 6)))
    return f, t0


def same(fresh: Placement, held: Placement) -> None:
    assert fresh == held
    assert sort_bytes(fresh.sort_key) == sort_bytes(held.sort_key)
    assert fresh.valid_until == held.valid_until  # nothing it waits for has happened yet


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.sampled_from(sorted(PACKS)), st.floats(0, 1, exclude_max=True))
def test_a_placement_still_valid_is_what_placing_again_gives(case: tuple[CaseFacts, datetime], pack: str,
                                                             share: float) -> None:
    f, t0 = case
    rules = PACKS[pack]
    held = place_case(f, t0, rules)
    assert held.valid_until is not None and held.valid_until > t0
    span = held.valid_until - t0
    just_before = span - timedelta(microseconds=1)
    for t1 in (t0 + min(span * share, just_before), t0 + just_before):
        same(place_case(f, t1, rules), held)


def contacted(**kw: object) -> CaseFacts:
    f = CaseFacts(case_id="C-1", dpd=20, overdue_amount=Decimal(1000), currency="CNY", timezone="Asia/Shanghai",
                  overdue_since=date(2026, 11, 7), phones=(Phone("+8613800000000", True),), consents={"phone": True},
                  contacts=(Contact(datetime(2026, 11, 8, 10, tzinfo=SH), "phone", "rpc"),))
    return replace(f, **kw)  # type: ignore[arg-type]


def test_a_blocked_case_is_placed_again_when_its_callback_rises() -> None:
    now = datetime(2026, 11, 27, 11, 30, tzinfo=SH)
    talks = tuple(Contact(datetime(2026, 11, 27, 11, m, tzinfo=SH), "phone", "rpc") for m in (0, 5, 10))
    f = contacted(dpd=45, overdue_since=date(2026, 10, 13), contacts=talks,
                  callbacks=(datetime(2026, 11, 27, 15, tzinfo=SH),))
    held = place_case(f, now, CN)
    assert (held.blocked_by, held.params["then"]) == ("CN-CONNECTED", "queue.reason.rest")
    assert held.valid_until == datetime(2026, 11, 27, 15, tzinfo=SH) - EARLY  # not the day's end
    risen = place_case(f, held.valid_until, CN)
    assert (risen.blocked_by, risen.params["then"]) == ("CN-CONNECTED", "queue.reason.callback")
    assert sort_bytes(risen.sort_key) != sort_bytes(held.sort_key)


def test_a_weekly_count_that_falls_ends_the_hold() -> None:
    # Four contacts in seven days against cn's three at 16-30 DPD: blocked until two have left the week.
    days = (21, 22, 24, 26)
    f = contacted(contacts=tuple(Contact(datetime(2026, 11, d, 10, tzinfo=SH), "phone", "rpc") for d in days))
    now = datetime(2026, 11, 27, 12, tzinfo=SH)
    held = place_case(f, now, CN)
    assert (held.blocked_by, held.params["count"]) == ("CN-STAGE2-WEEKLY", 4)
    assert held.next_allowed_at == datetime(2026, 11, 29, 10, tzinfo=SH)
    # The 21st leaves the week on the 28th at 10:00 (before that, the day turns at midnight).
    after_midnight = place_case(f, datetime(2026, 11, 28, 0, tzinfo=SH), CN)
    assert after_midnight.valid_until == datetime(2026, 11, 28, 10, tzinfo=SH)
    fell = place_case(f, after_midnight.valid_until, CN)
    assert (fell.blocked_by, fell.params["count"]) == ("CN-STAGE2-WEEKLY", 3)


def test_inconvenient_hours_end_the_hold_when_they_start() -> None:
    named = Contact(datetime(2026, 11, 20, 10, tzinfo=SH), "phone", "inconvenient_time", scope="12:00-14:00")
    f = contacted(dpd=45, overdue_since=date(2026, 10, 13), contacts=(named,))
    held = place_case(f, datetime(2026, 11, 27, 9, tzinfo=SH), CN)
    assert held.callable and held.valid_until == datetime(2026, 11, 27, 12, tzinfo=SH)
    inside = place_case(f, held.valid_until, CN)
    assert not inside.callable and inside.valid_until == datetime(2026, 11, 27, 14, tzinfo=SH)


def _stored(cache: Engine) -> dict[str, tuple[object, ...]]:
    path = cache.url.database
    assert path
    with sqlite3.connect(path) as db:
        return {row[0]: row for row in db.execute(
            'SELECT case_id, sort_key, "group", reason, params, callable, blocked_by, next_allowed_at, stage, dpd, '
            "tier, score, risk_level, flags, valid_until FROM queue_entry")}


def _fresh(p: Placement) -> tuple[object, ...]:
    row = placement_row(p, "")
    return (*row[:14], row[15])  # all but built_at


def test_a_stored_placement_still_valid_is_the_row_placing_again_writes(server: RunningServer,
                                                                         cache: Engine) -> None:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: MORNING, rules=CN)
    # A case blocked for the day by three conversations, the last asking for a callback at 15:00.
    case_id = first_callable_chinese_case(cache)
    for minute, disposition in ((0, "rpc"), (5, "rpc"), (10, "callback_requested")):
        at = MORNING + timedelta(minutes=minute)
        recorder.record_outcome(cache, CN, case_id, recorder.Outcome(
            channel="phone", disposition=disposition, callback_at=datetime(2026, 11, 27, 15, tzinfo=SH)
            if disposition == "callback_requested" else None), now=at, collector="demo")
    t0 = MORNING + timedelta(minutes=20)
    refresh_queue(cache, t0, CN)
    stored = _stored(cache)
    assert stored[case_id][6] == "CN-CONNECTED"
    assert stored[case_id][14] == datetime(2026, 11, 27, 14, 45, tzinfo=SH).astimezone(UTC).isoformat()
    # Hour by hour through the rest of the day (to 21:20, the case's calls still blocked), and a microsecond either
    # side of each hold's end: whatever the cache counts as valid is what placing it again gives; the rest is
    # re-placed to just that.
    ends = sorted({datetime.fromisoformat(str(row[14])) for row in stored.values()})
    last = t0 + timedelta(hours=10)
    moments = sorted({t0 + timedelta(hours=h) for h in range(11)}
                     | {e + d for e in ends for d in (timedelta(microseconds=-1), timedelta(0)) if t0 < e + d < last})
    checked = 0
    for t1 in moments:
        stale = set(stale_cases(cache, t1))
        fresh = {p.case_id: _fresh(p) for p in place_all(cache, t1, CN)}
        stored = _stored(cache)
        held = {k: row for k, row in stored.items() if k not in stale}
        assert held == {k: fresh[k] for k in held}, t1
        checked += len(held)
        refresh_queue(cache, t1, CN)
        assert _stored(cache) == fresh, t1
    assert checked > len(moments)  # the moments did look at held placements
    # The blocked case's callback rose at 14:45: placed again then, ordered as a callback among the blocked.
    assert _stored(cache)[case_id][6] == "CN-CONNECTED"
    assert '"then":"queue.reason.callback"' in str(_stored(cache)[case_id][4])
