"""The sync line above the footer: online or offline, last sync, outbox counts."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from collector_tui.locale import t
from collector_tui.work.peek import Status


def zone_label(at: datetime) -> str:
    """Whose clock a time is on, short enough for the footer: its offset from UTC (UTC+8, UTC-5)."""
    offset = at.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign, minutes = ("+" if minutes >= 0 else "-"), abs(minutes)
    return f"UTC{sign}{minutes // 60}" + (f":{minutes % 60:02d}" if minutes % 60 else "")


def describe(status: Status | None, *, syncing_cases: int | None = None, signed_in: bool = True) -> str:
    """One line of sync state in the collector's language."""
    if status is None:
        return ""
    parts = []
    if syncing_cases is not None:
        parts.append(t("footer.syncing", cases=syncing_cases))
    elif status.last_error:
        parts.append(t("footer.offline", reason=status.last_error))
    elif status.last_sync_at:
        # Shown in the collector's own time zone (from the server), not the machine's.
        at = datetime.fromisoformat(status.last_sync_at).astimezone(ZoneInfo(status.timezone))
        parts.append(t("footer.synced", at=f"{at:%Y-%m-%d %H:%M}", zone=zone_label(at)))
    else:
        parts.append(t("footer.never"))
    parts.append(t("footer.outbox", pending=status.outbox_pending, failed=status.outbox_failed))
    if status.user:
        parts.append(status.user)
    if not signed_in:
        parts.append(t("footer.no_token"))
    return "  ·  ".join(parts)


class StatusBar(Static):
    """Shows `text`; the app owns the state and sets it."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $boost; color: $text-muted; padding: 0 1; }
    StatusBar.-offline { color: $warning; }
    """

    text: reactive[str] = reactive("")

    def watch_text(self, value: str) -> None:
        self.update(Text(value))  # the server's reason and the user name are text, not markup
