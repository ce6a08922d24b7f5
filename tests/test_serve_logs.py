"""`serve` logs one JSON line per request with no personal data, and /healthz says whether the database answers."""

from __future__ import annotations

import json
import re
import signal
from datetime import datetime, UTC
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, update
from sqlmodel import Session

from collector_tui.server.auth import hash_password
from collector_tui.server.models import Account
from collector_tui.server.runner import ServerThread, free_port, prepare
from collector_tui.server.store import SeedSpec
from tests.conftest import AS_OF
from tests.served import Served

PASSWORD = "Correct-Horse-7731"
FIELDS = {"time", "level", "logger", "pid", "method", "route", "status", "duration_ms", "request_id"}
PROXY_ID = "0123456789abcdef0123456789abcdef"  # as nginx's $request_id looks


def personal(value: Any) -> set[str]:
    """Every text of a customer's record long enough to be told apart: name, ID number, phones, e-mails, address."""
    if isinstance(value, dict):
        return set().union(*(personal(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(personal(v) for v in value)) if value else set()
    return {value} if isinstance(value, str) and len(value) >= 5 else set()


def test_each_request_is_one_json_line_with_its_route_and_no_personal_data(tmp_path: Path) -> None:
    db = tmp_path / "server.db"
    engine, _ = prepare(db, SeedSpec(cases=20, collectors=2, as_of=AS_OF))
    with Session(engine) as s:  # a password no other text of the run holds
        s.execute(update(Account).where(Account.username == "demo").values(password_hash=hash_password(PASSWORD)))  # type: ignore[arg-type]
        s.commit()
    engine.dispose()
    served = Served("--db", str(db))
    try:
        with httpx.Client(base_url=served.url, timeout=60) as client:
            sent: list[httpx.Response] = []
            sent.append(client.post("/v1/auth/token", json={"username": "demo", "password": PASSWORD}))
            token = sent[-1].json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            sent.append(client.get("/v1/cases", params={"limit": 50}, headers=auth))
            cases = sent[-1].json()["items"]
            customer = cases[0]["customer"]
            name, phone = customer["name"], customer["phones"][0]["number"]
            note = f"spoke to {name} on {phone}"
            contact = {"id": "log-1", "type": "contact.logged", "case_id": cases[0]["id"],
                       "base_version": cases[0]["version"],
                       "occurred_at": datetime.now(UTC).isoformat(),
                       "payload": {"channel": "phone", "disposition": "rpc", "duration_s": 60, "note": note}}
            sent.append(client.post("/v1/mutations", json={"mutations": [contact]},
                                    headers={**auth, "X-Request-ID": PROXY_ID}))
            sent.append(client.get("/v1/me", headers={**auth, "X-Request-ID": phone.lstrip("+")}))
            sent.append(client.get("/v1/cases", params={"since": phone, "q": name}, headers=auth))  # a bad cursor: 400
            sent.append(client.get(f"/v1/cases/{phone}", headers=auth))  # no such route: 404
            sent.append(client.post("/v1/auth/token", json={"username": name, "password": PASSWORD}))  # 401
            sent.append(client.get("/healthz"))
        assert [r.status_code for r in sent] == [200, 200, 200, 200, 400, 404, 401, 200]
        assert sent[2].json()["results"][0]["status"] == "applied"
        assert sent[-1].json() == {"status": "ok", "database": "ok"}
        lines = served.wait_for(lambda r: r["logger"] == "collector_tui.access", count=len(sent))
        assert len(served.access()) == len(sent)
    finally:
        stopped = served.stop()
    assert stopped == -signal.SIGTERM  # uvicorn stops, then lets the signal end the process as it would have
    # A request's line is written once its answer has gone out, so the next request's line may come first:
    # each line is matched to its answer by the request id the answer carries.
    by_id = {line["request_id"]: line for line in lines}
    assert len(by_id) == len(lines) == len(sent)
    for response in sent:
        line = by_id[response.headers["x-request-id"]]
        assert FIELDS <= set(line), line
        assert line["status"] == response.status_code and line["method"] == response.request.method
        assert re.fullmatch(r"[0-9a-f]{32}", line["request_id"]) and isinstance(line["duration_ms"], float)
        assert line["pid"] == served.proc.pid
        datetime.fromisoformat(line["time"])
    in_order = [by_id[response.headers["x-request-id"]] for response in sent]
    assert [line["route"] for line in in_order] == ["/v1/auth/token", "/v1/cases", "/v1/mutations", "/v1/me",
                                                     "/v1/cases", "unmatched", "/v1/auth/token", "/healthz"]
    assert in_order[2]["request_id"] == PROXY_ID  # the proxy's id joins the two logs
    assert in_order[3]["request_id"] != phone.lstrip("+")  # a client's own text is never taken for an id
    written = "\n".join(served.lines)
    secrets = {PASSWORD, token, note, "demo", *(c["id"] for c in cases), *personal([c["customer"] for c in cases])}
    assert {s for s in secrets if s in written} == set()
    assert len({json.dumps(r) for r in served.records()}) == len(served.lines)  # every line is JSON


def test_healthz_says_whether_the_database_answers(server) -> None:  # type: ignore[no-untyped-def]
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok", "database": "ok"}
    nowhere = create_engine(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none")  # nothing listens there
    down = ServerThread(nowhere).start()
    try:
        answer = httpx.get(f"{down.url}/healthz", timeout=60)
    finally:
        down.stop()
        nowhere.dispose()
    assert (answer.status_code, answer.json()) == (503, {"status": "unavailable", "database": "unreachable"})
