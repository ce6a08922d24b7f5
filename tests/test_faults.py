"""Faults with real processes and a real server: kill -9, a lossy network, a server restart, a model check.

Each test is bounded (a fixed number of rounds) and seeded; after the faults, one clean sync must leave
the server holding each mutation exactly once, an empty outbox and an intact cache.
"""

from __future__ import annotations

import json
import os
import random
import selectors
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from collector_tui.server.models import AppliedMutation, CaseDoc
from collector_tui.server.runner import ServerThread
from collector_tui.storage import actions, outbox
from collector_tui.storage.engine import open_engine
from collector_tui.storage.models import Case
from collector_tui.storage.queries import case_detail, queue_page
from collector_tui.sync.errors import SyncError
from collector_tui.sync.retry import Backoff
from collector_tui.sync.service import run_sync
from tests.conftest import CLI, SYNC_AT, MakeServer, RunningServer, cli_env, present
from tests.faultproxy import FaultProxy

AT = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
FAST = Backoff(base=0.01, cap=0.05, tries=3)
HELD = [sys.executable, "-m", "tests.held_sync"]  # collector-tui, held where a test kills it (tests/held_sync.py)


def record_many(engine: Engine, count: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    cases = [r.id for r in queue_page(engine, 0, 1000)]
    ids = []
    for i in range(count):
        case_id = rng.choice(cases)
        if i % 3 == 0:
            from decimal import Decimal

            loan = present(case_detail(engine, case_id)).loan
            # A promise the server accepts: in the loan's currency, at most what it owes.
            amount = min(Decimal(rng.randrange(100, 5000)), Decimal(loan.outstanding))
            ids.append(
                actions.add_promise(
                    engine,
                    case_id,
                    at=AT + timedelta(seconds=i),
                    due=AT.date() + timedelta(days=3),
                    amount=amount,
                    currency=loan.currency,
                )
            )
        else:
            ids.append(actions.log_contact(engine, case_id, at=AT + timedelta(seconds=i), channel="sms",
                                           disposition="message_left", note=f"n{i}"))
    return ids


def assert_exactly_once(server: RunningServer, engine: Engine, ids: list[str]) -> None:
    with Session(server.engine) as s:
        applied = Counter(s.execute(select(AppliedMutation.id)).scalars())
        docs = [json.loads(d) for d in s.execute(select(CaseDoc.doc)).scalars()]
        open_ids = set(
            s.execute(select(CaseDoc.id).where(CaseDoc.assigned_to == "demo", CaseDoc.status == "open")).scalars()
        )
    assert all(applied[i] == 1 for i in ids), [i for i in ids if applied[i] != 1][:5]
    in_docs = Counter(x["id"] for d in docs for key in ("contacts", "promises") for x in d.get(key, []))
    assert all(in_docs[i] == 1 for i in ids)
    assert outbox.entries(engine) == []
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        assert set(conn.execute(select(Case.id)).scalars()) == open_ids


def test_kill_9_at_many_points_over_push_and_pull(make_server: MakeServer, tmp_path: Path) -> None:
    server = make_server(cases=1200)
    home = tmp_path / "killed"
    engine = open_engine(home / "cache.db")
    run_sync(engine, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    engine.dispose()
    (home / "settings.toml").write_text("page_size = 25\n")
    env = cli_env(home, COLLECTOR_TUI_API=server.url, COLLECTOR_TUI_TOKEN=server.token(), COLLECTOR_TUI_USER="demo")
    ids: list[str] = []

    def new_work(seed: int) -> None:
        # Each round has both kinds of work: entries to push, and a full pull from a cleared cursor.
        engine = open_engine(home / "cache.db")
        ids.extend(record_many(engine, 150, seed=seed))
        with engine.begin() as conn:
            conn.execute(text("UPDATE syncstate SET cursor = NULL"))
        engine.dispose()

    new_work(0)
    # One whole push-and-pull, counting its write transactions: the points a kill may land on.
    counted = subprocess.run([*HELD, "sync"], env=env, capture_output=True, text=True, timeout=120, check=True)
    writes = int(counted.stdout.rsplit("writes ", 1)[1])
    rng = random.Random(20261127)
    phases: Counter[str] = Counter()
    for round_no in range(1, 13):
        new_work(round_no)
        # Every third round dies after the server applied the push and before the answer was recorded; the
        # others inside a write transaction, before its commit: the process says when it is there.
        hold = "push" if round_no % 3 == 1 else f"write:{rng.randint(1, writes)}"
        proc = subprocess.Popen([*HELD, "sync"], env={**env, "HOLD": hold}, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            ready = sel.select(timeout=120)  # a bound for a broken run, not a wait: "held" comes, or EOF
        assert ready and proc.stdout.readline() == "held\n", (hold, proc.poll())
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
        proc.stdout.close()
        engine = open_engine(home / "cache.db")
        pending = outbox.entries(engine)
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        engine.dispose()
        if hold == "push":
            # Applied on the server, unknown here: every entry is still pending, to be answered duplicate.
            assert len(pending) >= 150, len(pending)
        phases["push" if pending else "pull"] += 1
    assert phases["push"] >= 4 and phases["pull"] >= 2, phases
    done = subprocess.run([*CLI, "sync"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    engine = open_engine(home / "cache.db")
    assert_exactly_once(server, engine, ids)
    engine.dispose()


def test_a_lossy_network_converges_with_nothing_lost_or_doubled(make_server: MakeServer, cache: Engine) -> None:
    server = make_server(cases=400)
    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    rng = random.Random(7)
    kinds = ["drop_before", "drop_after", "delay", "cut", "500", "429"]
    # "delay" holds a request until the client's own timeout gives up on it, then lets the server act on it.
    proxy = FaultProxy(server.port, plan=lambda n: rng.choice(kinds) if rng.random() < 0.4 else None)
    token = server.token()
    ids: list[str] = []
    try:
        for round_no in range(6):
            ids += record_many(cache, 80, seed=100 + round_no)
            with cache.begin() as conn:  # the same server through the proxy; pull everything again
                conn.execute(text("UPDATE syncstate SET cursor = NULL, api_url = :url"), {"url": proxy.url})
            for _ in range(60):
                try:
                    run_sync(
                        cache, proxy.url, "demo", token, now=lambda: SYNC_AT, timeout=0.7, backoff=FAST, page_size=20
                    )
                    break
                except SyncError:
                    continue
            else:
                raise AssertionError("sync never converged through the faulty proxy")
    finally:
        proxy.close()
    assert proxy.requests >= 60
    assert sum(proxy.faults.values()) / proxy.requests >= 0.30, (proxy.faults, proxy.requests)
    assert set(proxy.faults) == set(kinds), proxy.faults
    assert_exactly_once(server, cache, ids)


def test_the_server_restarted_in_the_middle_of_a_sync(server: RunningServer, cache: Engine) -> None:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    ids = record_many(cache, 450, seed=3)
    token = server.token()
    down = threading.Event()

    def plan(n: int) -> str | None:
        # Request 1 is GET /v1/me and 2 the first batch of 200; the server goes down as the second batch comes.
        if n == 3:
            server.thread.stop()
            down.set()
        return None

    proxy = FaultProxy(server.port, plan=plan)
    with cache.begin() as conn:
        conn.execute(text("UPDATE syncstate SET api_url = :url"), {"url": proxy.url})
    try:
        with pytest.raises(SyncError):
            run_sync(cache, proxy.url, "demo", token, now=lambda: SYNC_AT, timeout=2, backoff=FAST)
    finally:
        proxy.close()
    assert down.wait(timeout=60)  # the server has shut down (a bound for a broken run, not a wait)
    # The first batch is in and left the outbox; the rest waits, in order, for the server to come back.
    assert [e.id for e in outbox.entries(cache)] == ids[200:]
    server.thread = ServerThread(server.engine, port=server.port, admin=True).start()
    with cache.begin() as conn:
        conn.execute(text("UPDATE syncstate SET api_url = :url"), {"url": server.url})
    run_sync(cache, server.url, "demo", token, now=lambda: SYNC_AT, backoff=FAST)
    assert_exactly_once(server, cache, ids)
