"""Write one prepared page of the case feed (storage.rows) to the cache: its rows, their queue places and its
cursor, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine

from collector_tui.domain.rules import Rules
from collector_tui.storage import search
from collector_tui.storage.audit import append
from collector_tui.storage.engine import write
from collector_tui.storage.facts import facts_in
from collector_tui.storage.queue_build import place_facts, store_placements
from collector_tui.storage.queue_rows import UPSERT
from collector_tui.storage.rows import CHILDREN, HISTORY, ROWS, PreparedPage, insert_sql

SQL = {table: insert_sql(table) for table in ROWS}


@dataclass
class PageResult:
    upserted: int = 0
    removed: int = 0


def _in(ids: Sequence[str]) -> str:
    return f"({','.join('?' * len(ids))})"


def _with_local_work(conn: Connection, ids: Sequence[str]) -> list[str]:
    """Cases on the page that still hold local records the server has not taken yet."""
    union = " UNION ".join(f"SELECT case_id FROM {t} WHERE origin = 'local' AND case_id IN {_in(ids)}" for t in HISTORY)
    return [r[0] for r in conn.exec_driver_sql(union, tuple(ids) * len(HISTORY))]


def write_page(engine: Engine, page: PreparedPage, cursor: str | None, now: datetime,
               rules: Rules | None) -> PageResult:
    """Write a page, its queue places and its cursor in one transaction: a crash leaves the cache at a page
    boundary, never half a page, and never a case without its place in the queue."""
    ids, gone, rows = page.ids, page.gone, page.rows
    with write(engine) as conn:
        if gone:
            # The purpose of holding these customers' data has ended (closed, or no longer this collector's):
            # cascades purge it, and the audit log says so (PIPL art. 47). Pending work stays in the outbox,
            # which has no foreign key.
            held = [r[0] for r in conn.exec_driver_sql(f'SELECT id FROM "case" WHERE id IN {_in(gone)}', tuple(gone))]
            conn.exec_driver_sql(f'DELETE FROM "case" WHERE id IN {_in(gone)}', tuple(gone))
            actor = conn.exec_driver_sql("SELECT user FROM syncstate WHERE id = 1").scalar() or ""
            for case_id in held:
                append(conn, at=now, actor=actor, action="purpose_ended", case_id=case_id,
                       detail="closed or reassigned by the server: personal data removed from this cache", push=False)
        if ids:
            for table in CHILDREN:
                conn.exec_driver_sql(f"DELETE FROM {table} WHERE case_id IN {_in(ids)}", tuple(ids))
            for table in HISTORY:
                conn.exec_driver_sql(f"DELETE FROM {table} WHERE origin = 'server' AND case_id IN {_in(ids)}",
                                     tuple(ids))
                server_ids = [r[0] for r in rows[table]]
                # A local record the server now holds gives way to its copy.
                for start in range(0, len(server_ids), 900):
                    chunk = server_ids[start:start + 900]
                    conn.exec_driver_sql(f"DELETE FROM {table} WHERE id IN {_in(chunk)}", tuple(chunk))
            for table, sql in SQL.items():
                if rows[table]:
                    conn.exec_driver_sql(sql, rows[table])
            search.refresh(conn, ids)
            placed = page.placed
            if rules is not None:
                local = set(_with_local_work(conn, ids))
                if local:  # their facts include work only this cache holds
                    placed = [r for r in placed if r[0] not in local]
                    store_placements(conn, place_facts(facts_in(conn, local), now, rules), now)
            if placed:
                conn.exec_driver_sql(UPSERT, placed)
        conn.exec_driver_sql("UPDATE syncstate SET cursor = ?, last_sync_at = ? WHERE id = 1",
                             (cursor, now.isoformat()))
    return PageResult(upserted=len(ids), removed=len(gone))
