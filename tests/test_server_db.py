"""The reference server on each of its databases, SQLite and PostgreSQL: the feed and its cursor, tombstones,
mutations and their dedupe, conflicts, who may read what, the team figures in SQL, the schema's migrations,
and exactly-once under concurrent pushes to two worker processes on one PostgreSQL database."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, text
from sqlmodel import Session, select

from collector_tui.domain.contact_rules import NOT_A_CONTACT
from collector_tui.server.facts import case_facts
from collector_tui.server.models import AppliedMutation, CaseContact, CaseDoc, server_registry
from collector_tui.server.runner import free_port, prepare
from collector_tui.server.schema import FIRST, head, migrate
from collector_tui.server.store import SeedSpec, connect
from tests.conftest import AS_OF, ROOT, MakeServer, present
from tests.pg import RunDatabase

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def server_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def auth(server: Any, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.token(user)}"}


def contact(mid: str, case_id: str, disposition: str = "rpc", minutes: int = 0) -> dict[str, Any]:
    return {"id": mid, "type": "contact.logged", "case_id": case_id, "base_version": 1,
            "occurred_at": (NOW + timedelta(minutes=minutes)).isoformat(),
            "payload": {"channel": "phone", "disposition": disposition, "duration_s": 60}}


class Follower:
    """A collector's cache as the feed builds it: case id -> version, from pages and tombstones."""

    def __init__(self, url: str, headers: dict[str, str], limit: int) -> None:
        self.url, self.headers, self.limit = url, headers, limit
        self.cursor: str | None = None
        self.cases: dict[str, int] = {}
        self.seen_seqs: list[str] = []

    def pull(self, client: httpx.Client) -> int:
        pages = 0
        while True:
            params: dict[str, Any] = {"limit": self.limit, **({"since": self.cursor} if self.cursor else {})}
            r = client.get(f"{self.url}/v1/cases", params=params, headers=self.headers)
            assert r.status_code == 200, r.text
            page = r.json()
            pages += 1
            for item in page["items"]:
                if item.get("deleted"):
                    self.cases.pop(item["id"], None)
                else:
                    assert item["version"] >= self.cases.get(item["id"], 0)
                    self.cases[item["id"]] = item["version"]
            self.cursor = page["next_cursor"]
            if not page["has_more"]:
                return pages


def assignment(engine: Any, user: str) -> dict[str, int]:
    with Session(engine) as s:
        return dict(s.execute(select(CaseDoc.id, CaseDoc.version)
                              .where(CaseDoc.assigned_to == user, CaseDoc.status == "open")).all())


def test_the_feed_pages_cursors_and_tombstones_bring_a_cache_to_the_assignment(make_server: MakeServer) -> None:
    server = make_server(cases=60)
    with httpx.Client(timeout=30) as client:
        demo = Follower(server.url, auth(server, "demo"), limit=7)
        assert demo.pull(client) == 5  # 30 cases in pages of 7
        assert demo.cases == assignment(server.engine, "demo")
        r = client.post(f"{server.url}/v1/admin/churn", json={"seed": 3, "payments": 6, "reassign": 6, "close": 6})
        assert r.status_code == 200
        changed = r.json()
        demo.pull(client)
        assert demo.cases == assignment(server.engine, "demo")
        assert not set(changed["closed"]) & set(demo.cases)
        # A cursor once read gives nothing new, and its page says so.
        r = client.get(f"{server.url}/v1/cases", params={"since": demo.cursor}, headers=demo.headers)
        assert r.json() == {"items": [], "next_cursor": demo.cursor, "has_more": False}
        lead = Follower(server.url, auth(server, "lead"), limit=50)
        lead.pull(client)
        with Session(server.engine) as s:
            team = set(s.execute(select(CaseDoc.id).where(CaseDoc.team_id == "T1", CaseDoc.status == "open")).scalars())
        assert set(lead.cases) == team
        assert (
            client.get(f"{server.url}/v1/cases", params={"since": "v2:nope"}, headers=demo.headers).status_code == 400
        )


