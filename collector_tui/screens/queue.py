"""The daily call queue: every open case in priority order, searchable, one keypress from its profile."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Static

from collector_tui.locale import t
from collector_tui.screens.base import WorkbenchScreen
from collector_tui.work.queue_view import QueueFilter, QueueRow
from collector_tui.widgets.case_table import CaseTable, RowSource
from collector_tui.widgets.key_bar import KeyBar
from collector_tui.widgets.search_field import SearchField
from collector_tui.widgets.status_bar import StatusBar

STAGES = (None, 1, 2, 3, 4)
TIERS = (None, "A", "B", "C")
GROUPS = ("promise", "golden", "callback", "rest", "blocked")


class QueueScreen(WorkbenchScreen[None]):
    """The collector's worklist."""

    DEFAULT_CSS = "QueueScreen #queue-title { height: 2; }"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "binding.search", id="queue.search"),
        Binding("s", "cycle_stage", "binding.stage", id="queue.stage"),
        Binding("t", "cycle_tier", "binding.tier", id="queue.tier"),
        Binding("f", "pick_flag", "binding.flag", id="queue.flag"),
        Binding("S", "cycle_sort", "binding.sort", id="queue.sort"),
        Binding("c", "contact", "binding.contact", id="queue.contact"),
        Binding("p", "plan", "binding.plan", id="queue.plan"),
        Binding("d", "dial", "binding.dial", id="queue.dial"),
        Binding("m", "message", "binding.message", id="queue.message"),
        Binding("escape", "clear", "binding.back", show=False, id="queue.clear"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filter = QueueFilter()

    def compose(self) -> ComposeResult:
        source = RowSource(count=self._count, page=self._page)
        yield Static(id="queue-title", classes="title")
        # Always in place, one line high: opening and closing the search moves nothing on the screen.
        yield SearchField(self._search_changed, placeholder=t("queue.search_placeholder"), id="search", compact=True)
        yield CaseTable(source, tz=self.workbench.display_tz, id="cases")
        yield Static(id="queue-empty", classes="empty")
        yield StatusBar(id="status")
        yield KeyBar()

    # The first frame is drawn from the app's first look at the cache; every other read goes through the use
    # cases, whose database toolkit loads while that frame is on screen (the app opens the cache then).
    def _count(self) -> int:
        look = self.workbench.first_look
        if look is not None and self.filter == QueueFilter():
            return look.count
        from collector_tui.work.cases import queue_count  # start-up: after the first frame

        return queue_count(self.workbench.engine, self.filter)

    def _page(self, offset: int, limit: int) -> list[QueueRow]:
        look = self.workbench.first_look
        if look is not None and self.filter == QueueFilter() and min(offset + limit, look.count) <= len(look.rows):
            return look.rows[offset:offset + limit]
        from collector_tui.work.cases import queue_page  # start-up: after the first frame

        return queue_page(self.workbench.engine, offset, limit, self.filter)

    def _group_counts(self) -> tuple[int, dict[str, int]]:
        look = self.workbench.first_look
        if look is not None:
            return look.count, look.group_counts
        from collector_tui.work.cases import queue_count, queue_group_counts  # start-up: after the first frame

        engine = self.workbench.engine
        return queue_count(engine), queue_group_counts(engine)  # remembered until the next write

    @property
    def table(self) -> CaseTable:
        return self.query_one(CaseTable)

    def on_mount(self) -> None:
        self.follow_status()
        self.reload()
        self.table.focus()

    def reload(self, keep_case: str | None = None, *, from_top: bool = False) -> None:
        """Re-read the queue after a sync or a filter change, keeping the highlighted case where it can.

        `from_top`: a new search or sort starts at its first case (as a collector expects, and without
        counting where the old case landed in a new order).
        """
        with self.app.batch_update():  # the table, the title and the empty note change in one frame
            self._reload(keep_case, from_top)

    def _reload(self, keep_case: str | None, from_top: bool) -> None:
        keep_case = None if from_top else keep_case or (self.table.current.id if self.table.current else None)
        position = None
        if keep_case:
            from collector_tui.work.cases import case_position  # start-up: a highlighted case: after the first frame

            position = case_position(self.workbench.engine, keep_case, self.filter)
        self.table.reload(position=position if position is not None else 0)
        total, counts = self._group_counts()
        shown = self.table.row_count
        parts = [t("queue.title"), t("queue.counts", shown=shown, total=total)]
        if self.filter.stage is not None:
            parts.append(t("queue.stage_filter", stage=t(f"stage.{self.filter.stage}")))
        if self.filter.tier is not None:
            parts.append(t("queue.tier_filter", tier=self.filter.tier))
        if self.filter.flag:
            parts.append(t("queue.flag_filter", flag=t(f"flagname.{self.filter.flag}")))
        if self.filter.sort != "priority":
            parts.append(t(f"queue.sort_{self.filter.sort}"))
        if self.filter.text:
            parts.append(f"“{self.filter.text}”")
        groups = "  ".join(f"{t(f'queue.group.{g}')} {counts[g]}" for g in GROUPS if counts.get(g))
        title = "  ·  ".join(parts) + f"\n{groups}"
        # Two lines always: a new title repaints in place, without a layout pass on every filter key.
        # The search text is what the collector typed: shown as text, never read as markup.
        self.query_one("#queue-title", Static).update(Text(title), layout=False)
        empty = self.query_one("#queue-empty", Static)
        empty.display = shown == 0
        if empty.display:
            empty.update(t("queue.empty") if total == 0 else t("queue.filtered_empty"))

    def on_case_table_selected(self, message: CaseTable.Selected) -> None:
        self.workbench.open_case(message.case_id)

    def case_in_view(self) -> str | None:
        return self.table.current.id if self.table.current else None

    def action_cycle_sort(self) -> None:
        order = ("priority", "dpd", "amount")
        self.filter = replace(self.filter, sort=order[(order.index(self.filter.sort) + 1) % len(order)])
        self.reload(from_top=True)

    def action_pick_flag(self) -> None:
        def picked(flag: str | None) -> None:
            self.filter = replace(self.filter, flag=flag or None)
            self.reload()

        # start-up: not on the first paint
        from collector_tui.screens.flag_picker import FlagPicker
        from collector_tui.work.cases import flag_counts

        engine = self.workbench.engine
        self.app.push_screen(FlagPicker(lambda: flag_counts(engine)), picked)

    async def action_search(self) -> None:
        await self.focus_at_once(self.query_one(SearchField))

    def _search_changed(self, text: str) -> None:
        if text != self.filter.text:
            self.filter = replace(self.filter, text=text)
            self.reload(from_top=True)

    async def on_input_submitted(self, _event: Input.Submitted) -> None:
        await self.focus_at_once(self.table)

    async def action_clear(self) -> None:
        if self.filter != QueueFilter():
            self.filter = QueueFilter()
            self.query_one(SearchField).value = ""  # already the filter's text: no second reload
            self.reload()
        await self.focus_at_once(self.table)

    def action_cycle_stage(self) -> None:
        nxt = STAGES[(STAGES.index(self.filter.stage) + 1) % len(STAGES)]
        self.filter = replace(self.filter, stage=nxt)
        self.reload()

    def action_cycle_tier(self) -> None:
        nxt = TIERS[(TIERS.index(self.filter.tier) + 1) % len(TIERS)]
        self.filter = replace(self.filter, tier=nxt)
        self.reload()
