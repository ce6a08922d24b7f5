"""Find cases by any part of their id, the customer's name or a phone number, fast on a big cache.

A trigram full-text index (SQLite FTS5) answers a search of three characters or more from the index;
shorter ones fall back to LIKE. Each row's rowid is its case's rowid, so that deleting a case (purge,
a tombstone) can remove its row by a trigger.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS case_search USING fts5(case_id UNINDEXED, text, tokenize='trigram')",
    'CREATE TRIGGER IF NOT EXISTS case_search_forget AFTER DELETE ON "case" '
    "BEGIN DELETE FROM case_search WHERE rowid = old.rowid; END",
)
_TEXT = ("SELECT c.rowid, c.id, c.id || ' ' || c.customer_name || ' ' || "
         "coalesce((SELECT group_concat(number, ' ') FROM phone p WHERE p.case_id = c.id), '') FROM \"case\" c")
REFRESH_ALL = f"INSERT INTO case_search(rowid, case_id, text) {_TEXT}"
MIN_CHARS = 3  # a trigram index needs three characters to look anything up


def refresh(conn: Connection, case_ids: Sequence[str]) -> None:
    """Re-index the given cases after their rows changed (inside the caller's transaction)."""
    marks = ",".join("?" * len(case_ids))
    conn.exec_driver_sql(f'DELETE FROM case_search WHERE rowid IN (SELECT rowid FROM "case" WHERE id IN ({marks}))',
                         tuple(case_ids))
    conn.exec_driver_sql(f"INSERT INTO case_search(rowid, case_id, text) {_TEXT} WHERE c.id IN ({marks})",
                         tuple(case_ids))


def phrase(text: str) -> str:
    """`text` as one FTS5 phrase: matched as a substring, quotes and operators taken literally."""
    return '"' + text.replace('"', '""') + '"'
