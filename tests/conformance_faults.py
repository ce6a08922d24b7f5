"""Deliberately broken servers: the reference server behind an ASGI middleware that breaks one rule of API v1.

Each fault is what a lender's implementation could plausibly get wrong; `tests/test_conformance.py` shows the
conformance check for that rule fails against it, naming itself.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import parse_qsl, urlencode

Message = dict[str, Any]
FAULTS = ("wrong_password_accepted", "open_door", "cursor_reused", "page_over_limit", "reread_differs",
          "cross_collector_read", "team_stats_for_all", "idempotency_lost", "stale_version_applied",
          "validation_400", "error_body_detail", "tombstones_missing")


class Broken:
    """The app with `fault`. It watches sign-ins to learn each user's token (the lead signs in through it too)."""

    def __init__(self, app: Any, fault: str) -> None:
        assert fault in FAULTS
        self.app, self.fault = app, fault
        self.tokens: dict[str, str] = {}
        self.asked: set[tuple[str, str]] = set()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        scope, body = self.request(dict(scope), body)
        status, headers, answer = await self.exchange(scope, body, receive)
        status, answer = self.response(scope, body, status, answer)
        headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
        await send({"type": "http.response.start", "status": status,
                    "headers": [*headers, (b"content-length", str(len(answer)).encode())]})
        await send({"type": "http.response.body", "body": answer})

    async def exchange(self, scope: Any, body: bytes, receive: Any) -> tuple[int, list[Any], bytes]:
        replayed, start, chunks = False, {}, []

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # type: ignore[no-any-return]
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))

        await self.app(scope, replay, keep)
        return start["status"], list(start.get("headers", [])), b"".join(chunks)

    # --- the request as the app sees it -------------------------------------------------------------------

    def request(self, scope: Any, body: bytes) -> tuple[Any, bytes]:
        path, fault = scope["path"], self.fault
        query = dict(parse_qsl(scope["query_string"].decode()))
        if path == "/v1/auth/token" and fault == "wrong_password_accepted":
            login = json.loads(body)
            body = json.dumps({**login, "password": login["username"]}).encode()  # demo accounts: password = name
        elif path in ("/v1/me", "/v1/cases", "/v1/mutations") and fault == "open_door":
            if self.auth(scope) not in {f"Bearer {t}" for t in self.tokens.values()}:
                scope = self.with_auth(scope, self.tokens["demo"])
        elif path == "/v1/cases" and fault == "page_over_limit" and "limit" in query:
            query["limit"] = str(int(query["limit"]) + 3)
            scope["query_string"] = urlencode(query).encode()
        elif path in ("/v1/cases", "/v1/team/contact-stats") and fault in ("cross_collector_read",
                                                                           "team_stats_for_all"):
            wanted = "/v1/cases" if fault == "cross_collector_read" else "/v1/team/contact-stats"
            if path == wanted and self.auth(scope) == f"Bearer {self.tokens.get('demo')}":
                scope = self.with_auth(scope, self.tokens["lead"])  # the collector is answered as the team's lead
        elif path == "/v1/mutations" and fault in ("idempotency_lost", "stale_version_applied"):
            batch = json.loads(body)
            for m in batch.get("mutations", []):
                if fault == "idempotency_lost":
                    m["id"] = f"{m['id']}~{uuid.uuid4().hex[:8]}"  # every push looks new
                else:
                    m["base_version"] = 10**9  # every base looks current
            body = json.dumps(batch).encode()
        if body:
            scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"content-length"] + [
                (b"content-length", str(len(body)).encode())]
        return scope, body

    @staticmethod
    def auth(scope: Any) -> str | None:
        return next((v.decode() for k, v in scope["headers"] if k == b"authorization"), None)

    @staticmethod
    def with_auth(scope: Any, token: str) -> Any:
        headers = [(k, v) for k, v in scope["headers"] if k != b"authorization"]
        return {**scope, "headers": [*headers, (b"authorization", f"Bearer {token}".encode())]}

    # --- the answer as the client sees it -----------------------------------------------------------------

    def response(self, scope: Any, body: bytes, status: int, answer: bytes) -> tuple[int, bytes]:
        path, fault = scope["path"], self.fault
        if path == "/v1/auth/token" and status == 200:
            self.tokens[json.loads(body)["username"]] = json.loads(answer)["access_token"]
        if fault == "validation_400" and status == 422:
            return 400, answer
        if fault == "error_body_detail" and status >= 400:
            return status, json.dumps({"detail": json.loads(answer)["error"]["message"]}).encode()
        if path == "/v1/mutations" and fault == "idempotency_lost" and status == 200:
            results = json.loads(answer)
            for r in results["results"]:
                r["id"] = r["id"].rsplit("~", 1)[0]
            return status, json.dumps(results).encode()
        if path != "/v1/cases" or status != 200:
            return status, answer
        page = json.loads(answer)
        since = dict(parse_qsl(scope["query_string"].decode())).get("since")
        key = (self.auth(scope) or "", scope["query_string"].decode())
        if fault == "cursor_reused" and since and page["has_more"]:
            page["next_cursor"] = since
        elif fault == "tombstones_missing":
            page["items"] = [i for i in page["items"] if not i.get("deleted")]
        elif fault == "reread_differs" and not since:  # the first page, asked again, loses an item
            if key in self.asked and page["items"]:
                page["items"] = page["items"][:-1]
            self.asked.add(key)
        return status, json.dumps(page).encode()
