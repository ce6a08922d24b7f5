"""What the screens and widgets need from the app that hosts them, as a protocol: they never import the app.

The app (`collector_tui.app.CollectorApp`) is the one place that knows every screen: a screen that opens
another asks the app to (`open_case`, `open_contact`, `open_plan`), so no screen imports the app and the
screens import one another only downwards.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # the types alone: the queue's first frame loads neither the rules nor the database toolkit
    from collector_tui.config import Settings
    from collector_tui.domain.rules import Rules
    from collector_tui.work.cache import Cache
    from collector_tui.work.phone import Call
    from collector_tui.work.queue_view import FirstLook


class Workbench(Protocol):
    engine: Cache  # the home's cache, passed on to the use cases (collector_tui.work); opened on first use
    # The queue's first rows and counts read before the cache is open (None once it is): the first frame's.
    first_look: FirstLook | None
    settings: Settings
    rules: Rules  # the rule pack and thresholds the settings give
    api: str  # the server's address ("" when none is set)
    user: str  # the signed-in collector
    token: str | None  # set again by the sign-in screen when the server refused the old one
    display_tz: str  # the collector's own time zone, for times shown on screen
    status_text: str  # the sync line every screen shows (a reactive: screens watch it)
    clock: Callable[[], datetime]

    def sign_in(self, reason: str, then: Callable[[], None] | None = None) -> None:
        """Open the sign-in (there is no usable token, or work needs to know who is signed in)."""

    def signed_in_as(self, user: str, role: str | None = None) -> None:
        """The server named the token's user: work is recorded under that name from now on."""

    def refresh_status(self, syncing_cases: int | None = None) -> None:
        """Re-read the sync line (outbox counts change as entries are fixed or discarded)."""

    def after_local_work(self, case_id: str) -> None:
        """Something was recorded on `case_id`: the footer and the case's place in the queue follow."""

    def open_case(self, case_id: str) -> None:
        """Show the case's profile."""

    def open_contact(self, case_id: str, on_saved: Callable[[], None], *, number: str | None = None,
                     call: Call | None = None) -> None:
        """Open the contact form on the case (on `number`, timing `call`); `on_saved` runs when it saved something."""

    def dial(self, case_id: str, on_saved: Callable[[], None]) -> None:
        """Dial the case's number through the softphone (the rules first, the audit log always), then the form."""

    def hang_up(self, call: Call) -> None:
        """End a call: its timer stops now, the softphone is told off the UI thread."""

    def open_message(self, case_id: str, on_sent: Callable[[], None]) -> None:
        """Open the message form (SMS or e-mail) on the case; `on_sent` runs when one was recorded."""

    def open_plan(self, case_id: str) -> None:
        """Open the repayment-plan form on the case."""

    def action_command_palette(self) -> None:
        """Open the command palette."""
