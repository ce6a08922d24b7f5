"""`serve --workers 2 --metrics-port` on PostgreSQL: the figures at /metrics are the whole server's, summed over
its worker processes; SIGTERM lets a push in flight finish, answered and stored."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime, UTC
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, create_engine, text

from tests.served import BOUND_S, Served


@pytest.fixture
def two_workers(pg_database) -> Iterator[tuple[Served, Engine]]:  # type: ignore[no-untyped-def]
    url = pg_database.new_schema()
    served = Served("--db", url, "--cases", "20", workers=2, metrics=True)
    engine = create_engine(url)
    try:
        yield served, engine
    finally:
        served.stop()
        engine.dispose()


def figures(served: Served) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found = {}
    for family in text_string_to_metric_families(httpx.get(served.metrics_url, timeout=60).text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def sign_in(served: Served) -> tuple[dict[str, str], list[dict[str, Any]]]:
    with httpx.Client(base_url=served.url, timeout=60) as client:
        token = client.post("/v1/auth/token", json={"username": "demo", "password": "demo"}).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        return auth, client.get("/v1/cases", params={"limit": 100}, headers=auth).json()["items"]


def contact(mid: str, case: dict[str, Any]) -> dict[str, Any]:
    return {"id": mid, "type": "contact.logged", "case_id": case["id"], "base_version": case["version"],
            "occurred_at": datetime.now(UTC).isoformat(),
            "payload": {"channel": "phone", "disposition": "rpc", "duration_s": 60}}


def test_the_metrics_are_every_workers_requests_and_verdicts(two_workers: tuple[Served, Engine]) -> None:
    served, _ = two_workers
    auth, cases = sign_in(served)
    workers = {r["pid"] for r in served.records() if r.get("message") == "Application startup complete."}
    sent = 0
    # A new connection each time, until both workers have answered some (each writes figures of its own).
    while {r["pid"] for r in served.access() if r["route"] == "/v1/me"} != workers:
        assert sent < 400, "one worker took every connection"
        assert httpx.get(f"{served.url}/v1/me", headers=auth, timeout=60).status_code == 200
        sent += 1
        served.wait_for(lambda r: r.get("route") == "/v1/me", count=sent)
    stale = {"id": "m-stale", "type": "customer.contact_corrected", "case_id": cases[0]["id"], "base_version": 0,
             "occurred_at": datetime.now(UTC).isoformat(),
             "payload": {"field": "email", "value": "a@example.com"}}
    unknown = {**contact("m-nowhere", cases[0]), "case_id": "no-such-case"}
    batch = [contact("m-1", cases[0]), contact("m-1", cases[0]), stale, unknown, contact("m-2", cases[1])]
    answer = httpx.post(f"{served.url}/v1/mutations", json={"mutations": batch}, headers=auth, timeout=60)
    assert [r["status"] for r in answer.json()["results"]] == [
        "applied", "duplicate", "conflict", "rejected", "applied"]
    served.wait_for(lambda r: r.get("route") == "/v1/mutations")
    found = figures(served)
    assert value(found, "collector_http_requests_total", method="GET", route="/v1/me", status="200") == sent
    assert value(found, "collector_http_request_duration_seconds_count",
                 method="GET", route="/v1/me", status="200") == sent
    assert value(found, "collector_http_requests_total", method="POST", route="/v1/auth/token", status="200") == 1
    verdicts = ("applied", "duplicate", "conflict", "rejected")
    assert {v: value(found, "collector_mutations_total", verdict=v) for v in verdicts} == {
        "applied": 2, "duplicate": 1, "conflict": 1, "rejected": 1}
    assert value(found, "collector_http_requests_in_flight") == 0
    assert len(workers) == 2


def test_sigterm_lets_a_push_in_flight_finish_answered_and_stored(two_workers: tuple[Served, Engine]) -> None:
    served, engine = two_workers
    auth, cases = sign_in(served)
    answers: list[httpx.Response] = []
    with engine.connect() as holder:
        # The test holds the case's row, so the push waits inside the server, its transaction open.
        holder.execute(text("SELECT id FROM casedoc WHERE id = :id FOR UPDATE"), {"id": cases[0]["id"]})
        me = holder.execute(text("SELECT pg_backend_pid()")).scalar_one()
        push = threading.Thread(target=lambda: answers.append(httpx.post(
            f"{served.url}/v1/mutations", json={"mutations": [contact("m-term", cases[0])]}, headers=auth,
            timeout=BOUND_S)))
        push.start()
        with engine.connect() as watcher:  # a condition the database reports, checked until it holds
            deadline = time.monotonic() + BOUND_S
            blocked = text("SELECT count(*) FROM pg_stat_activity WHERE :me = ANY(pg_blocking_pids(pid))")
            while not watcher.execute(blocked, {"me": me}).scalar_one():
                assert time.monotonic() < deadline and push.is_alive()
                watcher.rollback()
        assert value(figures(served), "collector_http_requests_in_flight") == 1
        served.proc.terminate()  # SIGTERM, as a service manager stops it
        served.wait_for(lambda r: r.get("message") == "Shutting down", count=2)
        holder.rollback()  # the row is free: the push goes on
        push.join(BOUND_S)
    assert served.proc.wait(BOUND_S) == 0
    [answer] = answers
    assert answer.status_code == 200 and answer.json()["results"][0]["status"] == "applied"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM appliedmutation WHERE id = 'm-term'")).scalar_one() == 1
        row = conn.execute(text("SELECT doc FROM casedoc WHERE id = :id"), {"id": cases[0]["id"]}).scalar_one()
    doc = json.loads(row)
    assert "m-term" in {c["id"] for c in doc["contacts"]}
    assert [r["status"] for r in served.access() if r["route"] == "/v1/mutations"] == [200]
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{served.url}/healthz", timeout=5)


def test_the_metrics_are_never_on_the_apis_port(tmp_path) -> None:  # type: ignore[no-untyped-def]
    served = Served("--db", str(tmp_path / "server.db"), "--cases", "10", metrics=True)
    try:
        assert httpx.get(f"{served.url}/metrics", timeout=60).status_code == 404
        assert "collector_http_requests_total" in httpx.get(served.metrics_url, timeout=60).text  # one process's own
    finally:
        served.stop()
