"""The real Textual app driven through pilot: the queue, a profile, search, sync, reveal."""

from __future__ import annotations

import io
from datetime import UTC
from decimal import Decimal

import pytest
from rich.console import Console
from sqlalchemy import Engine
from textual.widget import Widget

from collector_tui.app import CollectorApp
from collector_tui.config import Settings
from collector_tui.screens.profile import ProfileScreen
from collector_tui.screens.queue import QueueScreen
from collector_tui.storage import audit
from collector_tui.storage.queries import case_detail, queue_page
from collector_tui.sync.service import run_sync
from collector_tui.widgets.case_table import CaseTable
from tests.conftest import SYNC_AT, RunningServer, present

pytestmark = pytest.mark.anyio


def plain(widget: Widget) -> str:
    """What a Static shows, as plain text."""
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(widget.content)  # type: ignore[attr-defined]
    return console.export_text()


def make_app(cache: Engine, server: RunningServer=None, locale: str = "en", token: str | None = None) -> CollectorApp:  # type: ignore[assignment]
    return CollectorApp(cache, settings=Settings(locale=locale), api=server.url if server else "", user="demo",
                        token=token, clock=lambda: SYNC_AT)


@pytest.fixture
def synced(server: RunningServer, cache: Engine) -> Engine:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    return cache


async def test_queue_opens_a_profile_with_its_real_data_and_comes_back(server: RunningServer, synced: Engine) -> None:
    expected = queue_page(synced, 0, 3)
    app = make_app(synced, server)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(CaseTable)
        assert isinstance(app.screen, QueueScreen) and table.row_count == 60
        await pilot.press("j", "j")
        assert table.current is not None and table.current.id == expected[2].id
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ProfileScreen) and app.screen.case_id == expected[2].id
        detail = case_detail(synced, expected[2].id)
        assert detail is not None
        title = plain(app.screen.query_one("#profile-title"))
        assert expected[2].id in title and detail.customer.name not in title
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
        assert app.screen.query_one(CaseTable).current.id == expected[2].id  # type: ignore[union-attr]


async def test_g_and_G_jump_to_the_ends(server: RunningServer, synced: Engine) -> None:
    app = make_app(synced, server)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(CaseTable)
        await pilot.press("G")
        assert table.cursor == 59
        await pilot.press("g")
        assert table.cursor == 0
        await pilot.press("pagedown")
        assert table.cursor > 10


async def test_reveal_unmasks_and_writes_the_audit_log(server: RunningServer, synced: Engine) -> None:
    first = queue_page(synced, 0, 1)[0]
    detail = case_detail(synced, first.id)
    assert detail is not None
    app = make_app(synced, server)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        customer = plain(app.screen.query_one("#customer"))
        assert detail.phones[0].number[3:] not in customer
        assert audit.entries(synced) == []
        await pilot.press("v")
        await pilot.pause()
        customer = plain(app.screen.query_one("#customer"))
        assert detail.phones[0].number in customer
    entries = audit.entries(synced)
    assert [(e.action, e.case_id, e.actor) for e in entries] == [("reveal", first.id, "demo")]


async def test_search_by_case_id_and_clear(server: RunningServer, synced: Engine) -> None:
    target = queue_page(synced, 0, 60)[33]
    app = make_app(synced, server)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *target.id)
        await pilot.pause()
        table = app.screen.query_one(CaseTable)
        assert table.row_count == 1 and table.current.id == target.id  # type: ignore[union-attr]
        await pilot.press("enter")  # leaves the search box for the table
        await pilot.press("escape")
        await pilot.pause()
        assert table.row_count == 60


async def test_search_field_scrolls_long_text_and_moves_focus_with_its_keys(
    server: RunningServer, synced: Engine
) -> None:
    from collector_tui.widgets.key_bar import KeyBar
    from collector_tui.widgets.search_field import SearchField

    app = make_app(synced, server)
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        field = app.screen.query_one(SearchField)
        table = app.screen.query_one(CaseTable)
        await pilot.press("slash")
        await pilot.pause()
        assert app.focused is field
        assert "Open" not in plain(app.screen.query_one(KeyBar))  # Enter now applies the search
        await pilot.press(*("x" * 80))  # longer than the field: it scrolls to keep the cursor in view
        await pilot.pause()
        assert field.value == "x" * 80 and field.scroll_x > 0
        assert table.row_count == 0 and app.screen.query_one("#queue-empty").display
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is table and "Open" in plain(app.screen.query_one(KeyBar))  # type: ignore[comparison-overlap]
        await pilot.press("escape")
        await pilot.pause()
        assert field.value == "" and table.row_count == 60


async def test_stage_filter_cycles(server: RunningServer, synced: Engine) -> None:
    app = make_app(synced, server)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(CaseTable)
        await pilot.press("s")
        await pilot.pause()
        stage_one = table.row_count
        assert 0 < stage_one < 60
        assert all(present(table.row(i)).stage == 1 for i in range(stage_one))


async def test_r_syncs_in_a_worker_and_fills_the_queue(server: RunningServer, cache: Engine) -> None:
    app = make_app(cache, server, token=server.token())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(CaseTable)
        assert table.row_count == 0
        assert app.screen.query_one("#queue-empty").display
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert table.row_count == 60
        assert "synced" in app.status_text and "outbox 0 pending" in app.status_text


