"""Schema version (PRAGMA user_version) and forward migrations, applied in order inside one transaction."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection
from sqlmodel import SQLModel

from collector_tui.locale import t
from collector_tui.storage import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from collector_tui.storage.models import CALLBACK_DUE_INDEX, callback_instant
from collector_tui.storage.search import CREATE, REFRESH_ALL


class SchemaTooNew(RuntimeError):
    """The cache was written by a newer collector-tui; we refuse rather than corrupt it."""


def _v1_initial(conn: Connection) -> None:
    SQLModel.metadata.create_all(conn)


def _add_column(conn: Connection, table: str, column: str, ddl: str) -> None:
    """Add a column unless the table already has it (v1 creates tables from the current models)."""
    names = {row[1] for row in conn.exec_driver_sql(f'PRAGMA table_info("{table}")')}
    if column not in names:
        conn.exec_driver_sql(f'ALTER TABLE "{table}" ADD COLUMN {column} {ddl}')


def _v2_queue(conn: Connection) -> None:
    _add_column(conn, "contactattempt", "number", "VARCHAR NOT NULL DEFAULT ''")
    SQLModel.metadata.create_all(conn)  # creates queue_entry; existing tables are left alone


def _v3_team(conn: Connection) -> None:
    SQLModel.metadata.create_all(conn)  # creates team_stats


def _v4_append_only_audit(conn: Connection) -> None:
    # The audit log is append-only at the database level: no code path can rewrite what it recorded.
    for op in ("UPDATE", "DELETE"):
        conn.exec_driver_sql(
            f"CREATE TRIGGER IF NOT EXISTS auditentry_no_{op.lower()} BEFORE {op} ON auditentry "
            "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
        )


def _v5_indexed_queue(conn: Connection) -> None:
    # The queue is derived data: drop the numbered table; the next sync or re-order places every case again.
    conn.exec_driver_sql("DROP TABLE IF EXISTS queue_entry")
    # The case table's queue index gives way to the two sort orders the queue offers besides its own.
    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_case_queue")
    conn.exec_driver_sql('CREATE INDEX IF NOT EXISTS ix_case_dpd ON "case" (dpd)')
    conn.exec_driver_sql('CREATE INDEX IF NOT EXISTS ix_case_amount ON "case" (overdue_minor)')
    SQLModel.metadata.create_all(conn)


def _v6_case_search(conn: Connection) -> None:
    # Substring search over case id, name and phone numbers with a trigram index (as shipped; v7 replaces it).
    conn.exec_driver_sql("CREATE VIRTUAL TABLE IF NOT EXISTS case_search USING fts5(case_id UNINDEXED, text, "
                         "tokenize='trigram')")
    conn.exec_driver_sql('CREATE TRIGGER IF NOT EXISTS case_search_forget AFTER DELETE ON "case" '
                         "BEGIN DELETE FROM case_search WHERE rowid = old.rowid; END")
    conn.exec_driver_sql("INSERT INTO case_search(rowid, case_id, text) SELECT c.rowid, c.id, c.id || ' ' || "
                         "c.customer_name || ' ' || coalesce((SELECT group_concat(number, ' ') FROM phone p "
                         "WHERE p.case_id = c.id), '') FROM \"case\" c")


def _v7_case_text(conn: Connection) -> None:
    # The search text moves to a plain table the index reads from (storage.search): a short search scans
    # that table instead of the index's own copy, which costs a virtual-table call a row.
    conn.exec_driver_sql("DROP TRIGGER IF EXISTS case_search_forget")
    conn.exec_driver_sql("DROP TABLE IF EXISTS case_search")
    for statement in CREATE:
        conn.exec_driver_sql(statement)
    conn.exec_driver_sql(REFRESH_ALL)


def _v8_rules_digest(conn: Connection) -> None:
    # Which rules the queue was placed with: a change of pack or thresholds in the settings re-places it.
    _add_column(conn, "syncstate", "rules_digest", "VARCHAR")


def _v9_drop_first_order(conn: Connection) -> None:
    # The first, simple queue order gave way to the rules' placements (queue_entry): its columns go.
    for column in ("priority", "next_action"):
        names = {row[1] for row in conn.exec_driver_sql('PRAGMA table_info("case")')}
        if column in names:
            conn.exec_driver_sql(f'ALTER TABLE "case" DROP COLUMN {column}')


def _v10_placed_dpd(conn: Connection) -> None:
    # Days past due run on with the calendar: each placement carries the figure of its moment, and each
    # contact the scope of a cease request.
    _add_column(conn, "queue_entry", "dpd", "INTEGER NOT NULL DEFAULT 0")
    _add_column(conn, "contactattempt", "scope", "VARCHAR NOT NULL DEFAULT ''")
    conn.exec_driver_sql("UPDATE queue_entry SET valid_until = ''")  # placed again at the next look


def _v11_targets(conn: Connection) -> None:
    # The team's daily targets come with the collector (GET /v1/me), for the day's figures.
    _add_column(conn, "collector", "targets", "JSON")


def _v12_plan_decisions(conn: Connection) -> None:
    # A submitted plan comes back approved or rejected, when and why.
    _add_column(conn, "repaymentplan", "decided_at", "VARCHAR")
    _add_column(conn, "repaymentplan", "reason", "VARCHAR NOT NULL DEFAULT ''")


def _v13_messages(conn: Connection) -> None:
    # SMS and e-mail sent through the server, with the state it reports.
    SQLModel.metadata.create_all(conn)  # creates message; existing tables are left alone


def _v14_callbacks_due(conn: Connection) -> None:
    # The callbacks check reads the callbacks coming due by their instant. Their times keep the offset they
    # were given in, so the text alone does not sort by instant: the index is on the UTC time SQLite reads.
    conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {CALLBACK_DUE_INDEX} ON callback ({callback_instant()})")


# Each entry moves the schema from version i to i+1. Append only; never edit a shipped step.
MIGRATIONS: list[Callable[[Connection], None]] = [_v1_initial, _v2_queue, _v3_team, _v4_append_only_audit,
                                                  _v5_indexed_queue, _v6_case_search, _v7_case_text,
                                                  _v8_rules_digest, _v9_drop_first_order,
                                                  _v10_placed_dpd, _v11_targets,
                                                  _v12_plan_decisions, _v13_messages, _v14_callbacks_due]
SCHEMA_VERSION = len(MIGRATIONS)


def current_version(conn: Connection) -> int:
    return int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 0)


def migrate(conn: Connection) -> int:
    """Bring the schema to SCHEMA_VERSION; returns the version found before."""
    found = current_version(conn)
    if found > SCHEMA_VERSION:
        raise SchemaTooNew(t("cache.too_new", found=found, known=SCHEMA_VERSION))
    for step in MIGRATIONS[found:]:
        step(conn)
    if found != SCHEMA_VERSION:
        conn.exec_driver_sql(f"PRAGMA user_version={SCHEMA_VERSION}")
    return found
