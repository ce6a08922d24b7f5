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

from collector_tui.domain.contact_review import CaseFigures, CollectorFigures, band_counts
from collector_tui.locale import code, t
from collector_tui.screens.workbench import Workbench
from collector_tui.widgets.i18n import localize_bindings
from collector_tui.widgets.key_bar import KeyBar
from collector_tui.widgets.plain import cells
from collector_tui.work.team import Review, screen_review

BACK = Binding("escape", "back", "binding.back", id="team.back")
# The tables move like the queue: j/k a row, g/G to the ends (arrows, Home and End too).
MOVES: list[BindingType] = [
    Binding("j", "move('cursor_down')", "binding.down", show=False, id="team.down"),
    Binding("k", "move('cursor_up')", "binding.up", show=False, id="team.up"),
    Binding("g", "move('scroll_top')", "binding.top", show=False, id="team.top"),
    Binding("G", "move('scroll_bottom')", "binding.bottom", show=False, id="team.bottom"),
]


class TableKeys:
    """j, k, g and G on the screen's one table."""

    def action_move(self, how: str) -> None:
        table = cast(Screen[None], self).query_one(DataTable)
        getattr(table, f"action_{how}")()


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


class TeamScreen(TableKeys, Screen[None]):
    CSS_PATH = "team_review.tcss"  # read when this screen first opens (app.tcss holds what the queue needs)

    BINDINGS: ClassVar[list[BindingType]] = [BACK, Binding("enter", "drill", "binding.open", id="team.open"), *MOVES]

    def __init__(self) -> None:
        super().__init__()
        localize_bindings(self)
        self.review: Review | None = None
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
        # The figures the last sync kept for this screen: a report (`report contacts`) never replaces them.
        self.review = review = screen_review(self.workbench.engine, self.workbench.rules.pack)
        title = self.query_one("#team-title", Static)
        if review is None:
            title.update(t("team.none"))
            return
        self.figures = review.figures
        floor, cap = review.floor, review.cap
        # Names, ids and codes come from the server: shown as text, never read as markup.
        title.update(Text(t("team.title", team=review.data.team_id, end=review.end.isoformat(), floor=floor,
                            cap=cap, pack=self.workbench.rules.pack.id)))
        table = self.query_one(DataTable)
        for key in ("collector", "cases", "c7", "c30", "per_case", "over", "under", "golden", "hours", "promises",
                    "rpc"):
            table.add_column(t(f"team.col_{key}"), key=key)
        for f in self.figures:
            table.add_row(*cells(
                f.name, str(f.cases), str(f.contacts_7d), str(f.contacts_30d),
                f"{f.per_case_median:g} ({f.per_case_p25:g}–{f.per_case_p75:g})",
                Text(str(len(f.over_cap)), style="bold red" if f.over_cap else ""),
                Text(str(len(f.under_floor)), style="yellow" if f.under_floor else ""),
                Text(str(len(f.golden_misses)), style="yellow" if f.golden_misses else ""),
                Text(str(f.outside_hours), style="bold red" if f.outside_hours else ""),
                f"{f.promises_kept}/{f.promises_partly_kept}/{f.promises_broken}", f"{f.rpc_rate:.0%}"), key=f.id)
        sparks = self.query_one("#sparks", Horizontal)
        for f in self.figures:
            sparks.mount(Label(Text(f"{f.name} "), classes="spark-label"), Sparkline(f.per_day, classes="spark"))
        self.query_one("#histogram", Static).update(histogram(band_counts(review.cases), floor, cap))
        table.focus()

    def on_data_table_row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_drill()

    def action_drill(self) -> None:
        table = self.query_one(DataTable)
        if self.review is None or not self.figures or table.cursor_row >= len(self.figures):
            return
        self.app.push_screen(CollectorCasesScreen(self.review, self.figures[table.cursor_row]))

    def action_back(self) -> None:
        self.app.pop_screen()


class CollectorCasesScreen(TableKeys, Screen[None]):
    CSS_PATH = "team_review.tcss"  # read when this screen first opens (app.tcss holds what the queue needs)

    BINDINGS: ClassVar[list[BindingType]] = [BACK, Binding("enter", "drill", "binding.open", id="team.case"), *MOVES]

    def __init__(self, review: Review, who: CollectorFigures) -> None:
        super().__init__()
        localize_bindings(self)
        self.review, self.who = review, who
        self.rows: list[CaseFigures] = []

    def compose(self) -> ComposeResult:
        yield Static(Text(t("team.cases_of", name=self.who.name)), classes="title")
        yield DataTable(id="team-cases", cursor_type="row")
        yield KeyBar()

    def on_mount(self) -> None:
        order = {"over": 0, "under": 1, "ok": 2, "new": 3}
        self.rows = sorted((f for f in self.review.cases if f.collector == self.who.id),
                           key=lambda f: (order[f.status], not f.golden_miss, -f.reached_30d, f.case_id))
        table = self.query_one(DataTable)
        for key in ("case", "reached", "attempts", "status", "golden", "hours"):
            table.add_column(t(f"team.ccol_{key}"), key=key)
        style = {"over": "bold red", "under": "yellow", "ok": "green", "new": "dim"}
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
            self.app.push_screen(CaseTimelineScreen(self.review, self.rows[table.cursor_row].case_id))

    def action_back(self) -> None:
        self.app.pop_screen()


class CaseTimelineScreen(TableKeys, Screen[None]):
    CSS_PATH = "team_review.tcss"  # read when this screen first opens (app.tcss holds what the queue needs)

    BINDINGS: ClassVar[list[BindingType]] = [BACK, *MOVES]

    def __init__(self, review: Review, case_id: str) -> None:
        super().__init__()
        localize_bindings(self)
        self.review, self.case_id = review, case_id

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
        for c in sorted((c for c in self.review.data.contacts
                         if c.case_id == self.case_id and c.day <= self.review.end),
                        key=lambda c: (c.day, c.local_hour)):
            late = not (hours.start.hour <= c.local_hour < hours.end.hour)
            table.add_row(*cells(c.day.isoformat(), Text(f"{c.local_hour:02d}:00", style="bold red" if late else ""),
                                 code("channel", c.channel), code("disposition", c.disposition), str(c.count)))
        table.focus()

    def action_back(self) -> None:
        self.app.pop_screen()
