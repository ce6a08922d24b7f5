"""The contact form in the real app: log a promise from the queue, blocked calls, the checklist, bad values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from textual.widgets import Button, Checkbox, Input, Select

from collector_tui.app import CollectorApp
from collector_tui.config import Settings
from collector_tui.screens.contact import ContactScreen
from collector_tui.screens.profile import ProfileScreen
from collector_tui.screens.queue import QueueScreen
from collector_tui.storage import outbox
from collector_tui.storage.models import Customer
from collector_tui.storage.queries import queue_page
from collector_tui.sync.service import run_sync
from collector_tui.widgets.case_table import CaseTable
from tests.conftest import RunningServer
from tests.test_tui import plain

pytestmark = pytest.mark.anyio
MORNING = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
NIGHT = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai


@pytest.fixture
def synced(server: RunningServer, cache: Engine) -> Engine:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: MORNING)  # the order the app, at MORNING, shows
    return cache


def first_callable_chinese_case(cache: Engine) -> str:
    """A callable case in yuan whose customer lives in Shanghai and speaks Chinese."""
    with cache.connect() as conn:
        chinese = set(conn.execute(select(Customer.case_id).where(Customer.locale == "zh_CN",
                                                                  Customer.timezone == "Asia/Shanghai")).scalars())
    rows = queue_page(cache, 0, 60)
    return next(r.id for r in rows if r.callable and r.currency == "CNY" and r.id in chinese)


async def tick_all(screen: ContactScreen) -> None:
    for box in screen.query(Checkbox):
        if not box.disabled:
            box.value = True


async def test_log_a_promise_from_the_queue_and_find_it_in_the_outbox(synced: Engine) -> None:
    case_id = first_callable_chinese_case(synced)
    app = CollectorApp(synced, settings=Settings(locale="en"), user="demo", clock=lambda: MORNING)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *case_id, "enter")
        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ContactScreen) and "Allowed now" in plain(screen.query_one("#rule-check"))
        screen.query_one("#disposition", Select).value = "promise_to_pay"
        await pilot.pause()
        assert screen.query_one("#promise-fields").display
        screen.query_one("#promise-date", Input).focus()
        await pilot.press(*"2026-11-30")
        screen.query_one("#promise-amount", Input).focus()
        await pilot.press(*"12x")  # a bad amount first
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ContactScreen)
        assert "an amount above zero" in str(screen.query_one("#amount-error").render())
        assert "Still open" in str(screen.query_one("#checklist-error").render())
        assert screen.query_one("#promise-date", Input).value == "2026-11-30"  # nothing typed is lost
        screen.query_one("#promise-amount", Input).value = "1200.50"
        await tick_all(screen)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
    entries = outbox.entries(synced)
    assert [e.type for e in entries] == ["contact.logged", "checklist.completed", "promise.created"]
    assert entries[2].payload == {"due_date": "2026-11-30", "amount": "1200.50", "currency": "CNY"}
    assert entries[0].payload["disposition"] == "promise_to_pay" and entries[0].case_id == case_id
    assert entries[1].payload["contact_id"] == entries[0].id and all(entries[1].payload["items"].values())


async def test_a_call_outside_the_allowed_hours_is_blocked_and_cannot_be_saved(synced: Engine) -> None:
    case_id = first_callable_chinese_case(synced)
    app = CollectorApp(synced, settings=Settings(locale="en"), user="demo", clock=lambda: NIGHT)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        app.push_screen(ContactScreen(case_id))
        await pilot.pause()
        screen = app.screen
        text = plain(screen.query_one("#rule-check"))
        assert "CN-HOURS" in text and "outside 08:00-22:00" in text and "callable 11-28 08:00" in text
        assert screen.query_one("#save", Button).disabled
        screen.query_one("#disposition", Select).value = "no_answer"
        await tick_all(screen)  # type: ignore[arg-type]
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ContactScreen)
    assert outbox.entries(synced) == []


async def test_profile_c_then_n_walks_the_queue(synced: Engine) -> None:
    rows = queue_page(synced, 0, 3)
    app = CollectorApp(synced, settings=Settings(locale="en"), user="demo", clock=lambda: MORNING)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        assert app.screen.query_one(CaseTable).current.id == rows[0].id  # type: ignore[union-attr]
        await pilot.press("enter", "n")
        await pilot.pause()
        assert isinstance(app.screen, ProfileScreen) and app.screen.case_id == rows[1].id
        await pilot.press("n")
        await pilot.pause()
        assert app.screen.case_id == rows[2].id
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ContactScreen) and app.screen.case_id == rows[2].id
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ProfileScreen)


async def test_sms_draft_names_the_institution_and_carries_opt_out_where_required(synced: Engine) -> None:
    case_id = first_callable_chinese_case(synced)
    for policy, opt_out in (("us-regf", True), ("cn", False)):
        app = CollectorApp(
            synced,
            settings=Settings(locale="en", policy=policy, institution="Acme Lending"),
            user="demo",
            clock=lambda: MORNING,
        )
        async with app.run_test(size=(120, 50)) as pilot:
            await pilot.pause()
            app.push_screen(ContactScreen(case_id))
            await pilot.pause()
            app.screen.query_one("#channel", Select).value = "sms"
            await pilot.pause()
            draft = app.screen.query_one("#talk-track").draft  # type: ignore[attr-defined]
            # A Chinese-speaking customer gets the Chinese message, whatever the workbench's language.
            assert draft.startswith("【Acme Lending】")
            assert draft.endswith("回复 TD 退订") is opt_out


async def test_a_closed_form_or_profile_is_not_kept_in_memory(synced: Engine) -> None:
    """Profiles opened and closed between two syncs are freed, and the contact form is one form for the session,
    re-bound to each case: a day of them grew the app's memory."""
    import gc
    import weakref

    app = CollectorApp(synced, settings=Settings(locale="en"), user="demo", clock=lambda: MORNING)
    closed: list[weakref.ref[object]] = []
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        for _ in range(3):
            for key, kind in (("c", ContactScreen), ("enter", ProfileScreen)):
                await pilot.press(key)
                await pilot.pause()
                assert isinstance(app.screen, kind)
                closed.append(weakref.ref(app.screen))
                await pilot.press("escape")
                await pilot.pause()
            await pilot.press("j")
        await pilot.pause()
        gc.collect()
        assert isinstance(app.screen, QueueScreen)
        [form] = {id(screen): screen for ref in closed if (screen := ref()) is not None}.values()
        assert isinstance(form, ContactScreen) and form not in app.screen_stack
        assert all(ref() is form for ref in closed[::2])
