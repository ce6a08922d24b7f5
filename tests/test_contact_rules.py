"""Contact rules from the packs: hours across DST, frequency caps, 7-in-7, third parties, suppressions, consent."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from collector_tui.domain.contact_rules import check_contact
from collector_tui.domain.facts import CaseFacts, Contact, Phone, Suppression
from collector_tui.domain.policy import PackError
from collector_tui.policies import load_pack, load_pack_file

CN, US, UK = load_pack("cn"), load_pack("us-regf"), load_pack("uk-conc")
SH, NY, LON = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York"), ZoneInfo("Europe/London")


def facts(tz: str = "Asia/Shanghai", number: str = "+8613800000000", **kw: Any) -> CaseFacts:
    f = CaseFacts(case_id="C-1", dpd=20, overdue_amount=Decimal("1000"), currency="CNY", timezone=tz,
                  phones=(Phone(number, True),), consents={"phone": True, "sms": True, "email": True})
    return replace(f, **kw)


def at(tz: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=tz)  # type: ignore[arg-type, misc]


def calls(tz: ZoneInfo, day: datetime, n: int, disposition: str = "no_answer", number: str = "") -> tuple[Contact, ...]:
    return tuple(
        Contact(day.replace(hour=9, minute=i, tzinfo=tz), "phone", disposition, number=number) for i in range(n)
    )


@pytest.mark.parametrize(
    ("local", "allowed"),
    [((7, 59), False), ((8, 0), True), ((21, 59), True), ((22, 0), False)],
)
def test_cn_hours_08_to_22_in_shanghai(local: tuple[int, int], allowed: bool) -> None:
    d = check_contact(CN, facts(), channel="phone", now=at(SH, 2026, 11, 27, *local))
    assert d.allowed is allowed
    if not allowed:
        assert d.rule == "CN-HOURS" and d.reason == "check.hours"
        assert d.next_allowed_at is not None and d.next_allowed_at.astimezone(SH).time().hour == 8


@pytest.mark.parametrize(
    ("when", "allowed", "next_local"),
    [
        # US DST ends 2026-11-01 at 02:00: 08:00 local is 13:00 UTC the day before, 13:00 UTC... after it is 08:00 EST.
        (datetime(2026, 10, 31, 12, 30, tzinfo=ZoneInfo("UTC")), True, None),  # 08:30 EDT
        (datetime(2026, 11, 1, 12, 30, tzinfo=ZoneInfo("UTC")), False, (2026, 11, 1, 8, 0)),  # 07:30 EST
        (datetime(2026, 3, 8, 12, 30, tzinfo=ZoneInfo("UTC")), True, None),  # 08:30 EDT after spring forward
        (datetime(2026, 3, 7, 12, 30, tzinfo=ZoneInfo("UTC")), False, (2026, 3, 7, 8, 0)),  # 07:30 EST
        (datetime(2026, 11, 2, 1, 59, tzinfo=ZoneInfo("UTC")), True, None),  # 20:59 EST
        (datetime(2026, 11, 2, 2, 0, tzinfo=ZoneInfo("UTC")), False, (2026, 11, 2, 8, 0)),  # 21:00 EST
    ],
)
def test_us_hours_across_daylight_saving_in_new_york(
    when: datetime, allowed: bool, next_local: tuple[int, ...] | None
) -> None:
    d = check_contact(US, facts("America/New_York", "+12125550123"), channel="phone", now=when)
    assert d.allowed is allowed
    if next_local:
        assert d.next_allowed_at == datetime(*next_local, tzinfo=NY)  # type: ignore[arg-type, misc]


@pytest.mark.parametrize(
    ("when", "allowed"),
    [
        (datetime(2026, 3, 29, 7, 30, tzinfo=ZoneInfo("UTC")), True),  # 08:30 BST, the day clocks go forward
        (datetime(2026, 3, 28, 7, 30, tzinfo=ZoneInfo("UTC")), False),  # 07:30 GMT the day before
        (datetime(2026, 10, 25, 7, 30, tzinfo=ZoneInfo("UTC")), False),  # 07:30 GMT, the day clocks go back
        (datetime(2026, 10, 24, 7, 30, tzinfo=ZoneInfo("UTC")), True),  # 08:30 BST
    ],
)
def test_uk_hours_across_daylight_saving_in_london(when: datetime, allowed: bool) -> None:
    assert check_contact(UK, facts("Europe/London", "+447700900000"), channel="phone", now=when).allowed is allowed


def test_with_two_zones_the_window_must_hold_in_both() -> None:
    # Home in New York, mobile number from Los Angeles: 08:30 in New York is 05:30 in Los Angeles.
    f = facts("America/New_York", "+13105550123")
    d = check_contact(US, f, channel="phone", now=at(NY, 2026, 11, 27, 8, 30))
    assert not d.allowed and d.rule == "US-HOURS" and "America/Los_Angeles" in str(d.params["zones"])
    assert d.next_allowed_at == at(NY, 2026, 11, 27, 11, 0)  # 08:00 in Los Angeles
    late = check_contact(US, f, channel="phone", now=at(NY, 2026, 11, 27, 20, 30))
    assert late.allowed


def test_cn_unanswered_attempts_per_number_per_day() -> None:
    day = datetime(2026, 11, 27)
    number = "+8613800000000"
    five = facts(contacts=calls(SH, day, 5, number=number))
    assert check_contact(CN, five, channel="phone", now=at(SH, 2026, 11, 27, 15), number=number).allowed
    six = facts(contacts=calls(SH, day, 6, number=number))
    d = check_contact(CN, six, channel="phone", now=at(SH, 2026, 11, 27, 15), number=number)
    assert (d.allowed, d.rule) == (False, "CN-UNANSWERED")
    assert d.next_allowed_at == at(SH, 2026, 11, 28, 8, 0)
    # Another number of the same customer is still allowed today.
    assert check_contact(CN, six, channel="phone", now=at(SH, 2026, 11, 27, 15), number="+8613911112222").allowed


def test_cn_connected_calls_per_day() -> None:
    f = facts(dpd=40, contacts=calls(SH, datetime(2026, 11, 27), 3, disposition="rpc"))
    d = check_contact(CN, f, channel="phone", now=at(SH, 2026, 11, 27, 16))
    assert (d.allowed, d.rule) == (False, "CN-CONNECTED")
    assert check_contact(CN, replace(f, contacts=f.contacts[:2]), channel="phone", now=at(SH, 2026, 11, 27, 16)).allowed


def test_cn_stage2_weekly_cap_applies_only_at_16_to_30_dpd() -> None:
    contacts = tuple(Contact(at(SH, 2026, 11, 21 + i, 10), "phone", "rpc") for i in range(3))
    d = check_contact(CN, facts(dpd=20, contacts=contacts), channel="phone", now=at(SH, 2026, 11, 27, 10))
    assert (d.allowed, d.rule) == (False, "CN-STAGE2-WEEKLY")
    assert d.next_allowed_at == at(SH, 2026, 11, 28, 10, 0)  # the oldest of the three leaves the 7 days
    assert check_contact(CN, facts(dpd=40, contacts=contacts), channel="phone", now=at(SH, 2026, 11, 27, 10)).allowed


def test_cn_monthly_cap_counts_reached_contacts_in_the_calendar_month() -> None:
    reached = tuple(Contact(at(SH, 2026, 11, 2 + 4 * i, 10), "phone", "rpc") for i in range(6))
    d = check_contact(CN, facts(dpd=45, contacts=reached), channel="sms", now=at(SH, 2026, 11, 27, 10))
    assert (d.allowed, d.rule, d.next_allowed_at) == (False, "CN-MONTHLY", at(SH, 2026, 12, 1, 8, 0))
    unanswered = tuple(Contact(at(SH, 2026, 11, 2 + 2 * i, 10), "phone", "no_answer") for i in range(10))
    assert check_contact(CN, facts(dpd=45, contacts=unanswered), channel="sms", now=at(SH, 2026, 11, 27, 10)).allowed


def us_calls(days: list[int], disposition: str = "no_answer") -> tuple[Contact, ...]:
    return tuple(Contact(at(NY, 2026, 11, d, 10, i), "phone", disposition) for i, d in enumerate(days))


@pytest.mark.parametrize(
    ("days", "today", "allowed", "until_day"),
    [
        ([20, 21, 22, 23, 24, 25], 26, True, None),  # six attempts in the window
        ([20, 21, 22, 23, 24, 25, 26], 26, False, 27),  # seven: blocked until the 20th leaves the window
        ([19, 21, 22, 23, 24, 25, 26], 26, True, None),  # the 19th is outside 20..26
        ([20, 20, 21, 22, 23, 24, 25], 26, False, 27),
        ([21, 21, 21, 21, 21, 21, 21], 26, False, 28),  # all seven on the 21st: free from the 28th
    ],
)
def test_us_seven_calls_in_seven_days(days: list[int], today: int, allowed: bool, until_day: int | None) -> None:
    f = facts("America/New_York", "+12125550123", contacts=us_calls(days))
    d = check_contact(US, f, channel="phone", now=at(NY, 2026, 11, today, 12))
    assert d.allowed is allowed
    if until_day:
        assert d.rule == "US-7IN7" and d.next_allowed_at == at(NY, 2026, 11, until_day, 8, 0)


def test_us_no_call_within_seven_days_after_a_conversation() -> None:
    f = facts("America/New_York", "+12125550123", contacts=us_calls([20], "rpc"))
    for day in range(20, 27):  # the conversation day is day 1 of 7
        d = check_contact(US, f, channel="phone", now=at(NY, 2026, 11, day, 15))
        assert (d.allowed, d.rule) == (False, "US-7IN7"), day
        assert d.next_allowed_at == at(NY, 2026, 11, 27, 8, 0)
    assert check_contact(US, f, channel="phone", now=at(NY, 2026, 11, 27, 9)).allowed
    # An unanswered attempt is not a conversation and starts no wait.
    assert check_contact(US, replace(f, contacts=us_calls([20])), channel="phone", now=at(NY, 2026, 11, 21, 9)).allowed
    # The wait is about calls; an e-mail is not held by it.
    assert check_contact(US, f, channel="email", now=at(NY, 2026, 11, 22, 9)).allowed


def test_third_party_only_after_three_failed_attempts() -> None:
    now = at(SH, 2026, 11, 27, 15)
    two = facts(contacts=calls(SH, datetime(2026, 11, 26), 2))
    d = check_contact(CN, two, channel="phone", now=now, target="third_party")
    assert (d.allowed, d.rule, d.params["failures"]) == (False, "CN-THIRD-PARTY", 2)
    three = facts(contacts=calls(SH, datetime(2026, 11, 26), 3))
    assert check_contact(CN, three, channel="phone", now=now, target="third_party").allowed
    unreachable = facts(phones=(Phone("+8613800000000", False),))
    assert check_contact(CN, unreachable, channel="phone", now=now, target="third_party").allowed


def test_suppressions_and_consent_block_without_a_next_time() -> None:
    now = at(SH, 2026, 11, 27, 15)
    ceased = facts(suppressions=(Suppression("cease_requested", "email"),))
    d = check_contact(CN, ceased, channel="email", now=now)
    assert (d.allowed, d.rule, d.next_allowed_at) == (False, "CN-PIPL-CONSENT", None)
    assert check_contact(CN, ceased, channel="phone", now=now).allowed
    disputed = facts(suppressions=(Suppression("dispute"),))
    assert check_contact(US, disputed, channel="phone", now=at(NY, 2026, 11, 27, 12)).rule == "US-DISPUTE"
    no_sms = facts(consents={"phone": True, "sms": False})
    d = check_contact(CN, no_sms, channel="sms", now=now)
    assert (d.allowed, d.rule, d.reason) == (False, "CN-PIPL-CONSENT", "check.no_consent")
    breathing = facts("Europe/London", "+447700900000", suppressions=(Suppression("breathing_space"),))
    assert check_contact(UK, breathing, channel="phone", now=at(LON, 2026, 11, 27, 12)).rule == "UK-BREATHING"


def test_switching_the_pack_changes_what_is_allowed() -> None:
    # 21:30 in Shanghai: inside the cn window (to 22:00), outside us-regf's (to 21:00).
    f = facts()
    now = at(SH, 2026, 11, 27, 21, 30)
    assert check_contact(CN, f, channel="phone", now=now).allowed
    assert check_contact(US, f, channel="phone", now=now).rule == "US-HOURS"


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        check_contact(CN, facts(), channel="phone", now=datetime(2026, 11, 27, 10))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[pack]\nid='x'\nname='y'\nbogus=1", "unknown key pack.bogus"),
        ("[nonsense]\na=1", "unknown section 'nonsense'"),
        (
            "[pack]\nid='x'\nname='y'\n[hours]\nrule='H'\nstart='8am'\nend='22:00'",
            "hours.start must be a time as HH:MM",
        ),
        (
            "[pack]\nid='x'\nname='y'\n[unanswered_per_day]\nrule='U'\nmax=-1",
            "unanswered_per_day.max must be a whole number",
        ),
        ("[pack]\nid='x'\nname='y'", "missing section 'hours'"),
    ],
)
def test_a_bad_pack_is_refused_naming_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(PackError) as err:
        load_pack_file(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_shipped_packs_load_and_cite_their_rules() -> None:
    for pack in (CN, US, UK):
        assert pack.hours.rule in pack.sources
    assert CN.per_month is not None and (CN.per_month.min, CN.per_month.max) == (3, 6)
    assert US.seven_in_seven is not None and US.opt_out_required
    assert CN.golden_window.days == 15
