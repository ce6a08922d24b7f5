"""`collector-tui sync` as a script sees it: words that agree with the numbers, and an exit status of its own
when the server refused some of the work pushed. Real processes, the real server, a real cache."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collector_tui.storage import actions
from collector_tui.storage.engine import open_engine
from collector_tui.storage.queries import queue_page
from tests.conftest import CLI, RunningServer, cli_env

AT = datetime(2026, 11, 27, 3, tzinfo=UTC)


def run(home: Path, server: RunningServer, *args: str, locale: str = "en") -> subprocess.CompletedProcess[str]:
    env = cli_env(home, COLLECTOR_TUI_API=server.url, COLLECTOR_TUI_TOKEN=server.token("demo"))
    return subprocess.run([*CLI, "--locale", locale, *args], capture_output=True, text=True, timeout=120, env=env)


@pytest.mark.parametrize("locale, one_page, refused", [
    ("en", "removed in 1 page;", "refused 1 of the entries pushed"),
    ("zh_CN", "共 1 页", "拒绝了推送的 1 条记录"),
])
def test_a_refused_entry_gives_exit_5_and_one_page_is_one_page(
    server: RunningServer, tmp_path: Path, locale: str, one_page: str, refused: str
) -> None:
    home = tmp_path / "home"
    first = run(home, server, "sync", locale=locale)
    assert first.returncode == 0, first.stderr
    assert one_page in first.stdout  # 60 cases in one page of 500: not "1 pages"
    engine = open_engine(home / "cache.db")
    case_id = queue_page(engine, 0, 1)[0].id
    actions.log_contact(engine, case_id, at=AT, channel="pigeon", disposition="no_answer")  # the server refuses it
    engine.dispose()
    second = run(home, server, "sync", locale=locale)
    assert second.returncode == 5, second.stderr
    assert refused in second.stderr
    third = run(home, server, "sync", locale=locale)  # nothing new was refused: the entry waits, failed, in the outbox
    assert third.returncode == 0, third.stderr
