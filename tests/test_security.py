"""Secrets, personal data, authorization and hostile input."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, text
from sqlmodel import select

from collector_tui.storage import audit, outbox
from collector_tui.storage.engine import open_engine
from collector_tui.storage.models import Customer, Phone
from collector_tui.storage.purge import purge_all, purge_case
from collector_tui.storage.queries import case_detail, queue_page
from collector_tui.sync.client import ApiClient
from collector_tui.sync.errors import InsecureTransport, MalformedResponse, SyncError
from collector_tui.sync.pull import pull
from collector_tui.sync.service import run_sync
from collector_tui.sync.transport import check_url
from tests.conftest import CLI, SYNC_AT, RunningServer, cli_env, present

AT = datetime(2026, 11, 27, 3, tzinfo=UTC)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765", "http://localhost:1", "http://[::1]:80", "https://api.example.com"])
def test_loopback_http_and_https_are_accepted(url: str) -> None:
    check_url(url)


def test_plain_http_to_another_machine_is_refused_unless_the_risk_is_accepted() -> None:
    with pytest.raises(InsecureTransport, match="unencrypted.*--insecure-http"):
        check_url("http://10.1.2.3:8765")
    check_url("http://10.1.2.3:8765", allow_insecure_http=True)
    with pytest.raises(InsecureTransport):
        ApiClient("http://collections.example.com")
    with pytest.raises(InsecureTransport, match="not an http"):
        check_url("ftp://example.com")


def test_login_refuses_plain_http_from_the_cli(tmp_path: Path) -> None:
    out = subprocess.run([*CLI, "--locale", "en", "login", "--api", "http://192.0.2.10:8765", "--user", "demo",
                          "--password-stdin"],
                         input="demo\n", capture_output=True, text=True, timeout=60, env=cli_env(tmp_path / "h"))
    assert out.returncode == 1 and "refusing plain http:// to 192.0.2.10" in out.stderr


def test_repeated_failed_logins_are_rate_limited(server: RunningServer) -> None:
    for _ in range(5):
        r = httpx.post(f"{server.url}/v1/auth/token", json={"username": "demo2", "password": "wrong"})
        assert r.status_code == 401
    r = httpx.post(f"{server.url}/v1/auth/token", json={"username": "demo2", "password": "demo2"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert r.json()["error"]["code"] == "too_many_attempts"
    # Other users are not locked out by someone guessing demo2's password.
    assert httpx.post(f"{server.url}/v1/auth/token", json={"username": "demo", "password": "demo"}).status_code == 200


def test_a_collector_cannot_touch_another_collectors_case(server: RunningServer, cache: Engine) -> None:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    mine = {r.id for r in queue_page(cache, 0, 200)}
    theirs = next(f"C-{i:06d}" for i in range(1, 200) if f"C-{i:06d}" not in mine)
    mutation = {"id": "0193f0d1-0000-7000-8000-000000000001", "type": "contact.logged", "case_id": theirs,
                "base_version": 1, "occurred_at": "2026-11-27T10:00:00+08:00",
                "payload": {"channel": "phone", "disposition": "no_answer"}}
    with ApiClient(server.url, server.token()) as client:
        result = client.push([mutation]).results[0]
        ghost = client.push(
            [{**mutation, "id": "0193f0d1-0000-7000-8000-000000000002", "case_id": "C-999999"}]
        ).results[0]
    # The same answer for someone else's case and for no case at all: nothing leaks.
    assert (result.status, result.error.code) == (ghost.status, ghost.error.code) == ("rejected", "not_found")  # type: ignore[union-attr]
    assert result.error.message == ghost.error.message  # type: ignore[union-attr]


def test_purge_erases_personal_data_and_is_audited(server: RunningServer, cache: Engine) -> None:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    from collector_tui.storage import actions

    case_id = queue_page(cache, 0, 1)[0].id
    pending = actions.log_contact(cache, case_id, at=AT, channel="sms", disposition="message_left")
    assert purge_case(cache, case_id, actor="demo", at=AT) == 1
    assert case_detail(cache, case_id) is None
    with cache.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Phone).where(Phone.case_id == case_id)).scalar() == 0
    assert outbox.get(cache, pending) is not None  # unpushed work stays until the server has it
    assert purge_all(cache, actor="demo", at=AT) == 59
    with cache.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Customer)).scalar() == 0
    assert [(e.action, e.case_id) for e in audit.entries(cache)] == [("purge", case_id), ("purge", None)]


def test_the_audit_log_is_append_only(cache: Engine, tmp_path: Path) -> None:
    audit.record(cache, at=AT, actor="demo", action="reveal", case_id="C-1")
    raw = sqlite3.connect(tmp_path / "home" / "cache.db")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute("DELETE FROM auditentry")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute("UPDATE auditentry SET actor = 'someone else'")
    raw.close()
    assert len(audit.entries(cache)) == 1


def test_purge_cli_asks_first(server: RunningServer, tmp_path: Path) -> None:
    home = tmp_path / "p"
    engine = open_engine(home / "cache.db")
    run_sync(engine, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    engine.dispose()
    no = subprocess.run([*CLI, "--locale", "en", "purge", "--all"], input="n\n", capture_output=True, text=True,
                        timeout=60, env=cli_env(home))
    assert no.returncode == 1
    yes = subprocess.run(
        [*CLI, "--locale", "en", "purge", "--all", "--yes"],
        capture_output=True,
        text=True,
        timeout=60,
        env=cli_env(home),
    )
    assert yes.returncode == 0 and "Erased 60" in yes.stdout


def test_a_debug_run_leaks_no_token_and_no_full_phone_or_id_number(server: RunningServer, tmp_path: Path) -> None:
    home = tmp_path / "debug"
    env = cli_env(home, COLLECTOR_TUI_LOG="DEBUG")
    outputs = []

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        done = subprocess.run([*CLI, "--locale", "en", *args], input=stdin, capture_output=True, text=True, timeout=120,
                              env=env)
        outputs.append(done.stdout + done.stderr)
        return done

    assert run("login", "--api", server.url, "--user", "demo", "--password-stdin", stdin="demo\n").returncode == 0
    assert run("sync").returncode == 0
    rows = json.loads(run("queue", "--json", "--at", "2026-11-27T11:00+08:00").stdout)
    case_id = next(r["id"] for r in rows if r["callable"])
    assert run("contact", "add", case_id, "--channel", "phone", "--disposition", "no_answer",
               "--at", "2026-11-27T11:00+08:00").returncode == 0
    assert run("sync").returncode == 0
    assert run("outbox").returncode == 0
    assert any("DEBUG" in o for o in outputs), "the run must really be at DEBUG level"
    token = next(iter(json.loads((tmp_path / "keyring.json").read_text()).values()))
    engine = open_engine(home / "cache.db")
    with engine.connect() as conn:
        numbers = list(conn.execute(select(Phone.number)).scalars())
        ids = [i for i in conn.execute(select(Customer.id_number)).scalars() if i]
    engine.dispose()
    everything = "\n".join(outputs)
    assert token not in everything and token not in (home / "settings.toml").read_text()
    assert token.encode() not in (home / "cache.db").read_bytes()
    assert not [n for n in numbers if n in everything]
    assert not [i for i in ids if i in everything]


class _Hostile:
    """A real HTTP server on loopback whose /v1/cases answer is whatever the test sets."""

    def __init__(self) -> None:
        from tests.test_sync_pull import _BadServer

        self.server = _BadServer(b"{}")

    def answer(self, body: bytes) -> None:
        self.server.body = body


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)


@pytest.fixture
def hostile() -> Iterator[_Hostile]:
    h = _Hostile()
    yield h
    h.server.close()


def _dump(cache: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the cache."""
    with cache.connect() as conn:
        tables = [r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))]
        return {t: sorted((tuple(r) for r in conn.exec_driver_sql(f'SELECT * FROM "{t}"')), key=repr) for t in tables}


