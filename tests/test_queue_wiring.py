"""The rules wired in: the stored queue order, `collector-tui queue`, pack switching, the profile's risk panel."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from collector_tui.app import CollectorApp
from collector_tui.config import Settings, SettingsError, build_rules, save_settings
from collector_tui.domain.rules import Rules
from collector_tui.screens.profile import ProfileScreen
from collector_tui.storage.queries import QueueFilter, queue_count, queue_group_counts, queue_page
from collector_tui.sync.service import run_sync
from collector_tui.widgets.case_table import CaseTable
from tests.conftest import CLI, SYNC_AT, MakeServer, cli_env, present

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


def _stored(engine: Engine) -> list[tuple[str, str | None, str]]:
    return [(r.id, r.blocked_by, r.tier or "") for r in queue_page(engine, 0, 500)]


def _expected(engine: Engine, rules: Rules) -> list[tuple[str, str | None, str]]:
    from collector_tui.storage.queue_build import place_all

    return [(p.case_id, p.blocked_by, p.tier) for p in place_all(engine, SYNC_AT, rules)]


async def test_new_rules_in_the_settings_re_place_the_whole_queue_once(home: Path) -> None:
    from collector_tui.domain.rules import fingerprint
    from collector_tui.storage.engine import open_engine
    from collector_tui.storage.queue_build import placed_with, refresh_queue

    engine = open_engine(home / "cache.db")
    old = build_rules(Settings())
    assert placed_with(engine) == fingerprint(old)  # the first sync recorded the rules it placed with
    settings = Settings(locale="en", policy="us-regf", weights={"tier_c_from": 40})
    new = build_rules(settings)
    assert _stored(engine) != _expected(engine, new)  # the stored queue is the old rules' order
    app = CollectorApp(engine, settings=settings, user="demo", clock=lambda: SYNC_AT)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert _stored(engine) == _expected(engine, new)
        assert placed_with(engine) == fingerprint(new)
        table = app.screen.query_one(CaseTable)
        assert present(table.row(0)).id == _expected(engine, new)[0][0]  # the screen re-read it
    # Once placed with the new rules, a refresh re-places only what went stale.
    assert refresh_queue(engine, SYNC_AT, new) == 0
    # And a sync with the old rules again (`collector-tui sync` with the old settings) puts them back.
    assert refresh_queue(engine, SYNC_AT, old) == 150
    assert _stored(engine) == _expected(engine, old) and placed_with(engine) == fingerprint(old)
    engine.dispose()
