"""Each rule's whole answer, not only its verdict: the rule id, the message key and its parameters, the times it
names, the checklist's items and the lead's figures, as docs/rules.md and shared/compliance.md state them. These
are the fast tests that mutation testing (scripts/mutation) runs besides the boundaries in test_boundaries.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from collector_tui.domain.actions import FieldError, validate_callback, validate_contact
from collector_tui.domain.checklist import checklist, missing
from collector_tui.domain.contact_review import TeamCase, TeamContact, monthly_band, team_figures
from collector_tui.domain.contact_rules import Decision, check_contact
from collector_tui.domain.facts import CaseFacts, Contact, Phone, Promise, Suppression
from collector_tui.domain.moment import active_suppressions, at_moment, dead_numbers
from collector_tui.domain.money import format_money, parse_money, to_minor
from collector_tui.domain.plans import deferral, reduction, reinstalment
from collector_tui.domain.policy import RulePack
from collector_tui.domain.priority import NEVER, Placement, order, place_case, sort_bytes
from collector_tui.domain.rules import Rules
from collector_tui.policies import load_pack

D = Decimal
CN, US, UK = load_pack("cn"), load_pack("us-regf"), load_pack("uk-conc")
SH, NY = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")
MOBILE, OFFICE = "+8613800000000", "+8613911112222"
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=SH)


def facts(**kw: Any) -> CaseFacts:
    f = CaseFacts(case_id="C-1", dpd=45, overdue_amount=D("1000"), currency="CNY", timezone="Asia/Shanghai",
                  overdue_since=date(2026, 10, 13), phones=(Phone(MOBILE, True), Phone(OFFICE, True, type="work")),
                  consents={"phone": True, "sms": True, "email": True})
    return replace(f, **kw)


def sh(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SH)


# --- the contact check's whole decision ----------------------------------------------------------------------

def test_an_allowed_call_holds_until_the_hours_close() -> None:
    assert check_contact(CN, facts(), channel="phone", now=NOW) == Decision(True, holds_until=sh(27, 22))


@pytest.mark.parametrize(("suppression", "channel", "rule", "params"), [
    (Suppression("cease_requested", "sms", date(2026, 11, 20)), "sms", "CN-PIPL-CONSENT",
     {"type": "cease_requested", "channel": "sms", "origin": "server", "since": "2026-11-20"}),
    (Suppression("bankruptcy"), "visit", "CN-HOUSE-BANKRUPTCY",
     {"type": "bankruptcy", "channel": "*", "origin": "server", "since": ""}),
    (Suppression("deceased", origin="contact", since=date(2026, 11, 2)), "phone", "CN-PROHIBITED",
     {"type": "deceased", "channel": "*", "origin": "contact", "since": "2026-11-02"}),
])
def test_a_suppression_names_its_rule_type_channel_origin_and_day(suppression: Suppression, channel: str, rule: str,
                                                                 params: dict[str, object]) -> None:
    d = check_contact(CN, facts(suppressions=(suppression,)), channel=channel, now=NOW)
    assert d == Decision(False, rule, "check.suppressed", params)


def test_a_cease_on_one_channel_leaves_the_others_and_an_unknown_type_blocks_nothing() -> None:
    f = facts(suppressions=(Suppression("cease_requested", "sms"), Suppression("breathing_space")))
    assert check_contact(CN, f, channel="phone", now=NOW).allowed  # cn has no breathing-space rule
    assert check_contact(UK, replace(f, timezone="Europe/London"), channel="phone",
                         now=datetime(2026, 11, 27, 10, tzinfo=ZoneInfo("Europe/London"))).rule == "UK-BREATHING"


def test_a_recorded_outcome_suppresses_with_its_origin() -> None:
    local = Contact(sh(26, 10), "phone", "cease_requested", local=True, scope="all")
    d = check_contact(CN, facts(contacts=(local,)), channel="email", now=NOW)
    assert d == Decision(False, "CN-PIPL-CONSENT", "check.suppressed",
                         {"type": "cease_requested", "channel": "*", "origin": "local", "since": "2026-11-26"})
    synced = replace(local, local=False, scope="")
    d = check_contact(CN, facts(contacts=(synced,)), channel="phone", now=NOW)
    assert d.params == {"type": "cease_requested", "channel": "phone", "origin": "contact", "since": "2026-11-26"}
    assert check_contact(CN, facts(contacts=(synced,)), channel="sms", now=NOW).allowed


def test_an_attorney_is_the_one_way_in_and_the_caps_do_not_count_it() -> None:
    f = facts(suppressions=(Suppression("attorney"),),
              contacts=tuple(Contact(sh(27, 9, i), "phone", "rpc") for i in range(3)))
    assert check_contact(CN, f, channel="phone", now=NOW).rule == "CN-PROHIBITED"
    assert check_contact(CN, f, channel="phone", now=NOW, target="attorney").allowed


def test_a_dispute_lets_the_verification_through_only() -> None:
    f = facts(suppressions=(Suppression("dispute"),))
    assert check_contact(US, f, channel="email", now=NOW).rule == "US-DISPUTE"
    assert check_contact(US, f, channel="email", now=NOW, disposition="verification_sent").allowed
    assert check_contact(US, f, channel="email", now=NOW, disposition="rpc").rule == "US-DISPUTE"


def test_the_work_number_after_no_calls_at_work() -> None:
    f = facts(
        timezone="America/New_York",
        phones=(Phone("+12125550100", True), Phone("+12125550199", True, type="work")),
        suppressions=(Suppression("workplace_prohibited", origin="contact"),),
    )
    at = datetime(2026, 11, 27, 10, tzinfo=NY)
    d = check_contact(US, f, channel="phone", now=at, number="+12125550199")
    assert d == Decision(False, "US-WORKPLACE", "check.workplace", {"origin": "contact"})
    assert check_contact(US, f, channel="phone", now=at, number="+12125550100").allowed
    assert check_contact(US, f, channel="phone", now=at).allowed  # the home number is the one dialled
    assert check_contact(US, f, channel="sms", now=at, number="+12125550199").allowed
    only_work = replace(f, phones=(Phone("+12125550100", False), Phone("+12125550199", True, type="work")))
    assert check_contact(US, only_work, channel="phone", now=at).rule == "US-WORKPLACE"
    none_reachable = replace(f, phones=(Phone("+12125550199", False, type="work"),))
    assert check_contact(US, none_reachable, channel="phone", now=at).allowed
    assert check_contact(CN, replace(f, timezone="Asia/Shanghai"), channel="phone", now=NOW,
                         number="+12125550199").rule != "US-WORKPLACE"  # cn has no such rule


def test_a_dead_number_and_no_number_left() -> None:
    wrong = Contact(sh(26, 10), "phone", "wrong_number", number=MOBILE)
    d = check_contact(CN, facts(contacts=(wrong,)), channel="phone", now=NOW, number=MOBILE)
    assert d == Decision(False, "CN-HOUSE-DEAD-NUMBER", "check.dead_number", {"outcome": "wrong_number"})
    assert check_contact(CN, facts(contacts=(wrong,)), channel="phone", now=NOW).allowed  # the office is left
    both = (wrong, Contact(sh(26, 11), "phone", "invalid_number", number=OFFICE))
    assert check_contact(CN, facts(contacts=both), channel="phone", now=NOW) == Decision(
        False, "CN-HOUSE-DEAD-NUMBER", "check.no_number", {})
    assert check_contact(CN, facts(contacts=both), channel="sms", now=NOW).allowed
    bare = replace(CN, suppressions={k: v for k, v in CN.suppressions.items() if k != "wrong_number"})
    assert check_contact(bare, facts(contacts=both), channel="phone", now=NOW).rule == "HOUSE-DEAD-NUMBER"


def test_the_last_word_on_a_number_wins() -> None:
    back = (
        Contact(sh(20, 10), "phone", "wrong_number", number=MOBILE),
        Contact(sh(21, 10), "phone", "rpc", number=MOBILE),
    )
    assert dead_numbers(facts(contacts=back)) == {}
    assert dead_numbers(facts(contacts=back[::-1])) == {MOBILE: "wrong_number"}
    sms = (Contact(sh(20, 10), "sms", "wrong_number", number=MOBILE),)
    assert dead_numbers(facts(contacts=sms)) == {}
    third = (Contact(sh(20, 10), "phone", "wrong_number", number=MOBILE),
             Contact(sh(21, 10), "phone", "third_party", target="third_party", number=MOBILE))
    assert dead_numbers(facts(contacts=third)) == {MOBILE: "wrong_number"}


def test_at_the_moment_a_reached_number_is_reachable_with_its_latest_time() -> None:
    old = datetime(2026, 11, 1, 2, tzinfo=UTC)
    f = facts(phones=(Phone(MOBILE, False, last_reached_at=old), Phone(OFFICE, True, last_reached_at=old)),
              contacts=(Contact(sh(20, 10), "phone", "rpc", number=MOBILE),
                        Contact(sh(21, 10), "phone", "promise_to_pay", number=MOBILE),
                        Contact(sh(22, 10), "phone", "no_answer", number=OFFICE)))
    moved = at_moment(f, date(2026, 11, 27))
    assert moved.phones == (Phone(MOBILE, True, last_reached_at=sh(21, 10)), Phone(OFFICE, True, last_reached_at=old))
    later_on_file = replace(f, phones=(Phone(MOBILE, True, last_reached_at=sh(25, 10)),))
    assert at_moment(later_on_file, date(2026, 11, 27)).phones == (Phone(MOBILE, True, last_reached_at=sh(25, 10)),)
    dead = replace(f, contacts=(Contact(sh(22, 10), "phone", "invalid_number", number=OFFICE),))
    assert at_moment(dead, date(2026, 11, 27)).phones[1] == Phone(OFFICE, False, last_reached_at=old)
    same = facts(dpd=45, overdue_since=date(2026, 10, 13))
    assert at_moment(same, date(2026, 11, 27)) is same  # nothing moved: the same facts


def test_suppressions_from_contacts_and_their_lifts() -> None:
    dispute = Contact(datetime(2026, 11, 20, 2, tzinfo=UTC), "phone", "dispute", local=True)
    lift = Suppression("dispute", lifted_at=date(2026, 11, 21), reason="verified")
    [s] = active_suppressions(facts(contacts=(dispute,)))
    assert s == Suppression("dispute", None, date(2026, 11, 20), origin="local")
    assert active_suppressions(facts(contacts=(dispute,), suppressions=(lift,))) == ()
    email_lift = Suppression("cease_requested", "email", lifted_at=date(2026, 11, 30))
    ceased = (Suppression("cease_requested", "sms", date(2026, 11, 1)),)
    assert active_suppressions(facts(suppressions=ceased + (email_lift,))) == ceased  # another channel's lift
    any_lift = Suppression("cease_requested", None, lifted_at=date(2026, 11, 30))
    assert active_suppressions(facts(suppressions=ceased + (any_lift,))) == ()
    undated = (Suppression("bankruptcy"), Suppression("bankruptcy", lifted_at=date(2020, 1, 1)))
    assert active_suppressions(facts(suppressions=undated)) == ()  # a lift ends one of unknown start


def test_consent_refused_for_a_channel() -> None:
    d = check_contact(CN, facts(consents={"phone": True, "email": False}), channel="email", now=NOW)
    assert d == Decision(False, "CN-PIPL-CONSENT", "check.no_consent", {"channel": "email"})
    assert check_contact(CN, facts(consents={}), channel="email", now=NOW).allowed  # not asked is not refused


def test_third_parties_when_every_number_is_unreachable() -> None:
    f = facts(phones=(Phone(MOBILE, False), Phone(OFFICE, False)))
    assert check_contact(CN, f, channel="phone", now=NOW, target="third_party").allowed
    half = facts(phones=(Phone(MOBILE, False), Phone(OFFICE, True)))
    assert check_contact(CN, half, channel="phone", now=NOW, target="third_party") == Decision(
        False, "CN-THIRD-PARTY", "check.third_party", {"failures": 0, "needed": 3})
    assert check_contact(CN, facts(phones=()), channel="phone", now=NOW, target="third_party").rule == "CN-THIRD-PARTY"
    assert check_contact(UK, replace(half, timezone="Europe/London"), channel="phone", target="third_party",
                         now=datetime(2026, 11, 27, 10, tzinfo=ZoneInfo("Europe/London"))).allowed  # no such rule


def test_outside_the_hours_the_decision_names_the_window_and_every_zone() -> None:
    f = facts(timezone="America/New_York", phones=(Phone("+13105550123", True),))
    d = check_contact(US, f, channel="phone", now=datetime(2026, 11, 27, 9, tzinfo=NY))
    assert d == Decision(False, "US-HOURS", "check.hours",
                         {"start": "08:00", "end": "21:00", "zones": "America/New_York, America/Los_Angeles"},
                         datetime(2026, 11, 27, 11, tzinfo=NY))


def test_of_several_caps_the_latest_reopening_is_named() -> None:
    # Six reached contacts this month (monthly cap, until 1 December) and three connected calls today (until
    # tomorrow): the answer is the monthly cap, the later of the two.
    contacts = tuple(Contact(sh(2 + 4 * i, 10), "sms", "message_left") for i in range(3)) + tuple(
        Contact(sh(27, 8, i), "phone", "rpc") for i in range(3))
    d = check_contact(CN, facts(contacts=contacts), channel="phone", now=sh(27, 9))
    assert (d.rule, d.next_allowed_at) == ("CN-MONTHLY", datetime(2026, 12, 1, 8, tzinfo=SH))
    assert d.params == {"count": 6, "max": 6}


def test_future_contacts_are_not_counted_yet() -> None:
    later = tuple(Contact(sh(27, 15, i), "phone", "rpc") for i in range(3))
    assert check_contact(CN, facts(contacts=later), channel="phone", now=sh(27, 9)).allowed


def test_unanswered_calls_to_any_number_when_none_is_named() -> None:
    f = facts(contacts=tuple(Contact(sh(27, 8, i), "phone", "no_answer", number=MOBILE) for i in range(6)))
    assert check_contact(CN, f, channel="phone", now=sh(27, 9)).rule == "CN-UNANSWERED"
    unnamed = facts(contacts=tuple(Contact(sh(27, 8, i), "phone", "no_answer") for i in range(6)))
    assert check_contact(CN, unnamed, channel="phone", now=sh(27, 9), number=OFFICE).rule == "CN-UNANSWERED"
    texts = facts(contacts=tuple(Contact(sh(27, 8, i), "phone", "no_answer", number=MOBILE) for i in range(6)))
    assert check_contact(CN, texts, channel="sms", now=sh(27, 9)).allowed


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        check_contact(CN, facts(), channel="phone", now=datetime(2026, 11, 27, 10))


# --- the checklist (shared/compliance.md, "The call checklist") ----------------------------------------------

def items(*args: object, **kw: Any) -> list[tuple[str, str, bool, bool]]:
    return [(i.id, i.phase, i.required, i.auto) for i in checklist(*args, **kw)]  # type: ignore[arg-type]


def test_the_checklist_of_a_conversation_on_the_phone() -> None:
    assert items(CN, "phone", "customer", "rpc") == [
        ("hours_limits", "before", True, True), ("consent", "before", True, True),
        ("right_party", "during", True, False), ("identified", "during", True, False),
        ("recording", "during", True, False), ("no_prohibited", "during", True, False)]


def test_the_checklist_of_an_unanswered_call_asks_nothing_during_it() -> None:
    assert items(CN, "phone", "customer", "no_answer") == [
        ("hours_limits", "before", True, True), ("consent", "before", True, True),
        ("right_party", "during", False, False), ("identified", "during", False, False),
        ("recording", "during", False, False), ("no_prohibited", "during", False, False)]


@pytest.mark.parametrize("channel", ["sms", "email", "app", "visit"])
def test_every_message_and_visit_is_free_of_prohibited_content(channel: str) -> None:
    got = {i[0]: i[2] for i in items(CN, channel, "customer", "message_left")}
    assert got["no_prohibited"] and not got["recording"] and not got["identified"]


def test_a_third_party_never_hears_of_the_debt_and_an_attorney_may() -> None:
    third = items(CN, "phone", "third_party", "third_party")
    assert ("no_debt_disclosed", "during", True, False) in third and ("right_party", "during", False, False) in third
    assert "no_debt_disclosed" not in [i[0] for i in items(CN, "phone", "attorney", "rpc")]


def test_pack_and_outcome_items() -> None:
    assert ("limited_content", "during", True, False) in items(US, "phone", "customer", "voicemail")
    assert "limited_content" not in [i[0] for i in items(CN, "phone", "customer", "voicemail")]
    for disposition in ("dispute", "hardship", "complaint", "cease_requested"):
        assert ("recorded_in_note", "after", True, False) in items(CN, "phone", "customer", disposition)
    assert "recorded_in_note" not in [i[0] for i in items(CN, "phone", "customer", "refused")]
    assert ("forbearance_offered", "after", True, False) in items(UK, "phone", "customer", "hardship")
    assert "forbearance_offered" not in [i[0] for i in items(CN, "phone", "customer", "hardship")]
    assert "forbearance_offered" not in [i[0] for i in items(UK, "phone", "customer", "complaint")]
    assert ("opt_out_line", "during", True, False) in items(US, "sms", "customer", "message_left")
    assert ("opt_out_line", "during", True, False) in items(US, "email", "customer", "message_left")
    assert "opt_out_line" not in [i[0] for i in items(US, "phone", "customer", "rpc")]
    assert "opt_out_line" not in [i[0] for i in items(CN, "sms", "customer", "message_left")]
    assert ("time_barred_disclosure", "during", True, False) in items(US, "phone", "customer", "rpc", time_barred=True)
    assert "time_barred_disclosure" not in [i[0] for i in items(US, "phone", "customer", "no_answer", time_barred=True)]


def test_an_outcome_is_saved_only_with_every_required_item_ticked() -> None:
    listed = checklist(CN, "phone", "customer", "dispute")
    assert missing(listed, {}) == ["hours_limits", "consent", "right_party", "identified", "recording",
                                   "no_prohibited", "recorded_in_note"]
    ticked = {i.id: True for i in listed}
    assert missing(listed, ticked) == []
    assert missing(listed, {**ticked, "recording": False}) == ["recording"]
    unanswered = checklist(CN, "phone", "customer", "no_answer")
    assert missing(unanswered, {"hours_limits": True, "consent": True}) == []


# --- the lead's figures ---------------------------------------------------------------------------------------

END = date(2026, 11, 27)


def contact(collector: str, case_id: str, age: int, disposition: str = "rpc", count: int = 1, channel: str = "phone",
            target: str = "customer", hour: int = 10) -> TeamContact:
    return TeamContact(collector, case_id, END - timedelta(days=age), hour, channel, disposition, target, count)


def test_team_figures_per_collector() -> None:
    cases = [TeamCase("C-1", "a", 40, date(2026, 10, 1), datetime(2026, 10, 3, tzinfo=UTC), 2, 1),
             TeamCase("C-2", "a", 20, date(2026, 11, 1), None, 0, 3),
             TeamCase("C-3", "a", 10, date(2026, 11, 17), None),
             TeamCase("C-4", "b", 50, date(2026, 10, 1), datetime(2026, 10, 30, tzinfo=UTC), 1, 0),
             TeamCase("C-9", "nobody", 50, None, None, 5, 5)]
    contacts = [contact("a", "C-1", 0, count=7), contact("a", "C-1", 3, "no_answer", 4),
                contact("a", "C-2", 10, "message_left", 1, "sms"), contact("a", "C-3", 2, hour=23),
                contact("a", "C-3", 2, "rpc", 2, target="third_party"),
                contact("b", "C-4", 8, "promise_to_pay", 4), contact("b", "C-4", 40, "rpc", 9),
                contact("nobody", "C-9", 1, count=50)]
    a, b = team_figures([("a", "Ann", 3), ("b", "Bo", 1)], cases, contacts, END, CN)
    assert (a.id, a.name, a.cases) == ("a", "Ann", 3)
    assert (a.contacts_7d, a.contacts_30d, b.contacts_7d, b.contacts_30d) == (14, 15, 0, 4)
    # C-3 is still in its golden window (new: no floor); C-4's window was missed before the 30 days began.
    assert (a.over_cap, a.under_floor, a.golden_misses, b.over_cap, b.under_floor, b.golden_misses) == (
        ["C-1"], ["C-2"], ["C-2"], [], [], [])
    assert (a.outside_hours, b.outside_hours) == (1, 0)
    assert (a.promises_kept, a.promises_broken, b.promises_kept, b.promises_broken) == (2, 4, 1, 0)
    # Reached contacts of the cases judged by the band: C-1 7, C-2 1 (C-3 is new).
    assert (a.per_case_median, a.per_case_p25, a.per_case_p75) == (4.0, 2.5, 5.5)
    assert (b.per_case_median, b.per_case_p25, b.per_case_p75) == (4.0, 4.0, 4.0)
    # Phone conversations with the debtor over phone attempts to the debtor (the third party's call is neither).
    assert a.rpc_rate == (7 + 1) / (7 + 4 + 1) and b.rpc_rate == 1.0 and (a.right_party, a.phone_attempts) == (8, 12)
    assert (
        a.per_day[29] == 7 and a.per_day[26] == 4 and a.per_day[27] == 3 and a.per_day[19] == 1 and sum(a.per_day) == 15
    )
    assert b.per_day[21] == 4 and sum(b.per_day) == 4


def test_a_collector_without_contacts_or_cases() -> None:
    [c] = team_figures([("c", "Cy", 0)], [], [], END, CN)
    assert (c.contacts_7d, c.contacts_30d, c.per_case_median, c.rpc_rate, c.per_day) == (0, 0, 0.0, 0.0, [0] * 30)


def test_the_monthly_band_is_the_packs_or_the_decks() -> None:
    assert monthly_band(CN) == (3, 6)
    assert monthly_band(US) == (3, 6) and monthly_band(US, (1, 2)) == (1, 2)


# --- the queue's order and reasons ----------------------------------------------------------------------------

def queued(f: CaseFacts, now: datetime = NOW) -> Placement:
    return place_case(f, now, Rules(pack=CN))


def contacted(**kw: Any) -> CaseFacts:
    return facts(contacts=(Contact(sh(1, 10), "sms", "message_left"),), **kw)


def test_a_promise_due_today_and_a_broken_one_not_followed_up() -> None:
    due = Promise(sh(20, 10), date(2026, 11, 27), D("500.00"), "outstanding")
    p = queued(contacted(promises=(due,)))
    assert (p.group, p.reason, p.params) == (
        "promise",
        "queue.reason.promise_due",
        {"amount": "500.00", "date": "2026-11-27"},
    )
    lapsed = Promise(sh(10, 10), date(2026, 11, 20), D("300.00"), "outstanding")
    p = queued(contacted(promises=(lapsed,)))
    assert (p.reason, p.params) == ("queue.reason.promise_broken", {"amount": "300.00", "date": "2026-11-20"})
    followed = facts(promises=(lapsed,), contacts=(Contact(sh(21, 10), "phone", "no_answer"),))
    assert queued(followed).group == "rest"
    same_day = facts(promises=(lapsed,), contacts=(Contact(sh(20, 12), "phone", "rpc"),))
    assert queued(same_day).group == "promise"  # a contact on the day it was due is not a follow-up
    kept = Promise(sh(10, 10), date(2026, 11, 20), D("300.00"), "kept")
    assert queued(contacted(promises=(kept,))).group == "rest"
    newest = (
        Promise(sh(1, 10), date(2026, 11, 5), D("100"), "broken"),
        Promise(sh(6, 10), date(2026, 11, 12), D("200"), "broken"),
    )
    assert queued(contacted(promises=newest)).params == {"amount": "200", "date": "2026-11-12"}


def test_callbacks_due_today_earliest_first_and_the_rest() -> None:
    cbs = (sh(27, 16), sh(27, 11, 30), sh(28, 9))
    p = queued(contacted(callbacks=cbs), sh(27, 11, 20))
    assert (p.group, p.reason, p.params) == ("callback", "queue.reason.callback", {"at": "11:30"})
    assert queued(contacted(callbacks=cbs), sh(27, 10)).group == "rest"  # not yet a quarter of an hour before
    p = queued(contacted())
    assert (p.group, p.reason, p.params) == ("rest", "queue.reason.rest", {"stage": 3, "tier": "A", "amount": "1000"})


def test_a_blocked_case_says_which_rule_until_when_and_what_it_would_be() -> None:
    p = queued(contacted(), sh(27, 23))
    assert (p.group, p.callable, p.blocked_by, p.next_allowed_at, p.reason) == (
        "blocked", False, "CN-HOURS", sh(28, 8), "check.hours")
    assert p.params == {"start": "08:00", "end": "22:00", "zones": "Asia/Shanghai", "then": "queue.reason.rest"}
    assert p.valid_until == sh(28, 0)  # the customer's day turns first
    ceased = queued(contacted(suppressions=(Suppression("cease_requested"),)))
    assert (ceased.next_allowed_at, ceased.valid_until) == (None, sh(28, 0))
    assert sort_bytes(ceased.sort_key[:2]) == sort_bytes((4, NEVER))


def test_a_placement_holds_until_the_hours_close_or_the_day_turns() -> None:
    p = queued(contacted(), sh(27, 10))
    assert (p.valid_until, p.callable, p.blocked_by, p.next_allowed_at) == (sh(27, 22), True, None, None)
    assert (p.case_id, p.stage, p.dpd, p.risk_level) == ("C-1", 3, 45, "high")
    us = place_case(replace(contacted(), timezone="America/New_York", phones=(Phone("+12125550123", True),)),
                    datetime(2026, 11, 27, 23, tzinfo=NY), Rules(pack=US))
    assert us.valid_until == datetime(2026, 11, 28, 0, tzinfo=NY)


def test_the_order_of_the_rest_stage_tier_amount_and_the_id() -> None:
    rest = [contacted(case_id="C-a", dpd=20, overdue_since=date(2026, 11, 7)),
            contacted(case_id="C-b", overdue_amount=D("900")),
            contacted(case_id="C-c", overdue_amount=D("900.5")),
            contacted(case_id="C-d", dpd=95, overdue_since=date(2026, 8, 24)),
            facts(case_id="C-e", dpd=10, overdue_since=date(2026, 11, 17),
                  contacts=(Contact(sh(18, 10), "sms", "message_left"),)),
            contacted(case_id="C-f", active_lenders=9, emergency_contacts=0, monthly_income=(D("1"), D("100"))),
            contacted(case_id="C-g", overdue_amount=D("900"))]
    placed = order([queued(f) for f in rest])
    assert [p.case_id for p in placed] == ["C-f", "C-c", "C-b", "C-g", "C-a", "C-e", "C-d"]


def test_sort_bytes_order_is_the_keys_order() -> None:
    keys = [(0, D("-5")), (0, D("0")), (0, D("0.0001")), (0, D("1234.5")), (0, 70000), (1, 2), (1, 65535)]
    assert sorted(keys, key=sort_bytes) == keys
    moments = [datetime(1969, 12, 31, tzinfo=UTC), datetime(1970, 1, 1, tzinfo=UTC),
               datetime(2026, 11, 27, 1, 0, 0, 1000, tzinfo=UTC), NEVER]
    assert sorted(moments[::-1], key=lambda m: sort_bytes((m,))) == moments
    assert sort_bytes((date(2026, 11, 27),)) < sort_bytes((date(2026, 11, 28),))
    assert sort_bytes(("C-1",)) < sort_bytes(("C-2",)) and sort_bytes((True,)) != sort_bytes((1,))
    assert sort_bytes((7,)) == b"\x01\x00\x07" and sort_bytes(("C",)) == b"\x05C"
    assert sort_bytes((date(1, 1, 2),)) == b"\x04\x00\x00\x00\x02"
    assert sort_bytes((D("1"),)) == b"\x02" + (10**4 + (1 << 62)).to_bytes(8, "big")
    assert sort_bytes((datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC),)) == b"\x03" + (1000 + (1 << 62)).to_bytes(8, "big")


# --- plans: the whole preview ---------------------------------------------------------------------------------

INCOME = [D("8000")] * 3


def test_a_reinstalment_preview() -> None:
    plan = reinstalment(D("1000.00"), 3, date(2027, 1, 31), income=INCOME, today=date(2026, 11, 27))
    assert (plan.type, plan.currency, plan.restructured, plan.waived, plan.messages, plan.ok) == (
        "reinstalment", "CNY", D("1000.00"), D(0), (), True)
    assert [(i.seq, i.due_date, i.amount) for i in plan.instalments] == [
        (1, date(2027, 1, 31), D("333.34")), (2, date(2027, 2, 28), D("333.33")), (3, date(2027, 3, 31), D("333.33"))]
    assert [m.key for m in reinstalment(D("1000"), 0, date(2027, 1, 5)).messages] == ["plan.months_min"]
    assert reinstalment(D("1000"), 0, date(2027, 1, 5)).instalments == ()


def test_a_deferral_preview() -> None:
    plan = deferral([(date(2026, 12, 5), D("400")), (date(2026, 11, 5), D("300"))], 2, income=INCOME)
    assert (plan.type, plan.restructured, plan.waived, plan.ok) == ("deferral", D("700"), D(0), True)
    assert [(i.seq, i.due_date, i.amount) for i in plan.instalments] == [
        (1, date(2027, 1, 5), D("300")), (2, date(2027, 2, 5), D("400"))]
    assert [m.key for m in deferral([], 0).messages] == ["plan.months_min"]
    assert deferral([(date(2026, 12, 5), D("50"))], 1).messages[0].key == "plan.no_income"
    assert deferral([(date(2026, 12, 5), D("50"))], 1, currency="USD").currency == "USD"


def test_a_reduction_preview() -> None:
    plan = reduction(D("1000"), D("200"), D("0.25"), 2, date(2026, 12, 5), income=INCOME, currency="USD")
    assert (plan.type, plan.currency, plan.restructured, plan.waived, plan.total, plan.ok) == (
        "reduction", "USD", D("1000"), D("50.00"), D("950.00"), True)
    assert [i.amount for i in plan.instalments] == [D("475.00"), D("475.00")]
    greedy = reduction(D("1000"), D("200"), D("0.60"), 2, date(2026, 12, 5), income=INCOME,
                       today=date(2026, 12, 6))
    assert [(m.level, m.key) for m in greedy.messages] == [
        ("error", "plan.max_waiver"),
        ("error", "plan.first_due_past"),
    ]


def test_plan_messages_name_the_figures() -> None:
    [m] = reinstalment(D("12000"), 2, date(2026, 12, 5), income=INCOME).messages
    assert (m.level, m.key, m.params) == (
        "error",
        "plan.unaffordable",
        {"amount": "6000.00", "cap": "4000.00", "share": 50},
    )
    [m] = reinstalment(D("1000"), 2, date(2026, 12, 5)).messages
    assert (m.level, m.key, m.params) == ("warning", "plan.no_income", {})
    [m] = deferral([(date(2026, 12, 5), D("100"))], 7, income=INCOME).messages
    assert (m.level, m.key, m.params) == ("error", "plan.max_extension", {"months": 7, "max": 6})


# --- values the collector enters ------------------------------------------------------------------------------

def test_every_bad_contact_value_is_named() -> None:
    errors = validate_contact("pigeon", "shouted", "neighbour")
    assert [e.field for e in errors] == ["channel", "disposition", "target"]
    assert errors[0] == FieldError("channel", "form.choose_one", {"choices": "phone, sms, email, app, visit"})
    assert errors[2] == FieldError("target", "form.choose_one", {"choices": "customer, third_party, attorney"})
    assert errors[1].key == "form.choose_one" and str(errors[1].params["choices"]).startswith("rpc, third_party, ")
    assert validate_contact("phone", "third_party", "customer") == [
        FieldError("disposition", "form.third_party_target", {})]
    assert validate_contact("phone", "third_party", "third_party") == []


def test_a_callback_after_now() -> None:
    assert validate_callback(NOW, NOW) == [FieldError("at", "form.callback_past", {})]
    assert validate_callback(NOW + timedelta(seconds=1), NOW) == []


# --- money ------------------------------------------------------------------------------------------------------

def test_money_in_minor_units() -> None:
    assert parse_money("2450.205") == D("2450.21") and parse_money("2450.204") == D("2450.20")
    assert parse_money(1500, "JPY") == D("1500") and parse_money("1500.5", "JPY") == D("1501")
    assert parse_money(D("1.005"), "XYZ") == D("1.01")  # an unknown currency has two decimals
    assert to_minor(D("2450.20")) == 245020 and to_minor(D("1500"), "JPY") == 1500 and to_minor(D("1.5"), "USD") == 150
    assert format_money("1916.675", "USD") == "$1,916.68"
    assert format_money(D("1234567"), "JPY") == "JPY 1,234,567"
    assert format_money("12.5", "GBP") == "£12.50" and format_money("0", "EUR") == "€0.00"
    assert format_money("9", "XYZ") == "XYZ 9.00"
    for bad in ("abc", "NaN", "Infinity", "-inf", ""):
        with pytest.raises(ValueError, match="not an amount"):
            parse_money(bad)


def test_time_on_the_customers_clock() -> None:
    # Unused helper kept honest: sh() builds Shanghai times.
    assert sh(27, 10) == datetime.combine(date(2026, 11, 27), time(10), SH)


# --- rule packs: every refusal names the file and the key -------------------------------------------------------

MINIMAL = {"pack": {"id": "x", "name": "X"}, "hours": {"rule": "H", "start": "08:00", "end": "21:00"},
           "golden_window": {"rule": "G", "days": 15}, "consent": {"rule": "C"}, "suppressions": {"dispute": "D"}}


def with_(section: str, body: object) -> dict[str, object]:
    return {**MINIMAL, section: body}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (with_("bogus", {}), "p.toml: unknown section 'bogus'"),
        (with_("hours", "08:00-21:00"), "p.toml: hours must be a table"),
        (with_("pack", {"id": "x", "name": "X", "colour": "red"}), "p.toml: unknown key pack.colour"),
        (
            with_("hours", {"rule": "H", "start": "8am", "end": "21:00"}),
            "p.toml: hours.start must be a time as HH:MM, not '8am'",
        ),
        (
            with_("hours", {"rule": "H", "start": "08:00:00", "end": "21:00"}),
            "p.toml: hours.start must be a time as HH:MM, not '08:00:00'",
        ),
        (
            with_("hours", {"rule": "H", "start": "25:00", "end": "21:00"}),
            "p.toml: hours.start must be a time as HH:MM, not '25:00'",
        ),
        (
            with_("hours", {"rule": "H", "start": "21:00", "end": "21:00"}),
            "p.toml: hours.start must be before hours.end",
        ),
        (
            with_("golden_window", {"rule": "G", "days": -1}),
            "p.toml: golden_window.days must be a whole number of 0 or more, not -1",
        ),
        (
            with_("golden_window", {"rule": "G", "days": True}),
            "p.toml: golden_window.days must be a whole number of 0 or more, not True",
        ),
        (
            with_("golden_window", {"rule": "G", "days": "15"}),
            "p.toml: golden_window.days must be a whole number of 0 or more, not '15'",
        ),
        (with_("golden_window", {"rule": 7, "days": 15}), "p.toml: golden_window.rule must be str, not 7"),
        (
            with_("pack", {"id": "x", "name": "X", "opt_out_required": "yes"}),
            "p.toml: pack.opt_out_required must be bool, not 'yes'",
        ),
        (with_("golden_window", {"rule": "G"}), "p.toml: golden_window is missing a key"),
        ({k: v for k, v in MINIMAL.items() if k != "consent"}, "p.toml: missing section 'consent'"),
        (with_("pack", {"id": "x"}), "p.toml: missing key 'name'"),
        (with_("consent", {}), "p.toml: missing key 'rule'"),
    ],
)
def test_a_bad_pack_is_refused_with_the_file_and_the_key(data: dict[str, object], message: str) -> None:
    from collector_tui.domain.policy import PackError, parse_pack

    with pytest.raises(PackError) as err:
        parse_pack(data, "p.toml")
    assert str(err.value).startswith(message), str(err.value)


def test_a_minimal_pack_and_its_defaults() -> None:
    from collector_tui.domain.policy import Hours, parse_pack

    pack = parse_pack({**MINIMAL, "sources": {"H": "somewhere"}, "per_week": {"rule": "W", "max": 3}}, "p.toml")
    assert (pack.id, pack.name, pack.opt_out_required, pack.consent_rule) == ("x", "X", False, "C")
    assert pack.hours == Hours("H", time(8, 0), time(21, 0)) and pack.golden_window.days == 15
    assert pack.suppressions == {"dispute": "D"} and pack.sources == {"H": "somewhere"}
    assert (pack.per_week.min, pack.per_week.from_dpd, pack.per_week.to_dpd) == (0, 0, 100000)  # type: ignore[union-attr]
    assert pack.per_month is None and pack.seven_in_seven is None and pack.third_party is None
    assert parse_pack({**MINIMAL, "pack": {"id": "x", "name": "X", "opt_out_required": True}}, "p").opt_out_required


# --- value checks: the whole refusal ---------------------------------------------------------------------------

def test_amounts_and_days_as_typed() -> None:
    from collector_tui.domain.actions import parse_amount, parse_day, validate_amount

    assert parse_amount(" 1,234.50 ") == (D("1234.50"), [])
    assert parse_amount("0", field="x") == (None, [FieldError("x", "form.amount", {})])
    assert parse_amount("1,23") == (None, [FieldError("amount", "form.amount", {})])
    assert parse_day(" 2026-11-30 ") == (date(2026, 11, 30), [])
    assert parse_day("30/11/2026", field="due") == (None, [FieldError("due", "form.date", {})])
    assert parse_day(None) == (None, [FieldError("date", "form.date", {})])  # type: ignore[arg-type]
    assert validate_amount(D("100"), "CNY", given_currency="USD", field="x") == [
        FieldError("currency", "form.currency", {"currency": "CNY", "given": "USD"})]
    assert validate_amount(D("0"), "CNY", field="x") == [FieldError("x", "form.amount", {})]
    assert validate_amount(D("1E+2"), "CNY") == [FieldError("amount", "form.amount", {})]
    assert validate_amount(D("1.005"), "USD", field="x") == [
        FieldError("x", "form.amount_minor", {"currency": "USD", "digits": 2})
    ]
    assert validate_amount(D("101"), "CNY", outstanding=D("100"), field="x") == [
        FieldError("x", "form.amount_over", {"max": "100", "currency": "CNY"})]
    assert validate_amount(D("100"), "CNY", outstanding=D("100"), given_currency="CNY") == []


def test_a_promise_names_each_fault() -> None:
    from collector_tui.domain.actions import validate_promise

    today = date(2026, 11, 27)
    assert validate_promise(today - timedelta(days=1), D("0"), today) == [
        FieldError("date", "form.date_past", {}), FieldError("amount", "form.amount", {})]
    assert validate_promise(today + timedelta(days=11), D("5"), today, max_days=10) == [
        FieldError("date", "form.date_far", {"days": 10})]
    assert validate_promise(today, D("5"), today, currency="JPY", outstanding=D("4")) == [
        FieldError("amount", "form.amount_over", {"max": "4", "currency": "JPY"})]


@pytest.mark.parametrize(("disposition", "scope", "errors"), [
    ("cease_requested", "", []), ("cease_requested", "all", []), ("rpc", "", []),
    ("rpc", "all", [FieldError("scope", "form.choose_one", {"choices": "all"})]),
    ("cease_requested", "some", [FieldError("scope", "form.choose_one", {"choices": "all"})]),
    ("inconvenient_time", "12:00-14:00", []), ("inconvenient_time", "00:00-23:59", []),
    ("inconvenient_time", "14:00-12:00", [FieldError("hours", "form.hours_range", {})]),
    ("inconvenient_time", "12:00-12:00", [FieldError("hours", "form.hours_range", {})]),
    ("inconvenient_time", "12:30-12:29", [FieldError("hours", "form.hours_range", {})]),
    ("inconvenient_time", "12:29-12:30", []),
    ("inconvenient_time", "24:00-25:00", [FieldError("hours", "form.hours_range", {})]),
    ("inconvenient_time", "9:00-10:00", [FieldError("hours", "form.hours_range", {})]),
    ("inconvenient_time", "", [FieldError("hours", "form.hours_range", {})]),
])
def test_a_scope_and_the_inconvenient_hours(disposition: str, scope: str, errors: list[FieldError]) -> None:
    from collector_tui.domain.actions import validate_scope

    assert validate_scope(disposition, scope) == errors


# --- inconvenient hours, callbacks, messages a day ---------------------------------------------------------------

@pytest.mark.parametrize(("local", "blocked_until"), [((11, 59), None), ((12, 0), (14, 0)), ((13, 59), (14, 0)),
                                                      ((14, 0), None)])
def test_the_hours_the_customer_named_are_honoured_like_the_allowed_hours(
    local: tuple[int, int], blocked_until: tuple[int, int] | None
) -> None:
    said = Contact(sh(20, 10), "phone", "inconvenient_time", scope="12:00-14:00")
    d = check_contact(CN, facts(contacts=(said,)), channel="phone", now=sh(27, *local))
    if blocked_until is None:
        assert d.allowed
    else:
        assert d == Decision(False, "CN-HOURS", "check.inconvenient", {"hours": "12:00-14:00", "origin": "contact"},
                             sh(27, *blocked_until))
    garbled = Contact(sh(20, 10), "phone", "inconvenient_time", scope="noon")
    assert check_contact(CN, facts(contacts=(garbled,)), channel="phone", now=sh(27, 12, 30)).allowed


@pytest.mark.parametrize(("minutes", "state"), [
    (-16, "due"), (-15, "done"), (0, "done"), (30, "done"), (31, "late")])
def test_a_callback_is_made_from_15_minutes_before_to_30_after(minutes: int, state: str) -> None:
    from collector_tui.domain.callbacks import callback_state

    at = sh(27, 15)
    attempt = at + timedelta(minutes=minutes)
    now = max(at + timedelta(minutes=10), attempt + timedelta(minutes=1))
    assert callback_state(at, [attempt], now) == state
    assert callback_state(at, [attempt], attempt - timedelta(minutes=1)) != "done"  # not made before it happens


@pytest.mark.parametrize(("now_minutes", "state"), [(-1, "upcoming"), (0, "due"), (30, "due"), (31, "missed")])
def test_a_callback_not_made_is_due_then_missed_30_minutes_after(now_minutes: int, state: str) -> None:
    from collector_tui.domain.callbacks import callback_state, needs_a_call, was_missed

    at = sh(27, 15)
    got = callback_state(at, [at - timedelta(hours=1), at + timedelta(hours=2)], at + timedelta(minutes=now_minutes))
    assert got == state
    assert needs_a_call(got) is (state in ("due", "missed")) and was_missed(got) is (state == "missed")
    assert was_missed("late") and not needs_a_call("late") and not was_missed("done")


@pytest.mark.parametrize(
    ("pack", "channel", "limit"),
    [(CN, "sms", 2), (CN, "email", 2), (US, "sms", 1), (US, "email", 2), (UK, "sms", 2), (UK, "email", 2)],
)
def test_messages_a_channel_a_day(pack: RulePack, channel: str, limit: int) -> None:
    from collector_tui.domain.messages import check_message

    zone = {"cn": SH, "us-regf": NY, "uk-conc": ZoneInfo("Europe/London")}[pack.id]
    number = {"cn": MOBILE, "us-regf": "+12125550123", "uk-conc": "+447700900000"}[pack.id]
    f = facts(timezone=str(zone), phones=(Phone(number, True),), dpd=45)

    def sent(n: int) -> CaseFacts:
        return replace(f, contacts=tuple(Contact(datetime(2026, 11, 27, 9, i, tzinfo=zone), channel, "message_left")
                                         for i in range(n)))

    now = datetime(2026, 11, 27, 12, tzinfo=zone)
    assert check_message(pack, sent(limit - 1), channel=channel, now=now, to=number).allowed
    d = check_message(pack, sent(limit), channel=channel, now=now, to=number)
    assert d == Decision(False, pack.messages_per_day.rule, "check.messages_per_day",  # type: ignore[union-attr]
                         {"count": limit, "max": limit, "channel": channel}, datetime(2026, 11, 28, 8, tzinfo=zone))
    assert check_message(
        pack, sent(limit), channel=channel, now=datetime(2026, 11, 28, 8, tzinfo=zone), to=number
    ).allowed
    other = "email" if channel == "sms" else "sms"
    assert check_message(pack, sent(limit), channel=other, now=now, to=number).allowed


def test_a_message_the_contact_check_refuses_is_refused_first() -> None:
    from collector_tui.domain.messages import check_message

    f = facts(consents={"sms": False})
    assert check_message(CN, f, channel="sms", now=NOW, to=MOBILE).reason == "check.no_consent"
    later = facts(contacts=tuple(Contact(sh(27, 15, i), "sms", "message_left") for i in range(2)))
    assert check_message(CN, later, channel="sms", now=NOW, to=MOBILE).allowed  # not sent yet at 10:00
    bare = replace(CN, messages_per_day=None)
    two = facts(contacts=tuple(Contact(sh(27, 9, i), "sms", "message_left") for i in range(2)))
    assert check_message(bare, two, channel="sms", now=NOW, to=MOBILE).allowed
    assert check_message(CN, two, channel="sms", now=NOW, to=MOBILE).rule == "CN-HOUSE-MESSAGES"


def test_masks_of_an_email_an_id_and_a_name() -> None:
    from collector_tui.domain.masking import mask_email, mask_id_number, mask_name, mask_phone

    assert mask_email("wang.ming@example.com") == "w*******g@example.com"
    assert mask_email("ab@example.com") == "a*@example.com" and mask_email("a@x.cn") == "a*@x.cn"
    assert mask_email("not-an-address") == "not-********ss"
    assert mask_id_number("123456") == "******" and mask_id_number("1234567") == "1234*67"
    assert (
        mask_name("  ") == ""
        and mask_name("王") == "王"
        and mask_name("Li Bo") == "Li B*"
        and mask_name("X Y") == "X Y*"
    )
    assert mask_phone("+447700900123") == "+44 770***0123" and mask_phone("+85212345678") == "+852****5678"
    assert mask_phone("+861234567") == "*******" and mask_phone("13812341234") == "138****1234"


def test_the_rules_fingerprint_changes_with_any_rule() -> None:
    from collector_tui.domain.flags import FlagThresholds
    from collector_tui.domain.rules import fingerprint

    base = fingerprint(Rules(pack=CN))
    assert base == fingerprint(Rules(pack=load_pack("cn"))) and len(base) == 16
    assert base != fingerprint(Rules(pack=US)) and base != fingerprint(
        Rules(pack=CN, thresholds=FlagThresholds(many_lenders=5))
    )


# --- every flag's evidence: the figure and the threshold it names ---------------------------------------------

def test_every_flag_names_its_figure_and_threshold() -> None:
    from collector_tui.domain.facts import ContactChange, Payment, SpendingMonth
    from collector_tui.domain.flags import compute_flags

    today = date(2026, 11, 27)
    f = facts(
        employment_type="temporary",
        has_contract=False,
        income_sources=1,
        monthly_income=(D("5000"), D("15000")),
        contact_info_confirmed_at=date(2025, 3, 10),
        address_mismatch_at=date(2026, 11, 1),
        emergency_contacts=0,
        student_status="dropped_out",
        student_completed_study=False,
        school_changes_12m=3,
        due_day=10,
        payments=(
            Payment(date(2026, 6, 10), D("100"), False),
            Payment(date(2026, 7, 25), D("50"), True),
            Payment(date(2026, 8, 25), D("50"), True),
            Payment(date(2026, 9, 25), D("50"), True),
        ),
        deferral_requests=(date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)),
        contact_changes=(
            ContactChange(date(2026, 10, 1), "phone", True),
            ContactChange(date(2026, 11, 1), "email", False),
        ),
        phones=(Phone(MOBILE, False, date(2026, 11, 17)),),
        spending=(
            SpendingMonth("2026-08", D("900"), D("100"), D("0")),
            SpendingMonth("2026-09", D("1000"), D("100"), D("0")),
            SpendingMonth("2026-10", D("3000"), D("12000"), D("0.45")),
        ),
        active_lenders=5,
        total_debt=D("180000"),
        promises=tuple(Promise(sh(1, 10), date(2026, 11, d), D("100"), "broken") for d in (5, 9)),
        contacts=(
            Contact(sh(20, 10), "phone", "refused"),
            Contact(sh(21, 10), "phone", "complaint"),
            Contact(sh(22, 10), "sms", "hardship"),
        ),
    )
    got = [(fl.id, fl.group, fl.evidence, fl.params) for fl in compute_flags(f, today)]
    assert got == [
        ("income.swing", "income", "flag.income.swing", {"swing": 100, "months": 2, "threshold": 30}),
        ("income.no_contract", "income", "flag.income.no_contract", {"employment": "temporary"}),
        ("income.single_source", "income", "flag.income.single_source", {"sources": 1}),
        ("income.unstable_group", "income", "flag.income.unstable_group", {"employment": "temporary"}),
        ("info.stale_contact", "info", "flag.info.stale_contact", {"months": 20, "threshold": 6}),
        ("info.address_mismatch", "info", "flag.info.address_mismatch", {"since": "2026-11-01"}),
        ("info.no_emergency_contact", "info", "flag.info.no_emergency_contact", {}),
        ("study.incomplete", "study", "flag.study.incomplete", {}),
        ("study.dropped", "study", "flag.study.dropped", {"status": "dropped_out"}),
        ("study.school_changes", "study", "flag.study.school_changes", {"changes": 3, "threshold": 2}),
        ("repay.minimum_run", "repay", "flag.repay.minimum_run", {"run": 3, "threshold": 3}),
        ("repay.irregular", "repay", "flag.repay.irregular", {"days": 11, "threshold": 7}),
        ("repay.deferrals", "repay", "flag.repay.deferrals", {"count": 3, "months": 6, "threshold": 3}),
        ("contact.changes", "contact", "flag.contact.changes", {"count": 2, "months": 3, "threshold": 2}),
        ("contact.new_unreachable", "contact", "flag.contact.new_unreachable", {}),
        ("contact.unreported_change", "contact", "flag.contact.unreported_change", {"count": 1}),
        ("funds.spending_jump", "funds", "flag.funds.spending_jump", {"ratio": "3.0", "threshold": "2.0"}),
        ("funds.large_spend", "funds", "flag.funds.large_spend", {"amount": "12000", "income": "10000"}),
        ("funds.investment", "funds", "flag.funds.investment", {"share": 45, "threshold": 30}),
        ("lost_contact", "lost_contact", "flag.lost_contact", {"days": "?", "threshold": 30}),
        ("debt.many_lenders", "debt", "flag.debt.many_lenders", {"lenders": 5, "threshold": 4}),
        ("debt.high", "debt", "flag.debt.high", {"ratio": "1.5", "threshold": "1.0"}),
        ("willingness.low", "willingness", "flag.willingness.low", {"broken": 2, "refused": "yes"}),
        ("care.complaint", "care", "flag.care.complaint", {"day": "2026-11-21"}),
        ("care.hardship", "care", "flag.care.hardship", {"day": "2026-11-22"}),
    ]


def test_flag_evidence_without_a_date_and_the_quiet_branches() -> None:
    from collector_tui.domain.facts import Payment, SpendingMonth
    from collector_tui.domain.flags import compute_flags

    today = date(2026, 11, 27)

    def flags(**kw: Any) -> dict[str, dict[str, object]]:
        return {fl.id: fl.params for fl in compute_flags(facts(**kw), today)}

    assert flags()["info.stale_contact"] == {"months": "?", "threshold": 6}
    reached = datetime(2026, 10, 18, 3, tzinfo=UTC)
    assert flags(phones=(Phone(MOBILE, False, last_reached_at=reached),))["lost_contact"] == {
        "days": 40,
        "threshold": 30,
    }
    promises = tuple(Promise(sh(1, 10), date(2026, 11, d), D("100"), "broken") for d in (5, 9))
    assert flags(promises=promises)["willingness.low"] == {"broken": 2, "refused": "no"}
    assert "income.no_contract" not in flags(employment_type="unemployed", has_contract=False)
    assert flags(employment_type="freelance")["income.unstable_group"] == {"employment": "freelance"}
    assert "study.dropped" not in flags(student_status="enrolled")
    assert flags(student_status="suspended")["study.dropped"] == {"status": "suspended"}
    # Nothing to divide by: no income, no spending the month before, no payments' due day.
    quiet = flags(
        monthly_income=(D("0"), D("0")),
        total_debt=D("5"),
        spending=(SpendingMonth("2026-09", D("0"), D("0"), D("0")), SpendingMonth("2026-10", D("50"), D("50"), D("0"))),
        payments=tuple(Payment(date(2026, m, 28), D("1"), False) for m in (6, 7, 8)),
    )
    assert not {"income.swing", "debt.high", "funds.large_spend", "funds.spending_jump", "repay.irregular"} & set(quiet)
    assert "debt.high" not in flags(monthly_income=(), total_debt=D("5"))
    tiny = flags(
        monthly_income=(D("0.01"),),
        total_debt=D("0.5"),
        spending=(SpendingMonth("2026-09", D("0.5"), D("0"), D("0")), SpendingMonth("2026-10", D("1"), D("0"), D("0"))),
    )
    assert tiny["debt.high"] == {"ratio": "4.2", "threshold": "1.0"} and tiny["funds.spending_jump"]["ratio"] == "2.0"
    assert "income.swing" not in flags(monthly_income=(D("9000"),))  # one month has no swing
    assert (
        flags(monthly_income=(D("9000"), D("11000"), D("10000"), D("10000")), income_sources=2).get("income.swing")
        is None
    )


def test_the_time_barred_flag_whole() -> None:
    from collector_tui.domain.assessment import assess

    f = facts(timezone="America/New_York", phones=(Phone("+12125550123", True),), overdue_since=date(2019, 1, 10))
    [flag] = [
        fl for fl in assess(f, datetime(2026, 1, 1, 12, tzinfo=NY), Rules(pack=US)).flags if fl.id == "debt.time_barred"
    ]
    assert (flag.group, flag.severity, flag.evidence) == ("debt", "high", "flag.debt.time_barred")


# --- what else the answers carry -------------------------------------------------------------------------------

def test_plan_previews_in_other_currencies_and_with_other_limits() -> None:
    from collector_tui.domain.plans import PlanLimits, split

    assert split(D("0.015"), 1, "CNY") == [D("0.01")]
    assert split(D("10"), 3, "XYZ") == [D("3.34"), D("3.33"), D("3.33")]
    yen = reduction(D("10001"), D("1001"), D("0.5"), 2, date(2026, 12, 5), currency="JPY", income=[D("900000")])
    assert (yen.waived, [i.amount for i in yen.instalments]) == (D("500"), [D("4751"), D("4750")])
    [m] = reinstalment(D("9000"), 1, date(2026, 12, 5), currency="JPY", income=[D("8001")]).messages
    assert m.params == {"amount": "9000", "cap": "4000", "share": 50}
    [m] = reinstalment(D("9000"), 1, date(2026, 12, 5), income=[D("8000.03")]).messages
    assert m.params["cap"] == "4000.01"  # rounded down, never up
    [m] = deferral([(date(2026, 12, 5), D("9000"))], 1, currency="JPY", income=[D("8001")]).messages
    assert m.params["cap"] == "4000"
    odd = PlanLimits(max_waiver_share=D("0.995"), affordability_share=D("0.995"))
    greedy = reduction(D("1000"), D("100"), D("1"), 1, date(2026, 12, 5), income=[D("100")], limits=odd)
    assert [m.params for m in greedy.messages][:2] == [
        {"share": 100, "max": 99},
        {"amount": "900.00", "cap": "99.50", "share": 99},
    ]
    for share in ("0", "1"):
        plan = reduction(D("1000"), D("100"), D(share), 2, date(2026, 12, 5), income=INCOME,
                         limits=PlanLimits(max_waiver_share=D(1)))
        assert plan.ok and plan.waived == D("100") * D(share)
    [m] = reduction(D("1000"), D("100"), D("2"), 2, date(2026, 12, 5), income=INCOME).messages
    assert (m.level, m.key) == ("error", "plan.waiver_range")
    none = reinstalment(D("1000"), 0, date(2026, 12, 5), currency="USD", waived=D("5"))
    assert (none.type, none.currency, none.restructured, none.waived, none.instalments) == (
        "reinstalment",
        "USD",
        D("1000"),
        D("5"),
        (),
    )
    assert [(m.level, m.key) for m in none.messages] == [("error", "plan.months_min")]
    finer = reinstalment(D("1000.005"), 3, date(2027, 1, 31), income=INCOME)
    assert [(i.seq, i.due_date) for i in finer.instalments] == [
        (1, date(2027, 1, 31)),
        (2, date(2027, 2, 28)),
        (3, date(2027, 3, 31)),
    ]
    both = reinstalment(D("37000"), 37, date(2026, 11, 1), income=INCOME, today=date(2026, 11, 27))
    assert [m.key for m in both.messages] == ["plan.max_instalments", "plan.first_due_past"]
    late = deferral([(date(2026, 1, 5), D("100"))], 9, income=INCOME, today=date(2026, 11, 27))
    assert [m.key for m in late.messages] == ["plan.max_extension", "plan.first_due_past"]


def test_score_weights_from_settings() -> None:
    from collector_tui.domain.flags import RiskFlag
    from collector_tui.domain.scoring import ScoreWeights, score_case
    from collector_tui.domain.stages import Stage, StageBounds

    custom = ScoreWeights(stage_points={1: 50}, flag_points={"x.mine": 20})
    assert score_case(Stage.ESCALATION, [], custom).value == 0  # a stage without points adds none
    flags = [RiskFlag("x.mine", "x", "low", "flag.x.mine"), RiskFlag("x.odd", "x", "unheard-of", "flag.x.odd")]
    assert [c.points for c in score_case(Stage.CURRENT, flags, custom).contributions] == [20, 0, 0]
    assert StageBounds(1, 2, 3).early_warning_last == 1
    with pytest.raises(
        ValueError, match="^stage bounds must grow: early_warning_last < escalation_last < severe_last$"
    ):
        StageBounds(0, 2, 3)


def test_zones_of_numbers() -> None:
    from collector_tui.domain.zones import candidate_zones, zone_of_number

    assert zone_of_number("+1212") == "America/New_York" and zone_of_number("+121") is None
    assert zone_of_number("+447700900000") == "Europe/London" and zone_of_number("+85291234567") == "Asia/Hong_Kong"
    assert zone_of_number("+19995550123") is None and zone_of_number("12125550123") is None
    assert candidate_zones("America/New_York", ["+12125550123", "+13105550123", "+14155550123"]) == (
        "America/New_York", "America/Los_Angeles")


def test_money_defaults_and_unknown_currencies() -> None:
    assert to_minor(D("1.5"), "XYZ") == 150 and to_minor(D("1.5")) == 150
    assert format_money("1500.5", "JPY") == "JPY 1,501"
    assert parse_money("1.005") == D("1.01") and format_money("1") == "¥1.00"


def test_more_value_checks() -> None:
    from collector_tui.domain.actions import validate_amount, validate_promise
    from collector_tui.domain.entry import validate_callback_hours, validate_moment

    assert validate_amount(D("0.50"), "CNY") == [] and validate_amount(D("1E+1"), "CNY") == [
        FieldError("amount", "form.amount", {})
    ]
    assert validate_amount(D("1.005"), "XYZ") == [
        FieldError("amount", "form.amount_minor", {"currency": "XYZ", "digits": 2})
    ]
    assert validate_promise(date(2026, 11, 28), D("1.005"), date(2026, 11, 27)) == [
        FieldError("amount", "form.amount_minor", {"currency": "CNY", "digits": 2})]
    [e] = validate_callback_hours(CN, ("Asia/Shanghai",), sh(27, 23), field="cb")
    assert (e.field, e.key, e.params) == ("cb", "form.callback_hours", {
        "start": "08:00", "end": "22:00", "zones": "Asia/Shanghai", "rule": "CN-HOURS", "next": "2026-11-28 08:00"})
    from collector_tui.domain.policy import Hours

    narrow = replace(CN, hours=Hours("CN-HOURS", time(8, 0), time(9, 0)))
    [e] = validate_callback_hours(narrow, ("Asia/Shanghai", "America/New_York"), sh(27, 23), field="cb")
    assert (e.field, e.key, e.params) == ("cb", "form.callback_never", {
        "start": "08:00", "end": "09:00", "zones": "Asia/Shanghai, America/New_York", "rule": "CN-HOURS"})
    assert validate_moment(datetime(2026, 11, 27, 10), NOW, None, field="x") == [
        FieldError("x", "form.zone_needed", {})
    ]
    assert validate_moment(sh(1, 10), NOW, sh(2, 0), field="x") == [
        FieldError("x", "form.at_before_case", {"day": "2026-11-02"})
    ]


def test_windows_that_never_meet_and_a_late_window() -> None:
    from collector_tui.domain.contact_rules import next_window_open
    from collector_tui.domain.policy import Hours

    narrow = replace(CN, hours=Hours("H", time(8, 0), time(9, 0)))
    with pytest.raises(
        ValueError, match="^the allowed hours never hold in all of Asia/Shanghai, America/New_York at once$"
    ):
        next_window_open(narrow, ("Asia/Shanghai", "America/New_York"), NOW)
    late = replace(US, hours=Hours("H", time(22, 0), time(23, 59)))
    at = datetime(2026, 11, 27, 21, 0, tzinfo=NY)  # already the 28th in UTC
    assert next_window_open(late, ("America/New_York",), at) == datetime(2026, 11, 27, 22, 0, tzinfo=NY)


def test_caps_name_their_reason_and_count_a_contact_made_this_very_moment() -> None:
    unanswered = facts(contacts=tuple(Contact(sh(27, 9, i), "phone", "no_answer") for i in range(6)))
    assert check_contact(CN, unanswered, channel="phone", now=sh(27, 10)).reason == "check.unanswered_per_day"
    connected = facts(contacts=tuple(Contact(sh(27, 9, i), "phone", "rpc") for i in range(3)))
    assert check_contact(CN, connected, channel="phone", now=sh(27, 10)).reason == "check.connected_per_day"
    monthly = facts(contacts=tuple(Contact(sh(2 + 4 * i, 10), "sms", "message_left") for i in range(6)))
    assert check_contact(CN, monthly, channel="sms", now=sh(27, 10)).reason == "check.per_month"
    us = replace(
        facts(),
        timezone="America/New_York",
        phones=(Phone("+12125550123", True),),
        contacts=tuple(Contact(datetime(2026, 11, 20 + i, 10, tzinfo=NY), "phone", "no_answer") for i in range(7)),
    )
    d = check_contact(US, us, channel="phone", now=datetime(2026, 11, 26, 12, tzinfo=NY))
    assert (d.reason, d.params) == ("check.seven_in_seven", {"count": 7, "max": 7, "days": 7})
    at_now = facts(
        contacts=tuple(Contact(sh(27, 9, i), "phone", "rpc") for i in range(2)) + (Contact(sh(27, 10), "phone", "rpc"),)
    )
    assert check_contact(CN, at_now, channel="phone", now=sh(27, 10)).rule == "CN-CONNECTED"
    # The later of two caps wins whatever the rules' names: CN-MONTHLY (1 December) over CN-UNANSWERED (tomorrow).
    both = facts(contacts=tuple(Contact(sh(2 + 4 * i, 10), "sms", "message_left") for i in range(6))
                 + tuple(Contact(sh(27, 9, i), "phone", "no_answer") for i in range(6)))
    assert check_contact(CN, both, channel="phone", now=sh(27, 10)).rule == "CN-MONTHLY"
    from collector_tui.domain.policy import Hours

    always = replace(CN, hours=Hours("CN-HOURS", time(0, 0), time(23, 59)))
    assert check_contact(always, unanswered, channel="phone", now=sh(27, 10)).next_allowed_at == sh(28, 0)


def test_a_check_early_in_the_customers_morning_uses_their_day() -> None:
    # 07:30 in Shanghai on the 26th is the 25th in UTC: 16 days past due there, the weekly cap applies.
    f = facts(dpd=0, overdue_since=date(2026, 11, 10),
              contacts=tuple(Contact(sh(20 + i, 10), "sms", "message_left") for i in range(3)))
    always = replace(CN, hours=replace(CN.hours, start=time(0, 0)))
    assert check_contact(always, f, channel="sms", now=sh(26, 7, 30)).rule == "CN-STAGE2-WEEKLY"


def test_one_suppression_let_through_leaves_the_next_one_to_block() -> None:
    ceased = Suppression("cease_requested")
    for first, kw in ((Suppression("attorney"), {"target": "attorney"}),
                      (Suppression("dispute"), {"disposition": "verification_sent"}),
                      (Suppression("workplace_prohibited"), {}),
                      (Suppression("inconvenient_time", hours="01:00-02:00"), {})):
        f = facts(suppressions=(first, ceased))
        assert check_contact(US, replace(f, timezone="America/New_York", phones=(Phone("+12125550123", True),)),
                             channel="email", now=datetime(2026, 11, 27, 10, tzinfo=NY), **kw).rule == "US-CEASE", first
    bare = replace(CN, suppressions={k: v for k, v in CN.suppressions.items() if k != "inconvenient_time"})
    named = facts(suppressions=(Suppression("inconvenient_time", hours="09:00-11:00"),))
    assert check_contact(bare, named, channel="phone", now=NOW).allowed  # a pack without the rule
    with pytest.raises(ValueError, match="^now must be timezone-aware$"):
        check_contact(CN, facts(), channel="phone", now=datetime(2026, 11, 27, 10))


def test_messages_to_a_number_elsewhere_and_on_the_customers_day() -> None:
    from collector_tui.domain.messages import check_message

    f = facts(timezone="America/New_York", phones=(Phone("+12125550123", True),))
    nine = datetime(2026, 11, 27, 9, tzinfo=NY)  # 06:00 in Los Angeles
    assert check_message(US, f, channel="sms", now=nine, to="+13105550123").rule == "US-HOURS"
    assert check_message(US, f, channel="email", now=nine, to="+13105550123").allowed
    sent = replace(f, contacts=(Contact(datetime(2026, 11, 27, 12, tzinfo=NY), "sms", "message_left"),))
    d = check_message(US, sent, channel="sms", now=datetime(2026, 11, 27, 12, tzinfo=NY), to="+13105550123")
    assert (d.rule, d.next_allowed_at) == ("US-HOUSE-MESSAGES", datetime(2026, 11, 28, 11, tzinfo=NY))
    evening = datetime(2026, 11, 27, 20, 30, tzinfo=NY)  # the 28th in UTC
    morning = replace(f, contacts=(Contact(datetime(2026, 11, 27, 10, tzinfo=NY), "sms", "message_left"),))
    assert check_message(US, morning, channel="sms", now=evening).rule == "US-HOUSE-MESSAGES"
    yesterday = replace(f, contacts=(Contact(datetime(2026, 11, 26, 23, 30, tzinfo=NY), "sms", "message_left"),))
    assert check_message(US, yesterday, channel="sms", now=datetime(2026, 11, 27, 10, tzinfo=NY)).allowed
    app = facts(contacts=(Contact(sh(27, 9), "app", "message_left"),))
    assert check_message(CN, app, channel="app", now=NOW).allowed  # no cap on that channel
    refused = facts(
        consents={"sms": False}, contacts=tuple(Contact(sh(27, 9, i), "sms", "message_left") for i in range(2))
    )
    assert check_message(CN, refused, channel="sms", now=NOW).reason == "check.no_consent"


def test_more_of_the_queue() -> None:
    missed = queued(contacted(callbacks=(sh(26, 9),)), sh(27, 10))
    assert (missed.group, missed.reason, missed.params) == (
        "callback",
        "queue.reason.callback_missed",
        {"at": "11-26 09:00"},
    )
    today = queued(contacted(callbacks=(sh(27, 9),)), sh(27, 10))
    assert (today.reason, today.params) == ("queue.reason.callback", {"at": "09:00"})
    texted = facts(
        callbacks=(sh(27, 10),),
        contacts=(Contact(sh(1, 10), "sms", "message_left"), Contact(sh(27, 10, 5), "sms", "message_left")),
    )
    assert queued(texted, sh(27, 10, 10)).group == "callback"  # a message does not make a callback
    assert queued(contacted(callbacks=(sh(27, 11, 30),)), sh(27, 11, 15)).group == "callback"
    rising = queued(contacted(callbacks=(sh(27, 15),)), sh(27, 10))
    assert rising.valid_until == sh(27, 14, 45)  # re-placed when the callback rises
    assert queued(contacted(callbacks=(sh(27, 15),)), sh(27, 14, 45)).valid_until == sh(27, 22)
    early = queued(contacted(promises=(Promise(sh(20, 10), date(2026, 11, 27), D("5"), "outstanding"),)), sh(27, 7, 30))
    assert (early.blocked_by, early.params["then"], early.valid_until) == (
        "CN-HOURS",
        "queue.reason.promise_due",
        sh(27, 8),
    )
    lapsed = Promise(sh(10, 10), date(2026, 11, 20), D("300.00"), "outstanding")
    followed = facts(promises=(lapsed,), contacts=(Contact(sh(21, 7, 30), "phone", "no_answer"),))
    assert queued(followed).group == "rest"  # the 21st in Shanghai, the 20th in UTC
    first_day = facts(dpd=5, overdue_since=date(2026, 11, 22), contacts=(Contact(sh(22, 7, 30), "phone", "rpc"),))
    assert queued(first_day).group == "rest"
    golden = queued(facts(dpd=5, overdue_since=date(2026, 11, 22)))
    assert golden.reason == "queue.reason.golden"
    from collector_tui.domain.assessment import assess

    p = queued(contacted(active_lenders=6))
    a = assess(contacted(active_lenders=6), NOW, Rules(pack=CN))
    assert (p.tier, p.score, p.flags) == (
        a.score.tier,
        a.score.value,
        tuple(fl.id for fl in a.flags),
    ) and "debt.many_lenders" in p.flags
    assert sort_bytes((65536,)) == b"\x02" + (65536 * 10**4 + (1 << 62)).to_bytes(8, "big")


def test_more_of_the_moment_and_the_review() -> None:
    from collector_tui.domain.callbacks import callback_state
    from collector_tui.domain.contact_review import band_counts, case_figures, golden_miss, in_band
    from collector_tui.domain.masking import mask_email

    ceased = Contact(datetime(2026, 11, 20, 2, tzinfo=UTC), "phone", "cease_requested", scope="all")
    assert active_suppressions(facts(contacts=(Contact(sh(19, 10), "phone", "no_answer"), ceased))) == (
        Suppression("cease_requested", None, date(2026, 11, 20), origin="contact"),)
    assert callback_state(sh(27, 15), [sh(27, 15)], sh(27, 15)) == "done"
    assert mask_email("abc@example.com") == "a*c@example.com" and mask_email("ab@cd@example.com") == "a*@cd@example.com"
    case = TeamCase("C-1", "a", 40, date(2026, 11, 1), None)
    assert in_band(case, 15, date(2026, 11, 17)) and not in_band(case, 15, date(2026, 11, 16))
    assert not in_band(TeamCase("C-1", "a", 15, None, None), 15, END) and in_band(
        TeamCase("C-1", "a", 16, None, None), 15, END
    )
    assert not in_band(TeamCase("C-1", "a", 99, date(2026, 11, 20), None), 15, END)  # the date decides, not the dpd
    assert golden_miss(case, 15, date(2026, 11, 20), start=date(2026, 11, 17))
    assert not golden_miss(case, 15, date(2026, 11, 20), start=date(2026, 11, 18))
    day = date(2026, 11, 20)
    contacts = [TeamContact("a", "C-1", day, 23, "phone", "no_answer", "customer", 2),
                TeamContact("a", "C-1", day, 6, "phone", "no_answer", "customer", 3),
                TeamContact("a", "C-1", day, 10, "phone", "rpc", "third_party", 4)]
    [fig] = case_figures([case], contacts, END, CN, start=day)
    assert (fig.outside_hours, fig.reached_30d, fig.attempts_30d) == (5, 0, 9)
    assert band_counts([fig, replace(fig, status="new", reached_30d=7)]) == [0]


def test_the_teams_range_and_its_edges() -> None:
    cases = [TeamCase("C-1", "a", 40, date(2026, 10, 1), None, 1, 0, 2)]
    start = date(2026, 11, 20)
    contacts = [contact("ghost", "C-9", 0), contact("a", "C-1", 7, hour=22), contact("a", "C-1", 7, hour=8),
                contact("a", "C-1", 8, hour=23), contact("a", "C-1", 0, "rpc", 2, hour=23)]
    [a] = team_figures([("a", "Ann", 1)], cases, contacts, END, CN, start=start)
    assert (a.outside_hours, a.phone_attempts, a.right_party, a.promises_partly_kept) == (3, 4, 4, 2)
    assert a.contacts_30d == 5 and a.golden_misses == []
    [b] = team_figures([("a", "Ann", 1)], cases, contacts, END, CN)
    assert b.golden_misses == [] and b.outside_hours == 4


def test_the_assessment_uses_the_rules_it_is_given() -> None:
    from collector_tui.domain.assessment import assess
    from collector_tui.domain.flags import FlagThresholds
    from collector_tui.domain.scoring import ScoreWeights
    from collector_tui.domain.stages import Stage, StageBounds

    rules = Rules(pack=CN, bounds=StageBounds(10, 20, 30), thresholds=FlagThresholds(many_lenders=2),
                  weights=ScoreWeights(stage_points={4: 99}))
    a = assess(facts(active_lenders=2), NOW, rules)
    assert a.stage == Stage.LONG_TERM and "debt.many_lenders" in {fl.id for fl in a.flags}
    assert a.score.contributions[0].points == 99


def test_flag_guards_for_tiny_figures_and_other_shares() -> None:
    from collector_tui.domain.facts import SpendingMonth
    from collector_tui.domain.flags import FlagThresholds, compute_flags

    def ids(th: FlagThresholds = FlagThresholds(), **kw: Any) -> set[str]:
        return {fl.id for fl in compute_flags(facts(**kw), date(2026, 11, 27), th)}

    assert "income.swing" in ids(monthly_income=(D("0.5"), D("1.5")))
    month = (SpendingMonth("2026-10", D("1"), D("0.6"), D("0")),)
    assert "funds.large_spend" in ids(monthly_income=(D("0.5"),), spending=month)
    big = (SpendingMonth("2026-10", D("15000"), D("15000"), D("0")),)
    assert "funds.large_spend" not in ids(FlagThresholds(large_spend_income_share=D("2")), monthly_income=(D("10000"),),
                                          spending=big)


def test_more_edges_of_the_review() -> None:
    from collector_tui.domain.contact_review import case_figures, monthly_band
    from collector_tui.domain.policy import Monthly

    assert monthly_band(replace(CN, per_month=Monthly("M", 5, 2))) == (2, 5)
    case = TeamCase("C-1", "a", 40, date(2026, 11, 1), None)
    before = [TeamContact("a", "C-1", date(2026, 11, 19), 23, "phone", "no_answer", "customer", 1)]
    [fig] = case_figures([case], before, END, CN, start=date(2026, 11, 20))
    assert fig.outside_hours == 0  # before the range
    cases = [
        TeamCase("C-0", "ghost", 40, None, None, 0, 0, 9),
        TeamCase("C-1", "a", 40, date(2026, 11, 1), None, 0, 0, 1),
        TeamCase("C-2", "a", 40, date(2026, 11, 1), None, 0, 0, 2),
    ]
    [a] = team_figures([("a", "Ann", 2)], cases, [], END, CN, start=date(2026, 11, 20))
    # Both windows closed on 16 November: missed on the 17th, before the range began.
    assert (a.golden_misses, a.under_floor, a.promises_partly_kept) == ([], ["C-1", "C-2"], 3)


def test_more_of_suppressions_packs_plans_and_callbacks() -> None:
    from collector_tui.domain.policy import parse_pack

    verified = (Contact(sh(10, 10), "phone", "dispute"), Contact(sh(11, 10), "email", "verification_sent"),
                Contact(sh(12, 10), "phone", "cease_requested", scope="all"))
    assert [s.type for s in active_suppressions(facts(contacts=verified))] == ["cease_requested"]
    pack = parse_pack({**MINIMAL, "hours": {"rule": "H", "start": "08:30", "end": "21:15"},
                       "golden_window": {"rule": "G", "days": 0}}, "p.toml")
    assert (pack.hours.start, pack.hours.end, pack.golden_window.days, pack.sources) == (
        time(8, 30),
        time(21, 15),
        0,
        {},
    )
    assert (
        deferral([(date(2026, 12, 5), D("1"))], 1).currency,
        reduction(D("1"), D("0"), D("0"), 1, date(2026, 12, 5)).currency,
    ) == ("CNY", "CNY")
    made = facts(
        callbacks=(sh(27, 10),),
        contacts=(Contact(sh(1, 10), "sms", "message_left"), Contact(sh(27, 10, 5), "phone", "rpc")),
    )
    assert queued(made, sh(27, 10, 10)).group == "rest"  # a call made the callback
