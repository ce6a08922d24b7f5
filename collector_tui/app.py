"""The Textual app: screens, global keys, and the sync worker that keeps the network off the UI thread.

The app is the one module that knows every screen; the screens see it as a `screens.workbench.Workbench` and
ask it to open one another. Screens other than the queue are imported when they first open (marked
"start-up" where they are): the first paint needs only the queue, and the others together cost about 100 ms
to import (the sign-in screen's keyring alone about 50 ms, the contact form 10 to 20 ms).

Handed the cache's path rather than an open engine (as `collector-tui` does), the app draws its first frame
from a first look at the cache through sqlite3 alone (work.queue_view) and opens the cache in a worker once
that frame is up: the database toolkit, the sync client and what the use cases import load while the
collector already reads the queue. Whatever needs the cache before then opens it on the spot.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar
from zoneinfo import ZoneInfo

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer

from collector_tui import crash
from collector_tui.config import Settings, build_rules, transport
from collector_tui.domain.masking import mask_name
from collector_tui.domain.zones import DEFAULT_ZONE
from collector_tui.locale import set_locale, t
from collector_tui.locale.render import check_text, when_text
from collector_tui.screens.queue import QueueScreen
from collector_tui.widgets.case_commands import CaseCommands
from collector_tui.widgets.case_table import PAGE
from collector_tui.widgets.i18n import localize_bindings
from collector_tui.widgets.status_bar import describe
from collector_tui.work.queue_view import FirstLook, first_look

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from collector_tui.domain.rules import Rules
    from collector_tui.screens.contact import ContactScreen

    from collector_tui.work import phone, screen_pop
    from collector_tui.work.callbacks import CallbackItem


def utc_now() -> datetime:
    """The workbench's clock, unless it is handed another (tests)."""
    return datetime.now(UTC)