def test_mutations_apply_once_conflict_when_stale_and_never_reach_another_collectors_case(
    make_server: MakeServer,
) -> None:
    server = make_server(cases=20)
    mine, theirs = sorted(assignment(server.engine, "demo"))[0], sorted(assignment(server.engine, "demo2"))[0]
    version = assignment(server.engine, "demo")[mine]
    url, headers = f"{server.url}/v1/mutations", auth(server, "demo")
    with httpx.Client(timeout=30) as client:
        first = client.post(url, headers=headers, json={"mutations": [contact("m-1", mine), contact("m-1", mine)]})
        assert [r["status"] for r in first.json()["results"]] == ["applied", "duplicate"]
        assert first.json()["results"][0]["case_version"] == version + 1
        again = client.post(url, headers=headers, json={"mutations": [contact("m-1", mine)]}).json()["results"][0]
        assert (again["status"], again["case_version"]) == ("duplicate", version + 1)
        stale = {"id": "m-2", "type": "customer.contact_corrected", "case_id": mine, "base_version": version,
                 "occurred_at": NOW.isoformat(), "payload": {"field": "email", "value": "a@example.com"}}
        result = client.post(url, headers=headers, json={"mutations": [stale]}).json()["results"][0]
        assert (result["status"], result["case_version"], result["error"]["code"]) == ("conflict", version + 1, "stale")
        other = client.post(url, headers=headers, json={"mutations": [contact("m-3", theirs)]}).json()["results"][0]
        assert (other["status"], other["error"]["code"]) == ("rejected", "not_found")
        nul = client.post(url, headers=headers, json={"mutations": [contact("m-\u0000", mine)]})
        assert nul.status_code == 422 and nul.json()["error"]["code"] == "invalid"
        assert client.post(url, json={"mutations": []}).status_code == 401
        stats = client.get(f"{server.url}/v1/team/contact-stats", params={"from": "2026-11-01", "to": "2026-11-27"},
                           headers=headers)
        assert stats.status_code == 403
    with Session(server.engine) as s:
        assert s.execute(select(func.count()).select_from(AppliedMutation)).scalar_one() == 1
        doc = json.loads(present(s.get(CaseDoc, mine)).doc)
        assert [c["id"] for c in doc["contacts"]].count("m-1") == 1


def figures_from_documents(engine: Any, team: str, start: date, end: date) -> dict[str, Any]:
    """The team figures worked out from the case documents in Python, as the server did before SQL: the oracle."""
    with Session(engine) as s:
        names = dict(s.execute(text("SELECT username, name FROM account WHERE team_id = :t AND role = 'collector'"),
                               {"t": team}).all())
        rows = s.execute(select(CaseDoc.id, CaseDoc.assigned_to, CaseDoc.doc)
                         .where(CaseDoc.team_id == team, CaseDoc.status == "open")).all()
    held: Counter[str] = Counter()
    cases, buckets = [], Counter()  # type: ignore[var-annotated]
    for case_id, collector, raw in rows:
        doc = json.loads(raw)
        tz = ZoneInfo(doc["customer"]["timezone"])
        held[collector] += 1
        since = doc["loan"].get("overdue_since")
        first = None
        for c in sorted(doc.get("contacts", []), key=lambda c: datetime.fromisoformat(c["at"])):
            at = datetime.fromisoformat(c["at"]).astimezone(tz)
            reached = c.get("target", "customer") == "customer" and c["disposition"] not in NOT_A_CONTACT
            if first is None and reached and (since is None or at.date().isoformat() >= since):
                first = at
            if start <= at.date() <= end:
                buckets[(c.get("collector") or collector, case_id, at.date().isoformat(), at.hour, c["channel"],
                         c["disposition"], c.get("target", "customer"))] += 1
        promises = Counter(p["status"] for p in doc.get("promises", [])
                           if start.isoformat() <= p["due_date"] <= end.isoformat())
        cases.append({"case_id": case_id, "collector": collector, "dpd": doc["loan"]["dpd"], "overdue_since": since,
                      "timezone": doc["customer"]["timezone"], "first_contact_at": first.isoformat() if first else None,
                      "promises_kept": promises["kept"], "promises_broken": promises["broken"],
                      "promises_partly_kept": promises["partially_kept"]})
    return {
        "team_id": team, "from": start.isoformat(), "to": end.isoformat(),
        "collectors": [{"id": u, "name": names[u], "cases": held[u]} for u in sorted(names)],
        "cases": sorted(cases, key=lambda c: c["case_id"]),
        "contacts": [{"collector": k[0], "case_id": k[1], "day": k[2], "local_hour": k[3], "channel": k[4],
                      "disposition": k[5], "target": k[6], "count": n} for k, n in sorted(buckets.items())],
    }


