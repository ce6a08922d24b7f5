"""A collector's day against raw baselines measured in the same run: re-placing the whole queue after a rule
change, opening the contact form and the profile, and an eight-hour day in fast-forward (see docs/benchmarks.md).

`measure` takes what scripts/bench.py has built and returns (keys for the JSON line, rows for the table).
The day runs in a process of its own (this file, run with `session`), so that its memory is the app's alone.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from collector_tui.config import Settings, build_rules
from collector_tui.domain.priority import place_case
from collector_tui.domain.rules import Rules
from collector_tui.storage.engine import open_engine
from collector_tui.storage.facts import facts_from_rows
from collector_tui.storage.queue_build import rebuild_queue
from collector_tui.storage.queue_rows import UPSERT, placement_row, utc_text

RUNS = 3
MORNING = datetime(2026, 11, 27, 3, tzinfo=UTC)  # 11:00 in Shanghai: most of the queue is callable


def copy_cache(source: Engine | Path, target: Path) -> Path:
    """A consistent copy of a cache (SQLite's backup: the write-ahead log included)."""
    path = Path(source.url.database) if isinstance(source, Engine) else source  # type: ignore[arg-type]
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(path) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


# --- re-placing the whole queue ------------------------------------------------------------------------
FACT_QUERIES = {
    "case": 'SELECT c.*, u.timezone AS tz, u.birth_year, u.contact_info_confirmed_at, u.address, u.employment, '
            'u.student, u.consents, u.bureau, u.extra AS cx, l.overdue_since, l.due_day, l.extra AS lx '
            'FROM "case" c JOIN customer u ON u.case_id = c.id JOIN loan l ON l.case_id = c.id '
            "WHERE c.status = 'open'",
    "phone": "SELECT * FROM phone ORDER BY case_id, id",
    "contact": "SELECT * FROM contactattempt ORDER BY case_id, at",
    "promise": "SELECT * FROM promisetopay ORDER BY case_id, due_date",
    "callback": "SELECT * FROM callback ORDER BY case_id, at",
    "payment": "SELECT * FROM payment ORDER BY case_id, date",
}
JSON_COLUMNS = ("address", "employment", "student", "consents", "bureau", "cx", "lx")


def raw_replace(path: Path, now: datetime, rules: Rules) -> int:
    """The floor: every fact read with sqlite3 in one pass a table, each case placed with the same domain
    functions, the same rows written with one executemany in one transaction."""
    db = sqlite3.connect(path, isolation_level=None)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA synchronous=NORMAL")
    grouped: dict[str, dict[str, list[Any]]] = {}
    for name, sql in FACT_QUERIES.items():
        if name == "case":
            continue
        groups: dict[str, list[Any]] = {}
        for row in db.execute(sql):
            groups.setdefault(row["case_id"], []).append(row)
        grouped[name] = groups
    built = utc_text(now)
    rows = []
    for c in db.execute(FACT_QUERIES["case"]):
        case = dict(c)
        for column in JSON_COLUMNS:
            case[column] = json.loads(case[column]) if case[column] is not None else None
        facts = facts_from_rows(case, *(grouped[n].get(case["id"], []) for n in
                                        ("phone", "contact", "promise", "callback", "payment")))
        rows.append(placement_row(place_case(facts, now, rules), built))
    db.execute("BEGIN IMMEDIATE")
    db.executemany(UPSERT, rows)
    db.execute("COMMIT")
    db.close()
    return len(rows)


def replace_ratio(cache: Engine, work: Path, cases: int) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Re-placing every case after the rule pack changed, through the app's own path against the raw pass."""
    other = build_rules(Settings(policy="us-regf"))  # another pack: every placement is invalid
    app_s, raw_s = [], []
    for i in range(RUNS):
        path = copy_cache(cache, work / f"replace{i}.db")
        raw_s.append(_timed(lambda: raw_replace(path, MORNING, other)))
        engine = open_engine(path)
        app_s.append(_timed(lambda: rebuild_queue(engine, MORNING, other)))
        engine.dispose()
    ratio = statistics.median(app_s) / statistics.median(raw_s)
    pauses, shown = asyncio.run(keys_while_replacing(copy_cache(cache, work / "replace-live.db")))
    return ({"replace_100k_s_ratio": round(ratio, 2)},
            [(f"re-placing all {cases:,} cases after a rule change (median of {RUNS})",
              f"{statistics.median(app_s):.2f} s; raw pass {statistics.median(raw_s):.2f} s"),
             ("keys on the queue while the workbench re-places it",
              f"{len(pauses)} keys, largest pause {max(pauses, default=0):.0f} ms; the queue showed {shown:,} cases")])


async def keys_while_replacing(path: Path) -> tuple[list[float], int]:
    """The workbench opened with another rule pack than its queue was placed with: it re-places every case in a
    worker as it starts. Keys pressed meanwhile, each timed to its frame, and how many rows the queue showed."""
    from collector_tui.app import CollectorApp

    engine = open_engine(path)
    app = CollectorApp(engine, settings=Settings(locale="en", policy="us-regf"), user="demo", clock=lambda: MORNING)
    clock = FrameClock(app)
    pauses: list[float] = []
    keys: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        shown = app.screen.table.row_count  # type: ignore[attr-defined]
        moves = ["j"] * 20 + ["k"] * 5 + ["G", "g", "s", "escape"]
        while any(w.group == "reorder" and not w.is_finished for w in app.workers):
            keys.append(moves[len(pauses) % len(moves)])
            pauses.append(await clock.key(pilot, keys[-1]))
            if os.environ.get("BENCH_DAY_TRACE"):
                print(f"{keys[-1]} {pauses[-1]:.0f}", file=sys.stderr)
            await asyncio.sleep(0.05)  # a collector's pace, not a flood
    engine.dispose()
    return pauses, shown


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# --- opening the contact form and the profile -----------------------------------------------------------
class FrameClock:
    """Each frame's time, taken where the app hands it to the terminal (App._display, headless too)."""

    def __init__(self, app: Any) -> None:
        self.frames: list[float] = []
        display = app._display  # noqa: SLF001

        def record(screen: Any, renderable: Any) -> None:
            if renderable is not None:
                self.frames.append(time.perf_counter())
            display(screen, renderable)

        app._display = record  # noqa: SLF001

    async def key(self, pilot: Any, key: str) -> float:
        """Milliseconds from pressing `key` to the last frame it caused, once the screen has nothing left to paint."""
        self.frames.clear()
        start = time.perf_counter()
        await pilot.press(key)
        await settled(pilot.app)
        return ((self.frames[-1] if self.frames else start) - start) * 1000


async def settled(app: Any, limit: float = 5.0) -> None:
    """Until the screen has painted what it was asked to (its update timer paused, nothing dirty)."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        screen = app.screen
        timer = screen._update_timer  # noqa: SLF001
        busy = (screen._layout_required or screen._repaint_required or screen._dirty_widgets  # noqa: SLF001
                or timer._active.is_set())  # noqa: SLF001
        if not busy:
            return
        await asyncio.sleep(0.001)


def bench_app(cache: Engine, **kw: Any) -> Any:
    """The workbench, with one key more: F9 opens a screen holding one widget (the floor)."""
    from textual.binding import Binding
    from textual.screen import Screen
    from textual.widgets import Static

    from collector_tui.app import CollectorApp

    class OneWidget(Screen[None]):
        BINDINGS = [Binding("escape", "dismiss", "")]

        def compose(self):  # type: ignore[no-untyped-def]
            yield Static("ready")

        def action_dismiss(self) -> None:  # type: ignore[override]
            self.dismiss()

    class Workbench(CollectorApp):
        CSS_PATH = Path(sys.modules[CollectorApp.__module__].__file__ or "").parent / CollectorApp.CSS_PATH  # type: ignore[operator]
        BINDINGS = [*CollectorApp.BINDINGS, Binding("f9", "floor", "")]

        def action_floor(self) -> None:
            self.push_screen(OneWidget())

    return Workbench(cache, settings=Settings(locale="en"), user="demo", **kw)


OPENS = 30


async def form_opens(cache: Engine) -> dict[str, list[float]]:
    """Each key that opens a screen, timed to its frame: the floor, the contact form, the profile."""
    app = bench_app(cache, clock=lambda: MORNING)
    clock = FrameClock(app)
    times: dict[str, list[float]] = {"floor": [], "contact": [], "profile": []}
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for i in range(OPENS + 1):  # the first of each is untimed: its module and styles are read then
            for name, key in (("floor", "f9"), ("contact", "c"), ("profile", "enter")):
                ms = await clock.key(pilot, key)
                if i:
                    times[name].append(ms)
                await pilot.press("escape")
                await pilot.pause()
            await pilot.press("j")  # another case each time
    return times


def form_open(cache: Engine) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    gc.collect()
    times = asyncio.run(form_opens(cache))
    p = {name: _p95(values) for name, values in times.items()}
    m = {name: statistics.median(values) for name, values in times.items()}
    over = max(p["contact"], p["profile"]) - p["floor"]
    return ({"form_open_ms_over_floor": round(over, 1)},
            [(f"opening the contact form and the profile (p95 of {OPENS} each; median)",
              f"form {p['contact']:.1f} ms ({m['contact']:.1f}), profile {p['profile']:.1f} ms ({m['profile']:.1f}); "
              f"a one-widget screen {p['floor']:.1f} ms ({m['floor']:.1f})")])


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


# --- an eight-hour day in fast-forward ------------------------------------------------------------------
DAY_START = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)  # 07:30 in Shanghai; London and New York pass midnight
DAY = timedelta(hours=8)
DAY_KEYS, DAY_SYNCS, DAY_CONTACTS = 10_000, 50, 500
# `scripts/bench --quick` runs the same day with a quarter of its keys and contacts (the same syncs and hours).
DAY_SHARE = 0.25 if "--quick" in sys.argv else 1.0
# One round of a collector's keys: move, a profile, filters, a search, then a contact (c ... Ctrl+S).
ROUND = ["j", "j", "j", "k", "enter", "j", "k", "escape", "s", "t", "escape", "G", "g", "slash", "2", "backspace",
         "escape", "j", "c"]


class FastClock:
    """The app's clock, moved on by the script: a whole day in the time the keys take."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def rss_mb() -> float:
    """Resident memory now (not the peak), after a full collection."""
    gc.collect()
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def day(cache_path: str, url: str, token: str, keys: int, contacts: int) -> dict[str, Any]:
    """The day itself, in this process: every key timed to its frame, memory after the first hour and at the end."""
    import httpx
    from textual.widgets import Checkbox, Select

    from collector_tui.app import CollectorApp
    from collector_tui.screens.contact import ContactScreen

    clock = FastClock(DAY_START)
    step = DAY / keys
    app = CollectorApp(open_engine(cache_path), settings=Settings(locale="en"), api=url, user="demo", token=token,
                       clock=clock)
    frames = FrameClock(app)
    pauses: list[tuple[float, str]] = []
    counts = {"syncs": 0, "contacts": 0, "blocked": 0, "refused": 0}
    first_hour = 0.0
    sync_every = max(1, keys // DAY_SYNCS)

    async def press(key: str) -> None:
        clock.now += step
        pauses.append((await frames.key(pilot, key), key))

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        while len(pauses) < keys or counts["contacts"] < contacts:
            for key in ROUND if counts["contacts"] < contacts else ROUND[:-1]:
                await press(key)
            screen = app.screen
            if isinstance(screen, ContactScreen):
                if screen.decision is not None and screen.decision.allowed:
                    screen.query_one("#disposition", Select).value = "no_answer"
                    await pilot.pause()
                    for box in screen.query(Checkbox):
                        box.value = box.value or not box.disabled
                    await press("ctrl+s")
                    counts["contacts"] += not isinstance(app.screen, ContactScreen)
                    if isinstance(app.screen, ContactScreen):  # refused (a value, a rule): leave it, unsaved
                        counts["refused"] += 1
                        await press("escape")
                        await press("y")
                else:
                    counts["blocked"] += 1
                    await press("escape")
            # What the app's own timers do each minute and quarter hour, at the day's pace.
            app.reorder_if_due()
            app.check_callbacks()
            if len(pauses) // sync_every > counts["syncs"] and not app.syncing:
                httpx.post(f"{url}/v1/admin/churn", json={"seed": counts["syncs"] + 1, "payments": 20})
                await press("r")
                counts["syncs"] += 1
            if not first_hour and clock.now - DAY_START >= DAY / 8:
                first_hour = rss_mb()
        while app.syncing:
            await asyncio.sleep(0.05)
        await pilot.pause()
        end = rss_mb()
    worst = max(pauses)
    ms = sorted(p for p, _ in pauses)
    return {"keys": len(pauses), **counts, "max_pause_ms": round(worst[0], 1), "max_pause_key": worst[1],
            "p99_ms": round(ms[int(len(ms) * 0.99)], 1), "mem_first_hour_mb": round(first_hour, 1),
            "mem_end_mb": round(end, 1), "clock_end": clock.now.isoformat()}


def long_session(cache: Engine, url: str, token: str, work: Path, keys: int = int(DAY_KEYS * DAY_SHARE),
                 contacts: int = int(DAY_CONTACTS * DAY_SHARE)) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The day in a process of its own, on a copy of the cache, against the server at `url` (its cases)."""
    path = copy_cache(cache, work / "day.db")
    with sqlite3.connect(path) as db:  # the same cases, served again (a server restarted on another port)
        db.execute("UPDATE syncstate SET api_url = ?", (url,))
    job = json.dumps({"cache": str(path), "url": url, "token": token, "keys": keys, "contacts": contacts})
    done = subprocess.run([sys.executable, __file__, "session"], input=job, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"the day failed: {done.stderr[-2000:]}")
    r = json.loads(done.stdout.strip().splitlines()[-1])
    growth = (r["mem_end_mb"] / r["mem_first_hour_mb"] - 1) * 100
    keys_out = {"long_session_max_pause_ms": r["max_pause_ms"], "long_session_mem_growth_pct": round(growth, 1)}
    return keys_out, [
        (f"an eight-hour day: {r['keys']:,} keys, {r['syncs']} syncs, {r['contacts']} contacts, midnight in "
         "London and New York", f"largest pause {r['max_pause_ms']:.1f} ms ({r['max_pause_key']}), p99 "
         f"{r['p99_ms']:.1f} ms; memory {r['mem_first_hour_mb']:.0f} MB after the first hour, "
         f"{r['mem_end_mb']:.0f} MB at the end ({growth:+.1f}%)"),
    ]


def measure(*, server_url: str, token: str, cache: Engine, small: Engine, small_server: Callable[[], Any] | None,
            work: Path, cases: int) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Every figure of this module: (keys for the JSON line, rows for the table).

    `cache` holds the run's `cases` (re-placed); `small` is the collector-sized cache the day runs on, against
    `server_url` or, when that server holds more cases than `small`, a server `small_server()` starts.
    """
    keys: dict[str, Any] = {}
    rows: list[tuple[str, str]] = []
    for part in (lambda: replace_ratio(cache, work, cases), lambda: form_open(small)):
        k, r = part()
        keys.update(k)
        rows += r
    if small_server is None:
        k, r = long_session(small, server_url, token, work)
    else:
        from collector_tui.sync.client import ApiClient

        own = small_server()
        try:
            k, r = long_session(small, own.url, ApiClient(own.url).login("demo", "demo").access_token, work)
        finally:
            own.stop()
    keys.update(k)
    return keys, rows + r


if __name__ == "__main__" and sys.argv[1:] == ["session"]:
    job = json.loads(sys.stdin.read())
    print(json.dumps(asyncio.run(day(job["cache"], job["url"], job["token"], job["keys"], job["contacts"]))))
