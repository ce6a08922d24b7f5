"""Risk flags at, just below and just above each threshold; the score and tier that follow."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from collector_tui.domain.facts import CaseFacts, Contact, ContactChange, Payment, Phone, Promise, SpendingMonth
from collector_tui.domain.flags import FlagThresholds, compute_flags
from collector_tui.domain.scoring import ScoreWeights, score_case
from collector_tui.domain.stages import Stage

TODAY = date(2026, 11, 27)
D = Decimal


def base(**kw: Any) -> CaseFacts:
    f = CaseFacts(
        case_id="C-1", dpd=10, overdue_amount=D("1000"), currency="CNY", timezone="Asia/Shanghai",
        employment_type="salaried", has_contract=True, income_sources=2,
        monthly_income=(D("10000"),) * 6, contact_info_confirmed_at=TODAY - timedelta(days=30),
        emergency_contacts=1, phones=(Phone("+8613800000000", True, TODAY - timedelta(days=400),
                                            datetime(2026, 11, 20, tzinfo=UTC)),),
        active_lenders=1, total_debt=D("1000"),
    )
    return replace(f, **kw)


def ids(f: CaseFacts, th: FlagThresholds = FlagThresholds()) -> set[str]:
    return {fl.id for fl in compute_flags(f, TODAY, th)}


def test_a_steady_customer_raises_nothing() -> None:
    assert ids(base()) == set()


def income(swing_pct: int) -> tuple[Decimal, ...]:
    # mean 10000, max-min = swing% of the mean
    half = D(swing_pct) * 50
    return (D(10000) - half, D(10000) + half, D(10000), D(10000))


@pytest.mark.parametrize(("swing", "raised"), [(29, False), (30, False), (31, True)])
def test_income_swing_threshold_30_percent(swing: int, raised: bool) -> None:
    assert ("income.swing" in ids(base(monthly_income=income(swing)))) is raised


def test_income_swing_evidence_names_figure_and_threshold() -> None:
    flag = next(f for f in compute_flags(base(monthly_income=income(42)), TODAY) if f.id == "income.swing")
    assert flag.params == {"swing": 42, "months": 4, "threshold": 30}
    assert flag.severity == "medium" and flag.evidence == "flag.income.swing"


@pytest.mark.parametrize(("days", "raised"), [(183, False), (184, False), (185, True)])
def test_contact_details_older_than_six_months(days: int, raised: bool) -> None:
    # 6 months before 2026-11-27 is 2026-05-27, 184 days: at the threshold is not "more than".
    assert ("info.stale_contact" in ids(base(contact_info_confirmed_at=TODAY - timedelta(days=days)))) is raised


def payments(minimum_flags: list[bool]) -> tuple[Payment, ...]:
    return tuple(Payment(date(2026, 5 + i, 5), D("100"), m) for i, m in enumerate(minimum_flags))


@pytest.mark.parametrize(("run", "raised"), [(2, False), (3, True), (4, True)])
def test_minimum_payment_three_periods_in_a_row(run: int, raised: bool) -> None:
    flags = [False] * (5 - run) + [True] * run
    assert ("repay.minimum_run" in ids(base(payments=payments(flags), due_day=5))) is raised


def test_minimum_payments_not_in_a_row_do_not_count() -> None:
    assert "repay.minimum_run" not in ids(base(payments=payments([True, True, False, True, True]), due_day=5))


@pytest.mark.parametrize(("count", "raised"), [(1, False), (2, True), (3, True)])
def test_contact_changes_two_within_three_months(count: int, raised: bool) -> None:
    changes = tuple(ContactChange(TODAY - timedelta(days=10 * (i + 1)), "phone", True) for i in range(count))
    assert ("contact.changes" in ids(base(contact_changes=changes))) is raised


def test_contact_changes_older_than_three_months_do_not_count() -> None:
    changes = (
        ContactChange(TODAY - timedelta(days=95), "phone", True),
        ContactChange(TODAY - timedelta(days=10), "phone", True),
    )
    assert "contact.changes" not in ids(base(contact_changes=changes))


def test_unreported_change_and_new_unreachable_number() -> None:
    f = base(contact_changes=(ContactChange(TODAY - timedelta(days=5), "phone", False),),
             phones=(Phone("+8613900000000", False, TODAY - timedelta(days=5), None),))
    assert {"contact.unreported_change", "contact.new_unreachable"} <= ids(f)


@pytest.mark.parametrize(("share", "raised"), [("0.29", False), ("0.30", False), ("0.31", True)])
def test_investment_share_over_30_percent(share: str, raised: bool) -> None:
    spending = (SpendingMonth("2026-10", D("3000"), D("500"), D(share)),)
    assert ("funds.investment" in ids(base(spending=spending))) is raised


@pytest.mark.parametrize(("lenders", "raised"), [(3, False), (4, True)])
def test_many_lenders(lenders: int, raised: bool) -> None:
    assert ("debt.many_lenders" in ids(base(active_lenders=lenders))) is raised


@pytest.mark.parametrize(("changes", "raised"), [(1, False), (2, True)])
def test_student_changes_school_often(changes: int, raised: bool) -> None:
    f = base(employment_type="student", has_contract=False, student_status="enrolled", school_changes_12m=changes)
    assert ("study.school_changes" in ids(f)) is raised


def test_student_signals() -> None:
    f = base(employment_type="student", has_contract=False, student_status="suspended", student_completed_study=False)
    assert {"study.dropped", "study.incomplete", "income.no_contract"} <= ids(f)
    assert "study.abnormal" in ids(replace(f, student_status="abnormal"))


def test_stale_information_signals() -> None:
    f = base(address_mismatch_at=TODAY - timedelta(days=3), emergency_contacts=0)
    assert {"info.address_mismatch", "info.no_emergency_contact"} <= ids(f)


@pytest.mark.parametrize(("requests", "raised"), [(2, False), (3, True)])
def test_frequent_deferral_requests(requests: int, raised: bool) -> None:
    f = base(deferral_requests=tuple(TODAY - timedelta(days=20 * (i + 1)) for i in range(requests)))
    assert ("repay.deferrals" in ids(f)) is raised


def test_irregular_repayment_timing() -> None:
    irregular = tuple(Payment(date(2026, m, d), D("100"), False) for m, d in ((5, 1), (6, 20), (7, 12), (8, 27)))
    regular = tuple(Payment(date(2026, m, 6), D("100"), False) for m in (5, 6, 7, 8))
    assert "repay.irregular" in ids(base(payments=irregular, due_day=5))
    assert "repay.irregular" not in ids(base(payments=regular, due_day=5))


def test_spending_jump_and_large_spend() -> None:
    spending = (
        SpendingMonth("2026-09", D("3000"), D("500"), D("0")),
        SpendingMonth("2026-10", D("9000"), D("12000"), D("0")),
    )
    assert {"funds.spending_jump", "funds.large_spend"} <= ids(base(spending=spending))
    calm = (
        SpendingMonth("2026-09", D("3000"), D("500"), D("0")),
        SpendingMonth("2026-10", D("3100"), D("600"), D("0")),
    )
    assert not {"funds.spending_jump", "funds.large_spend"} & ids(base(spending=calm))


def test_lost_contact_after_30_days_unreachable() -> None:
    def phones(days: int) -> tuple[Phone, ...]:
        return (
            Phone(
                "+8613800000000", False, None, datetime.combine(TODAY - timedelta(days=days), datetime.min.time(), UTC)
            ),
        )

    assert "lost_contact" in ids(base(phones=phones(31)))
    assert "lost_contact" not in ids(base(phones=phones(30)))


def test_unstable_income_group_and_single_source() -> None:
    assert {"income.unstable_group", "income.single_source"} <= ids(base(employment_type="freelance", income_sources=1))
    young = base(birth_year=2003, employment_started=TODAY - timedelta(days=90))
    assert "income.unstable_group" in ids(young)


def test_low_willingness_from_broken_promises_or_refusal() -> None:
    broken = tuple(
        Promise(datetime(2026, 10, d, tzinfo=UTC), date(2026, 10, d + 5), D("100"), "broken") for d in (1, 10)
    )
    assert "willingness.low" in ids(base(promises=broken))
    refused = (Contact(datetime(2026, 11, 1, 3, tzinfo=UTC), "phone", "refused"),)
    assert "willingness.low" in ids(base(contacts=refused))


def test_high_debt_against_income() -> None:
    assert "debt.high" in ids(base(total_debt=D("130000")))
    assert "debt.high" not in ids(base(total_debt=D("110000")))


def test_thresholds_are_settings() -> None:
    f = base(active_lenders=3)
    assert "debt.many_lenders" in ids(f, FlagThresholds(many_lenders=3))


def test_score_tiers_and_stage_raises_risk_level() -> None:
    quiet = score_case(Stage.EARLY_WARNING, [])
    assert (quiet.value, quiet.tier, quiet.risk_level) == (5, "A", "low")
    assert score_case(Stage.ESCALATION, []).risk_level == "medium"
    assert score_case(Stage.SEVERE, []).risk_level == "high"
    flags = compute_flags(base(active_lenders=5, monthly_income=income(60), emergency_contacts=0), TODAY)
    loud = score_case(Stage.SEVERE, flags)
    assert loud.tier == "B" and loud.value == 30 + 14 + 8 + 8
    assert loud.contributions[0].points == 30 and {c.key for c in loud.contributions} >= {"flag.debt.many_lenders"}
    assert score_case(Stage.SEVERE, flags, ScoreWeights(tier_c_from=60)).tier == "C"
    assert score_case(Stage.EARLY_WARNING, [], ScoreWeights(stage_points={1: 50})).tier == "B"
