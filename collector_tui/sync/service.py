"""One sync run as the CLI and the app start it: who am I, then pull. Push joins here when the outbox drains."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from collector_tui import api as api_v1
from collector_tui.config import Settings
from collector_tui.domain.rules import Rules
from collector_tui.locale import t
from collector_tui.policies import load_pack
from collector_tui.storage import state
from collector_tui.storage.queue_build import refresh_queue
from collector_tui.storage.team_stats import save_team_stats
from collector_tui.sync.client import ApiClient
from collector_tui.sync.errors import SyncError, WrongUser
from collector_tui.sync.pull import Progress, PullResult, pull
from collector_tui.sync.push import push
from collector_tui.sync.retry import ONCE, Backoff, retrying


def utc_now() -> datetime:
    return datetime.now(UTC)


TEAM_DAYS = 30  # the Team screen's window: the 30 days ending on the lead's today (docs/team.md)


def fetch_team_stats(engine: Engine, client: ApiClient, now: datetime, days: int = TEAM_DAYS,
                     backoff: Backoff = ONCE, zone: str = "UTC") -> None:
    """The Team screen's figures for the `days` ending on the lead's today (in `zone`), kept in the cache; a
    report (`collector-tui report contacts`) asks for its own range and never touches them."""
    end = now.astimezone(ZoneInfo(zone)).date()
    start = end - timedelta(days=days - 1)
    stats = retrying(lambda: client.team_stats(start.isoformat(), end.isoformat()), backoff, rng=random.Random(),
                     sleep=time.sleep, time_left=client.time_left)
    save_team_stats(engine, stats.model_dump(mode="json", by_alias=True), now)


def identify(client: ApiClient, user: str = "", *, backoff: Backoff = ONCE,
             rng: random.Random | None = None) -> api_v1.Me:
    """Who the client's token belongs to (`GET /v1/me`). `user` is who the caller takes the signed-in user to be
    ("" when it does not know): a token that names someone else raises WrongUser."""
    me: api_v1.Me = retrying(client.me, backoff, rng=rng or random.Random(), sleep=time.sleep,
                             time_left=client.time_left)
    if user and me.id != user:
        raise WrongUser(t("sync.wrong_user", token_user=me.id, user=user))
    return me


def run_sync(engine: Engine, api: str, user: str, token: str, *, page_size: int = 500,
             progress: Progress | None = None, now: Callable[[], datetime] = utc_now,
             rules: Rules | None = None, timeout: float = 20.0, backoff: Backoff = Backoff(),
             client_options: dict[str, Any] | None = None) -> PullResult:
    """Sync the cache with the server, placing the cases it writes in the queue with `rules` (default: the cn pack).

    `user` may be "": the server says whose the token is (`identify`), and the home is bound to that user.

    Raises SyncError with a one-line reason, recorded for the footer; the queue is re-ordered either way
    from whatever the cache holds. Every request is retried with `backoff` while it fails transiently (the
    push's entries carry their own ids, the rest are GETs); each has a whole deadline and the sync an overall
    bound (the settings' request_deadline_s and sync_deadline_s unless `client_options` says otherwise).
    """
    rules = rules or Rules(pack=load_pack("cn"))
    result: PullResult | None = None
    options = {"request_deadline": Settings.request_deadline_s, "sync_deadline": Settings.sync_deadline_s,
               **(client_options or {})}
    rng = random.Random()
    try:
        with ApiClient(api, token, timeout=timeout, **options) as client:
            me = identify(client, user, backoff=backoff, rng=rng)
            # The token names its user: the home is bound to that user, never to an empty or a guessed name.
            state.bind_home(engine, api, me.id)
            state.save_me(engine, me.model_dump())
            # Push first: the server decides on local work before the pull may purge a reassigned case.
            pushed = push(engine, client, backoff=backoff, rng=rng)
            result = pull(engine, client, now=now, page_size=page_size, progress=progress, rules=rules,
                          backoff=backoff, rng=rng)
            result.pushed = pushed
            if me.role == "lead":
                fetch_team_stats(engine, client, now(), backoff=backoff, zone=me.timezone)
    except SyncError as exc:
        state.record_sync_error(engine, str(exc))
        raise
    finally:
        # The pull placed what it wrote; what went stale with the clock is re-placed here, and only that.
        refresh_queue(engine, now(), rules)
    state.record_sync_error(engine, None)
    return result