async def test_a_revoked_token_asks_to_sign_in_again_and_nothing_is_lost(server: RunningServer, synced: Engine) -> None:
    from datetime import datetime

    from collector_tui.screens.login import LoginScreen
    from collector_tui.storage import actions, outbox

    case_id = queue_page(synced, 0, 1)[0].id
    entry = actions.log_contact(synced, case_id, at=datetime(2026, 11, 27, 3, tzinfo=UTC), channel="sms",
                                disposition="message_left")
    app = make_app(synced, server, token="revoked")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        assert outbox.get(synced, entry) is not None
        await pilot.press(*"wrong", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen) and "wrong username or password" in str(
            app.screen.query_one("#login-error").render()
        )
        await pilot.press(*"demo", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, LoginScreen) and app.token != "revoked"
    assert outbox.get(synced, entry) is None  # pushed after the new sign-in


async def test_a_failed_sync_is_shown_and_the_app_keeps_working(server: RunningServer, synced: Engine) -> None:
    token = server.token()
    server.thread.stop()  # offline
    app = make_app(synced, server, token=token)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "offline: network: cannot reach" in app.status_text
        table = app.screen.query_one(CaseTable)
        assert table.row_count == 60
        await pilot.press("j")
        assert table.cursor == 1


async def test_help_lists_the_active_keys(server: RunningServer, synced: Engine) -> None:
    app = make_app(synced, server)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        text = plain(app.screen.query_one("#help-body Static"))
        for words in ("Search", "Sync", "Quit", "Stage filter"):
            assert words in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)


async def test_keys_can_be_remapped_in_settings(server: RunningServer, synced: Engine) -> None:
    app = CollectorApp(synced, settings=Settings(locale="en", keys={"queue.stage": "x"}), api=server.url, user="demo")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(CaseTable)
        await pilot.press("x")
        await pilot.pause()
        assert table.row_count < 60


async def test_command_palette_jumps_to_a_case(server: RunningServer, synced: Engine) -> None:
    target = queue_page(synced, 0, 60)[41]
    app = make_app(synced, server)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*target.id)
        await app.workers.wait_for_complete()  # the palette gathers its hits in a worker
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ProfileScreen) and app.screen.case_id == target.id


async def test_flag_picker_closed_before_its_counts_come_leaves_the_queue_as_it_was(
    server: RunningServer, synced: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from collector_tui.work import cases  # where the queue screen reads its flag counts from

    real = cases.flag_counts
    closed = threading.Event()

    def slow(engine: Engine) -> dict[str, int]:  # as on a big cache: the counts come after the Esc
        closed.wait(timeout=60)
        return real(engine)

    monkeypatch.setattr(cases, "flag_counts", slow)
    app = make_app(synced, server)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("f", "escape")
        closed.set()  # the picker is closed: now the counts come
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen) and app.screen.filter.flag is None
        assert app.return_code is None and app.screen.query_one(CaseTable).row_count == 60


async def test_flag_filter_and_sort_toggle(server: RunningServer, synced: Engine) -> None:
    app = make_app(synced, server)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(CaseTable)
        await pilot.press("f")
        await pilot.pause()
        await app.workers.wait_for_complete()  # the picker counts the flags in a worker
        await pilot.pause()
        await pilot.press("down", "enter")  # the most common flag
        await pilot.pause()
        queue = app.screen
        assert isinstance(queue, QueueScreen) and queue.filter.flag
        flag = queue.filter.flag
        assert 0 < table.row_count < 60
        assert all(flag in (present(table.row(i)).flags or "").split() for i in range(table.row_count))
        await pilot.press("escape")
        await pilot.pause()
        assert table.row_count == 60
        await pilot.press("S")
        await pilot.pause()
        dpds = [present(table.row(i)).dpd for i in range(table.row_count)]
        assert dpds == sorted(dpds, reverse=True)
        await pilot.press("S")
        await pilot.pause()
        amounts = [Decimal(present(table.row(i)).overdue_amount) for i in range(table.row_count)]
        assert queue.filter.sort == "amount" and amounts == sorted(amounts, reverse=True)


async def test_the_queue_follows_a_write_by_another_process(server: RunningServer, synced: Engine) -> None:
    """`collector-tui purge` (or a sync) in a second terminal: the open workbench shows the change."""
    from collector_tui.storage.engine import open_engine
    from collector_tui.storage.purge import purge_case

    app = make_app(synced, server)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(CaseTable)
        gone = present(table.row(0)).id
        assert table.row_count == 60
        app.follow_writes()  # nothing written since: nothing to re-read
        assert table.row_count == 60
        other = open_engine(synced.url.database)  # type: ignore[arg-type]
        purge_case(other, gone, actor="demo", at=SYNC_AT)
        other.dispose()
        app.follow_writes()  # what the app's timer calls every FOLLOW_WRITES_S
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert table.row_count == 59 and present(table.row(0)).id != gone
        assert "59" in plain(app.screen.query_one("#queue-title"))


async def test_the_table_scroll_thumb_follows_the_cursor(server: RunningServer, synced: Engine) -> None:
    app = make_app(synced, server)
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(CaseTable)
        thumb = table.get_component_rich_style("case-table--thumb")

        def thumb_lines() -> list[int]:
            return [y for y in range(1, table.size.height) if list(table.render_line(y))[-1].style == thumb]

        top = thumb_lines()
        assert top and top[0] == 1  # 60 rows in a window of about 12: a short thumb at the top
        await pilot.press("G")
        await pilot.pause()
        bottom = thumb_lines()
        assert bottom and bottom[-1] == table.size.height - 1 and len(bottom) == len(top)
        await pilot.press("slash", *"C-00001")  # a handful of rows: they fit, and there is no thumb
        await pilot.pause()
        assert table.row_count < table.size.height - 1 and thumb_lines() == []
