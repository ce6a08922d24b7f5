"""scripts/load works: a few collectors and leads for a few seconds against `serve --workers 2` on PostgreSQL,
every mutation stored once and every cache equal to its assignment (the figures are in docs/load.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT
from tests.pg import RunDatabase


def test_the_load_script_runs_and_finds_nothing_lost_or_doubled(pg_database: RunDatabase) -> None:
    env = {**os.environ, "COLLECTOR_TUI_TEST_PG": pg_database.admin_url}  # the server this run already found
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "load.py"), "--smoke"], capture_output=True,
                          text=True, timeout=300, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert {k: result[k] for k in ("errors", "server_errors", "lost", "doubled", "conflicts_stored", "unanswered",
                                   "caches_differing")} == dict.fromkeys(("errors", "server_errors", "lost", "doubled",
                                                                          "conflicts_stored", "unanswered",
                                                                          "caches_differing"), 0)
    assert result["applied"] > 0
    assert {"page_p95_ratio", "push_p95_ratio", "team_stats_p95_ms"} <= set(result)
