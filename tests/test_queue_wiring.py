"""The rules wired in: the stored queue order, `collector-tui queue`, pack switching, the profile's risk panel."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, insert
from sqlmodel import Session

from collector_tui.app import CollectorApp
from collector_tui.config import Settings, SettingsError, build_rules, save_settings
from collector_tui.screens.profile import ProfileScreen
from collector_tui.server.facts import index_rows
from collector_tui.server.models import CaseDoc
from collector_tui.server.runner import ServerThread, prepare
from collector_tui.server.store import TEAM_ID, SeedSpec, take_seqs
from collector_tui.storage.queries import QueueFilter, queue_count, queue_group_counts, queue_page
from collector_tui.sync.client import ApiClient
from collector_tui.sync.service import run_sync
from collector_tui.widgets.case_table import CaseTable
from collector_tui.work import contact as recorder
from tests.conftest import AS_OF, CLI, SYNC_AT, MakeServer, cli_env, present

pytestmark = pytest.mark.anyio


@pytest.fixture
def home(make_server: MakeServer, tmp_path: Path) -> Path:
    from collector_tui.storage.engine import open_engine

    server = make_server(cases=300)
    path = tmp_path / "qhome"
    engine = open_engine(path / "cache.db")
    run_sync(engine, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    engine.dispose()
    return path


def queue_json(home: Path, *args: str) -> list[dict[str, Any]]:
    out = subprocess.run([*CLI, "--locale", "en", "queue", "--json", *args], capture_output=True, text=True,
                         timeout=120, env=cli_env(home))
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_queue_json_has_every_key_and_a_total_order(home: Path) -> None:
    rows = queue_json(home, "--at", "2026-11-27T10:00")
    assert len(rows) == 150
    assert [r["position"] for r in rows] == list(range(150))
    assert len({r["id"] for r in rows}) == 150
    keys = {
        "id",
        "position",
        "group",
        "reason",
        "stage",
        "dpd",
        "tier",
        "score",
        "flags",
        "callable",
        "blocked_by",
        "next_allowed_at",
    }
    assert all(set(r) == keys for r in rows)
    order = ["promise", "golden", "callback", "rest", "blocked"]
    assert [order.index(r["group"]) for r in rows] == sorted(order.index(r["group"]) for r in rows)
    for r in rows:
        assert r["reason"]
        assert r["callable"] is (r["group"] != "blocked")
        assert (r["blocked_by"] is None) is r["callable"]


def test_demo_portfolio_shows_every_tier_every_stage_and_blocked_reasons(home: Path) -> None:
    rows = queue_json(home, "--at", "2026-11-27T10:00")
    assert {r["tier"] for r in rows} == {"A", "B", "C"}
    assert {r["stage"] for r in rows} == {1, 2, 3, 4}
    groups = Counter(r["group"] for r in rows)
    assert set(groups) == {"promise", "golden", "callback", "rest", "blocked"}, groups
    blocked = [r for r in rows if r["group"] == "blocked"]
    assert all(r["blocked_by"] and r["reason"].startswith(r["blocked_by"]) for r in blocked)
    assert any(r["next_allowed_at"] for r in blocked)  # some become callable later today or soon
    assert any(r["next_allowed_at"] is None for r in blocked)  # some only when a suppression is lifted


def test_the_pack_changes_what_the_queue_allows(home: Path) -> None:
    # 21:30 Shanghai: cn allows until 22:00, us-regf stops at 21:00.
    cn = queue_json(home, "--at", "2026-11-27T21:30+08:00", "--policy", "cn")
    us = queue_json(home, "--at", "2026-11-27T21:30+08:00", "--policy", "us-regf")
    cn_hours = {r["id"] for r in cn if r["blocked_by"] == "CN-HOURS"}
    us_hours = {r["id"] for r in us if r["blocked_by"] == "US-HOURS"}
    assert len(us_hours) > len(cn_hours)
    shanghai_cn = [r for r in cn if r["id"] in us_hours and r["blocked_by"] is None]
    assert shanghai_cn, "cases blocked at 21:30 under us-regf are callable under cn"
    assert any(r["blocked_by"] == "US-7IN7" for r in us)


def test_a_bad_policy_is_refused(home: Path) -> None:
    out = subprocess.run(
        [*CLI, "--locale", "en", "queue", "--policy", "mars"],
        capture_output=True,
        text=True,
        timeout=60,
        env=cli_env(home),
    )
    assert out.returncode == 2 and "policy must be one of" in out.stderr


def test_settings_overrides_reach_the_rules(tmp_path: Path) -> None:
    rules = build_rules(Settings(thresholds={"many_lenders": 6}, weights={"tier_c_from": 60}, policy="uk-conc"))
    assert rules.thresholds.many_lenders == 6 and rules.weights.tier_c_from == 60 and rules.pack.id == "uk-conc"
    with pytest.raises(SettingsError, match="unknown key thresholds.bogus"):
        build_rules(Settings(thresholds={"bogus": 1}))
    with pytest.raises(SettingsError, match="thresholds.income_swing must be like"):
        build_rules(Settings(thresholds={"income_swing": "lots"}))
    with pytest.raises(SettingsError, match="must grow"):
        save_settings(tmp_path, Settings(stage_bounds={"early_warning_last": 40}))


def test_stored_queue_follows_the_rules_and_filters_by_tier(home: Path) -> None:
    from collector_tui.storage.engine import open_engine

    engine = open_engine(home / "cache.db")
    counts = queue_group_counts(engine)
    assert sum(counts.values()) == queue_count(engine) == 150
    for tier in "ABC":
        rows = queue_page(engine, 0, 200, QueueFilter(tier=tier))
        assert rows and {r.tier for r in rows} == {tier}
    flagged = queue_page(engine, 0, 200, QueueFilter(flag="debt.many_lenders"))
    assert flagged and all("debt.many_lenders" in (r.flags or "").split() for r in flagged)
    engine.dispose()


async def test_profile_shows_tier_flags_evidence_and_the_call_check(home: Path) -> None:
    from collector_tui.storage.engine import open_engine

    engine = open_engine(home / "cache.db")
    target = queue_page(engine, 0, 200, QueueFilter(flag="income.swing"))[0]
    app = CollectorApp(engine, settings=Settings(locale="en"), user="demo", clock=lambda: SYNC_AT)
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *target.id, "enter", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ProfileScreen) and app.screen.case_id == target.id
        from tests.test_tui import plain

        risk = plain(app.screen.query_one("#risk"))
        assert f"Tier {target.tier} · score {target.score}" in risk
        assert "Income varied" in risk and "threshold 30%" in risk
        assert "Call check now:" in risk
    engine.dispose()


async def test_queue_shows_group_counts_and_cycles_tiers(home: Path) -> None:
    from collector_tui.storage.engine import open_engine

    engine = open_engine(home / "cache.db")
    app = CollectorApp(engine, settings=Settings(locale="en"), user="demo", clock=lambda: SYNC_AT)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        from tests.test_tui import plain

        title = plain(app.screen.query_one("#queue-title"))
        assert "Golden window" in title and "Not callable now" in title
        table = app.screen.query_one(CaseTable)
        await pilot.press("t")
        await pilot.pause()
        assert 0 < table.row_count < 150 and present(table.row(0)).tier == "A"
    engine.dispose()


# --- the stored order of a hand-built portfolio ----------------------------------------------------------
# Twenty cases of the collector `demo`, each built for one line of docs/rules.md "Queue order" (and the stages
# of ../shared/domain.md). Every expected order below is written out by hand from those rules, never computed
# by the code under test. The ids are deliberately out of order, so that no order by id passes by chance.
#
# SYNC_AT is 2026-11-27 01:30 UTC: 09:30 in Shanghai, 07:00 in Kolkata, 01:30 in London and 21:30 on the 26th
# in Halifax (AST, UTC-4). The cn pack allows calls 08:00-22:00 and 3 connected calls a day; us-regf allows
# 08:00-21:00 and no call within 7 days of a conversation (the conversation day is day 1). Every customer
# here is otherwise clean: contract, two incomes, details confirmed, an emergency contact, one lender, no
# payments, spending or changes on file, so no risk flag is raised unless a case says so, and the score is
# the stage's points alone (stage 1: 5, stage 2: 15, stage 3: 30, 90+: 40), all tier A (below 45).

SHANGHAI = ZoneInfo("Asia/Shanghai")
CN_MOBILE = "+8613800138000"


def _at(day: date, hh: int, mm: int = 0, zone: ZoneInfo = SHANGHAI) -> datetime:
    return datetime.combine(day, time(hh, mm), zone)


def _case(case_id: str, *, since: date, overdue: str, zone: str = "Asia/Shanghai", phone: str = CN_MOBILE,
          calls: tuple[tuple[datetime, str], ...] = (), promises: tuple[tuple[datetime, date, str], ...] = (),
          callbacks: tuple[datetime, ...] = (), suppressions: tuple[dict[str, Any], ...] = (),
          lenders: int = 1) -> dict[str, Any]:
    """A case document in the API v1 shape: overdue since `since`, `calls` (when, disposition) made to `phone`,
    `promises` (made, due, status) of 500 each, `callbacks` asked for, `lenders` active at the bureau."""
    n = case_id.removeprefix("C-")
    return {
        "id": case_id, "version": 1, "updated_at": "2026-11-26T09:00:00+00:00", "status": "open",
        "assigned_to": "demo",
        "customer": {
            "id": f"P-{n}", "name": f"Customer {n}", "locale": "en", "timezone": zone, "birth_year": 1980,
            "phones": [{"number": phone, "type": "mobile", "verified": True, "reachable": True,
                        "added_at": "2024-01-10", "last_reached_at": "2026-11-10T02:00:00+00:00"}],
            "address": {"line": "1 Road", "city": "City", "verified": True},
            "contact_info_confirmed_at": "2026-10-01",
            "emergency_contacts": [{"name": "Relative", "relation": "sibling", "phone": "+8613900139000"}],
            "employment": {"type": "salaried", "has_contract": True, "income_sources": 2, "employer": "Works",
                           "started_at": "2015-03-01"},
            "monthly_income": [{"month": f"2026-{m:02d}", "amount": "12000.00"} for m in range(5, 11)],
            "consents": {"data_processing": True, "sensitive_data": True, "recorded_at": "2024-01-10",
                         "channels": {"phone": True, "sms": True, "email": True, "app": True, "visit": True}},
            "bureau": {"active_lenders": lenders, "total_debt": "20000.00", "checked_at": "2026-11-01"},
            "suppressions": list(suppressions),
        },
        "loan": {"id": f"L-{n}", "currency": "CNY", "principal": "60000.00", "outstanding": "40000.00",
                 "overdue_amount": overdue, "dpd": (AS_OF - since).days, "overdue_since": since.isoformat(),
                 "due_day": since.day},
        "contacts": [{"id": f"K-{n}-{i}", "at": at.isoformat(), "channel": "phone", "target": "customer",
                      "disposition": disposition, "number": phone, "collector": "demo"}
                     for i, (at, disposition) in enumerate(calls)],
        "promises": [{"id": f"PR-{n}-{i}", "made_at": made.isoformat(), "due_date": due.isoformat(),
                      "amount": "500.00", "status": status} for i, (made, due, status) in enumerate(promises)],
        "callbacks": [{"id": f"CB-{n}-{i}", "at": at.isoformat()} for i, at in enumerate(callbacks)],
    }


D = date  # short, for the table below
PORTFOLIO = [
    # promise due today (2026-11-27), made in a conversation on the 15th; stage 3 (40 DPD)
    _case("C-114", since=D(2026, 10, 18), overdue="1500.00", calls=((_at(D(2026, 11, 15), 10), "promise_to_pay"),),
          promises=((_at(D(2026, 11, 15), 10), D(2026, 11, 27), "outstanding"),)),
    # a promise due on the 20th, broken, no conversation since; stage 2 (25 DPD)
    _case("C-103", since=D(2026, 11, 2), overdue="1000.00", calls=((_at(D(2026, 11, 10), 10), "promise_to_pay"),),
          promises=((_at(D(2026, 11, 10), 10), D(2026, 11, 20), "broken"),)),
    # a promise due on the 12th, broken, followed up by a right-party contact on the 14th; stage 3 (35 DPD)
    _case("C-119", since=D(2026, 10, 23), overdue="7000.00",
          calls=((_at(D(2026, 11, 5), 10), "promise_to_pay"), (_at(D(2026, 11, 14), 10), "rpc")),
          promises=((_at(D(2026, 11, 5), 10), D(2026, 11, 12), "broken"),)),
    # never contacted: 12 DPD (3 days of the golden window left), 5 DPD (10 left), 16 DPD (the window has closed)
    _case("C-108", since=D(2026, 11, 15), overdue="3500.00"),
    _case("C-117", since=D(2026, 11, 22), overdue="1200.00"),
    _case("C-105", since=D(2026, 11, 11), overdue="6000.00"),
    # 8 DPD (7 days left), one unanswered call: not a contact, so the first contact is still to be made
    _case("C-101", since=D(2026, 11, 19), overdue="2500.00", calls=((_at(D(2026, 11, 25), 10), "no_answer"),)),
    # callbacks asked for: yesterday 15:00 (missed, no call since), today 09:40, today 11:00; stage 2 each
    _case("C-112", since=D(2026, 11, 5), overdue="3000.00", calls=((_at(D(2026, 11, 12), 10), "callback_requested"),),
          callbacks=(_at(D(2026, 11, 26), 15),)),
    _case("C-106", since=D(2026, 10, 30), overdue="2800.00", calls=((_at(D(2026, 11, 13), 10), "callback_requested"),),
          callbacks=(_at(D(2026, 11, 27), 9, 40),)),
    _case("C-102", since=D(2026, 11, 8), overdue="4000.00", calls=((_at(D(2026, 11, 14), 10), "callback_requested"),),
          callbacks=(_at(D(2026, 11, 27), 11),)),
    # contacted, nothing pending: stage 3 (45 DPD), stage 2 (20 DPD), stage 2 with 4 lenders (24 DPD),
    # stage 1 (10 DPD, reached the day after), 90+ (120 DPD)
    _case("C-110", since=D(2026, 10, 13), overdue="9000.00", calls=((_at(D(2026, 11, 10), 10), "rpc"),)),
    _case("C-118", since=D(2026, 11, 7), overdue="8000.00", calls=((_at(D(2026, 11, 12), 10), "rpc"),)),
    _case("C-104", since=D(2026, 11, 3), overdue="2000.00", calls=((_at(D(2026, 11, 12), 10), "rpc"),), lenders=4),
    _case("C-109", since=D(2026, 11, 17), overdue="3000.00", calls=((_at(D(2026, 11, 18), 10), "rpc"),)),
    _case("C-107", since=D(2026, 7, 30), overdue="20000.00", calls=((_at(D(2026, 11, 10), 10), "rpc"),)),
    # customers elsewhere, contacted on the 10th: Halifax (21:30; stage 3, 56 DPD on its 26th), Kolkata (07:00;
    # stage 2, 20 DPD), London (01:30; stage 2)
    _case("C-115", since=D(2026, 10, 1), overdue="5000.00", zone="America/Halifax", phone="+19025550100",
          calls=((_at(D(2026, 11, 10), 10, zone=ZoneInfo("America/Halifax")), "rpc"),)),
    _case("C-116", since=D(2026, 11, 7), overdue="5500.00", zone="Asia/Kolkata", phone="+919820000000",
          calls=((_at(D(2026, 11, 10), 10, zone=ZoneInfo("Asia/Kolkata")), "rpc"),)),
    _case("C-111", since=D(2026, 11, 7), overdue="4500.00", zone="Europe/London", phone="+447700900123",
          calls=((_at(D(2026, 11, 10), 10, zone=ZoneInfo("Europe/London")), "rpc"),)),
    # three right-party calls this morning (stage 3, 50 DPD); an open dispute on the server (stage 2, 30 DPD)
    _case("C-113", since=D(2026, 10, 8), overdue="6500.00",
          calls=tuple((_at(D(2026, 11, 27), 8, m), "rpc") for m in (0, 10, 20))),
    _case("C-120", since=D(2026, 10, 28), overdue="3300.00",
          suppressions=({"type": "dispute", "channel": None, "since": "2026-11-20"},)),
]

# The order the cn pack's rules give at SYNC_AT, rule by rule (docs/rules.md, "Queue order").
CN_AT_SYNC = [
    # 1. promises due today, then broken promises not yet followed up
    "C-114", "C-103",
    # 2. no contact yet inside the golden window (15 days), fewest days left first: 3, 7, 10 days left
    "C-108", "C-101", "C-117",
    # 3. callbacks whose time has come (09:40 is within 15 minutes of 09:30) and missed ones, earliest first
    "C-112", "C-106",
    # 4. the rest: stage 3 by overdue amount (9000, 7000: its broken promise was followed up, 5000: Halifax at
    #    21:30 is inside cn's 08:00-22:00); stage 2 by amount (8000; 6000: the golden window closed unreached;
    #    4000: its callback at 11:00 is not due yet; 2000: one flag, still tier A); stage 1; then 90+, last of
    #    the rest though its amount is the largest
    "C-110", "C-119", "C-115", "C-118", "C-105", "C-102", "C-104", "C-109", "C-107",
    # 5. not callable now, by when each becomes callable: Kolkata at 08:00 IST (02:30 UTC), London at 08:00
    #    GMT (08:00 UTC), three connected calls today (CN-CONNECTED: tomorrow), a dispute (until lifted: never)
    "C-116", "C-111", "C-113", "C-120",
]
CN_BLOCKED_AT_SYNC = {"C-116": "CN-HOURS", "C-111": "CN-HOURS", "C-113": "CN-CONNECTED", "C-120": "CN-HOUSE-DISPUTE"}


class Desk(NamedTuple):
    """A cache synced once, at SYNC_AT with the cn pack, from a server that holds PORTFOLIO."""

    engine: Engine
    server: ServerThread


@pytest.fixture
def desk(server_db: Callable[[], str], tmp_path: Path) -> Iterator[Desk]:
    from collector_tui.storage.engine import open_engine

    served, _ = prepare(server_db(), SeedSpec(cases=0, collectors=1, as_of=AS_OF))
    rows = [{"id": doc["id"], "assigned_to": "demo", "team_id": TEAM_ID, "version": 1, "seq": i + 1,
             "status": "open", "doc": json.dumps(doc)} for i, doc in enumerate(PORTFOLIO)]
    with Session(served) as session:
        index_rows(session.connection(), rows, fresh=True)
        session.execute(insert(CaseDoc), rows)
        take_seqs(session, len(rows))
        session.commit()
    thread = ServerThread(served, admin=True).start()
    engine = open_engine(tmp_path / "desk" / "cache.db")
    try:
        with ApiClient(thread.url) as client:
            token = client.login("demo", "demo").access_token
        run_sync(engine, thread.url, "demo", token, now=lambda: SYNC_AT)
        yield Desk(engine, thread)
    finally:
        engine.dispose()
        thread.stop()
        served.dispose()


def _ids(engine: Engine) -> list[str]:
    return [r.id for r in queue_page(engine, 0, 500)]


def _blocked(engine: Engine) -> dict[str, str]:
    return {r.id: r.blocked_by for r in queue_page(engine, 0, 500) if r.blocked_by is not None}


def test_a_sync_stores_the_order_the_rules_give(desk: Desk) -> None:
    rows = queue_page(desk.engine, 0, 500)
    # The premises: only C-104 raises a flag (4 or more active lenders), and every case is tier A.
    assert {r.id: r.flags or "" for r in rows if r.flags} == {"C-104": "debt.many_lenders"}
    assert {r.tier for r in rows} == {"A"}
    assert [r.id for r in rows] == CN_AT_SYNC
    assert _blocked(desk.engine) == CN_BLOCKED_AT_SYNC
    assert [r.group for r in rows] == ["promise"] * 2 + ["golden"] * 3 + ["callback"] * 2 + ["rest"] * 9 + [
        "blocked"] * 4
    assert [r.stage for r in rows if r.group == "rest"] == [3, 3, 3, 2, 2, 2, 2, 1, 4]


def test_a_recorded_contact_re_places_its_case(desk: Desk) -> None:
    rules = build_rules(Settings())
    for case_id in ("C-108", "C-103"):
        recorder.record_outcome(desk.engine, rules, case_id, recorder.Outcome(channel="phone", disposition="rpc",
                                number=CN_MOBILE), now=SYNC_AT, collector="demo")
    assert _ids(desk.engine) == [
        # 1. C-103 leaves: its broken promise has now been followed up by a conversation
        "C-114",
        # 2. C-108 leaves: its first contact inside the golden window is made
        "C-101", "C-117",
        "C-112", "C-106",
        # 4. C-103 joins stage 2 with the smallest amount (1000); C-108 joins stage 1 before C-109 (3500 > 3000)
        "C-110", "C-119", "C-115", "C-118", "C-105", "C-102", "C-104", "C-103", "C-108", "C-109", "C-107",
        "C-116", "C-111", "C-113", "C-120",
    ]
    assert _blocked(desk.engine) == CN_BLOCKED_AT_SYNC  # one connected call today is not three


def test_the_passing_clock_re_places_what_went_stale(desk: Desk) -> None:
    from collector_tui.storage.queue_build import refresh_queue

    rules = build_rules(Settings())
    assert refresh_queue(desk.engine, SYNC_AT, rules) == 0  # nothing went stale yet
    later = datetime(2026, 11, 27, 2, 50, tzinfo=UTC)  # 10:50 Shanghai, 08:20 Kolkata, 22:50 Halifax
    assert refresh_queue(desk.engine, later, rules) > 0
    assert _ids(desk.engine) == [
        "C-114", "C-103",
        "C-108", "C-101", "C-117",
        # 3. C-102's callback at 11:00 has come (from 10:45); C-106's 09:40 is missed, still not followed up
        "C-112", "C-106", "C-102",
        # 4. stage 3 without Halifax; stage 2 with Kolkata (5500), callable since 08:00 IST
        "C-110", "C-119", "C-118", "C-105", "C-116", "C-104", "C-109", "C-107",
        # 5. London (08:00 UTC), Halifax (22:50 is past cn's 22:00: 08:00 AST, 12:00 UTC), C-113, C-120
        "C-111", "C-115", "C-113", "C-120",
    ]
    assert _blocked(desk.engine) == {"C-111": "CN-HOURS", "C-115": "CN-HOURS", "C-113": "CN-CONNECTED",
                                     "C-120": "CN-HOUSE-DISPUTE"}


# us-regf, and tier B from 19 points: 19 is stage 2's 15 plus the fewest points any flag adds (low: 4), so C-104's
# one flag makes it tier B whatever that flag's severity (at most 15 + 14 = 29, below C's 75).
US_AT_SYNC = [
    "C-114", "C-103",
    "C-108", "C-101", "C-117",
    "C-112", "C-106",
    # 4. stage 3 (C-115 now blocked); stage 2: tier B (C-104) before tier A, then the larger amount
    "C-110", "C-119", "C-104", "C-118", "C-105", "C-102", "C-109", "C-107",
    # 5. Kolkata 08:00 IST (02:30 UTC), London 08:00 GMT (08:00 UTC), Halifax (21:30 is past us-regf's 21:00:
    #    08:00 AST, 12:00 UTC), C-113 (US-7IN7: 7 days from today's conversations), the dispute (never)
    "C-116", "C-111", "C-115", "C-113", "C-120",
]
US_BLOCKED_AT_SYNC = {"C-116": "US-HOURS", "C-111": "US-HOURS", "C-115": "US-HOURS", "C-113": "US-7IN7",
                      "C-120": "US-DISPUTE"}


async def test_new_rules_in_the_settings_re_place_the_whole_queue_once(desk: Desk) -> None:
    from collector_tui.domain.rules import fingerprint
    from collector_tui.storage.queue_build import placed_with, refresh_queue

    engine = desk.engine
    old = build_rules(Settings())
    assert placed_with(engine) == fingerprint(old)  # the first sync recorded the rules it placed with
    assert _ids(engine) == CN_AT_SYNC
    settings = Settings(locale="en", policy="us-regf", weights={"tier_b_from": 19})
    new = build_rules(settings)
    app = CollectorApp(engine, settings=settings, user="demo", clock=lambda: SYNC_AT)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert _ids(engine) == US_AT_SYNC
        assert _blocked(engine) == US_BLOCKED_AT_SYNC
        assert {r.id: r.tier for r in queue_page(engine, 0, 500) if r.stage == 2 and r.group == "rest"} == {
            "C-104": "B", "C-118": "A", "C-105": "A", "C-102": "A"}
        assert placed_with(engine) == fingerprint(new)
        table = app.screen.query_one(CaseTable)
        assert [present(table.row(i)).id for i in range(table.row_count)] == US_AT_SYNC  # the screen re-read it
    # Once placed with the new rules, a refresh re-places only what went stale.
    assert refresh_queue(engine, SYNC_AT, new) == 0
    # And a sync with the old rules again (`collector-tui sync` with the old settings) puts them back.
    assert refresh_queue(engine, SYNC_AT, old) == len(PORTFOLIO)
    assert _ids(engine) == CN_AT_SYNC and _blocked(engine) == CN_BLOCKED_AT_SYNC
    assert placed_with(engine) == fingerprint(old)