def assert_facts_follow_the_documents(engine: Any) -> None:
    """Every case's contact and promise rows and fact columns are what its document says, however they were
    written (in full, or only the rows a change touched)."""
    with Session(engine) as s:
        cases = s.execute(select(CaseDoc)).scalars().all()
        rows = {(r.case_id, r.n): r.model_dump() for r in s.execute(select(CaseContact)).scalars()}
    want: dict[tuple[str, int], dict[str, Any]] = {}
    for row in cases:
        f = case_facts(row.id, row.team_id, row.assigned_to, row.status, json.loads(row.doc))
        assert {k: getattr(row, k) for k in f.columns} == f.columns, row.id
        want.update({(c["case_id"], c["n"]): c for c in f.contacts})
    assert rows == want


def test_team_figures_in_sql_equal_those_worked_out_from_the_documents(make_server: MakeServer) -> None:
    server = make_server(cases=90, collectors=3, teams=2)
    start, end = date(2026, 8, 1), AS_OF
    mine = sorted(assignment(server.engine, "demo"))
    with httpx.Client(timeout=30) as client:
        pushed = [contact(f"t-{i}", mine[i % 5], random.Random(i).choice(["rpc", "no_answer", "promise_to_pay"]), i)
                  for i in range(12)]
        r = client.post(f"{server.url}/v1/mutations", headers=auth(server, "demo"), json={"mutations": pushed})
        assert {x["status"] for x in r.json()["results"]} == {"applied"}
        client.post(f"{server.url}/v1/admin/churn", json={"seed": 5, "payments": 4, "reassign": 6, "close": 5})
        for lead, team in (("lead", "T1"), ("lead2", "T2")):
            r = client.get(
                f"{server.url}/v1/team/contact-stats",
                params={"from": start.isoformat(), "to": end.isoformat()},
                headers=auth(server, lead),
            )
            assert r.status_code == 200
            got, want = r.json(), figures_from_documents(server.engine, team, start, end)
            got["contacts"].sort(key=lambda c: tuple(c.values()))  # both come in no particular order
            got["cases"].sort(key=lambda c: c["case_id"])
            assert got["collectors"] == want["collectors"] and got["contacts"] == want["contacts"]
            assert got == want
            assert sum(c["count"] for c in got["contacts"]) > 50 if team == "T1" else True
    assert_facts_follow_the_documents(server.engine)
    with Session(server.engine) as s:  # the facts follow the documents: none for a closed case
        closed = s.execute(
            select(func.count())
            .select_from(CaseContact)
            .join(CaseDoc, CaseDoc.id == CaseContact.case_id)  # type: ignore[arg-type]
            .where(CaseDoc.status != "open")
        ).scalar_one()
        assert closed == 0


def test_the_schema_is_its_migrations_and_an_unversioned_database_is_brought_up_to_date(
    server_db: Callable[[], str],
) -> None:
    url = server_db()
    engine = connect(url)
    migrate(engine, FIRST)  # the schema as it was before versioning, with a case in it
    with engine.begin() as conn:
        doc = {
            "id": "C-1",
            "customer": {"timezone": "Asia/Shanghai"},
            "loan": {"dpd": 9, "overdue_since": "2026-11-18"},
            "contacts": [{"at": "2026-11-20T10:00:00+08:00", "channel": "phone", "disposition": "rpc"}],
            "promises": [{"due_date": "2026-11-25", "status": "kept"}],
        }
        conn.execute(text("INSERT INTO casedoc (id, assigned_to, team_id, version, seq, status, doc) "
                          "VALUES ('C-1', 'demo', 'T1', 1, 1, 'open', :doc)"), {"doc": json.dumps(doc)})
        conn.execute(text("DROP TABLE alembic_version"))  # as a database made by create_all was
    assert migrate(engine) == head()
    with Session(engine) as s:
        row = s.get(CaseDoc, "C-1")
        assert row is not None and (row.dpd, row.first_contact_at) == (9, "2026-11-20T10:00:00+08:00")
        assert s.execute(select(func.count()).select_from(CaseContact)).scalar_one() == 1
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": engine.dialect.name == "postgresql"})
        assert compare_metadata(context, server_registry.metadata) == []
    assert migrate(engine) == head()  # a second start changes nothing
    engine.dispose()