def _case_columns(cache: Engine) -> dict[str, int]:
    """Each table's column that says which case a row belongs to."""
    with cache.connect() as conn:
        tables = [r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))]
        out = {}
        for t in tables:
            names = [r[1] for r in conn.exec_driver_sql(f'PRAGMA table_info("{t}")')]
            if "case_id" in names:
                out[t] = names.index("case_id")
        out["case"] = 0
        return out


def _assert_written_exactly(cache: Engine, page: dict[str, Any], before: dict[str, list[tuple[Any, ...]]]) -> None:
    """The cache holds each case of the page as the page gives it, every other case as it was, and the page's cursor."""
    items = {i["id"]: i for i in page["items"]}  # the last of one id wins, as the server's newer copy would
    with cache.connect() as conn:
        def rows(sql: str, case_id: str) -> list[tuple[Any, ...]]:
            return [tuple(r) for r in conn.exec_driver_sql(sql, (case_id,))]

        for case_id, item in items.items():
            loan, customer = item["loan"], item["customer"]
            [(version, status, assigned, name, dpd, overdue)] = rows(
                'SELECT version, status, assigned_to, customer_name, dpd, overdue_amount FROM "case" WHERE id = ?',
                case_id,
            )
            assert (version, status, assigned, name, dpd) == (item["version"], "open", item["assigned_to"],
                                                              customer["name"], loan["dpd"])
            assert Decimal(overdue) == Decimal(loan["overdue_amount"])
            [(loan_dpd, loan_overdue, outstanding)] = rows(
                "SELECT dpd, overdue_amount, outstanding FROM loan WHERE case_id = ?", case_id)
            assert (loan_dpd, Decimal(loan_overdue), Decimal(outstanding)) == (
                loan["dpd"], Decimal(loan["overdue_amount"]), Decimal(loan["outstanding"]))
            assert rows("SELECT id, name, timezone FROM customer WHERE case_id = ?", case_id) == [
                (customer["id"], customer["name"], customer["timezone"])]
            assert sorted(rows("SELECT number, reachable FROM phone WHERE case_id = ?", case_id)) == sorted(
                (p["number"], p["reachable"]) for p in customer.get("phones", []))
            assert [
                (n, Decimal(a), Decimal(paid), st)
                for n, a, paid, st in rows(
                    "SELECT seq, amount, paid, status FROM scheduleitem WHERE case_id = ? ORDER BY seq", case_id
                )
            ] == sorted(
                (x["seq"], Decimal(x["amount"]), Decimal(x["paid"]), x["status"]) for x in item.get("schedule", [])
            )
            assert sorted(r[0] for r in rows(
                "SELECT id FROM contactattempt WHERE case_id = ? AND origin = 'server'", case_id)) == sorted(
                x["id"] for x in item.get("contacts", []))
        assert conn.exec_driver_sql("SELECT cursor FROM syncstate").scalar() == page["next_cursor"]
    after = _dump(cache)
    for table, column in _case_columns(cache).items():
        untouched = [r for r in before[table] if r[column] not in items]
        assert [r for r in after[table] if r[column] not in items] == untouched, table


