"""What every full-screen view of the workbench shares: localized keys, the app, the sync line."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TypeVar, cast

from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget

from collector_tui.screens.workbench import Workbench
from collector_tui.widgets.i18n import localize_bindings
from collector_tui.widgets.status_bar import StatusBar

ResultType = TypeVar("ResultType")


class WorkbenchScreen(Screen[ResultType]):
    # Textual repaints the whole screen when focus moves; the two widgets involved restyle and repaint
    # themselves, so on the queue a focus key costs a repaint of two widgets instead of every one.
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

    def __init__(self) -> None:
        super().__init__()
        localize_bindings(self)

    async def focus_at_once(self, widget: Widget) -> None:
        """Move the focus and paint the change in one frame.

        The widget losing the focus and the one gaining it restyle on their own turns; a frame painted in
        between shows half the change and holds the rest back a whole frame period. So no frame is painted
        until both have taken their turn.
        """
        if widget is self.focused:
            return
        turns = [w for w in (self.focused, widget) if w is not None]
        done = [asyncio.Event() for _ in turns]
        with self.app.batch_update():
            self.set_focus(widget)
            for turn, event in zip(turns, done):
                # Queued behind the Blur or Focus just posted to that widget; a widget already gone has
                # no turn to take.
                if not turn.call_later(event.set):
                    event.set()
            with contextlib.suppress(asyncio.TimeoutError):  # never hold the screen's frames for long
                await asyncio.wait_for(asyncio.gather(*(event.wait() for event in done)), timeout=0.5)
        self.check_idle()  # the screen paints when it next goes idle: that is now

    @property
    def workbench(self) -> Workbench:
        return cast(Workbench, self.app)

    def follow_status(self) -> None:
        """Keep this screen's sync line in step with the app's."""
        self.watch(self.app, "status_text", lambda text: setattr(self.query_one(StatusBar), "text", text))

    def case_in_view(self) -> str | None:
        """The case the screen's case actions (contact, plan) apply to; None where there is none."""
        return None

    def after_contact_saved(self) -> None:
        """Called when the contact form saved something for this screen's case."""

    def action_contact(self) -> None:
        case_id = self.case_in_view()
        if case_id:
            self.workbench.open_contact(case_id, self.after_contact_saved)

    def action_dial(self) -> None:
        case_id = self.case_in_view()
        if case_id:
            self.workbench.dial(case_id, self.after_contact_saved)

    def action_message(self) -> None:
        case_id = self.case_in_view()
        if case_id:
            self.workbench.open_message(case_id, self.after_contact_saved)

    def action_plan(self) -> None:
        case_id = self.case_in_view()
        if case_id:
            self.workbench.open_plan(case_id)
