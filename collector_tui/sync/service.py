"""One sync run as the CLI and the app start it: who am I, then pull. Push joins here when the outbox drains."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine

from collector_tui.config import Settings
from collector_tui.domain.rules import Rules
from collector_tui.policies import load_pack
from collector_tui.storage import state
from collector_tui.storage.queue_build import refresh_queue
from collector_tui.storage.team_stats import save_team_stats
from collector_tui.sync.client import ApiClient
from collector_tui.sync.errors import SyncError
from collector_tui.sync.pull import Progress, PullResult, pull
from collector_tui.sync.push import push
from collector_tui.sync.retry import ONCE, Backoff, retrying


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


TEAM_DAYS = 60  # the review looks at the last 30 days; twice that lets the lead look back a month


def fetch_team_stats(engine: Engine, client: ApiClient, now: datetime, days: int = TEAM_DAYS,
                     backoff: Backoff = ONCE) -> None:
    end = now.date()
    start = end - timedelta(days=days - 1)
    stats = retrying(lambda: client.team_stats(start.isoformat(), end.isoformat()), backoff, rng=random.Random(),
                     sleep=time.sleep, time_left=client.time_left)
    save_team_stats(engine, stats.model_dump(mode="json", by_alias=True), now)


def run_sync(engine: Engine, api: str, user: str, token: str, *, page_size: int = 500,
             progress: Progress | None = None, now: Callable[[], datetime] = utc_now,
             rules: Rules | None = None, timeout: float = 20.0, backoff: Backoff = Backoff(),
             client_options: dict[str, Any] | None = None) -> PullResult:
    """Sync the cache with the server, placing the cases it writes in the queue with `rules` (default: the cn pack).

    Raises SyncError with a one-line reason, recorded for the footer; the queue is re-ordered either way
    from whatever the cache holds. Every request is retried with `backoff` while it fails transiently (the
    push's entries carry their own ids, the rest are GETs); each has a whole deadline and the sync an overall
    bound (the settings' request_deadline_s and sync_deadline_s unless `client_options` says otherwise).
    """
    state.bind_home(engine, api, user)
    rules = rules or Rules(pack=load_pack("cn"))
    result: PullResult | None = None
    options = {"request_deadline": Settings.request_deadline_s, "sync_deadline": Settings.sync_deadline_s,
               **(client_options or {})}
    rng = random.Random()
    try:
        with ApiClient(api, token, timeout=timeout, **options) as client:
            me = retrying(client.me, backoff, rng=rng, sleep=time.sleep, time_left=client.time_left)
            state.save_me(engine, me.model_dump())
            # Push first: the server decides on local work before the pull may purge a reassigned case.
            pushed = push(engine, client, backoff=backoff, rng=rng)
            result = pull(engine, client, now=now, page_size=page_size, progress=progress, rules=rules,
                          backoff=backoff, rng=rng)
            result.pushed = pushed
            if me.role == "lead":
                fetch_team_stats(engine, client, now(), backoff=backoff)
    except SyncError as exc:
        state.record_sync_error(engine, str(exc))
        raise
    finally:
        # The pull placed what it wrote; what went stale with the clock is re-placed here, and only that.
        refresh_queue(engine, now(), rules)
    state.record_sync_error(engine, None)
    return result
