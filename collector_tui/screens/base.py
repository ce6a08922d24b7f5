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

    def case_in_view(self) -> str | None:
        """The case the screen's case actions (contact, plan) apply to; None where there is none."""
        return None

    def after_contact_saved(self) -> None:
        """Called when the contact form saved something for this screen's case."""

    def action_contact(self) -> None:
        from collector_tui.screens.contact import ContactScreen

        case_id = self.case_in_view()
        if case_id:
            self.app.push_screen(ContactScreen(case_id), lambda saved: self.after_contact_saved() if saved else None)

    def action_plan(self) -> None:
        from collector_tui.screens.plan import PlanScreen

        case_id = self.case_in_view()
        if case_id:
            self.app.push_screen(PlanScreen(case_id))
