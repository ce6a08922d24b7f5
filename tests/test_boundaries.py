"""Every numeric rule in domain/ at its boundary, one step below and one step above.

The figures come from the rule's source as docs/rules.md states it (and the packs in collector_tui/policies,
which cite theirs), never from the code: a threshold changed in the code, or a comparison turned from
"more than" into "at least", fails here. docs/rules.md: "A flag is raised strictly above a 'more than'
threshold and at or above an 'N or more' threshold". "Within N days" includes the N-th day after, as the
golden window's "first contact within 15 days" does.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from collector_tui.domain.actions import validate_promise
from collector_tui.domain.assessment import assess
from collector_tui.domain.contact_review import TeamCase, TeamContact, case_figures, golden_miss, team_figures
from collector_tui.domain.contact_rules import check_contact
from collector_tui.domain.facts import (
    CaseFacts,
    Contact,
    ContactChange,
    Payment,
    Phone,
    Promise,
    SpendingMonth,
    Suppression,
)
from collector_tui.domain.flags import RiskFlag, compute_flags
from collector_tui.domain.moment import active_suppressions, at_moment, days_past_due
from collector_tui.domain.plans import PlanPreview, deferral, reduction, reinstalment
from collector_tui.domain.policy import RulePack
from collector_tui.domain.priority import place_case
from collector_tui.domain.rules import Rules
from collector_tui.domain.scoring import score_case
from collector_tui.domain.stages import Stage, StageBounds, stage_for_dpd
from collector_tui.policies import load_pack
from collector_tui.storage.actions import contact_payload
from collector_tui.work.limits import payload_errors

D = Decimal
TODAY = date(2026, 11, 27)
CN, US, UK = load_pack("cn"), load_pack("us-regf"), load_pack("uk-conc")
SH, NY, LON = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York"), ZoneInfo("Europe/London")
MOBILE = "+8613800000000"


def base(**kw: Any) -> CaseFacts:
    """A steady customer who raises no flag: mean income 10,000 a month (120,000 a year)."""
    f = CaseFacts(
        case_id="C-1", dpd=10, overdue_amount=D("1000"), currency="CNY", timezone="Asia/Shanghai",
        employment_type="salaried", has_contract=True, income_sources=2,
        monthly_income=(D("10000"),) * 6, contact_info_confirmed_at=TODAY - timedelta(days=30),
        emergency_contacts=1, phones=(Phone(MOBILE, True, TODAY - timedelta(days=400),
                                            datetime(2026, 11, 20, tzinfo=UTC)),),
        active_lenders=1, total_debt=D("1000"),
    )
    return replace(f, **kw)


def raised(flag: str, f: CaseFacts, today: date = TODAY) -> bool:
    return flag in {fl.id for fl in compute_flags(f, today)}


def test_the_steady_customer_raises_nothing() -> None:
    assert compute_flags(base(), TODAY) == []


# --- risk flags ("more than" is strict; "N or more" includes N) ------------------------------------------

@pytest.mark.parametrize(("born", "flagged"), [(2002, True), (2001, False), (2000, False)])
def test_unstable_group_younger_than_25(born: int, flagged: bool) -> None:
    # rules.md: "salaried under 12 months and younger than 25": 24 is, 25 and 26 are not.
    f = base(birth_year=born, employment_started=TODAY - timedelta(days=90))
    assert raised("income.unstable_group", f) is flagged


@pytest.mark.parametrize(("started", "flagged"), [(date(2025, 11, 28), True), (date(2025, 11, 27), False),
                                                  (date(2025, 11, 26), False)])
def test_unstable_group_salaried_under_12_months(started: date, flagged: bool) -> None:
    # Twelve months before 2026-11-27 is 2025-11-27: a start that day is 12 months, not under.
    assert raised("income.unstable_group", base(birth_year=2004, employment_started=started)) is flagged


@pytest.mark.parametrize(("changes", "flagged"), [(1, False), (2, True), (3, True)])
def test_school_changes_2_or_more(changes: int, flagged: bool) -> None:
    f = base(employment_type="student", has_contract=False, student_status="enrolled", school_changes_12m=changes)
    assert raised("study.school_changes", f) is flagged


def three_payments(due_day: int, paid: list[date]) -> CaseFacts:
    return base(due_day=due_day, payments=tuple(Payment(d, D("100"), False) for d in paid))


@pytest.mark.parametrize(
    ("days_late", "flagged"),
    [((6, 6, 6), False), ((7, 7, 7), False), ((7, 7, 8), True), ((8, 8, 8), True)],
)
def test_irregular_repayment_more_than_7_days_on_average(days_late: tuple[int, int, int], flagged: bool) -> None:
    # Due on the 10th; paid that many days later, in three months.
    paid = [date(2026, m, 10 + d) for m, d in zip((6, 7, 8), days_late, strict=True)]
    assert raised("repay.irregular", three_payments(10, paid)) is flagged


@pytest.mark.parametrize(("paid_day", "flagged"), [(5, False), (6, True)])
def test_irregular_repayment_counts_days_across_the_month_end(paid_day: int, flagged: bool) -> None:
    # Due on the 28th of a 30-day month (Apr, Jun, Sep) and paid on the 5th of the next: 7 days late, not 23.
    paid = [date(2026, 5, paid_day), date(2026, 7, paid_day), date(2026, 10, paid_day)]
    assert raised("repay.irregular", three_payments(28, paid)) is flagged


def test_irregular_repayment_in_either_direction() -> None:
    # Paid 8 days before the due day is as irregular as 8 days after it.
    early = [date(2026, m, 12) for m in (6, 7, 8)]
    assert raised("repay.irregular", three_payments(20, early))
    assert not raised("repay.irregular", three_payments(19, early))


@pytest.mark.parametrize(("count", "flagged"), [(2, False), (3, True), (4, True)])
def test_deferral_requests_3_or_more(count: int, flagged: bool) -> None:
    f = base(deferral_requests=tuple(TODAY - timedelta(days=20 * (i + 1)) for i in range(count)))
    assert raised("repay.deferrals", f) is flagged


@pytest.mark.parametrize(("oldest", "flagged"), [(date(2026, 5, 28), True), (date(2026, 5, 27), True),
                                                 (date(2026, 5, 26), False)])
def test_deferral_requests_within_6_months(oldest: date, flagged: bool) -> None:
    # Six months before 2026-11-27 is 2026-05-27: a request that day is within them.
    f = base(deferral_requests=(oldest, TODAY - timedelta(days=10), TODAY - timedelta(days=20)))
    assert raised("repay.deferrals", f) is flagged


@pytest.mark.parametrize(("count", "flagged"), [(1, False), (2, True), (3, True)])
def test_contact_changes_2_or_more(count: int, flagged: bool) -> None:
    changes = tuple(ContactChange(TODAY - timedelta(days=10 * (i + 1)), "phone", True) for i in range(count))
    assert raised("contact.changes", base(contact_changes=changes)) is flagged


@pytest.mark.parametrize(("oldest", "flagged"), [(date(2026, 8, 28), True), (date(2026, 8, 27), True),
                                                 (date(2026, 8, 26), False)])
def test_contact_changes_within_3_months(oldest: date, flagged: bool) -> None:
    # Three months before 2026-11-27 is 2026-08-27.
    changes = (ContactChange(oldest, "phone", True), ContactChange(TODAY - timedelta(days=5), "email", True))
    assert raised("contact.changes", base(contact_changes=changes)) is flagged


@pytest.mark.parametrize(("added", "flagged"), [(date(2026, 8, 27), True), (date(2026, 8, 26), False)])
def test_new_unreachable_number_added_in_the_last_3_months(added: date, flagged: bool) -> None:
    f = base(phones=(Phone(MOBILE, True, date(2020, 1, 1), datetime(2026, 11, 20, tzinfo=UTC)),
                     Phone("+8613900000000", False, added)))
    assert raised("contact.new_unreachable", f) is flagged
    reachable = replace(f, phones=(Phone("+8613900000000", True, added),))
    assert not raised("contact.new_unreachable", reachable)


@pytest.mark.parametrize(("at", "flagged"), [(date(2026, 8, 27), True), (date(2026, 8, 26), False)])
def test_unreported_change_in_the_last_3_months(at: date, flagged: bool) -> None:
    f = base(contact_changes=(ContactChange(at, "address", False),))
    assert raised("contact.unreported_change", f) is flagged
    assert not raised("contact.unreported_change", base(contact_changes=(ContactChange(at, "address", True),)))


def spending(prev: str, last: str, largest: str = "500", share: str = "0") -> tuple[SpendingMonth, ...]:
    return (
        SpendingMonth("2026-09", D(prev), D("500"), D("0")),
        SpendingMonth("2026-10", D(last), D(largest), D(share)),
    )


@pytest.mark.parametrize(("last", "flagged"), [("5999.99", False), ("6000.00", True), ("6000.01", True)])
def test_spending_jump_at_2_0x_the_previous_month(last: str, flagged: bool) -> None:
    # rules.md: "spending 2.0x the previous month": 2.0x is a jump.
    assert raised("funds.spending_jump", base(spending=spending("3000", last))) is flagged


def test_spending_jump_needs_a_previous_month_with_spending() -> None:
    assert not raised("funds.spending_jump", base(spending=spending("0", "6000")))
    assert not raised("funds.spending_jump", base(spending=spending("3000", "9000")[1:]))


@pytest.mark.parametrize(("largest", "flagged"), [("9999.99", False), ("10000.00", False), ("10000.01", True)])
def test_large_spend_above_the_mean_monthly_income(largest: str, flagged: bool) -> None:
    assert raised("funds.large_spend", base(spending=spending("3000", "3000", largest))) is flagged


@pytest.mark.parametrize(("days", "flagged"), [(29, False), (30, False), (31, True)])
def test_lost_contact_none_reached_for_more_than_30_days(days: int, flagged: bool) -> None:
    reached = datetime.combine(TODAY - timedelta(days=days), time(12), UTC)
    assert raised("lost_contact", base(phones=(Phone(MOBILE, False, None, reached),))) is flagged


def test_lost_contact_needs_every_number_unreachable() -> None:
    old = datetime(2026, 1, 1, tzinfo=UTC)
    assert raised("lost_contact", base(phones=(Phone(MOBILE, False, None, old), Phone("+8613900000000", False))))
    assert not raised("lost_contact", base(phones=(Phone(MOBILE, False, None, old), Phone("+8613900000000", True))))
    assert raised("lost_contact", base(phones=(Phone(MOBILE, False),)))  # never reached at all


@pytest.mark.parametrize(("lenders", "flagged"), [(3, False), (4, True), (5, True)])
def test_many_lenders_4_or_more(lenders: int, flagged: bool) -> None:
    assert raised("debt.many_lenders", base(active_lenders=lenders)) is flagged


@pytest.mark.parametrize(("debt", "flagged"), [("119999.99", False), ("120000.00", False), ("120000.01", True)])
def test_high_debt_above_1_0x_annual_income(debt: str, flagged: bool) -> None:
    assert raised("debt.high", base(total_debt=D(debt))) is flagged


def broken(count: int) -> tuple[Promise, ...]:
    return tuple(Promise(datetime(2026, 10, 1 + i, tzinfo=UTC), date(2026, 10, 10 + i), D("100"), "broken")
                 for i in range(count))


@pytest.mark.parametrize(("count", "flagged"), [(1, False), (2, True), (3, True)])
def test_low_willingness_2_or_more_broken_promises(count: int, flagged: bool) -> None:
    kept = (Promise(datetime(2026, 9, 1, tzinfo=UTC), date(2026, 9, 5), D("100"), "kept"),)
    assert raised("willingness.low", base(promises=kept + broken(count))) is flagged


@pytest.mark.parametrize("care", ["complaint", "hardship"])
@pytest.mark.parametrize(("days_ago", "flagged"), [(89, True), (90, True), (91, False)])
def test_a_complaint_or_hardship_is_flagged_for_90_days(care: str, days_ago: int, flagged: bool) -> None:
    at = datetime.combine(TODAY - timedelta(days=days_ago), time(3), UTC)
    f = base(contacts=(Contact(at, "phone", care), Contact(at - timedelta(days=200), "phone", care)))
    assert raised(f"care.{care}", f) is flagged
    if flagged:
        [flag] = [fl for fl in compute_flags(f, TODAY) if fl.id == f"care.{care}"]
        assert flag.params == {"day": at.date().isoformat()} and flag.severity == "medium"


# --- time-barred debt (us-regf: 6 years after the last payment, or the default with none) -------------

@pytest.mark.parametrize(("day", "barred"), [(date(2026, 3, 14), False), (date(2026, 3, 15), True),
                                             (date(2026, 3, 16), True)])
def test_time_barred_6_years_after_the_last_payment(day: date, barred: bool) -> None:
    f = base(timezone="America/New_York", overdue_since=date(2019, 1, 10),
             payments=(Payment(date(2019, 6, 1), D("50"), False), Payment(date(2020, 3, 15), D("50"), False)))
    now = datetime.combine(day, time(12), NY)
    flags = {fl.id: fl for fl in assess(f, now, Rules(pack=US)).flags}
    assert ("debt.time_barred" in flags) is barred
    if barred:
        assert flags["debt.time_barred"].params == {"since": "2026-03-15", "years": 6, "rule": "US-TIMEBARRED"}
        assert flags["debt.time_barred"].severity == "high"


def test_time_barred_counts_from_the_default_without_a_payment_and_needs_the_pack_rule() -> None:
    f = base(timezone="America/New_York", overdue_since=date(2020, 2, 29))
    assert "debt.time_barred" not in {
        fl.id for fl in assess(f, datetime(2026, 2, 27, 12, tzinfo=NY), Rules(pack=US)).flags
    }
    assert "debt.time_barred" in {fl.id for fl in assess(f, datetime(2026, 2, 28, 12, tzinfo=NY), Rules(pack=US)).flags}
    assert "debt.time_barred" not in {
        fl.id for fl in assess(f, datetime(2030, 1, 1, 12, tzinfo=SH), Rules(pack=CN)).flags
    }
    assert "debt.time_barred" not in {
        fl.id
        for fl in assess(replace(f, overdue_since=None), datetime(2030, 1, 1, 12, tzinfo=NY), Rules(pack=US)).flags
    }


# --- stages and days past due ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("dpd", "stage"),
    [(-1, Stage.CURRENT), (0, Stage.CURRENT), (1, Stage.EARLY_WARNING), (2, Stage.EARLY_WARNING),
     (14, Stage.EARLY_WARNING), (15, Stage.EARLY_WARNING), (16, Stage.ESCALATION), (17, Stage.ESCALATION),
     (29, Stage.ESCALATION), (30, Stage.ESCALATION), (31, Stage.SEVERE), (32, Stage.SEVERE),
     (89, Stage.SEVERE), (90, Stage.SEVERE), (91, Stage.LONG_TERM), (92, Stage.LONG_TERM)],
)
def test_stages_1_15_16_30_31_90_and_90_plus(dpd: int, stage: Stage) -> None:
    assert stage_for_dpd(dpd) == stage


def test_stage_bounds_from_settings_are_bounds_too() -> None:
    bounds = StageBounds(early_warning_last=7, escalation_last=20, severe_last=60)
    got = [stage_for_dpd(d, bounds) for d in (7, 8, 20, 21, 60, 61)]
    assert got == [Stage.EARLY_WARNING, Stage.ESCALATION, Stage.ESCALATION, Stage.SEVERE, Stage.SEVERE, Stage.LONG_TERM]
    for bad in ((0, 20, 60), (20, 20, 60), (7, 60, 60), (7, 61, 60)):
        with pytest.raises(ValueError, match="must grow"):
            StageBounds(*bad)


@pytest.mark.parametrize(("today", "dpd"), [(date(2026, 11, 9), 0), (date(2026, 11, 10), 0), (date(2026, 11, 11), 1),
                                            (date(2026, 11, 25), 15), (date(2026, 11, 26), 16)])
def test_days_past_due_run_from_the_day_the_loan_went_overdue(today: date, dpd: int) -> None:
    f = base(dpd=3, overdue_since=date(2026, 11, 10))
    assert days_past_due(f, today) == dpd
    assert at_moment(f, today).dpd == dpd
    assert days_past_due(base(dpd=3), today) == 3  # without the date the snapshot's figure is all there is


def test_days_past_due_are_counted_in_the_customers_calendar() -> None:
    # 2026-11-25 17:00 UTC is already the 26th in Shanghai: 16 DPD, stage 2.
    f = base(dpd=0, overdue_since=date(2026, 11, 10))
    a = assess(f, datetime(2026, 11, 25, 15, 59, tzinfo=UTC), Rules(pack=CN))
    b = assess(f, datetime(2026, 11, 25, 16, 0, tzinfo=UTC), Rules(pack=CN))
    assert (a.facts.dpd, a.stage, b.facts.dpd, b.stage) == (15, Stage.EARLY_WARNING, 16, Stage.ESCALATION)


# --- score, tier and risk level ---------------------------------------------------------------------------

def flags_of(*severities: str) -> list[RiskFlag]:
    return [RiskFlag(f"x.{i}", "x", s, f"flag.x.{i}") for i, s in enumerate(severities)]


@pytest.mark.parametrize(
    ("stage", "severities", "value", "tier"),
    [
        (Stage.EARLY_WARNING, ("high", "medium", "medium", "low", "low"), 43, "A"),  # 5 + 14 + 8 + 8 + 4 + 4
        (Stage.SEVERE, ("high",), 44, "A"),  # 30 + 14
        (Stage.ESCALATION, ("high", "medium", "medium"), 45, "B"),  # 15 + 14 + 8 + 8
        (Stage.SEVERE, ("medium", "medium"), 46, "B"),  # 30 + 8 + 8
        (Stage.SEVERE, ("high", "high", "medium", "medium"), 74, "B"),
        (Stage.ESCALATION, ("high", "high", "high", "high", "low"), 75, "C"),  # 15 + 56 + 4
        (Stage.LONG_TERM, ("high", "high", "medium"), 76, "C"),  # 40 + 28 + 8
        (Stage.EARLY_WARNING, ("high",) * 5 + ("medium", "medium", "low", "low"), 99, "C"),
        (Stage.LONG_TERM, ("high",) * 4 + ("low",), 100, "C"),
        (Stage.EARLY_WARNING, ("high",) * 6 + ("medium", "low"), 100, "C"),  # 101, capped at 100
        (Stage.CURRENT, (), 0, "A"),
    ],
)
def test_score_points_cap_and_tiers_a_below_45_b_from_45_c_from_75(stage: Stage, severities: tuple[str, ...],
                                                                     value: int, tier: str) -> None:
    score = score_case(stage, flags_of(*severities))
    assert (score.value, score.tier) == (value, tier)
    assert sum(c.points for c in score.contributions) >= value
    assert [c.points for c in score.contributions] == sorted((c.points for c in score.contributions), reverse=True)


@pytest.mark.parametrize(
    ("stage", "severities", "level"),
    [(Stage.CURRENT, (), "low"), (Stage.EARLY_WARNING, (), "low"), (Stage.ESCALATION, (), "medium"),
     (Stage.SEVERE, (), "high"), (Stage.LONG_TERM, (), "high"),
     (Stage.EARLY_WARNING, ("high", "high", "high"), "medium"),  # 47: tier B
     (Stage.EARLY_WARNING, ("high",) * 5, "high"),  # 75: tier C
     (Stage.ESCALATION, ("high",) * 5, "high")],
)
def test_risk_level_follows_the_tier_and_the_stage_raises_it(
    stage: Stage, severities: tuple[str, ...], level: str
) -> None:
    assert score_case(stage, flags_of(*severities)).risk_level == level


def test_score_explains_each_contribution() -> None:
    flag = RiskFlag("debt.many_lenders", "debt", "high", "flag.debt.many_lenders", {"lenders": 5})
    score = score_case(Stage.SEVERE, [flag])
    assert [(c.key, c.params, c.points) for c in score.contributions] == [
        ("stage_long.3", {}, 30), ("flag.debt.many_lenders", {"lenders": 5}, 14)]


# --- contact caps: the count below, at and above the cap, and the very moment a cap re-opens ---------------

def cn_facts(dpd: int = 45, **kw: Any) -> CaseFacts:
    f = CaseFacts(case_id="C-1", dpd=dpd, overdue_amount=D("1000"), currency="CNY", timezone="Asia/Shanghai",
                  overdue_since=TODAY - timedelta(days=dpd), phones=(Phone(MOBILE, True),),
                  consents={"phone": True, "sms": True})
    return replace(f, **kw)


def sh(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=SH)


def sms(*moments: datetime) -> tuple[Contact, ...]:
    return tuple(Contact(m, "sms", "message_left") for m in moments)


@pytest.mark.parametrize(("count", "allowed"), [(2, True), (3, False), (4, False)])
def test_cn_weekly_cap_of_3_at_16_to_30_dpd(count: int, allowed: bool) -> None:
    f = cn_facts(20, contacts=sms(*(sh(21 + i, 10) for i in range(count))))
    d = check_contact(CN, f, channel="sms", now=sh(27, 9))
    assert d.allowed is allowed
    if not allowed:
        assert (d.rule, d.reason, d.params) == ("CN-STAGE2-WEEKLY", "check.per_week", {"count": count, "max": 3})


@pytest.mark.parametrize(("dpd", "applies"), [(15, False), (16, True), (17, True), (29, True), (30, True), (31, False)])
def test_cn_weekly_cap_applies_from_16_to_30_dpd(dpd: int, applies: bool) -> None:
    f = cn_facts(dpd, contacts=sms(sh(21, 10), sh(23, 10), sh(25, 10)))
    d = check_contact(CN, f, channel="sms", now=sh(27, 9))
    assert d.allowed is not applies
    if applies:
        assert d.rule == "CN-STAGE2-WEEKLY"


def test_cn_weekly_cap_reopens_at_the_moment_it_names() -> None:
    f = cn_facts(20, contacts=sms(sh(20, 10, 30), sh(22, 10), sh(24, 10)))
    before = check_contact(CN, f, channel="sms", now=sh(27, 10, 29, 59))
    assert (before.allowed, before.rule, before.next_allowed_at) == (False, "CN-STAGE2-WEEKLY", sh(27, 10, 30))
    # Seven days after the oldest of the three the rule lets the next one through, at that very moment ...
    assert check_contact(CN, f, channel="sms", now=sh(27, 10, 30)).allowed
    # ... and once recorded, that contact is the third of the new week until the 22nd's leaves it.
    after = replace(f, contacts=(*f.contacts, *sms(sh(27, 10, 30))))
    again = check_contact(CN, after, channel="sms", now=sh(27, 10, 31))
    assert (again.allowed, again.next_allowed_at) == (False, sh(29, 10))


def test_cn_weekly_cap_counts_only_contacts_that_reached_someone() -> None:
    unanswered = tuple(Contact(sh(21 + i, 10), "phone", "no_answer") for i in range(5))
    f = cn_facts(20, contacts=(*unanswered, *sms(sh(22, 11), sh(23, 11))))
    assert check_contact(CN, f, channel="sms", now=sh(27, 9)).allowed


@pytest.mark.parametrize(("count", "allowed"), [(5, True), (6, False), (7, False)])
def test_cn_monthly_cap_of_6(count: int, allowed: bool) -> None:
    f = cn_facts(contacts=sms(*(sh(1 + 4 * i, 10) for i in range(count))))
    d = check_contact(CN, f, channel="sms", now=sh(27, 10))
    assert d.allowed is allowed
    if not allowed:
        assert (d.rule, d.params, d.next_allowed_at) == ("CN-MONTHLY", {"count": count, "max": 6}, sh(1, 8, month=12))


def test_cn_monthly_cap_reopens_on_the_first_of_the_next_month_in_the_customers_zone() -> None:
    f = cn_facts(contacts=sms(*(sh(1 + 4 * i, 10) for i in range(6))))
    assert check_contact(CN, f, channel="sms", now=sh(30, 21, 59)).rule == "CN-MONTHLY"
    assert check_contact(CN, f, channel="sms", now=sh(1, 8, month=12)).allowed
    # 23:30 on 31 October in Shanghai is October there, whatever the UTC date: it does not count for November.
    october = replace(f, contacts=(*sms(sh(31, 23, 30, month=10)), *f.contacts[1:]))
    assert check_contact(CN, october, channel="sms", now=sh(27, 10)).allowed
    november = replace(f, contacts=(*sms(sh(1, 0, 0)), *f.contacts[1:]))
    assert check_contact(CN, november, channel="sms", now=sh(27, 10)).rule == "CN-MONTHLY"


def calls(n: int, disposition: str = "no_answer", number: str = MOBILE, day: int = 27) -> tuple[Contact, ...]:
    return tuple(Contact(sh(day, 9, i), "phone", disposition, number=number) for i in range(n))


@pytest.mark.parametrize(("count", "allowed"), [(5, True), (6, False), (7, False)])
def test_cn_unanswered_calls_at_most_6_a_number_a_day(count: int, allowed: bool) -> None:
    d = check_contact(CN, cn_facts(contacts=calls(count)), channel="phone", now=sh(27, 15), number=MOBILE)
    assert d.allowed is allowed
    if not allowed:
        assert (d.rule, d.params, d.next_allowed_at) == ("CN-UNANSWERED", {"count": count, "max": 6}, sh(28, 8))


def test_cn_unanswered_cap_reopens_with_the_customers_next_day() -> None:
    f = cn_facts(contacts=calls(6))
    assert check_contact(CN, f, channel="phone", now=sh(27, 21, 59), number=MOBILE).rule == "CN-UNANSWERED"
    assert check_contact(CN, f, channel="phone", now=sh(28, 8), number=MOBILE).allowed
    busy_and_voicemail = cn_facts(contacts=calls(3, "busy") + calls(3, "voicemail"))
    assert check_contact(CN, busy_and_voicemail, channel="phone", now=sh(27, 15), number=MOBILE).rule == "CN-UNANSWERED"
    # Six the day before, in Shanghai's calendar, do not count today.
    assert check_contact(
        CN, cn_facts(contacts=calls(6, day=26)), channel="phone", now=sh(27, 15), number=MOBILE
    ).allowed


@pytest.mark.parametrize(("count", "allowed"), [(2, True), (3, False), (4, False)])
def test_cn_connected_calls_at_most_3_a_day(count: int, allowed: bool) -> None:
    d = check_contact(CN, cn_facts(contacts=calls(count, "rpc")), channel="phone", now=sh(27, 15))
    assert d.allowed is allowed
    if not allowed:
        assert (d.rule, d.params, d.next_allowed_at) == ("CN-CONNECTED", {"count": count, "max": 3}, sh(28, 8))


def test_cn_connected_cap_reopens_the_next_day_and_counts_the_debtor_only() -> None:
    f = cn_facts(contacts=calls(3, "rpc"))
    assert check_contact(CN, f, channel="phone", now=sh(28, 8)).allowed
    third_parties = tuple(replace(c, target="third_party", disposition="third_party") for c in calls(3, "rpc"))
    assert check_contact(CN, cn_facts(contacts=third_parties), channel="phone", now=sh(27, 15)).allowed


@pytest.mark.parametrize(("failures", "allowed"), [(2, False), (3, True), (4, True)])
def test_cn_third_party_after_3_failed_attempts(failures: int, allowed: bool) -> None:
    f = cn_facts(contacts=calls(failures, day=26))
    d = check_contact(CN, f, channel="phone", now=sh(27, 15), target="third_party")
    assert d.allowed is allowed
    if not allowed:
        assert (d.rule, d.params) == ("CN-THIRD-PARTY", {"failures": failures, "needed": 3})


def test_cn_third_party_counts_consecutive_failures_since_the_last_reach() -> None:
    history = calls(2, day=24) + calls(1, "rpc", day=25) + calls(2, day=26)
    d = check_contact(CN, cn_facts(contacts=history), channel="phone", now=sh(27, 15), target="third_party")
    assert (d.allowed, d.params["failures"]) == (False, 2)
    invalid = cn_facts(contacts=calls(3, "invalid_number", "+8613911112222", day=26))
    assert check_contact(CN, invalid, channel="phone", now=sh(27, 15), target="third_party").allowed


@pytest.mark.parametrize(("pack", "zone", "local", "allowed"), [
    (CN, SH, (7, 59), False), (CN, SH, (8, 0), True), (CN, SH, (21, 59), True), (CN, SH, (22, 0), False),
    (US, NY, (7, 59), False), (US, NY, (8, 0), True), (US, NY, (20, 59), True), (US, NY, (21, 0), False),
    (UK, LON, (7, 59), False), (UK, LON, (8, 0), True), (UK, LON, (20, 59), True), (UK, LON, (21, 0), False),
])
def test_allowed_hours_cn_08_22_us_and_uk_08_21(
    pack: RulePack, zone: ZoneInfo, local: tuple[int, int], allowed: bool
) -> None:
    number = {SH: MOBILE, NY: "+12125550123", LON: "+447700900000"}[zone]
    f = cn_facts(timezone=str(zone), phones=(Phone(number, True),))
    d = check_contact(pack, f, channel="phone", now=datetime(2026, 11, 27, *local, tzinfo=zone))
    assert d.allowed is allowed
    if allowed:
        assert d.holds_until == datetime.combine(date(2026, 11, 27), pack.hours.end, zone)
    else:
        assert d.rule == pack.hours.rule and d.next_allowed_at.astimezone(zone).time() == time(8, 0)  # type: ignore[union-attr]


def us_facts(*contacts: Contact) -> CaseFacts:
    return cn_facts(timezone="America/New_York", phones=(Phone("+12125550123", True),), contacts=contacts)


def ny(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=NY)


@pytest.mark.parametrize(("attempts", "allowed"), [(6, True), (7, False), (8, False)])
def test_us_7_calls_in_7_days(attempts: int, allowed: bool) -> None:
    f = us_facts(*(Contact(ny(20 + i % 7, 10, i), "phone", "no_answer") for i in range(attempts)))
    d = check_contact(US, f, channel="phone", now=ny(26, 15))
    assert d.allowed is allowed
    if not allowed:
        assert (d.rule, d.reason, d.params["max"], d.params["days"]) == ("US-7IN7", "check.seven_in_seven", 7, 7)


def test_us_7_in_7_reopens_when_the_oldest_call_leaves_the_7_days() -> None:
    f = us_facts(*(Contact(ny(20 + i, 10), "phone", "no_answer") for i in range(7)))
    late = check_contact(US, f, channel="phone", now=ny(26, 20, 59))
    assert (late.rule, late.next_allowed_at) == ("US-7IN7", ny(27, 8))
    assert check_contact(US, f, channel="phone", now=ny(27, 8)).allowed
    # The voicemails and unanswered calls of the window count alike.
    mixed = us_facts(*(Contact(ny(20 + i, 10), "phone", "voicemail" if i % 2 else "busy") for i in range(7)))
    assert check_contact(US, mixed, channel="phone", now=ny(26, 15)).rule == "US-7IN7"


def test_us_7_days_after_a_conversation_the_conversation_day_is_day_1() -> None:
    f = us_facts(Contact(ny(20, 10), "phone", "rpc"))
    last = check_contact(US, f, channel="phone", now=ny(26, 20, 59))  # day 7
    assert (last.rule, last.reason, last.next_allowed_at) == ("US-7IN7", "check.wait_after_conversation", ny(27, 8))
    assert last.params == {"day": "2026-11-20", "days": 7}
    assert check_contact(US, f, channel="phone", now=ny(27, 8)).allowed  # day 8, at the hour the window opens
    third = us_facts(Contact(ny(20, 10), "phone", "third_party", target="third_party"))
    assert check_contact(US, third, channel="phone", now=ny(21, 10)).allowed  # not a conversation with the debtor


# --- the golden window: first contact within 15 days -------------------------------------------------------

def queue_case(dpd: int, *contacts: Contact) -> CaseFacts:
    return cn_facts(dpd, contacts=contacts)


@pytest.mark.parametrize(("dpd", "group", "left"), [(0, "rest", None), (1, "golden", 14), (14, "golden", 1),
                                                     (15, "golden", 0), (16, "rest", None)])
def test_golden_window_15_days(dpd: int, group: str, left: int | None) -> None:
    p = place_case(queue_case(dpd), sh(27, 10), Rules(pack=CN))
    assert p.group == group and p.dpd == dpd
    if left is not None:
        assert p.params == {"days": left, "rule": "CN-GOLDEN"}


def test_golden_window_closes_with_a_contact_on_or_after_the_overdue_day_only() -> None:
    since = TODAY - timedelta(days=5)
    before = Contact(datetime.combine(since - timedelta(days=1), time(10), SH), "phone", "rpc")
    on_the_day = Contact(datetime.combine(since, time(10), SH), "phone", "rpc")
    unanswered = Contact(datetime.combine(since, time(11), SH), "phone", "no_answer")
    assert place_case(queue_case(5, before, unanswered), sh(27, 10), Rules(pack=CN)).group == "golden"
    assert place_case(queue_case(5, on_the_day), sh(27, 10), Rules(pack=CN)).group == "rest"


def review_case(first: datetime | None, since: date | None = date(2026, 11, 1), dpd: int = 26) -> TeamCase:
    return TeamCase("C-1", "demo", dpd, since, first)


@pytest.mark.parametrize(("first_day", "as_of", "missed"), [
    (date(2026, 11, 15), date(2026, 11, 27), False), (date(2026, 11, 16), date(2026, 11, 27), False),
    (date(2026, 11, 17), date(2026, 11, 27), True),
    (None, date(2026, 11, 15), False), (None, date(2026, 11, 16), False), (None, date(2026, 11, 17), True),
])
def test_golden_miss_in_the_leads_review(first_day: date | None, as_of: date, missed: bool) -> None:
    # Overdue on 1 November: the window ends on the 16th, 15 days later.
    first = datetime.combine(first_day, time(10), UTC) if first_day else None
    assert golden_miss(review_case(first), 15, as_of) is missed


@pytest.mark.parametrize(("dpd", "missed"), [(14, False), (15, False), (16, True)])
def test_golden_miss_without_an_overdue_date_judges_by_days_past_due(dpd: int, missed: bool) -> None:
    assert golden_miss(review_case(None, None, dpd), 15, TODAY) is missed
    assert golden_miss(review_case(datetime(2026, 11, 1, tzinfo=UTC), None, dpd), 15, TODAY) is False


# --- the lead's monthly band (3-6), the 30 and 7 days of the report, the hours ------------------------------

def team_contact(day: date, count: int = 1, disposition: str = "rpc", hour: int = 10, target: str = "customer",
                 channel: str = "phone") -> TeamContact:
    return TeamContact("demo", "C-1", day, hour, channel, disposition, target, count)


@pytest.mark.parametrize(("reached", "status"), [(2, "under"), (3, "ok"), (4, "ok"), (5, "ok"), (6, "ok"),
                                                 (7, "over")])
def test_monthly_band_3_to_6_reached_contacts(reached: int, status: str) -> None:
    contacts = [team_contact(TODAY, reached), team_contact(TODAY, 5, "no_answer")]
    [fig] = case_figures([review_case(None)], contacts, TODAY, CN)
    assert (fig.reached_30d, fig.attempts_30d, fig.status) == (reached, reached + 5, status)


def test_the_report_counts_30_and_7_days_ending_on_its_last_day() -> None:
    contacts = [team_contact(TODAY - timedelta(days=age), 1 + age) for age in (0, 6, 7, 29, 30)]
    contacts.append(team_contact(TODAY + timedelta(days=1), 100))  # after the report's end
    [fig] = case_figures([review_case(None)], contacts, TODAY, CN)
    assert fig.reached_30d == 1 + 7 + 8 + 30
    [team] = team_figures([("demo", "Demo", 1)], [review_case(None)], contacts, TODAY, CN)
    assert team.contacts_30d == 1 + 7 + 8 + 30 and team.contacts_7d == 1 + 7
    assert team.per_day[29] == 1 and team.per_day[0] == 30 and team.per_day[23] == 7 and team.per_day[22] == 8


@pytest.mark.parametrize(("pack", "hour", "outside"), [(CN, 7, 1), (CN, 8, 0), (CN, 21, 0), (CN, 22, 1),
                                                       (US, 20, 0), (US, 21, 1)])
def test_outside_hours_in_the_review(pack: RulePack, hour: int, outside: int) -> None:
    [fig] = case_figures([review_case(None)], [team_contact(TODAY, hour=hour)], TODAY, pack)
    assert fig.outside_hours == outside


# --- suppressions at a moment ------------------------------------------------------------------------------

@pytest.mark.parametrize(("lifted", "active"), [(date(2026, 11, 9), True), (date(2026, 11, 10), False),
                                                (date(2026, 11, 11), False)])
def test_a_lift_ends_every_suppression_of_its_type_that_began_by_then(lifted: date, active: bool) -> None:
    f = cn_facts(suppressions=(Suppression("dispute", None, date(2026, 11, 10)),
                               Suppression("dispute", None, None, lifted_at=lifted, reason="verified")))
    assert bool([s for s in active_suppressions(f) if s.type == "dispute"]) is active


@pytest.mark.parametrize(("verified", "paused"), [(date(2026, 11, 9), True), (date(2026, 11, 10), False)])
def test_a_verification_on_or_after_the_dispute_day_ends_its_pause(verified: date, paused: bool) -> None:
    dispute = Contact(datetime.combine(date(2026, 11, 10), time(10), UTC), "phone", "dispute")
    sent = Contact(datetime.combine(verified, time(9), UTC), "email", "verification_sent")
    f = cn_facts(contacts=(sent, dispute))
    assert bool([s for s in active_suppressions(f) if s.type == "dispute"]) is paused


# --- plan limits (plan_limits: 6 months, 36 instalments, 50% waiver, 100 smallest, 50% of income) ---------

INCOME = [D("8000")] * 6  # half of it: 4,000 a month at most


def keys(plan: PlanPreview) -> list[str]:
    return [m.key for m in plan.messages]


@pytest.mark.parametrize(("months", "ok"), [(0, False), (1, True), (5, True), (6, True), (7, False)])
def test_deferral_of_at_most_6_months(months: int, ok: bool) -> None:
    plan = deferral([(date(2026, 12, 5), D("500"))], months, income=INCOME)
    assert plan.ok is ok
    if months > 6:
        assert keys(plan) == ["plan.max_extension"] and plan.messages[0].params == {"months": months, "max": 6}


@pytest.mark.parametrize(("months", "ok"), [(35, True), (36, True), (37, False)])
def test_at_most_36_instalments(months: int, ok: bool) -> None:
    plan = reinstalment(D("36000"), months, date(2026, 12, 5), income=INCOME)
    assert plan.ok is ok and len(plan.instalments) == months
    if not ok:
        assert keys(plan) == ["plan.max_instalments"] and plan.messages[0].params == {"months": 37, "max": 36}


@pytest.mark.parametrize(("share", "ok"), [("0.49", True), ("0.50", True), ("0.51", False)])
def test_waiver_share_at_most_50_percent(share: str, ok: bool) -> None:
    plan = reduction(D("2000"), D("400"), D(share), 2, date(2026, 12, 5), income=INCOME)
    assert plan.ok is ok
    assert plan.waived == (D("400") * D(share)).quantize(D("0.01"))
    if not ok:
        assert keys(plan)[0] == "plan.max_waiver" and plan.messages[0].params == {"share": 51, "max": 50}


@pytest.mark.parametrize("share", ["-0.01", "1.01"])
def test_a_waiver_share_outside_0_to_1_is_refused(share: str) -> None:
    plan = reduction(D("2000"), D("400"), D(share), 2, date(2026, 12, 5), income=INCOME)
    assert keys(plan)[0] == "plan.waiver_range" and plan.waived == 0 and plan.total == D("2000")


def test_the_waiver_is_a_share_of_interest_and_fees_never_more_than_the_amount() -> None:
    plan = reduction(D("300"), D("1000"), D("0.5"), 1, date(2026, 12, 5), income=INCOME)
    assert plan.waived == D("150.00") and plan.total == D("150.00")


@pytest.mark.parametrize(("amount", "ok"), [("299.97", False), ("300.00", True), ("300.03", True)])
def test_smallest_instalment_100(amount: str, ok: bool) -> None:
    # Three instalments: 99.99 each is below the smallest, 100.00 is the smallest, 100.01 above it.
    plan = reinstalment(D(amount), 3, date(2026, 12, 5), income=INCOME)
    assert plan.ok is ok
    if not ok:
        assert keys(plan) == ["plan.min_instalment"] and plan.messages[0].params == {"amount": "99.99", "min": "100"}


def test_a_deferral_keeps_small_instalments_as_they_are() -> None:
    assert deferral([(date(2026, 12, 5), D("50"))], 1, income=INCOME).ok


@pytest.mark.parametrize(("amount", "ok"), [("7999.98", True), ("8000.00", True), ("8000.02", False)])
def test_instalment_at_most_50_percent_of_the_median_income(amount: str, ok: bool) -> None:
    plan = reinstalment(D(amount), 2, date(2026, 12, 5), income=INCOME)
    assert plan.ok is ok
    if not ok:
        assert keys(plan) == ["plan.unaffordable"]
        assert plan.messages[0].params == {"amount": "4000.01", "cap": "4000.00", "share": 50}


def test_affordability_uses_the_median_not_the_mean() -> None:
    # Median of 1,000, 8,000, 8,000 is 8,000 (the mean would be 5,667): 4,000 is affordable.
    assert reinstalment(D("8000"), 2, date(2026, 12, 5), income=[D("1000"), D("8000"), D("8000")]).ok
    deferred = deferral([(date(2026, 12, 5), D("4000.01"))], 1, income=INCOME)
    assert keys(deferred) == ["plan.unaffordable"]
    assert keys(deferral([(date(2026, 12, 5), D("4000"))], 1)) == ["plan.no_income"]


def test_an_amount_finer_than_the_minor_unit_keeps_its_remainder_in_the_last_instalment() -> None:
    plan = reinstalment(D("1000.005"), 3, date(2026, 12, 5), income=INCOME)
    assert [i.amount for i in plan.instalments] == [D("333.34"), D("333.33"), D("333.335")]
    assert plan.total == D("1000.005")
    yen = reinstalment(D("1000"), 3, date(2026, 12, 5), currency="JPY", income=[D("900000")])
    assert [i.amount for i in yen.instalments] == [D("334"), D("333"), D("333")]


# --- what the collector records ----------------------------------------------------------------------------

@pytest.mark.parametrize(("seconds", "ok"), [(-1, False), (0, True), (14400, True), (14401, False)])
def test_a_contact_lasts_0_to_4_hours(seconds: int, ok: bool) -> None:
    errors = payload_errors("contact.logged", contact_payload("phone", "rpc", "customer", "", seconds, ""))
    assert (errors == []) is ok
    if not ok:
        [error] = errors
        assert (error.field, error.key) == ("duration_s", "limit.at_least" if seconds < 0 else "limit.at_most")
        assert error.params == ({"min": 0} if seconds < 0 else {"max": 14400})


@pytest.mark.parametrize(("length", "ok"), [(1999, True), (2000, True), (2001, False)])
def test_a_note_of_at_most_2000_characters(length: int, ok: bool) -> None:
    errors = payload_errors("contact.logged", contact_payload("phone", "rpc", "customer", "", 0, "x" * length))
    assert (errors == []) is ok
    if not ok:
        assert [(e.field, e.key, e.params) for e in errors] == [("note", "form.too_long", {"max": 2000})]


@pytest.mark.parametrize(("days", "key"), [(-1, "form.date_past"), (0, None), (59, None), (60, None),
                                           (61, "form.date_far")])
def test_a_promise_from_today_to_60_days_ahead(days: int, key: str | None) -> None:
    errors = validate_promise(TODAY + timedelta(days=days), D("100"), TODAY)
    assert [e.key for e in errors] == ([key] if key else [])
    if key == "form.date_far":
        assert errors[0].params == {"days": 60}
