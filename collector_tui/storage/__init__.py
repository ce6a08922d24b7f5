"""The local SQLite cache: tables, engine, migrations, query functions and the outbox."""
