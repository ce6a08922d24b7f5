"""Signing in (`POST /v1/auth/token`) and who the token belongs to (`GET /v1/me`)."""

from __future__ import annotations

from typing import Literal

from collector_tui.api.base import ApiModel


class Token(ApiModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = 3600


class Me(ApiModel):
    id: str
    name: str
    role: Literal["collector", "lead"]
    team_id: str | None = None
    timezone: str = "Asia/Shanghai"
