"""A cache damaged after it opened (corrupt pages hit by a query): every command says so in one message, with
the way to recover, and `outbox rescue` takes what the damaged outbox still holds to the server. The real CLI,
a real synced cache file with pages overwritten, the real server on loopback."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

from sqlmodel import Session, select

from collector_tui.server.models import AppliedMutation
from tests.conftest import CLI, RunningServer, cli_env

AT = "2026-11-27T11:00+08:00"
PAGE = 4096


def run(home: Path, *args: str, stdin: str = "", locale: str = "en", **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "--locale", locale, *args], input=stdin, capture_output=True, text=True, timeout=120,
                          env=cli_env(home, **env))


def damage(path: Path) -> list[int]:
    """Overwrite the pages in the middle of the file that hold cases and the queue (not the outbox, the sync state
    or the schema on page 1), as a bad disk sector would; the pages overwritten."""
    conn = sqlite3.connect(path)
    (size,) = conn.execute("PRAGMA page_size").fetchone()
    assert size == PAGE
    pages = sorted(n for (n,) in conn.execute(
        "SELECT pageno FROM dbstat WHERE name IN ('case', 'queue_entry', 'phone', 'customer', 'loan')"))
    total = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.close()
    middle = [n for n in pages if total // 4 <= n <= 3 * total // 4 and n > 1]
    assert len(middle) >= 4
    junk = bytes(range(256)) * (PAGE // 256)
    with open(path, "r+b") as f:
        for n in middle:
            f.seek((n - 1) * PAGE)
            f.write(junk)
        f.flush()
        os.fsync(f.fileno())
    return middle


def test_a_damaged_cache_is_one_clear_message_everywhere_and_its_outbox_is_rescued(
    server: RunningServer, tmp_path: Path
) -> None:
    env = {"COLLECTOR_TUI_API": server.url, "COLLECTOR_TUI_TOKEN": server.token("demo")}
    old = tmp_path / "old"
    assert run(old, "sync", **env).returncode == 0
    (old / "settings.toml").write_text('user = "demo"\n')
    rows = json.loads(run(old, "queue", "--json", "--at", AT).stdout)
    cases = [r["id"] for r in rows if r["callable"]][:2]
    ids = []
    for case_id in cases:
        done = run(old, "contact", "add", case_id, "--channel", "phone", "--disposition", "no_answer", "--at", AT)
        assert done.returncode == 0, done.stderr
        ids.append(done.stdout.split()[1].rstrip(";"))
    cache = old / "cache.db"
    assert not (old / "cache.db-wal").exists() or (old / "cache.db-wal").stat().st_size == 0
    damage(cache)
    kept = cache.read_bytes()

    # Every command that reads the damaged pages: the same one message, how to recover, no traceback.
    for args, extra in (
        (["queue"], {}),
        (["today"], {}),
        (["contact", "add", cases[0], "--channel", "sms", "--disposition", "message_left", "--at", AT], {}),
        (["promise", "add", cases[0], "--date", "2026-12-01", "--amount", "100"], {}),
        (["purge", "--case", cases[0], "--yes"], {}),
    ):
        out = run(old, *args, **extra)
        said = out.stdout + out.stderr
        assert out.returncode == 1, (args, said)
        assert "Traceback" not in said and "sqlalchemy" not in said, (args, said)
        assert f"the cache {cache} is damaged (database disk image is malformed)." in out.stderr, (args, said)
        assert "Keep this file" in out.stderr and f"outbox rescue {cache}" in out.stderr, (args, said)
    zh = run(old, "queue", locale="zh_CN")
    assert zh.returncode == 1 and f"缓存 {cache} 已损坏" in zh.stderr and "outbox rescue" in zh.stderr
    assert cache.read_bytes() == kept  # none of them wrote to the damaged file

    # The way out: a new home, signed in and synced; the rescue takes the damaged outbox; the sync pushes it.
    new = tmp_path / "new"
    assert run(new, "sync", **env).returncode == 0
    assert run(new, "outbox", "rescue", str(new / "cache.db")).returncode == 2  # not its own cache
    out = run(new, "outbox", "rescue", str(cache), **env)
    assert out.returncode == 0, out.stderr
    assert f"From {cache}: 2 entries taken into this outbox (2 waiting, 0 the server refused), 0 already here, " \
           "0 unreadable." in out.stdout
    assert cache.read_bytes() == kept  # read, never written
    again = run(new, "outbox", "rescue", str(cache), **env)
    assert "0 entries taken into this outbox (2 waiting, 0 the server refused), 2 already here" in again.stdout
    listed = run(new, "outbox").stdout.splitlines()
    assert sorted(line.split("\t")[0] for line in listed) == sorted(ids)
    out = run(new, "sync", **env)
    assert out.returncode == 0 and "Pushed 2 (0 refused); outbox: 0 pending, 0 failed." in out.stdout, out.stdout
    with Session(server.engine) as s:
        applied = s.execute(select(AppliedMutation.id, AppliedMutation.username, AppliedMutation.status)
                            .where(AppliedMutation.id.in_(ids))).all()  # type: ignore[attr-defined]
    assert sorted(applied) == sorted((i, "demo", "applied") for i in ids)
    # Rescued a second time and pushed again: the server knows each by its id, nothing is recorded twice.
    assert "2 entries taken" in run(new, "outbox", "rescue", str(cache)).stdout
    assert "Pushed 2 (0 refused)" in run(new, "sync", **env).stdout
    # The damaged home's own sync: it pushes first (its outbox pages are sound; the server answers duplicate),
    # then the pull meets the damage and says so, the same message.
    out = run(old, "sync", **env)
    assert out.returncode == 1 and "Traceback" not in out.stdout + out.stderr
    assert f"the cache {cache} is damaged" in out.stderr and f"outbox rescue {cache}" in out.stderr
    with Session(server.engine) as s:
        assert len(s.execute(select(AppliedMutation.id).where(AppliedMutation.id.in_(ids))).all()) == 2  # type: ignore[attr-defined]


def test_another_users_damaged_cache_is_not_pushed_under_this_token(server: RunningServer, tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    assert run(theirs, "sync", COLLECTOR_TUI_API=server.url, COLLECTOR_TUI_TOKEN=server.token("demo2")).returncode == 0
    damage(theirs / "cache.db")
    mine = tmp_path / "mine"
    env = {"COLLECTOR_TUI_API": server.url, "COLLECTOR_TUI_TOKEN": server.token("demo")}
    assert run(mine, "sync", **env).returncode == 0
    out = run(mine, "outbox", "rescue", str(theirs / "cache.db"))
    assert out.returncode == 2 and "holds demo2's work: it is pushed only by demo2" in out.stderr
