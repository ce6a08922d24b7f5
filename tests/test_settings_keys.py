"""Key bindings in settings.toml are checked on load by every command, the key named; a good remap works."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import Engine

from collector_tui.app import CollectorApp
from collector_tui.config import Settings, SettingsError, load_settings
from collector_tui.widgets.case_table import CaseTable
from tests.conftest import CLI, RunningServer, cli_env

BAD = [
    ('keys = { "queue.stage" = 5 }', 'keys."queue.stage" must be text, not 5'),
    ('keys = { "queue.stage" = "" }', 'keys."queue.stage" must be a key'),
    ('keys = { "queue.stage" = "ctrl+" }', 'keys."queue.stage" must be a key'),
    ('keys = { "queue.stage" = "x,,y" }', 'keys."queue.stage" must be a key'),
    ('keys = { "queue.stage" = "hyperdrive+x" }', 'keys."queue.stage" must be a key'),
    ('keys = { "queue.stage" = "nosuchkeyname" }', 'keys."queue.stage" must be a key'),
    ('keys = { "queue.stage" = ["x"] }', 'keys."queue.stage" must be text'),
    ('keys = { stage = "x" }', 'keys."stage" is not a binding id'),
    ('keys = { "queue.stage" = { a = 1 } }', 'keys."queue.stage" must be text'),
    ('keys = "x"', "keys must be a table"),
]


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "--locale", "en", *args], capture_output=True, text=True, timeout=120,
                          env=cli_env(home), stdin=subprocess.DEVNULL)


@pytest.mark.parametrize(("line", "said"), BAD)
def test_a_bad_binding_is_refused_by_status_and_the_workbench_naming_the_key(
    tmp_path: Path, line: str, said: str
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.toml").write_text(line + "\n")
    for args in (["status"], [], ["queue"], ["outbox"]):  # [] opens the workbench: refused before it starts
        out = run(home, *args)
        assert out.returncode == 2, (args, out.stderr)
        assert said in out.stderr and str(home / "settings.toml") in out.stderr, (args, out.stderr)
        assert "Traceback" not in out.stderr + out.stdout
        assert out.stderr.count("\n") == 1  # one line
    with pytest.raises(SettingsError, match="keys"):
        load_settings(home)


def test_the_refusal_is_in_chinese_by_default(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.toml").write_text('keys = { "queue.stage" = 5 }\n')
    out = subprocess.run([*CLI, "status"], capture_output=True, text=True, timeout=120, env=cli_env(home))
    assert out.returncode == 2 and 'keys."queue.stage" 必须是文本' in out.stderr


def test_the_app_refuses_bad_bindings_it_is_handed(cache: Engine) -> None:
    with pytest.raises(SettingsError, match='keys."queue.stage"'):
        CollectorApp(cache, settings=Settings(locale="en", keys={"queue.stage": 5}))  # type: ignore[dict-item]


@pytest.mark.anyio
async def test_a_good_remap_read_from_the_file_drives_the_workbench(
    server: RunningServer, cache: Engine, tmp_path: Path
) -> None:
    from collector_tui.sync.service import run_sync
    from tests.conftest import SYNC_AT

    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    home = tmp_path / "remap"
    home.mkdir()
    (home / "settings.toml").write_text(
        'locale = "en"\nkeys = { "queue.stage" = "x,question_mark", "queue.tier" = "ctrl+t" }\n'
    )
    settings = load_settings(home)
    app = CollectorApp(cache, settings=settings, api=server.url, user="demo", clock=lambda: SYNC_AT)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(CaseTable)
        before = table.row_count
        await pilot.press("s")  # no longer the stage filter
        await pilot.pause()
        assert table.row_count == before
        await pilot.press("x")
        await pilot.pause()
        assert table.row_count < before
