"""Speed as felt from the shell: spawning the workbench to its first queue row, and the two commands a dialer or
a cron job calls, each against a baseline process timed in the same run. scripts/bench.py calls `measure`."""

from __future__ import annotations

import fcntl
import json
import os
import re
import select
import shutil
import signal
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Callable
from pathlib import Path

RUNS = 15  # a start takes a fifth of a second: many pairs, for a median steady on a shared machine
BIN = Path(sys.executable).parent
COMMAND = str(BIN / "collector-tui")
SIZE = (40, 120)  # rows, columns of the pseudo-terminal
OFFLINE_API = "http://127.0.0.1:9"  # nothing listens: a start needs no network, and the token check fails quietly
DEADLINE_S = 60.0
ESCAPES = re.compile(rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")

FLOOR_MARK = "floor-app-ready"
FLOOR_APP = f"""
from textual.app import App
from textual.widgets import Static

class Floor(App):
    def compose(self):
        yield Static({FLOOR_MARK!r})

Floor().run()
"""

# The same fields as `collector-tui status --json`, read with sqlite3 alone.
STATUS_FLOOR = """
import json, sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
api, user, last_sync_at = db.execute("SELECT api_url, user, last_sync_at FROM syncstate WHERE id = 1").fetchone()
cases = db.execute('SELECT count(*) FROM "case"').fetchone()[0]
counts = dict(db.execute("SELECT state, count(*) FROM outboxentry GROUP BY state").fetchall())
print(json.dumps({"api": api, "user": user, "last_sync_at": last_sync_at, "cases": cases, "open_cases": cases,
                  "outbox_pending": counts.get("pending", 0), "outbox_failed": counts.get("failed", 0),
                  "schema_version": db.execute("PRAGMA user_version").fetchone()[0]}))
"""

# The same fields as `collector-tui queue --json`, from the stored queue in its order (the reason as its code).
QUEUE_FLOOR = """
import json, sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
rows = db.execute('SELECT q.case_id, q."group", q.reason, q.params, q.stage, q.dpd, q.tier, q.score, q.flags, '
                  'q.callable, q.blocked_by, q.next_allowed_at, c.currency FROM queue_entry q '
                  'JOIN "case" c ON c.id = q.case_id ORDER BY q.sort_key')
print(json.dumps([{"id": r[0], "position": i, "group": r[1], "reason": [r[2], json.loads(r[3]), r[12]], "stage": r[4],
                   "dpd": r[5], "tier": r[6], "score": r[7], "flags": r[8].split(), "callable": bool(r[9]),
                   "blocked_by": r[10], "next_allowed_at": r[11]} for i, r in enumerate(rows)], ensure_ascii=False))
"""


def make_home(cache: Path, where: Path) -> Path:
    """A signed-in collector's home on a copy of `cache` (sqlite3's backup: consistent while the bench holds it
    open)."""
    home = Path(tempfile.mkdtemp(prefix="home-", dir=where))  # owner-only, as a real home is
    source, target = sqlite3.connect(cache), sqlite3.connect(home / "cache.db")
    source.backup(target)
    source.close()
    target.close()
    (home / "settings.toml").write_text(f'api_url = "{OFFLINE_API}"\nuser = "demo"\nlocale = "en"\n', encoding="utf-8")
    return home


def first_row_text(home: Path) -> str:
    """The case id the queue's first row shows: the first entry in the stored order."""
    db = sqlite3.connect(f"file:{home / 'cache.db'}?mode=ro", uri=True)
    try:
        return str(db.execute("SELECT case_id FROM queue_entry ORDER BY sort_key LIMIT 1").fetchone()[0])
    finally:
        db.close()


def environment(home: Path | None = None) -> dict[str, str]:
    # As installed: modules compiled once and kept (the untimed first run writes them), whatever this shell says.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("COLLECTOR_TUI_", "TEXTUAL")) and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(TERM="xterm-256color", COLORTERM="truecolor", LANG="C.UTF-8")
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    if home is not None:
        env.update(COLLECTOR_TUI_HOME=str(home), COLLECTOR_TUI_TOKEN="bench-token")
    return env


def in_terminal(argv: list[str], mark: str, env: dict[str, str]) -> float:
    """Seconds from spawning `argv` in a fresh pseudo-terminal to `mark` appearing in what it draws."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", *SIZE, 0, 0))
    wanted = mark.encode()
    seen = b""
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
                               close_fds=True)
    os.close(slave)
    try:
        while True:
            ready, _, _ = select.select([master], [], [], DEADLINE_S)
            if not ready:
                raise RuntimeError(f"{argv[0]}: {mark!r} not drawn within {DEADLINE_S:.0f} s")
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal closed: the process ended
                chunk = b""
            if not chunk:
                raise RuntimeError(f"{argv[0]} ended before drawing {mark!r}: {ESCAPES.sub(b'', seen)[-400:]!r}")
            seen += chunk
            # Escape sequences (colours, cursor moves) may sit between the characters of a row as drawn.
            if wanted in ESCAPES.sub(b"", seen):
                return time.perf_counter() - start
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        os.close(master)


def run_timed(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=True)
    return time.perf_counter() - start, done.stdout


def paired(app: Callable[[], float], floor: Callable[[], float], runs: int = RUNS) -> tuple[float, float]:
    """Medians of `runs` timings each, taken in turns so that both see the same load, after one of each untimed."""
    app()
    floor()
    apps, floors = [], []
    for _ in range(runs):
        floors.append(floor())
        apps.append(app())
    return statistics.median(apps), statistics.median(floors)


def process_start(home: Path, program: str) -> tuple[float, float]:
    """The workbench to its first queue row, against a one-line Textual app to its line: medians, seconds."""
    env, floor_env = environment(home), environment()
    return paired(lambda: in_terminal([program], first_row_text(home), env),
                  lambda: in_terminal([sys.executable, "-c", FLOOR_APP], FLOOR_MARK, floor_env))


def command(home: Path, program: str, args: list[str], floor_script: str) -> tuple[float, float]:
    """A command's run against a sqlite3-only process printing the same fields: medians, seconds."""
    env, floor_env = environment(home), environment()
    cache = str(home / "cache.db")
    ours = run_timed([program, *args], env)[1]
    theirs = run_timed([sys.executable, "-c", floor_script, cache], floor_env)[1]
    # The two print the same fields of the same cases (the command places again what went stale: its order
    # may differ from the stored one the floor prints).
    mine, floor = json.loads(ours), json.loads(theirs)
    if isinstance(mine, list):
        assert sorted(r["id"] for r in mine) == sorted(r["id"] for r in floor), "the floor reads other cases"
        mine, floor = mine[0], floor[0]
    assert set(floor) <= set(mine), (sorted(floor), sorted(mine))
    return paired(lambda: run_timed([program, *args], env)[0],
                  lambda: run_timed([sys.executable, "-c", floor_script, cache], floor_env)[0])


def measure(small: Path, big: Path | None,
            program: str = COMMAND) -> tuple[dict[str, float | None], list[tuple[str, str]]]:
    """The shell's figures on the caches `small` (5,000 cases) and `big` (100,000; None in quick mode):
    the keys of the bench's JSON line and the rows of its table. `program`: the installed command."""
    work = Path(tempfile.mkdtemp(prefix="collector-shell-"))
    try:
        home = make_home(small, work)
        start_app, start_floor = process_start(home, program)
        status_app, status_floor = command(home, program, ["status", "--json"], STATUS_FLOOR)
        queue_app, queue_floor = command(home, program, ["queue", "--json"], QUEUE_FLOOR)
        big_app = big_floor = None
        if big is not None:
            big_app, big_floor = process_start(make_home(big, work), program)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    keys = {
        "process_start_ratio_5k": round(start_app / start_floor, 2),
        "process_start_ratio_100k": None if big_app is None or big_floor is None else round(big_app / big_floor, 2),
        "cli_status_ratio": round(status_app / status_floor, 2),
        "cli_queue_json_ratio_5k": round(queue_app / queue_floor, 2),
    }
    ms = "{:.0f} ms".format
    rows = [
        (f"spawn to first queue row in a terminal, 5,000 cases (median of {RUNS})",
         f"{ms(start_app * 1000)}; one-line Textual app {ms(start_floor * 1000)}"),
        *([] if big_app is None or big_floor is None else [
            (f"spawn to first queue row in a terminal, 100,000 cases (median of {RUNS})",
             f"{ms(big_app * 1000)}; one-line Textual app {ms(big_floor * 1000)}")]),
        (f"`status --json` (median of {RUNS})", f"{ms(status_app * 1000)}; sqlite3 process {ms(status_floor * 1000)}"),
        (f"`queue --json`, 5,000 cases (median of {RUNS})",
         f"{ms(queue_app * 1000)}; sqlite3 process {ms(queue_floor * 1000)}"),
    ]
    return keys, rows


if __name__ == "__main__":  # on caches at hand: python scripts/bench_shell.py SMALL.db [BIG.db]
    found, table = measure(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None,
                           os.environ.get("BENCH_COMMAND", COMMAND))
    for name, value in table:
        print(f"{name:<64} {value}")
    print(json.dumps(found))
