"""Retrying what may succeed later: network errors, 5xx and 429, with capped exponential backoff and full jitter.

Only idempotent requests are retried here: the feed's GETs, who am I, the team's figures, and the push (each
entry carries its own id, which the server deduplicates). A refusal (401/403, 409/422, another 4xx) and the
sync's own time limit are never retried.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from collector_tui.sync.errors import NetworkError, ServerError, SyncError

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    """Capped exponential backoff with full jitter; a server's Retry-After wins when it asks for longer."""

    base: float = 0.5
    cap: float = 30.0
    tries: int = 5

    def delay(self, attempt: int, rng: random.Random, retry_after: float | None = None) -> float:
        jitter = rng.uniform(0, min(self.cap, self.base * 2**attempt))
        return min(max(jitter, retry_after or 0.0), self.cap)


ONCE = Backoff(tries=1)  # no retry


def transient(exc: SyncError) -> bool:
    return isinstance(exc, NetworkError) or (isinstance(exc, ServerError) and (exc.status >= 500 or exc.status == 429))


def retrying(call: Callable[[], T], backoff: Backoff, *, rng: random.Random, sleep: Callable[[float], None],
             time_left: Callable[[], float | None] = lambda: None,
             on_transient: Callable[[SyncError], None] | None = None) -> T:
    """`call()`, tried up to `backoff.tries` times while it fails transiently; the last failure is raised.

    A wait never runs past `time_left()` (the sync's bound): the next try then stops the sync with its reason.
    """
    for attempt in range(backoff.tries):
        try:
            return call()
        except SyncError as exc:
            if not transient(exc):
                raise
            if on_transient is not None:
                on_transient(exc)
            if attempt == backoff.tries - 1:
                raise
            delay = backoff.delay(attempt, rng, getattr(exc, "retry_after", None))
            left = time_left()
            sleep(delay if left is None else max(0.0, min(delay, left)))
    raise AssertionError("Backoff.tries must be at least 1")
