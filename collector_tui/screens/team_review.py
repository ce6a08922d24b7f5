"""The team lead's review: per collector, who is over or under the contact rules, with drill-down and charts."""

from __future__ import annotations

from collections import Counter
from typing import ClassVar, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Label, Sparkline, Static

from collector_tui.domain.contact_review import CaseFigures, CollectorFigures, case_figures, monthly_band, team_figures
from collector_tui.locale import code, t
from collector_tui.screens.workbench import Workbench
from collector_tui.storage.team_stats import TeamData, load_team_stats
from collector_tui.widgets.i18n import localize_bindings
from collector_tui.widgets.key_bar import KeyBar
from collector_tui.widgets.plain import cells

BACK = Binding("escape", "back", "binding.back", id="team.back")


def histogram(counts: list[int], floor: int, cap: int, width: int = 30) -> Text:
    """Cases by reached contacts in 30 days, one bar a count, coloured against the floor and the cap."""
    tally = Counter(counts)
    top = max(tally.values(), default=1)
    out = Text()
    for n in range(0, max([*counts, cap + 1]) + 1):
        style = "red" if n > cap else "yellow" if n < floor else "green"
        bar = "█" * max(round(tally[n] / top * width), 1 if tally[n] else 0)
        mark = f" ← {t('team.floor')}" if n == floor else f" ← {t('team.cap')}" if n == cap else ""
        out.append(f"{n:>3} ", style="bold")
        out.append(f"{bar} {tally[n]}", style=style)
        out.append(f"{mark}\n", style="dim")
    return out


class TeamScreen(Screen[None]):
    CSS_PATH = "team_review.tcss"  # read when this screen first opens (app.tcss holds what the queue needs)

    BINDINGS: ClassVar[list[BindingType]] = [BACK, Binding("enter", "drill", "binding.open", id="team.open")]

    def __init__(self) -> None:
        super().__init__()
        localize_bindings(self)
        self.data: TeamData | None = None
        self.figures: list[CollectorFigures] = []

    @property
    def workbench(self) -> Workbench:
        return cast(Workbench, self.app)

    def compose(self) -> ComposeResult:
        yield Static(id="team-title", classes="title")
        yield DataTable(id="team-table", cursor_type="row")
        with VerticalScroll(id="team-charts"):
            yield Label(t("team.per_day"), classes="subtitle")
            yield Horizontal(id="sparks")
            yield Label(t("team.distribution"), classes="subtitle")
            yield Static(id="histogram")
        yield KeyBar()

    def on_mount(self) -> None:
        self.data = load_team_stats(self.workbench.engine)
        title = self.query_one("#team-title", Static)
        if self.data is None:
            title.update(t("team.none"))
            return
        pack = self.workbench.rules.pack
        self.figures = team_figures(self.data.collectors, self.data.cases, self.data.contacts, self.data.date_to, pack)
        floor, cap = monthly_band(pack)
        # Names, ids and codes come from the server: shown as text, never read as markup.
        title.update(Text(t("team.title", team=self.data.team_id, end=self.data.date_to.isoformat(), floor=floor,
                            cap=cap, pack=pack.id)))
        table = self.query_one(DataTable)
        for key in ("collector", "cases", "c7", "c30", "per_case", "over", "under", "golden", "hours", "promises", "rpc"):
            table.add_column(t(f"team.col_{key}"), key=key)
        for f in self.figures:
            table.add_row(*cells(
                f.name, str(f.cases), str(f.contacts_7d), str(f.contacts_30d),
                f"{f.per_case_median:g} ({f.per_case_p25:g}–{f.per_case_p75:g})",
                Text(str(len(f.over_cap)), style="bold red" if f.over_cap else ""),
                Text(str(len(f.under_floor)), style="yellow" if f.under_floor else ""),
                Text(str(len(f.golden_misses)), style="yellow" if f.golden_misses else ""),
                Text(str(f.outside_hours), style="bold red" if f.outside_hours else ""),
                f"{f.promises_kept}/{f.promises_broken}", f"{f.rpc_rate:.0%}"), key=f.id)
        sparks = self.query_one("#sparks", Horizontal)
        for f in self.figures:
            sparks.mount(Label(Text(f"{f.name} "), classes="spark-label"), Sparkline(f.per_day, classes="spark"))
        per_case = case_figures(self.data.cases, self.data.contacts, self.data.date_to, pack)
        self.query_one("#histogram", Static).update(histogram([c.reached_30d for c in per_case], floor, cap))
        table.focus()

    def on_data_table_row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_drill()

    def action_drill(self) -> None:
        table = self.query_one(DataTable)
        if self.data is None or not self.figures or table.cursor_row >= len(self.figures):
            return
        self.app.push_screen(CollectorCasesScreen(self.data, self.figures[table.cursor_row]))

    def action_back(self) -> None:
        self.app.pop_screen()


