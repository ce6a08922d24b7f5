"""Push: send the outbox in order, in batches, each entry keyed by its id; retry only what may succeed later."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from collector_tui.storage import outbox
from collector_tui.sync.client import ApiClient
from collector_tui.sync.errors import ServerError, SyncError
from collector_tui.sync.retry import Backoff, retrying

BATCH = 200
VERDICTS = (409, 422)  # the server's answer on the entries themselves; anything else leaves them pending


@dataclass
class PushResult:
    sent: int = 0
    applied: int = 0
    duplicate: int = 0
    failed: dict[str, str] = field(default_factory=dict)


def push(engine: Engine, client: ApiClient, *, batch: int = BATCH, backoff: Backoff = Backoff(),
         rng: random.Random | None = None, sleep: Callable[[float], None] = time.sleep) -> PushResult:
    """Drain pending entries oldest first. A transient failure that outlasts the retries stops the drain
    (and is raised) so that nothing behind it overtakes it; rejected and conflicting entries stay, failed.

    Only the server's verdict on entries (409, 422) fails them. A refused token (401/403), the sync's time
    limit or any other error stops the drain with the entries still pending, to go with the next good sync.
    """
    rng = rng or random.Random()
    result = PushResult()
    while True:
        pending = outbox.entries(engine, ("pending",), limit=batch)
        if not pending:
            return result
        ids, wire = [e.id for e in pending], [e.wire() for e in pending]

        def noted(exc: SyncError) -> None:
            outbox.note_error(engine, ids, str(exc))  # still pending; the reason shows in the outbox list

        try:
            answer = retrying(lambda: client.push(wire), backoff, rng=rng, sleep=sleep, time_left=client.time_left,
                              on_transient=noted)
        except ServerError as exc:
            if exc.status not in VERDICTS:
                raise
            # The whole batch was refused (e.g. 422 on the envelope): keep each entry with the reason.
            outbox.settle(engine, [], {i: str(exc) for i in ids}, ids)
            result.failed.update({i: str(exc) for i in ids})
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
