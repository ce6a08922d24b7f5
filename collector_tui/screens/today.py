"""My day: what the collector did today against the team's targets (for a lead, the team per collector)."""

from __future__ import annotations

from typing import ClassVar
from zoneinfo import ZoneInfo

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from collector_tui.locale import t
from collector_tui.screens.base import WorkbenchScreen
from collector_tui.widgets.day_table import figures_table, team_table
from collector_tui.widgets.key_bar import KeyBar
from collector_tui.widgets.status_bar import StatusBar
from collector_tui.work.today import my_day


class TodayScreen(WorkbenchScreen[None]):
    DEFAULT_CSS = """
    TodayScreen #today-body { height: 1fr; padding: 0 1; }
    TodayScreen #today-team { margin-top: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "binding.back", id="today.back"),
        Binding("j,down", "scroll_down", "binding.down", show=False, id="today.down"),
        Binding("k,up", "scroll_up", "binding.up", show=False, id="today.up"),
    ]

    def compose(self) -> ComposeResult:
        yield Static(id="today-title", classes="title")
        with VerticalScroll(id="today-body"):
            yield Static(id="today-figures")
            yield Static(id="today-team")
        yield StatusBar(id="status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.follow_status()
        self.reload()
        self.query_one("#today-body").focus()

    def reload(self) -> None:
        """Re-read the day (after a contact, a sync, or a write by another process)."""
        now = self.workbench.clock()
        day = my_day(self.workbench.engine, now, self.workbench.user)
        at = now.astimezone(ZoneInfo(day.zone))
        self.query_one("#today-title", Static).update(
            Text(t("today.title", day=day.day.isoformat(), tz=day.zone, at=f"{at:%H:%M}")))
        figures: list[object] = [figures_table(day)]
        if day.targets is None and not day.collectors:
            figures.append(Text(t("today.no_targets"), style="dim"))
        self.query_one("#today-figures", Static).update(Group(*figures))  # type: ignore[arg-type]
        team = self.query_one("#today-team", Static)
        team.display = bool(day.collectors)
        if day.collectors:
            team.update(Group(Text(t("today.team"), style="bold underline"), team_table(day.collectors)))

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_scroll_down(self) -> None:
        self.query_one("#today-body", VerticalScroll).scroll_down(animate=False)

    def action_scroll_up(self) -> None:
        self.query_one("#today-body", VerticalScroll).scroll_up(animate=False)
