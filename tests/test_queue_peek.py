"""`queue --json` and `status` without typer or the database toolkit: the same answers as the full path."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from collector_tui.config import Settings, build_rules
from collector_tui.launch import plain, queue_json
from collector_tui.storage.engine import open_engine
from collector_tui.storage.peek import stored_queue
from collector_tui.storage.queries import queue_page
from collector_tui.storage.queue_build import refresh_queue
from collector_tui.storage.queue_rows import utc_text
from collector_tui.sync.service import run_sync
from collector_tui.work.queue_peek import queue_rows
from tests.conftest import CLI, SYNC_AT, MakeServer, cli_env, present


@pytest.fixture
def home(make_server: MakeServer, tmp_path: Path) -> Path:
    server = make_server(cases=200)
    path = tmp_path / "home"
    engine = open_engine(path / "cache.db")
    run_sync(engine, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    engine.dispose()
    return path


@pytest.mark.parametrize("later", [timedelta(minutes=1), timedelta(hours=9)])
def test_the_quick_queue_is_the_one_the_workbench_shows(home: Path, later: timedelta) -> None:
    cache = home / "cache.db"
    engine = open_engine(cache)
    rules = build_rules(Settings())
    now = SYNC_AT + later
    stale = present(stored_queue(cache, utc_text(now)))[2]
    quick = present(queue_rows(cache, now, rules))
    # A minute on, every placement still holds; hours later, some went stale and only those were placed again.
    assert (stale == []) is (later == timedelta(minutes=1))
    assert len(stale) < len(quick.placed) == 100
    # The workbench at that moment: the stale placements placed again and stored, the queue read in its order.
    refresh_queue(engine, now, rules)
    assert [p.case_id for p in quick.placed] == [row.id for row in queue_page(engine, 0, 1000)]
    assert present(stored_queue(cache, utc_text(now)))[2] == []  # nothing stale after the refresh
    stored = present(queue_rows(cache, now, rules))
    assert (queue_json(quick.placed, quick.currency, quick.zone)
            == queue_json(stored.placed, stored.currency, stored.zone))
    engine.dispose()


def test_a_queue_placed_with_other_rules_is_left_to_the_full_path(home: Path) -> None:
    other = build_rules(Settings(policy="us-regf"))
    assert queue_rows(home / "cache.db", SYNC_AT, other) is None
    assert queue_rows(home / "nowhere.db", SYNC_AT, build_rules(Settings())) is None


def test_queue_json_now_lists_every_open_case(home: Path) -> None:
    quick = subprocess.run([*CLI, "--locale", "en", "queue", "--json"], capture_output=True, text=True, timeout=120,
                           env=cli_env(home))
    assert quick.returncode == 0, quick.stderr
    rows = json.loads(quick.stdout)
    assert [r["position"] for r in rows] == list(range(100))
    assert all(r["reason"] and (r["blocked_by"] is None) is r["callable"] for r in rows)
    at = subprocess.run([*CLI, "--locale", "en", "queue", "--json", "--at", SYNC_AT.isoformat()],
                        capture_output=True, text=True, timeout=120, env=cli_env(home))
    assert at.returncode == 0, at.stderr
    placed = json.loads(at.stdout)
    # Placed at a moment by the full path, its times are in UTC too, as the cache stores them.
    assert any(r["next_allowed_at"] for r in placed)
    assert all(r["next_allowed_at"] is None or r["next_allowed_at"].endswith("+00:00") for r in placed)


def test_only_plain_command_lines_skip_typer() -> None:
    assert plain([]) == ({}, [])
    assert plain(["--home", "/h", "--locale=en", "status", "--json"]) == ({"--home": "/h", "--locale": "en"},
                                                                         ["status", "--json"])
    assert plain(["queue", "--json"]) == ({}, ["queue", "--json"])
    for args in (["queue"], ["queue", "--json", "--at", "2026-11-27T10:00"], ["status", "--help"], ["--help"],
                 ["--home"], ["--home", "--json"], ["--home=", "status"], ["--home", "a", "--home", "b"], ["sync"],
                 ["--locale", "en", "queue", "--json", "--policy", "cn"]):
        assert plain(args) is None, args
