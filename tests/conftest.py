"""Shared fixtures: a real reference server on a free loopback port, a real SQLite cache, a test keyring."""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import pytest
from sqlalchemy import Engine

from collector_tui.locale import set_locale
from collector_tui.server.runner import ServerThread, prepare
from collector_tui.server.store import SeedSpec
from collector_tui.storage.engine import open_engine
from collector_tui.sync.client import ApiClient
from tests.pg import RunDatabase, admin_server

if TYPE_CHECKING:
    from textual.app import App
    from textual.pilot import Pilot

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 11, 27)  # the portfolio's reference date: tests never depend on today
SYNC_AT = datetime(2026, 11, 27, 1, 30, tzinfo=UTC)

# No OS keyring exists on CI; the file-backed test keyring stands in for it, also in CLI subprocesses.
os.environ["PYTHON_KEYRING_BACKEND"] = "tests.keyring_backend.TestKeyring"
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
for var in ("COLLECTOR_TUI_API", "COLLECTOR_TUI_TOKEN", "COLLECTOR_TUI_HOME", "COLLECTOR_TUI_USER"):
    os.environ.pop(var, None)


@dataclass
class RunningServer:
    thread: ServerThread
    engine: Engine
    spec: SeedSpec

    @property
    def url(self) -> str:
        return self.thread.url

    @property
    def port(self) -> int:
        return self.thread.port

    def token(self, user: str = "demo") -> str:
        with ApiClient(self.url) as client:
            return client.login(user, user).access_token


T = TypeVar("T")


def present(value: T | None) -> T:
    """The value a lookup found: fails the test where it found nothing (a case, an entry, a row expected there)."""
    assert value is not None
    return value


class MakeServer(Protocol):
    """The `make_server` fixture: starts one more reference server on a seeded portfolio."""

    def __call__(self, cases: int = ..., seed: int = ..., collectors: int = ..., teams: int = ...) -> RunningServer: ...


class SnapCompare(Protocol):
    """pytest-textual-snapshot's `snap_compare` fixture: the app's screen against its golden SVG."""

    def __call__(
        self,
        app: str | PurePath | App[Any],
        press: Iterable[str] = ...,
        terminal_size: tuple[int, int] = ...,
        run_before: Callable[[Pilot[Any]], Awaitable[None] | None] | None = ...,
    ) -> bool: ...


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("KEYRING_TEST_FILE", str(tmp_path / "keyring.json"))
    monkeypatch.setenv(
        "XDG_STATE_HOME", str(tmp_path / "state")
    )  # a crash in a test logs here, not in the user's folder
    set_locale("en")
    yield
    set_locale("zh_CN")


@pytest.fixture(scope="session")
def pg_database() -> Iterator[RunDatabase]:
    """This run's own PostgreSQL database (tests/pg.py), dropped at the end."""
    url, private = admin_server()
    run = RunDatabase(url)
    yield run
    run.drop()
    if private is not None:
        private.stop()


@pytest.fixture
def server_backend() -> str:
    """The reference server's database: sqlite, or postgresql (COLLECTOR_TUI_TEST_SERVER_DB=postgresql runs every
    server test on it; a module can ask for both with its own `server_backend` fixture)."""
    return os.environ.get("COLLECTOR_TUI_TEST_SERVER_DB", "sqlite")


@pytest.fixture
def server_db(request: pytest.FixtureRequest, tmp_path: Path, server_backend: str) -> Callable[[], str]:
    """Makes a new, empty server database: a SQLite file, or a schema of this run's PostgreSQL database."""
    made = itertools.count()
    pg = request.getfixturevalue("pg_database") if server_backend == "postgresql" else None

    def new() -> str:
        return pg.new_schema() if pg is not None else str(tmp_path / f"server-{next(made)}.db")

    return new


@pytest.fixture
def make_server(server_db: Callable[[], str]) -> Iterator[MakeServer]:
    started: list[RunningServer] = []

    def start(cases: int = 120, seed: int = 7, collectors: int = 2, teams: int = 1) -> RunningServer:
        spec = SeedSpec(seed=seed, cases=cases, collectors=collectors, as_of=AS_OF, teams=teams)
        engine, _ = prepare(server_db(), spec)
        server = RunningServer(ServerThread(engine, admin=True).start(), engine, spec)
        started.append(server)
        return server

    yield start
    for server in started:
        server.thread.stop()
        server.engine.dispose()


@pytest.fixture
def server(make_server: MakeServer) -> RunningServer:
    return make_server()


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Engine]:
    engine = open_engine(tmp_path / "home" / "cache.db")
    yield engine
    engine.dispose()


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COLLECTOR_TUI_")}
    env.update({"COLLECTOR_TUI_HOME": str(home), "PYTHONPATH": os.environ["PYTHONPATH"], **extra})
    return env


CLI = [sys.executable, "-m", "collector_tui"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # Textual runs on asyncio
