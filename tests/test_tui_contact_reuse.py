"""The contact form is kept for the session and re-bound to each case: nothing of one case reaches the next.

The real app through pilot on a real synced cache: what is typed, chosen and ticked on one case, the numbers
offered, the leave-guard and the case a saved contact is recorded on.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Select, TextArea
from textual.widgets._select import SelectOverlay

from collector_tui.app import CollectorApp
from collector_tui.config import Settings
from collector_tui.domain.masking import mask_phone
from collector_tui.screens.confirm import ConfirmScreen
from collector_tui.locale import t
from collector_tui.screens.contact import NOTE_MAX, ContactScreen
from collector_tui.screens.profile import ProfileScreen
from collector_tui.screens.queue import QueueScreen
from collector_tui.storage import outbox
from collector_tui.storage.models import Customer
from collector_tui.storage.queries import queue_page
from collector_tui.sync.service import run_sync
from collector_tui.widgets.note_area import NoteArea
from collector_tui.work.cases import case_detail
from collector_tui.work.phone import Call
from tests.conftest import RunningServer
from tests.test_tui import plain

pytestmark = pytest.mark.anyio
MORNING = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai


@pytest.fixture
def synced(server: RunningServer, cache: Engine) -> Engine:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: MORNING)
    return cache


def callable_chinese_cases(cache: Engine) -> list[str]:
    """Callable cases whose customers live in Shanghai: the rule check allows a call to each at MORNING."""
    with cache.connect() as conn:
        shanghai = set(conn.execute(select(Customer.case_id).where(Customer.timezone == "Asia/Shanghai")).scalars())
    return [r.id for r in queue_page(cache, 0, 80) if r.callable and r.id in shanghai]


def numbers(cache: Engine, case_id: str) -> list[str]:
    detail = case_detail(cache, case_id)
    assert detail is not None
    return [p.number for p in detail.phones]


async def open_on(app: CollectorApp, pilot: Pilot[None], case_id: str) -> ContactScreen:
    """The case's profile, then `c`: the form as a collector opens it."""
    app.open_case(case_id)
    await pilot.pause()
    assert isinstance(app.screen, ProfileScreen)
    await pilot.press("c")
    await pilot.pause()
    form = app.screen
    assert isinstance(form, ContactScreen) and form.case_id == case_id
    return form


async def type_into(pilot: Pilot[None], widget: Input | TextArea, text: str) -> None:
    widget.focus()
    await pilot.pause()
    await pilot.press(*text)


async def test_nothing_typed_chosen_or_ticked_on_one_case_shows_on_the_next(synced: Engine) -> None:
    a, b = callable_chinese_cases(synced)[:2]
    app = CollectorApp(synced, settings=Settings(locale="en"), user="demo", clock=lambda: MORNING)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        form = await open_on(app, pilot, a)
        form.query_one("#disposition", Select).value = "promise_to_pay"
        await pilot.pause()
        await type_into(pilot, form.query_one("#promise-date", Input), "2026-11-30")
        await type_into(pilot, form.query_one("#promise-amount", Input), "77x7")  # refused as it is saved
        duration = form.query_one("#duration", Input)
        duration.value = ""
        await type_into(pilot, duration, "42")
        await type_into(pilot, form.query_one("#note", NoteArea), "spoke of the other loan")
        for box in form.query(Checkbox):
            if not box.disabled and box.name:
                box.value = True
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form and any(plain(label).strip() for label in form.query(".error"))
        form.query_one("#target", Select).value = "third_party"
        await pilot.pause()
        form.query_one("#disposition", Select).focus()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")  # leave, and what was typed goes
        await pilot.pause()
        assert isinstance(app.screen, ProfileScreen)
        await pilot.press("escape")
        await pilot.pause()

        again = await open_on(app, pilot, b)
        assert again is form  # the same form, re-bound
        assert form.unsaved_work() is None
        assert {w.id: w.value for w in form.query(Input)} == {
            "inconvenient-hours": "", "promise-date": "", "promise-amount": "", "callback-at": "", "duration": "0"}
        note = form.query_one("#note", NoteArea)
        assert [area.text for area in form.query(TextArea)] == [""]
        selects = {w.id: w.value for w in form.query(Select)}
        assert selects == {"channel": "phone", "target": "customer", "number": numbers(synced, b)[0],
                           "disposition": Select.NULL}
        assert not form.query_one("#promise-fields").display
        assert not any(box.value for box in form.query(Checkbox) if not box.disabled)
        assert form.ticks == {} and not any(plain(label).strip() for label in form.query(".error"))
        assert b in plain(form.query_one("#contact-title")) and a not in plain(form.query_one("#contact-title"))
        assert plain(form.query_one("#note-count")).strip() == t("contact.note_count", count=0, max=NOTE_MAX)
        assert app.focused is form.query_one("#disposition", Select)
        # The note's undo history went with case A's text.
        note.focus()
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert note.text == ""
        # The number list is case B's own.
        overlay = form.query_one("#number", Select).query_one(SelectOverlay)
        offered = [str(overlay.get_option_at_index(i).prompt) for i in range(overlay.option_count)]
        assert offered == [mask_phone(n) for n in numbers(synced, b)]
        assert not set(numbers(synced, a)) & {form.query_one("#number", Select).value}


