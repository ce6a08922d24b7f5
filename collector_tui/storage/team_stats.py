"""The team's contact statistics in the cache, so the lead's Team screen works offline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, delete, select

from collector_tui.domain.contact_review import TeamCase, TeamContact
from collector_tui.storage.engine import read, write
from collector_tui.storage.models import TeamStatsRow

T_TEAM = TeamStatsRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class TeamData:
    team_id: str
    date_from: date
    date_to: date
    fetched_at: str
    collectors: list[tuple[str, str, int]]
    cases: list[TeamCase]
    contacts: list[TeamContact]


def save_team_stats(engine: Engine, stats: dict[str, Any], fetched_at: datetime) -> None:
    """Replace the Team screen's stored figures with a sync's fresh ones, in one transaction. Only a sync
    calls this: a report is its own query and leaves them as they are."""
    with write(engine) as conn:
        conn.execute(delete(T_TEAM))
        conn.execute(T_TEAM.insert().values(id=1, team_id=stats["team_id"], date_from=stats["from"],
                                            date_to=stats["to"], fetched_at=fetched_at.isoformat(),
                                            collectors=stats["collectors"], cases=stats["cases"],
                                            contacts=stats["contacts"]))


def load_team_stats(engine: Engine) -> TeamData | None:
    """The Team screen's figures as the last sync fetched them (None before a lead's first sync)."""
    with read(engine) as conn:
        row = conn.execute(select(T_TEAM)).mappings().first()
    if row is None:
        return None
    return team_data({"team_id": row["team_id"], "from": row["date_from"], "to": row["date_to"],
                      "collectors": row["collectors"], "cases": row["cases"], "contacts": row["contacts"]},
                     row["fetched_at"])


def team_data(stats: dict[str, Any], fetched_at: str) -> TeamData:
    """A TeamStats answer (its JSON form) as the review reads it; nothing is stored."""
    return TeamData(
        team_id=stats["team_id"], date_from=date.fromisoformat(str(stats["from"])),
        date_to=date.fromisoformat(str(stats["to"])), fetched_at=fetched_at,
        collectors=[(c["id"], c["name"], int(c["cases"])) for c in stats["collectors"]],
        cases=[TeamCase(c["case_id"], c["collector"], int(c["dpd"]),
                        date.fromisoformat(c["overdue_since"]) if c["overdue_since"] else None,
                        datetime.fromisoformat(c["first_contact_at"]) if c["first_contact_at"] else None,
                        int(c["promises_kept"]), int(c["promises_broken"]), int(c.get("promises_partly_kept", 0)))
               for c in stats["cases"]],
        contacts=[TeamContact(c["collector"], c["case_id"], date.fromisoformat(c["day"]), int(c["local_hour"]),
                              c["channel"], c["disposition"], c["target"], int(c["count"])) for c in stats["contacts"]],
    )
