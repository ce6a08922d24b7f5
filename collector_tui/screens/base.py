"""What every full-screen view of the workbench shares: localized keys, the app, the sync line."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from typing import TypeVar, cast

from textual import events
from textual._styles_cache import StylesCache
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
        self._fresh = True  # not shown yet: every node is styled as it mounts
        self._first_size: object = None  # the size of its first layout, until the screen hears of it

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        # Textual restyles every node of a screen as it is shown. A screen shown for the first time was styled
        # as it mounted, a moment before: styling it twice made opening a form cost nearly twice as much.
        if self._fresh:
            self._fresh = False
            event.refresh_styles = False
            self._first_size = self.app.size
        # Textual's own handler runs next (each class's handler runs, this one first).

    async def _on_resize(self, event: events.Resize) -> None:
        # That first showing lays the screen out at the terminal's size, which announces the screen's new size:
        # laying it out again at that same size, and every screen under it too, was a third of opening a form.
        if self._first_size is not None and event.size == self._first_size:
            event.stop()
            event.prevent_default()  # Textual's handler would lay it out again
        self._first_size = None

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

    def _on_unmount(self) -> None:
        # Textual drops a closed screen's watcher only when the watched value next changes: until the next
        # sync, every form or profile opened and closed stayed in memory, and each full collection walked it.
        watchers = getattr(self.app, "__watchers", {}).get("status_text")
        if watchers:
            watchers[:] = [(node, callback) for node, callback in watchers if node is not self]
        # Textual remembers each widget's background colours in a cache keyed by the widget's render cache, so
        # up to a thousand closed widgets' rendered lines stayed alive with it.
        StylesCache.get_inner_outer.cache_clear()
        # A closed form is tens of thousands of objects in cycles: collected now, once the screen under it has
        # painted, rather than by a collection that happens to fall in the next key (the next form opening).
        self.app.call_after_refresh(gc.collect)

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
