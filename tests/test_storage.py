"""The cache file itself: pragmas, schema version and migrations, indexes, queue queries."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from collector_tui.domain.priority import GROUPS
from collector_tui.storage.engine import open_engine, write
from collector_tui.storage.migrations import SCHEMA_VERSION, SchemaTooNew
from collector_tui.storage.queries import QueueFilter, case_detail, case_position, queue_count, queue_page
from collector_tui.sync.service import run_sync
from tests.conftest import SYNC_AT


def test_pragmas_wal_foreign_keys_busy_timeout(cache) -> None:  # type: ignore[no-untyped-def]
    with cache.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        assert conn.execute(text("PRAGMA user_version")).scalar() == SCHEMA_VERSION


def test_write_transactions_begin_immediately(cache, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # While one writer holds the lock, a second connection cannot even start a write.
    with write(cache) as conn:
        conn.execute(text("SELECT 1"))
        other = sqlite3.connect(tmp_path / "home" / "cache.db", timeout=0.1, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()


def test_a_newer_schema_is_refused_not_corrupted(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "c.db"
    open_engine(path).dispose()
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(SchemaTooNew, match="upgrade collector-tui"):
        open_engine(path)


def test_migration_from_empty_and_reopen_is_idempotent(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "c.db"
    open_engine(path).dispose()
    engine = open_engine(path)
    with engine.connect() as conn:
        tables = set(conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'")).scalars())
        indexes = set(conn.execute(text("SELECT name FROM sqlite_master WHERE type='index'")).scalars())
    assert {"case", "customer", "phone", "loan", "scheduleitem", "payment", "contactattempt", "promisetopay",
            "repaymentplan", "checklistrecord", "outboxentry", "syncstate", "collector", "auditentry"} <= tables
    assert {"ix_case_queue", "ix_case_stage", "ix_outbox_state_seq"} <= indexes


def test_queue_query_uses_the_queue_index(cache) -> None:  # type: ignore[no-untyped-def]
    with cache.connect() as conn:
        plan = " ".join(
            str(r[-1]) for r in conn.execute(text(
                'EXPLAIN QUERY PLAN SELECT id FROM "case" WHERE status = \'open\' '
                "ORDER BY priority, dpd DESC, overdue_minor DESC, id LIMIT 50"
            )).all()
        )
    assert "ix_case_queue" in plan


def test_queue_pages_search_and_positions(server, cache) -> None:  # type: ignore[no-untyped-def]
    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    total = queue_count(cache)
    rows = queue_page(cache, 0, total)
    assert len(rows) == total == 60
    # The stored order is the rules' order, group by group.
    ranks = [GROUPS.index(r.group) for r in rows]
    assert ranks == sorted(ranks) and len(set(ranks)) >= 3
    assert all(r.reason for r in rows)
    assert queue_page(cache, 10, 5) == rows[10:15]
    for index in (0, 7, 59):
        assert case_position(cache, rows[index].id) == index
    target = rows[17]
    assert [r.id for r in queue_page(cache, 0, 10, QueueFilter(text=target.id))] == [target.id]
    detail = case_detail(cache, target.id)
    assert detail is not None and detail.phones
    number = detail.phones[0].number
    assert target.id in [r.id for r in queue_page(cache, 0, 10, QueueFilter(text=number[-8:]))]
    assert target.id in [r.id for r in queue_page(cache, 0, 60, QueueFilter(text=target.customer_name))]
    for stage in (1, 2, 3, 4):
        staged = queue_page(cache, 0, 100, QueueFilter(stage=stage))
        assert staged and {r.stage for r in staged} == {stage}
    assert case_detail(cache, "C-nope") is None
