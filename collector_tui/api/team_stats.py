"""A lead's team figures (`GET /v1/team/contact-stats`): collectors, their cases and contacts per local hour."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import ConfigDict, Field

from collector_tui.api.base import ApiModel


class TeamCollector(ApiModel):
    id: str
    name: str
    cases: int = Field(ge=0)


class TeamCase(ApiModel):
    case_id: str
    collector: str
    dpd: int = Field(ge=0)
    overdue_since: date | None = None
    timezone: str = "Asia/Shanghai"
    first_contact_at: datetime | None = None
    promises_kept: int = Field(default=0, ge=0)  # due in the range and paid in full
    promises_broken: int = Field(default=0, ge=0)  # due in the range, nothing paid by the due day
    promises_partly_kept: int = Field(default=0, ge=0)  # due in the range, paid in part (not kept)


class TeamContact(ApiModel):
    collector: str
    case_id: str
    day: date
    local_hour: int = Field(ge=0, le=23)
    channel: str
    disposition: str
    target: str = "customer"
    count: int = Field(ge=1)


class TeamStats(ApiModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    team_id: str
    from_: date = Field(alias="from")
    to: date
    collectors: list[TeamCollector]
    cases: list[TeamCase]
    contacts: list[TeamContact]
