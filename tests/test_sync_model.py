"""A model-based check (hypothesis state machine): record, push, fail, churn and pull in any order
against the real server; after every step the server, the cache and the model agree: every record is applied
once or still in the outbox, and each applied record is in its case's document on the server exactly once."""

from __future__ import annotations

import atexit
import json
import random
import shutil
import tempfile
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import text
from sqlmodel import Session, select

from collector_tui.server.models import AppliedMutation, CaseDoc
from collector_tui.server.runner import ServerThread, prepare
from collector_tui.server.store import SeedSpec, open_server_db
from collector_tui.storage import actions, outbox
from collector_tui.storage.engine import open_engine
from collector_tui.storage.models import Case
from collector_tui.storage.queries import case_detail, queue_page
from collector_tui.sync.client import ApiClient
from collector_tui.sync.errors import SyncError
from collector_tui.sync.retry import Backoff
from collector_tui.sync.service import run_sync
from tests.conftest import AS_OF, SYNC_AT, present
from tests.faultproxy import FaultProxy

AT = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
FAST = Backoff(base=0.01, cap=0.02, tries=2)
_TEMPLATE: dict[str, object] = {}


def _template() -> dict[str, object]:
    """One seeded server database with a signed-in collector and a cache synced from it; each example starts
    from copies (seeding, signing in and the first sync again for every example would cost most of the run)."""
    if not _TEMPLATE:
        folder = Path(tempfile.mkdtemp(prefix="sync-model-template-"))
        atexit.register(shutil.rmtree, folder, True)
        engine, _ = prepare(folder / "server.db", SeedSpec(seed=3, cases=40, as_of=AS_OF))
        server = ServerThread(engine, admin=True).start()
        try:
            with ApiClient(server.url) as client:
                token = client.login("demo", "demo").access_token
            cache = open_engine(folder / "cache.db")
            run_sync(cache, server.url, "demo", token, now=lambda: SYNC_AT)
            cache.dispose()
        finally:
            server.stop()
            engine.dispose()
        _TEMPLATE.update(folder=folder, token=token)
    return _TEMPLATE


class SyncModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        template = _template()
        self.dir = Path(tempfile.mkdtemp(prefix="sync-model-"))
        (self.dir / "home").mkdir()
        shutil.copy(template["folder"] / "server.db", self.dir / "server.db")  # type: ignore[operator]
        shutil.copy(template["folder"] / "cache.db", self.dir / "home" / "cache.db")  # type: ignore[operator]
        self.server_engine = open_server_db(str(self.dir / "server.db"))
        self.server = ServerThread(self.server_engine, admin=True).start()
        self.token = str(template["token"])
        self.cache = open_engine(self.dir / "home" / "cache.db")
        with self.cache.begin() as conn:  # the same server, on this example's port
            conn.execute(text("UPDATE syncstate SET api_url = :u"), {"u": self.server.url})
        self.recorded: list[str] = []
        self.case_of: dict[str, str] = {}
        self.step = 0

    def teardown(self) -> None:
        self.server.stop()
        self.cache.dispose()
        self.server_engine.dispose()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _cases(self) -> list[str]:
        return [r.id for r in queue_page(self.cache, 0, 100)]

    @rule(pick=st.integers(0, 1000), promise=st.booleans())
    def record(self, pick: int, promise: bool) -> None:
        cases = self._cases()
        if not cases:
            return
        case_id = cases[pick % len(cases)]
        self.step += 1
        at = AT + timedelta(minutes=self.step)
        if promise:
            loan = present(case_detail(self.cache, case_id)).loan
            # A promise the server accepts: in the loan's currency, at most what it owes.
            amount = min(Decimal(100 + pick), Decimal(loan.outstanding))
            entry = actions.add_promise(self.cache, case_id, at=at, due=date(2026, 12, 1), amount=amount,
                                        currency=loan.currency)
        else:
            entry = actions.log_contact(self.cache, case_id, at=at, channel="phone", disposition="no_answer")
        self.recorded.append(entry)
        self.case_of[entry] = case_id

    @rule()
    def clean_sync(self) -> None:
        run_sync(self.cache, self.server.url, "demo", self.token, now=lambda: SYNC_AT, backoff=FAST)
        assert not outbox.entries(self.cache, ("pending",))
        with Session(self.server_engine) as s:
            open_ids = set(s.execute(select(CaseDoc.id).where(CaseDoc.assigned_to == "demo",
                                                               CaseDoc.status == "open")).scalars())
        with self.cache.connect() as conn:
            assert set(conn.execute(select(Case.id)).scalars()) == open_ids

    @rule(seed=st.integers(0, 10_000))
    def faulty_sync(self, seed: int) -> None:
        rng = random.Random(seed)
        proxy = FaultProxy(self.server.port, plan=lambda n: rng.choice(["drop_after", "cut", "500", "drop_before"])
                           if rng.random() < 0.5 else None)
        with self.cache.begin() as conn:
            conn.execute(text("UPDATE syncstate SET api_url = :u"), {"u": proxy.url})
        try:
            run_sync(self.cache, proxy.url, "demo", self.token, now=lambda: SYNC_AT, timeout=1, backoff=FAST)
        except SyncError:
            pass
        finally:
            proxy.close()
            with self.cache.begin() as conn:
                conn.execute(text("UPDATE syncstate SET api_url = :u"), {"u": self.server.url})

    def _server_cases(self) -> dict[str, CaseDoc]:
        with Session(self.server_engine) as s:
            return {row.id: row for row in s.execute(select(CaseDoc)).scalars()}

    @rule(seed=st.integers(0, 10_000))
    def churn(self, seed: int) -> None:
        before = self._server_cases()
        was_open = {i for i, row in before.items() if row.status == "open"}
        answer = httpx.post(f"{self.server.url}/v1/admin/churn",
                            json={"seed": seed, "payments": 2, "reassign": 1, "close": 1})
        assert answer.status_code == 200, answer.text
        changed = answer.json()
        assert set(changed) == {"payments", "reassigned", "closed"}
        every = changed["payments"] + changed["reassigned"] + changed["closed"]
        assert len(every) == len(set(every)) and set(every) <= was_open
        # Payments are taken first, then one reassignment (when a peer works the market), then one closure.
        assert len(changed["payments"]) == min(2, len(was_open))
        assert len(changed["reassigned"]) <= 1 and len(changed["closed"]) == (1 if len(was_open) >= 4 else 0)
        after = self._server_cases()
        for case_id in changed["payments"]:
            assert after[case_id].version > before[case_id].version
        for case_id in changed["reassigned"]:
            assert after[case_id].assigned_to != before[case_id].assigned_to and after[case_id].status == "open"
        for case_id in changed["closed"]:
            assert after[case_id].status == "closed"
        untouched = set(before) - set(every)
        assert all((after[i].version, after[i].status, after[i].assigned_to)
                   == (before[i].version, before[i].status, before[i].assigned_to) for i in untouched)

    @invariant()
    def nothing_lost_nothing_doubled(self) -> None:
        with Session(self.server_engine) as s:
            applied = Counter(s.execute(select(AppliedMutation.id)).scalars())
            docs = {i: json.loads(d) for i, d in s.execute(select(CaseDoc.id, CaseDoc.doc)).all()}
        in_docs: dict[str, Counter[str]] = {}
        for case_id, doc in docs.items():
            ids = Counter(x["id"] for key in ("contacts", "promises") for x in doc.get(key, []))
            assert all(n == 1 for n in ids.values()), (case_id, [i for i, n in ids.items() if n > 1])
            in_docs[case_id] = ids
        local = {e.id: e for e in outbox.entries(self.cache)}
        for entry in self.recorded:
            assert applied[entry] <= 1, entry
            # Every record is somewhere: applied on the server, or still in the outbox.
            assert applied[entry] == 1 or entry in local, entry
            # Applied once is written once, into its own case's document; not applied is in none.
            assert in_docs[self.case_of[entry]][entry] == applied[entry], entry
            assert sum(ids[entry] for ids in in_docs.values()) == applied[entry], entry
            if entry in local and local[entry].state == "failed":
                assert local[entry].last_error == "rejected: no such open case for this user"
        with self.cache.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"


TestSyncModel = SyncModel.TestCase
# Bounded by the number of examples and steps, not by time: each step is a real sync (a faulty one waits on
# its timeouts), so a per-example deadline would measure the machine's load, not the code. No health check is
# suppressed: generating the steps' data is cheap.
TestSyncModel.settings = settings(max_examples=15, stateful_step_count=15, deadline=None)
