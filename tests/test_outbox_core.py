"""The outbox and the push, without a server: a scripted client answers each batch, so every branch of the
drain, the retry and the settling of answers runs in milliseconds (the fast tests mutation testing uses).

The same behaviour against the real server, with real faults, is in test_push.py and test_faults.py.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import select

from collector_tui.api.mutations import ErrorDetail, MutationResult, MutationResults
from collector_tui.storage import audit, outbox
from collector_tui.storage.engine import open_engine, write
from collector_tui.storage.models import ContactAttempt
from collector_tui.storage.outbox_rows import enqueue
from collector_tui.sync.errors import AuthError, MalformedResponse, NetworkError, ServerError, SyncError
from collector_tui.sync.push import BATCH, PushResult, push
from collector_tui.sync.retry import ONCE, Backoff, retrying, transient
from tests.conftest import present

AT = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:  # type: ignore[misc]
    e = open_engine(tmp_path / "cache.db")
    yield e
    e.dispose()


def add(engine: Engine, count: int, mtype: str = "contact.logged") -> list[str]:
    ids = [
        f"0193f0d1-0000-7000-8000-{i:012d}"
        for i in range(len(outbox.entries(engine)), len(outbox.entries(engine)) + count)
    ]
    with write(engine) as conn:
        for n, entry_id in enumerate(ids):
            enqueue(conn, id=entry_id, type=mtype, case_id=f"C-{n % 3}", base_version=n, occurred_at=AT,
                    payload={"channel": "sms", "n": n})
    return ids


Answer = Callable[[list[dict[str, Any]]], MutationResults]


class Scripted:
    """A stand-in for ApiClient.push: each call is answered by the next of `answers`, and remembered."""

    def __init__(self, *answers: Answer | SyncError, time_left: float | None = None) -> None:
        self.answers = list(answers)
        self.calls: list[list[dict[str, Any]]] = []
        self.left = time_left

    def push(self, mutations: list[dict[str, Any]]) -> MutationResults:
        self.calls.append(mutations)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, SyncError):
            raise answer
        return answer(mutations)

    def time_left(self) -> float | None:
        return self.left


def all_(status: str, message: str | None = None) -> Answer:
    def answer(mutations: list[dict[str, Any]]) -> MutationResults:
        error = ErrorDetail(code=status, message=message) if message is not None else None
        return MutationResults(results=[MutationResult(id=m["id"], status=status, error=error) for m in mutations])  # type: ignore[arg-type]
    return answer


def by_id(verdicts: dict[str, tuple[str, str | None]], others: str = "applied") -> Answer:
    def answer(mutations: list[dict[str, Any]]) -> MutationResults:
        out = []
        for m in mutations:
            status, message = verdicts.get(m["id"], (others, None))
            out.append(MutationResult(id=m["id"], status=status,  # type: ignore[arg-type]
                                      error=ErrorDetail(code=status, message=message) if message else None))
        return MutationResults(results=out)
    return answer


def run(engine: Engine, client: Scripted, **kw: Any) -> tuple[PushResult, list[float]]:
    sleeps: list[float] = []
    kw.setdefault("backoff", Backoff(base=0.5, cap=4, tries=3))
    result = push(engine, client, rng=random.Random(3), sleep=sleeps.append, **kw)  # type: ignore[arg-type]
    return result, sleeps


def test_entries_go_oldest_first_in_batches_and_leave_when_applied(engine: Engine) -> None:
    ids = add(engine, 5)
    client = Scripted(all_("applied"))
    result, sleeps = run(engine, client, batch=2)
    assert [[m["id"] for m in call] for call in client.calls] == [ids[0:2], ids[2:4], ids[4:5]]
    assert client.calls[0][0] == {"id": ids[0], "type": "contact.logged", "case_id": "C-0", "base_version": 0,
                                  "occurred_at": AT.isoformat(), "payload": {"channel": "sms", "n": 0}}
    assert (result.sent, result.applied, result.duplicate, result.failed, sleeps) == (5, 5, 0, {}, [])
    assert outbox.entries(engine) == [] and outbox.counts(engine) == {}


def test_a_batch_is_200_entries() -> None:
    assert BATCH == 200


def test_the_default_batch_sends_200_then_the_rest(engine: Engine) -> None:
    add(engine, 201)
    client = Scripted(all_("applied"))
    result, _ = run(engine, client)
    assert [len(c) for c in client.calls] == [200, 1] and result.applied == 201


def test_duplicates_are_delivered_too(engine: Engine) -> None:
    ids = add(engine, 3)
    result, _ = run(engine, Scripted(by_id({ids[1]: ("duplicate", None)})))
    assert (result.sent, result.applied, result.duplicate) == (3, 2, 1)
    assert outbox.entries(engine) == []


def test_rejected_and_conflicting_entries_stay_failed_with_the_servers_reason(engine: Engine) -> None:
    ids = add(engine, 4)
    verdicts = {ids[0]: ("rejected", "channel must be one of phone, sms"), ids[2]: ("conflict", "the case changed"),
                ids[3]: ("rejected", None)}
    result, _ = run(engine, Scripted(by_id(verdicts)))
    reasons = {ids[0]: "rejected: channel must be one of phone, sms", ids[2]: "conflict: the case changed",
               ids[3]: "rejected:"}
    assert (result.sent, result.applied, result.failed) == (4, 1, reasons)
    left = outbox.entries(engine)
    assert [(e.id, e.state, e.last_error, e.attempts) for e in left] == [
        (i, "failed", reasons[i], 1) for i in (ids[0], ids[2], ids[3])
    ]
    # A failed entry is not sent again until the collector puts it back in line.
    again = Scripted(all_("applied"))
    assert run(engine, again)[0].sent == 0 and again.calls == []
    assert outbox.retry(engine, ids[0], {"channel": "phone"})
    assert present(outbox.get(engine, ids[0])).payload == {"channel": "phone"}
    assert run(engine, again)[0].applied == 1 and [m["id"] for m in again.calls[0]] == [ids[0]]
    assert again.calls[0][0]["payload"] == {"channel": "phone"}
    assert outbox.retry(engine, ids[2]) and present(outbox.get(engine, ids[2])).payload == {"channel": "sms", "n": 2}
    assert (present(outbox.get(engine, ids[2])).state, present(outbox.get(engine, ids[2])).last_error) == (
        "pending",
        None,
    )
    assert not outbox.retry(engine, "no-such-entry")


def test_an_answer_for_something_not_sent_is_ignored(engine: Engine) -> None:
    ids = add(engine, 2)

    def answer(mutations: list[dict[str, Any]]) -> MutationResults:
        return MutationResults(results=[MutationResult(id="someone-else", status="applied"),
                                        *[MutationResult(id=m["id"], status="applied") for m in mutations]])

    result, _ = run(engine, Scripted(answer))
    assert (result.sent, result.applied) == (2, 2) and outbox.entries(engine) == [] and len(ids) == 2


def test_a_server_that_skips_entries_stops_the_drain_and_they_stay_pending(engine: Engine) -> None:
    ids = add(engine, 3)

    def first_only(mutations: list[dict[str, Any]]) -> MutationResults:
        return MutationResults(results=[MutationResult(id=mutations[0]["id"], status="applied")])

    client = Scripted(first_only)
    result, _ = run(engine, client, batch=2)
    assert len(client.calls) == 1 and (result.sent, result.applied) == (1, 1)
    left = outbox.entries(engine)
    assert [(e.id, e.state, e.attempts) for e in left] == [(ids[1], "pending", 1), (ids[2], "pending", 0)]


def test_a_transient_failure_is_retried_noted_and_then_delivered(engine: Engine) -> None:
    ids = add(engine, 2)
    client = Scripted(NetworkError("cannot reach the server"), ServerError("HTTP 503", 503), all_("applied"))
    result, sleeps = run(engine, client)
    assert len(client.calls) == 3 and result.applied == 2 and outbox.entries(engine) == []
    assert len(sleeps) == 2 and 0 <= sleeps[0] <= 0.5 and 0 <= sleeps[1] <= 1.0
    assert ids


def test_a_transient_failure_that_outlasts_the_retries_stops_the_drain_with_entries_pending(engine: Engine) -> None:
    ids = add(engine, 3)
    client = Scripted(ServerError("HTTP 500: injected fault", 500))
    with pytest.raises(ServerError, match="injected fault"):
        run(engine, client, batch=2)
    assert len(client.calls) == 3  # three tries of the first batch; the second never goes
    left = outbox.entries(engine)
    assert [(e.id, e.state, e.attempts, e.last_error) for e in left] == [
        (ids[0], "pending", 3, "HTTP 500: injected fault"), (ids[1], "pending", 3, "HTTP 500: injected fault"),
        (ids[2], "pending", 0, None)]


@pytest.mark.parametrize("refusal", [AuthError("HTTP 401: the token is invalid"), ServerError("HTTP 404", 404),
                                     MalformedResponse("malformed answer")])
def test_a_refusal_is_not_retried_and_fails_no_entry(engine: Engine, refusal: SyncError) -> None:
    add(engine, 2)
    client = Scripted(refusal)
    with pytest.raises(type(refusal)):
        run(engine, client)
    assert len(client.calls) == 1
    assert [(e.state, e.attempts, e.last_error) for e in outbox.entries(engine)] == [("pending", 0, None)] * 2


@pytest.mark.parametrize("status", [409, 422])
def test_a_verdict_on_the_whole_batch_fails_each_entry_and_the_drain_goes_on(engine: Engine, status: int) -> None:
    ids = add(engine, 3)
    client = Scripted(ServerError(f"HTTP {status}: the request is not valid", status), all_("applied"))
    result, sleeps = run(engine, client, batch=2)
    reason = f"HTTP {status}: the request is not valid"
    assert result.failed == {ids[0]: reason, ids[1]: reason} and result.applied == 1 and sleeps == []
    assert [m["id"] for m in client.calls[1]] == [ids[2]]
    assert [(e.id, e.state, e.last_error, e.attempts) for e in outbox.entries(engine)] == [
        (ids[0], "failed", reason, 1), (ids[1], "failed", reason, 1)]


def test_nothing_pending_sends_nothing(engine: Engine) -> None:
    client = Scripted(all_("applied"))
    result, _ = run(engine, client)
    assert client.calls == [] and (result.sent, result.applied, result.duplicate, result.failed) == (0, 0, 0, {})


def test_entries_and_counts_by_state(engine: Engine) -> None:
    ids = add(engine, 4)
    outbox.settle(engine, [ids[0]], {ids[1]: "rejected: bad"}, ids[:2])
    assert outbox.counts(engine) == {"pending": 2, "failed": 1}
    assert [e.id for e in outbox.entries(engine)] == ids[1:]
    assert [e.id for e in outbox.entries(engine, ("pending",))] == ids[2:]
    assert [e.id for e in outbox.entries(engine, ("pending", "failed"), limit=2)] == ids[1:3]
    assert [e.id for e in outbox.entries(engine, ("failed",))] == [ids[1]]
    assert outbox.get(engine, ids[0]) is None and present(outbox.get(engine, ids[1])).attempts == 1
    outbox.note_error(engine, ids[2:3], "cannot reach")
    e = outbox.get(engine, ids[2])
    assert (e.state, e.attempts, e.last_error) == ("pending", 1, "cannot reach")  # type: ignore[union-attr]
    assert present(outbox.get(engine, ids[3])).attempts == 0


def test_a_discard_takes_the_local_record_with_it_and_is_audited(engine: Engine) -> None:
    entry_id = "0193f0d1-0000-7000-8000-00000000abcd"
    raw = sqlite3.connect(engine.url.database)  # type: ignore[arg-type]  # the case itself is of no interest here: no foreign keys
    raw.execute("INSERT INTO contactattempt (id, case_id, at, channel, target, disposition, number, collector,"
                " duration_s, note, origin, scope) VALUES (?, 'C-1', ?, 'sms', 'customer', 'busy', '', 'demo', 0, '',"
                " 'local', '')", (entry_id, AT.isoformat()))
    raw.commit()
    raw.close()
    with write(engine) as conn:
        enqueue(conn, id=entry_id, type="contact.logged", case_id="C-1", base_version=3, occurred_at=AT, payload={})
    outbox.settle(engine, [], {entry_id: "rejected: no such open case for this user"}, [entry_id])
    dropped = outbox.discard(engine, entry_id, actor="demo", at=AT)
    assert dropped is not None and dropped.id == entry_id
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ContactAttempt)).scalar() == 0
    [log] = audit.entries(engine)
    assert (log.action, log.actor, log.case_id, log.at) == ("outbox.discard", "demo", "C-1", AT.isoformat())
    assert log.detail == f"contact.logged {entry_id}: rejected: no such open case for this user"
    assert [e.type for e in outbox.entries(engine)] == ["audit.recorded"]  # the audit entry goes to the server
    assert outbox.discard(engine, entry_id, actor="demo", at=AT) is None
    pending = add(engine, 1, "audit.recorded")[0]
    assert outbox.discard(engine, pending, actor="demo", at=AT) is not None
    assert audit.entries(engine)[-1].detail == f"audit.recorded {pending}: pending"


# --- retry and backoff ------------------------------------------------------------------------------------

class Top(random.Random):
    """Draws the top of every range: the longest wait full jitter allows."""

    def uniform(self, a: float, b: float) -> float:
        return b


def test_backoff_doubles_from_the_base_up_to_the_cap() -> None:
    b = Backoff(base=0.5, cap=3, tries=6)
    assert [b.delay(i, Top()) for i in range(5)] == [0.5, 1.0, 2.0, 3, 3]
    assert Backoff() == Backoff(base=0.5, cap=30.0, tries=5) and ONCE.tries == 1


def test_full_jitter_draws_between_zero_and_the_step() -> None:
    rng = random.Random(5)
    draws = [Backoff(base=1, cap=100).delay(3, rng) for _ in range(200)]
    assert all(0 <= d <= 8 for d in draws) and max(draws) > 6 and min(draws) < 2


def test_retry_after_wins_when_longer_but_never_past_the_cap() -> None:
    b = Backoff(base=0.5, cap=10)
    assert b.delay(0, Top(), retry_after=7) == 7
    assert b.delay(0, Top(), retry_after=0.1) == 0.5
    assert b.delay(0, Top(), retry_after=60) == 10
    assert b.delay(5, Top(), retry_after=None) == 10


@pytest.mark.parametrize(("exc", "retried"), [
    (NetworkError("x"), True), (ServerError("x", 500), True), (ServerError("x", 503), True),
    (ServerError("x", 429), True), (ServerError("x", 499), False), (ServerError("x", 428), False),
    (ServerError("x", 430), False), (ServerError("x", 409), False), (AuthError("x"), False),
    (MalformedResponse("x"), False),
])
def test_what_is_transient(exc: SyncError, retried: bool) -> None:
    assert transient(exc) is retried


def test_retrying_waits_between_tries_no_longer_than_the_time_left() -> None:
    calls: list[int] = []
    sleeps: list[float] = []
    noted: list[str] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ServerError("busy", 503, retry_after=5)
        return "done"

    assert retrying(flaky, Backoff(base=1, cap=30, tries=3), rng=Top(), sleep=sleeps.append, time_left=lambda: 2.5,
                    on_transient=lambda e: noted.append(str(e))) == "done"
    assert (len(calls), sleeps, noted) == (3, [2.5, 2.5], ["busy", "busy"])
    sleeps.clear()
    calls.clear()
    assert (
        retrying(flaky, Backoff(base=1, cap=30, tries=3), rng=Top(), sleep=sleeps.append, time_left=lambda: -1)
        == "done"
    )
    assert sleeps == [0.0, 0.0]
    sleeps.clear()
    calls.clear()
    assert retrying(flaky, Backoff(base=1, cap=30, tries=3), rng=Top(), sleep=sleeps.append) == "done"
    assert sleeps == [5, 5]


def test_retrying_gives_up_after_the_last_try_without_waiting_again() -> None:
    sleeps: list[float] = []
    calls: list[int] = []

    def down() -> None:
        calls.append(1)
        raise NetworkError("cannot reach")

    with pytest.raises(NetworkError):
        retrying(down, Backoff(base=1, cap=30, tries=2), rng=Top(), sleep=sleeps.append)
    assert (len(calls), sleeps) == (2, [1])
    with pytest.raises(NetworkError):
        retrying(down, ONCE, rng=Top(), sleep=sleeps.append)
    assert len(calls) == 3 and sleeps == [1]
    with pytest.raises(AssertionError, match="^Backoff.tries must be at least 1$"):
        retrying(down, Backoff(tries=0), rng=Top(), sleep=sleeps.append)


def test_the_push_draws_its_waits_from_the_given_random_and_stops_at_the_time_left(engine: Engine) -> None:
    add(engine, 1)
    sleeps: list[float] = []
    client = Scripted(NetworkError("down"), NetworkError("down"), all_("applied"))
    push(engine, client, backoff=Backoff(base=0.5, cap=4, tries=3), rng=Top(), sleep=sleeps.append)  # type: ignore[arg-type]
    assert sleeps == [0.5, 1.0]
    add(engine, 1)
    sleeps.clear()
    short = Scripted(NetworkError("down"), all_("applied"), time_left=0.2)
    push(engine, short, backoff=Backoff(base=0.5, cap=4, tries=3), rng=Top(), sleep=sleeps.append)  # type: ignore[arg-type]
    assert sleeps == [0.2]  # never past the sync's own bound
    add(engine, 1)
    sleeps.clear()
    push(engine, Scripted(NetworkError("down"), all_("applied")), backoff=Backoff(base=0.01, cap=0.01, tries=2),  # type: ignore[arg-type]
         sleep=sleeps.append)  # no random given: one of its own
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 0.01 and outbox.entries(engine) == []


def test_entries_come_in_the_order_they_were_recorded_whatever_their_state(engine: Engine) -> None:
    ids = add(engine, 4)
    outbox.settle(engine, [], {ids[0]: "rejected: a", ids[2]: "rejected: b"}, [ids[0], ids[2]])
    assert [e.id for e in outbox.entries(engine)] == ids
    assert [e.id for e in outbox.entries(engine, ("failed", "pending"))] == ids
    assert [(e.id, e.state) for e in outbox.entries(engine, limit=3)] == [
        (ids[0], "failed"), (ids[1], "pending"), (ids[2], "failed")]
    assert {e.state for e in outbox.entries(engine, ("pending",))} == {"pending"}
