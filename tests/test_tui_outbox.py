"""The outbox screen: a refused entry is opened, fixed, resubmitted and reaches the server; discard asks first."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from textual.widgets import DataTable, TextArea

from collector_tui.app import CollectorApp
from collector_tui.config import Settings
from collector_tui.screens.confirm import ConfirmScreen
from collector_tui.screens.outbox import EntryEditor, OutboxScreen
from collector_tui.storage import actions, audit, outbox
from collector_tui.storage.queries import queue_page
from collector_tui.sync.service import run_sync
from tests.conftest import SYNC_AT, RunningServer, present

pytestmark = pytest.mark.anyio
AT = datetime(2026, 11, 27, 3, tzinfo=UTC)


async def test_fix_and_resubmit_a_refused_entry_from_the_app(server: RunningServer, cache: Engine) -> None:
    token = server.token()
    run_sync(cache, server.url, "demo", token, now=lambda: SYNC_AT)
    case_id = queue_page(cache, 0, 1)[0].id
    bad = actions.log_contact(cache, case_id, at=AT, channel="fax", disposition="no_answer")
    app = CollectorApp(cache, settings=Settings(locale="en"), api=server.url, user="demo", token=token,
                       clock=lambda: SYNC_AT)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "1 failed" in app.status_text
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, OutboxScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 1 and "rejected" in str(table.get_row_at(0)[-1])  # the reason: the last column
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, EntryEditor)
        area = app.screen.query_one(TextArea)
        area.text = area.text.replace('"fax"', '"phone')  # broken JSON first: shown, nothing lost
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, EntryEditor) and "Not valid JSON" in str(
            app.screen.query_one("#editor-error").render()
        )
        area.text = area.text.replace('"phone', '"phone"')
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, OutboxScreen)
        assert present(outbox.get(cache, bad)).state == "pending"
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert outbox.entries(cache) == []
        assert app.screen.query_one(DataTable).row_count == 0
        assert "0 pending · 0 failed" in app.status_text


async def test_discard_from_the_app_asks_and_audits(server: RunningServer, cache: Engine) -> None:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    case_id = queue_page(cache, 0, 1)[0].id
    entry = actions.log_contact(cache, case_id, at=AT, channel="sms", disposition="message_left")
    app = CollectorApp(cache, settings=Settings(locale="en"), user="demo", clock=lambda: SYNC_AT)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("o", "x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert outbox.get(cache, entry) is not None
        await pilot.press("x", "y")
        await pilot.pause()
        assert outbox.get(cache, entry) is None
    assert [e.action for e in audit.entries(cache)] == ["outbox.discard"]


async def test_the_outbox_keeps_its_cursor_when_it_re_reads(server: RunningServer, cache: Engine) -> None:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    case_id = queue_page(cache, 0, 1)[0].id
    for minute in range(3):
        actions.log_contact(cache, case_id, at=AT.replace(minute=minute), channel="sms", disposition="message_left")
    app = CollectorApp(cache, settings=Settings(locale="en"), user="demo", clock=lambda: SYNC_AT)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("o", "down", "down")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, OutboxScreen)
        chosen = screen.current
        assert chosen is not None and screen.query_one(DataTable).cursor_row == 2
        actions.log_contact(cache, case_id, at=AT.replace(minute=9), channel="sms", disposition="message_left")
        app.follow_writes()  # what the app's timer does when the cache changed
        await pilot.pause()
        assert screen.query_one(DataTable).row_count == 4
        assert screen.current is not None and screen.current.id == chosen.id
