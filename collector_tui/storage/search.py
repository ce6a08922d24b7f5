"""Find cases by any part of their id, the customer's name or a phone number, fast on a big cache.

Each case has one row of search text in `case_text` (id, name and phones, ASCII letters folded to lower
case), keyed by the case's rowid. A trigram full-text index (SQLite FTS5) over that table answers a search of
three characters or more; a shorter one scans the text, which is one small plain table. Triggers keep the
index in step with the text, and the text with the cases (a purge or a tombstone deletes a case).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

CREATE = (
    "CREATE TABLE IF NOT EXISTS case_text (id INTEGER PRIMARY KEY, text TEXT NOT NULL)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS case_search USING fts5(text, content='case_text', content_rowid='id', "
    "tokenize='trigram')",
    # The index holds no copy of the text (external content): these keep it in step, as FTS5 documents.
    "CREATE TRIGGER IF NOT EXISTS case_text_added AFTER INSERT ON case_text "
    "BEGIN INSERT INTO case_search(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS case_text_removed AFTER DELETE ON case_text "
    "BEGIN INSERT INTO case_search(case_search, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER IF NOT EXISTS case_text_changed AFTER UPDATE ON case_text BEGIN "
    "INSERT INTO case_search(case_search, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO case_search(rowid, text) VALUES (new.id, new.text); END",
    'CREATE TRIGGER IF NOT EXISTS case_text_forget AFTER DELETE ON "case" '
    "BEGIN DELETE FROM case_text WHERE id = old.rowid; END",
)
# SQLite's lower() folds ASCII letters only; `fold` does the same to what the collector types.
_TEXT = ("SELECT c.rowid, lower(c.id || ' ' || c.customer_name || ' ' || "
         "coalesce((SELECT group_concat(number, ' ') FROM phone p WHERE p.case_id = c.id), '')) FROM \"case\" c")
REFRESH_ALL = f"INSERT INTO case_text(id, text) {_TEXT}"
MIN_CHARS = 3  # a trigram index needs three characters to look anything up
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def refresh(conn: Connection, case_ids: Sequence[str]) -> None:
    """Re-index the given cases after their rows changed (inside the caller's transaction)."""
    marks = ",".join("?" * len(case_ids))
    conn.exec_driver_sql(f'DELETE FROM case_text WHERE id IN (SELECT rowid FROM "case" WHERE id IN ({marks}))',
                         tuple(case_ids))
    conn.exec_driver_sql(f"INSERT INTO case_text(id, text) {_TEXT} WHERE c.id IN ({marks})", tuple(case_ids))


def fold(text: str) -> str:
    """What the collector typed, folded as the stored text is."""
    return text.strip().translate(_ASCII_LOWER)


def phrase(text: str) -> str:
    """`text` as one FTS5 phrase: matched as a substring, quotes and operators taken literally."""
    return '"' + text.replace('"', '""') + '"'
