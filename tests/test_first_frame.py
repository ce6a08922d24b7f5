"""The workbench's first frame from a first look at the cache, and what each quick path leaves unloaded."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from collector_tui import locale
from collector_tui.app import CollectorApp
from collector_tui.config import Settings
from collector_tui.storage.engine import open_engine
from collector_tui.storage.queries import queue_count, queue_group_counts, queue_page
from collector_tui.sync.service import run_sync
from collector_tui.widgets.case_table import PAGE, CaseTable
from tests.conftest import SYNC_AT, MakeServer, cli_env

pytestmark = pytest.mark.anyio


@pytest.fixture
def home(make_server: MakeServer, tmp_path: Path) -> Path:
    server = make_server(cases=200)
    path = tmp_path / "home"
    engine = open_engine(path / "cache.db")
    run_sync(engine, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    engine.dispose()
    return path


async def test_the_first_frame_is_the_queue_the_open_cache_shows(home: Path) -> None:
    cache = home / "cache.db"
    engine = open_engine(cache)
    asked: list[str] = []

    def keyring() -> str:
        asked.append("token")
        return "kept"

    app = CollectorApp(cache, settings=Settings(locale="en"), api="http://127.0.0.1:9", user="demo",
                       clock=lambda: SYNC_AT, token_loader=keyring)
    look = app.first_look
    assert look is not None and app._engine is None  # noqa: SLF001 - not opened before the first frame
    assert app.token is None and asked == []  # nor the keyring asked
    assert look.rows == queue_page(engine, 0, PAGE)
    assert (look.count, look.group_counts) == (queue_count(engine), queue_group_counts(engine))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        first = [app.screen.query_one(CaseTable).row(i) for i in range(5)]
        await app.workers.wait_for_complete()
        await pilot.pause()
        # Opened once the frame was up (the keyring asked then); the screens now read through it, and nothing moved.
        assert app.first_look is None and app._engine is not None  # noqa: SLF001
        assert app.token == "kept" and asked == ["token"]
        assert [app.screen.query_one(CaseTable).row(i) for i in range(5)] == first == queue_page(engine, 0, 5)
        await pilot.press("j", "G")
        table = app.screen.query_one(CaseTable)
        assert table.cursor == table.row_count - 1 == 99
    engine.dispose()


def loaded_after(home: Path, code: str) -> set[str]:
    """Which of the heavy libraries a fresh interpreter holds after running `code` on `home`."""
    probe = (f"import sys\n{code}\n"
             "print(' '.join(m for m in ('typer', 'sqlalchemy', 'sqlmodel', 'pydantic', 'httpx', 'keyring')"
             " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                         env=cli_env(home, COLLECTOR_TUI_TOKEN="t"))
    assert out.returncode == 0, out.stderr
    return set(out.stdout.split("\n")[-2].split())


def test_the_quick_paths_leave_the_heavy_libraries_unloaded(home: Path) -> None:
    # The first frame's modules: the app, its queue screen and the first look.
    first = "from collector_tui.app import CollectorApp\nfrom collector_tui.work.queue_view import first_look"
    assert loaded_after(home, first) == set()
    for command in (["status", "--json"], ["queue", "--json"]):
        run = f"from collector_tui import launch\nsys.argv = ['collector-tui', *{command!r}]\nlaunch.main()"
        assert loaded_after(home, run) == set(), command


def test_a_catalogue_kept_parsed_is_the_catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (Path(locale.__file__).parent / "en.toml").read_text(encoding="utf-8")
    monkeypatch.setattr(locale.platformdirs, "user_cache_dir", lambda name: str(tmp_path / name))
    locale.catalogue.cache_clear()
    try:
        parsed = locale.catalogue("en")
        kept = list((tmp_path / "collector-tui" / "catalogues").glob("en-*.json"))
        assert len(kept) == 1 and parsed == locale._flatten(text)  # noqa: SLF001
        locale.catalogue.cache_clear()
        assert locale.catalogue("en") == parsed  # read back as kept
        kept[0].write_text("{not json", encoding="utf-8")
        locale.catalogue.cache_clear()
        assert locale.catalogue("en") == parsed  # a damaged copy is parsed again and kept anew
        assert json.loads(kept[0].read_text(encoding="utf-8")) == parsed
    finally:
        locale.catalogue.cache_clear()


async def test_a_cache_refused_once_the_first_frame_is_up_ends_the_workbench_with_its_reason(
    home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    cache = home / "cache.db"
    with sqlite3.connect(cache) as db:
        db.execute("PRAGMA user_version = 999")  # written by a newer collector-tui
    app = CollectorApp(cache, settings=Settings(locale="en"), user="demo", clock=lambda: SYNC_AT)
    assert app.first_look is not None  # the first frame is drawn from what it can read
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert app.return_code == 1 and app._engine is None  # noqa: SLF001 - never opened
    assert "999" in capfd.readouterr().err  # the message says which version it found
