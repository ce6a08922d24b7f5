"""What the checks share while they run: the server, who is signed in, the feed as far as it was read."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from collector_tui import api
from collector_tui.conformance.wire import Answer, Wire
from collector_tui.locale import t


class Failed(Exception):
    """The server broke the contract; the message is the evidence."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(t(f"conformance.ev.{key}", **params))


class NotRun(Exception):
    """The check could not be run (what it needs is missing); the message says what."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(t(f"conformance.ev.{key}", **params))


class NotACollector(Exception):
    """The checks run as a collector; the account signed in as is not one."""


@dataclass
class Run:
    wire: Wire
    user: str
    password: str
    other: tuple[str, str] | None = None  # a second collector: name and password
    churn: bool = False  # the reference server's own POST /v1/admin/churn may be called
    churn_seed: int | None = None  # which cases churn moves (None: different ones every run)
    state_file: Path | None = None  # the assignment and cursor a previous run ended with, kept for the next
    limit: int = 7  # the page size asked for: small, so that the feed runs to many pages
    token: str | None = None
    me: api.Me | None = None
    held: dict[str, int] = field(default_factory=dict)  # the assignment as the feed gave it: case id -> version
    cursor: str | None = None  # where the feed was read to
    first_pull: list[tuple[str | None, Answer]] = field(default_factory=list)  # each cursor asked and its answer
    assigned: dict[str, str] = field(default_factory=dict)  # case id -> assigned_to, from the first pull

    def signed_in(self) -> str:
        if self.token is None:
            raise NotRun("needs", check="sign_in")
        return self.token

    def fed(self) -> str:
        """A case of the assignment to write to (the feed was read first)."""
        self.signed_in()
        if not self.first_pull:
            raise NotRun("needs", check="feed_pages")
        if not self.held:
            raise NotRun("no_cases", user=self.user)
        return next(iter(self.held))

    def push(self, mutations: list[dict[str, Any]],
             token: str | None = None) -> tuple[Answer, list[api.MutationResult]]:
        """Send a batch; a 200 whose body is not MutationResults, or one answering other ids, is a failure."""
        answer = self.wire.call("POST", "/v1/mutations", token=token or self.signed_in(), body={"mutations": mutations})
        expect_status(answer, 200)
        results = parse(api.MutationResults, answer).results
        if [r.id for r in results] != [m["id"] for m in mutations]:
            raise Failed("result_ids", request=answer.request, sent=len(mutations), body=answer.shown())
        return answer, results


def mutation(kind: str, case_id: str, base_version: int, payload: dict[str, Any]) -> dict[str, Any]:
    """A mutation with a fresh id, made a minute ago (a server refuses times ahead of its clock)."""
    at = datetime.now(UTC) - timedelta(minutes=1)
    return {"id": f"conformance-{uuid.uuid4()}", "type": kind, "case_id": case_id, "base_version": base_version,
            "occurred_at": at.isoformat(), "payload": payload}


def expect_status(answer: Answer, *expected: int) -> None:
    if answer.status not in expected:
        raise Failed("status", request=answer.request, status=answer.status,
                     expected=" / ".join(map(str, expected)), body=answer.shown())


def parse(model: Any, answer: Answer) -> Any:
    try:
        return model.model_validate(answer.body)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise Failed("bad_model", request=answer.request, model=model.__name__,
                     detail=f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None


def expect_result(answer: Answer, result: api.MutationResult, status: str, code: str | None = None) -> None:
    got = result.status + (f"/{result.error.code}" if result.error else "")
    if result.status != status or (code is not None and (result.error is None or result.error.code != code)):
        raise Failed("result", request=answer.request, id=result.id, got=got,
                     expected=status + (f"/{code}" if code else ""))
