"""The server's Prometheus figures: requests by route and status, their latency, requests in flight, pushed
mutations by verdict; and where `serve` exposes them (a port of their own, never the API's).

With `serve --workers N` every process writes its figures to files in PROMETHEUS_MULTIPROC_DIR and the
parent reads them all (prometheus-client's multiprocess mode), so a scrape sees the whole server. The
variable must be set before prometheus_client is first imported (server/metrics_dir.py). In a process
without it (demo, tests) the figures stay in memory."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, multiprocess, start_http_server

from collector_tui.server.metrics_dir import SHARED_DIR

REQUESTS = Counter("collector_http_requests", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram("collector_http_request_duration_seconds", "Time from a request's arrival to its answer",
                    ["method", "route", "status"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
# livesum: the requests in flight of the processes alive now (a worker that died leaves none behind).
IN_FLIGHT = Gauge("collector_http_requests_in_flight", "Requests received and not yet answered",
                  multiprocess_mode="livesum")
VERDICTS = Counter("collector_mutations", "Pushed mutations by the server's verdict", ["verdict"])


def count_verdicts(results: Iterable[dict[str, Any]]) -> None:
    for result in results:
        VERDICTS.labels(verdict=result["status"]).inc()


class _LiveOnly:
    """Forgets the in-flight figure of a worker process that has gone (killed, or restarted by uvicorn)
    before each scrape, so that a request it never answered is not counted in flight for ever."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def collect(self) -> list[Any]:
        for path in self.folder.glob("gauge_live*_*.db"):
            found = re.search(r"_(\d+)\.db$", path.name)
            if found and not _alive(int(found.group(1))):
                multiprocess.mark_process_dead(int(found.group(1)), str(self.folder))
        return []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def expose(host: str, port: int) -> None:
    """Serve the figures at http://host:port/metrics from a thread of this process: every process's when
    they are shared through files, else this process's own."""
    folder = os.environ.get(SHARED_DIR)
    if folder:
        registry = CollectorRegistry()
        registry.register(_LiveOnly(Path(folder)))  # type: ignore[arg-type]
        multiprocess.MultiProcessCollector(registry)
        start_http_server(port, addr=host, registry=registry)
    else:
        start_http_server(port, addr=host)
