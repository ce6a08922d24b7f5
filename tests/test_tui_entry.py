"""The real app refuses values no collector could mean: the reason beside the field, what was typed kept."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, Select

from collector_tui.app import CollectorApp
from collector_tui.config import Settings
from collector_tui.screens.contact import ContactScreen
from collector_tui.screens.plan import PlanScreen
from collector_tui.storage import outbox
from collector_tui.storage.queries import case_detail, queue_page
from collector_tui.sync.service import run_sync
from collector_tui.work.plan import customer_today
from tests.conftest import SYNC_AT, RunningServer, present
from tests.test_tui import plain
from tests.test_tui_contact import MORNING, first_callable_chinese_case, tick_all

pytestmark = pytest.mark.anyio


@pytest.fixture
def synced(server: RunningServer, cache: Engine) -> Engine:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: MORNING)
    return cache


def error(screen: Screen[Any], field: str) -> str:
    label = screen.query_one(f"#{field}-error")
    return str(label.render()) if label.display else ""


async def open_form(app: CollectorApp, pilot: Pilot[None], case_id: str, disposition: str) -> ContactScreen:
    app.push_screen(ContactScreen(case_id))
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ContactScreen)
    screen.query_one("#disposition", Select).value = disposition
    await pilot.pause()
    await tick_all(screen)
    return screen


async def test_a_promise_over_the_balance_or_not_plain_is_refused_beside_the_amount(synced: Engine) -> None:
    case_id = first_callable_chinese_case(synced)
    owed = Decimal(present(case_detail(synced, case_id)).loan.outstanding)
    app = CollectorApp(synced, settings=Settings(locale="en"), user="demo", clock=lambda: MORNING)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        screen = await open_form(app, pilot, case_id, "promise_to_pay")
        screen.query_one("#promise-date", Input).value = "2026-11-30"
        screen.query_one("#promise-amount", Input).focus()
        await pilot.press(*str(owed + Decimal("0.01")))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen
        assert f"more than the outstanding balance of {owed} CNY" in error(screen, "amount")
        assert screen.query_one("#promise-amount", Input).value == str(owed + Decimal("0.01"))  # kept as typed
        assert screen.query_one("#promise-date", Input).value == "2026-11-30"
        screen.query_one("#promise-amount", Input).value = "1e9"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen and "written plainly" in error(screen, "amount")
        assert screen.query_one("#promise-amount", Input).value == "1e9"
        screen.query_one("#promise-amount", Input).value = "100.505"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen and "CNY amounts have at most 2 decimal places" in error(screen, "amount")
        assert outbox.entries(synced) == []
        screen.query_one("#promise-amount", Input).value = str(owed)  # the whole balance is a promise one may make
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is not screen
    promise = [e for e in outbox.entries(synced) if e.type == "promise.created"]
    assert [p.payload["amount"] for p in promise] == [str(owed)]


async def test_a_callback_outside_the_hours_is_refused_with_the_next_allowed_time(synced: Engine) -> None:
    case_id = first_callable_chinese_case(synced)
    app = CollectorApp(synced, settings=Settings(locale="en"), user="demo", clock=lambda: MORNING)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        screen = await open_form(app, pilot, case_id, "callback_requested")
        field = screen.query_one("#callback-at", Input)
        for typed, next_allowed in (("2026-11-27 23:30", "2026-11-28 08:00"), ("2026-11-28 07:59", "2026-11-28 08:00"),
                                    ("2026-11-27 22:00", "2026-11-28 08:00")):
            field.value = typed
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert app.screen is screen and field.value == typed
            shown = error(screen, "at")
            assert (
                "outside 08:00-22:00 in the customer's time" in shown
                and f"next allowed time is {next_allowed}" in shown
            )
        field.value = "2026-11-27 10:00"  # 11:00 now: an hour ago
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen and "the callback time has passed" in error(screen, "at")
        assert outbox.entries(synced) == []
        field.value = "2026-11-28 08:00"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is not screen
    [callback] = [e for e in outbox.entries(synced) if e.type == "callback.scheduled"]
    assert callback.payload["at"] == "2026-11-28T08:00:00+08:00"


async def test_a_plan_starting_before_the_customers_today_is_shown_and_cannot_be_submitted(
    server: RunningServer, cache: Engine
) -> None:
    token = server.token()
    run_sync(cache, server.url, "demo", token, now=lambda: SYNC_AT)
    case_id = queue_page(cache, 0, 1)[0].id
    today = customer_today(case_detail(cache, case_id), SYNC_AT)  # type: ignore[arg-type]
    app = CollectorApp(cache, settings=Settings(locale="en", plan_limits={"affordability_share": "5"}), user="demo",
                       clock=lambda: SYNC_AT)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("p")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PlanScreen)
        screen.query_one("#months", Input).value = "1"
        screen.query_one("#first_due", Input).value = (today - timedelta(days=1)).isoformat()
        await pilot.pause()
        assert (f"the first instalment ({today - timedelta(days=1)}) is before the customer's today ({today})"
                in plain(screen.query_one("#plan-preview")))
        assert screen.preview is not None and not screen.preview.ok
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen and outbox.entries(cache) == []
        screen.query_one("#first_due", Input).value = today.isoformat()
        await pilot.pause()
        assert screen.preview is not None and screen.preview.ok, plain(screen.query_one("#plan-preview"))  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is not screen
    [entry] = outbox.entries(cache)
    assert entry.payload["instalments"][0]["due_date"] == today.isoformat()
    run_sync(cache, server.url, "demo", token, now=lambda: SYNC_AT)
    assert outbox.entries(cache) == []  # the server took it: it starts on the customer's day of submission


async def test_submit_refuses_a_plan_starting_in_the_past_that_no_preview_judged(synced: Engine) -> None:
    from collector_tui.domain.plans import reinstalment
    from collector_tui.work.plan import PlanRefused, submit

    case_id = queue_page(synced, 0, 1)[0].id
    today = customer_today(case_detail(synced, case_id), MORNING)  # type: ignore[arg-type]
    plan = reinstalment(Decimal("300.00"), 3, today - timedelta(days=1))  # previewed without the customer's today
    with pytest.raises(PlanRefused) as refused:
        submit(synced, case_id, plan, {}, now=MORNING)
    assert [m.key for m in refused.value.messages] == ["plan.first_due_past"]
    assert outbox.entries(synced) == []
