"""Dialling from the workbench: the rules first, the audit log always, the softphone's command or the clipboard,
and the call's timer in the contact form. The softphone is a script that records what it was asked to do."""

from __future__ import annotations

import asyncio
import json
import stat
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Input, Select

from collector_tui.app import CollectorApp
from collector_tui.config import Settings
from collector_tui.domain.masking import mask_phone
from collector_tui.screens.contact import ContactScreen
from collector_tui.screens.queue import QueueScreen
from collector_tui.storage import audit
from collector_tui.storage.models import ContactAttempt
from collector_tui.sync.service import run_sync
from collector_tui.work.phone import command_line
from tests.conftest import RunningServer
from tests.test_tui import plain
from tests.test_tui_contact import MORNING, NIGHT, first_callable_chinese_case, tick_all

pytestmark = pytest.mark.anyio


class Clock:
    """The workbench's clock, moved by the test: a call's length is measured on it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def softphone(tmp_path: Path, *, waits_for: Path | None = None) -> tuple[str, Path]:
    """A fake softphone: appends its argv to a file as a JSON line; with `waits_for`, it stays (the call) until
    that file appears. Returns the dial command for the settings and the file it records to."""
    record = tmp_path / "dialled.jsonl"
    script = tmp_path / "softphone"
    wait = f"""
while not pathlib.Path({str(waits_for)!r}).exists():
    time.sleep(0.02)
""" if waits_for else ""
    script.write_text(f"""#!{sys.executable}
