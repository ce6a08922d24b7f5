"""Local work sent to the server (`POST /v1/mutations`), the server's verdict on each entry, and error bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from collector_tui.api.base import ApiModel


class Mutation(ApiModel):
    id: str = Field(min_length=1, max_length=64)
    type: Literal[
        "contact.logged",
        "promise.created",
        "callback.scheduled",
        "plan.submitted",
        "checklist.completed",
        "customer.contact_corrected",
        "audit.recorded",
        "message.requested",
    ]
    case_id: str
    base_version: int = Field(ge=0)
    occurred_at: datetime
    payload: dict[str, Any] = Field(default_factory=dict)


class MutationBatch(ApiModel):
    mutations: list[Mutation] = Field(max_length=200)


class ErrorDetail(ApiModel):
    code: str
    message: str


class MutationResult(ApiModel):
    id: str
    status: Literal["applied", "duplicate", "conflict", "rejected"]
    case_version: int | None = None
    error: ErrorDetail | None = None


class MutationResults(ApiModel):
    results: list[MutationResult]


class Error(ApiModel):
    error: ErrorDetail
