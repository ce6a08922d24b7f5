"""Alembic's environment for the server database: always given a connection by collector_tui.server.schema."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from collector_tui.server.models import server_registry
from collector_tui.server.schema import MIGRATION_LOCK

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("migrate through collector_tui.server.schema.migrate or `collector-tui serve --migrate-only`")

# SQLite cannot alter most of a table in place: batch operations copy it (render_as_batch).
context.configure(connection=connection, target_metadata=server_registry.metadata,
                  render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
with context.begin_transaction():
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    context.run_migrations()
