"""The servicing-API client: one pooled httpx.Client, typed errors with one-line reasons.

Each request has a whole deadline (`request_deadline`, seconds from sending it to its last byte) besides
httpx's per-read timeout, so a server that trickles its answer cannot hold a sync; a client made for one sync
may also carry the sync's overall bound (`sync_deadline`, seconds from the client's start). The reason names
which of the two ran out.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import ValidationError

from collector_tui import api
from collector_tui.locale import t
from collector_tui.sync.errors import (
    AuthError,
    Forbidden,
    MalformedResponse,
    NetworkError,
    RequestDeadline,
    ServerError,
    SyncDeadline,
    SyncError,
)
from collector_tui.sync.feed import FeedError, FeedPage, decode_page, page_head
from collector_tui.sync.transport import check_url


def _validation_summary(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"


@dataclass(frozen=True)
class _Limit:
    ends: float  # time.monotonic() by which the request must be done
    error: SyncError  # what to raise when it is not


def _why(exc: httpx.HTTPError) -> str:
    """Why a request failed, in words: the common transport errors have their own, the rest keep httpx's name."""
    key = f"sync.transport.{type(exc).__name__}"
    text = t(key)
    return type(exc).__name__ if text == key else text


def _seconds(value: float) -> str:
    return f"{value:g}"


class ApiClient:
    """API v1 over one connection pool; use as a context manager."""

    def __init__(self, base_url: str, token: str | None = None, *, timeout: float = 20.0,
                 request_deadline: float | None = None, sync_deadline: float | None = None,
                 verify: bool | str = True, allow_insecure_http: bool = False) -> None:
        check_url(base_url, allow_insecure_http=allow_insecure_http)
        self.timeout = timeout  # each connect, read or write
        self.request_deadline = request_deadline  # a whole request, first byte sent to last byte read
        self.sync_deadline = sync_deadline  # every request of this client, from now
        self._sync_ends = None if sync_deadline is None else time.monotonic() + sync_deadline
        headers = {"Accept": "application/json", "User-Agent": "collector-tui"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.base_url = base_url.rstrip("/")
        # TLS is always verified: against the system store, or a private CA bundle when one is set.
        self.http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout, verify=verify)

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def time_left(self) -> float | None:
        """Seconds left of the sync's overall bound; None when there is none."""
        return None if self._sync_ends is None else self._sync_ends - time.monotonic()

    def _limit(self, path: str) -> _Limit | None:
        """The deadline a request sent now must meet: its own, or the sync's when that comes first."""
        limits = []
        if self.request_deadline is not None:
            limits.append(_Limit(time.monotonic() + self.request_deadline, RequestDeadline(t(
                "sync.request_deadline", api=self.base_url, path=path, seconds=_seconds(self.request_deadline)))))
        if self._sync_ends is not None and self.sync_deadline is not None:
            limits.append(_Limit(self._sync_ends, SyncDeadline(t("sync.sync_deadline",
                                                                 seconds=_seconds(self.sync_deadline)))))
        return min(limits, key=lambda limit: limit.ends, default=None)

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        limit = self._limit(path)
        if limit is not None:
            left = limit.ends - time.monotonic()
            if left <= 0:
                raise limit.error
            kwargs["timeout"] = min(self.timeout, left)  # no single wait outlasts the deadline either
        try:
            with self.http.stream(method, path, **kwargs) as streamed:
                body = []
                for chunk in streamed.iter_raw():
                    body.append(chunk)
                    if limit is not None and time.monotonic() > limit.ends:
                        raise limit.error
            response = httpx.Response(streamed.status_code, headers=streamed.headers, content=b"".join(body),
                                      request=streamed.request)
            response.read()
        except httpx.TimeoutException:
            if limit is not None and time.monotonic() >= limit.ends:
                raise limit.error from None
            raise NetworkError(t("sync.no_answer", api=self.base_url)) from None
        except httpx.HTTPError as exc:
            raise NetworkError(t("sync.cannot_reach", api=self.base_url, why=_why(exc))) from None
        # The server's own message is shown as it sent it; the words around it are the collector's language.
        if response.status_code == 403:
            raise Forbidden(t("sync.forbidden", message=self._error_message(response)))
        if response.status_code == 401:
            raise AuthError(t("sync.unauthorized", message=self._error_message(response)))
        if response.status_code >= 400:
            retry = response.headers.get("Retry-After")
            raise ServerError(
                t("sync.server_error", message=self._error_message(response), status=response.status_code),
                response.status_code,
                float(retry) if retry and retry.isdigit() else None,
            )
        return response

    @staticmethod
    def _error_message(response: httpx.Response) -> str:
        try:
            return str(response.json()["error"]["message"])
        except (ValueError, KeyError, TypeError):
            return response.reason_phrase or "error"

    def _parse(self, model: Any, response: httpx.Response) -> Any:
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            raise MalformedResponse(t("sync.malformed", path=response.url.path,
                                      detail=_validation_summary(exc))) from None

    def login(self, username: str, password: str) -> api.Token:
        response = self._request("POST", "/v1/auth/token", json={"username": username, "password": password})
        return self._parse(api.Token, response)  # type: ignore[no-any-return]

    def me(self) -> api.Me:
        return self._parse(api.Me, self._request("GET", "/v1/me"))  # type: ignore[no-any-return]

    def cases(self, since: str | None, limit: int) -> FeedPage:
        return self.decode_cases(self.cases_content(since, limit))

    def cases_content(self, since: str | None, limit: int) -> bytes:
        """One page of the case feed as the server sent it (decode with `decode_cases`)."""
        params: dict[str, Any] = {"limit": limit}
        if since:
            params["since"] = since
        return self._request("GET", "/v1/cases", params=params).content

    @staticmethod
    def feed_head(content: bytes) -> tuple[str | None, bool]:
        """A page's next cursor and whether more remain, without decoding its items."""
        try:
            return page_head(content)
        except FeedError as exc:
            raise MalformedResponse(t("sync.malformed", path="/v1/cases", detail=exc)) from None

    @staticmethod
    def decode_cases(content: bytes) -> FeedPage:
        try:
            return decode_page(content)
        except FeedError as exc:
            raise MalformedResponse(t("sync.malformed", path="/v1/cases", detail=exc)) from None

    def team_stats(self, start: str, end: str) -> api.TeamStats:
        response = self._request("GET", "/v1/team/contact-stats", params={"from": start, "to": end})
        return self._parse(api.TeamStats, response)  # type: ignore[no-any-return]

    def push(self, mutations: list[dict[str, Any]]) -> api.MutationResults:
        response = self._request("POST", "/v1/mutations", json={"mutations": mutations})
        return self._parse(api.MutationResults, response)  # type: ignore[no-any-return]
