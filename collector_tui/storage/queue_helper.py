"""Re-place many cases in a helper process, so that the process showing the queue keeps answering keys.

Placing is pure Python. In a thread of the workbench's own process it held the interpreter's lock for most
of a whole re-placing (a rule change, a midnight in a customer zone): each turn of the workbench's event loop
then waited for the lock, and a key took seconds to paint. A helper (this module, run by the same Python)
places and writes the cases on the cache file, a chunk a transaction as here, while this process waits
without the lock. The queue stays whole throughout: a case keeps its old place until its new one is committed.

The helper is a plain subprocess rather than multiprocessing's: it imports only the cache's modules, not the
caller's main script again, and needs no resource tracker (which cannot start under Textual's captured output).
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from collector_tui.domain.rules import Rules


def plain_file(engine: Engine) -> str | None:
    """The cache's file, when another process can open it alone (not an encrypted cache, not in memory)."""
    path = engine.url.database
    if engine.url.drivername != "sqlite" or not path or path == ":memory:":
        return None
    return path


def replace_in_helper(engine: Engine, case_ids: list[str], now: datetime, rules: Rules,
                      here: Callable[[], int]) -> int:
    """`replace_cases` in a helper process; `here` does it in this process when no helper can."""
    path = plain_file(engine)
    if path is None:
        return here()
    from collector_tui.storage.queue_build import CHUNK  # start-up: a circle otherwise (it calls this)

    job = pickle.dumps((path, case_ids, now, rules, CHUNK))  # to our own child, from our own values
    try:
        done = subprocess.run([sys.executable, "-m", __name__], input=job, capture_output=True, check=False)
    except OSError:
        return here()  # no helper can start here: this process places them
    if done.returncode != 0:
        # The helper died: whatever it committed stands, and placing again here is idempotent.
        return here()
    return int(done.stdout)


def _main() -> None:
    """The helper: sqlite3 alone (its start costs a tenth of the database toolkit's), the same facts, the same
    rules and the same rows as storage.queue_build.replace_cases, a chunk a transaction."""
    # start-up: the helper imports only what placing needs, when it runs
    import sqlite3

    from collector_tui.domain.priority import place_case
    from collector_tui.storage.facts import facts_from_db
    from collector_tui.storage.queue_rows import UPSERT, placement_row, utc_text

    path, case_ids, now, rules, chunk = pickle.loads(sys.stdin.buffer.read())
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA busy_timeout=5000")
    db.execute("PRAGMA synchronous=NORMAL")
    built, placed = utc_text(now), 0
    try:
        for start in range(0, len(case_ids), chunk):
            db.execute("BEGIN")  # one snapshot for the chunk's facts
            facts = facts_from_db(db, case_ids[start:start + chunk], path)
            db.execute("COMMIT")
            rows = [placement_row(place_case(f, now, rules), built) for f in facts]
            db.execute("BEGIN IMMEDIATE")
            db.executemany(UPSERT, rows)
            db.execute("COMMIT")
            placed += len(rows)
    finally:
        db.close()
    print(placed)


if __name__ == "__main__":
    _main()
