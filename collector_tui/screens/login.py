"""Sign in: whenever there is no usable token (none on this machine, or the server refused it). What was
recorded stays in the outbox meanwhile, and Esc leaves the sign-in to work on the cache offline.

The server is asked whose the token is (`GET /v1/me`): the workbench records work under that name. On a
machine without a keyring the token lives in this session's memory only.
"""

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
from collector_tui.screens.workbench import Workbench
from collector_tui.sync.client import ApiClient
from collector_tui.sync.credentials import NoCredentialStore, save_token
from collector_tui.sync.errors import SyncError
from collector_tui.sync.service import identify
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
        app = self.workbench
        with Vertical(id="login-box"):
            # The user, the address and the server's reason are text, not markup.
            title = (t("login.title", user=app.user, api=app.api) if app.user and app.api and app.token
                     else t("login.title_first"))
            yield Label(Text(title), classes="subtitle")
            yield Label(Text(self.reason), id="login-reason")
            # Only what is not known yet is asked for: the server's address, the user name, then the password.
            if not app.api:
                yield Label(t("login.api"))
                yield Input(placeholder="https://", id="api", compact=True)
            if not app.user:
                yield Label(t("login.user"))
                yield Input(id="user", compact=True)
            yield Label(t("login.password"))
            yield Input(password=True, id="password", compact=True)
            yield Label("", id="login-error", classes="error")
            yield Label(Text(t("login.offline_hint")), id="login-hint")

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    def _value(self, widget_id: str, default: str) -> str:
        found = self.query(f"#{widget_id}")
        return cast(Input, found.first()).value.strip() if found else default

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "password":
            self.focus_next()
            return
        api = self._value("api", self.workbench.api).rstrip("/")
        user = self._value("user", self.workbench.user)
        if not api or not user:
            self._failed(t("login.missing"))
            return
        self.sign_in(api, user, event.value)

    @work(thread=True, exclusive=True, group="login", exit_on_error=False)
    def sign_in(self, api: str, user: str, password: str) -> None:
        settings = self.workbench.settings
        try:
            with ApiClient(api, **transport(settings)) as client:
                token = client.login(user, password).access_token
            with ApiClient(api, token, **transport(settings)) as client:
                me = identify(client, user)
        except SyncError as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        kept = True
        try:
            save_token(api, me.id, token)
        except NoCredentialStore:
            kept = False  # no keyring here: the token lives in this session's memory only
        self.app.call_from_thread(self._signed_in, api, me.id, me.role, token, kept)

    def _failed(self, message: str) -> None:
        error = self.query_one("#login-error", Label)
        error.update(Text(message))
        error.display = True
        self.query_one("#password", Input).value = ""

    def _signed_in(self, api: str, user: str, role: str, token: str, kept: bool) -> None:
        app = self.workbench
        app.api, app.token = api, token
        app.signed_in_as(user, role)
        if not kept:
            self.notify(t("login.memory_only"), severity="warning", timeout=8)
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
