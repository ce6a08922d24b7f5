"""A crash of the workbench: exit 70, one line naming the error and its log, and no local variable anywhere.

The workbench runs as a collector runs it, `collector-tui` in a terminal (a pseudo-terminal here), on a cache
synced from the reference server, with one case row damaged after the sync: its overdue amount is no longer a
number, so the queue cannot paint it. The row's customer name is a secret-looking value: a crash report that
showed the frame's local variables (the row being painted) would print it, and so would a log that kept them.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import stat
import struct
import termios
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from collector_tui import crash
from collector_tui.storage.engine import open_engine
from collector_tui.storage.queries import queue_page
from collector_tui.sync.service import run_sync
from tests.conftest import CLI, SYNC_AT, RunningServer, cli_env

SECRET_NAME = "SECRETNAME7Q4111111111111111"
SECRET_TOKEN = "tok-SECRET-9f8e7d6c5b4a39281706"
ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|[@-Z\\-_])")
LINES = {
    "en": re.compile(r"collector-tui: crashed: ValueError: not an amount: 'not-an-amount' \(details: (\S+\.log)\)"),
    "zh_CN": re.compile(r"collector-tui：程序出错退出：ValueError: not an amount: 'not-an-amount'（详情：(\S+\.log)）"),
}


def run_in_terminal(args: list[str], env: dict[str, str], timeout: float = 60) -> tuple[int, str]:
    """Run `args` on a 100x30 pseudo-terminal until it exits: its exit status and all it wrote, escapes removed."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the terminal is its stdin, stdout and stderr
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        os.execvpe(args[0], args, env)
    out = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    else:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), ANSI.sub("", out.decode("utf-8", "replace"))


@pytest.fixture
def damaged_home(server: RunningServer, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    engine = open_engine(home / "cache.db")
    run_sync(engine, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    first = queue_page(engine, 0, 1)[0].id
    with engine.begin() as conn:  # damaged after the sync: the queue's first row cannot be painted
        conn.execute(text('UPDATE "case" SET overdue_amount = \'not-an-amount\', customer_name = :name WHERE id = :id'),
                     {"name": SECRET_NAME, "id": first})
    engine.dispose()
    return home


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_a_crash_exits_70_with_one_line_and_a_log_without_locals(
    server: RunningServer, damaged_home: Path, tmp_path: Path, locale: str
) -> None:
    state = tmp_path / "state"  # the user's log folder lives under XDG_STATE_HOME
    env = cli_env(damaged_home, XDG_STATE_HOME=str(state), TERM="xterm-256color", COLLECTOR_TUI_API=server.url,
                  COLLECTOR_TUI_USER="demo", COLLECTOR_TUI_TOKEN=SECRET_TOKEN)
    status, output = run_in_terminal([*CLI, "--locale", locale], env)

    assert status == 70, output[-2000:]
    found = LINES[locale].findall(output)
    assert len(found) == 1, output[-2000:]
    log = Path(found[0])
    assert log.parent == state / "collector-tui" / "log"
    assert stat.S_IMODE(log.stat().st_mode) == 0o600 and stat.S_IMODE(log.parent.stat().st_mode) == 0o700
    # The line is the only report on the terminal: no traceback, no locals.
    assert "Traceback" not in output and "locals" not in output
    assert SECRET_NAME not in output and SECRET_TOKEN not in output
    report = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in report and "format_money" in report
    assert "ValueError: not an amount: 'not-an-amount'" in report
    assert SECRET_NAME not in report and SECRET_TOKEN not in report


def test_only_the_newest_crash_logs_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    folder = crash.log_dir()
    folder.mkdir(parents=True)
    for n in range(crash.KEEP + 5):
        old = folder / f"crash-old-{n:02d}.log"
        old.write_text("old")
        os.utime(old, (n, n))
    try:
        raise RuntimeError("second line follows\nand is not shown")
    except RuntimeError as exc:
        reported = crash.report(exc)
    assert reported.log is not None and reported.log.exists()
    assert "RuntimeError: second line follows (details: " in reported.line and "\n" not in reported.line
    assert len(list(folder.glob("crash-*.log"))) == crash.KEEP
