"""Every time on screen says whose clock it is: the footer's, the customer's in the profile and its history.
The real app through pilot on a real synced cache, in both locales."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

import pytest
from sqlalchemy import Engine

from collector_tui.app import CollectorApp
from collector_tui.config import Settings, build_rules
from collector_tui.screens.profile import ProfileScreen
from collector_tui.storage.queries import case_detail, queue_page
from collector_tui.sync.service import run_sync
from collector_tui.work import contact as recorder
from tests.conftest import RunningServer, present
from tests.test_tui import plain

pytestmark = pytest.mark.anyio
MORNING = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai


class Worked(NamedTuple):
    cache: Engine
    case_id: str


@pytest.fixture
def worked(server: RunningServer, cache: Engine) -> Worked:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: MORNING)
    case = next(r for r in queue_page(cache, 0, 60)
                if r.callable and present(case_detail(cache, r.id)).customer.timezone == "Asia/Shanghai")
    recorder.record_outcome(cache, build_rules(Settings()), case.id,
                            recorder.Outcome(channel="phone", disposition="no_answer"), now=MORNING, collector="demo")
    return Worked(cache, case.id)


@pytest.mark.parametrize("locale, synced, now, header, ends", [
    ("en", "(UTC+8)", "11:00 there now", "When (customer's time, Asia/Shanghai)", "their day ends in 13 h 0 min"),
    ("zh_CN", "（UTC+8）", "当地现在 11:00", "时间（客户当地，Asia/Shanghai）", "其今日还剩 13 小时 0 分"),
])
async def test_each_time_names_its_clock(
    worked: Worked, locale: str, synced: str, now: str, header: str, ends: str
) -> None:
    cache, case_id = worked
    app = CollectorApp(cache, settings=Settings(locale=locale), user="demo", clock=lambda: MORNING)
    async with app.run_test(size=(140, 60)) as pilot:
        await pilot.pause()
        assert synced in app.status_text  # the footer's last sync, on the collector's clock, named
        app.open_case(case_id)
        await pilot.pause()
        assert isinstance(app.screen, ProfileScreen)
        customer = plain(app.screen.query_one("#customer"))
        assert now in customer and ends in customer
        history = plain(app.screen.query_one("#contacts"))
        assert header in history
        # Recorded here at 03:00 UTC: shown at 11:00, the customer's time, not as stored.
        assert "11-27 11:00" in history and "03:00" not in history
