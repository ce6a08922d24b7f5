"""Callbacks: today's (the collector's day) and the missed ones not yet followed up, each in the customer's time
and the collector's own; Enter opens the case, c logs the contact, d dials."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from collector_tui.domain.masking import mask_name
from collector_tui.locale import t
from collector_tui.screens.base import WorkbenchScreen
from collector_tui.widgets.key_bar import KeyBar
from collector_tui.widgets.plain import cells
from collector_tui.widgets.status_bar import StatusBar
from collector_tui.work.callbacks import CallbackItem, callbacks, counts, missed_today

STYLE = {"due": "bold yellow", "missed": "bold red", "late": "red", "done": "green", "upcoming": ""}


class CallbacksScreen(WorkbenchScreen[None]):
    """The callbacks to make today and those missed."""

    DEFAULT_CSS = """
    CallbacksScreen #callbacks-table { height: 1fr; }
    CallbacksScreen #callbacks-summary { height: auto; padding: 0 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "binding.back", id="callbacks.back"),
        Binding("c", "contact", "binding.contact", id="callbacks.contact"),
        Binding("d", "dial", "binding.dial", id="callbacks.dial"),
        Binding("j", "cursor('down')", "binding.down", show=False, id="callbacks.down"),
        Binding("k", "cursor('up')", "binding.up", show=False, id="callbacks.up"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: list[CallbackItem] = []

    def compose(self) -> ComposeResult:
        yield Static(id="callbacks-title", classes="title")
        yield Static(id="callbacks-summary")
        yield DataTable(id="callbacks-table", cursor_type="row", zebra_stripes=True)
        yield Static(t("callbacks.empty"), id="callbacks-empty", classes="empty")
        yield StatusBar(id="status")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        # Every time says whose clock it is: the customer's, and the collector's own zone by name.
        table.add_columns(t("callbacks.col_state"), t("callbacks.col_case"), t("callbacks.col_customer"),
                          t("callbacks.col_theirs"), t("callbacks.col_yours", tz=self.workbench.display_tz),
                          t("callbacks.col_note"))
        self.follow_status()
        self.reload()
        table.focus()

    def reload(self) -> None:
        """Re-read the callbacks (after a contact, a sync, or as the clock moves), the cursor staying on its row."""
        kept = self.current.id if self.current else None
        now, tz = self.workbench.clock(), self.workbench.display_tz
        self.items = callbacks(self.workbench.engine, now, tz)
        today = now.astimezone(ZoneInfo(tz))
        self.query_one("#callbacks-title", Static).update(Text(t("callbacks.title", day=f"{today:%Y-%m-%d}", tz=tz)))
        n = counts(self.items)
        self.query_one("#callbacks-summary", Static).update(Text(t(
            "callbacks.summary", due=n.get("due", 0), upcoming=n.get("upcoming", 0), done=n.get("done", 0),
            missed=missed_today(self.items, now, tz), open=n.get("missed", 0))))
        table = self.query_one(DataTable)
        table.clear()
        for item in self.items:
            theirs = item.at.astimezone(ZoneInfo(item.timezone))
            mine = item.at.astimezone(ZoneInfo(tz))
            state = t(f"callbacks.state_{item.state}") + (f" · {t('callbacks.not_synced')}" if item.local else "")
            table.add_row(Text(state, style=STYLE.get(item.state, "")),
                          *cells(item.case_id, mask_name(item.customer_name), f"{theirs:%m-%d %H:%M} {item.timezone}",
                                 f"{mine:%m-%d %H:%M}", item.note), key=item.id)
        rows = [i.id for i in self.items]
        if kept in rows:
            table.move_cursor(row=rows.index(kept))
        self.query_one("#callbacks-empty").display = not self.items

    @property
    def current(self) -> CallbackItem | None:
        table = self.query_one(DataTable)
        if not self.items or table.cursor_row is None or table.cursor_row >= len(self.items):
            return None
        return self.items[table.cursor_row]

    def case_in_view(self) -> str | None:
        return self.current.case_id if self.current else None

    def after_contact_saved(self) -> None:
        self.reload()

    def on_data_table_row_selected(self, _event: DataTable.RowSelected) -> None:
        case_id = self.case_in_view()
        if case_id:
            self.workbench.open_case(case_id)

    def action_cursor(self, direction: str) -> None:
        table = self.query_one(DataTable)
        move: Callable[[], None] = table.action_cursor_down if direction == "down" else table.action_cursor_up
        move()

    def action_back(self) -> None:
        self.app.pop_screen()
