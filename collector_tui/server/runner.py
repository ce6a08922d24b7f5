"""Run the reference server: in the foreground (`collector-tui serve`) or in a thread (demo, tests, bench)."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import Session

from collector_tui.policies import load_pack
from collector_tui.server.api import create_app
from collector_tui.server.metrics import expose
from collector_tui.server.mutations import Checks, forget_old
from collector_tui.server.requestlog import log_config
from collector_tui.server.store import SeedSpec, connect, open_server_db, seed_portfolio

DEFAULT_PACK = "cn"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def prepare(db: str | Path, spec: SeedSpec) -> tuple[Engine, list[tuple[str, str, str]]]:
    engine = open_server_db(str(db))
    accounts = seed_portfolio(engine, spec)
    with Session(engine) as session:
        forget_old(session)
    return engine, accounts


# What `serve --workers N` hands each worker process: the database it migrated and seeded, --admin, and the
# rule pack entered values are checked against.
ENV_DB, ENV_ADMIN, ENV_PACK = "COLLECTOR_TUI_SERVER_DB", "COLLECTOR_TUI_SERVER_ADMIN", "COLLECTOR_TUI_SERVER_PACK"


def app_from_env() -> FastAPI:
    """The app of one worker of `serve --workers N` (uvicorn imports and calls this in each process): a
    pool of its own on the database the parent prepared. Workers share nothing but the database."""
    logging.captureWarnings(True)  # uvicorn has set up this process's JSON log (requestlog.log_config)
    return create_app(connect(os.environ[ENV_DB]), admin=os.environ.get(ENV_ADMIN) == "1",
                      checks=Checks(pack=load_pack(os.environ.get(ENV_PACK) or DEFAULT_PACK)))


def serve_forever(engine: Engine, target: str, *, host: str, port: int, workers: int, admin: bool, pack: str,
                  metrics_port: int | None, log_file: Path | None, grace_s: int) -> None:
    """`collector-tui serve` once its database is ready: uvicorn in this process, or `workers` processes of
    their own; JSON log lines (server/requestlog.py); metrics on a port of their own when asked for."""
    if metrics_port is not None:
        expose(host, metrics_port)
    options: dict[str, Any] = {"host": host, "port": port,
                               "log_config": log_config(str(log_file) if log_file else None), "log_level": "info",
                               "access_log": False, "timeout_graceful_shutdown": grace_s}
    if workers == 1:
        uvicorn.run(create_app(engine, admin=admin, checks=Checks(pack=load_pack(pack))), **options)
        return
    # Each worker is a process of its own with its own pool (app_from_env).
    engine.dispose()
    os.environ[ENV_DB], os.environ[ENV_ADMIN], os.environ[ENV_PACK] = target, "1" if admin else "", pack
    uvicorn.run("collector_tui.server.runner:app_from_env", factory=True, workers=workers, **options)


class ServerThread:
    """A uvicorn server on loopback in a background thread; `stop()` shuts it down cleanly."""

    def __init__(self, engine: Engine, host: str = "127.0.0.1", port: int | None = None, *, admin: bool = False,
                 checks: Checks | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        config = uvicorn.Config(create_app(engine, admin=admin, checks=checks), host=host, port=self.port,
                                log_level="warning", access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="reference-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 20.0) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"reference server did not start on {self.url}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
