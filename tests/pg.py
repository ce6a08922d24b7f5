"""A PostgreSQL server for the tests: the machine's own, or a private one started in a temporary folder.

COLLECTOR_TUI_TEST_PG chooses:
- unset: postgresql://postgres@127.0.0.1:5432/test if it answers (CI's machines run one), else a private server;
- a URL (postgresql://user@host:port/db): that server, which must answer;
- `private`: always a private server.
A private server is initdb'd into a temporary folder from the binaries of the `pgserver` package (installed
with the test extras), else those on PATH or Debian's (/usr/lib/postgresql/N/bin), and listens on a free
loopback port with durability off; it is stopped and its folder removed when the tests end. As root, it runs as
the `postgres` user, or `nobody`, since PostgreSQL refuses to run as root.

Each test run makes its own database (collector_tui_test_<pid>_<random>), each server under test a schema
in it, and the run drops the database at the end; databases of runs whose process has gone are dropped first.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
from glob import glob
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg

DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
PREFIX = "collector_tui_test_"


def answers(url: str, timeout: float = 3) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=int(max(timeout, 1))):
            return True
    except psycopg.OperationalError:
        return False


def binaries() -> Path:
    """A folder holding initdb, pg_ctl and postgres."""
    spec = importlib.util.find_spec("pgserver")
    if spec and spec.submodule_search_locations:
        bundled = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
        if (bundled / "initdb").exists():
            return bundled
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(os.path.realpath(on_path)).parent
    debian = sorted(glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parent.parent.name))
    if debian:
        return Path(debian[-1]).parent
    raise RuntimeError("no PostgreSQL server binaries: install the test extras (pgserver) or a postgresql package")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateServer:
    """initdb + postgres on a free loopback port, in a temporary folder."""

    def __init__(self) -> None:
        self.bin = binaries()
        self.root = Path(tempfile.mkdtemp(prefix="collector-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.user: str | None = None
        if os.geteuid() == 0:
            self.user = "postgres" if _user_exists("postgres") else "nobody"
            os.chmod(self.root, 0o755)
            self.data.mkdir()
            shutil.chown(self.data, self.user)
        self.log = self.root / "server.log"

    def _run(self, *args: str, timeout: float = 120) -> None:
        done = subprocess.run([str(self.bin / args[0]), *args[1:]], capture_output=True, text=True, timeout=timeout,
                              user=self.user, cwd=self.root, env={**os.environ, "LC_ALL": "C", "LANG": "C"})
        if done.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{args[0]} failed: {done.stdout}{done.stderr}{log}")

    def start(self) -> str:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        if self.user:
            self.log.touch()
            shutil.chown(self.log, self.user)
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=60)
        except (RuntimeError, subprocess.TimeoutExpired):
            pid_file = self.data / "postmaster.pid"
            if pid_file.exists():
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


def with_schema(url: str, schema: str) -> str:
    """The URL whose connections work in `schema` (created by the caller)."""
    sep = "&" if urlsplit(url).query else "?"
    return url + sep + "options=" + quote(f"-csearch_path={schema}")


class RunDatabase:
    """This test run's own database on a server, dropped at the end; a fresh schema per server under test."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.name = f"{PREFIX}{os.getpid()}_{secrets.token_hex(4)}"
        self.schemas = 0
        with psycopg.connect(admin_url, autocommit=True) as conn:
            _drop_abandoned(conn)
            conn.execute(f'CREATE DATABASE "{self.name}"')
        self.url = with_database(admin_url, self.name)

    def new_schema(self) -> str:
        """A SQLAlchemy URL (psycopg driver) whose connections see only a new, empty schema."""
        self.schemas += 1
        schema = f"s{self.schemas}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        return with_schema(self.url.replace("postgresql://", "postgresql+psycopg://", 1), schema)

    def drop(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def _drop_abandoned(conn: psycopg.Connection) -> None:
    """Databases left by test runs that died before their clean-up (their process is gone)."""
    names = [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (PREFIX + "%",))]
    for name in names:
        try:
            pid = int(name[len(PREFIX):].split("_")[0])
        except ValueError:
            continue
        if not _alive(pid):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def admin_server() -> tuple[str, PrivateServer | None]:
    """(URL of a database to administer from, the private server if one was started)."""
    choice = os.environ.get("COLLECTOR_TUI_TEST_PG", "")
    if choice and choice != "private":
        if not answers(choice, timeout=10):
            raise RuntimeError(f"COLLECTOR_TUI_TEST_PG={choice} does not answer")
        return choice, None
    if not choice and answers(DEFAULT):
        return DEFAULT, None
    server = PrivateServer()
    try:
        url = server.start()  # pg_ctl -w returns once the server accepts connections: one check, no polling
        if not answers(url, timeout=30):
            raise RuntimeError(f"the private PostgreSQL did not answer: {server.log.read_text()}")
    except BaseException:
        server.stop()
        raise
    return url, server
