"""The conformance checks' view of a server: every request and its answer, kept as evidence.

Plain httpx, no retries and no interpretation: a check must see exactly what the server answered. Every error
answer is kept so that the error-body check can judge all of them at the end.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

SHOWN = 160  # characters of a body quoted in evidence


@dataclass(frozen=True)
class Answer:
    request: str  # "GET /v1/cases?limit=7", as the evidence names it
    status: int
    body: Any  # the decoded JSON, or None when the body is not JSON
    text: str

    def shown(self) -> str:
        """The body, cut short for a table cell."""
        one_line = " ".join(self.text.split())
        return one_line if len(one_line) <= SHOWN else one_line[:SHOWN] + "…"


@dataclass
class Wire:
    """One connection pool to the server under test."""

    base_url: str
    verify: bool | str = True
    timeout: float = 30.0
    errors: list[Answer] = field(default_factory=list)  # every 4xx and 5xx answer seen

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.http = httpx.Client(base_url=self.base_url, timeout=self.timeout, verify=self.verify,
                                 headers={"Accept": "application/json", "User-Agent": "collector-tui conformance"})

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, path: str, *, token: str | None = None, raw_auth: str | None = None,
             params: dict[str, Any] | None = None, body: Any = None) -> Answer:
        headers = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if raw_auth is not None:
            headers["Authorization"] = raw_auth
        content = None if body is None else json.dumps(body).encode()
        if content is not None:
            headers["Content-Type"] = "application/json"
        response = self.http.request(method, path, params=params, content=content, headers=headers)
        query = httpx.QueryParams(params or {})
        answer = Answer(f"{method} {path}{'?' + str(query) if query else ''}", response.status_code,
                        _json(response), response.text)
        if response.status_code >= 400:
            self.errors.append(answer)
        return answer


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
