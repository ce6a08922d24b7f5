"""The server database's schema, versioned by Alembic: `migrate` brings any database to the newest revision.

Revisions live in collector_tui/server/migrations/versions. A database made before versioning (its tables
there, no alembic_version) is stamped with the first revision, the schema it has, and migrated on from there.
On PostgreSQL the upgrade holds an advisory lock, so servers started at once migrate one after another.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
FIRST = "0001"
MIGRATION_LOCK = 0x636F6C6C  # pg_advisory_xact_lock key held while migrating ("coll")


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's settings without an ini file; `connection` is the one env.py migrates."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert revision is not None
    return revision


def current(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine, revision: str = "head") -> str | None:
    """Create or upgrade the schema to `revision`; returns the revision the database is at afterwards."""
    with engine.begin() as conn:
        tables = set(inspect(conn).get_table_names())
        if "casedoc" in tables and "alembic_version" not in tables:
            command.stamp(alembic_config(conn), FIRST)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)
    return current(engine)
