"""Sign in again when the server no longer accepts the token; what was recorded stays in the outbox meanwhile."""

from __future__ import annotations

from typing import ClassVar, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from collector_tui.config import transport
from collector_tui.locale import t
from collector_tui.sync.client import ApiClient
from collector_tui.sync.errors import SyncError
from collector_tui.sync.credentials import NoCredentialStore, save_token
from collector_tui.screens.workbench import Workbench
from collector_tui.widgets.i18n import localize_bindings


class LoginScreen(ModalScreen[bool]):

    CSS_PATH = "login.tcss"  # read when this screen first opens (app.tcss holds what the queue needs)
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "binding.back", id="login.cancel")]

    def __init__(self, reason: str) -> None:
        super().__init__()
        localize_bindings(self)
        self.reason = reason

    @property
    def workbench(self) -> Workbench:
        return cast(Workbench, self.app)

    def compose(self) -> ComposeResult:
        with Vertical(id="login-box"):
            # The user, the address and the server's reason are text, not markup.
            yield Label(Text(t("login.title", user=self.workbench.user, api=self.workbench.api)), classes="subtitle")
            yield Label(Text(self.reason), id="login-reason")
            yield Input(password=True, placeholder=t("login.password"), id="password")
            yield Label("", id="login-error", classes="error")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.sign_in(event.value)

    @work(thread=True, exclusive=True, group="login", exit_on_error=False)
    def sign_in(self, password: str) -> None:
        app = self.workbench
        try:
            with ApiClient(app.api, **transport(app.settings)) as client:
                token = client.login(app.user, password).access_token
        except SyncError as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        try:
            save_token(app.api, app.user, token)
        except NoCredentialStore:
            pass  # no keyring here: the token lives in this session's memory only
        self.app.call_from_thread(self._signed_in, token)

    def _failed(self, message: str) -> None:
        error = self.query_one("#login-error", Label)
        error.update(Text(message))
        error.display = True
        self.query_one(Input).value = ""

    def _signed_in(self, token: str) -> None:
        self.workbench.token = token
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
