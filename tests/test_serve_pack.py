"""`serve --pack` (or COLLECTOR_TUI_SERVER_PACK) is the rule pack the server checks pushed entries against: a
callback at 21:30 in the customer's time is inside China's hours (08:00-22:00) and outside those of the US and
UK packs (08:00-21:00), through the real server, in one process and in each of several."""

from __future__ import annotations

from datetime import datetime, time, timedelta, UTC
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from uuid6 import uuid7

from tests.served import Served


def push_a_late_callback(served: Served) -> dict[str, Any]:
    """A callback for tomorrow 21:30 in the customer's time, on a case whose customer lives in Shanghai."""
    with httpx.Client(base_url=served.url, timeout=60) as client:
        token = client.post("/v1/auth/token", json={"username": "demo", "password": "demo"}).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        items = client.get("/v1/cases", params={"limit": 200}, headers=auth).json()["items"]
        case = next(c for c in items if c["customer"]["timezone"] == "Asia/Shanghai"
                    and all(p["number"].startswith("+86") for p in c["customer"]["phones"]))
        zone = ZoneInfo("Asia/Shanghai")
        now = datetime.now(UTC)  # the server checks against its own clock
        at = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time(21, 30), zone)
        mutation = {"id": str(uuid7()), "type": "callback.scheduled", "case_id": case["id"],
                    "base_version": case["version"], "occurred_at": (now - timedelta(minutes=1)).isoformat(),
                    "payload": {"at": at.isoformat()}}
        answer = client.post("/v1/mutations", json={"mutations": [mutation]}, headers=auth)
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()["results"][0]
        return result


def test_the_default_pack_is_chinas_and_lets_the_callback_through(tmp_path: Path) -> None:
    served = Served("--db", str(tmp_path / "server.db"), "--cases", "30", log_fifo=tmp_path / "serve.log")
    try:
        result = push_a_late_callback(served)
        served.wait_for(lambda r: r.get("route") == "/v1/mutations")
    finally:
        served.stop()
    assert result["status"] == "applied", result
    # --log-file: the lines went there, not to standard error, the push among them
    assert served.proc.stderr is not None and served.proc.stderr.read() == ""
    assert [(r["method"], r["route"], r["status"]) for r in served.access()] == [
        ("POST", "/v1/auth/token", 200), ("GET", "/v1/cases", 200), ("POST", "/v1/mutations", 200)]


def test_serve_pack_us_refuses_the_same_callback(tmp_path: Path) -> None:
    served = Served("--db", str(tmp_path / "server.db"), "--cases", "30", "--pack", "us-regf")
    try:
        result = push_a_late_callback(served)
    finally:
        served.stop()
    assert (result["status"], result["error"]["code"]) == ("rejected", "invalid")
    assert "outside 08:00-21:00" in result["error"]["message"] and "US-HOURS" in result["error"]["message"]


@pytest.mark.parametrize("server_backend", ["postgresql"])
def test_every_worker_checks_against_the_pack_named_in_the_environment(server_db) -> None:  # type: ignore[no-untyped-def]
    served = Served("--db", server_db(), "--cases", "30", workers=2, env={"COLLECTOR_TUI_SERVER_PACK": "uk-conc"})
    try:
        results = [push_a_late_callback(served) for _ in range(4)]
        pids = {r["pid"] for r in served.wait_for(lambda r: r.get("route") == "/v1/mutations", count=4)}
    finally:
        served.stop()
    assert {(r["status"], r["error"]["code"]) for r in results} == {("rejected", "invalid")}
    assert all("outside 08:00-21:00" in r["error"]["message"] for r in results)
    assert pids <= {r["pid"] for r in served.records() if r.get("message") == "Application startup complete."}
