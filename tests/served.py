"""`collector-tui serve` as a process of its own, its JSON log lines read as they come so that a test waits for
the line it needs (the server listening, a worker shutting down) instead of for the clock."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from collector_tui.server.runner import free_port
from tests.conftest import CLI

BOUND_S = 120  # only a broken run waits this long


class Served:
    def __init__(self, *args: str, workers: int = 1, metrics: bool = False, env: dict[str, str] | None = None,
                 log_fifo: Path | None = None) -> None:
        """`log_fifo`: serve --log-file on a named pipe made there, read as serve writes it."""
        self.port = free_port()
        self.metrics_port = free_port() if metrics else None
        more = ["--metrics-port", str(self.metrics_port)] if metrics else []
        if log_fifo is not None:
            os.mkfifo(log_fifo)
            more += ["--log-file", str(log_fifo)]
        self.log_fifo = log_fifo
        self.proc = subprocess.Popen([*CLI, "serve", "--port", str(self.port), "--workers", str(workers), *more, *args],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, **(env or {})})
        self.lines: list[str] = []
        self.ended = False
        self.changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        # Listening once the parent says so; with workers, each has started its app too.
        self.wait_for(lambda j: j.get("message", "").startswith("Uvicorn running on"))
        self.wait_for(lambda j: j.get("message") == "Application startup complete.", count=workers)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    def _read(self) -> None:
        assert self.proc.stderr is not None
        # Read and write: the pipe never reads as ended while serve's processes open and close it in turn.
        source = open(os.open(self.log_fifo, os.O_RDWR)) if self.log_fifo else self.proc.stderr  # noqa: SIM115
        if self.log_fifo:
            threading.Thread(target=self._wait, daemon=True).start()
        for line in source:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()
        self._wait()

    def _wait(self) -> None:
        self.proc.wait()
        with self.changed:
            self.ended = True
            self.changed.notify_all()

    def records(self) -> list[dict[str, Any]]:
        """Every line read so far, each parsed: a line that is not JSON fails the test here."""
        with self.changed:
            return [json.loads(line) for line in self.lines]

    def access(self) -> list[dict[str, Any]]:
        return [r for r in self.records() if r["logger"] == "collector_tui.access"]

    def wait_for(self, matches: Callable[[dict[str, Any]], bool], count: int = 1) -> list[dict[str, Any]]:
        """The first `count` log records that match, once they have been written."""

        def hits() -> list[dict[str, Any]]:
            return [r for r in (json.loads(line) for line in self.lines if line.startswith("{")) if matches(r)]

        with self.changed:
            self.changed.wait_for(lambda: len(hits()) >= count or self.ended, timeout=BOUND_S)
            found = hits()
            assert len(found) >= count, "\n".join(self.lines[-40:])
        return found[:count]

    def stop(self) -> int:
        """SIGTERM, as a service manager stops it; its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=BOUND_S)
