"""A yes/no question: discarding an outbox entry, leaving a form with typed work, quitting with it."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from collector_tui.locale import t
from collector_tui.widgets.i18n import localize_bindings


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; y or Enter on "yes" confirms, n or Esc declines (the focus starts on "no")."""

    CSS_PATH = "confirm.tcss"  # read when a question is first asked (app.tcss holds what the queue needs)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "binding.yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "binding.no", id="confirm.no"),
    ]

    def __init__(self, question: str, *, yes: str | None = None, no: str | None = None) -> None:
        super().__init__()
        localize_bindings(self)
        self.question = question
        self.yes, self.no = yes or t("outbox.yes"), no or t("outbox.no")

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Label(Text(self.question))  # names a case or an entry: text, not markup
            with Horizontal():
                yield Button(Text(f"{self.yes} (y)"), variant="error", id="yes")
                yield Button(Text(f"{self.no} (n)"), id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)
