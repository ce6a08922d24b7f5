"""Values checked where they enter, by the rules in domain/: each boundary, and the first value past it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from collector_tui.domain.actions import FieldError, parse_amount, validate_amount, validate_promise
from collector_tui.domain.entry import CLOCK_SKEW, case_began, validate_callback_hours, validate_moment
from collector_tui.domain.facts import CaseFacts, Phone
from collector_tui.domain.plans import PlanMessage, deferral, reduction, reinstalment
from collector_tui.locale import t
from collector_tui.policies import load_pack
from collector_tui.work.contact import Outcome, validate

CN, US = load_pack("cn"), load_pack("us-regf")
SH, NY = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 27, 11, 0, tzinfo=SH)
D = Decimal


def keys(errors: Iterable[FieldError | PlanMessage]) -> list[str]:
    return [e.key for e in errors]


# --- when something happened -----------------------------------------------------------------------
def test_the_clock_skew_is_five_minutes() -> None:
    assert CLOCK_SKEW == timedelta(minutes=5)


@pytest.mark.parametrize(
    ("offset", "refused"),
    [(timedelta(0), False), (CLOCK_SKEW, False), (CLOCK_SKEW + timedelta(seconds=1), True),
     (timedelta(days=365), True), (-timedelta(days=3), False)],
)
def test_a_time_may_run_ahead_of_the_clock_by_the_skew_and_no_more(offset: timedelta, refused: bool) -> None:
    errors = validate_moment(NOW + offset, NOW, None)
    assert keys(errors) == (["form.at_future"] if refused else [])
    if refused:
        assert (
            errors[0].field == "at"
            and t(errors[0].key, **errors[0].params) == "later than now (more than 5 minutes ahead)"
        )


def test_not_before_the_case_began_in_the_customers_zone() -> None:
    began = case_began(date(2026, 11, 1), "Asia/Shanghai")
    assert began == datetime(2026, 11, 1, 0, 0, tzinfo=SH)
    assert validate_moment(began, NOW, began) == []
    [error] = validate_moment(began - timedelta(seconds=1), NOW, began)
    assert error.key == "form.at_before_case" and error.params == {"day": "2026-11-01"}
    assert case_began(None, "Asia/Shanghai") is None
    assert keys(validate_moment(datetime(2026, 11, 27, 11, 0), NOW, None)) == ["form.zone_needed"]


# --- amounts ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["1e9", "1E+9", "1e-2", "NaN", "nan", "Infinity", "-inf", "-5", "+5", "0", "0.00",
                                  "12x", "", " ", "1.2.3", "1,00", "１２"])
def test_only_plain_amounts_above_zero_are_read(text: str) -> None:
    amount, errors = parse_amount(text)
    assert amount is None and keys(errors) == ["form.amount"]


@pytest.mark.parametrize(("text", "value"), [("1000", D("1000")), ("1000.50", D("1000.50")), (" 1,000.5 ", D("1000.5")),
                                             ("0.01", D("0.01")), ("12,345,678", D("12345678"))])
def test_plain_amounts_keep_their_decimals(text: str, value: Decimal) -> None:
    amount, errors = parse_amount(text)
    assert errors == [] and amount == value and str(amount) == text.strip().replace(",", "")


def test_an_amount_not_text_is_refused() -> None:
    assert keys(parse_amount(1e9)[1]) == ["form.amount"]


@pytest.mark.parametrize(
    ("amount", "currency", "outstanding", "key"),
    [("7071.00", "CNY", "7071.00", None), ("7071.01", "CNY", "7071.00", "form.amount_over"),
     ("7071", "JPY", "7071", None), ("7072", "JPY", "7071", "form.amount_over"),
     ("100.505", "CNY", None, "form.amount_minor"), ("100.5", "JPY", None, "form.amount_minor"),
     ("100.50", "USD", None, None), ("1E+9", "CNY", None, "form.amount"), ("NaN", "CNY", None, "form.amount"),
     ("-1", "CNY", None, "form.amount")],
)
def test_amount_at_most_the_outstanding_balance_in_the_currencys_minor_units(
        amount: str, currency: str, outstanding: str | None, key: str | None) -> None:
    errors = validate_amount(D(amount), currency, outstanding=D(outstanding) if outstanding else None)
    assert keys(errors) == ([key] if key else [])


def test_amount_messages_name_the_limit() -> None:
    [over] = validate_amount(D("99999"), "CNY", outstanding=D("7071.00"))
    assert t(over.key, **over.params) == "more than the outstanding balance of 7071.00 CNY"
    [minor] = validate_amount(D("100.5"), "JPY")
    assert t(minor.key, **minor.params) == "JPY amounts have at most 0 decimal places"


def test_a_promise_in_another_currency_is_refused() -> None:
    [error] = validate_promise(date(2026, 11, 30), D("100"), date(2026, 11, 27), currency="CNY", given_currency="USD")
    assert (error.field, error.key, error.params) == ("currency", "form.currency", {"currency": "CNY", "given": "USD"})


# --- plans -----------------------------------------------------------------------------------------
TODAY = date(2026, 11, 27)


@pytest.mark.parametrize(("first", "refused"), [(TODAY, False), (TODAY - timedelta(days=1), True),
                                                (TODAY + timedelta(days=1), False)])
def test_a_plan_starts_on_the_customers_today_or_later(first: date, refused: bool) -> None:
    plans = [reinstalment(D("1200"), 3, first, today=TODAY),
             reduction(D("1200"), D("100"), D("0.2"), 3, first, today=TODAY),
             deferral([(first - timedelta(days=31), D("400"))], 1, today=TODAY)]
    for plan in plans:
        past = [m for m in plan.messages if m.key == "plan.first_due_past"]
        assert bool(past) == refused and plan.ok == (not refused), plan
        if refused:
            assert past[0].params == {"first": (TODAY - timedelta(days=1)).isoformat(), "today": TODAY.isoformat()}


def test_deferring_long_overdue_instalments_by_a_month_still_starts_in_the_past() -> None:
    unpaid = [(date(2026, 6, 5) + timedelta(days=30 * i), D("500")) for i in range(6)]
    plan = deferral(unpaid, 1, today=TODAY)
    assert not plan.ok and "plan.first_due_past" in keys(plan.messages)
    assert "plan.first_due_past" not in keys(deferral(unpaid, 1).messages)  # no today given: not judged


# --- callbacks -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("local", "next_allowed"),
    [((8, 0), None), ((7, 59), "2026-11-28 08:00"), ((21, 59), None), ((22, 0), "2026-11-29 08:00"),
     ((23, 30), "2026-11-29 08:00")],
)
def test_a_callback_inside_the_cn_hours_in_shanghai(local: tuple[int, int], next_allowed: str | None) -> None:
    errors = validate_callback_hours(CN, ("Asia/Shanghai",), datetime(2026, 11, 28, *local, tzinfo=SH))
    if next_allowed is None:
        assert errors == []
    else:
        [error] = errors
        assert error.field == "at" and error.params["next"] == next_allowed and error.params["rule"] == "CN-HOURS"
        assert f"the next allowed time is {next_allowed}" in t(error.key, **error.params)


@pytest.mark.parametrize(("local", "allowed"), [((8, 0), True), ((7, 59), False), ((20, 59), True), ((21, 0), False)])
def test_a_callback_inside_the_us_hours_in_new_york(local: tuple[int, int], allowed: bool) -> None:
    errors = validate_callback_hours(US, ("America/New_York",), datetime(2026, 11, 28, *local, tzinfo=NY))
    assert (errors == []) == allowed


def test_a_callback_must_suit_every_zone_the_customer_may_be_in() -> None:
    # 08:30 in New York is 05:30 in Los Angeles, where the number dialled is: the next time is 11:00 in New York.
    [error] = validate_callback_hours(
        US, ("America/New_York", "America/Los_Angeles"), datetime(2026, 11, 28, 8, 30, tzinfo=NY)
    )
    assert error.params["next"] == "2026-11-28 11:00"


# --- the use case's validate(), as the form and the CLI call it -------------------------------------
def facts() -> CaseFacts:
    return CaseFacts(case_id="C-1", dpd=20, overdue_amount=D("1000"), currency="CNY", timezone="Asia/Shanghai",
                     overdue_since=date(2026, 11, 7), phones=(Phone("+8613800000000", True),))


def test_validate_checks_the_contact_time_the_promise_and_the_callback() -> None:
    f = facts()
    ok = Outcome("phone", "promise_to_pay", promise=(date(2026, 11, 30), D("7071.00")))
    assert validate(f, ok, NOW, outstanding=D("7071.00"), pack=CN) == []
    over = Outcome("phone", "promise_to_pay", promise=(date(2026, 11, 30), D("7071.01")))
    assert keys(validate(f, over, NOW, outstanding=D("7071.00"), pack=CN)) == ["form.amount_over"]
    late = Outcome("phone", "callback_requested", callback_at=datetime(2026, 11, 27, 23, 30, tzinfo=SH))
    [error] = validate(f, late, NOW, pack=CN)
    assert error.field == "at" and error.params["next"] == "2026-11-28 08:00"
    past = Outcome("phone", "callback_requested", callback_at=datetime(2026, 11, 27, 9, 0, tzinfo=SH))
    assert keys(validate(f, past, NOW, pack=CN)) == ["form.callback_past"]
    plain = Outcome("phone", "no_answer")
    assert keys(validate(f, plain, NOW, at=NOW + timedelta(days=365))) == ["form.at_future"]
    assert keys(validate(f, plain, NOW, at=datetime(2026, 11, 6, 23, 59, tzinfo=SH))) == ["form.at_before_case"]
    assert validate(f, plain, NOW, at=datetime(2026, 11, 7, 0, 0, tzinfo=SH)) == []