async def test_a_half_filled_reused_form_still_asks_before_leaving_and_before_quitting(synced: Engine) -> None:
    a, b = callable_chinese_cases(synced)[:2]
    app = CollectorApp(synced, settings=Settings(locale="en"), user="demo", clock=lambda: MORNING)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        form = await open_on(app, pilot, a)
        await pilot.press("escape")  # nothing typed: it leaves at once
        await pilot.pause()
        assert isinstance(app.screen, ProfileScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert await open_on(app, pilot, b) is form
        await type_into(pilot, form.query_one("#note", NoteArea), "call after six")
        form.query_one("#disposition", Select).focus()  # `q` is a key here, not a letter of the note
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and b in plain(app.screen.query_one("Label"))
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is form
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and b in plain(app.screen.query_one("Label"))
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is form and form.query_one("#note", NoteArea).text == "call after six"
        assert app.is_running


async def test_a_contact_saved_on_one_case_then_the_next_is_recorded_on_each_case_once(synced: Engine) -> None:
    a, b = callable_chinese_cases(synced)[:2]
    app = CollectorApp(synced, settings=Settings(locale="en"), user="demo", clock=lambda: MORNING)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        for case_id in (a, b):
            form = await open_on(app, pilot, case_id)
            form.query_one("#disposition", Select).value = "no_answer"
            await pilot.pause()
            for box in form.query(Checkbox):
                box.value = box.value or not box.disabled
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, ProfileScreen)
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, QueueScreen)
    logged = [e for e in outbox.entries(synced) if e.type == "contact.logged"]
    assert [e.case_id for e in logged] == [a, b]
    assert [e.payload["number"] for e in logged] == [numbers(synced, a)[0], numbers(synced, b)[0]]


async def test_the_call_timer_stops_with_the_form_and_no_call_shows_on_the_next_case(synced: Engine) -> None:
    a, b = callable_chinese_cases(synced)[:2]
    app = CollectorApp(synced, settings=Settings(locale="en"), user="demo", clock=lambda: MORNING)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        call = Call(a, numbers(synced, a)[0], MORNING)
        app.open_contact(a, lambda: None, number=call.number, call=call)
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ContactScreen) and form.query_one("#call-timer").display
        assert mask_phone(call.number) in plain(form.query_one("#call-timer"))
        await pilot.press("ctrl+t")  # the call ends: its length fills the duration
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        if isinstance(app.screen, ConfirmScreen):
            await pilot.press("y")
            await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
        assert form._call_interval is None  # noqa: SLF001
        app.open_contact(b, lambda: None)
        await pilot.pause()
        assert app.screen is form and form.call is None and form.case_id == b
        assert not form.query_one("#call-timer").display and plain(form.query_one("#call-timer")).strip() == ""
        assert not form.check_action("hang_up", ())


async def test_a_checklist_that_differs_from_the_one_shown_is_built_afresh_for_the_next_case(synced: Engine) -> None:
    a, b = callable_chinese_cases(synced)[:2]
    app = CollectorApp(synced, settings=Settings(locale="en"), user="demo", clock=lambda: MORNING)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        form = await open_on(app, pilot, a)
        opening = [(box.name, box.disabled) for box in form.query(".phase-items MarkBox")]
        assert opening
        await pilot.press("escape", "escape")
        await pilot.pause()
        # The boxes left on the kept form are not the ones the next case opens with (another case's checklist).
        for holder in form.query(".phase-items"):
            await holder.remove_children()
        assert not form.query(".phase-items MarkBox")
        assert await open_on(app, pilot, b) is form
        await pilot.pause()
        assert [(box.name, box.disabled) for box in form.query(".phase-items MarkBox")] == opening
        assert not any(box.value for box in form.query(".phase-items MarkBox") if not box.disabled)
