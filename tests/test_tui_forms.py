"""Forms that show what applies: the e-mail channel offers the customer's addresses and no call duration, an
outcome left empty is said in words, a deferral has no first due date. The real app through pilot."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from textual.widgets import Select

from collector_tui.app import CollectorApp
from collector_tui.config import Settings
from collector_tui.screens.contact import ContactScreen
from collector_tui.screens.plan import PlanScreen
from collector_tui.storage import outbox
from collector_tui.storage.queries import case_detail, queue_page
from collector_tui.sync.service import run_sync
from tests.conftest import RunningServer
from tests.test_tui import plain

pytestmark = pytest.mark.anyio
MORNING = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


@pytest.fixture
def synced(server: RunningServer, cache: Engine) -> Engine:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: MORNING)
    return cache


def case_with_email(cache: Engine) -> tuple[str, str]:
    for row in queue_page(cache, 0, 60):
        detail = case_detail(cache, row.id)
        emails = [e["address"] for e in detail.customer.extra.get("emails", []) if e.get("address")]  # type: ignore[union-attr]
        if row.callable and emails:
            return row.id, emails[0]
    raise AssertionError("no callable case with an e-mail address")


@pytest.mark.parametrize("locale, label", [("en", "E-mail address"), ("zh_CN", "电子邮箱")])
async def test_the_email_channel_offers_addresses_and_no_duration(synced: Engine, locale: str, label: str) -> None:
    case_id, address = case_with_email(synced)
    app = CollectorApp(synced, settings=Settings(locale=locale), user="demo", clock=lambda: MORNING)
    async with app.run_test(size=(120, 45)) as pilot:
        await pilot.pause()
        app.open_contact(case_id, lambda: None)
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ContactScreen)
        assert form.query_one("#duration").display
        form.query_one("#channel", Select).value = "email"
        await pilot.pause()
        assert form.query_one("#number", Select).value == address
        assert str(form.query_one("#number-label").render()) == label
        assert not form.query_one("#duration").display and not form.query_one("#duration-label").display
        form.query_one("#channel", Select).value = "phone"
        await pilot.pause()
        assert "@" not in str(form.query_one("#number", Select).value) and form.query_one("#duration").display


@pytest.mark.parametrize("locale, words", [("en", "the outcome is not chosen yet"), ("zh_CN", "尚未选择")])
async def test_an_outcome_left_empty_is_said_in_words(synced: Engine, locale: str, words: str) -> None:
    app = CollectorApp(synced, settings=Settings(locale=locale), user="demo", clock=lambda: MORNING)
    async with app.run_test(size=(120, 45)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        error = plain(app.screen.query_one("#disposition-error"))
        assert words in error and "no_answer" not in error and "rpc" not in error
    assert outbox.entries(synced) == []


async def test_a_deferral_has_no_first_due_date(synced: Engine) -> None:
    app = CollectorApp(synced, settings=Settings(locale="en"), user="demo", clock=lambda: MORNING)
    async with app.run_test(size=(120, 45)) as pilot:
        await pilot.pause()
        await pilot.press("p")
        await pilot.pause()
        plan = app.screen
        assert isinstance(plan, PlanScreen) and plan.query_one("#first_due").display
        plan.query_one("#type", Select).value = "deferral"
        await pilot.pause()
        assert not plan.query_one("#first_due").display and not plan.query_one("#first_due-label").display


@pytest.mark.parametrize("locale, count", [("en", "24 / 2000 characters"), ("zh_CN", "24 / 2000 字")])
async def test_the_note_takes_several_lines_and_shows_its_length(synced: Engine, locale: str, count: str) -> None:
    app = CollectorApp(synced, settings=Settings(locale=locale), user="demo", clock=lambda: MORNING)
    async with app.run_test(size=(120, 45)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ContactScreen)
        form.query_one("#note").focus()
        await pilot.press(*"asked for a quiet", "enter", *"q call")  # q is a letter in the note
        await pilot.pause()
        assert isinstance(app.screen, ContactScreen)
        assert form.query_one("#note").value == "asked for a quiet\nq call"  # type: ignore[attr-defined]
        assert plain(form.query_one("#note-count")).strip() == count
