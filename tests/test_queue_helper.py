"""Re-placing many cases in a helper process writes what re-placing them here writes, and keeps the queue whole."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from collector_tui.domain.rules import Rules
from collector_tui.policies import load_pack
from collector_tui.storage.engine import open_engine
from collector_tui.storage import queue_build
from collector_tui.storage.queue_build import replace_cases
from collector_tui.sync.service import run_sync
from tests.conftest import SYNC_AT, RunningServer

OTHER = Rules(pack=load_pack("us-regf"))  # another pack than the one the sync placed with: every place changes


def placements(cache: Engine) -> list[tuple[Any, ...]]:
    with cache.connect() as conn:
        return list(conn.execute(text("SELECT * FROM queue_entry ORDER BY case_id")))


def copy(cache: Engine, to: Path) -> Engine:
    with cache.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(str(cache.url.database), to)
    return open_engine(to)


def test_a_helper_process_places_every_case_as_this_process_does(server: RunningServer, cache: Engine,
                                                                 tmp_path: Path) -> None:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    before = placements(cache)
    here = copy(cache, tmp_path / "here.db")
    later = SYNC_AT + timedelta(hours=9)
    placed = replace_cases(cache, [row[0] for row in before], later, OTHER, helper_at=1)
    assert placed == len(before) > 0
    assert replace_cases(here, [row[0] for row in before], later, OTHER, helper_at=None) == placed
    after = placements(cache)
    assert after == placements(here)
    assert after != before  # the helper's rows were committed to the file this engine reads
    here.dispose()


def test_cases_go_to_the_helper_from_its_threshold(server: RunningServer, cache: Engine,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    ids = [row[0] for row in placements(cache)]
    helped: list[int] = []
    real = queue_build.replace_in_helper

    def counted(engine: Engine, case_ids: list[str], *args: Any) -> int:
        helped.append(len(case_ids))
        return real(engine, case_ids, *args)

    monkeypatch.setattr(queue_build, "replace_in_helper", counted)
    assert replace_cases(cache, ids, SYNC_AT, OTHER, helper_at=len(ids) + 1) == len(ids)
    assert helped == []  # below the threshold: placed in this process
    assert replace_cases(cache, ids, SYNC_AT, OTHER, helper_at=len(ids)) == len(ids)
    assert helped == [len(ids)]
    assert queue_build.HELPER_AT > 1000  # a case recorded on, or a few gone stale, never waits for a helper to start
