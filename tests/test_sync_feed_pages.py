"""Feed pages as servers legitimately send them: fewer items than the limit, even none, while more remain.

The items are the real reference server's; a small loopback server hands them out in the pages of a plan,
as a server that filters rows or time-boxes its scans would. Only a missing or repeated cursor is malformed.
"""

from __future__ import annotations

import http.server
import json
import threading
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import Engine

from collector_tui.storage import state
from collector_tui.sync.client import ApiClient
from collector_tui.sync.errors import MalformedResponse
from collector_tui.sync.pull import pull
from tests.conftest import SYNC_AT, RunningServer
from tests.test_sync_pull import cache_ids, server_open_ids


class PagedFeed:
    """Serves `pages` (item lists with the cursor each page moves to) for GET /v1/cases?since=...; each page
    is found by the cursor it is asked with (None for the first)."""

    def __init__(self, pages: list[tuple[str | None, list[Any], str | None, bool]]) -> None:
        by_since = {since: (items, following, more) for since, items, following, more in pages}
        self.asked: list[str | None] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                since = parse_qs(urlparse(self.path).query).get("since", [None])[0]
                outer.asked.append(since)
                items, following, more = by_since[since]
                payload = json.dumps({"items": items, "next_cursor": following, "has_more": more}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()


def real_items(server: RunningServer) -> list[Any]:
    with ApiClient(server.url, server.token("demo")) as client:
        return json.loads(client.cases_content(None, 500))["items"]  # type: ignore[no-any-return]


def test_short_and_empty_pages_with_more_to_come_are_taken(server: RunningServer, cache: Engine) -> None:
    items = real_items(server)
    assert len(items) == 60
    feed = PagedFeed([
        (None, items[:3], "c1", True),  # 3 of the 25 asked for
        ("c1", [], "c2", True),  # none at all: the scan ran out of time, the cursor moved on
        ("c2", [], "c3", True),
        ("c3", items[3:25], "c4", True),
        ("c4", items[25:], "c5", False),
    ])
    state.bind_home(cache, feed.url, "demo")  # as a sync does before it pulls: the cursor has its row
    try:
        with ApiClient(feed.url, "t") as client:
            result = pull(cache, client, now=lambda: SYNC_AT, page_size=25)
    finally:
        feed.close()
    assert feed.asked == [None, "c1", "c2", "c3", "c4"]
    assert result.pages == 5 and result.upserted == 60
    assert cache_ids(cache) == server_open_ids(server, "demo")
    assert state.cursor(cache) == "c5"


@pytest.mark.parametrize("pages", [
    [(None, [], None, True)],  # more, but no cursor
    [(None, [], "c1", True), ("c1", [], "c1", True)],  # the cursor it was asked with
    [(None, [], "c1", True), ("c1", [], "c2", True), ("c2", [], "c1", True)],  # back to a cursor already passed
])
def test_a_cursor_that_does_not_move_on_is_malformed(
    server: RunningServer, cache: Engine, pages: list[tuple[str | None, list[Any], str | None, bool]]
) -> None:
    feed = PagedFeed(pages)
    try:
        with (
            ApiClient(feed.url, "t") as client,
            pytest.raises(MalformedResponse, match="has_more without a new cursor"),
        ):
            pull(cache, client, now=lambda: SYNC_AT, page_size=25)
    finally:
        feed.close()
    assert len(feed.asked) <= len(pages) + 1
