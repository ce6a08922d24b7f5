"""The cache file itself: pragmas, schema version and migrations, indexes, queue queries."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from collector_tui.domain.priority import GROUPS
from collector_tui.storage.engine import open_engine, write
from collector_tui.storage.migrations import SCHEMA_VERSION, SchemaTooNew
from collector_tui.storage.queries import QueueFilter, case_detail, case_position, queue_count, queue_page
from collector_tui.sync.service import run_sync
from tests.conftest import SYNC_AT, RunningServer


def test_pragmas_wal_foreign_keys_busy_timeout(cache: Engine) -> None:
    with cache.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        assert conn.execute(text("PRAGMA user_version")).scalar() == SCHEMA_VERSION


def test_write_transactions_begin_immediately(cache: Engine, tmp_path: Path) -> None:
    # While one writer holds the lock, a second connection cannot even start a write.
    with write(cache) as conn:
        conn.execute(text("SELECT 1"))
        other = sqlite3.connect(tmp_path / "home" / "cache.db", timeout=0, isolation_level=None)  # no waiting
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()


def test_a_newer_schema_is_refused_not_corrupted(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    open_engine(path).dispose()
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(SchemaTooNew, match="upgrade collector-tui"):
        open_engine(path)


def test_migration_from_empty_and_reopen_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    open_engine(path).dispose()
    engine = open_engine(path)
    with engine.connect() as conn:
        tables = set(conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'")).scalars())
        indexes = set(conn.execute(text("SELECT name FROM sqlite_master WHERE type='index'")).scalars())
    assert {"case", "customer", "phone", "loan", "scheduleitem", "payment", "contactattempt", "promisetopay",
            "repaymentplan", "checklistrecord", "outboxentry", "syncstate", "collector", "auditentry"} <= tables
    assert {"ix_queue_sort", "ix_case_dpd", "ix_case_amount", "ix_outbox_state_seq"} <= indexes
    assert "case_search" in tables and "ix_case_queue" not in indexes


def plan(cache: Engine, q: QueueFilter) -> str:
    from collector_tui.storage.queries import page_statement

    with cache.connect() as conn:
        stmt = page_statement(conn, q, 0, 50).compile(cache, compile_kwargs={"literal_binds": True})
        return " ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {stmt}").all())


def test_the_queue_is_read_through_its_indexes(server: RunningServer, cache: Engine) -> None:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    assert "ix_queue_sort" in plan(cache, QueueFilter())
    for q in (QueueFilter(), QueueFilter(stage=2), QueueFilter(tier="C"), QueueFilter(flag="lost_contact")):
        found = plan(cache, q)
        assert "TEMP B-TREE" not in found, (q, found)  # the page comes out of an index in queue order
    assert "ix_case_dpd" in plan(cache, QueueFilter(sort="dpd"))
    assert "ix_case_amount" in plan(cache, QueueFilter(sort="amount"))
    narrow = queue_page(cache, 0, 1)[0].id
    assert "case_search" in plan(cache, QueueFilter(text=narrow))
    assert [r.id for r in queue_page(cache, 0, 5, QueueFilter(text=narrow))] == [narrow]
    assert [r.id for r in queue_page(cache, 0, 5, QueueFilter(text=narrow.lower()))] == [narrow]


def test_queue_pages_search_and_positions(server: RunningServer, cache: Engine) -> None:
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


def test_a_page_far_down_the_queue_is_the_same_page_offset_would_give(
    server: RunningServer, cache: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from collector_tui.storage import queries

    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    filters = (QueueFilter(), QueueFilter(stage=1), QueueFilter(tier="A"), QueueFilter(flag="info.stale_contact"))
    expected = {(q, offset): queue_page(cache, offset, 7, q) for q in filters for offset in (3, 10, 25, 55, 59, 70)}
    monkeypatch.setattr(queries, "KEYSET_FROM", 2)  # every page above is now found by its first key
    for (q, offset), rows in expected.items():
        assert queue_page(cache, offset, 7, q) == rows, (q, offset)
    assert any(rows for rows in expected.values()) and not expected[(QueueFilter(), 70)]


def _brute_force(cache: Engine, typed: str) -> list[str]:
    """The queue's ids whose id, name or a phone contains `typed` (ASCII case folded), read the slow way."""
    with cache.connect() as conn:
        rows = conn.exec_driver_sql(
            'SELECT c.id, c.customer_name, (SELECT group_concat(number, " ") FROM phone p WHERE p.case_id = c.id) '
            'FROM queue_entry q JOIN "case" c ON c.id = q.case_id ORDER BY q.sort_key').all()
    fold = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
    needle = typed.strip().translate(fold)
    return [r[0] for r in rows if needle in " ".join((r[0], r[1], r[2] or "")).translate(fold)]