class CollectorCasesScreen(Screen[None]):
    CSS_PATH = "team_review.tcss"  # read when this screen first opens (app.tcss holds what the queue needs)

    BINDINGS: ClassVar[list[BindingType]] = [BACK, Binding("enter", "drill", "binding.open", id="team.case")]

    def __init__(self, data: TeamData, who: CollectorFigures) -> None:
        super().__init__()
        localize_bindings(self)
        self.data, self.who = data, who
        self.rows: list[CaseFigures] = []

    def compose(self) -> ComposeResult:
        yield Static(Text(t("team.cases_of", name=self.who.name)), classes="title")
        yield DataTable(id="team-cases", cursor_type="row")
        yield KeyBar()

    def on_mount(self) -> None:
        app = cast(Workbench, self.app)
        figures = case_figures(self.data.cases, self.data.contacts, self.data.date_to, app.rules.pack)
        order = {"over": 0, "under": 1, "ok": 2}
        self.rows = sorted((f for f in figures if f.collector == self.who.id),
                           key=lambda f: (order[f.status], not f.golden_miss, -f.reached_30d, f.case_id))
        table = self.query_one(DataTable)
        for key in ("case", "reached", "attempts", "status", "golden", "hours"):
            table.add_column(t(f"team.ccol_{key}"), key=key)
        style = {"over": "bold red", "under": "yellow", "ok": "green"}
        for f in self.rows:
            table.add_row(*cells(f.case_id, str(f.reached_30d), str(f.attempts_30d),
                                 Text(t(f"team.status_{f.status}"), style=style[f.status]),
                                 t("profile.yes") if f.golden_miss else "", str(f.outside_hours or "")), key=f.case_id)
        table.focus()

    def on_data_table_row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_drill()

    def action_drill(self) -> None:
        table = self.query_one(DataTable)
        if self.rows and table.cursor_row < len(self.rows):
            self.app.push_screen(CaseTimelineScreen(self.data, self.rows[table.cursor_row].case_id))

    def action_back(self) -> None:
        self.app.pop_screen()


class CaseTimelineScreen(Screen[None]):
    CSS_PATH = "team_review.tcss"  # read when this screen first opens (app.tcss holds what the queue needs)

    BINDINGS: ClassVar[list[BindingType]] = [BACK]

    def __init__(self, data: TeamData, case_id: str) -> None:
        super().__init__()
        localize_bindings(self)
        self.data, self.case_id = data, case_id

    def compose(self) -> ComposeResult:
        yield Static(Text(t("team.timeline", case=self.case_id)), classes="title")
        yield DataTable(id="team-timeline", cursor_type="row")
        yield KeyBar()

    def on_mount(self) -> None:
        app = cast(Workbench, self.app)
        hours = app.rules.pack.hours
        table = self.query_one(DataTable)
        for key in ("day", "hour", "channel", "disposition", "count"):
            table.add_column(t(f"team.tcol_{key}"), key=key)
        for c in sorted((c for c in self.data.contacts if c.case_id == self.case_id), key=lambda c: (c.day, c.local_hour)):
            late = not (hours.start.hour <= c.local_hour < hours.end.hour)
            table.add_row(*cells(c.day.isoformat(), Text(f"{c.local_hour:02d}:00", style="bold red" if late else ""),
                                 code("channel", c.channel), code("disposition", c.disposition), str(c.count)))
        table.focus()

    def action_back(self) -> None:
        self.app.pop_screen()