class CollectorApp(App[None]):
    """The collector's workbench on one home's cache."""

    CSS_PATH = "app.tcss"
    FOLLOW_WRITES_S = 2.0  # how often to look for writes to the cache by another process
    CALL_POLL_S = 0.25  # how often to look whether a running dial command has ended
    CALLBACK_CHECK_S = 15.0  # how often to look for callbacks coming due
    COMMANDS = App.COMMANDS | {CaseCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "binding.quit", id="app.quit"),
        Binding("r", "sync", "binding.sync", id="app.sync"),
        Binding("question_mark,f1", "help", "binding.help", id="app.help"),
        Binding("o", "outbox", "binding.outbox", id="app.outbox"),
        Binding("T", "team", "binding.team", id="app.team"),
        # A collector's T: not in the key bar, but it says why there is no Team screen instead of doing nothing.
        Binding("T", "team_refused", "binding.team", show=False, id="app.team_refused"),
        Binding("b", "callbacks", "binding.callbacks", id="app.callbacks"),
        Binding("D", "today", "binding.today", id="app.today"),
    ]

    status_text: reactive[str] = reactive("")
    syncing: reactive[bool] = reactive(False)
    crashed: crash.Crash | None = None  # the first unhandled error: its one line and its log (the command prints it)

    def __init__(self, engine: Engine | Path, *, settings: Settings, api: str = "", user: str = "",
                 token: str | None = None, clock: Callable[[], datetime] = utc_now, home: Path | None = None,
                 check_sign_in: bool = False, token_loader: Callable[[], str | None] | None = None) -> None:
        set_locale(settings.locale)
        settings.validate()  # a bad setting (a key binding of 5) is refused here, before any screen is built
        super().__init__()
        localize_bindings(self)
        # An engine is used as it is; a path is looked at first and opened after the first frame (see above).
        self._engine: Engine | None = None if isinstance(engine, Path) else engine
        self._cache_path = engine if isinstance(engine, Path) else None
        self._opening = threading.Lock()
        self.first_look: FirstLook | None = first_look(engine, PAGE) if isinstance(engine, Path) else None
        self.settings = settings
        self.api = api
        self.user = user
        self.token = token
        # Where the token is kept when none is handed (the OS keyring): asked with the cache's opening, after the
        # first frame, for a keyring may take long to answer; until then the sync line counts on one.
        self._token_loader = token_loader
        if token_loader is not None and self.first_look is None:
            self.token = token_loader()
        self.clock = clock
        self._rules: Rules | None = None  # built when first asked for: the first frame places no case
        if self.first_look is not None:
            role, zone = self.first_look.role, self.first_look.timezone
        else:
            from collector_tui.work.status import me as collector  # start-up: the cache is open already

            found = collector(self.engine)
            role, zone = (found.role, found.timezone) if found else (None, None)
        self.display_tz = zone or DEFAULT_ZONE
        self.is_lead = role == "lead"
        self.title = t("app_title")
        self._calls: list[phone.Call] = []  # calls whose dial command still runs
        self._call_timer: Timer | None = None
        self._contact_form: ContactScreen | None = None  # installed when the form first opens (open_contact)
        self._alerted: set[str] = set()  # callbacks already announced as due
        self.home = home  # where a dialer's screen-pop finds this workbench (none: it listens for none)
        # Started by the command: make sure of a usable token at once (ask the server whose it is), and open the
        # sign-in when there is none or the server refuses it (tests start the app on a cache, offline).
        self.check_sign_in = check_sign_in

    @property
    def rules(self) -> Rules:
        """The rule pack and thresholds the settings give."""
        if self._rules is None:
            self._rules = build_rules(self.settings)
        return self._rules

    @property
    def engine(self) -> Engine:
        """The home's cache: opened here when something needs it before the worker that opens it has."""
        if self._engine is None:
            with self._opening:
                if self._engine is None:
                    from collector_tui.storage.engine import open_engine  # start-up: after the first frame

                    assert self._cache_path is not None
                    self._engine = open_engine(self._cache_path)
        return self._engine

    def get_default_screen(self) -> Screen[object]:
        # The queue is the bottom screen itself: no blank screen is composed and painted under it first.
        return QueueScreen()

    # --- crashes ----------------------------------------------------------------------------------
    def _handle_exception(self, error: Exception) -> None:
        """An unhandled error ends the workbench. Textual would print every frame's local variables (the token,
        a debtor's data) and exit 0: the traceback goes to a private log without them, the command prints one
        line naming it, and the exit status is 70."""
        from collector_tui.storage.engine import CacheDamaged  # start-up: only when something went wrong

        damage = crash.found(error, CacheDamaged)
        if self.crashed is None and damage is not None:
            # A page of the cache went bad under a query: no fault of the program, so no log and no traceback;
            # the message every command gives (the file, that it is kept, how to recover), exit 1 like them.
            self.crashed = crash.Crash(str(damage), None, crash.FAILED_STATUS)
        elif self.crashed is None:
            self.crashed = crash.report(error)
        else:
            crash.add_to_log(self.crashed.log, error)
        super()._handle_exception(error)  # closes the app (and hands the error to a test's pilot)
        self._return_code = self.crashed.status
        self._exit_renderables.clear()  # nothing of Textual's own report reaches the terminal

    def _fatal_error(self) -> None:
        # Textual's report, locals and all, is not even built: the log has the traceback.
        self.bell()
        self._close_messages_no_wait()

    def on_mount(self) -> None:
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        if self.settings.keys:
            self.set_keymap(self.settings.keys)
        if self.first_look is None:
            self.follow_cache()
            return
        signed_in = bool((self.token or self._token_loader) and self.api)
        self.status_text = describe(self.first_look.status, signed_in=signed_in)
        self.call_after_refresh(self.open_cache_worker)

    @work(thread=True, exclusive=True, group="open", exit_on_error=False)
    def open_cache_worker(self) -> None:
        """Open the cache (and load the database toolkit) while the first frame is on screen."""
        # start-up: after the first frame
        from collector_tui.storage.engine import CacheUnreadable
        from collector_tui.storage.migrations import SchemaTooNew

        try:
            self.engine  # noqa: B018 - opens it
        except (SchemaTooNew, CacheUnreadable) as exc:
            self.call_from_thread(self.exit, return_code=1, message=str(exc))
            return
        token = self._token_loader() if self._token_loader is not None and self.token is None else self.token
        self.call_from_thread(self._cache_opened, token)

    def _cache_opened(self, token: str | None) -> None:
        self.token = self.token or token  # a sign-in in the meantime has the newer one
        self.first_look = None  # the screens read through the use cases from now on
        self.follow_cache()
        self._reload_queue()

    def follow_cache(self) -> None:
        """Keep up with the cache once it is open: the sync line, other processes' writes, the clock, callbacks,
        a dialer's screen-pop and who the token names."""
        from collector_tui.storage.engine import generation  # start-up: after the first frame

        self.refresh_status()
        # Another process may write the cache (`collector-tui sync` from cron or a second terminal): one
        # look at the write-ahead log now and then, and the screens re-read what changed.
        self._seen = generation(self.engine)  # the cache as the screens last read it
        self.set_interval(self.FOLLOW_WRITES_S, self.follow_writes)
        # Blocked cases become callable as the clock moves: re-order when the stored order is stale.
        self.set_interval(60, self.reorder_if_due)
        self.reorder_if_due()
        # A callback coming due is announced on whatever screen is open, and its case moves up the queue.
        self.set_interval(self.CALLBACK_CHECK_S, self.check_callbacks)
        self.check_callbacks()
        if self.home is not None:
            self.pop_listener()
        if self.check_sign_in:
            self.ensure_signed_in()

    def follow_writes(self) -> None:
        from collector_tui.storage.engine import generation  # start-up: after the first frame

        # Our own workers re-read when they end (and mark what they read): only other writes are left here. A
        # re-placing helper's commits are our own too: re-reading the queue after each one cost keys seconds.
        replacing = any(w.group == "reorder" and not w.is_finished for w in self.workers)
        if generation(self.engine) != self._seen and not self.syncing and not replacing:
            self._reload_queue()
            self.refresh_status()

    def on_ready(self) -> None:
        # What was built to start the workbench (modules, styles, the first screen) lives as long as the app:
        # kept out of the collector's scans, a full collection in the middle of a keypress scans only what the
        # session has made since, not the whole start-up's worth (a long pause on a busy queue otherwise).
        gc.freeze()
        gc.enable()  # collector-tui starts with collections off until this first frame (launch.py)

    def reorder_if_due(self) -> None:
        # Due: a placement went stale with the clock, or the settings now give other rules than the
        # queue was placed with (both re-placed by refresh_queue, off the UI thread).
        from collector_tui.storage.queue_build import queue_due, rules_changed  # start-up: after the first frame

        if not self.syncing and (queue_due(self.engine, self.clock()) or rules_changed(self.engine, self.rules)):
            self.reorder_worker()

    @work(thread=True, exclusive=False, group="reorder", exit_on_error=False)
    def reorder_worker(self, case_id: str | None = None) -> None:
        """Re-place one case after local work on it, or whatever went stale with the clock."""
        from collector_tui.storage.queue_build import refresh_queue, replace_cases  # start-up: after the first frame

        if case_id is not None:
            replace_cases(self.engine, [case_id], self.clock(), self.rules)
        else:
            refresh_queue(self.engine, self.clock(), self.rules)
        self.call_from_thread(self._reload_queue)

    def _reload_queue(self) -> None:
        """Screens that show cached lists re-read them (queue, outbox) after a sync or a re-order."""
        from collector_tui.storage.engine import generation  # start-up: after the first frame

        self._seen = generation(self.engine)
        for screen in self.screen_stack:
            reload = getattr(screen, "reload", None)
            # A screen still mounting reads the cache itself when it mounts (its table has no columns yet).
            if callable(reload) and screen.is_mounted:
                reload()

    def refresh_status(self, syncing_cases: int | None = None) -> None:
        from collector_tui.storage import state  # start-up: after the first frame

        self.status_text = describe(state.status(self.engine), syncing_cases=syncing_cases,
                                    signed_in=bool(self.token and self.api))

    # --- who is signed in ----------------------------------------------------------------------------
    def ensure_signed_in(self) -> None:
        """Without a token, the sign-in opens; with one, the server is asked whose it is (in a worker)."""
        if not (self.api and self.token):
            self.sign_in(t("login.reason_no_token"))
        else:
            self.identify_worker()

    def sign_in(self, reason: str, then: Callable[[], None] | None = None) -> None:
        """Open the sign-in (once); `then` runs after a successful sign-in. Esc leaves it: the cache still works."""
        from collector_tui.screens.login import LoginScreen  # start-up: the keyring is slow to import

        if any(isinstance(screen, LoginScreen) for screen in self.screen_stack):
            return
        self.push_screen(LoginScreen(reason), lambda ok: then() if ok and then else None)

    @work(thread=True, exclusive=True, group="identify", exit_on_error=False)
    def identify_worker(self) -> None:
        """Ask the server whose the token is; a refused token opens the sign-in, no network leaves things be."""
        # start-up: the sync client (httpx) loads in this worker, after the first frame
        from collector_tui.sync.client import ApiClient
        from collector_tui.sync.errors import AuthError, SyncError
        from collector_tui.sync.service import identify

        assert self.token is not None
        try:
            with ApiClient(self.api, self.token, **transport(self.settings)) as client:
                me = identify(client, self.user)
        except AuthError as exc:
            self.call_from_thread(self.sign_in, str(exc))
            return
        except SyncError:
            return  # offline: the cache still works; the next sync asks again
        self.call_from_thread(self.signed_in_as, me.id, me.role)

    def signed_in_as(self, user: str, role: str | None = None) -> None:
        """The server named the token's user: work is recorded under that name from now on."""
        self.user = user
        if role is not None and self.is_lead != (role == "lead"):
            self.is_lead = role == "lead"
            self.refresh_bindings()
        self.refresh_status()

    async def action_quit(self) -> None:
        """Quit, unless a form holds typed work that is not saved: then ask first (nothing is lost unasked)."""
        from collector_tui.screens.confirm import ConfirmScreen  # start-up: only when quitting

        unsaved = [what for screen in self.screen_stack
                   if (what := getattr(screen, "unsaved_work", lambda: None)())]
        if not unsaved:
            self.exit()
        elif not isinstance(self.screen, ConfirmScreen):
            self.push_screen(ConfirmScreen(t("quit.unsaved", what="; ".join(unsaved)), yes=t("quit.yes"),
                                           no=t("quit.no")),
                             lambda yes: self.exit() if yes else None)

    # --- sync -------------------------------------------------------------------------------------
    def action_sync(self) -> None:
        if not (self.api and self.token):
            # No usable token: sign in, and the sync starts when that succeeds.
            self.sign_in(t("login.reason_no_token"), then=self.action_sync)
            return
        if self.syncing:
            return
        self.syncing = True
        self.refresh_status(syncing_cases=0)
        self.sync_worker()

    @work(thread=True, exclusive=True, group="sync", exit_on_error=False)
    def sync_worker(self) -> None:
        """Runs in a thread: the UI keeps answering keys from the cache while the network works."""
        # start-up: the sync loads in its worker
        from collector_tui.storage import state
        from collector_tui.sync.errors import AuthError, SyncError
        from collector_tui.sync.service import run_sync

        assert self.token is not None
        error: str | None = None
        auth_failed = False
        try:
            run_sync(self.engine, self.api, self.user, self.token, page_size=self.settings.page_size,
                     progress=lambda r: self.call_from_thread(self.refresh_status, r.upserted),
                     now=self.clock, rules=self.rules, client_options=transport(self.settings))
        except AuthError as exc:
            error, auth_failed = str(exc), True
        except SyncError as exc:
            error = str(exc)
        except Exception as exc:  # noqa: BLE001 - a sync fault must never take the workbench down
            error = f"{type(exc).__name__}: {exc}"
            state.record_sync_error(self.engine, error)
        self.call_from_thread(self._sync_finished, error, auth_failed)

    def _sync_finished(self, error: str | None, auth_failed: bool = False) -> None:
        from collector_tui.storage import state  # start-up: after the first frame

        self.syncing = False
        me = state.me(self.engine)  # the sync asked the server whose the token is and bound the home to that user
        if me is not None and not error:
            self.signed_in_as(me.id, me.role)
        self.refresh_status()
        self._reload_queue()
        if auth_failed:
            # Ask for the password again; nothing recorded is touched, and a successful sign-in syncs at once.
            self.sign_in(error or "", then=self.action_sync)
        elif error:
            self.notify(t("cli.sync_failed", reason=error), severity="error", timeout=8, markup=False)

    # --- screens the others open (screens.workbench.Workbench) --------------------------------------
    def open_case(self, case_id: str) -> None:
        from collector_tui.screens.profile import ProfileScreen  # start-up: not on the first paint

        self.push_screen(ProfileScreen(case_id))

    def open_contact(self, case_id: str, on_saved: Callable[[], None], *, number: str | None = None,
                     call: phone.Call | None = None) -> None:
        from collector_tui.screens.contact import ContactScreen  # start-up: only when the form first opens

        # One form per session, re-bound to each case: building it anew cost several times a one-widget screen.
        form = self._contact_form
        if form is not None and form in self.screen_stack:
            # The kept form is open (a screen-pop over it): it is never re-bound under the collector; this
            # one is removed when left.
            form = ContactScreen(case_id, number=number, call=call)
        elif form is None or not form.rebind(case_id, number, call):
            if form is not None:  # it cannot hold this case: the new one is kept instead
                self.uninstall_screen(form)
                form.remove()
            form = ContactScreen(case_id, number=number, call=call)
            self.install_screen(form, name="contact")
            self._contact_form = form
        self.push_screen(form, lambda saved: on_saved() if saved else None)

    def open_message(self, case_id: str, on_sent: Callable[[], None]) -> None:
        from collector_tui.screens.message import MessageScreen  # start-up: not on the first paint

        self.push_screen(MessageScreen(case_id), lambda sent: on_sent() if sent else None)

    def open_plan(self, case_id: str) -> None:
        from collector_tui.screens.plan import PlanScreen  # start-up: not on the first paint

        self.push_screen(PlanScreen(case_id))

    # --- the phone (work.phone; docs/phone.md) ------------------------------------------------------
    def dial(self, case_id: str, on_saved: Callable[[], None]) -> None:
        """Check, audit and dial the case's number, then open the contact form on it with the call's timer."""
        from collector_tui.work import phone  # start-up: the phone desk, not on the first paint

        try:
            placed = phone.dial(self.engine, self.rules, case_id, now=self.clock(), actor=self.user,
                                command=self.settings.dial_command)
        except phone.Blocked as exc:
            d = exc.decision
            self.notify(t("phone.refused", why=t("form.blocked", rule=d.rule, why=check_text(d.reason, d.params),
                                                when=when_text(d.next_allowed_at, self.display_tz))),
                        severity="error", timeout=8, markup=False)
            return
        except (phone.NoNumber, phone.UnknownCase):
            self.notify(t("phone.no_number", case=case_id), severity="error", markup=False)
            return
        except phone.NoUser:
            self.sign_in(t("login.reason_no_user"))  # sign in, then dial again
            return
        call = phone.Call(case_id, placed.number, self.clock())
        if placed.argv:
            try:
                call.process = phone.launch(placed.argv)
            except phone.DialFailed as exc:
                self.notify(t("phone.command_failed", error=str(exc)), severity="error", timeout=8, markup=False)
                return
            self._calls.append(call)
            if self._call_timer is None:
                self._call_timer = self.set_interval(self.CALL_POLL_S, self._poll_calls)
            self.notify(t("phone.dialling", number=placed.masked), markup=False)
        else:
            self.copy_to_clipboard(placed.number)  # OSC 52: the collector's terminal puts it on the clipboard
            self.notify(t("phone.copied", number=placed.masked), markup=False)
        self.open_contact(case_id, on_saved, number=placed.number, call=call)

    def _poll_calls(self) -> None:
        """A dial command that ended: with `dial_waits` (or a failure) the call ended with it."""
        for call in list(self._calls):
            code = call.process.poll() if call.process is not None else 0
            if code is None:
                continue
            self._calls.remove(call)
            if not call.running:
                continue
            if code != 0:
                self.notify(t("phone.command_exit", code=code), severity="error", timeout=8)
            if code != 0 or self.settings.dial_waits:
                self._end_call(call)
        if not self._calls and self._call_timer is not None:
            self._call_timer.stop()
            self._call_timer = None

    def hang_up(self, call: phone.Call) -> None:
        if not call.running:
            return
        self._end_call(call)
        self.hang_up_worker(call)

    def _end_call(self, call: phone.Call) -> None:
        call.end(self.clock())
        for screen in self.screen_stack:
            if getattr(screen, "call", None) is call:
                screen.call_ended()  # type: ignore[attr-defined]

    @work(thread=True, group="phone", exit_on_error=False)
    def hang_up_worker(self, call: phone.Call) -> None:
        """The softphone's side of hanging up: its dial command stopped, its hang-up command run."""
        from collector_tui.work import phone  # start-up: the phone desk, not on the first paint

        try:
            phone.hang_up(call, self.settings.hangup_command)
        except phone.DialFailed as exc:
            self.call_from_thread(self.notify, t("phone.command_failed", error=str(exc)), severity="error",
                                  timeout=8, markup=False)

    @work(exclusive=True, group="screen-pop", exit_on_error=False)
    async def pop_listener(self) -> None:
        """A dialer's screen-pop (`collector-tui pop`) on the home's socket, for as long as the workbench runs."""
        from collector_tui.work import screen_pop  # start-up: listened for once the cache is open

        assert self.home is not None
        try:
            server = await screen_pop.listen(self.home, self.screen_pop)
        except screen_pop.InUse:
            self.notify(t("pop.in_use"), severity="warning", timeout=8)
            return
        except OSError as exc:
            self.notify(t("pop.cannot_listen", error=exc.strerror or str(exc)), severity="warning", timeout=8,
                        markup=False)
            return
        try:
            await server.serve_forever()
        finally:
            screen_pop.close(server, self.home)

    async def screen_pop(self, pop: screen_pop.Pop) -> str | None:
        """A dialer connected a call: the case's profile with the contact form on that number, its timer running."""
        # start-up: the phone desk, not on the first paint
        from collector_tui.work import phone
        from collector_tui.work.cases import case_facts

        facts = case_facts(self.engine, pop.case_id)
        if facts is None:
            return "unknown_case"
        known = pop.number in {p.number for p in facts.phones}
        self.open_case(pop.case_id)
        profile = self.screen_stack[-1]
        on_saved = getattr(profile, "after_contact_saved", lambda: None)
        self.open_contact(pop.case_id, on_saved, number=pop.number if known else None,
                          call=phone.Call(pop.case_id, pop.number, self.clock()))
        self.bell()
        other = "" if known or not pop.number else " " + t("pop.other_number")
        self.notify(t("pop.connected", case=pop.case_id) + other, markup=False)
        return None

    def after_local_work(self, case_id: str) -> None:
        """Something was recorded on `case_id`: the footer counts change now, its place in the queue in a worker."""
        self.refresh_status()
        self.reorder_worker(case_id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The team review is a lead's screen: collectors do not see its key, and pressing it tells them why.
        if action == "team":
            return self.is_lead
        if action == "team_refused":
            return not self.is_lead
        return True

    def action_team_refused(self) -> None:
        self.notify(t("team.leads_only"), severity="warning")

    def action_team(self) -> None:
        from collector_tui.screens.team_review import TeamScreen  # start-up: a lead's screen, not on the first paint

        if not isinstance(self.screen, TeamScreen):
            self.push_screen(TeamScreen())

    def check_callbacks(self) -> None:
        """Look for callbacks whose time has come, in a worker: the timer's turn on the UI thread reads nothing."""
        if not any(w.group == "callbacks" and not w.is_finished for w in self.workers):
            self.callbacks_worker(self.clock())

    @work(thread=True, group="callbacks", exit_on_error=False)
    def callbacks_worker(self, now: datetime) -> None:
        from collector_tui.work.callbacks import due_now  # start-up: after the first frame

        self.call_from_thread(self.callbacks_due, due_now(self.engine, now))

    def callbacks_due(self, items: list[CallbackItem]) -> None:
        """Each callback whose time has come, once: a toast with both clocks and the terminal bell."""
        fresh = [item for item in items if item.id not in self._alerted]
        for item in fresh:
            self._alerted.add(item.id)
            theirs, mine = item.at.astimezone(ZoneInfo(item.timezone)), item.at.astimezone(ZoneInfo(self.display_tz))
            self.notify(t("callbacks.alert", case=item.case_id, name=mask_name(item.customer_name),
                          theirs=f"{theirs:%H:%M}", mine=f"{mine:%H:%M}"), title=t("callbacks.alert_title"),
                        severity="warning", timeout=30, markup=False)
            self.bell()
        if fresh:
            self.reorder_worker()  # their places went stale now: re-placed, and the screens re-read

    def action_callbacks(self) -> None:
        from collector_tui.screens.callbacks import CallbacksScreen  # start-up: not on the first paint

        if not isinstance(self.screen, CallbacksScreen):
            self.push_screen(CallbacksScreen())

    def action_today(self) -> None:
        from collector_tui.screens.today import TodayScreen  # start-up: not on the first paint

        if not isinstance(self.screen, TodayScreen):
            self.push_screen(TodayScreen())

    def action_outbox(self) -> None:
        from collector_tui.screens.outbox import OutboxScreen  # start-up: its TextArea is slow to import

        if not isinstance(self.screen, OutboxScreen):
            self.push_screen(OutboxScreen())

    # --- the command palette (Ctrl+P) ---------------------------------------------------------------
    def action_command_palette(self) -> None:
        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(placeholder=t("palette.placeholder"), id="--command-palette"))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The workbench's own commands by name, in the collector's language (Textual's are English)."""
        yield SystemCommand(t("palette.cmd_sync"), t("palette.cmd_sync_help"), self.action_sync)
        yield SystemCommand(t("palette.cmd_outbox"), t("palette.cmd_outbox_help"), self.action_outbox)
        yield SystemCommand(t("palette.cmd_callbacks"), t("palette.cmd_callbacks_help"), self.action_callbacks)
        yield SystemCommand(t("palette.cmd_today"), t("palette.cmd_today_help"), self.action_today)
        yield SystemCommand(t("palette.cmd_team"), t("palette.cmd_team_help"),
                            self.action_team if self.is_lead else self.action_team_refused)
        yield SystemCommand(t("palette.cmd_help"), t("palette.cmd_help_help"), self.action_help)
        yield SystemCommand(t("palette.cmd_theme"), t("palette.cmd_theme_help"), self.action_change_theme)
        yield SystemCommand(t("palette.cmd_quit"), t("palette.cmd_quit_help"), self.action_quit)

    # --- help -------------------------------------------------------------------------------------
    def action_help(self) -> None:
        # Only the workbench's own bindings (they all carry an id); keys of one action share a row.
        grouped: dict[str, list[str]] = {}
        for active in self.active_bindings.values():
            binding = active.binding
            if binding.id and binding.description:
                grouped.setdefault(binding.description, []).append(self.get_key_display(binding))
        rows = [(", ".join(keys), description) for description, keys in grouped.items()]
        # Textual's own key for the command palette (cases, sync, outbox, team, help by name) is one of ours too.
        rows.append((self.get_key_display(Binding(self.COMMAND_PALETTE_BINDING, "")), t("binding.palette")))
        from collector_tui.screens.help import HelpScreen  # start-up: not on the first paint

        self.push_screen(HelpScreen(rows))
