"""`collector-tui`, run as usual but held at a chosen point of a sync so that a test can kill -9 it exactly there.

    python -m tests.held_sync sync          (HOLD in the environment says where)

HOLD=push holds once the server has answered a push, before the answer is recorded in the outbox; HOLD=write:N
holds inside the cache's N-th write transaction, before its commit. The process prints "held" when it is held
and then waits for good. Without HOLD it runs through and prints "writes N", the number of write transactions
it made, at exit. The test reads these lines: it synchronises on the process's own progress, never on a clock.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import Any

from sqlalchemy import Connection, Engine, event


def _hold() -> None:
    print("held", flush=True)
    threading.Event().wait()


def install(hold: str) -> None:
    writes = 0

    def before_commit(conn: Connection) -> None:
        nonlocal writes
        if conn.get_execution_options().get("sqlite_begin") != "IMMEDIATE":
            return  # a read
        writes += 1
        if hold == f"write:{writes}":
            _hold()

    event.listen(Engine, "commit", before_commit)
    if hold == "push":
        from collector_tui.sync.client import ApiClient

        real = ApiClient.push

        def push(self: ApiClient, mutations: list[dict[str, Any]]) -> Any:
            real(self, mutations)  # the server has applied them ...
            _hold()  # ... and the answer is never recorded

        ApiClient.push = push  # type: ignore[method-assign]
    if not hold:
        atexit.register(lambda: print(f"writes {writes}", flush=True))


if __name__ == "__main__":
    install(os.environ.get("HOLD", ""))
    from collector_tui.cli import main

    sys.argv[0] = "collector-tui"
    main()
