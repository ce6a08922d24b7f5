"""Signing in from the workbench: whenever there is no usable token, and the token naming its user.

The real app through pilot against the real reference server; "no keyring" is keyring's own failing backend.
"""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from keyring.backends import fail
from sqlalchemy import Engine
from textual.pilot import Pilot

from collector_tui.app import CollectorApp
from collector_tui.config import Settings
from collector_tui.screens.login import LoginScreen
from collector_tui.screens.profile import ProfileScreen
from collector_tui.storage import audit
from collector_tui.sync.service import run_sync
from collector_tui.widgets.case_table import CaseTable
from tests.conftest import SYNC_AT, RunningServer

pytestmark = pytest.mark.anyio


@pytest.fixture
def no_keyring() -> Iterator[None]:
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    yield
    keyring.set_keyring(before)


def make_app(cache: Engine, *, api: str = "", user: str = "", token: str | None = None, locale: str = "en",
             check_sign_in: bool = True) -> CollectorApp:
    return CollectorApp(cache, settings=Settings(locale=locale), api=api, user=user, token=token,
                        clock=lambda: SYNC_AT, check_sign_in=check_sign_in)


async def settle(app: CollectorApp, pilot: Pilot[None]) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_a_token_alone_names_its_user_and_work_is_recorded_under_it(server: RunningServer, cache: Engine) -> None:
    app = make_app(cache, api=server.url, token=server.token("demo2"))  # no user: the token says whose it is
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.user == "demo2" and not isinstance(app.screen, LoginScreen)
        await pilot.press("r")
        await settle(app, pilot)
        assert app.screen.query_one(CaseTable).row_count == 60
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ProfileScreen)
        await pilot.press("v")
        await pilot.pause()
        assert app.screen.revealed
    assert [(e.action, e.actor) for e in audit.entries(cache)] == [("reveal", "demo2")]


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
async def test_without_a_token_the_sign_in_opens_at_start_and_asks_what_it_does_not_know(
    server: RunningServer, cache: Engine, no_keyring: None, locale: str
) -> None:
    app = make_app(cache, locale=locale)  # an empty home: no server, no user, no token
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        assert {w.id for w in app.screen.query("Input")} == {"api", "user", "password"}
        await pilot.press(*server.url, "enter", *"demo", "enter", *"demo", "enter")
        await settle(app, pilot)
        assert not isinstance(app.screen, LoginScreen)
        assert (app.api, app.user) == (server.url, "demo") and app.token
        await pilot.press("r")
        await settle(app, pilot)
        assert app.screen.query_one(CaseTable).row_count == 60


async def test_r_without_a_token_opens_the_sign_in_and_syncs_after_it(server: RunningServer, cache: Engine) -> None:
    app = make_app(cache, api=server.url, user="demo", check_sign_in=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert not isinstance(app.screen, LoginScreen)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        assert [w.id for w in app.screen.query("Input")] == ["password"]  # the server and the user are known
        await pilot.press(*"demo", "enter")
        await settle(app, pilot)
        await settle(app, pilot)
        assert app.screen.query_one(CaseTable).row_count == 60


async def test_a_refused_token_at_start_opens_the_sign_in(server: RunningServer, cache: Engine) -> None:
    app = make_app(cache, api=server.url, user="demo", token="expired")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, LoginScreen)
        await pilot.press("escape")  # work offline on the cache
        await pilot.pause()
        assert not isinstance(app.screen, LoginScreen)


async def test_nothing_is_revealed_under_no_name(server: RunningServer, cache: Engine) -> None:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    app = make_app(cache, api=server.url, check_sign_in=False)  # no user known, no token
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ProfileScreen)
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
    assert audit.entries(cache) == []
