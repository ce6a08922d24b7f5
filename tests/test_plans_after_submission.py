"""Plans and promises after submission: the reference server's --admin approves or rejects a plan and settles a
promise; a sync brings each back and the profile shows it as the server reports it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from collector_tui.app import CollectorApp
from collector_tui.config import Settings
from collector_tui.domain.plans import PlanLimits
from collector_tui.screens.profile import ProfileScreen
from collector_tui.storage.queries import case_detail, queue_page
from collector_tui.sync.service import run_sync
from collector_tui.work import contact as recorder
from collector_tui.work import plan as plans
from tests.conftest import RunningServer, present
from tests.test_callbacks import CN
from tests.test_tui import plain
from tests.test_tui_contact import MORNING

pytestmark = pytest.mark.anyio
LIMITS = PlanLimits(affordability_share=Decimal(5))


def submit_plan(cache: Engine, case_id: str) -> str:
    detail = case_detail(cache, case_id)
    assert detail is not None
    preview = plans.preview(detail, {"type": "reinstalment", "months": "3", "base": "arrears",
                                     "first_due": "2026-12-05", "waiver": ""}, LIMITS)
    return plans.submit(cache, case_id, preview, {"months": 3}, now=MORNING)  # type: ignore[arg-type]


def admin(server: RunningServer, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{server.url}{path}", json=body, timeout=10)


async def test_a_plan_approved_or_rejected_through_admin_shows_after_a_sync(
    server: RunningServer, cache: Engine
) -> None:
    token = server.token()
    run_sync(cache, server.url, "demo", token, now=lambda: MORNING)
    first, second = [r.id for r in queue_page(cache, 0, 20) if r.callable and r.currency == "CNY"][:2]
    approved_id, rejected_id = submit_plan(cache, first), submit_plan(cache, second)
    _contact, promise_id = recorder.record_outcome(cache, CN, first, recorder.Outcome(
        channel="phone", disposition="promise_to_pay", promise=(date(2026, 11, 30), Decimal("300.00"))),
        now=MORNING, collector="demo")
    app = CollectorApp(cache, settings=Settings(locale="en"), api=server.url, user="demo", token=token,
                       clock=lambda: MORNING)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        app.open_case(first)
        await pilot.pause()
        profile = app.screen
        assert isinstance(profile, ProfileScreen)
        shown = plain(profile.query_one("#plans"))
        assert "submitted, waiting for approval (pending)" in shown and "Submitted (Asia/Shanghai)" in shown
        [promised] = [line for line in plain(profile.query_one("#contacts")).splitlines() if "2026-11-30" in line]
        assert "outstanding (pending)" in promised
        await pilot.press("r")  # pushed, and back from the server as its own record
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "submitted, waiting for approval" in plain(profile.query_one("#plans"))
        assert "(pending)" not in plain(profile.query_one("#plans"))
        # The servicer decides; the admin lists what waits first.
        waiting = httpx.get(f"{server.url}/v1/admin/plans", timeout=10).json()
        assert {p["id"] for p in waiting} >= {approved_id, rejected_id}
        assert admin(server, f"/v1/admin/plans/{approved_id}", {"decision": "approved"}).status_code == 200
        assert admin(server, f"/v1/admin/plans/{rejected_id}", {"decision": "rejected"}).status_code == 422  # why?
        answer = admin(server, f"/v1/admin/plans/{rejected_id}", {"decision": "rejected",
                                                                 "reason": "income <script>[b]not verified[/b]"})
        assert answer.status_code == 200 and answer.json()["status"] == "rejected"
        assert admin(server, "/v1/admin/plans/no-such-plan", {"decision": "approved"}).status_code == 404
        assert admin(server, f"/v1/admin/promises/{promise_id}", {"status": "broken"}).status_code == 200
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = plain(profile.query_one("#plans"))
        assert "approved" in shown and "Decided (Asia/Shanghai)" in shown
        [settled] = [line for line in plain(profile.query_one("#contacts")).splitlines() if "2026-11-30" in line]
        assert "300.00" in settled and "broken" in settled and "pending" not in settled
        app.open_case(second)
        await pilot.pause()
        shown = plain(app.screen.query_one("#plans"))
        # The server's reason is shown as text, never read as markup.
        assert "rejected" in shown and "income <script>[b]not verified[/b]" in shown
    [plan] = [p for p in present(case_detail(cache, first)).plans]
    assert (plan.id, plan.status, plan.origin, plan.reason) == (approved_id, "approved", "server", "")
    assert plan.decided_at and datetime.fromisoformat(plan.decided_at).tzinfo is not None
    assert datetime.fromisoformat(plan.decided_at) <= datetime.now(UTC)
