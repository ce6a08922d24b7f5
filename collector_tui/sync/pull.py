"""Pull: fetch the cases changed since the stored cursor, page by page, each page committed with its cursor."""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from collector_tui.domain.rules import Rules
from collector_tui.locale import t
from collector_tui.storage import state
from collector_tui.storage.page_writer import write_page
from collector_tui.storage.rows import PreparedPage
from collector_tui.sync.client import ApiClient
from collector_tui.sync.errors import MalformedResponse, SyncError
from collector_tui.sync.pipeline import Pipeline
from collector_tui.sync.retry import ONCE, Backoff, retrying


@dataclass
class PullResult:
    pages: int = 0
    upserted: int = 0
    removed: int = 0
    pushed: Any = None  # the PushResult of the push that ran first


Progress = Callable[[PullResult], None]
PARALLEL_AFTER = 1_000  # cases into a first sync, with more to come, before a helper process starts


def pull(engine: Engine, client: ApiClient, *, now: Callable[[], datetime], page_size: int = 500,
         progress: Progress | None = None, rules: Rules | None = None, parallel: bool = True,
         backoff: Backoff = ONCE, rng: random.Random | None = None,
         sleep: Callable[[float], None] = time.sleep) -> PullResult:
    """Bring the cache up to the server's feed; on any error the cache stays at the last whole page.

    A page's request is retried with `backoff` on a network error, a 5xx or a 429 (a GET changes nothing on
    the server); a sync passes its backoff, and by default each request is tried once.
    """
    rng = rng or random.Random()
    result = PullResult()
    cursor = state.cursor(engine)
    # A first sync of a big portfolio: a helper process prepares pages while this one writes (sync.pipeline).
    # It starts once the feed has shown it is long; until it is ready, pages are prepared here.
    helper_from = PARALLEL_AFTER if parallel and cursor is None else None
    pipeline = Pipeline(rules)
    ahead: deque[Callable[[], PreparedPage]] = deque()
    fetch_from: str | None = cursor
    more = True
    failed: SyncError | None = None
    seen: set[str] = {cursor} if cursor else set()  # the cursors this pull has been at: none may come back

    def fetch_ahead(depth: int) -> None:
        # Keep `depth` pages in the helper's hands: it prepares them while this process writes.
        nonlocal fetch_from, more, failed
        while more and failed is None and len(ahead) < depth:
            try:
                since = fetch_from
                content = retrying(lambda: client.cases_content(since, page_size), backoff, rng=rng, sleep=sleep,
                                   time_left=client.time_left)
            except SyncError as exc:
                failed = exc  # raised once the pages already in hand are written
                return
            ahead.append(pipeline.submit(content, now()))
            following, more = client.feed_head(content)
            if helper_from is not None and more and result.upserted + page_size * len(ahead) >= helper_from:
                pipeline.start_helper()
            if more and following in (None, fetch_from):
                break  # the page itself is refused below, with the reason
            fetch_from = following

    try:
        while True:
            fetch_ahead(2 if pipeline.parallel else 1)
            if not ahead:
                assert failed is not None
                raise failed
            page = ahead.popleft()()
            # A page may hold fewer items than asked for, even none, and still have more to come (rows the
            # server filtered out, a scan that ran out of time): only a cursor that does not move on is wrong,
            # since a server that says "more" without moving on, or back to where it was, would keep us here.
            if page.has_more and (page.next_cursor is None or page.next_cursor == cursor or page.next_cursor in seen):
                raise MalformedResponse(t("sync.no_new_cursor"))
            seen.add(page.next_cursor or "")
            fetch_ahead(2 if pipeline.parallel else 0)
            try:
                applied = write_page(engine, page, page.next_cursor or cursor, now(), rules)
            except IntegrityError as exc:
                # The transaction rolled back: the cache is still at the previous page.
                raise MalformedResponse(t("sync.rows_clash", detail=exc.orig)) from None
            cursor = page.next_cursor or cursor
            result.pages += 1
            result.upserted += applied.upserted
            result.removed += applied.removed
            if progress:
                progress(result)
            if not page.has_more:
                return result
    finally:
        pipeline.close()