def _valid(path: str, value: object, other: dict[str, Any]) -> st.SearchStrategy[object]:
    """Values the API allows at `path` other than `value`: another case's part, a prefix of a list, a new figure."""
    if isinstance(value, list):
        return st.integers(0, len(value)).map(lambda k: value[:k])
    return {
        "id": st.from_regex(r"C-[0-9]{6}", fullmatch=True) | st.just(other["id"]),
        "version": st.integers(0, 2**31),
        "customer": st.just(other["customer"]),
        "loan": st.just(other["loan"]),
        "customer.name": st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=30),
        "loan.dpd": st.integers(0, 1000),
        "loan.overdue_amount": st.decimals(0, 10**7, places=2).map(str),
    }[path]


def test_malformed_pages_never_crash_and_never_half_apply(
    server: RunningServer, cache: Engine, hostile: _Hostile
) -> None:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    with ApiClient(server.url, server.token()) as client:
        good = json.loads(client.http.get("/v1/cases", params={"limit": 2}).content)
    good["has_more"] = False  # the one page there is: a page that can be written is written, and the pull ends
    outcomes: list[str] = []

    @settings(max_examples=60, deadline=None)  # each example is a real pull over loopback: no per-example deadline
    @given(st.data())
    def attack(data: st.DataObject) -> None:
        page = json.loads(json.dumps(good))
        item = data.draw(st.integers(0, len(page["items"]) - 1))
        path = data.draw(st.sampled_from(["id", "version", "customer", "loan", "contacts", "customer.name",
                                          "loan.dpd", "loan.overdue_amount", "schedule", "customer.phones"]))
        other = page["items"][1 - item]
        target = page["items"][item]
        *parents, leaf = path.split(".")
        for p in parents:
            target = target[p]
        change = data.draw(st.sampled_from(["drop", "hostile", "valid"]))
        if change == "drop":
            target.pop(leaf, None)
        elif change == "hostile":
            target[leaf] = data.draw(json_values)
        else:  # another value the API allows: the page must then be written as it is
            target[leaf] = data.draw(_valid(path, target[leaf], other))
        body = json.dumps(page).encode()
        cut = data.draw(st.integers(0, 3)) == 0
        if cut:
            body = body[: data.draw(st.integers(0, len(body) - 1))]
        hostile.answer(body)
        before = _dump(cache)
        with ApiClient(hostile.server.url, "t") as client:
            try:
                result = pull(cache, client, now=lambda: SYNC_AT)
            except SyncError as exc:
                assert isinstance(exc, MalformedResponse) and str(exc)
                assert _dump(cache) == before  # nothing half-applied: not a row, not the cursor
                outcomes.append("refused")
                return
        assert not cut, "a page cut short was taken"
        assert (result.pages, result.upserted) == (1, len({i["id"] for i in page["items"]}))
        _assert_written_exactly(cache, page, before)
        outcomes.append("written")

    attack()
    # Both ways out were taken many times: the writer's success path is tested, not only the guard.
    assert outcomes.count("written") >= 5 and outcomes.count("refused") >= 5, outcomes


