"""The cache's SQLite engine: WAL, foreign keys, busy timeout, and write transactions that begin immediately."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DatabaseError

from collector_tui.locale import t
from collector_tui.storage.migrations import migrate


class CacheUnreadable(RuntimeError):
    """The cache cannot be opened: a wrong encryption key, or a file that is not a cache."""


class CacheDamaged(CacheUnreadable):
    """A page of the cache is damaged, found by a query after the cache opened. Raised in place of SQLAlchemy's
    error by every read and write on an engine from `open_engine`, its message saying how to recover."""


# SQLite's result codes for a damaged file: SQLITE_CORRUPT ("database disk image is malformed") and SQLITE_NOTADB.
DAMAGE_CODES = (11, 26)


def is_damage(exc: BaseException) -> bool:
    """Whether a DB-API error says the file is damaged (not busy, not locked, not full)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in DAMAGE_CODES
    text = str(exc)  # a driver without error codes (sqlcipher3)
    return "malformed" in text or "not a database" in text


def damaged(path: Path | str, reason: object) -> str:
    """The one message a damaged cache gives, at open or later: what, and how to recover."""
    return f"{t('cache.damaged', path=path, reason=reason)} {t('cache.recover', path=path)}"


def _on_error(path: Path, context) -> None:  # type: ignore[no-untyped-def]
    if is_damage(context.original_exception):
        raise CacheDamaged(damaged(path, context.original_exception)) from None


def _on_connect(dbapi_conn, _record, key: str | None = None) -> None:  # type: ignore[no-untyped-def]
    # We issue BEGIN ourselves (see _on_begin); pysqlite's own transaction handling would defer it.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    if key is not None:
        # SQLCipher: the key must be the first statement on the connection; a raw 256-bit key skips the KDF.
        cur.execute(f"PRAGMA key = \"x'{key}'\"")
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


def open_engine(path: Path | str, *, migrate_schema: bool = True, key: str | None = None) -> Engine:
    """An engine on the cache file, created 0600 and migrated to the current schema.

    With `key` (64 hex digits) the file is encrypted with SQLCipher (the `sqlcipher` extra).
    """
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    unreadable: tuple[type[BaseException], ...] = (DatabaseError, sqlite3.DatabaseError)
    if key is None:
        engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False})
    else:
        if len(key) != 64 or any(ch not in "0123456789abcdef" for ch in key):
            raise CacheUnreadable(t("cache.bad_key"))
        try:
            # start-up: the optional sqlcipher extra is loaded only for an encrypted cache
            import sqlcipher3  # type: ignore[import-not-found]
        except ImportError:
            raise CacheUnreadable(t("cache.no_sqlcipher")) from None
        engine = create_engine("sqlite://", creator=lambda: sqlcipher3.connect(str(path), check_same_thread=False))
        unreadable += (sqlcipher3.DatabaseError,)
    event.listen(engine, "connect", partial(_on_connect, key=key))
    event.listen(engine, "begin", _on_begin)
    event.listen(engine, "handle_error", partial(_on_error, path))
    _logs[id(engine)] = f"{path}-wal"
    if migrate_schema:
        try:
            with write(engine) as conn:
                migrate(conn)
        except (CacheDamaged, *unreadable) as exc:
            engine.dispose()
            if key is None and isinstance(exc, CacheDamaged):
                raise  # damage found at open: the same message as damage found later
            # A wrong key reads as "not a database": said as such (the file itself may be sound).
            reason = getattr(exc, "orig", None) or exc
            message = t("cache.unreadable", path=path, reason=reason)
            raise CacheUnreadable(message if key is not None
                                  else f"{message} {t('cache.recover', path=path)}") from None
    return engine


_generations: dict[int, int] = {}
_logs: dict[int, str] = {}  # each engine's write-ahead log


def generation(engine: Engine) -> tuple[int, int, int]:
    """A value that changes with every write to the cache: read-side caches key on it.

    Writes through this process are counted as they end. Another process's (`collector-tui sync` in a
    second terminal) show in the write-ahead log, which every commit appends to: its size and time.
    """
    try:
        log = os.stat(_logs[id(engine)])
        outside = (log.st_mtime_ns, log.st_size)
    except (KeyError, OSError):
        outside = (0, 0)
    return (_generations.get(id(engine), 0), *outside)


@contextmanager
def write(engine: Engine) -> Iterator[Connection]:
    """One write transaction (BEGIN IMMEDIATE): committed on success, rolled back on any error."""
    try:
        with engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn:
            with conn.begin():
                yield conn
    finally:
        _generations[id(engine)] = _generations.get(id(engine), 0) + 1


@contextmanager
def read(engine: Engine) -> Iterator[Connection]:
    """A read-only snapshot."""
    with engine.connect() as conn:
        with conn.begin():
            yield conn
