"""The outbox in words: when (on the collector's clock, named), what (outcome, amount), who; a contact's
discard takes its checklist along. The real app through pilot on a real synced cache, in both locales."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import NamedTuple

import pytest
from sqlalchemy import Engine
from textual.widgets import DataTable

from collector_tui.app import CollectorApp
from collector_tui.config import Settings, build_rules
from collector_tui.storage import audit, outbox
from collector_tui.storage.queries import queue_page
from collector_tui.sync.service import run_sync
from collector_tui.work import contact as recorder
from tests.conftest import RunningServer

pytestmark = pytest.mark.anyio
MORNING = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai


class Worked(NamedTuple):
    """A synced cache, the case worked and the ids of what the outcome wrote (the contact's first)."""

    cache: Engine
    case_id: str
    ids: list[str]


@pytest.fixture
def worked(server: RunningServer, cache: Engine) -> Worked:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: MORNING)
    case = next(r for r in queue_page(cache, 0, 60) if r.callable and r.currency == "CNY")
    outcome = recorder.Outcome(
        channel="phone",
        disposition="promise_to_pay",
        promise=(date(2026, 11, 30), Decimal("300")),
        checklist={"identity_verified": True},
    )
    ids = recorder.record_outcome(cache, build_rules(Settings()), case.id, outcome, now=MORNING, collector="demo")
    return Worked(cache, case.id, ids)


@pytest.mark.parametrize("locale, when, what, promise", [
    ("en", "When (Asia/Shanghai)", "Contact · phone", "Promise · ¥300.00 by 2026-11-30"),
    ("zh_CN", "时间（Asia/Shanghai）", "联系 · 电话", "还款承诺 · ¥300.00，2026-11-30 前"),
])
async def test_each_entry_says_when_what_and_who(
    worked: Worked, locale: str, when: str, what: str, promise: str
) -> None:
    cache, case_id, _ = worked
    app = CollectorApp(cache, settings=Settings(locale=locale), user="demo", clock=lambda: MORNING)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("o")
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        headers = [str(c.label) for c in table.columns.values()]
        assert headers[0] == when
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert [r[0] for r in rows] == ["11-27 11:00"] * 3  # 03:00 UTC on the collector's Shanghai clock
        assert rows[0][1].startswith(what) and rows[2][1] == promise
        assert all(r[2] == case_id and r[3] == "demo" for r in rows)
        assert not any("contact.logged" in cell or "promise.created" in cell for r in rows for cell in r)


async def test_discarding_a_contact_takes_its_checklist_along(worked: Worked) -> None:
    cache, _, ids = worked
    contact_id, checklist_id, promise_id = ids
    app = CollectorApp(cache, settings=Settings(locale="en"), user="demo", clock=lambda: MORNING)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("o", "x")
        await pilot.pause()
        assert "and the checklist made with it" in str(app.screen.query_one("Label").render())
        await pilot.press("y")
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        # What stays: the promise, and the two discards the audit log sends to the server, said in words.
        assert [str(table.get_row_at(i)[1]) for i in range(table.row_count)] == [
            "Promise · ¥300.00 by 2026-11-30", "Audit · outbox entry discarded", "Audit · outbox entry discarded"]
    assert [e.id for e in outbox.entries(cache)][0] == promise_id
    assert outbox.get(cache, checklist_id) is None and outbox.get(cache, contact_id) is None
    assert [(e.action, e.actor) for e in audit.entries(cache)] == [("outbox.discard", "demo")] * 2