def test_audit_entries_reach_the_server(server: RunningServer, cache: Engine) -> None:
    from sqlmodel import Session

    from collector_tui.server.models import AppliedMutation

    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    case_id = queue_page(cache, 0, 1)[0].id
    audit.record(cache, at=AT, actor="demo", action="reveal", case_id=case_id, detail="phones")
    purge_case(cache, case_id, actor="demo", at=AT)
    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    assert outbox.entries(cache) == []
    with Session(server.engine) as s:
        rows = s.execute(select(AppliedMutation).where(AppliedMutation.type == "audit.recorded")).scalars().all()
    assert sorted(json.loads(r.payload)["action"] for r in rows) == ["purge", "reveal"]
    assert {r.case_id for r in rows} == {case_id} and {r.username for r in rows} == {"demo"}


def test_an_encrypted_cache_is_unreadable_without_its_key(server: RunningServer, tmp_path: Path) -> None:
    from collector_tui.storage.engine import CacheUnreadable

    key = "a1" * 32
    path = tmp_path / "enc" / "cache.db"
    engine = open_engine(path, key=key)
    run_sync(engine, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    name = present(case_detail(engine, queue_page(engine, 0, 1)[0].id)).customer.name
    engine.dispose()
    assert name.encode() not in path.read_bytes()
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        sqlite3.connect(path).execute("SELECT count(*) FROM customer").fetchall()
    with pytest.raises(CacheUnreadable, match="wrong key"):
        open_engine(path, key="b2" * 32)
    again = open_engine(path, key=key)
    assert len(queue_page(again, 0, 100)) == 60
    again.dispose()


def test_settings_encrypt_the_cache_with_a_key_in_the_keyring(tmp_path: Path) -> None:
    home = tmp_path / "enc-home"
    home.mkdir()
    (home / "settings.toml").write_text("encrypt_cache = true\n")
    out = subprocess.run([*CLI, "status", "--json"], capture_output=True, text=True, timeout=60, env=cli_env(home))
    assert out.returncode == 0, out.stderr
    stored = json.loads((tmp_path / "keyring.json").read_text())
    assert any(k.startswith("collector-tui-cache") for k in stored)
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(home / "cache.db").execute("SELECT * FROM sqlite_master").fetchall()
    again = subprocess.run([*CLI, "status", "--json"], capture_output=True, text=True, timeout=60, env=cli_env(home))
    assert again.returncode == 0 and json.loads(again.stdout)["schema_version"] >= 1


def test_an_expired_token_is_refused(server: RunningServer) -> None:
    from sqlalchemy import update
    from sqlmodel import Session

    from collector_tui.server.auth import token_digest
    from collector_tui.server.models import AccessToken

    token = server.token()
    with ApiClient(server.url, token) as client:
        assert client.me().id == "demo"
    with Session(server.engine) as s:
        s.execute(update(AccessToken).where(AccessToken.token_sha256 == token_digest(token)).values(expires_at=0))  # type: ignore[arg-type]
        s.commit()
    r = httpx.get(f"{server.url}/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_token"
