"""On PostgreSQL: a lead's figures, joined by the database from the indexes and handed over in binary, equal
those worked out from the documents after every kind of write, and no per-day table or trigger is left on
case_contact; a feed page read in autocommit, its documents handed over as stored bytes, serves a token's own
cases byte for byte and refuses a bad token."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session
from tests.conftest import AS_OF, MakeServer
from tests.test_server_db import assignment, auth, contact, figures_from_documents


@pytest.fixture
def server_backend() -> str:
    return "postgresql"


def figures(client: httpx.Client, server: Any, lead: str, start: date, end: date) -> dict[str, Any]:
    r = client.get(f"{server.url}/v1/team/contact-stats", params={"from": start.isoformat(), "to": end.isoformat()},
                   headers=auth(server, lead))
    assert r.status_code == 200, r.text
    got = r.json()
    got["contacts"].sort(key=lambda c: tuple(c.values()))  # both come in no particular order
    got["cases"].sort(key=lambda c: c["case_id"])
    return got


def test_figures_follow_every_write(make_server: MakeServer) -> None:
    server = make_server(cases=90, collectors=3, teams=2)
    start, end = AS_OF - timedelta(days=120), AS_OF
    mine = sorted(assignment(server.engine, "demo"))
    with httpx.Client(timeout=30) as client:
        before = figures(client, server, "lead", start, end)
        assert before == figures_from_documents(server.engine, "T1", start, end)
        with Session(server.engine) as s:  # migration 0005 took the per-day texts and their trigger away
            assert s.execute(text("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'case_contact'::regclass "
                                  "AND NOT tgisinternal")).scalar() == 0
            assert s.execute(text("SELECT to_regclass('contact_day')")).scalar() is None
        pushed = [contact(f"d-{i}", mine[i % 4], "no_answer", i) for i in range(6)]
        r = client.post(f"{server.url}/v1/mutations", headers=auth(server, "demo"), json={"mutations": pushed})
        assert {x["status"] for x in r.json()["results"]} == {"applied"}
        after_push = figures(client, server, "lead", start, end)
        assert after_push == figures_from_documents(server.engine, "T1", start, end)
        assert sum(c["count"] for c in after_push["contacts"]) == sum(c["count"] for c in before["contacts"]) + 6
        client.post(f"{server.url}/v1/admin/churn", json={"seed": 3, "payments": 3, "reassign": 8, "close": 6})
        for lead, team in (("lead", "T1"), ("lead2", "T2")):
            assert figures(client, server, lead, start, end) == figures_from_documents(server.engine, team, start, end)


def test_a_feed_page_in_autocommit_serves_the_tokens_own_cases_and_refuses_a_bad_token(
        make_server: MakeServer) -> None:
    server = make_server(cases=40, collectors=2)
    with httpx.Client(timeout=30) as client:
        r = client.get(f"{server.url}/v1/cases", params={"limit": 1000}, headers=auth(server, "demo"))
        assert r.status_code == 200
        assert {c["id"]: c["version"] for c in r.json()["items"]} == assignment(server.engine, "demo")
        with Session(server.engine) as s:  # each document as stored, its non-ASCII text too
            stored = list(s.execute(text("SELECT doc FROM casedoc WHERE assigned_to = 'demo'")).scalars())
        assert any(not d.isascii() for d in stored)
        assert all(d.encode() in r.content for d in stored)
        bad = client.get(f"{server.url}/v1/cases", headers={"Authorization": "Bearer nope"})
        assert (bad.status_code, bad.json()["error"]["code"]) == (401, "invalid_token")
        none = client.get(f"{server.url}/v1/cases")
        assert (none.status_code, none.json()["error"]["code"]) == (401, "unauthenticated")
        cursor = client.get(f"{server.url}/v1/cases", params={"since": "%%%"}, headers=auth(server, "demo"))
        assert (cursor.status_code, cursor.json()["error"]["code"]) == (400, "bad_cursor")
