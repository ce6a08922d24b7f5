"""The cache's SQLite engine: WAL, foreign keys, busy timeout, and write transactions that begin immediately."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event

from collector_tui.storage.migrations import migrate


def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    # We issue BEGIN ourselves (see _on_begin); pysqlite's own transaction handling would defer it.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    # In WAL mode NORMAL keeps every committed transaction across a process kill; only power loss may lose the last.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _on_begin(conn: Connection) -> None:
    # Writers take the lock up front so two writers never deadlock upgrading a read lock.
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def open_engine(path: Path | str, *, migrate_schema: bool = True) -> Engine:
    """An engine on the cache file, created 0600 and migrated to the current schema."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    if migrate_schema:
        with write(engine) as conn:
            migrate(conn)
    return engine


@contextmanager
def write(engine: Engine) -> Iterator[Connection]:
    """One write transaction (BEGIN IMMEDIATE): committed on success, rolled back on any error."""
    with engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn:
        with conn.begin():
            yield conn


@contextmanager
def read(engine: Engine) -> Iterator[Connection]:
    """A read-only snapshot."""
    with engine.connect() as conn:
        with conn.begin():
            yield conn