import json, pathlib, sys, time
with open({str(record)!r}, "a") as out:
    out.write(json.dumps(sys.argv[1:]) + "\\n")
{wait}""")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return f'"{script}" dial --to {{number}}', record


async def until(pilot: Pilot[None], condition: Callable[[], object], timeout: float = 120.0) -> None:
    """Wait for something another process does (the softphone), looking after every turn of the app's loop. The
    condition is the event waited for; the timeout only bounds a broken run (a loaded machine starts a process
    slowly)."""
    loop = asyncio.get_running_loop()
    ends = loop.time() + timeout
    while not condition():
        assert loop.time() < ends, "timed out waiting"
        await pilot.pause(0.02)


def notices(app: CollectorApp) -> str:
    return " | ".join(n.message for n in app._notifications)  # noqa: SLF001


@pytest.fixture
def synced(server: RunningServer, cache: Engine) -> Engine:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: MORNING)
    return cache


def test_the_command_line_is_split_like_a_shell_but_never_run_by_one() -> None:
    assert command_line("linphonecsh dial {number}", "+8613800000000") == ("linphonecsh", "dial", "+8613800000000")
    assert command_line('baresip -e "/dial {number}"', "+1212") == ("baresip", "-e", "/dial +1212")
    assert command_line("xdg-open tel:{number}", "+44") == ("xdg-open", "tel:+44")
    assert command_line("my-dialer", "+44") == ("my-dialer", "+44")  # no {number}: it goes last
    assert command_line("dial {number}", "+1; rm -rf /") == ("dial", "+1; rm -rf /")  # one argument, no shell


async def test_d_dials_through_the_softphone_audits_and_times_the_call(synced: Engine, tmp_path: Path) -> None:
    case_id = first_callable_chinese_case(synced)
    command, record = softphone(tmp_path)
    clock = Clock(MORNING)
    hangup = command.replace("dial --to {number}", "hangup")
    app = CollectorApp(synced, settings=Settings(locale="en", dial_command=command, hangup_command=hangup),
                       user="demo", clock=clock)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *case_id, "enter", "d")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ContactScreen) and screen.case_id == case_id and screen.call is not None
        number = screen.call.number
        await until(pilot, record.exists)
        assert [json.loads(line) for line in record.read_text().splitlines()] == [["dial", "--to", number]]
        # The number is the form's number, and only ever shown masked.
        assert screen.query_one("#number", Select).value == number
        assert mask_phone(number) in notices(app) and number not in notices(app)
        assert number not in app.export_screenshot()
        timer = plain(screen.query_one("#call-timer"))
        assert "On the call" in timer and mask_phone(number) in timer and "00:00" in timer
        [entry] = [e for e in audit.entries(synced, case_id) if e.action == "dial"]
        assert entry.actor == "demo" and entry.detail == f"{mask_phone(number)} by command"
        # The call lasts 95 seconds on the workbench's clock; the key hangs up and fills the duration.
        clock.now = MORNING + timedelta(seconds=95)
        screen.show_call()
        assert "01:35" in plain(screen.query_one("#call-timer"))
        await pilot.press("escape")  # not while the call runs
        assert app.screen is screen and "hang up first" in notices(app)
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert screen.query_one("#duration", Input).value == "95"
        assert "ended after 01:35" in plain(screen.query_one("#call-timer"))
        await until(pilot, lambda: len(record.read_text().splitlines()) == 2)  # the softphone was told
        assert json.loads(record.read_text().splitlines()[1]) == ["hangup"]
        clock.now += timedelta(seconds=30)  # the call is over: its length stays
        screen.show_call()  # type: ignore[attr-defined]
        assert screen.query_one("#duration", Input).value == "95"
        screen.query_one("#disposition", Select).value = "no_answer"
        await pilot.pause()
        await tick_all(screen)  # type: ignore[arg-type]
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
    with synced.connect() as conn:
        [saved] = conn.execute(select(ContactAttempt).where(ContactAttempt.case_id == case_id,
                                                            ContactAttempt.origin == "local")).all()
    assert (saved.number, saved.duration_s, saved.disposition) == (number, 95, "no_answer")


async def test_a_dial_the_rules_block_never_starts(synced: Engine, tmp_path: Path) -> None:
    case_id = first_callable_chinese_case(synced)
    command, record = softphone(tmp_path)
    app = CollectorApp(synced, settings=Settings(locale="en", dial_command=command), user="demo", clock=lambda: NIGHT)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *case_id, "enter", "d")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
        # The form's reason: the rule, why, and when it becomes allowed.
        assert "Not dialled" in notices(app) and "CN-HOURS" in notices(app) and "callable 11-28 08:00" in notices(app)
    assert not record.exists()
    assert [e for e in audit.entries(synced, case_id) if e.action == "dial"] == []


async def test_without_a_dial_command_the_number_goes_to_the_clipboard(synced: Engine) -> None:
    case_id = first_callable_chinese_case(synced)
    app = CollectorApp(synced, settings=Settings(locale="zh_CN"), user="demo", clock=lambda: MORNING)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *case_id, "enter", "enter")  # from the profile
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ContactScreen) and screen.call is not None
        number = screen.call.number
        assert app.clipboard == number
        assert "剪贴板" in notices(app) and mask_phone(number) in notices(app) and number not in notices(app)
        assert number not in app.export_screenshot()
        assert "正在与" in plain(screen.query_one("#call-timer"))
    [entry] = [e for e in audit.entries(synced, case_id) if e.action == "dial"]
    assert entry.detail == f"{mask_phone(number)} by clipboard"


async def test_a_dial_command_that_lasts_the_call_hangs_up_when_it_ends(synced: Engine, tmp_path: Path) -> None:
    case_id = first_callable_chinese_case(synced)
    ended = tmp_path / "remote-hung-up"
    command, record = softphone(tmp_path, waits_for=ended)
    clock = Clock(MORNING)
    app = CollectorApp(synced, settings=Settings(locale="en", dial_command=command, dial_waits=True), user="demo",
                       clock=clock)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *case_id, "enter", "d")
        await until(pilot, record.exists)
        screen = app.screen
        assert isinstance(screen, ContactScreen) and screen.call is not None and screen.call.running
        clock.now = MORNING + timedelta(seconds=42)
        ended.touch()  # the customer hangs up: the softphone's command ends
        await until(pilot, lambda: not screen.call.running)  # type: ignore[union-attr]
        assert screen.query_one("#duration", Input).value == "42"


async def test_a_dial_command_that_cannot_run_says_so(synced: Engine, tmp_path: Path) -> None:
    case_id = first_callable_chinese_case(synced)
    app = CollectorApp(synced, settings=Settings(locale="en", dial_command=f"{tmp_path}/no-such-softphone {{number}}"),
                       user="demo", clock=lambda: MORNING)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *case_id, "enter", "d")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen) and "could not run" in notices(app)


def test_a_dial_command_that_is_not_a_command_line_is_refused(tmp_path: Path) -> None:
    from collector_tui.config import SettingsError, load_settings

    (tmp_path / "settings.toml").write_text('dial_command = "linphonecsh \\"dial {number}"\n')
    with pytest.raises(SettingsError, match="dial_command is not a command line"):
        load_settings(tmp_path)


async def test_nobody_signed_in_dials_nothing_and_is_asked_to_sign_in(synced: Engine, tmp_path: Path) -> None:
    from collector_tui.screens.login import LoginScreen

    case_id = first_callable_chinese_case(synced)
    command, record = softphone(tmp_path)
    app = CollectorApp(synced, settings=Settings(locale="en", dial_command=command), user="", clock=lambda: MORNING)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *case_id, "enter", "d")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
    assert not record.exists()
    assert [e for e in audit.entries(synced, case_id) if e.action == "dial"] == []


async def test_the_phone_keys_can_be_remapped(synced: Engine, tmp_path: Path) -> None:
    case_id = first_callable_chinese_case(synced)
    command, _record = softphone(tmp_path)
    settings = Settings(locale="en", dial_command=command, keys={"queue.dial": "x", "contact.hang_up": "f8"})
    app = CollectorApp(synced, settings=settings, user="demo", clock=lambda: MORNING)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *case_id, "enter", "x")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ContactScreen) and screen.call is not None
        assert "f8 hangs up" in plain(screen.query_one("#call-timer"))
        await pilot.press("f8")
        await pilot.pause()
        assert not screen.call.running
    assert [e.action for e in audit.entries(synced, case_id)] == ["dial"]
