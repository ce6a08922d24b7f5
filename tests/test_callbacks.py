"""Callbacks that come back: due ones alert on any screen and move up the queue; the callbacks view lists
today's and the missed ones in both clocks; a missed callback is counted."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, event
from textual.widgets import DataTable

from collector_tui.app import CollectorApp
from collector_tui.config import Settings
from collector_tui.domain.callbacks import DONE, DUE, LATE, MISSED, UPCOMING, callback_state
from collector_tui.domain.facts import CaseFacts, Contact, Phone
from collector_tui.domain.priority import order, place_case
from collector_tui.domain.rules import Rules
from collector_tui.policies import load_pack
from collector_tui.screens.callbacks import CallbacksScreen
from collector_tui.screens.profile import ProfileScreen
from collector_tui.storage.callbacks import DUE_ATTEMPTS_SQL, DUE_SQL
from collector_tui.storage.queries import case_position, queue_page
from collector_tui.sync.service import run_sync
from collector_tui.work import contact as recorder
from collector_tui.work.callbacks import callbacks, due_now
from tests.conftest import RunningServer
from tests.test_phone import Clock, notices
from tests.test_tui import plain
from tests.test_tui_contact import MORNING, first_callable_chinese_case

pytestmark = pytest.mark.anyio
SH = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 11, 27, 15, 0, tzinfo=SH)
CN = Rules(pack=load_pack("cn"))


def test_a_callback_is_made_by_a_call_around_its_time_and_missed_without_one() -> None:
    def call(minutes: int) -> datetime:
        return AT + timedelta(minutes=minutes)

    assert callback_state(AT, [], call(-60)) == UPCOMING
    assert callback_state(AT, [], AT) == DUE
    assert callback_state(AT, [], call(30)) == DUE
    assert callback_state(AT, [], call(31)) == MISSED
    assert callback_state(AT, [call(-10)], call(60)) == DONE  # a little early counts
    assert callback_state(AT, [call(-20)], call(60)) == MISSED  # the call before does not
    assert callback_state(AT, [call(25)], call(60)) == DONE
    assert callback_state(AT, [call(45)], call(60)) == LATE  # followed up, but missed all the same
    assert callback_state(AT, [call(45)], call(40)) == MISSED  # an attempt not yet made does not count


def _case(i: int, **kw: Any) -> CaseFacts:
    f = CaseFacts(case_id=f"C-{i:04d}", dpd=40, overdue_amount=Decimal(1000 + i), currency="CNY",
                  timezone="Asia/Shanghai", overdue_since=date(2026, 10, 18), phones=(Phone("+8613800000000", True),),
                  consents={"phone": True}, contacts=(Contact(datetime(2026, 10, 20, 10, tzinfo=SH), "phone", "rpc"),))
    return replace(f, **kw)


def test_a_callback_coming_due_moves_its_case_up_and_a_made_one_leaves_the_group() -> None:
    morning = datetime(2026, 11, 27, 10, 0, tzinfo=SH)
    early = _case(1, callbacks=(datetime(2026, 11, 27, 12, 0, tzinfo=SH),))
    later = _case(2, callbacks=(AT,))
    yesterday = _case(3, callbacks=(datetime(2026, 11, 26, 16, 0, tzinfo=SH),))
    made = _case(4, callbacks=(datetime(2026, 11, 27, 9, 0, tzinfo=SH),),
                 contacts=(Contact(datetime(2026, 11, 27, 9, 5, tzinfo=SH), "phone", "rpc"),))
    cases = (later, early, made, yesterday)
    placed = {p.case_id: p for p in (place_case(f, morning, CN) for f in cases)}
    # At 10:00 only yesterday's missed callback is in the group; the others wait with the rest of the work.
    assert {k: p.group for k, p in placed.items()} == {"C-0001": "rest", "C-0002": "rest", "C-0003": "callback",
                                                     "C-0004": "rest"}
    assert placed["C-0003"].reason == "queue.reason.callback_missed" and placed["C-0003"].params == {
        "at": "11-26 16:00"
    }
    # Each waiting placement holds until a quarter of an hour before its callback: the queue re-places it then.
    assert placed["C-0001"].valid_until == datetime(2026, 11, 27, 11, 45, tzinfo=SH)
    assert placed["C-0002"].valid_until == datetime(2026, 11, 27, 14, 45, tzinfo=SH)
    # From 14:45 the 15:00 callback is in the group, above the cases it waited among; 12:00 was missed.
    for moment in (datetime(2026, 11, 27, 14, 45, tzinfo=SH), AT):
        then = order([place_case(f, moment, CN) for f in cases])
        assert [(p.case_id, p.group) for p in then] == [
            ("C-0003", "callback"), ("C-0001", "callback"), ("C-0002", "callback"), ("C-0004", "rest")]
        assert then[2].params == {"at": "15:00"}
    # A call makes it: the case goes back among the rest.
    called = replace(later, contacts=(*later.contacts, Contact(AT + timedelta(minutes=5), "phone", "no_answer")))
    assert place_case(called, AT + timedelta(minutes=10), CN).group == "rest"


class CallbackCase(NamedTuple):
    cache: Engine
    case_id: str


@pytest.fixture
def with_callback(server: RunningServer, cache: Engine) -> CallbackCase:
    """A synced cache where the collector recorded, at 11:00, a callback for 15:00 (the customer's time)."""
    run_sync(cache, server.url, "demo", server.token(), now=lambda: MORNING)
    case_id = first_callable_chinese_case(cache)
    recorder.record_outcome(cache, CN, case_id, recorder.Outcome(
        channel="phone", disposition="callback_requested", callback_at=AT, note="after her shift"),
        now=MORNING, collector="demo")
    return CallbackCase(cache, case_id)


async def test_a_due_callback_alerts_on_any_screen_and_rises_in_the_queue(with_callback: CallbackCase) -> None:
    cache, case_id = with_callback
    clock = Clock(MORNING)
    app = CollectorApp(cache, settings=Settings(locale="en"), user="demo", clock=clock)
    bells: list[None] = []
    app.bell = lambda: bells.append(None)  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert due_now(cache, clock()) == [] and bells == []
        before = case_position(cache, case_id)
        # The collector is on another case's profile when the time comes.
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ProfileScreen)
        clock.now = AT.astimezone(UTC)
        app.check_callbacks()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(bells) == 1 and isinstance(app.screen, ProfileScreen)
        assert "Callback due" in " ".join(str(n.title) for n in app._notifications)  # noqa: SLF001
        assert f"{case_id}" in notices(app) and "15:00 customer's time (15:00 yours)" in notices(app)
        app.check_callbacks()  # once only
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(bells) == 1
        after = case_position(cache, case_id)
        assert before is not None and after is not None and after < before
        # The callbacks view: due now, in both clocks, the name masked.
        await pilot.press("b")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CallbacksScreen)
        table = screen.query_one(DataTable)
        row = [str(cell) for cell in table.get_row_at(0)]
        assert row[0].startswith("due now") and "not yet synced" in row[0] and row[1] == case_id
        assert row[3] == "11-27 15:00 Asia/Shanghai" and row[4] == "11-27 15:00" and row[5] == "after her shift"
        assert "Your time (Asia/Shanghai)" in [str(c.label) for c in table.columns.values()]
        assert "Due now 1" in plain(screen.query_one("#callbacks-summary"))
        # Past the grace without a call: missed, and counted.
        clock.now = (AT + timedelta(minutes=31)).astimezone(UTC)
        screen.reload()
        assert str(table.get_row_at(0)[0]).startswith("missed")
        assert "missed today 1" in plain(screen.query_one("#callbacks-summary"))
        # Enter opens the case.
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ProfileScreen) and app.screen.case_id == case_id


