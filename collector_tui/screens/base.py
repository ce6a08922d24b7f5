"""What every full-screen view of the workbench shares: localized keys, the app, the sync line."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from textual.screen import Screen

from collector_tui.widgets.i18n import localize_bindings
from collector_tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from collector_tui.app import CollectorApp

ResultType = TypeVar("ResultType")


class WorkbenchScreen(Screen[ResultType]):
    def __init__(self) -> None:
        super().__init__()
        localize_bindings(self)

    @property
    def workbench(self) -> CollectorApp:
        return self.app  # type: ignore[return-value]

    def follow_status(self) -> None:
        """Keep this screen's sync line in step with the app's."""
        self.watch(self.workbench, "status_text", lambda text: setattr(self.query_one(StatusBar), "text", text))
