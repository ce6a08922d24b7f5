"""Pick a risk flag to filter the queue by; each shows how many open cases carry it."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from collector_tui.locale import t
from collector_tui.widgets.i18n import localize_bindings


class FlagPicker(ModalScreen[str | None]):
    """Enter picks a flag; the first line clears the flag filter; Esc leaves it as it was.

    The counts are read in a worker: on a big cache they take a tenth of a second, and the picker opens
    at once with the line that clears the filter already there.
    """

    CSS_PATH = "flag_picker.tcss"  # read when this screen first opens (app.tcss holds what the queue needs)

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss_none", "binding.back", id="flags.close")]

    def __init__(self, count_flags: Callable[[], dict[str, int]]) -> None:
        super().__init__()
        localize_bindings(self)
        self.count_flags = count_flags

    def compose(self) -> ComposeResult:
        yield OptionList(Option(t("queue.all_flags"), id=""), Option(t("queue.counting_flags"), disabled=True),
                         id="flag-list")

    def on_mount(self) -> None:
        self.count_worker()

    @work(thread=True, exit_on_error=False)
    def count_worker(self) -> None:
        counts = self.count_flags()
        self.app.call_from_thread(self._show, counts)

    def _show(self, counts: dict[str, int]) -> None:
        if not self.is_attached:
            return  # closed before the counts came
        options = self.query_one(OptionList)
        options.remove_option_at_index(1)  # the "counting" line
        options.add_options([Option(f"{t(f'flagname.{flag}')}  ({n})", id=flag) for flag, n in counts.items()])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id or "")

    def action_dismiss_none(self) -> None:
        self.app.pop_screen()
