"""`purge` with work the server does not have yet: it says how much before it asks, keeps it, and the next sync
sends it. The real CLI, a real cache synced from the real server on loopback."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from collector_tui.storage import outbox
from collector_tui.storage.engine import open_engine
from collector_tui.sync.service import run_sync
from tests.conftest import CLI, SYNC_AT, RunningServer, cli_env

AT = "2026-11-27T11:00+08:00"


@pytest.fixture
def home(server: RunningServer, tmp_path: Path) -> Path:
    path = tmp_path / "work"
    engine = open_engine(path / "cache.db")
    run_sync(engine, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    engine.dispose()
    (path / "settings.toml").write_text('user = "demo"\n')
    return path


def run(home: Path, *args: str, stdin: str = "", locale: str = "en", **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "--locale", locale, *args], input=stdin, capture_output=True, text=True, timeout=120,
                          env=cli_env(home, **env))


def test_purge_says_what_work_is_unpushed_keeps_it_and_the_next_sync_sends_it(
    server: RunningServer, home: Path
) -> None:
    rows = json.loads(run(home, "queue", "--json", "--at", AT).stdout)
    first, second, quiet = [r["id"] for r in rows if r["callable"]][:3]
    for case_id in (first, second):
        done = run(home, "contact", "add", case_id, "--channel", "phone", "--disposition", "no_answer", "--at", AT)
        assert done.returncode == 0, done.stderr
    engine = open_engine(home / "cache.db")
    refused = next(e.id for e in outbox.entries(engine) if e.case_id == second)
    outbox.settle(engine, [], {refused: "rejected: test"}, [refused])  # as the server's verdict leaves it
    engine.dispose()

    # A case with nothing waiting: asked as before, nothing said about the outbox.
    out = run(home, "purge", "--case", quiet, stdin="n\n")
    assert out.returncode == 1 and "outbox" not in out.stderr + out.stdout
    # One case: its own work only, said before the question; "no" erases nothing.
    out = run(home, "purge", "--case", first, stdin="n\n")
    assert out.returncode == 1
    assert f"work on {first} that the server does not have yet: 1 change(s) waiting to be sent and 0 the server " \
           "refused. The purge keeps them" in out.stderr
    # Everything: the whole outbox, counted by state; said with --yes too.
    out = run(home, "purge", "--all", "--yes")
    assert out.returncode == 0 and "Erased 60" in out.stdout
    assert (
        "every case that the server does not have yet: 1 change(s) waiting to be sent and 1 the server refused"
        in out.stderr
    )
    # The purge's own audit record is work on its way to the server too.
    zh = run(home, "purge", "--all", "--yes", locale="zh_CN")
    assert "2 项等待发送，1 项被服务器拒绝。删除会保留这些工作" in zh.stderr

    engine = open_engine(home / "cache.db")
    assert [(e.type, e.case_id, e.state) for e in outbox.entries(engine)] == [
        ("contact.logged", first, "pending"), ("contact.logged", second, "failed"),
        ("audit.recorded", "", "pending"), ("audit.recorded", "", "pending")]
    engine.dispose()
    # The next sync sends what was waiting; the refused entry stays for a fix or a discard.
    env = {"COLLECTOR_TUI_API": server.url, "COLLECTOR_TUI_TOKEN": server.token("demo")}
    out = run(home, "sync", **env)
    assert out.returncode == 0, out.stderr
    assert "Pushed 3 (0 refused); outbox: 0 pending, 1 failed." in out.stdout
    engine = open_engine(home / "cache.db")
    assert [(e.case_id, e.state) for e in outbox.entries(engine)] == [(second, "failed")]
    engine.dispose()
