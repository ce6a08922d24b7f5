"""One JSON line per request, and the request's figures (server/metrics.py), with no personal data.

A line holds the time, method, route template (`/v1/cases`, never the raw path: an unknown path may carry
anything, and is logged as `unmatched`), status, duration in ms, the worker's pid and a request id. Never the
query string (a search's text), a header (Authorization), a body (passwords, names, numbers, notes), the
client's address or the user: the reverse proxy keeps its own access log under its own rules, and the
request id joins the two."""

from __future__ import annotations

import json
import logging
import logging.config
import os
import re
import time
import traceback
import uuid
from datetime import UTC, datetime
from typing import Any

from collector_tui.server import metrics

ACCESS = logging.getLogger("collector_tui.access")
REQUEST_ID = "x-request-id"
# An id the proxy made (nginx's $request_id: 32 hex digits; Caddy's {http.request.uuid}: a UUID) is kept so
# the two logs join; anything else a client sends is replaced, so no text of theirs (a phone number) is logged.
_GOOD_ID = re.compile(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")


def _route(scope: dict[str, Any]) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


class RequestLog:
    """ASGI middleware: times each HTTP request, logs its line and counts it."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        given = dict(scope.get("headers", [])).get(REQUEST_ID.encode(), b"").decode("latin-1")
        request_id = given if _GOOD_ID.fullmatch(given) else uuid.uuid4().hex
        status = 500  # what the client gets when the app fails before answering

        async def answer(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []),
                                                  (REQUEST_ID.encode(), request_id.encode())]}
            await send(message)

        metrics.IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, answer)
        finally:
            metrics.IN_FLIGHT.dec()
            took = time.perf_counter() - started
            route, method = _route(scope), scope["method"]
            metrics.REQUESTS.labels(method=method, route=route, status=str(status)).inc()
            metrics.LATENCY.labels(method=method, route=route, status=str(status)).observe(took)
            ACCESS.info("request", extra={"fields": {"method": method, "route": route, "status": status,
                                                     "duration_ms": round(took * 1000, 2), "request_id": request_id}})


class JsonLines(logging.Formatter):
    """Every record as one JSON object on one line: the access lines' fields, or a message (uvicorn's start
    and stop). An error's traceback names the frames only, never the exception's text, which may quote the
    values a statement was given."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name, "pid": os.getpid()}
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        else:
            line["message"] = record.getMessage()
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = record.exc_info[0].__name__
            line["frames"] = [f"{f.filename}:{f.lineno} {f.name}" for f in traceback.extract_tb(record.exc_info[2])]
        return json.dumps(line, ensure_ascii=False)


def log_config(path: str | None = None) -> dict[str, Any]:
    """uvicorn's logging configuration for `serve` (each worker applies it): JSON lines to standard error, or
    appended to `path` (reopened when logrotate moves it), uvicorn's own access log off."""
    out: dict[str, Any] = ({"class": "logging.handlers.WatchedFileHandler", "filename": path} if path
                           else {"class": "logging.StreamHandler", "stream": "ext://sys.stderr"})
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonLines"}},
        "handlers": {"out": {**out, "formatter": "json"}},
        "loggers": {name: {"handlers": ["out"], "level": "INFO", "propagate": False}
                    for name in ("uvicorn", "collector_tui", "py.warnings")},
    }


def start_logging(path: str | None = None) -> None:
    """This process's log as `serve` writes it, Python's warnings included, so that every line is JSON."""
    logging.config.dictConfig(log_config(path))
    logging.captureWarnings(True)
