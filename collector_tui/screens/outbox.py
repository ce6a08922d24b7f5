"""The outbox: what waits to be pushed and what the server refused, with its reason; fix, resubmit or discard."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static, TextArea

from collector_tui.locale import t
from collector_tui.locale.render import entry_what, entry_when
from collector_tui.screens.base import WorkbenchScreen
from collector_tui.screens.confirm import ConfirmScreen
from collector_tui.work import outbox
from collector_tui.work.identity import NoUser
from collector_tui.widgets.i18n import localize_bindings
from collector_tui.widgets.key_bar import KeyBar
from collector_tui.work.limits import PAYLOADS, payload_errors
from collector_tui.widgets.plain import cells
from collector_tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    pass


class EntryEditor(ModalScreen[dict | None]):
    """The payload of a refused entry as JSON, to correct and resubmit; bad JSON is shown, nothing lost."""

    CSS_PATH = "outbox.tcss"  # read when this screen first opens (app.tcss holds what the queue needs)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "binding.resubmit", id="editor.save"),
        Binding("escape", "cancel", "binding.back", id="editor.cancel"),
    ]

    def __init__(self, entry: outbox.Entry) -> None:
        super().__init__()
        localize_bindings(self)
        self.entry = entry

    def compose(self) -> ComposeResult:
        with Vertical(id="editor-box"):
            # The server's reason is text, not markup.
            yield Label(Text(f"{self.entry.type} · {self.entry.case_id}\n{self.entry.last_error or ''}"),
                        id="editor-reason")
            yield TextArea(json.dumps(self.entry.payload, ensure_ascii=False, indent=2), language=None,
                           id="editor-text")
            yield Label("", id="editor-error")
            yield KeyBar()

    def action_save(self) -> None:
        text = self.query_one(TextArea).text
        try:
            payload = json.loads(text)
            if not isinstance(payload, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            self.query_one("#editor-error", Label).update(Text(t("outbox.bad_json", error=str(exc))))
            return
        # What the server would refuse again is refused here, each field named with its limit; the entry stays.
        refused = payload_errors(self.entry.type, payload, entered={}) if self.entry.type in PAYLOADS else []
        if refused:
            self.query_one("#editor-error", Label).update(
                Text("\n".join(f"{e.field}: {t(e.key, **e.params)}" for e in refused)))
            return
        self.dismiss(payload)

    def action_cancel(self) -> None:
        self.dismiss(None)


class OutboxScreen(WorkbenchScreen[None]):
    """Every entry not yet on the server, oldest first."""

    CSS_PATH = "outbox.tcss"  # read when this screen first opens (app.tcss holds what the queue needs)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "binding.back", id="outbox.back"),
        Binding("e,enter", "edit", "binding.fix", id="outbox.edit"),
        Binding("R", "retry", "binding.retry", id="outbox.retry"),
        Binding("x", "discard", "binding.discard", id="outbox.discard"),
        Binding("j", "cursor('down')", "binding.down", show=False, id="outbox.down"),
        Binding("k", "cursor('up')", "binding.up", show=False, id="outbox.up"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: list[outbox.Entry] = []

    def compose(self) -> ComposeResult:
        yield Static(t("outbox.title"), classes="title", id="outbox-title")
        yield DataTable(id="outbox-table", cursor_type="row", zebra_stripes=True)
        yield Static(t("outbox.empty"), id="outbox-empty", classes="empty")
        yield StatusBar(id="status")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        # When (on the collector's clock, named), what in words, and who: never the bare type ids.
        table.add_columns(t("outbox.col_when", tz=self.workbench.display_tz), t("outbox.col_what"),
                          t("outbox.col_case"), t("outbox.col_who"), t("outbox.col_state"), t("outbox.col_tries"),
                          t("outbox.col_reason"))
        self.follow_status()
        self.reload()
        table.focus()

    def reload(self) -> None:
        """Re-read the entries (after a push, or a write by another process), the cursor staying on its entry."""
        kept = self.current.id if self.current else None
        self.items = outbox.entries(self.workbench.engine)
        table = self.query_one(DataTable)
        table.clear()
        for e in self.items:
            table.add_row(*cells(entry_when(e.occurred_at, self.workbench.display_tz), entry_what(e.type, e.payload),
                                 e.case_id, outbox.who(e, self.workbench.user), t(f"outbox.state_{e.state}"),
                                 str(e.attempts), e.last_error or ""), key=e.id)
        rows = [e.id for e in self.items]
        if kept in rows:
            table.move_cursor(row=rows.index(kept))
        self.query_one("#outbox-empty").display = not self.items
        self.workbench.refresh_status()

    @property
    def current(self) -> outbox.Entry | None:
        table = self.query_one(DataTable)
        if not self.items or table.cursor_row is None or table.cursor_row >= len(self.items):
            return None
        return self.items[table.cursor_row]

    def action_cursor(self, direction: str) -> None:
        table = self.query_one(DataTable)
        table.action_cursor_down() if direction == "down" else table.action_cursor_up()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_edit(self) -> None:
        entry = self.current
        if entry is None:
            return

        def saved(payload: dict | None) -> None:
            if payload is not None:
                outbox.retry(self.workbench.engine, entry.id, payload)
                self.notify(t("outbox.resubmitted"))
                self.reload()

        self.app.push_screen(EntryEditor(entry), saved)

    def action_retry(self) -> None:
        entry = self.current
        if entry is not None and outbox.retry(self.workbench.engine, entry.id):
            self.notify(t("outbox.resubmitted"))
            self.reload()

    def action_discard(self) -> None:
        entry = self.current
        if entry is None:
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                outbox.discard(self.workbench.engine, entry.id, actor=self.workbench.user, at=self.workbench.clock())
            except NoUser:
                self.workbench.sign_in(t("login.reason_no_user"))  # nothing is discarded under no name
                return
            self.reload()

        question = (t("outbox.discard_contact", case=entry.case_id) if entry.type == "contact.logged"
                    else t("cli.outbox_confirm", type=entry_what(entry.type, entry.payload), case=entry.case_id))
        self.app.push_screen(ConfirmScreen(question), answered)
