"""What a damaged cache's outbox still holds: read with sqlite3 alone, as far as SQLite can, and adopted by a
sound cache so the next sync pushes it. The damaged file is opened read-only and never written."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from collector_tui.storage.engine import write
from collector_tui.storage.models import OutboxEntry, SyncState

T_OUTBOX = OutboxEntry.__table__  # type: ignore[attr-defined]
COLUMNS = ("seq", "id", "type", "case_id", "base_version", "occurred_at", "payload", "state", "attempts", "last_error")
TABLE = T_OUTBOX.name
SYNC_TABLE = SyncState.__table__.name  # type: ignore[attr-defined]


@dataclass
class Salvage:
    """The outbox rows read from a damaged file, in their order; how many rows could not be read; whose cache."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    lost: int = 0
    user: str | None = None  # None: the file no longer says


def read_outbox(path: Path) -> Salvage:
    """Every outbox row SQLite can still read: a scan in order, and where the scan breaks on a damaged page, each
    row looked up by its number up to the highest number SQLite can still find. sqlite3.DatabaseError when not
    even the table can be found."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        found: dict[int, tuple[Any, ...]] = {}
        query = f"SELECT {', '.join(COLUMNS)} FROM {TABLE}"  # noqa: S608 - names from the model, no input
        broken = False
        try:
            for row in conn.execute(f"{query} ORDER BY seq"):
                found[row[0]] = row
        except sqlite3.DatabaseError:
            broken = True
        lost = 0
        if broken:
            try:
                top = conn.execute(f"SELECT max(seq) FROM {TABLE}").fetchone()[0] or 0  # noqa: S608
            except sqlite3.DatabaseError:
                top = max(found, default=0)
            for seq in range(1, top + 1):
                if seq in found:
                    continue
                try:
                    row = conn.execute(f"{query} WHERE seq = ?", (seq,)).fetchone()
                except sqlite3.DatabaseError:
                    lost += 1  # a row on a damaged page (or a number never used: it cannot be told apart)
                    continue
                if row is not None:
                    found[seq] = row
        try:
            user = conn.execute(f"SELECT user FROM {SYNC_TABLE} WHERE id = 1").fetchone()  # noqa: S608
        except sqlite3.DatabaseError:
            user = None
    finally:
        conn.close()
    rows = []
    for seq in sorted(found):
        row = dict(zip(COLUMNS, found[seq], strict=True))
        try:
            row["payload"] = json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
        except ValueError:
            lost += 1  # a payload cut by the damage: not sent half-read
            continue
        rows.append(row)
    return Salvage(rows, lost, user[0] if user else None)


def adopt(engine: Engine, rows: list[dict[str, Any]]) -> tuple[int, int]:
    """Add the rows to this cache's outbox in their order, each with its own id (the server dedupes by it, so
    work it already has is answered as a duplicate) and state; rows already here are skipped.
    (added, already here), in one transaction."""
    added = skipped = 0
    with write(engine) as conn:
        here = set(conn.execute(select(T_OUTBOX.c.id)).scalars())
        for row in rows:
            if row["id"] in here:
                skipped += 1
                continue
            conn.execute(T_OUTBOX.insert().values(**{k: v for k, v in row.items() if k != "seq"}))
            here.add(row["id"])
            added += 1
    return added, skipped
