"""Screen-pop: `collector-tui pop` from a second process opens the case in the workbench running on that home."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from sqlalchemy import Engine
from textual.widgets import Select

from collector_tui.app import CollectorApp
from collector_tui.config import Settings
from collector_tui.domain.masking import mask_phone
from collector_tui.screens.contact import ContactScreen
from collector_tui.screens.profile import ProfileScreen
from collector_tui.storage.engine import open_engine
from collector_tui.sync.service import run_sync
from collector_tui.work.cases import case_facts
from collector_tui.work.screen_pop import SOCKET_NAME
from tests.conftest import CLI, RunningServer, cli_env
from tests.test_phone import notices, until
from tests.test_tui import plain
from tests.test_tui_contact import MORNING, first_callable_chinese_case

pytestmark = pytest.mark.anyio


class Home(NamedTuple):
    folder: Path
    engine: Engine


@pytest.fixture
def home(server: RunningServer, tmp_path: Path) -> Iterator[Home]:
    folder = tmp_path / "home"
    engine = open_engine(folder / "cache.db")
    run_sync(engine, server.url, "demo", server.token(), now=lambda: MORNING)
    yield Home(folder, engine)
    engine.dispose()


async def pop(home: Path, *args: str) -> tuple[int, str, str]:
    """`collector-tui pop` in its own process (the workbench's loop keeps running while it waits)."""
    proc = await asyncio.create_subprocess_exec(*CLI, "--locale", "en", "pop", *args, env=cli_env(home),
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(), err.decode()


async def test_pop_from_another_process_opens_the_case_with_the_call_running(home: Home) -> None:
    folder, engine = home
    case_id = first_callable_chinese_case(engine)
    facts = case_facts(engine, case_id)
    assert facts is not None
    number = facts.phones[-1].number
    app = CollectorApp(engine, settings=Settings(locale="en"), user="demo", clock=lambda: MORNING, home=folder)
    async with app.run_test(size=(120, 50)) as pilot:
        sock = folder / SOCKET_NAME
        await until(pilot, sock.exists)
        assert stat.S_IMODE(sock.stat().st_mode) == 0o600
        code, out, err = await pop(folder, case_id, "--number", number)
        assert (code, err) == (0, "") and f"opened {case_id}" in out
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ContactScreen) and screen.case_id == case_id
        assert isinstance(app.screen_stack[-2], ProfileScreen) and app.screen_stack[-2].case_id == case_id
        assert screen.call is not None and screen.call.running
        assert screen.query_one("#number", Select).value == number
        assert mask_phone(number) in plain(screen.query_one("#call-timer"))
        assert f"Call connected: {case_id}" in notices(app)
        # A case this cache does not hold: refused, and the workbench stays where it is.
        code, out, err = await pop(folder, "C-999999")
        assert code == 2 and "no case C-999999" in err
        assert app.screen is screen
    assert not (folder / SOCKET_NAME).exists()  # the socket goes with the workbench


async def test_pop_without_a_workbench_says_so_and_fails(home: Home) -> None:
    folder, _engine = home
    code, out, err = await pop(folder, "C-000001")
    assert code == 1 and "No workbench is running" in err and out == ""


async def test_a_socket_left_by_a_dead_workbench_is_replaced(home: Home) -> None:
    import socket

    folder, engine = home
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(folder / SOCKET_NAME))
    stale.close()  # bound, never listening: what a killed workbench leaves
    case_id = first_callable_chinese_case(engine)
    app = CollectorApp(engine, settings=Settings(locale="en"), user="demo", clock=lambda: MORNING, home=folder)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        code, _out, _err = await pop(folder, case_id)
        assert code == 0
        await pilot.pause()
        assert isinstance(app.screen, ContactScreen)
        # A second workbench on the same home leaves the first one answering.
        second = CollectorApp(engine, settings=Settings(locale="en"), user="demo", clock=lambda: MORNING, home=folder)
        async with second.run_test(size=(80, 24)) as second_pilot:
            await until(second_pilot, lambda: "Another workbench" in notices(second))
        code, _out, _err = await pop(folder, case_id)
        assert code == 0


SYSTEM_PYTHON = next((p for p in ("/usr/bin/python3", "/usr/local/bin/python3") if os.access(p, os.X_OK)), None)
CLIENT = """
import socket, sys
sock = socket.socket(socket.AF_UNIX)
try:
    sock.connect(sys.argv[1])
except OSError as exc:
    print(type(exc).__name__)
    sys.exit(0)
sock.sendall(sys.argv[2].encode() + b"\\n")
print(sock.makefile("rb").readline().decode().strip())
"""


async def _as_nobody(sock: Path, line: bytes) -> str:
    """Send `line` from a process that runs as the user nobody (a system interpreter: the project's lives where
    nobody may not go); its answer, or the name of the error it met."""
    assert SYSTEM_PYTHON is not None
    proc = await asyncio.create_subprocess_exec(SYSTEM_PYTHON, "-c", CLIENT, str(sock), line.decode(), user=65534,
                                                group=65534, stdout=asyncio.subprocess.PIPE, cwd="/")
    out, _ = await proc.communicate()
    return out.decode().strip()


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0 or sys.platform != "linux" or SYSTEM_PYTHON is None,
                    reason="needs root (and a system python3) to run a process as another user")
async def test_another_user_is_refused(server: RunningServer) -> None:
    top = Path(tempfile.mkdtemp(prefix="pop-", dir="/tmp"))
    try:
        top.chmod(0o755)
        folder = top / "home"
        engine = open_engine(folder / "cache.db")
        run_sync(engine, server.url, "demo", server.token(), now=lambda: MORNING)
        case_id = first_callable_chinese_case(engine)
        line = json.dumps({"case": case_id}).encode()
        app = CollectorApp(engine, settings=Settings(locale="en"), user="demo", clock=lambda: MORNING, home=folder)
        async with app.run_test(size=(80, 24)) as pilot:
            sock = folder / SOCKET_NAME
            await until(pilot, sock.exists)
            # As made: the home (0700) and the socket (0600) keep another user out.
            assert await _as_nobody(sock, line) == "PermissionError"
            # Opened up by mistake: the workbench still asks the kernel who is calling, and refuses.
            folder.chmod(0o755)
            sock.chmod(0o777)
            assert json.loads(await _as_nobody(sock, line)) == {"ok": False, "error": "other_user"}
            await pilot.pause()
            assert not isinstance(app.screen, ContactScreen)
        engine.dispose()
    finally:
        shutil.rmtree(top)
