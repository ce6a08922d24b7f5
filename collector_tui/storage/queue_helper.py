"""Re-place many cases in a helper process, so that the process showing the queue keeps answering keys.

Placing is pure Python. In a thread of the workbench's own process it held the interpreter's lock for most
of a whole re-placing (a rule change, a midnight in a customer zone): each turn of the workbench's event loop
then waited for the lock, and a key took seconds to paint. A spawned helper places and writes the cases on
the cache file, a chunk a transaction as here, while this process waits without the lock. The queue stays
whole throughout: a case keeps its old place until its new one is committed.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime

from sqlalchemy import Engine

from collector_tui.domain.rules import Rules


def _replace_in_helper(path: str, case_ids: list[str], now: datetime, rules: Rules) -> int:
    from collector_tui.storage.engine import open_engine  # start-up: the helper's own engine, in the helper
    from collector_tui.storage.queue_build import replace_cases  # start-up: a circle otherwise (it calls this)

    engine = open_engine(path, migrate_schema=False)
    try:
        return replace_cases(engine, case_ids, now, rules, helper_at=None)
    finally:
        engine.dispose()


def plain_file(engine: Engine) -> str | None:
    """The cache's file, when another process can open it alone (not an encrypted cache, not in memory)."""
    path = engine.url.database
    if engine.url.drivername != "sqlite" or not path or path == ":memory:":
        return None
    return path


def replace_in_helper(engine: Engine, case_ids: list[str], now: datetime, rules: Rules,
                      here: Callable[[], int]) -> int:
    """`replace_cases` in a spawned helper process; `here` does it in this process when no helper can."""
    path = plain_file(engine)
    if path is None:
        return here()
    try:
        # multiprocessing's resource tracker is started with the standard error's file; the workbench's
        # standard error is Textual's capture, which has none: the process's own is handed to it instead.
        with contextlib.redirect_stderr(sys.__stderr__):
            # spawn, not fork: the caller may be a threaded TUI, and a forked thread state is unsafe.
            pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            future = pool.submit(_replace_in_helper, path, case_ids, now, rules)
    except (OSError, ValueError):
        return here()  # no helper can start here: this process places them
    with pool:
        try:
            return future.result()
        except BrokenProcessPool:
            # The helper could not start (a script without a __main__ guard) or died: whatever it committed
            # stands, and placing again here is idempotent.
            return here()