async def test_the_callbacks_view_in_chinese_says_whose_time_it_is(with_callback: CallbackCase) -> None:
    cache, case_id = with_callback
    app = CollectorApp(cache, settings=Settings(locale="zh_CN"), user="demo", clock=lambda: MORNING)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("b")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CallbacksScreen)
        assert "您的日期（Asia/Shanghai）" in plain(screen.query_one("#callbacks-title"))
        row = [str(cell) for cell in screen.query_one(DataTable).get_row_at(0)]
        assert row[0].startswith("未到时") and row[1] == case_id
    [item] = [i for i in callbacks(cache, MORNING, "Asia/Shanghai") if i.case_id == case_id]
    assert item.state == UPCOMING and item.local


def test_the_callbacks_coming_due_are_read_through_their_index(with_callback: CallbackCase) -> None:
    cache, case_id = with_callback
    path = cache.url.database
    assert path
    with sqlite3.connect(path) as db:
        for query in (DUE_SQL, DUE_ATTEMPTS_SQL):
            plan = " ".join(row[3] for row in db.execute("EXPLAIN QUERY PLAN " + query, {"start": "", "end": ""}))
            # The callbacks by their instant, never a scan of every callback or every attempt.
            assert "USING INDEX ix_callback_due" in plan and "SCAN" not in plan, plan
    # A callback given in another zone's offset is found by its instant: 15:00 in Shanghai is 07:00 UTC.
    other = next(r.id for r in queue_page(cache, 0, 60) if r.callable and r.id != case_id)
    recorder.record_outcome(cache, CN, other, recorder.Outcome(
        channel="phone", disposition="callback_requested", callback_at=AT.astimezone(ZoneInfo("Europe/London")),
        note="from the office"), now=MORNING, collector="demo")
    for moment, due in ((AT - timedelta(seconds=1), set()), (AT, {case_id, other}),
                        (AT + timedelta(minutes=30), {case_id, other}), (AT + timedelta(minutes=30, seconds=1), set())):
        assert {i.case_id for i in due_now(cache, moment)} == due, moment
    # A call on one of them makes it: no longer due.
    recorder.record_outcome(cache, CN, other, recorder.Outcome(channel="phone", disposition="no_answer"),
                            now=AT + timedelta(minutes=2), collector="demo")
    assert [i.case_id for i in due_now(cache, AT + timedelta(minutes=5))] == [case_id]


async def test_the_callbacks_check_reads_the_cache_in_a_worker(with_callback: CallbackCase) -> None:
    cache, case_id = with_callback
    clock = Clock(MORNING)
    app = CollectorApp(cache, settings=Settings(locale="en"), user="demo", clock=clock)
    bells: list[None] = []
    app.bell = lambda: bells.append(None)  # type: ignore[method-assign]
    queries: list[tuple[bool, str]] = []  # (on the UI thread, the statement)

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        queries.append((threading.current_thread() is threading.main_thread(), statement))

    event.listen(cache, "before_cursor_execute", seen)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            clock.now = AT.astimezone(UTC)
            queries.clear()
            app.check_callbacks()  # the timer's turn
            assert [q for on_ui, q in queries if on_ui] == [] and bells == []
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert any(q.startswith(DUE_SQL.split(" WHERE ")[0]) and not on_ui for on_ui, q in queries)
            assert len(bells) == 1 and case_id in notices(app)
    finally:
        event.remove(cache, "before_cursor_execute", seen)
