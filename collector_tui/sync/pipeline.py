"""Prepare the feed's pages (sync.prepare) here, or in one helper process while this one writes.

Preparing a page (decode, rows, every case through the rules) costs about as much as writing it. On a
first sync, which brings the whole portfolio, a helper process prepares page N+1 while this process
writes page N, so the two halves overlap on two cores. The helper only computes: every row is written
here, in its page's transaction, so a crash anywhere still leaves the cache at a page boundary.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime

from collector_tui.domain.rules import Rules
from collector_tui.locale import t
from collector_tui.storage.rows import PreparedPage
from collector_tui.sync.errors import MalformedResponse
from collector_tui.sync.feed import FeedError
from collector_tui.sync.prepare import prepare_page


def _follow_parent(parent: int) -> None:
    """In the helper: exit as soon as the process that started it is gone (killed, even with -9)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(0)

    threading.Thread(target=watch, name="follow-parent", daemon=True).start()


def _ready() -> bool:
    return True  # answering at all means the helper has imported this module and everything it needs


def _prepare(content: bytes, now: datetime, rules: Rules | None) -> PreparedPage:
    try:
        return prepare_page(content, now, rules)
    except FeedError as exc:
        raise MalformedResponse(t("sync.malformed", path="/v1/cases", detail=exc)) from None


class Pipeline:
    """Hands out prepared pages; with `parallel`, a spawned helper process prepares them."""

    def __init__(self, rules: Rules | None, *, parallel: bool = False) -> None:
        self.rules = rules
        self.pool: ProcessPoolExecutor | None = None
        self.ready: Future[bool] = Future()  # done once the helper has started and imported what it needs
        if parallel:
            self.start_helper()

    def start_helper(self) -> None:
        if self.pool is None:
            try:
                # spawn, not fork: the caller may be a threaded TUI, and a forked thread state is unsafe.
                self.pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                                initializer=_follow_parent, initargs=(os.getpid(),))
                self.ready = self.pool.submit(_ready)
            except (OSError, ValueError):
                # No helper here: multiprocessing hands its tracker the standard error's descriptor, which a
                # running Textual app has replaced with a capture that has none. The pages are prepared here.
                self.close()

    @property
    def parallel(self) -> bool:
        return self.pool is not None

    def submit(self, content: bytes, now: datetime) -> Callable[[], PreparedPage]:
        """Start preparing a page; the returned function waits for it (MalformedResponse when malformed)."""
        if self.pool is None:
            return lambda: _prepare(content, now, self.rules)
        if not self.ready.done():
            # The helper is still starting (most of a second): do not wait for it, prepare here meanwhile.
            return lambda: _prepare(content, now, self.rules)
        future: Future[PreparedPage] = self.pool.submit(_prepare, content, now, self.rules)

        def result() -> PreparedPage:
            try:
                return future.result()
            except BrokenProcessPool:
                # The helper could not start (a script without a __main__ guard) or died: prepare here.
                self.close()
                return _prepare(content, now, self.rules)

        return result

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None
