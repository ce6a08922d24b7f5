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
    """Replace the stored report with a fresh one, in one transaction."""
    with write(engine) as conn:
        conn.execute(delete(T_TEAM))
        conn.execute(T_TEAM.insert().values(id=1, team_id=stats["team_id"], date_from=stats["from"], date_to=stats["to"],
                                            fetched_at=fetched_at.isoformat(), collectors=stats["collectors"],
                                            cases=stats["cases"], contacts=stats["contacts"]))


def load_team_stats(engine: Engine) -> TeamData | None:
    with read(engine) as conn:
        row = conn.execute(select(T_TEAM)).mappings().first()
    if row is None:
        return None
    return TeamData(
        team_id=row["team_id"], date_from=date.fromisoformat(row["date_from"]), date_to=date.fromisoformat(row["date_to"]),
        fetched_at=row["fetched_at"],
        collectors=[(c["id"], c["name"], int(c["cases"])) for c in row["collectors"]],
        cases=[TeamCase(c["case_id"], c["collector"], int(c["dpd"]),
                        date.fromisoformat(c["overdue_since"]) if c["overdue_since"] else None,
                        datetime.fromisoformat(c["first_contact_at"]) if c["first_contact_at"] else None,
                        int(c["promises_kept"]), int(c["promises_broken"])) for c in row["cases"]],
        contacts=[TeamContact(c["collector"], c["case_id"], date.fromisoformat(c["day"]), int(c["local_hour"]),
                              c["channel"], c["disposition"], c["target"], int(c["count"])) for c in row["contacts"]],
    )