# Every search through each of its plans: looked up and sorted, walked against the index's list, walked
# testing each case's text.
@pytest.mark.parametrize(("broad", "wide"), [(2_000, 20_000), (3, 20_000), (3, 3)])
def test_search_finds_what_a_full_scan_finds_in_queue_order(
    server: RunningServer, cache: Engine, monkeypatch: pytest.MonkeyPatch, broad: int, wide: int
) -> None:
    from collector_tui.storage import queries

    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    monkeypatch.setattr(queries, "BROAD", broad)
    monkeypatch.setattr(queries, "WIDE", wide)
    rows = queue_page(cache, 0, 60)
    name = next(r.customer_name for r in rows if r.customer_name.isascii())
    cjk = next(r.customer_name for r in rows if not r.customer_name.isascii())
    typed = ["c", "C-", "c-00", "-0001", " C-00001 ", name[:2].upper(), name.lower(), cjk[:1], cjk[:2], cjk,
             "+86", "9", "zzz", '"', "a%", "_"]
    for needle in typed:
        expected = _brute_force(cache, needle)
        q = QueueFilter(text=needle)
        assert queue_count(cache, q) == len(expected), needle
        assert [r.id for r in queue_page(cache, 0, 100, q)] == expected, needle
        if expected:
            assert case_position(cache, expected[-1], q) == len(expected) - 1
    assert _brute_force(cache, "c") and _brute_force(cache, cjk[:1]) and not _brute_force(cache, "zzz")


def test_a_deleted_case_leaves_no_search_text(server: RunningServer, cache: Engine) -> None:
    from collector_tui.storage.purge import purge_case

    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    target = queue_page(cache, 0, 60)[5]
    assert queue_count(cache, QueueFilter(text=target.id)) == 1
    purge_case(cache, target.id, actor="demo", at=SYNC_AT)
    assert queue_count(cache, QueueFilter(text=target.id)) == 0
    with cache.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM case_text").scalar() == 59
        # The index agrees with its table (FTS5's own consistency check raises on a mismatch).
        conn.exec_driver_sql("INSERT INTO case_search(case_search, rank) VALUES ('integrity-check', 1)")


def test_a_version_6_cache_moves_its_search_to_the_text_table(
    server: RunningServer, cache: Engine, tmp_path: Path
) -> None:
    from collector_tui.storage import migrations

    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    target = queue_page(cache, 0, 60)[9]
    # Put the cache back as version 6 left it: the index held its own copy of the text.
    with write(cache) as conn:
        for name in ("case_text_added", "case_text_removed", "case_text_changed", "case_text_forget"):
            conn.exec_driver_sql(f"DROP TRIGGER {name}")
        conn.exec_driver_sql("DROP TABLE case_search")
        conn.exec_driver_sql("DROP TABLE case_text")
        migrations.MIGRATIONS[5](conn)
        conn.exec_driver_sql("PRAGMA user_version=6")
    path = cache.url.database
    cache.dispose()
    migrated = open_engine(Path(path))  # type: ignore[arg-type]
    assert [r.id for r in queue_page(migrated, 0, 5, QueueFilter(text=target.id.lower()))] == [target.id]
    assert queue_count(migrated, QueueFilter(text="c")) == 60  # the short search reads the new table
    with migrated.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA user_version").scalar() == SCHEMA_VERSION
        tables = set(conn.exec_driver_sql("SELECT name FROM sqlite_master").scalars())
    assert {"case_text", "case_search"} <= tables and "case_search_content" not in tables


def test_flag_counts_match_the_queue_rows(server: RunningServer, cache: Engine) -> None:
    from collections import Counter

    from collector_tui.storage.queries import flag_counts

    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    expected = Counter(flag for r in queue_page(cache, 0, 100) for flag in (r.flags or "").split())
    counts = flag_counts(cache)
    assert counts == dict(expected) and len(counts) >= 3
    assert list(counts.values()) == sorted(counts.values(), reverse=True)  # the picker lists the commonest first


def test_counts_see_another_process_write(server: RunningServer, cache: Engine) -> None:
    """A second engine on the same file stands for `collector-tui sync` or a purge in another terminal:
    what this one remembered must not outlive that write."""
    from collector_tui.storage.purge import purge_case

    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    target = queue_page(cache, 0, 60)[3]
    assert queue_count(cache) == 60 and queue_count(cache, QueueFilter(text=target.id)) == 1
    other = open_engine(cache.url.database)  # type: ignore[arg-type]
    purge_case(other, target.id, actor="demo", at=SYNC_AT)
    other.dispose()
    assert queue_count(cache) == 59 and queue_count(cache, QueueFilter(text=target.id)) == 0
