"""A common terminal (80x24) and a monochrome one: every key in the key bar with `?` first, ticks and focus
that read without colour. The real app through pilot on a real synced cache, in both locales."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from textual.widgets import Checkbox, Input, Select

from collector_tui.app import CollectorApp
from collector_tui.config import Settings
from collector_tui.screens.contact import ContactScreen
from collector_tui.screens.profile import ProfileScreen
from collector_tui.sync.service import run_sync
from collector_tui.widgets.key_bar import KeyBar
from tests.conftest import RunningServer
from tests.test_tui import plain

pytestmark = pytest.mark.anyio
MORNING = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


@pytest.fixture
def synced(server: RunningServer, cache: Engine) -> Engine:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: MORNING)
    return cache


def make_app(cache: Engine, locale: str) -> CollectorApp:
    return CollectorApp(cache, settings=Settings(locale=locale), user="demo", clock=lambda: MORNING)


@pytest.mark.parametrize("locale, help_word", [("en", "Help"), ("zh_CN", "帮助")])
async def test_at_80x24_every_key_is_in_the_key_bar_and_help_comes_first(
    synced: Engine, locale: str, help_word: str
) -> None:
    app = make_app(synced, locale)
    async with app.run_test(size=(80, 24)) as pilot:
        for step in ((), ("enter",), ("c",)):  # the queue, a profile, the contact form
            await pilot.press(*step)
            await pilot.pause()
            bar = app.screen.query_one(KeyBar)
            line = plain(bar).rstrip("\n")
            assert line.split()[:2] == ["?", help_word], line
            by_action: dict[str, set[str]] = {}  # a key of every action shown (? and F1 are one action)
            for b in app.screen.active_bindings.values():
                if b.binding.show and b.enabled:
                    by_action.setdefault(b.binding.action, set()).add(app.get_key_display(b.binding))
            assert [keys for keys in by_action.values() if not any(f" {k} " in line for k in keys)] == [], line
            assert len(line.rstrip()) <= 80 and "…" not in line


async def test_a_ticked_box_is_marked_and_an_unticked_one_is_blank(synced: Engine) -> None:
    app = make_app(synced, "en")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ContactScreen)
        box = next(b for b in app.screen.query(Checkbox) if b.name and not b.disabled)
        assert "✓" not in str(box.render()) and "X" not in str(box.render())
        box.value = True
        await pilot.pause()
        assert "✓" in str(box.render())


async def test_the_focused_field_has_a_bar_beside_it(synced: Engine) -> None:
    app = make_app(synced, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        form = app.screen
        outcome, duration = form.query_one("#disposition", Select), form.query_one("#duration", Input)
        assert app.focused is outcome
        assert outcome.styles.border_left[0] == "outer" and duration.styles.border_left[0] == "blank"
        duration.focus()
        await pilot.pause()
        assert outcome.styles.border_left[0] == "blank" and duration.styles.border_left[0] == "outer"  # type: ignore[comparison-overlap]


async def test_the_profile_says_days_past_due_in_words(synced: Engine) -> None:
    app = make_app(synced, "zh_CN")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ProfileScreen)
        title = plain(app.screen.query_one("#profile-title"))
        assert "DPD" not in title and "逾期" in title
