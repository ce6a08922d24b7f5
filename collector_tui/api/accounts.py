"""Signing in (`POST /v1/auth/token`) and who the token belongs to (`GET /v1/me`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field, field_serializer

from collector_tui.api.base import ApiModel, Money


class Token(ApiModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = 3600


class Targets(ApiModel):
    """What the team expects of a collector in a day: attempts, right-party contacts, promises and their total (in
    `currency`, the collector's portfolio's)."""

    attempts: int = Field(default=0, ge=0)
    right_party: int = Field(default=0, ge=0)
    promises: int = Field(default=0, ge=0)
    promise_amount: Money = Decimal(0)
    currency: str = Field(default="", pattern=r"^([A-Z]{3})?$")

    @field_serializer("promise_amount")
    def _amount(self, value: Decimal) -> str:
        return str(value)  # decimal text, also where the model is dumped to a JSON column


class Me(ApiModel):
    id: str
    name: str
    role: Literal["collector", "lead"]
    team_id: str | None = None
    timezone: str = "Asia/Shanghai"
    targets: Targets | None = None  # the team's daily targets (none: the server sets none)
