"""A sync on a hostile network, against the real reference server on loopback (faults through tests/faultproxy.py):
a refused token never fails local work, a trickling server cannot hold a sync, and the pull retries what may
succeed later. The cache always stays at a page boundary."""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text, update
from sqlmodel import Session, select

from collector_tui.app import CollectorApp
from collector_tui.config import Settings
from collector_tui.screens.login import LoginScreen
from collector_tui.server.auth import token_digest
from collector_tui.server.models import AccessToken, AppliedMutation, CaseDoc
from collector_tui.storage import actions, outbox, state
from collector_tui.storage.engine import open_engine
from collector_tui.storage.models import Case
from collector_tui.storage.queries import queue_page
from collector_tui.sync.client import ApiClient
from collector_tui.sync.errors import AuthError, RequestDeadline, ServerError, SyncDeadline
from collector_tui.sync.retry import Backoff
from collector_tui.sync.service import run_sync
from tests.conftest import CLI, SYNC_AT, RunningServer, cli_env
from tests.faultproxy import FaultProxy

FAST = Backoff(base=0.01, cap=0.05, tries=3)
AT = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


def record(cache: Engine, count: int = 3) -> list[str]:
    case_id = queue_page(cache, 0, 1)[0].id
    return [actions.log_contact(cache, case_id, at=AT + timedelta(minutes=i), channel="sms", disposition="message_left")
            for i in range(count)]


def applied(server: RunningServer) -> Counter[str]:
    with Session(server.engine) as s:
        return Counter(s.execute(select(AppliedMutation.id)).scalars())


def expire(server: RunningServer, token: str) -> None:
    """The server revokes `token` (as an administrator or an expiry would)."""
    with Session(server.engine) as s:
        s.execute(update(AccessToken).where(AccessToken.token_sha256 == token_digest(token)).values(expires_at=0))  # type: ignore[arg-type]
        s.commit()


def via(cache: Engine, url: str) -> None:
    """The same server at another address (the fault proxy): the cache's home follows it."""
    with cache.begin() as conn:
        conn.execute(text("UPDATE syncstate SET api_url = :url"), {"url": url})


def cache_ids(cache: Engine) -> set[str]:
    with cache.connect() as conn:
        return set(conn.execute(select(Case.id)).scalars())


def server_open_ids(server: RunningServer) -> set[str]:
    with Session(server.engine) as s:
        return set(
            s.execute(select(CaseDoc.id).where(CaseDoc.assigned_to == "demo", CaseDoc.status == "open")).scalars()
        )


@pytest.fixture
def synced(server: RunningServer, cache: Engine) -> Engine:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    return cache


# --- a refused token during a push ------------------------------------------------------------------------

@pytest.mark.parametrize("refusal", ["401 from the server", "403"])
def test_a_token_refused_during_the_push_fails_no_entry_and_the_next_good_sync_sends_them(
    server: RunningServer, synced: Engine, refusal: str
) -> None:
    ids = record(synced)
    token = server.token()

    def plan(n: int) -> str | None:
        # Request 1 is GET /v1/me (the token is still good), request 2 the push.
        if n == 2 and refusal == "401 from the server":
            expire(server, token)  # the real server refuses the token from now on
            return None
        return "403" if n == 2 else None

    proxy = FaultProxy(server.port, plan=plan)
    via(synced, proxy.url)
    try:
        with pytest.raises(AuthError, match="HTTP 401" if refusal.startswith("401") else "HTTP 403"):
            run_sync(synced, proxy.url, "demo", token, now=lambda: SYNC_AT, backoff=FAST)
    finally:
        proxy.close()
        via(synced, server.url)
    assert proxy.requests == 2  # a refusal is not retried
    left = outbox.entries(synced)
    assert [e.id for e in left] == ids and all(e.state == "pending" and e.last_error is None for e in left)
    assert not any(applied(server)[i] for i in ids)
    # Signed in again, the next sync sends them, each exactly once.
    run_sync(synced, server.url, "demo", server.token(), now=lambda: SYNC_AT, backoff=FAST)
    assert outbox.entries(synced) == []
    assert all(applied(server)[i] == 1 for i in ids)


def test_only_the_servers_verdict_on_the_entries_fails_them(server: RunningServer, synced: Engine) -> None:
    ids = record(synced, 2)
    # A 404 on the push (a proxy or a server in the wrong place) is no verdict on the entries: they stay pending.
    proxy = FaultProxy(server.port, plan=lambda n: "404" if n == 2 else None)
    via(synced, proxy.url)
    try:
        with pytest.raises(ServerError, match="HTTP 404"):
            run_sync(synced, proxy.url, "demo", server.token(), now=lambda: SYNC_AT, backoff=FAST)
    finally:
        proxy.close()
        via(synced, server.url)
    assert [(e.id, e.state) for e in outbox.entries(synced)] == [(i, "pending") for i in ids]
    # A 422 on the whole batch is the server's verdict on every entry in it.
    proxy = FaultProxy(server.port, plan=lambda n: "422" if n == 2 else None)
    via(synced, proxy.url)
    try:
        run_sync(synced, proxy.url, "demo", server.token(), now=lambda: SYNC_AT, backoff=FAST)
    finally:
        proxy.close()
        via(synced, server.url)
    assert [(e.id, e.state) for e in outbox.entries(synced)] == [(i, "failed") for i in ids]


