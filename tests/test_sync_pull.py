"""Pull sync against the real reference server on loopback, into a real SQLite cache."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, text
from sqlmodel import Session, select

from collector_tui.server.models import CaseDoc
from collector_tui.storage import state
from collector_tui.storage.models import Case, Customer, Phone
from collector_tui.sync.client import ApiClient
from collector_tui.sync.errors import AuthError, MalformedResponse, NetworkError
from collector_tui.sync.pull import PullResult, pull
from collector_tui.sync.service import run_sync
from tests.conftest import SYNC_AT, RunningServer, present
from tests.faultproxy import FaultProxy


def server_open_ids(server: RunningServer, user: str) -> set[str]:
    with Session(server.engine) as s:
        rows = s.execute(select(CaseDoc.id).where(CaseDoc.assigned_to == user, CaseDoc.status == "open")).scalars()
        return set(rows)


def cache_ids(cache: Engine) -> set[str]:
    with cache.connect() as conn:
        return set(conn.execute(select(Case.id)).scalars())


def versions(cache: Engine) -> dict[str, int]:
    with cache.connect() as conn:
        return dict(conn.execute(select(Case.id, Case.version)).all())


def sync(server: RunningServer, cache: Engine, user: str = "demo", page_size: int = 25) -> PullResult:
    return run_sync(cache, server.url, user, server.token(user), page_size=page_size, now=lambda: SYNC_AT)


def test_full_sync_gives_exactly_the_assigned_open_cases(server: RunningServer, cache: Engine) -> None:
    result = sync(server, cache)
    expected = server_open_ids(server, "demo")
    assert len(expected) == 60
    assert cache_ids(cache) == expected
    assert result.upserted == 60 and result.pages >= 3
    st = state.status(cache)
    assert (st.open_cases, st.user, st.last_sync_at) == (60, "demo", SYNC_AT.isoformat())
    me = state.me(cache)
    assert me is not None and me.role == "collector"


def test_a_collector_never_receives_another_collectors_case(
    server: RunningServer, cache: Engine, tmp_path: Path
) -> None:
    with ApiClient(server.url, server.token("demo")) as client:
        cursor, seen = None, []
        while True:
            page = client.cases(cursor, 50)
            seen += [item.assigned_to for item in page.items]
            cursor = page.next_cursor
            if not page.has_more:
                break
    assert seen and set(seen) == {"demo"}
    assert not server_open_ids(server, "demo") & server_open_ids(server, "demo2")


def test_incremental_sync_changes_only_what_changed(server: RunningServer, cache: Engine) -> None:
    sync(server, cache)
    before = versions(cache)
    changed = httpx.post(
        f"{server.url}/v1/admin/churn", json={"seed": 3, "payments": 20, "reassign": 10, "close": 6}
    ).json()
    result = sync(server, cache)
    after = versions(cache)
    expected_ids = server_open_ids(server, "demo")
    assert set(after) == expected_ids
    bumped = {cid for cid in after if cid in before and after[cid] != before[cid]}
    arrived = set(after) - set(before)
    left = set(before) - set(after)
    # Every case whose version moved was churned; nothing else was rewritten.
    churned = set(changed["payments"]) | set(changed["reassigned"]) | set(changed["closed"])
    assert bumped <= churned and arrived <= set(changed["reassigned"])
    assert left == {c for c in set(changed["reassigned"]) | set(changed["closed"]) if c in before}
    assert result.upserted == len(bumped) + len(arrived)
    assert result.removed == len(left)
    assert result.upserted < len(after) / 2
    # A second sync with nothing new moves nothing.
    again = sync(server, cache)
    assert (again.upserted, again.removed) == (0, 0)


def test_tombstone_purges_the_case_and_its_personal_data(server: RunningServer, cache: Engine) -> None:
    sync(server, cache)
    held = cache_ids(cache)
    changed = httpx.post(f"{server.url}/v1/admin/churn", json={"seed": 5, "reassign": 12}).json()
    taken_away = [c for c in changed["reassigned"] if c in held]
    assert taken_away, "the churn must reassign some of demo's cases"
    with cache.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Phone).where(Phone.case_id == taken_away[0])).scalar() > 0  # type: ignore[operator]
    sync(server, cache)
    with cache.connect() as conn:
        for case_id in taken_away:
            assert conn.execute(select(func.count()).select_from(Case).where(Case.id == case_id)).scalar() == 0
            assert (
                conn.execute(select(func.count()).select_from(Customer).where(Customer.case_id == case_id)).scalar()
                == 0
            )
            assert conn.execute(select(func.count()).select_from(Phone).where(Phone.case_id == case_id)).scalar() == 0
        orphans = conn.execute(
            text('SELECT count(*) FROM customer WHERE case_id NOT IN (SELECT id FROM "case")')
        ).scalar()
    assert orphans == 0
    assert cache_ids(cache) == server_open_ids(server, "demo")


def test_401_without_a_token_and_with_a_bad_password(server: RunningServer) -> None:
    response = httpx.get(f"{server.url}/v1/cases")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    with ApiClient(server.url) as client, pytest.raises(AuthError, match="wrong username or password"):
        client.login("demo", "not-the-password")
    with ApiClient(server.url, "forged-token") as client, pytest.raises(AuthError, match="invalid or expired"):
        client.me()


def test_a_failed_sync_leaves_the_cache_untouched_and_says_why(server: RunningServer, cache: Engine) -> None:
    sync(server, cache)
    before = versions(cache)
    with pytest.raises(AuthError):
        run_sync(cache, server.url, "demo", "bad-token", now=lambda: SYNC_AT)
    assert versions(cache) == before
    assert "invalid or expired" in (state.status(cache).last_error or "")
    token = server.token()
    server.thread.stop()  # the network is gone
    with pytest.raises(NetworkError, match="cannot reach"):
        run_sync(cache, server.url, "demo", token, now=lambda: SYNC_AT)
    assert versions(cache) == before
    assert "cannot reach" in (state.status(cache).last_error or "")


def test_a_connection_killed_mid_page_leaves_the_cache_at_the_previous_page(
    server: RunningServer, cache: Engine
) -> None:
    # Requests: 1 = /v1/cases page 1, 2 = page 2, 3 = page 3 (cut mid-body).
    proxy = FaultProxy(server.port, should_cut=lambda n: n == 3, cut_after=2000)
    try:
        with ApiClient(proxy.url, server.token()) as client:
            state.bind_home(cache, proxy.url, "demo")
            with pytest.raises(NetworkError):
                pull(cache, client, now=lambda: SYNC_AT, page_size=20)
        assert proxy.cuts == 1
        assert len(cache_ids(cache)) == 40
        with ApiClient(server.url, server.token()) as direct:
            page2_cursor = direct.cases(direct.cases(None, 20).next_cursor, 20).next_cursor
        assert state.cursor(cache) == page2_cursor
        assert cache.connect().execute(text("PRAGMA integrity_check")).scalar() == "ok"
        # The next sync resumes from the page boundary and completes.
        with ApiClient(proxy.url, server.token()) as client:
            pull(cache, client, now=lambda: SYNC_AT, page_size=20)
        assert cache_ids(cache) == server_open_ids(server, "demo")
    finally:
        proxy.close()


def test_bad_cursor_is_a_400_with_a_json_error(server: RunningServer) -> None:
    response = httpx.get(f"{server.url}/v1/cases", params={"since": "garbage"},
                         headers={"Authorization": f"Bearer {server.token()}"})
    assert response.status_code == 400
    assert response.json() == {"error": {"code": "bad_cursor", "message": "the cursor is not one this server issued"}}


def test_limit_is_capped_at_1000(server: RunningServer) -> None:
    response = httpx.get(f"{server.url}/v1/cases", params={"limit": 1001},
                         headers={"Authorization": f"Bearer {server.token()}"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"


def test_openapi_document_is_served(server: RunningServer) -> None:
    spec = httpx.get(f"{server.url}/openapi.json").json()
    assert {"/v1/auth/token", "/v1/me", "/v1/cases", "/v1/mutations"} <= set(spec["paths"])


def test_mutations_are_deduplicated_by_id(server: RunningServer) -> None:
    token = server.token()
    case_id = sorted(server_open_ids(server, "demo"))[0]
    mutation = {"id": "0193f0d1-1c2b-7d4e-8f90-a1b2c3d4e5f6", "type": "contact.logged", "case_id": case_id,
                "base_version": 1, "occurred_at": "2026-11-28T10:03:00+08:00",
                "payload": {"channel": "phone", "target": "customer", "disposition": "no_answer", "duration_s": 0}}
    with ApiClient(server.url, token) as client:
        first = client.push([mutation]).results[0]
        second = client.push([mutation]).results[0]
    assert first.status == "applied" and second.status == "duplicate"
    assert first.case_version == second.case_version
    with Session(server.engine) as s:
        doc = json.loads(present(s.get(CaseDoc, case_id)).doc)
    assert [c["id"] for c in doc["contacts"]].count(mutation["id"]) == 1


class _BadServer:
    """A server that answers every request with the same broken body: what a misbehaving API looks like."""

    def __init__(self, body: bytes) -> None:
        import http.server
        import threading

        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                payload = (
                    outer.body if self.path.startswith("/v1/cases") else b'{"id":"demo","name":"d","role":"collector"}'
                )
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.body = body
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "malformed response"),
        (b'{"items": [{"id": "C-1", "version": "seven"}], "has_more": false}', r"items\[0\].*version"),
        (b'{"items": "nope", "has_more": false}', "items"),
        (b'{"has_more": false}', "missing required field `items`"),
        (b'{"items": [], "has_more": true, "next_cursor": null}', "has_more without a new cursor"),
    ],
)
def test_malformed_pages_give_a_clear_error_and_leave_the_cache_unchanged(
    server: RunningServer, cache: Engine, body: bytes, message: str
) -> None:
    sync(server, cache)
    before = versions(cache)
    cursor_before = state.cursor(cache)
    bad = _BadServer(body)
    try:
        with ApiClient(bad.url, "t") as client, pytest.raises(MalformedResponse, match=message):
            pull(cache, client, now=lambda: SYNC_AT)
    finally:
        bad.close()
    assert versions(cache) == before
    assert state.cursor(cache) == cursor_before
