"""API v1 of the reference servicing server: the contract's models are collector_tui.api (docs/architecture.md)."""


import asyncio
import base64
import binascii
import json
import logging
import threading
import time
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from collector_tui import api as v1
from collector_tui.server.auth import new_token, token_digest, verify_password
from collector_tui.server.health import database_answers
from collector_tui.server.metrics import count_verdicts
from collector_tui.server.models import AccessToken, Account
from collector_tui.server.mutations import Checks, apply_batch
from collector_tui.server.requestlog import RequestLog
from collector_tui.server.store import churn, feed_page, pool_admits, retryable, writing
from collector_tui.server.contact_stats import contact_stats
from collector_tui.server.decisions import (
    MessageReportIn,
    NotFound,
    PlanDecisionIn,
    PromiseSettledIn,
    decide_plan,
    report_message,
    settle_promise,
    submitted_plans,
)
from collector_tui.server.targets import targets_for

TOKEN_TTL_S = 8 * 3600
TEAM_LOG = logging.getLogger("collector_tui.team")
WRITE_ATTEMPTS = 5


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class ChurnIn(BaseModel):
    seed: int = 1
    payments: int = Field(default=0, ge=0, le=100000)
    reassign: int = Field(default=0, ge=0, le=100000)
    close: int = Field(default=0, ge=0, le=100000)


class LoginLimiter:
    """Failed sign-ins per user name: after `limit` in `window` seconds, refuse for `lockout` seconds."""

    def __init__(self, limit: int = 5, window: float = 300, lockout: float = 60) -> None:
        self.limit, self.window, self.lockout = limit, window, lockout
        self.failures: dict[str, list[float]] = {}
        self.until: dict[str, float] = {}
        self.lock = threading.Lock()

    def blocked(self, user: str) -> int:
        with self.lock:
            left = self.until.get(user, 0) - time.monotonic()
            return max(int(left) + 1, 1) if left > 0 else 0

    def failed(self, user: str) -> None:
        now = time.monotonic()
        with self.lock:
            recent = [t for t in self.failures.get(user, []) if now - t < self.window] + [now]
            self.failures[user] = recent
            if len(recent) >= self.limit:
                self.until[user] = now + self.lockout
                self.failures[user] = []

    def succeeded(self, user: str) -> None:
        with self.lock:
            self.failures.pop(user, None)


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, seq = raw.split(":")
        if prefix != "v1" or not seq.isdigit():
            raise ValueError
        return int(seq)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiError(400, "bad_cursor", "the cursor is not one this server issued") from None


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


class AdmitInTurn:
    """At most `at_once` requests of this process are handled at a time; the others wait their turn here.

    A handler holds a pooled connection from its first query to its end, and hops between threads (its
    dependencies, the endpoint, their clean-up): with more requests in hand than connections, requests holding
    a connection wait for a thread while the threads wait for a connection, until the pool gives up and the
    request fails. Admitting no more than the pool lends (two connections each to spare) makes a burst of a
    hundred syncs queue instead. /healthz is never held up."""

    def __init__(self, app: Any, at_once: int) -> None:
        self.app, self.at_once = app, at_once
        self.turns: asyncio.Semaphore | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path") == "/healthz":
            return await self.app(scope, receive, send)
        if self.turns is None:
            self.turns = asyncio.Semaphore(self.at_once)
        async with self.turns:
            await self.app(scope, receive, send)