@pytest.mark.anyio
async def test_the_workbench_asks_to_sign_in_when_the_push_is_refused_and_then_pushes(
    server: RunningServer, synced: Engine
) -> None:
    ids = record(synced)
    token = server.token()

    def plan(n: int) -> None:
        if n == 2:  # 1: GET /v1/me with the good token, 2: the push, which the server now refuses
            expire(server, token)

    proxy = FaultProxy(server.port, plan=plan)
    via(synced, proxy.url)
    app = CollectorApp(synced, settings=Settings(locale="en"), api=proxy.url, user="demo", token=token,
                       clock=lambda: SYNC_AT)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("r")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert isinstance(app.screen, LoginScreen)
            assert [(e.id, e.state) for e in outbox.entries(synced)] == [(i, "pending") for i in ids]
            await pilot.press(*"demo", "enter")  # signs in through the same proxy, then syncs at once
            await app.workers.wait_for_complete()
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert not isinstance(app.screen, LoginScreen)
    finally:
        proxy.close()
    assert outbox.entries(synced) == []
    assert all(applied(server)[i] == 1 for i in ids)


# --- deadlines ----------------------------------------------------------------------------------------

def first_page(server: RunningServer, size: int) -> tuple[set[str], str | None]:
    with ApiClient(server.url, server.token()) as direct:
        page = direct.cases(None, size)
    return {i.id for i in page.items}, page.next_cursor


def assert_at_the_first_page_boundary(server: RunningServer, cache: Engine, size: int) -> None:
    ids, cursor = first_page(server, size)
    assert cache_ids(cache) == ids
    assert state.cursor(cache) == cursor
    with cache.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"


def test_a_trickling_server_is_cut_off_by_the_request_deadline(server: RunningServer, cache: Engine) -> None:
    # 1: GET /v1/me, 2: the first page, then every page trickles (headers at once, a byte every 50 ms).
    proxy = FaultProxy(server.port, plan=lambda n: "trickle" if n >= 3 else None, trickle_every=0.05)
    started = time.monotonic()
    try:
        with pytest.raises(RequestDeadline, match=r"within the request deadline \(1 s, setting request_deadline_s\)"):
            run_sync(cache, proxy.url, "demo", server.token(), now=lambda: SYNC_AT, page_size=20, backoff=FAST,
                     client_options={"request_deadline": 1, "sync_deadline": 60})
    finally:
        proxy.close()
    assert time.monotonic() - started < 20  # three tries of one second each, not the hours the trickle would take
    assert proxy.faults["trickle"] == FAST.tries  # a request deadline is retried like any network failure
    assert_at_the_first_page_boundary(server, cache, 20)
    assert "request deadline" in (state.status(cache).last_error or "")


def test_the_whole_sync_is_bounded_and_its_bound_is_named(server: RunningServer, cache: Engine) -> None:
    proxy = FaultProxy(server.port, plan=lambda n: "trickle" if n >= 3 else None, trickle_every=0.05)
    started = time.monotonic()
    try:
        with pytest.raises(SyncDeadline, match=r"time limit \(3 s, setting sync_deadline_s\)"):
            run_sync(cache, proxy.url, "demo", server.token(), now=lambda: SYNC_AT, page_size=20, backoff=FAST,
                     client_options={"request_deadline": 60, "sync_deadline": 3})
    finally:
        proxy.close()
    assert time.monotonic() - started < 20
    assert proxy.faults["trickle"] == 1  # the sync's own bound is not retried
    assert_at_the_first_page_boundary(server, cache, 20)
    # The next sync, on a good network, carries on from the page boundary.
    via(cache, server.url)
    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT, page_size=20)
    assert cache_ids(cache) == server_open_ids(server)


def test_the_cli_names_the_deadline_from_the_settings(server: RunningServer, tmp_path: Path) -> None:
    home = tmp_path / "cli"
    proxy = FaultProxy(server.port, plan=lambda n: "trickle" if n >= 2 else None, trickle_every=0.05)
    home.mkdir()
    (home / "settings.toml").write_text("request_deadline_s = 1\nsync_deadline_s = 30\n")
    env = cli_env(home, COLLECTOR_TUI_API=proxy.url, COLLECTOR_TUI_TOKEN=server.token(), COLLECTOR_TUI_USER="demo")
    try:
        out = subprocess.run([*CLI, "--locale", "en", "sync"], env=env, capture_output=True, text=True, timeout=120)
    finally:
        proxy.close()
    assert out.returncode == 1, out.stderr
    assert "request deadline (1 s, setting request_deadline_s)" in out.stderr
    assert "Traceback" not in out.stderr
    engine = open_engine(home / "cache.db")
    assert cache_ids(engine) == set()  # the first page never came whole: nothing half-written
    engine.dispose()


# --- pulls retry ----------------------------------------------------------------------------------------

def test_a_pull_retries_5xx_and_dropped_connections_and_completes(server: RunningServer, cache: Engine) -> None:
    # 1: GET /v1/me; then pages of 10 (60 cases), with a 500 and a connection dropped before the request on
    # the second page, a 429 on the third and a body cut short on the fourth.
    faults = {3: "500", 4: "drop_before", 6: "429", 8: "cut"}
    proxy = FaultProxy(server.port, plan=faults.get, cut_after=300)
    try:
        run_sync(cache, proxy.url, "demo", server.token(), now=lambda: SYNC_AT, page_size=10, backoff=FAST)
    finally:
        proxy.close()
    assert sorted(proxy.faults.elements()) == sorted(faults.values())
    assert cache_ids(cache) == server_open_ids(server)
    assert state.status(cache).last_error is None


def test_a_refused_page_is_not_retried(server: RunningServer, cache: Engine) -> None:
    proxy = FaultProxy(server.port, plan=lambda n: "403" if n == 2 else None)
    try:
        with pytest.raises(AuthError, match="HTTP 403"):
            run_sync(cache, proxy.url, "demo", server.token(), now=lambda: SYNC_AT, page_size=20, backoff=FAST)
    finally:
        proxy.close()
    assert proxy.requests == 2
    assert cache_ids(cache) == set()
