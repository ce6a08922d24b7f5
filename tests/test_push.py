"""Local-first work and push: recorded once, sent in order, never lost, never doubled."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from collector_tui.api import MutationResults
from collector_tui.server.models import AppliedMutation, CaseDoc
from collector_tui.storage import actions, audit, outbox
from collector_tui.storage.models import ContactAttempt, PromiseToPay
from collector_tui.storage.queries import case_detail, queue_page
from collector_tui.sync.client import ApiClient
from collector_tui.sync.errors import NetworkError
from collector_tui.sync.pull import PullResult
from collector_tui.sync.push import push
from collector_tui.sync.retry import Backoff
from collector_tui.sync.service import run_sync
from tests.conftest import SYNC_AT, RunningServer, present

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai


def sync(server: RunningServer, cache: Engine) -> PullResult:
    return run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)


def server_doc(server: RunningServer, case_id: str) -> dict[str, Any]:
    with Session(server.engine) as s:
        return json.loads(present(s.get(CaseDoc, case_id)).doc)  # type: ignore[no-any-return]


def applied_count(server: RunningServer, mutation_id: str) -> int:
    with Session(server.engine) as s:
        query = select(func.count()).select_from(AppliedMutation).where(AppliedMutation.id == mutation_id)
        return s.execute(query).scalar_one()  # type: ignore[no-any-return]


@pytest.fixture
def synced(server: RunningServer, cache: Engine) -> Engine:
    sync(server, cache)
    return cache


def test_a_record_and_its_outbox_entry_are_written_together(synced: Engine) -> None:
    case_id = queue_page(synced, 0, 1)[0].id
    entry = actions.log_contact(
        synced, case_id, at=NOW, channel="phone", disposition="no_answer", number="+8613800000000"
    )
    assert [e.id for e in outbox.entries(synced)] == [entry]
    assert present(outbox.get(synced, entry)).base_version == present(case_detail(synced, case_id)).case.version
    with synced.connect() as conn:
        assert conn.execute(select(ContactAttempt.origin).where(ContactAttempt.id == entry)).scalar() == "local"
    assert entry[14] == "7"  # UUIDv7
    with pytest.raises(actions.UnknownCase):
        actions.log_contact(synced, "C-nope", at=NOW, channel="phone", disposition="busy")
    assert len(outbox.entries(synced)) == 1  # the failed action wrote nothing


def test_push_then_pull_delivers_exactly_once_and_replaces_the_local_copy(
    server: RunningServer, synced: Engine
) -> None:
    case_id = queue_page(synced, 0, 1)[0].id
    contact = actions.log_contact(synced, case_id, at=NOW, channel="phone", disposition="promise_to_pay",
                                  duration_s=120, note="will pay on Friday")
    promise = actions.add_promise(
        synced, case_id, at=NOW, due=date(2026, 11, 30), amount=Decimal("1000.00"), currency="CNY"
    )
    result = sync(server, synced)
    assert result.pushed.applied == 2 and outbox.entries(synced) == []
    doc = server_doc(server, case_id)
    assert [c for c in doc["contacts"] if c["id"] == contact][0]["note"] == "will pay on Friday"
    assert [p for p in doc["promises"] if p["id"] == promise][0]["amount"] == "1000.00"
    assert applied_count(server, contact) == applied_count(server, promise) == 1
    with synced.connect() as conn:
        # The server's copy replaced the local one; nothing is shown twice.
        assert conn.execute(select(ContactAttempt.origin).where(ContactAttempt.id == contact)).all() == [("server",)]
        assert (
            conn.execute(select(func.count()).select_from(PromiseToPay).where(PromiseToPay.id == promise)).scalar() == 1
        )


def test_a_retried_push_is_answered_duplicate(server: RunningServer, synced: Engine) -> None:
    case_id = queue_page(synced, 0, 1)[0].id
    entry = actions.log_contact(synced, case_id, at=NOW, channel="sms", disposition="message_left")
    wire = present(outbox.get(synced, entry)).wire()
    with ApiClient(server.url, server.token()) as client:
        first = client.push([wire]).results[0]
        # The answer was lost on the way back; the client sends again.
        again = push(synced, client)
    assert first.status == "applied" and again.duplicate == 1 and again.applied == 0
    assert applied_count(server, entry) == 1 and outbox.entries(synced) == []
    assert [c["id"] for c in server_doc(server, case_id)["contacts"]].count(entry) == 1


def test_invalid_and_conflicting_entries_stay_failed_with_the_reason(server: RunningServer, synced: Engine) -> None:
    rows = queue_page(synced, 0, 3)
    bad = actions.log_contact(synced, rows[0].id, at=NOW, channel="pigeon", disposition="no_answer")
    plan = actions.submit_plan(synced, rows[1].id, at=NOW, plan_type="reinstalment", detail={
        "restructured": "300.00", "waived": "0", "parameters": {"months": 3},
        "instalments": [{"seq": i, "due_date": f"2026-12-0{i}", "amount": "100.00"} for i in (1, 2, 3)]})
    good = actions.log_contact(synced, rows[2].id, at=NOW, channel="phone", disposition="busy")
    # Someone else changed the plan's case after we last pulled it.
    httpx.post(f"{server.url}/v1/admin/churn", json={"seed": 1, "payments": 0})
    with Session(server.engine) as s:
        from collector_tui.server.store import save_doc

        row = s.get(CaseDoc, rows[1].id)
        save_doc(s, row, json.loads(row.doc))  # type: ignore[arg-type, union-attr]
        s.commit()
    result = sync(server, synced)
    assert result.pushed.applied == 1
    failed = {e.id: e for e in outbox.entries(synced, ("failed",))}
    assert set(failed) == {bad, plan}
    assert failed[bad].last_error.startswith("rejected: ") and "channel" in failed[bad].last_error  # type: ignore[operator, union-attr]
    assert failed[plan].last_error.startswith("conflict: the case changed")  # type: ignore[union-attr]
    assert applied_count(server, good) == 1 and applied_count(server, bad) == 0
    # The collector fixes the channel and resubmits; the plan is re-based on the new version after review.
    fixed = {**failed[bad].payload, "channel": "phone"}
    assert outbox.retry(synced, bad, fixed)
    sync(server, synced)
    assert applied_count(server, bad) == 1
    assert [e.id for e in outbox.entries(synced)] == [plan]


def test_unreconciled_plan_is_rejected_by_the_server(server: RunningServer, synced: Engine) -> None:
    case_id = queue_page(synced, 0, 1)[0].id
    entry = actions.submit_plan(
        synced,
        case_id,
        at=NOW,
        plan_type="deferral",
        detail={
            "restructured": "300.00",
            "waived": "0",
            "instalments": [{"seq": 1, "due_date": "2027-01-05", "amount": "299.99"}],
        },
    )
    sync(server, synced)
    failed = outbox.get(synced, entry)
    assert failed is not None and failed.state == "failed" and "must equal restructured" in (failed.last_error or "")


def test_work_on_a_case_reassigned_while_offline_is_still_pushed_then_purged(
    server: RunningServer, synced: Engine
) -> None:
    held = {r.id for r in queue_page(synced, 0, 100)}
    changed = httpx.post(f"{server.url}/v1/admin/churn", json={"seed": 5, "close": 8}).json()
    closed = next(c for c in changed["closed"] if c in held)
    entry = actions.log_contact(synced, closed, at=NOW, channel="phone", disposition="rpc", duration_s=60)
    sync(server, synced)
    # The server decided (the case is closed): the entry is kept, failed, with the reason; the data is purged.
    kept = outbox.get(synced, entry)
    assert kept is not None and kept.state == "failed"
    assert kept.last_error == "rejected: no such open case for this user"
    assert case_detail(synced, closed) is None


def test_discard_asks_nothing_of_the_server_and_is_audited(synced: Engine) -> None:
    case_id = queue_page(synced, 0, 1)[0].id
    entry = actions.log_contact(synced, case_id, at=NOW, channel="phone", disposition="busy")
    assert outbox.discard(synced, entry, actor="demo", at=NOW) is not None
    assert [e.type for e in outbox.entries(synced)] == ["audit.recorded"]  # only the audit record of the discard
    with synced.connect() as conn:
        assert (
            conn.execute(select(func.count()).select_from(ContactAttempt).where(ContactAttempt.id == entry)).scalar()
            == 0
        )
    log = audit.entries(synced, case_id)
    assert [(e.action, e.actor) for e in log] == [("outbox.discard", "demo")] and entry in log[0].detail


def test_transient_failures_back_off_and_stop_the_drain(server: RunningServer, synced: Engine) -> None:
    case_id = queue_page(synced, 0, 1)[0].id
    ids = [
        actions.log_contact(synced, case_id, at=NOW + timedelta(minutes=i), channel="sms", disposition="message_left")
        for i in range(3)
    ]
    token = server.token()
    server.thread.stop()
    sleeps: list[float] = []
    with ApiClient(server.url, token, timeout=1) as client, pytest.raises(NetworkError):
        push(synced, client, backoff=Backoff(base=0.5, cap=4, tries=4), rng=random.Random(1), sleep=sleeps.append)
    assert len(sleeps) == 3 and all(0 <= s <= min(4, 0.5 * 2**i) for i, s in enumerate(sleeps))
    left = outbox.entries(synced)
    assert [e.id for e in left] == ids and all(e.state == "pending" and e.attempts == 4 for e in left)
    assert "cannot reach" in (left[0].last_error or "")


def test_retry_after_is_honoured() -> None:
    assert Backoff(base=0.5, cap=30).delay(0, random.Random(1), retry_after=7) == 7
    assert Backoff(base=0.5, cap=5).delay(0, random.Random(1), retry_after=60) == 5


def test_batches_of_at_most_200_in_order(server: RunningServer, synced: Engine) -> None:
    rows = queue_page(synced, 0, 60)
    for i in range(450):
        actions.log_contact(
            synced, rows[i % 60].id, at=NOW + timedelta(seconds=i), channel="sms", disposition="message_left"
        )
    sent: list[int] = []

    class Counting(ApiClient):
        def push(self, mutations: list[dict[str, Any]]) -> MutationResults:
            sent.append(len(mutations))
            return super().push(mutations)

    with Counting(server.url, server.token()) as client:
        result = push(synced, client)
    assert sent == [200, 200, 50] and result.applied == 450
    with Session(server.engine) as s:
        assert s.execute(select(func.count()).select_from(AppliedMutation)).scalar_one() == 450


def test_dedupe_records_are_kept_90_days(server: RunningServer) -> None:
    import time

    from collector_tui.server.mutations import forget_old

    with Session(server.engine) as s:
        s.add(AppliedMutation(id="old", case_id="C-000001", type="contact.logged", username="demo",
                              received_at=time.time() - 91 * 86400))
        s.add(AppliedMutation(id="recent", case_id="C-000001", type="contact.logged", username="demo",
                              received_at=time.time() - 89 * 86400))
        s.commit()
        assert forget_old(s) == 1
        assert s.get(AppliedMutation, "recent") is not None and s.get(AppliedMutation, "old") is None
