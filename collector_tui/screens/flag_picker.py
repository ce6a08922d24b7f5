"""Pick a risk flag to filter the queue by; each shows how many open cases carry it."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from collector_tui.locale import t
from collector_tui.widgets.i18n import localize_bindings


class FlagPicker(ModalScreen[str | None]):
    """Enter picks a flag; the first line clears the flag filter; Esc leaves it as it was."""

    CSS_PATH = "flag_picker.tcss"  # read when this screen first opens (app.tcss holds what the queue needs)

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss_none", "binding.back", id="flags.close")]

    def __init__(self, counts: dict[str, int]) -> None:
        super().__init__()
        localize_bindings(self)
        self.counts = counts

    def compose(self) -> ComposeResult:
        options = [Option(t("queue.all_flags"), id="")]
        options += [Option(f"{t(f'flagname.{flag}')}  ({n})", id=flag) for flag, n in self.counts.items()]
        yield OptionList(*options, id="flag-list")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id or "")

    def action_dismiss_none(self) -> None:
        self.app.pop_screen()
