"""My day: `collector-tui today --json` and the day screen count what was recorded, against the team's targets the
server sends; a lead sees each collector's day, missed callbacks among it."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from collector_tui.app import CollectorApp
from collector_tui.config import Settings
from collector_tui.domain.rules import Rules
from collector_tui.policies import load_pack
from collector_tui.screens.today import TodayScreen
from collector_tui.storage.engine import open_engine
from collector_tui.storage.queries import queue_page
from collector_tui.sync.service import run_sync
from collector_tui.work import contact as recorder
from collector_tui.work.status import me
from tests.conftest import CLI, SYNC_AT, RunningServer, cli_env
from tests.test_tui import plain

SH = ZoneInfo("Asia/Shanghai")
CN = Rules(pack=load_pack("cn"))
EVENING = "2026-11-27T18:00+08:00"


def today(home: Home, *args: str, **env: str) -> dict[str, Any]:
    out = subprocess.run([*CLI, "--locale", "en", "today", "--json", "--at", EVENING, *args], capture_output=True,
                         text=True, timeout=120, env=cli_env(home, **env))  # type: ignore[arg-type]
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def callable_cases(engine: Engine, n: int) -> list[str]:
    return [r.id for r in queue_page(engine, 0, 60) if r.callable and r.currency == "CNY"][:n]


class Home(NamedTuple):
    path: Path
    engine: Engine


@pytest.fixture
def home(server: RunningServer, tmp_path: Path) -> Iterator[Home]:
    path = tmp_path / "work"
    engine = open_engine(path / "cache.db")
    run_sync(engine, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    (path / "settings.toml").write_text('user = "demo"\n')
    yield Home(path, engine)
    engine.dispose()


def record_a_morning(engine: Engine) -> list[str]:
    """Four calls between 11:00 and 11:15: a promise, no answer, a right-party talk, a callback asked for."""
    cases = callable_cases(engine, 4)
    outcomes = [
        recorder.Outcome(
            channel="phone", disposition="promise_to_pay", promise=(date(2026, 11, 30), Decimal("1200.50"))
        ),
        recorder.Outcome(channel="phone", disposition="no_answer"),
        recorder.Outcome(channel="phone", disposition="rpc", note="will call back about the fee"),
        recorder.Outcome(
            channel="phone", disposition="callback_requested", callback_at=datetime(2026, 11, 27, 15, 0, tzinfo=SH)
        ),
    ]
    for n, (case_id, outcome) in enumerate(zip(cases, outcomes)):
        moment = datetime(2026, 11, 27, 11, 5 * n, tzinfo=SH)
        recorder.record_outcome(engine, CN, case_id, outcome, now=moment, collector="demo")
    return cases


def test_today_json_counts_what_was_recorded_against_the_servers_targets(server: RunningServer, home: Home) -> None:
    path, engine = home
    before = today(path)  # type: ignore[arg-type]
    assert before["targets"] == {"attempts": 60, "right_party": 15, "promises": 5, "promise_amount": "20000.00",
                                 "currency": "CNY"}
    assert (before["day"], before["zone"], before["user"]) == ("2026-11-27", "Asia/Shanghai", "demo")
    cases = record_a_morning(engine)
    after = today(path)  # type: ignore[arg-type]
    assert after["attempts"] - before["attempts"] == 4
    assert after["right_party"] - before["right_party"] == 3  # the promise, the talk, the callback asked for
    assert after["promises"] - before["promises"] == 1
    assert Decimal(after["promised"]["CNY"]) - Decimal(before["promised"].get("CNY", "0")) == Decimal("1200.50")
    # The callback asked for at 11:15 for 15:00 was not made by 18:00: due today and missed.
    assert after["callbacks_today"] - before["callbacks_today"] == 1
    assert after["callbacks_missed"] - before["callbacks_missed"] == 1
    assert after["cases"] == before["cases"] and before["untouched"] - after["untouched"] == len(set(cases))
    # The server takes the work and sends it back as its own: the day is the same.
    token = server.token()
    synced = subprocess.run([*CLI, "sync"], capture_output=True, text=True, timeout=120,
                            env=cli_env(path, COLLECTOR_TUI_API=server.url, COLLECTOR_TUI_TOKEN=token,
                                        COLLECTOR_TUI_USER="demo"))
    assert synced.returncode == 0, synced.stderr
    again = today(path)  # type: ignore[arg-type]
    assert {k: again[k] for k in again if k != "targets"} == {k: after[k] for k in after if k != "targets"}


def test_today_as_a_table_in_chinese(home: Home) -> None:
    path, engine = home
    record_a_morning(engine)
    out = subprocess.run([*CLI, "--locale", "zh_CN", "today", "--at", EVENING], capture_output=True, text=True,
                         timeout=120, env={**cli_env(path), "COLUMNS": "120"})
    assert out.returncode == 0, out.stderr
    assert "今日工作 · 2026-11-27，您的日期（Asia/Shanghai）· 截至 18:00" in out.stdout
    assert "联系尝试" in out.stdout and "团队目标" in out.stdout and "¥20,000.00" in out.stdout


def test_a_lead_sees_each_collectors_day_with_missed_callbacks(
    server: RunningServer, home: Home, tmp_path: Path
) -> None:
    path, engine = home
    record_a_morning(engine)
    env = dict(COLLECTOR_TUI_API=server.url, COLLECTOR_TUI_TOKEN=server.token(), COLLECTOR_TUI_USER="demo")
    assert subprocess.run([*CLI, "sync"], capture_output=True, timeout=120, env=cli_env(path, **env)).returncode == 0
    mine = today(path)  # type: ignore[arg-type]
    lead_home = tmp_path / "lead"
    lead = open_engine(lead_home / "cache.db")
    run_sync(lead, server.url, "lead", server.token("lead"), now=lambda: SYNC_AT)
    assert me(lead).role == "lead"  # type: ignore[union-attr]
    lead.dispose()
    team = today(lead_home)  # type: ignore[arg-type]
    assert team["user"] == "lead" and team["targets"] is None and set(team["collectors"]) == {"demo", "demo2"}
    demo = team["collectors"]["demo"]
    for key in ("attempts", "right_party", "promises", "promised", "callbacks_today", "callbacks_made",
                "callbacks_missed", "callbacks_open", "untouched", "cases"):
        assert demo[key] == mine[key], key
    assert demo["callbacks_missed"] >= 1
    assert team["attempts"] == sum(c["attempts"] for c in team["collectors"].values())



@pytest.mark.anyio
@pytest.mark.parametrize(("locale", "size", "words"), [
    ("en", (160, 50), ("My day · 2026-11-27, your day (Asia/Shanghai) · as of 18:00", "Attempts", "Team target")),
    ("zh_CN", (80, 24), ("今日工作 · 2026-11-27", "联系尝试", "团队目标")),
])
async def test_D_shows_my_day(home: Home, locale: str, size: tuple[int, int], words: tuple[str, str, str]) -> None:
    _path, engine = home
    record_a_morning(engine)
    moment = datetime.fromisoformat(EVENING)
    app = CollectorApp(engine, settings=Settings(locale=locale), user="demo", clock=lambda: moment)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("D")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TodayScreen)
        shown = plain(screen.query_one("#today-title")) + plain(screen.query_one("#today-figures"))
        for word in words:
            assert word in shown, (word, shown)
        expected = today(_path)  # type: ignore[arg-type]
        attempts_row = next(line for line in shown.splitlines() if line.strip().startswith(words[1]))
        assert str(expected["attempts"]) in attempts_row and "60" in attempts_row
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, TodayScreen)
