"""Pull: fetch the cases changed since the stored cursor, page by page, each page committed with its cursor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from collector_tui.domain.rules import Rules
from collector_tui.storage import state
from collector_tui.sync.apply import apply_page
from collector_tui.sync.client import ApiClient, MalformedResponse


@dataclass
class PullResult:
    pages: int = 0
    upserted: int = 0
    removed: int = 0
    pushed: Any = None  # the PushResult of the push that ran first


Progress = Callable[[PullResult], None]


def pull(engine: Engine, client: ApiClient, *, now: Callable[[], datetime], page_size: int = 500,
         progress: Progress | None = None, rules: Rules | None = None) -> PullResult:
    """Bring the cache up to the server's feed; on any error the cache stays at the last whole page."""
    result = PullResult()
    cursor = state.cursor(engine)
    while True:
        page = client.cases(cursor, page_size)
        if page.has_more and (not page.items or page.next_cursor in (None, cursor)):
            # A server that says "more" without moving on would keep us here for ever.
            raise MalformedResponse("malformed page: has_more without a new cursor")
        try:
            applied = apply_page(engine, page.items, page.next_cursor or cursor, now(), rules)
        except IntegrityError as exc:
            # The transaction rolled back: the cache is still at the previous page.
            raise MalformedResponse(f"malformed page: rows clash ({exc.orig})") from None
        cursor = page.next_cursor or cursor
        result.pages += 1
        result.upserted += applied.upserted
        result.removed += applied.removed
        if progress:
            progress(result)
        if not page.has_more:
            return result
