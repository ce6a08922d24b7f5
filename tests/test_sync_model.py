"""A model-based check (hypothesis state machine): record, push, fail, churn and pull in any order
against the real server; after every step the server, the cache and the model agree."""

from __future__ import annotations

import random
import shutil
import tempfile
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import select, text
from sqlmodel import Session

from collector_tui.server.models import AppliedMutation, CaseDoc
from collector_tui.server.runner import ServerThread, prepare
from collector_tui.server.store import SeedSpec
from collector_tui.storage import actions, outbox
from collector_tui.storage.engine import open_engine
from collector_tui.storage.models import Case
from collector_tui.storage.queries import queue_page
from collector_tui.sync.client import ApiClient
from collector_tui.sync.errors import SyncError
from collector_tui.sync.push import Backoff
from collector_tui.sync.service import run_sync
from tests.conftest import AS_OF, SYNC_AT
from tests.faultproxy import FaultProxy

AT = datetime(2026, 11, 27, 3, 0, tzinfo=timezone.utc)
FAST = Backoff(base=0.01, cap=0.02, tries=2)


class SyncModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="sync-model-"))
        engine, _ = prepare(self.dir / "server.db", SeedSpec(seed=3, cases=40, as_of=AS_OF))
        self.server_engine = engine
        self.server = ServerThread(engine, admin=True).start()
        with ApiClient(self.server.url) as client:
            self.token = client.login("demo", "demo").access_token
        self.cache = open_engine(self.dir / "home" / "cache.db")
        run_sync(self.cache, self.server.url, "demo", self.token, now=lambda: SYNC_AT)
        self.recorded: list[str] = []
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
            entry = actions.add_promise(self.cache, case_id, at=at, due=date(2026, 12, 1), amount=Decimal(100 + pick),
                                        currency="CNY")
        else:
            entry = actions.log_contact(self.cache, case_id, at=at, channel="phone", disposition="no_answer")
        self.recorded.append(entry)

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

    @rule(seed=st.integers(0, 10_000))
    def churn(self, seed: int) -> None:
        httpx.post(f"{self.server.url}/v1/admin/churn", json={"seed": seed, "payments": 2, "reassign": 1, "close": 1})

    @invariant()
    def nothing_lost_nothing_doubled(self) -> None:
        with Session(self.server_engine) as s:
            applied = Counter(s.execute(select(AppliedMutation.id)).scalars())
        local = {e.id: e for e in outbox.entries(self.cache)}
        for entry in self.recorded:
            assert applied[entry] <= 1, entry
            # Every record is somewhere: applied on the server, or still in the outbox.
            assert applied[entry] == 1 or entry in local, entry
            if entry in local and local[entry].state == "failed":
                assert local[entry].last_error == "rejected: no such open case for this user"
        with self.cache.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"


TestSyncModel = SyncModel.TestCase
TestSyncModel.settings = settings(max_examples=6, stateful_step_count=10, deadline=None,
                                  suppress_health_check=[HealthCheck.too_slow])
