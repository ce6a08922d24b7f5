"""`status` reads the cache with sqlite3 alone where it can, and says exactly what the full open says."""

from __future__ import annotations

import json
import subprocess
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from collector_tui.storage import actions
from collector_tui.storage.peek import status_fields
from collector_tui.storage.state import status
from collector_tui.sync.service import run_sync
from tests.conftest import CLI, SYNC_AT, RunningServer, cli_env


def test_the_quick_read_equals_the_full_one(server: RunningServer, cache: Engine, tmp_path: Path) -> None:
    assert status_fields(tmp_path / "nowhere.db") is None
    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    case_id = str(cache.connect().exec_driver_sql('SELECT id FROM "case" LIMIT 1').scalar())
    actions.log_contact(cache, case_id, at=datetime(2026, 11, 27, 3, tzinfo=UTC), channel="sms",
                        disposition="message_left")
    path = tmp_path / "home" / "cache.db"
    quick = status_fields(path)
    assert quick == asdict(status(cache))
    assert quick is not None and quick["outbox_pending"] == 1 and quick["cases"] > 0
    cache.dispose()
    (tmp_path / "home" / "settings.toml").write_text('user = "demo"\n')
    out = subprocess.run([*CLI, "status", "--json"], capture_output=True, text=True, timeout=60,
                         env=cli_env(tmp_path / "home"))
    assert out.returncode == 0, out.stderr
    shown = json.loads(out.stdout)
    assert shown["outbox_pending"] == 1 and shown["cases"] == quick["cases"] and shown["user"] == "demo"


def test_a_file_that_is_not_a_cache_is_left_to_the_full_open(tmp_path: Path) -> None:
    junk = tmp_path / "cache.db"
    junk.write_bytes(b"this is not a database" * 100)
    assert status_fields(junk) is None
