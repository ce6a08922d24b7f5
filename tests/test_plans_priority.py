"""Repayment-plan math that reconciles to the minor unit, and a queue order that is total and stable."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from collector_tui.domain.facts import CaseFacts, Contact, Phone, Promise, Suppression
from collector_tui.domain.plans import PlanLimits, deferral, reduction, reinstalment, split
from collector_tui.domain.priority import order, place_case
from collector_tui.domain.rules import Rules
from collector_tui.policies import load_pack

D = Decimal
CN = load_pack("cn")
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=SH)
INCOME = [D("8000")] * 6

amounts = st.decimals(min_value=D("0.01"), max_value=D("500000"), places=2)


@given(amounts, st.integers(1, 60))
def test_split_reconciles_exactly(amount: Decimal, count: int) -> None:
    parts = split(amount, count, "CNY")
    assert sum(parts) == amount and len(parts) == count
    assert max(parts) - min(parts) <= D("0.01")


@given(amounts, st.integers(1, 36), st.dates(date(2020, 1, 1), date(2035, 12, 31)))
def test_reinstalment_preview_reconciles(amount: Decimal, months: int, first: date) -> None:
    plan = reinstalment(amount, months, first, income=INCOME)
    assert plan.total == amount
    assert [i.seq for i in plan.instalments] == list(range(1, months + 1))
    assert all(i.amount == i.amount.quantize(D("0.01")) for i in plan.instalments)


@given(amounts, amounts, st.decimals(min_value=0, max_value=1, places=2), st.integers(1, 24))
def test_reduction_waiver_plus_instalments_equals_amount(
    amount: Decimal, charges: Decimal, share: Decimal, months: int
) -> None:
    plan = reduction(amount, charges, share, months, date(2026, 12, 5), income=INCOME,
                     limits=PlanLimits(max_waiver_share=D(1)))
    assert plan.waived + plan.total == amount
    assert plan.waived <= min(charges, amount) * share


def test_month_ends_follow_relativedelta() -> None:
    plan = reinstalment(D("300.00"), 3, date(2027, 1, 31), income=INCOME)
    assert [i.due_date for i in plan.instalments] == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31)]
    leap = deferral([(date(2028, 1, 31), D("100"))], 1, income=INCOME)
    assert leap.instalments[0].due_date == date(2028, 2, 29)


def test_deferral_moves_every_unpaid_instalment() -> None:
    plan = deferral([(date(2026, 11, 5), D("1225.10")), (date(2026, 12, 5), D("1225.10"))], 2, income=INCOME)
    assert [i.due_date for i in plan.instalments] == [date(2027, 1, 5), date(2027, 2, 5)]
    assert plan.total == plan.restructured == D("2450.20") and plan.ok


def test_limits_are_messages_not_exceptions() -> None:
    too_long = deferral([(date(2026, 11, 5), D("100"))], 9, income=INCOME)
    assert not too_long.ok and [m.key for m in too_long.messages] == ["plan.max_extension"]
    unaffordable = reinstalment(D("12000"), 2, date(2026, 12, 5), income=INCOME)
    msg = next(m for m in unaffordable.messages if m.key == "plan.unaffordable")
    assert msg.params == {"amount": "6000.00", "cap": "4000.00", "share": 50}
    tiny = reinstalment(D("500"), 10, date(2026, 12, 5), income=INCOME)
    assert [m.key for m in tiny.messages] == ["plan.min_instalment"]
    greedy = reduction(D("1000"), D("400"), D("0.8"), 2, date(2026, 12, 5), income=INCOME)
    assert "plan.max_waiver" in [m.key for m in greedy.messages] and not greedy.ok
    assert reinstalment(D("1000"), 0, date(2026, 12, 5)).messages[0].key == "plan.months_min"
    assert [m.key for m in reinstalment(D("1000"), 2, date(2026, 12, 5)).messages] == ["plan.no_income"]


def case(i: int, **kw: Any) -> CaseFacts:
    f = CaseFacts(case_id=f"C-{i:04d}", dpd=40, overdue_amount=D(1000 + i), currency="CNY", timezone="Asia/Shanghai",
                  overdue_since=date(2026, 10, 18), phones=(Phone("+8613800000000", True),),
                  consents={"phone": True}, contacts=(Contact(datetime(2026, 10, 20, 10, tzinfo=SH), "phone", "rpc"),))
    return replace(f, **kw)


def test_groups_in_the_order_the_collector_works_them() -> None:
    promise_today = case(
        1, promises=(Promise(datetime(2026, 11, 20, tzinfo=SH), date(2026, 11, 27), D("500"), "outstanding"),)
    )
    broken = case(2, promises=(Promise(datetime(2026, 11, 1, tzinfo=SH), date(2026, 11, 10), D("500"), "broken"),))
    golden_near = case(3, dpd=14, overdue_since=date(2026, 11, 13), contacts=())
    golden_far = case(4, dpd=3, overdue_since=date(2026, 11, 24), contacts=())
    callback = case(5, callbacks=(datetime(2026, 11, 27, 9, 45, tzinfo=SH),))  # its time has come, not yet made
    severe_c = case(6, dpd=60, active_lenders=7, emergency_contacts=0)
    early = case(7, dpd=10, overdue_since=date(2026, 11, 17),
                 contacts=(Contact(datetime(2026, 11, 18, 10, tzinfo=SH), "sms", "message_left"),))
    ceased = case(8, suppressions=(Suppression("cease_requested", "phone"),))
    placed = order(
        [
            place_case(f, NOW, Rules(pack=CN))
            for f in (ceased, early, severe_c, callback, golden_far, golden_near, broken, promise_today)
        ]
    )
    assert [p.case_id for p in placed] == [f"C-{i:04d}" for i in (1, 2, 3, 4, 5, 6, 7, 8)]
    assert [p.group for p in placed] == [
        "promise",
        "promise",
        "golden",
        "golden",
        "callback",
        "rest",
        "rest",
        "blocked",
    ]
    assert placed[2].params["days"] == 1 and placed[3].params["days"] == 12
    assert (placed[-1].callable, placed[-1].blocked_by) == (False, "CN-PIPL-CONSENT")


def test_not_callable_now_says_when() -> None:
    night = datetime(2026, 11, 27, 23, 0, tzinfo=SH)
    p = place_case(case(1), night, Rules(pack=CN))
    assert (p.group, p.blocked_by, p.next_allowed_at) == (
        "blocked",
        "CN-HOURS",
        datetime(2026, 11, 28, 8, 0, tzinfo=SH),
    )
    assert p.params["then"] == "queue.reason.rest"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 200), st.integers(0, 5000), st.booleans(), st.integers(0, 23)),
                min_size=1, max_size=40, unique_by=lambda t: t[1]))
def test_queue_order_is_total_and_stable(specs: list[tuple[int, int, bool, int]]) -> None:
    facts = []
    for dpd, amount, contacted, hour in specs:
        contacts = (Contact(datetime(2026, 11, 1, hour, tzinfo=SH), "phone", "rpc"),) if contacted else ()
        facts.append(case(amount, dpd=dpd, overdue_amount=D(amount), contacts=contacts,
                          overdue_since=NOW.date() - timedelta(days=dpd)))
    placed = [place_case(f, NOW, Rules(pack=CN)) for f in facts]
    first = [p.case_id for p in order(placed)]
    shuffled = placed[:]
    random.Random(len(specs)).shuffle(shuffled)
    assert [p.case_id for p in order(shuffled)] == first
    assert len(set(first)) == len(first)
