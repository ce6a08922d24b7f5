"""`q` never loses typed work: leaving the contact form or quitting the app with unsaved input asks first.

The real app through pilot on a real synced cache, in both locales and at 80x24.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from textual.pilot import Pilot
from textual.widgets import Input, Select

from collector_tui.app import CollectorApp
from collector_tui.config import Settings
from collector_tui.screens.confirm import ConfirmScreen
from collector_tui.screens.contact import ContactScreen
from collector_tui.screens.plan import PlanScreen
from collector_tui.screens.queue import QueueScreen
from collector_tui.storage import outbox
from collector_tui.storage.queries import queue_page
from collector_tui.sync.service import run_sync
from collector_tui.widgets.note_area import NoteArea
from tests.conftest import RunningServer
from tests.test_tui import plain

pytestmark = pytest.mark.anyio
MORNING = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
QUESTION = {"en": "Not saved: the contact form for {case}. Quit and lose it?",
            "zh_CN": "尚未保存：案件 {case} 的联络表单。退出并丢弃？"}


@pytest.fixture
def synced(server: RunningServer, cache: Engine) -> Engine:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: MORNING)
    return cache


def make_app(cache: Engine, locale: str = "en") -> CollectorApp:
    return CollectorApp(cache, settings=Settings(locale=locale), user="demo", clock=lambda: MORNING)


async def open_form_with_a_note(
    app: CollectorApp, pilot: Pilot[None], note: str = "asked to call back after payday"
) -> ContactScreen:
    await pilot.pause()
    await pilot.press("c")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ContactScreen)
    screen.query_one("#note", NoteArea).focus()
    await pilot.press(*note)
    screen.query_one("#disposition", Select).focus()  # `q` is a key here, not a letter of the note
    await pilot.pause()
    return screen


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
async def test_q_with_a_note_typed_asks_and_keeps_the_note(synced: Engine, locale: str) -> None:
    case_id = queue_page(synced, 0, 1)[0].id
    app = make_app(synced, locale)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form_with_a_note(app, pilot)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert plain(app.screen.query_one("Label")).strip() == QUESTION[locale].format(case=case_id)
        await pilot.press("q")  # asking again does not stack a second question
        await pilot.pause()
        assert len([s for s in app.screen_stack if isinstance(s, ConfirmScreen)]) == 1
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is form and form.query_one("#note", NoteArea).value == "asked to call back after payday"  # type: ignore[comparison-overlap]
        assert app.is_running


async def test_q_then_yes_quits(synced: Engine) -> None:
    app = make_app(synced)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form_with_a_note(app, pilot)
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    assert app.return_code == 0 and outbox.entries(synced) == []


async def test_ctrl_q_asks_too(synced: Engine) -> None:
    app = make_app(synced)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form_with_a_note(app, pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)


async def test_q_on_an_untouched_form_quits_at_once(synced: Engine) -> None:
    app = make_app(synced)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ContactScreen) and app.screen.unsaved_work() is None
        await pilot.press("q")
        await pilot.pause()
        assert not any(isinstance(s, ConfirmScreen) for s in app.screen_stack)
    assert app.return_code == 0


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
async def test_escape_from_a_form_with_typed_work_asks_first(synced: Engine, locale: str) -> None:
    app = make_app(synced, locale)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form_with_a_note(app, pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")  # no: back to the form, the note intact
        await pilot.pause()
        assert app.screen is form and form.query_one("#note", NoteArea).value  # type: ignore[comparison-overlap]
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")  # yes: leave, and the note goes
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)


async def test_a_ticked_box_or_a_chosen_outcome_is_typed_work_too(synced: Engine) -> None:
    app = make_app(synced)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ContactScreen)
        form.query_one("#disposition", Select).value = "no_answer"
        await pilot.pause()
        assert form.unsaved_work() is not None
        form.query_one("#disposition", Select).clear()
        await pilot.pause()
        assert form.unsaved_work() is None


async def test_the_plan_form_keeps_its_draft_so_q_quits_at_once(synced: Engine) -> None:
    from collector_tui.work.plan import load_draft

    case_id = queue_page(synced, 0, 1)[0].id
    app = make_app(synced)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, PlanScreen)
        app.screen.query_one("#months", Input).value = "9"
        await pilot.pause()
        app.screen.query_one("#type", Select).focus()
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    assert (load_draft(synced, case_id) or {}).get("months") == "9"


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_a_long_question_is_shown_whole(size: tuple[int, int]) -> None:
    """The question wraps inside its box: its last words are on screen, not cut at the box's edge."""
    from textual.app import App, ComposeResult
    from textual.widgets import Label, Static

    question = "Leave the contact form for C-000147? What you entered is not saved and will be lost."

    class Asking(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("under")

        def on_mount(self) -> None:
            self.push_screen(ConfirmScreen(question))

    app = Asking()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        label = app.screen.query_one("#confirm-box Label", Label)
        box = app.screen.query_one("#confirm-box")
        assert label.region.right <= box.content_region.right
        shown = " ".join(line.text.strip() for line in label.render_lines(label.region.reset_offset))
        assert "will be lost." in shown and label.region.height >= 2