class Workers(NamedTuple):
    """The base URL of `serve --workers 2` and an engine on its database."""

    base: str
    engine: Engine


def wait_until_started(proc: subprocess.Popen[bytes], workers: int) -> None:
    """Reads the server's own output until each worker says its application has started (it accepts requests from
    then on); the rest of its output is drained in the background so that the pipe never fills. A server that
    neither starts nor exits is killed after two minutes, a bound for a broken run only."""
    assert proc.stdout is not None
    said: list[str] = []
    broken = threading.Timer(120, proc.kill)
    broken.start()
    try:
        started = 0
        for raw in proc.stdout:  # ends when the process exits
            said.append(raw.decode(errors="replace"))
            started += "Application startup complete" in said[-1]
            if started == workers:
                break
        else:
            raise AssertionError("serve stopped before it started:\n" + "".join(said))
    finally:
        broken.cancel()
    threading.Thread(target=proc.stdout.read, daemon=True).start()


@pytest.fixture
def two_workers(pg_database: RunDatabase) -> Iterator[Workers]:
    """`collector-tui serve --workers 2` on a seeded PostgreSQL schema: two processes, one database."""
    url = pg_database.new_schema()
    engine, _ = prepare(url, SeedSpec(cases=40, collectors=2, as_of=AS_OF))
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "collector_tui", "serve", "--db", url, "--workers", "2",
                             "--port", str(port), "--admin"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_started(proc, workers=2)
        yield Workers(base, engine)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        engine.dispose()


def test_the_same_mutations_pushed_at_once_to_two_workers_are_stored_exactly_once(two_workers: Workers) -> None:
    base, engine = two_workers
    with httpx.Client(timeout=30) as client:
        token = client.post(f"{base}/v1/auth/token", json={"username": "demo", "password": "demo"}).json()[
            "access_token"
        ]
    headers = {"Authorization": f"Bearer {token}"}
    before = assignment(engine, "demo")
    cases = sorted(before)[:8]
    mutations = [contact(f"x-{i:03d}", cases[i % len(cases)], minutes=i) for i in range(80)]
    answers: list[dict[str, Any]] = []
    errors: list[str] = []
    follower = Follower(base, headers, limit=5)
    done = threading.Event()

    def pusher(n: int) -> None:
        rng = random.Random(n)
        order = mutations[:]
        rng.shuffle(order)
        with httpx.Client(timeout=60) as client:  # each batch goes to whichever worker takes the connection
            for i in range(0, len(order), 10):
                r = client.post(f"{base}/v1/mutations", headers=headers, json={"mutations": order[i:i + 10]})
                if r.status_code != 200:
                    errors.append(f"{r.status_code} {r.text[:200]}")
                else:
                    answers.extend(r.json()["results"])

    def reader() -> None:
        with httpx.Client(timeout=60) as client:
            while not done.is_set():
                follower.pull(client)

    threads = [threading.Thread(target=pusher, args=(n,)) for n in range(6)]
    watching = threading.Thread(target=reader)
    watching.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    watching.join()
    assert errors == []
    applied = Counter(a["id"] for a in answers if a["status"] == "applied")
    assert applied == {m["id"]: 1 for m in mutations}  # each id applied by exactly one of the six pushers
    assert {a["status"] for a in answers} == {"applied", "duplicate"} and len(answers) == 6 * len(mutations)
    after = assignment(engine, "demo")
    per_case = Counter(m["case_id"] for m in mutations)
    assert {c: after[c] - before[c] for c in cases} == dict(per_case)  # one version per mutation, none lost
    with Session(engine) as s:
        stored = s.execute(select(AppliedMutation.id)).scalars().all()
        assert sorted(stored) == sorted(applied)
        seqs = s.execute(select(CaseDoc.seq)).scalars().all()
        assert len(seqs) == len(set(seqs))
        for case_id in cases:
            ids = [c["id"] for c in json.loads(present(s.get(CaseDoc, case_id)).doc)["contacts"]]
            assert sorted(i for i in ids if i.startswith("x-")) == sorted(m["id"] for m in mutations
                                                                        if m["case_id"] == case_id)
    assert_facts_follow_the_documents(engine)
    # A feed read while all this was committing missed nothing: one more pull and it equals the assignment.
    with httpx.Client(timeout=30) as client:
        follower.pull(client)
    assert follower.cases == after
