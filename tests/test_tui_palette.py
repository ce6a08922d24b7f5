"""The command palette (Ctrl+P): a case by one Chinese character, the workbench's commands by name, in the
collector's language. The real app through pilot on a real synced cache."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from textual.command import CommandInput, CommandList
from textual.pilot import Pilot

from collector_tui.app import CollectorApp
from collector_tui.config import Settings
from collector_tui.screens.login import LoginScreen
from collector_tui.screens.outbox import OutboxScreen
from collector_tui.screens.profile import ProfileScreen
from collector_tui.storage.models import Customer
from collector_tui.sync.service import run_sync
from tests.conftest import SYNC_AT, RunningServer

pytestmark = pytest.mark.anyio


@pytest.fixture
def synced(server: RunningServer, cache: Engine) -> Engine:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    return cache


def make_app(cache: Engine, locale: str) -> CollectorApp:
    return CollectorApp(cache, settings=Settings(locale=locale), user="demo", clock=lambda: SYNC_AT)


def shown(app: CollectorApp) -> list[str]:
    hits = app.screen.query_one(CommandList)
    return [str(hits.get_option_at_index(i).prompt) for i in range(hits.option_count)]


async def palette(app: CollectorApp, pilot: Pilot[None], *keys: str) -> list[str]:
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*keys)
    await app.workers.wait_for_complete()  # the palette gathers its hits in workers
    await pilot.pause()
    return shown(app)


async def test_one_chinese_character_finds_cases(synced: Engine) -> None:
    with synced.connect() as conn:
        names = list(conn.execute(select(Customer.name)).scalars())
    surname = next(n[0] for n in names if not n[0].isascii())
    app = make_app(synced, "zh_CN")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        hits = await palette(app, pilot, surname)
        assert app.screen.query_one(CommandInput).placeholder.startswith("按编号、姓名或电话找案件")
        cases = [h for h in hits if h.startswith("打开 ")]
        assert cases and all("逾期" in h and "DPD" not in h for h in cases)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ProfileScreen)


@pytest.mark.parametrize("locale, typed, first", [("zh_CN", "待推送", "待推送"), ("en", "outbox", "Outbox")])
async def test_the_outbox_by_name(synced: Engine, locale: str, typed: str, first: str) -> None:
    app = make_app(synced, locale)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        hits = await palette(app, pilot, *typed)
        assert hits and hits[0].startswith(first)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, OutboxScreen)


async def test_sync_help_and_team_by_name_in_chinese(synced: Engine) -> None:
    app = make_app(synced, "zh_CN")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        listed = await palette(app, pilot)  # nothing typed: every command, in Chinese
        for name in ("同步", "待推送", "团队复盘", "帮助", "退出"):
            assert any(h.startswith(name) for h in listed), listed
        assert not any(h.startswith(("Quit", "Theme", "Keys", "Screenshot")) for h in listed)
        await pilot.press("escape")
        await pilot.pause()
        await palette(app, pilot, *"同步")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)  # no token in this session: the sync asks to sign in first
