"""Help built from the bindings active where it was opened, so it never disagrees with the keys."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from collector_tui.locale import t
from collector_tui.widgets.plain import TextTable


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "help.tcss"  # read when this screen first opens (app.tcss holds what the queue needs)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,f1,q", "dismiss", "binding.back", id="help.close"),
    ]

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        # Keys and descriptions are text ("[" is a key too): never read as markup.
        table = TextTable(title=t("help.title"), show_edge=False, header_style="bold")
        table.add_column(t("help.key"), no_wrap=True)
        table.add_column(t("help.action"))
        for key, description in self.rows:
            table.add_row(key, description)
        with VerticalScroll(id="help-body"):
            yield Static(table)
