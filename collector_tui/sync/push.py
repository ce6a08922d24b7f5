"""Push: send the outbox in order, in batches, each entry keyed by its id; retry only what may succeed later."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from collector_tui.storage import outbox
from collector_tui.sync.client import ApiClient
from collector_tui.sync.errors import NetworkError, ServerError, SyncError

BATCH = 200


@dataclass(frozen=True)
class Backoff:
    """Capped exponential backoff with full jitter; a server's Retry-After wins when it asks for longer."""

    base: float = 0.5
    cap: float = 30.0
    tries: int = 5

    def delay(self, attempt: int, rng: random.Random, retry_after: float | None = None) -> float:
        jitter = rng.uniform(0, min(self.cap, self.base * 2**attempt))
        return min(max(jitter, retry_after or 0.0), self.cap)


@dataclass
class PushResult:
    sent: int = 0
    applied: int = 0
    duplicate: int = 0
    failed: dict[str, str] = field(default_factory=dict)


def transient(exc: SyncError) -> bool:
    return isinstance(exc, NetworkError) or (isinstance(exc, ServerError) and (exc.status >= 500 or exc.status == 429))


def push(engine: Engine, client: ApiClient, *, batch: int = BATCH, backoff: Backoff = Backoff(),
         rng: random.Random | None = None, sleep: Callable[[float], None] = time.sleep) -> PushResult:
    """Drain pending entries oldest first. A transient failure that outlasts the retries stops the drain
    (and is raised) so that nothing behind it overtakes it; rejected and conflicting entries stay, failed."""
    rng = rng or random.Random()
    result = PushResult()
    while True:
        pending = outbox.entries(engine, ("pending",), limit=batch)
        if not pending:
            return result
        ids = [e.id for e in pending]
        for attempt in range(backoff.tries):
            try:
                answer = client.push([e.wire() for e in pending])
                break
            except SyncError as exc:
                if not transient(exc):
                    # The whole batch was refused (e.g. 422 on the envelope): keep each entry with the reason.
                    outbox.settle(engine, [], {i: str(exc) for i in ids}, ids)
                    result.failed.update({i: str(exc) for i in ids})
                    answer = None
                    break
                outbox.note_error(engine, ids, str(exc))
                if attempt == backoff.tries - 1:
                    raise
                sleep(backoff.delay(attempt, rng, getattr(exc, "retry_after", None)))
        if answer is None:
            continue
        done, failed = [], {}
        for r in answer.results:
            if r.id not in ids:
                continue  # an answer for something we did not send is ignored
            if r.status in ("applied", "duplicate"):
                done.append(r.id)
                result.applied += r.status == "applied"
                result.duplicate += r.status == "duplicate"
            else:
                reason = f"{r.status}: {r.error.message if r.error else ''}".strip()
                failed[r.id] = reason
        answered = set(done) | set(failed)
        outbox.settle(engine, done, failed, ids)
        result.sent += len(answered)
        result.failed.update(failed)
        if len(answered) < len(ids):
            # The server skipped some entries: stop rather than loop; they stay pending for the next sync.
            return result
