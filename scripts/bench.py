"""Speed against raw baselines measured in the same run (see docs/benchmarks.md). Run through scripts/bench."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import platformdirs
from sqlalchemy import Engine
from textual.widgets import Input

import bench_day  # scripts/, beside this file
import bench_shell  # scripts/, beside this file

from collector_tui.app import CollectorApp
from collector_tui.config import Settings
from collector_tui.server.runner import ServerThread, prepare
from collector_tui.server.store import SeedSpec
from collector_tui.storage import actions
from collector_tui.storage.engine import open_engine
from collector_tui.storage.queries import queue_page
from collector_tui.storage.rows import insert_sql
from collector_tui.sync.client import ApiClient
from collector_tui.sync.push import push
from collector_tui.sync.service import run_sync

QUICK = "--quick" in sys.argv
CASES = 5_000 if QUICK else 100_000
SMALL = 5_000  # the cold start is measured on a collector-sized cache too
RUNS = 3
AS_OF = date(2026, 11, 27)
WORK = Path(tempfile.mkdtemp(prefix="collector-bench-"))
# Seeding 100,000 cases takes about a minute: the seeded database is kept and copied fresh into each run.
SEEDS = Path(platformdirs.user_cache_dir("collector-tui")) / "bench"


def seeded_server(cases: int) -> ServerThread:
    """The reference server on loopback with `cases` open cases, all assigned to `demo`."""
    # The name carries a digest of the generator and the server's tables: a change to either seeds anew.
    source = Path(__file__).resolve().parent.parent / "collector_tui" / "server"
    digest = hashlib.sha256(b"".join((source / f).read_bytes() for f in ("generator.py", "models.py", "store.py")))
    pristine = SEEDS / f"server-{cases}-seed7-{AS_OF}-{digest.hexdigest()[:12]}.db"
    if not pristine.exists():
        SEEDS.mkdir(parents=True, exist_ok=True)
        for stale in SEEDS.glob(f"server-{cases}-*.db"):
            stale.unlink()  # seeded by an older generator
        print(f"seeding {cases} cases (kept in {SEEDS}) ...", file=sys.stderr)
        engine, _ = prepare(pristine.with_suffix(".tmp"), SeedSpec(seed=7, cases=cases, collectors=1, as_of=AS_OF))
        engine.dispose()
        pristine.with_suffix(".tmp").rename(pristine)
    target = WORK / pristine.name
    shutil.copyfile(pristine, target)
    engine, _ = prepare(target, SeedSpec(seed=7, cases=cases, collectors=1, as_of=AS_OF))
    return ServerThread(engine, admin=True).start()


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


RAW_TABLES = ("case", "customer", "phone", "loan", "scheduleitem", "payment", "contactattempt")


def raw_sync(url: str, token: str, path: Path) -> None:
    """The floor: one pooled client, json.loads, the same rows written with executemany, a transaction a page."""
    open_engine(path).dispose()  # same schema
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
        cursor = None
        while True:
            params = {"limit": 500, **({"since": cursor} if cursor else {})}
            page = json.loads(client.get("/v1/cases", params=params).content)
            rows: dict[str, list[tuple[object, ...]]] = {t: [] for t in RAW_TABLES}
            for c in page["items"]:
                cu, ln = c["customer"], c["loan"]
                rows["case"].append((c["id"], c["version"], c["updated_at"], c["status"], c["assigned_to"], cu["id"],
                                     cu["name"], ln["dpd"], 1, ln["currency"], ln["overdue_amount"], 0, None))
                rows["customer"].append((cu["id"], c["id"], cu["name"], cu["locale"], cu["timezone"], cu["birth_year"],
                                         cu["id_number"], cu["contact_info_confirmed_at"], json.dumps(cu["address"]),
                                         json.dumps(cu["employment"]), json.dumps(cu["student"]),
                                         json.dumps(cu["consents"]), json.dumps(cu["bureau"]), "{}"))
                rows["phone"] += [(c["id"], p["number"], p["type"], p["verified"], p["reachable"], p["added_at"],
                                   p["last_reached_at"]) for p in cu["phones"]]
                rows["loan"].append((c["id"], ln["id"], ln["product"], ln["currency"], ln["principal"],
                                     ln["outstanding"], ln["overdue_amount"], ln["interest_due"], ln["fees_due"],
                                     ln["dpd"], ln["overdue_since"], ln["instalment"], ln["minimum_payment"],
                                     ln["due_day"], ln["declared_purpose"], "{}"))
                rows["scheduleitem"] += [(c["id"], s["seq"], s["due_date"], s["amount"], s["paid"], s["status"])
                                         for s in c["schedule"]]
                rows["payment"] += [(c["id"], p["id"], p["date"], p["amount"], p["minimum_only"])
                                    for p in c["payments"]]
                rows["contactattempt"] += [(x["id"], c["id"], x["at"], x["channel"], x["target"], x["disposition"], "",
                                            x["collector"], x["duration_s"], x["note"], "server", "")
                                           for x in c["contacts"]]
            db.execute("BEGIN IMMEDIATE")
            for table, batch in rows.items():
                # The same statements as the page writer's, built from the same column declarations (storage.rows).
                db.executemany(insert_sql(table, upsert=False).replace("INSERT", "INSERT OR REPLACE", 1), batch)
            db.execute("UPDATE syncstate SET cursor = ?", (page["next_cursor"],))
            db.execute("COMMIT")
            cursor = page["next_cursor"]
            if not page["has_more"]:
                break
    db.close()


def paint_median(make_app) -> float:  # type: ignore[no-untyped-def]
    """Median first paint over RUNS starts, after one untimed start (imports, first compiles) and with the
    garbage of the syncs before collected, as a fresh process would start."""
    asyncio.run(first_paint(make_app))
    times = []
    for _ in range(RUNS):
        gc.collect()
        times.append(asyncio.run(first_paint(make_app)))
    return statistics.median(times)


async def first_paint(make_app) -> float:  # type: ignore[no-untyped-def]
    """From building the app to its first screen painted (the app's own set-up counts)."""
    start = time.perf_counter()
    async with make_app().run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        return time.perf_counter() - start


# Keys a collector presses on the queue: move, jump, filter by stage and tier, search, clear.
KEYS = (["j"] * 40 + ["k"] * 10 + ["G", "g"] + ["s"] * 5 + ["t"] * 4 + ["S"] * 3
        + ["slash", "C", "-", "0", "0", "1", "2", "backspace", "backspace", "enter", "escape"] + ["j"] * 20)


async def key_latencies(app) -> list[float]:  # type: ignore[no-untyped-def]
    """Milliseconds from each key to the last frame it caused (measured inside the app).

    Pilot waits for the app to go idle in 20 ms steps, too coarse to time a key; the app's own frame
    output (App._display, called for every screen update even when headless) gives the repaint time.
    """
    frames: list[float] = []
    display = app._display  # noqa: SLF001

    def record(screen, renderable) -> None:  # type: ignore[no-untyped-def]
        if renderable is not None:
            frames.append(time.perf_counter())
        display(screen, renderable)

    app._display = record  # noqa: SLF001
    out = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for field in app.screen.query(Input):
            field.cursor_blink = False  # a blink is a frame no key caused: it would be timed as the key's
        await pilot.pause()  # and the repaint that setting causes is not the first key's either
        for key in KEYS:
            frames.clear()
            start = time.perf_counter()
            await pilot.press(key)
            await pilot.pause()
            out.append(((frames[-1] if frames else start) - start) * 1000)
    return out


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


def peak_rss_mb(cache_path: Path) -> float:
    """The app's peak resident memory, in a process of its own: open the queue, walk it, jump to its end."""
    probe = (
        "import asyncio, resource\n"
        "from collector_tui.app import CollectorApp\n"
        "from collector_tui.config import Settings\n"
        "from collector_tui.storage.engine import open_engine\n"
        f"app = CollectorApp(open_engine({str(cache_path)!r}), settings=Settings(locale='en'), user='demo')\n"
        "async def go():\n"
        "    async with app.run_test(size=(120, 40)) as pilot:\n"
        "        await pilot.pause()\n"
        f"        for key in {KEYS!r}:\n"
        "            await pilot.press(key)\n"
        "        await pilot.press('G')\n"
        "        await pilot.pause()\n"
        "asyncio.run(go())\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    rss = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return int(rss.stdout.strip()) / 1024


def synced_cache(server: ServerThread, token: str, path: Path) -> Engine:
    cache = open_engine(path)
    run_sync(cache, server.url, "demo", token)
    return cache


def main() -> None:
    from textual.app import App
    from textual.widgets import Static

    class Empty(App[None]):
        """The floor: every key repaints one line, as the queue's keys repaint at least a row."""

        presses = 0

        def compose(self):  # type: ignore[no-untyped-def]
            yield Static("ready", id="line")

        def on_key(self) -> None:
            self.presses += 1
            self.query_one("#line", Static).update(f"key {self.presses}", layout=False)

    print(f"preparing {CASES} cases ...", file=sys.stderr)
    server = seeded_server(CASES)
    token = ApiClient(server.url).login("demo", "demo").access_token
    full, raw = [], []
    for i in range(RUNS):
        print(f"full sync {i + 1} of {RUNS} ...", file=sys.stderr)
        raw.append(timed(lambda: raw_sync(server.url, token, WORK / f"raw{i}.db")))
        cache = open_engine(WORK / f"cache{i}.db")
        full.append(timed(lambda: run_sync(cache, server.url, "demo", token)))
        if i < RUNS - 1:
            cache.dispose()
    increments = []
    for i in range(RUNS):  # each time another 1% of the cases gets a new payment
        httpx.post(f"{server.url}/v1/admin/churn", json={"seed": i + 1, "payments": CASES // 100})
        increments.append(timed(lambda: run_sync(cache, server.url, "demo", token)))
    incremental = statistics.median(increments)
    settings = Settings(locale="en")
    print("cold start and keys ...", file=sys.stderr)
    start_empty = paint_median(Empty)
    if QUICK:
        small = cache
    else:
        small_server = seeded_server(SMALL)
        small = synced_cache(small_server, ApiClient(small_server.url).login("demo", "demo").access_token,
                             WORK / "small.db")
        small_server.stop()
    start_small = paint_median(lambda: CollectorApp(small, settings=settings, user="demo"))
    start_big = paint_median(lambda: CollectorApp(cache, settings=settings, user="demo"))
    # The p95 of each pass over the keys, the median of RUNS passes (each in a fresh app).
    keys_app = statistics.median(p95(asyncio.run(key_latencies(CollectorApp(cache, settings=settings, user="demo"))))
                                 for _ in range(RUNS))
    keys_empty = statistics.median(p95(asyncio.run(key_latencies(Empty()))) for _ in range(RUNS))
    peak_mb = peak_rss_mb(WORK / f"cache{RUNS - 1}.db")
    print("from the shell ...", file=sys.stderr)
    big_db = WORK / f"cache{RUNS - 1}.db"
    shell_keys, shell_rows = bench_shell.measure(big_db if QUICK else WORK / "small.db", None if QUICK else big_db)
    print("a collector's day ...", file=sys.stderr)
    day_keys, day_rows = bench_day.measure(server_url=server.url, token=token, cache=cache, small=small, work=WORK,
                                           small_server=None if QUICK else lambda: seeded_server(SMALL), cases=CASES)
    print("push ...", file=sys.stderr)
    at = datetime(2026, 11, 27, 3, tzinfo=UTC)
    pushes = []
    for run in range(RUNS):
        cases = queue_page(cache, run * 100, 100)  # other cases each time: each run starts from the same history
        for i in range(10_000):
            actions.log_contact(cache, cases[i % len(cases)].id, at=at + timedelta(seconds=run * 10_000 + i),
                                channel="sms", disposition="message_left")
        with ApiClient(server.url, token) as client:
            pushes.append(timed(lambda: push(cache, client)))
    pushed = statistics.median(pushes)
    server.stop()
    result = {
        "full_sync_ratio": round(statistics.median(full) / statistics.median(raw), 2),
        "incremental_share": round(incremental / statistics.median(full), 3),
        "startup_ratio_5k": round(start_small / start_empty, 2),
        "startup_ratio_100k": None if QUICK else round(start_big / start_empty, 2),
        "key_p95_ms_over_floor": round(keys_app - keys_empty, 1),
        "peak_rss_mb": round(peak_mb, 1),
        "push_per_s": round(10_000 / pushed),
        **shell_keys,
        **day_keys,
    }
    rows = [
        ("cases synced", f"{CASES:,}"),
        (f"full sync (median of {RUNS})",
         f"{statistics.median(full):.2f} s; raw baseline {statistics.median(raw):.2f} s"),
        (f"incremental sync after 1% changed (median of {RUNS})", f"{incremental:.2f} s"),
        (f"first paint of the queue, {SMALL:,} cases",
         f"{start_small * 1000:.0f} ms; empty Textual app {start_empty * 1000:.0f} ms"),
        *([] if QUICK else [(f"first paint of the queue, {CASES:,} cases", f"{start_big * 1000:.0f} ms")]),
        (f"keypress p95 ({len(KEYS)} keys: move, filter, search; median of {RUNS})",
         f"{keys_app:.1f} ms; empty app {keys_empty:.1f} ms"),
        ("peak RSS of the app", f"{peak_mb:.0f} MB"),
        (f"push of 10,000 outbox entries (median of {RUNS})", f"{pushed:.2f} s ({10_000 / pushed:,.0f} a second)"),
        *shell_rows,
        *day_rows,
    ]
    for name, value in rows:
        print(f"{name:<48} {value}")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    machine = (f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
               f"{os.cpu_count()} cores")
    doc = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
    doc.write_text(
        "# Benchmarks\n\nWritten by `scripts/bench" + (" --quick" if QUICK else "") + f"` on {stamp}, {machine}.\n"
        "Each figure is a ratio against a baseline measured in the same run, or an absolute where the goal is one.\n\n"
        "| measure | result |\n|---|---|\n" + "".join(f"| {n} | {v} |\n" for n, v in rows) +
        "\n```json\n" + json.dumps(result, indent=2) + "\n```\n" + NOTES, encoding="utf-8")
    shutil.rmtree(WORK, ignore_errors=True)
    print(json.dumps(result))


NOTES = """
## How each figure is measured

- **Full sync**: `run_sync` into an empty cache against a raw baseline that fetches the same pages with one
  pooled `httpx.Client`, `json.loads`, and writes the same rows with `sqlite3.executemany`, one transaction a
  page. Both run against the same reference server on loopback (in this process, on a thread); medians of 3.
- **Incremental**: a sync after `/v1/admin/churn` gave 1% of the cases a new payment; median of 3, each
  after another 1%.
- **First paint**: from building the app to its first screen painted under `run_test`, against a Textual
  app that shows one line; medians of 3, after one untimed start and with garbage collected before each.
- **Keypress**: each key's time to the last frame it caused, timed inside the app (every screen update
  goes through `App._display`); the floor is a one-line app that repaints on every key. The p95 of each
  pass over the keys, median of 3 passes, each in a fresh app.
- **Memory**: peak RSS of a separate process that opens the app on the cache, presses every key above and
  jumps to the end of the queue.
- **Push**: 10,000 outbox entries on 100 cases, in batches of 200; median of 3.
- **From the shell** (`scripts/bench_shell.py`): on a copy of the synced cache in a home signed in by
  `COLLECTOR_TUI_TOKEN`, its API a closed port on loopback (a start needs no network). *Process start*:
  `collector-tui` spawned in a fresh 120x40 pseudo-terminal, timed until the first queue row's case id appears
  in what it writes (escape sequences stripped), against a one-line Textual app spawned the same way until its
  line appears. *Commands*: `status --json` and `queue --json` run to their end, against a Python process that
  opens the same cache with `sqlite3` and prints the same fields (the queue from its stored order). Each pair
  is timed in turns, after one untimed run of each (which leaves both with their modules compiled, as an
  install has them); medians of 15.
- **A collector's day** (`scripts/bench_day.py`). *Re-placing*: every case of a copy of the big cache placed
  again after the rule pack changed (`us-regf` for `cn`), through `rebuild_queue`, against a raw pass that reads
  the same facts with `sqlite3`, places each case with the same `domain/` functions and writes the same rows
  with one `executemany`; medians of 3, each on a fresh copy. Then the workbench opened on another copy with
  the other pack re-places it as it starts, and keys on the queue (one each 50 ms) are timed to their frames
  until it is done. *Opening a screen*: in the workbench on the
  collector-sized cache, `c` (the contact form) and `Enter` (the profile) timed from the key to the last frame
  they cause, against a key that opens a screen holding one widget; p95 of 30 opens each, after one untimed.
  *The day*: a process of its own runs the workbench on a copy of that cache with a clock the script moves
  through eight hours (23:30 to 07:30 UTC: midnight in London and New York), signed in to the reference
  server on loopback: rounds of moves, a profile, filters and a search, each ending in a contact recorded
  through the form, a sync (`r`) after new payments on the server every fiftieth of the keys, and each round
  the app's minute and callback checks. The largest time from a key to its last frame, and the resident
  memory after a full collection at the end against the same after the first hour.

## What moved the figures

- Decoding the feed with msgspec structs derived from the pydantic wire models (6x faster than pydantic).
- Rows as tuples through `executemany` instead of SQLAlchemy Core parameter dicts.
- Placing each page's cases from the decoded feed, in the page's transaction, instead of re-reading every
  case from the cache and re-ordering the whole queue after each sync.
- On a big first sync, a helper process prepares the next pages while this one writes (two cores).
- Rules: `statistics.mean` (exact, through Fractions) replaced by a plain mean; month arithmetic cached.
- Queue placements say until when they hold; a sync or the clock re-places only the stale ones.
- The queue is read through indexes in its own order (a short bytes sort key, WITHOUT ROWID), filters by
  stage and tier through composite indexes. Counts are remembered until the next write.
- Search text sits in a plain table under an external-content trigram FTS5 index: three characters or more
  are looked up in the index, fewer scan the plain table (8 ms at 100,000 cases, against 33 ms through the
  index's own copy). A page of matches is found by one of three plans, chosen by how many there are.
- The reference server applies a mutation batch with one read of each case and one write of each case's
  document (it decoded and re-encoded a case's document once per mutation).
- The queue screen: a one-line key bar instead of Textual's Footer, which built a widget per key and
  rebuilt them on every focus change.
- One frame a key. Textual paints at most one frame per 1/60 s, and a second frame within a key waits for
  the next period (17 to 33 ms). The search field filters the queue in the frame that echoes the key, a
  focus change is painted once both widgets have restyled, and the key bar ignores Textual's repeated
  announcement of the same bindings. The search field no longer asks for a layout pass per character.
- The queue draws its own one-column scroll thumb: Textual's scrollbar widget asked for a second layout
  pass after the first paint.
- Rows are measured without Rich's per-character walk where they are plain ASCII.
- Objects built to start the app are frozen out of the garbage collector once the first frame is up; a
  full collection had cost 60 ms in the middle of a keypress.
- From the shell: `collector-tui` starts through a plain entry point (`launch.py`) that runs the workbench,
  `status` and `queue --json` without typer; the first frame comes from a `sqlite3`-only first look at the
  cache, and the database toolkit loads in a worker after it; the first frame loads no rules; catalogues are
  read from a parsed copy; sync, phone, help and the keyring load when first used.
- `queue --json` prints the stored placements and re-places only the stale ones, reading their facts with
  `sqlite3`.
- Re-placing reads the rules' facts through the driver (SQLAlchemy's row handling was a third of it), and from
  5,000 cases runs in a `sqlite3`-only subprocess that writes in chunks, so keys on the queue keep painting.
- Opening a screen: not restyled and laid out twice on its first showing; one contact form per session,
  re-bound to each case; a closed screen freed at once (each had stayed in memory until the next sync, and full
  collections walked them all), its collection run after the screen under it has painted.
- The callbacks check reads the callbacks coming due through an index, in a worker.
"""


if __name__ == "__main__":
    main()
