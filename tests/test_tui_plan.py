"""Plan drafting in the real app: the preview follows the typing, the draft survives a restart, submit reaches the
server."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from textual.widgets import Input, Select

from collector_tui.app import CollectorApp
from collector_tui.config import Settings
from collector_tui.screens.plan import PlanScreen
from collector_tui.server.models import CaseDoc
from collector_tui.storage import outbox
from collector_tui.storage.drafts import load_draft
from collector_tui.storage.queries import case_detail, queue_page
from collector_tui.sync.service import run_sync
from tests.conftest import SYNC_AT, RunningServer, present
from tests.test_tui import plain

pytestmark = pytest.mark.anyio


def app_for(cache: Engine) -> CollectorApp:
    return CollectorApp(cache, settings=Settings(locale="en", plan_limits={"affordability_share": "5"}), user="demo",
                        clock=lambda: SYNC_AT)


async def test_draft_survives_a_restart_and_submit_reaches_the_server(server: RunningServer, cache: Engine) -> None:
    token = server.token()
    run_sync(cache, server.url, "demo", token, now=lambda: SYNC_AT)
    case_id = queue_page(cache, 0, 1)[0].id
    overdue = Decimal(present(case_detail(cache, case_id)).loan.overdue_amount)
    async with app_for(cache).run_test(size=(120, 40)) as pilot:
        app = pilot.app
        await pilot.pause()
        await pilot.press("p")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PlanScreen)
        months = screen.query_one("#months", Input)
        months.focus()
        await pilot.press("backspace", "4")
        await pilot.pause()
        assert months.value == "4" and len(screen.preview.instalments) == 4  # type: ignore[union-attr]
        assert screen.preview.total == overdue  # type: ignore[union-attr]
        await pilot.press("backspace", "x")  # restricted input: letters never arrive
        await pilot.pause()
        assert "Months must be a whole number" in str(screen.query_one("#plan-input-error").render())
        await pilot.press("1", "2")
        await pilot.pause()
    # A new session of the app finds the draft as it was left.
    assert load_draft(cache, case_id)["months"] == "12"  # type: ignore[index]
    async with app_for(cache).run_test(size=(120, 40)) as pilot:
        app = pilot.app
        await pilot.pause()
        await pilot.press("p")
        await pilot.pause()
        screen = app.screen
        assert screen.query_one("#months", Input).value == "12"
        screen.query_one("#type", Select).value = "reduction"
        screen.query_one("#waiver", Input).value = "90"
        await pilot.pause()
        assert "over the limit of 50%" in plain(screen.query_one("#plan-preview"))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PlanScreen)  # a breach cannot be submitted
        screen.query_one("#waiver", Input).value = "20"
        await pilot.pause()
        assert screen.preview.ok and screen.preview.waived > 0  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, PlanScreen)
    [entry] = outbox.entries(cache)
    assert entry.type == "plan.submitted" and entry.payload["type"] == "reduction"
    assert load_draft(cache, case_id) is None
    run_sync(cache, server.url, "demo", token, now=lambda: SYNC_AT)
    assert outbox.entries(cache) == []
    with Session(server.engine) as s:
        plans = json.loads(s.get(CaseDoc, case_id).doc)["plans"]
    assert [p["id"] for p in plans] == [entry.id] and len(plans[0]["detail"]["instalments"]) == 12
