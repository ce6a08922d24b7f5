"""The rules see the collector's own work and the passing clock: offline, before any sync.

A cache synced once, then ten days of the calendar with no sync; outcomes recorded here block the next
contact at once, in the use case (what the form and the CLI call), `queue --json` and the workbench; the
server takes them with the contact, returns them in the feed, and may lift them later, saying why.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from collector_tui.app import CollectorApp
from collector_tui.config import Settings
from collector_tui.domain.contact_rules import check_contact
from collector_tui.domain.facts import Contact
from collector_tui.domain.moment import active_suppressions, at_moment
from collector_tui.domain.priority import place_case
from collector_tui.domain.rules import Rules
from collector_tui.domain.stages import stage_for_dpd
from collector_tui.policies import load_pack
from collector_tui.screens.contact import ContactScreen
from collector_tui.screens.profile import ProfileScreen
from collector_tui.server.store import lift_suppressions
from collector_tui.storage.facts import load_facts
from collector_tui.sync.service import run_sync
from collector_tui.work import contact as recorder
from collector_tui.work.cases import case_facts, place_all, queue_page
from tests.conftest import CLI, SYNC_AT, RunningServer, cli_env
from tests.test_tui import plain

CN = Rules(pack=load_pack("cn"))
US = Rules(pack=load_pack("us-regf"))
MORNING = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai, the sync's day


@pytest.fixture
def synced(server: RunningServer, cache: Engine) -> Engine:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT, rules=CN)
    return cache


def _callable_case(cache: Engine, at: datetime, rules: Rules = CN, phones: int = 1,
                   channels: tuple[str, ...] = ("phone", "sms")) -> str:
    """A case that may be contacted at `at` on each of `channels`."""
    for p in place_all(cache, at, rules):
        f = case_facts(cache, p.case_id)
        if p.callable and f is not None and len(f.phones) >= phones and all(
                recorder.check(rules, f, channel=c, now=at).allowed for c in channels):
            return p.case_id
    raise AssertionError("no callable case")


def _record(cache: Engine, case_id: str, disposition: str, *, at: datetime = MORNING, channel: str = "phone",
            number: str = "", target: str = "customer", scope: str = "", rules: Rules = CN) -> list[str]:
    outcome = recorder.Outcome(channel=channel, disposition=disposition, target=target, number=number, scope=scope)
    return recorder.record_outcome(cache, rules, case_id, outcome, now=at, collector="demo")


def _blocked(cache: Engine, case_id: str, *, at: datetime, channel: str = "phone", number: str = "",
             target: str = "customer", rules: Rules = CN) -> str | None:
    """The rule that blocks this contact, or None when it is allowed."""
    f = case_facts(cache, case_id)
    assert f is not None
    d = recorder.check(rules, f, channel=channel, now=at, target=target, number=number or None)
    return None if d.allowed else d.rule


# --- the passing clock ------------------------------------------------------------------------------------
def test_ten_days_offline_dpd_stage_golden_window_and_weekly_rule_move_with_the_calendar(synced: Engine) -> None:
    facts = {f.case_id: f for f in load_facts(synced)}
    # A case not yet contacted in its golden window, and one about to enter stage 2.
    young = next(f for f in facts.values() if f.overdue_since and f.dpd <= 10
                 and place_case(f, MORNING, CN).group == "golden")
    edge = next(f for f in facts.values() if f.overdue_since and 12 <= f.dpd <= 15)
    for day in range(11):
        now = MORNING + timedelta(days=day)
        for f in (young, edge):
            p = place_case(f, now, CN)
            expected = f.dpd + day
            assert p.dpd == expected and p.stage == int(stage_for_dpd(expected)), (f.case_id, day)
        p = place_case(young, now, CN)
        if young.dpd + day <= 15:
            assert p.group == "golden" and p.params["days"] == 15 - (young.dpd + day), day
        else:
            assert p.group != "golden", day  # the window closed with the calendar, not with a sync
    # The stage-2 weekly cap applies from the day the case reaches 16 DPD, not from the next sync.
    sixteen = edge.overdue_since + timedelta(days=16)  # type: ignore[operator]
    shanghai = ZoneInfo(edge.timezone)
    at = [datetime.combine(sixteen - timedelta(days=n), time(11), shanghai) for n in (4, 3, 2)]  # type: ignore[arg-type]
    texted = replace(edge, contacts=tuple(Contact(a, "sms", "message_left") for a in at), suppressions=(),
                     consents={})
    day15, day16 = (datetime.combine(sixteen - timedelta(days=k), time(11), shanghai) for k in (1, 0))  # type: ignore[arg-type]
    assert check_contact(CN.pack, texted, channel="sms", now=day15).allowed
    blocked = check_contact(CN.pack, texted, channel="sms", now=day16)
    assert not blocked.allowed and blocked.rule == "CN-STAGE2-WEEKLY"


def test_queue_json_at_any_moment_after_the_sync_gives_what_the_rules_say_then(synced: Engine, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "settings.toml").write_text('user = "demo"\n')
    synced.dispose()
    base = {r["id"]: r for r in _queue_json(home, "2026-11-27T11:00+08:00")}
    for days in (1, 10):
        later = {
            r["id"]: r
            for r in _queue_json(home, f"2026-{(date(2026, 11, 27) + timedelta(days=days)):%m-%d}T11:00+08:00")
        }
        for case_id, row in base.items():
            assert later[case_id]["dpd"] == row["dpd"] + days
            assert later[case_id]["stage"] == int(stage_for_dpd(row["dpd"] + days))


def _queue_json(home: Path, at: str) -> list[dict[str, Any]]:
    out = subprocess.run([*CLI, "--locale", "en", "queue", "--json", "--at", at], capture_output=True, text=True,
                         timeout=120, env=cli_env(home))
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)  # type: ignore[no-any-return]


# --- outcomes recorded here take effect at once ---------------------------------------------------------
def test_cease_request_blocks_its_channel_and_with_all_channels_every_channel(synced: Engine) -> None:
    case_id = _callable_case(synced, MORNING)
    assert _blocked(synced, case_id, at=MORNING) is None
    _record(synced, case_id, "cease_requested", channel="sms")
    later = MORNING + timedelta(hours=1)
    assert _blocked(synced, case_id, at=later, channel="sms") == "CN-PIPL-CONSENT"
    assert _blocked(synced, case_id, at=later, channel="phone") is None  # that channel only
    with pytest.raises(recorder.Blocked) as refused:
        _record(synced, case_id, "message_left", channel="sms", at=later)
    assert refused.value.decision.params["origin"] == "local"
    other = _callable_case(synced, MORNING + timedelta(minutes=1))
    assert other != case_id
    _record(synced, other, "cease_requested", scope="all")
    for channel in ("phone", "sms", "visit"):
        assert _blocked(synced, other, at=later, channel=channel) == "CN-PIPL-CONSENT", channel
    # The queue shows it in the not-callable group, with the rule, at once.
    [row] = [r for r in queue_page(synced, 0, 500) if r.id == other]
    assert row.group == "blocked" and row.blocked_by == "CN-PIPL-CONSENT" and not row.callable


@pytest.mark.parametrize(
    ("disposition", "rule"), [("bankruptcy", "CN-HOUSE-BANKRUPTCY"), ("deceased", "CN-PROHIBITED")]
)
def test_bankruptcy_and_death_stop_every_contact(synced: Engine, disposition: str, rule: str) -> None:
    case_id = _callable_case(synced, MORNING)
    _record(synced, case_id, disposition)
    for channel in ("phone", "sms", "visit"):
        assert _blocked(synced, case_id, at=MORNING + timedelta(days=3), channel=channel) == rule


def test_attorney_means_contact_through_the_attorney_only(synced: Engine) -> None:
    case_id = _callable_case(synced, MORNING, US)
    _record(synced, case_id, "attorney", rules=US)
    later = MORNING + timedelta(days=1)
    assert _blocked(synced, case_id, at=later, rules=US) == "US-ATTORNEY"
    assert _blocked(synced, case_id, at=later, target="attorney", rules=US) is None


def test_dispute_pauses_collection_until_verification_is_recorded(synced: Engine) -> None:
    case_id = _callable_case(synced, MORNING, US)
    _record(synced, case_id, "dispute", rules=US)
    assert _blocked(synced, case_id, at=MORNING + timedelta(days=2), rules=US) == "US-DISPUTE"
    _record(synced, case_id, "verification_sent", channel="email", target="customer",
            at=MORNING + timedelta(days=1, minutes=5), rules=US)
    # The pause is over; what remains is the ordinary wait after the conversation the dispute was raised in.
    assert _blocked(synced, case_id, at=MORNING + timedelta(days=2), rules=US) in (None, "US-7IN7")
    assert _blocked(synced, case_id, at=MORNING + timedelta(days=2), channel="email", rules=US) is None


def test_a_wrong_number_is_not_dialled_again_and_the_others_still_are(synced: Engine) -> None:
    case_id = _callable_case(synced, MORNING, phones=2)
    f = case_facts(synced, case_id)
    assert f is not None
    wrong, other = f.phones[0].number, f.phones[1].number
    _record(synced, case_id, "wrong_number", number=wrong)
    later = MORNING + timedelta(days=1)
    assert _blocked(synced, case_id, at=later, number=wrong) == "CN-HOUSE-DEAD-NUMBER"
    assert _blocked(synced, case_id, at=later, number=other) is None
    moved = at_moment(case_facts(synced, case_id), later.date())  # type: ignore[arg-type]
    assert {p.number: p.reachable for p in moved.phones}[wrong] is False


def test_complaint_and_hardship_are_flagged_not_blocked(synced: Engine) -> None:
    case_id = _callable_case(synced, MORNING)
    _record(synced, case_id, "hardship")
    _record(synced, case_id, "complaint", channel="sms", at=MORNING + timedelta(minutes=1))
    p = place_case(case_facts(synced, case_id), MORNING + timedelta(days=2), CN)  # type: ignore[arg-type]
    assert {"care.hardship", "care.complaint"} <= set(p.flags)
    assert p.blocked_by not in ("CN-PIPL-CONSENT", "CN-PROHIBITED", "CN-HOUSE-DISPUTE")


def test_a_right_party_contact_clears_lost_contact_and_marks_the_number_reached(synced: Engine) -> None:
    facts = load_facts(synced)
    lost = next((f for f in facts if f.phones and not any(p.reachable for p in f.phones)
                 and place_case(f, MORNING, CN).callable), None)
    if lost is None:  # the portfolio holds none callable now: take one and let its numbers fail first
        case_id = _callable_case(synced, MORNING)
        lost = case_facts(synced, case_id)
    assert lost is not None
    number = lost.phones[0].number
    before = place_case(lost, MORNING, CN)
    _record(synced, lost.case_id, "rpc", number=number)
    after_facts = at_moment(case_facts(synced, lost.case_id), MORNING.date())  # type: ignore[arg-type]
    reached = {p.number: p for p in after_facts.phones}[number]
    assert reached.reachable and reached.last_reached_at == MORNING
    assert "lost_contact" not in place_case(after_facts, MORNING + timedelta(hours=1), CN).flags
    assert before.case_id == lost.case_id


# --- the CLI, before any sync ---------------------------------------------------------------------------
def test_cli_cease_then_the_next_contact_is_refused_and_queue_json_says_why(synced: Engine, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "settings.toml").write_text('user = "demo"\n')
    case_id = _callable_case(synced, MORNING)
    synced.dispose()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*CLI, "--locale", "en", *args], capture_output=True, text=True, timeout=120,
                              env=cli_env(home))

    first = run("contact", "add", case_id, "--channel", "phone", "--disposition", "cease_requested",
                "--all-channels", "--at", "2026-11-27T11:00+08:00")
    assert first.returncode == 0, first.stderr
    for channel, disposition in (("phone", "no_answer"), ("sms", "message_left")):
        again = run("contact", "add", case_id, "--channel", channel, "--disposition", disposition,
                    "--at", "2026-11-27T11:05+08:00")
        assert again.returncode == 3 and "CN-PIPL-CONSENT" in again.stderr and "not yet synced" in again.stderr
    [row] = [r for r in _queue_json(home, "2026-11-27T11:10+08:00") if r["id"] == case_id]
    assert row["blocked_by"] == "CN-PIPL-CONSENT" and not row["callable"]


# --- the server takes them, returns them, and may lift them ---------------------------------------------
def test_the_server_returns_the_suppression_in_the_feed_and_a_lift_with_its_reason(
    server: RunningServer, synced: Engine
) -> None:
    case_id = _callable_case(synced, MORNING, US)
    _record(synced, case_id, "dispute", rules=US)
    token = server.token()
    run_sync(synced, server.url, "demo", token, now=lambda: MORNING + timedelta(minutes=5), rules=US)
    f = case_facts(synced, case_id)
    assert f is not None
    assert any(s.type == "dispute" and s.origin == "contact" for s in f.suppressions)  # the server's record
    assert not any(c.local for c in f.contacts)  # the contact is the server's now
    assert _blocked(synced, case_id, at=MORNING + timedelta(days=1), rules=US) == "US-DISPUTE"
    lift_suppressions(server.engine, case_id, "dispute", on=date(2026, 11, 28), reason="debt verified by letter")
    run_sync(synced, server.url, "demo", token, now=lambda: MORNING + timedelta(days=1), rules=US)
    f = case_facts(synced, case_id)
    assert f is not None
    [lift] = [s for s in f.suppressions if s.lifted_at is not None]
    assert lift.reason == "debt verified by letter"
    assert not [s for s in active_suppressions(f) if s.type == "dispute"]
    assert _blocked(synced, case_id, at=MORNING + timedelta(days=1, hours=1), rules=US) != "US-DISPUTE"


def test_the_server_marks_a_reached_number_and_a_wrong_one(server: RunningServer, synced: Engine) -> None:
    case_id = _callable_case(synced, MORNING, phones=2)
    f = case_facts(synced, case_id)
    assert f is not None
    good, bad = f.phones[0].number, f.phones[1].number
    _record(synced, case_id, "wrong_number", number=bad)
    _record(synced, case_id, "rpc", number=good, at=MORNING + timedelta(minutes=2))
    run_sync(synced, server.url, "demo", server.token(), now=lambda: MORNING + timedelta(minutes=5))
    phones = {p.number: p for p in case_facts(synced, case_id).phones}  # type: ignore[union-attr]
    assert phones[bad].reachable is False
    assert phones[good].reachable is True and phones[good].last_reached_at == MORNING + timedelta(minutes=2)


# --- the workbench ----------------------------------------------------------------------------------------
@pytest.mark.anyio
async def test_a_dispute_logged_in_the_workbench_blocks_the_case_in_queue_form_and_profile(synced: Engine) -> None:
    case_id = _callable_case(synced, MORNING)
    app = CollectorApp(synced, settings=Settings(locale="en"), user="demo", clock=lambda: MORNING)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        app.push_screen(ContactScreen(case_id))
        await pilot.pause()
        screen = app.screen
        from textual.widgets import Checkbox, Select

        screen.query_one("#disposition", Select).value = "dispute"
        await pilot.pause()
        screen.query_one("#note").value = "customer disputes the fees"  # type: ignore[attr-defined]
        for box in screen.query(Checkbox):
            if not box.disabled and box.name:
                box.value = True
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, ContactScreen)
        [row] = [r for r in queue_page(synced, 0, 500) if r.id == case_id]
        assert row.group == "blocked" and row.blocked_by == "CN-HOUSE-DISPUTE"
        app.push_screen(ContactScreen(case_id))
        await pilot.pause()
        text = plain(app.screen.query_one("#rule-check"))
        assert "CN-HOUSE-DISPUTE" in text and "not yet synced" in text
        app.pop_screen()
        app.push_screen(ProfileScreen(case_id))
        await pilot.pause()
        risk = plain(app.screen.query_one("#risk"))
        assert "Suppressed" in risk and "CN-HOUSE-DISPUTE" in risk


def test_promise_amount_domain_is_untouched_by_moment(synced: Engine) -> None:
    # The facts at a moment change only what the calendar and the history change.
    f = load_facts(synced)[0]
    moved = at_moment(f, (MORNING + timedelta(days=3)).date())
    assert moved.overdue_amount == f.overdue_amount and moved.promises == f.promises
    assert isinstance(moved.overdue_amount, Decimal)


def test_docs_list_every_rule_id_of_every_pack() -> None:
    import tomllib

    from tests.conftest import ROOT

    doc = (ROOT / "docs" / "rules.md").read_text()
    for pack in sorted((ROOT / "collector_tui" / "policies").glob("*.toml")):
        for rule in tomllib.loads(pack.read_text())["sources"]:
            assert f"`{rule}`" in doc, (pack.name, rule)


def test_workplace_prohibition_blocks_the_work_number_only(synced: Engine) -> None:
    case_id = _callable_case(synced, MORNING, US, phones=2)
    f = case_facts(synced, case_id)
    assert f is not None
    work, home = f.phones[0], f.phones[1]
    # The customer's first number is their office line, as the servicer records it.
    with synced.begin() as conn:
        conn.exec_driver_sql("UPDATE phone SET type = 'work' WHERE case_id = ? AND number = ?", (case_id, work.number))
    _record(synced, case_id, "workplace_prohibited", number=home.number, rules=US)
    later = MORNING + timedelta(days=8)  # past the 7-day wait after that conversation
    assert _blocked(synced, case_id, at=later, number=work.number, rules=US) == "US-WORKPLACE"
    assert _blocked(synced, case_id, at=later, number=home.number, rules=US) != "US-WORKPLACE"
    assert _blocked(synced, case_id, at=later, channel="sms", rules=US) != "US-WORKPLACE"


def test_a_time_barred_debt_is_flagged_and_the_checklist_asks_for_the_disclosure(synced: Engine) -> None:
    from collector_tui.domain.assessment import assess
    from collector_tui.domain.checklist import checklist

    f = load_facts(synced)[0]
    old = replace(f, payments=(), overdue_since=date(2019, 1, 10))
    barred_on = date(2025, 1, 10)
    before = datetime.combine(barred_on - timedelta(days=1), time(12), UTC)
    after = datetime.combine(barred_on, time(12), UTC)
    assert "debt.time_barred" not in {fl.id for fl in assess(old, before, US).flags}
    assert "debt.time_barred" in {fl.id for fl in assess(old, after, US).flags}
    assert "debt.time_barred" not in {fl.id for fl in assess(old, after, CN).flags}  # a pack without the rule
    items = {i.id for i in checklist(US.pack, "phone", "customer", "rpc", time_barred=True)}
    assert "time_barred_disclosure" in items
    assert "time_barred_disclosure" not in {i.id for i in checklist(US.pack, "phone", "customer", "rpc")}


def test_a_case_the_server_closes_leaves_the_cache_and_the_audit_says_so(server: RunningServer, synced: Engine) -> None:
    from collector_tui.server.store import churn
    from collector_tui.storage import audit

    before = {f.case_id for f in load_facts(synced)}
    closed = churn(server.engine, seed=5, close=40)["closed"]
    run_sync(synced, server.url, "demo", server.token(), now=lambda: MORNING)
    gone = {c for c in closed if c in before}
    assert gone and not gone & {f.case_id for f in load_facts(synced)}
    entries = [e for e in audit.entries(synced) if e.action == "purpose_ended"]
    assert {e.case_id for e in entries} == gone  # each removed case once, and only those
    assert all(e.actor == "demo" for e in entries)


def test_inconvenient_hours_the_customer_names_are_honoured_like_the_allowed_hours(synced: Engine) -> None:
    case_id = _callable_case(synced, MORNING, US, channels=("phone", "sms", "email"))
    f = case_facts(synced, case_id)
    assert f is not None
    home = ZoneInfo(f.timezone)
    with pytest.raises(recorder.Invalid) as bad:
        _record(synced, case_id, "inconvenient_time", scope="14:00-12:00", rules=US)
    assert [e.field for e in bad.value.errors] == ["hours"]
    _record(synced, case_id, "inconvenient_time", channel="email", scope="12:00-14:00", rules=US)
    day = (MORNING + timedelta(days=9)).astimezone(home).date()
    inside = datetime.combine(day, time(13, 59), home)
    d = recorder.check(US, case_facts(synced, case_id), channel="sms", now=inside)  # type: ignore[arg-type]
    assert not d.allowed and d.rule == "US-INCONVENIENT"
    assert d.next_allowed_at is not None and d.next_allowed_at.astimezone(home).time() == time(14, 0)
    at_end = datetime.combine(day, time(14, 0), home)
    before = datetime.combine(day, time(11, 59), home)
    for moment in (at_end, before):
        assert _blocked(synced, case_id, at=moment, channel="sms", rules=US) != "US-INCONVENIENT"


def test_cli_refuses_inconvenient_hours_that_are_not_a_range(synced: Engine, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "settings.toml").write_text('user = "demo"\n')
    case_id = _callable_case(synced, MORNING)
    synced.dispose()
    out = subprocess.run([*CLI, "--locale", "en", "contact", "add", case_id, "--channel", "phone", "--disposition",
                          "inconvenient_time", "--hours", "25:00-26:00", "--at", "2026-11-27T11:00+08:00"],
                         capture_output=True, text=True, timeout=120, env=cli_env(home))
    assert out.returncode == 2 and out.stderr.startswith("--hours: hours as HH:MM-HH:MM")