class RefuseNul:
    """Text with a NUL character (U+0000) is refused with 422 before it reaches a handler: PostgreSQL's text
    cannot hold one, and no field of API v1 needs one. Signing in is the exception: no account's name holds
    one, so such a name is answered as any unknown name is (401)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path") == "/v1/auth/token":
            return await self.app(scope, receive, send)
        refused = b"%00" in scope.get("query_string", b"") or "\x00" in scope.get("path", "")
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return await self.app(scope, receive, send)  # the client went away
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if not refused and b"\\u0000" in body:
            try:
                refused = _holds_nul(json.loads(body))
            except ValueError:
                pass  # not JSON: the handler answers that
        if refused:
            response = JSONResponse(error_body("invalid", "text must not contain NUL (U+0000)", fields=[]),
                                    status_code=422)
            return await response(scope, receive, send)
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


ERRORS: dict[int | str, dict[str, Any]] = {s: {"model": v1.Error} for s in (400, 401, 403, 404, 422)}


def create_app(engine: Engine, *, admin: bool = False, checks: Checks | None = None) -> FastAPI:
    """The FastAPI app on a seeded server database; `admin` adds the churn endpoint tests and demos use. `checks`
    gives the clock and rule pack entered values are checked against (default: the system clock, the cn pack)."""
    checks = checks or Checks()
    app = FastAPI(title="collector-tui reference servicing API", version="1.0.0")
    app.add_middleware(AdmitInTurn, at_once=pool_admits(engine))
    app.add_middleware(RefuseNul)
    app.add_middleware(RequestLog)  # outermost: a request's time includes its wait for a turn

    @app.exception_handler(ApiError)
    async def _api_error(_req: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_req: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_req: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [{"loc": [str(p) for p in e["loc"]], "message": e["msg"]} for e in exc.errors()]
        return JSONResponse(error_body("invalid", "the request is not valid", fields=fields), status_code=422)

    def session() -> Iterator[Session]:
        with Session(engine) as s:
            yield s

    Db = Annotated[Session, Depends(session)]

    def current_account(db: Db, authorization: Annotated[str | None, Header()] = None) -> Account:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise ApiError(401, "unauthenticated", "a bearer token is required", {"WWW-Authenticate": "Bearer"})
        digest = token_digest(authorization[7:].strip())
        # One query for the token and its account, on every request.
        found = db.execute(select(Account, AccessToken.expires_at)
                           .join(AccessToken, AccessToken.username == Account.username)  # type: ignore[arg-type]
                           .where(AccessToken.token_sha256 == digest)).first()
        if found is None or found[1] < time.time():
            if found is None and db.get(AccessToken, digest) is not None:
                raise ApiError(401, "invalid_token", "the token's account no longer exists")
            raise ApiError(401, "invalid_token", "the token is invalid or expired", {"WWW-Authenticate": "Bearer"})
        return found[0]

    Me = Annotated[Account, Depends(current_account)]

    limiter = LoginLimiter()

    @app.post("/v1/auth/token", response_model=v1.Token, responses={**ERRORS, 429: {"model": v1.Error}})
    def login(body: LoginIn, db: Db) -> v1.Token:
        wait = limiter.blocked(body.username)
        if wait:
            raise ApiError(429, "too_many_attempts", "too many failed sign-ins; try again later",
                           {"Retry-After": str(wait)})
        account = None if "\x00" in body.username else db.get(Account, body.username)
        if account is None or not verify_password(body.password, account.password_hash):
            limiter.failed(body.username)
            raise ApiError(401, "bad_credentials", "wrong username or password")
        limiter.succeeded(body.username)
        token, digest = new_token()
        db.add(AccessToken(token_sha256=digest, username=account.username, expires_at=time.time() + TOKEN_TTL_S))
        db.commit()
        return v1.Token(access_token=token, token_type="bearer", expires_in=TOKEN_TTL_S)

    @app.get("/v1/me", response_model=v1.Me, responses=ERRORS)
    def me(account: Me) -> v1.Me:
        return v1.Me(id=account.username, name=account.name, role=account.role, team_id=account.team_id,  # type: ignore[arg-type]
                   timezone=account.timezone, targets=targets_for(account))

    def read_cases(authorization: str | None, since: str | None, limit: int) -> tuple[list[bytes], int, bool]:
        # The token and the page on one connection in autocommit: two statements and no transaction around
        # them (the page is one statement, so one snapshot), all in one turn of the thread pool.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn, Session(bind=conn) as db:
            account = current_account(db, authorization)
            return feed_page(db, account, decode_cursor(since), limit)

    @app.get("/v1/cases", responses={200: {"model": v1.CasesPage}, **ERRORS})
    async def cases(
        authorization: Annotated[str | None, Header()] = None, since: str | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200
    ) -> Response:
        items, last, has_more = await run_in_threadpool(read_cases, authorization, since, limit)
        # Documents are stored as JSON already: splice their bytes instead of re-encoding every case.
        tail = '],"next_cursor":' + json.dumps(encode_cursor(last)) + ',"has_more":' + ("true" if has_more else "false")
        return Response(b"".join((b'{"items":[', b",".join(items), tail.encode(), b"}")), media_type="application/json")

    @app.post("/v1/mutations", response_model=v1.MutationResults, responses=ERRORS)
    def mutations(batch: v1.MutationBatch, account: Me, db: Db) -> dict[str, Any]:
        for attempt in range(WRITE_ATTEMPTS):
            try:
                with writing(engine):
                    results = apply_batch(db, batch.mutations, account, checks)
                    # Acknowledge only what is committed: the answers go out after the commit.
                    db.commit()
                count_verdicts(results)
                return {"results": results}
            except DBAPIError as exc:
                # Another push stored one of these ids first (or the two deadlocked): start again, and what
                # the other stored is answered `duplicate`.
                db.rollback()
                if attempt == WRITE_ATTEMPTS - 1 or not retryable(exc):
                    raise
        raise AssertionError("unreachable")

    @app.get("/v1/team/contact-stats", responses={200: {"model": v1.TeamStats}, **ERRORS, 403: {"model": v1.Error}})
    def team_stats(account: Me, db: Db, from_: Annotated[date, Query(alias="from")],
                   to: Annotated[date, Query()]) -> Response:
        if account.role != "lead":
            raise ApiError(403, "forbidden", "team statistics are for team leads")
        if to < from_ or (to - from_).days > 366:
            raise ApiError(400, "bad_range", "from must not be after to, and the range at most a year")
        took: dict[str, float] = {}
        body = contact_stats(db, account, from_, to, took)
        # What each part of the figures took, to tell the database's time from the server's own.
        TEAM_LOG.info("team figures", extra={"fields": {"route": "/v1/team/contact-stats", "parts_ms": took,
                                                        "bytes": len(body)}})
        return Response(body, media_type="application/json")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        """Ready when the database answers: a balancer sends no request to a process that cannot serve it."""
        if database_answers(engine):
            return JSONResponse({"status": "ok", "database": "ok"})
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)

    if admin:

        @app.post("/v1/admin/churn")
        def admin_churn(body: ChurnIn) -> dict[str, list[str]]:
            return churn(engine, seed=body.seed, payments=body.payments, reassign=body.reassign, close=body.close)

        # The servicer's own tools, for tests and demos: not part of the collector's API (nor its /openapi.json).
        @app.get("/v1/admin/plans", include_in_schema=False)
        def admin_plans() -> list[dict[str, Any]]:
            """Plans waiting for a decision."""
            return submitted_plans(engine)

        @app.post("/v1/admin/plans/{plan_id}", include_in_schema=False)
        def admin_plan_decision(plan_id: str, body: PlanDecisionIn) -> dict[str, Any]:
            """Approve or reject a submitted plan (a rejection says why); the collector's next sync brings it."""
            try:
                return decide_plan(engine, plan_id, approved=body.decision == "approved", reason=body.reason.strip(),
                                   at=checks.clock())
            except NotFound:
                raise ApiError(404, "not_found", "no open case holds that plan") from None

        @app.post("/v1/admin/promises/{promise_id}", include_in_schema=False)
        def admin_promise(promise_id: str, body: PromiseSettledIn) -> dict[str, Any]:
            """Record what became of a promise: kept, partially kept or broken."""
            try:
                return settle_promise(engine, promise_id, status=body.status)
            except NotFound:
                raise ApiError(404, "not_found", "no open case holds that promise") from None

        @app.post("/v1/admin/messages/{message_id}", include_in_schema=False)
        def admin_message(message_id: str, body: MessageReportIn) -> dict[str, Any]:
            """What the gateway reports of a message: sent (a held one released), delivered, or failed and why."""
            try:
                return report_message(engine, message_id, status=body.status, reason=body.reason.strip(),
                                      at=checks.clock())
            except NotFound:
                raise ApiError(404, "not_found", "no open case holds that message") from None

    return app
