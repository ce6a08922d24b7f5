"""A cache damaged under the running workbench (a corrupt page hit by a query a key starts): the workbench
closes with the message every command gives (what happened, that the file is kept, how to recover), exit 1,
no crash log and no traceback. The real app on a real synced cache file, its pages overwritten while it runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from collector_tui import crash
from collector_tui.app import CollectorApp
from collector_tui.config import Settings
from collector_tui.locale import set_locale
from collector_tui.storage.engine import CacheDamaged, open_engine
from collector_tui.sync.service import run_sync
from tests.conftest import SYNC_AT, RunningServer
from tests.test_cache_damage import damage

pytestmark = pytest.mark.anyio


@pytest.fixture
def synced_file(server: RunningServer, tmp_path: Path) -> tuple[Engine, Path]:
    path = tmp_path / "home" / "cache.db"
    engine = open_engine(path)
    run_sync(engine, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    engine.dispose()  # the last connection closed writes the log back into the file, where the damage will be
    return engine, path


@pytest.mark.parametrize(("locale", "words"), [
    ("en", ["is damaged", "Keep this file", "--home NEW sync", "outbox rescue"]),
    ("zh_CN", ["已损坏", "outbox rescue"]),
])
async def test_a_cache_damaged_under_the_workbench_closes_it_with_the_clear_message(
        synced_file: tuple[Engine, Path], tmp_path: Path, locale: str, words: list[str]) -> None:
    engine, path = synced_file
    set_locale(locale)
    app = CollectorApp(engine, settings=Settings(locale=locale), user="demo", clock=lambda: SYNC_AT)
    with pytest.raises(CacheDamaged):  # the pilot hands the app's error on once the app has closed
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            damage(path)
            engine.dispose()  # the pages held in memory go: the next query reads the file, as after a while it would
            await pilot.pause()
            assert app.crashed is None and app.is_running  # nothing has read the damaged pages yet
            await pilot.press("G", "enter")  # the end of the queue, then its case's profile: both read the cache
            await pilot.pause()
    assert app.crashed is not None
    assert app.crashed.status == 1 and app.return_code == 1
    assert app.crashed.log is None and not list(tmp_path.glob("state/**/crash-*.log"))  # no crash, no log
    assert str(path) in app.crashed.line and all(w in app.crashed.line for w in words), app.crashed.line
    assert "Traceback" not in app.crashed.line and len(app.crashed.line) > crash.MESSAGE_CHARS  # whole, not cut
    assert app._exit_renderables == []  # nothing of Textual's report reaches the terminal
