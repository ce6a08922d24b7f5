"""A message to the customer: an SMS or an e-mail from the stage's template in the customer's language, with the
opt-out line where the pack requires it; checked by the rule pack as it changes and sent through the server."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Button, Label, Select, Static

from collector_tui.domain.contact_rules import Decision
from collector_tui.domain.masking import mask_email, mask_name, mask_phone
from collector_tui.domain.messages import MESSAGE_CHANNELS
from collector_tui.domain.money import format_money
from collector_tui.locale import catalogue, code, current_locale, t
from collector_tui.locale.render import check_text, when_text
from collector_tui.screens.base import WorkbenchScreen
from collector_tui.talktracks import TrackError, messages, track_language
from collector_tui.widgets.key_bar import KeyBar
from collector_tui.widgets.status_bar import StatusBar
from collector_tui.work import message as sender
from collector_tui.work.cases import CaseDetail, case_detail, case_facts
from collector_tui.work.identity import NoUser


def masked(channel: str, address: str) -> str:
    return mask_phone(address) if channel == "sms" else mask_email(address)


class MessageScreen(WorkbenchScreen[bool]):
    """Send one message on a case; dismisses with True when one was recorded."""

    DEFAULT_CSS = """
    MessageScreen #message-body { height: 1fr; padding: 0 1; }
    MessageScreen #message-body Label { margin-top: 1; }
    MessageScreen #message-preview { border: round $secondary 60%; padding: 0 1; height: auto; }
    MessageScreen #send { margin-top: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", "binding.send", id="message.send", priority=True),
        Binding("escape", "cancel", "binding.back", id="message.cancel"),
    ]

    def __init__(self, case_id: str) -> None:
        super().__init__()
        self.case_id = case_id
        self.detail: CaseDetail | None = None
        self.decision: Decision | None = None
        self.body = ""
        self.template = ""
        self.language = ""

    def compose(self) -> ComposeResult:
        self.detail = case_detail(self.workbench.engine, self.case_id)
        name = mask_name(self.detail.customer.name) if self.detail else "?"
        # Names and addresses come from the cache: shown as text, never read as markup.
        yield Static(Text(t("message.title", case=self.case_id, name=name)), classes="title", id="message-title")
        with VerticalScroll(id="message-body"):
            yield Label(t("field.channel"))
            yield Select([(code("channel", c), c) for c in MESSAGE_CHANNELS], value="sms", allow_blank=False,
                         compact=True, id="channel")
            yield Label(t("message.to"))
            yield Select([], compact=True, id="to")
            yield Static(id="message-check")
            yield Label(t("message.preview"))
            yield Static(id="message-preview")
            yield Button(t("message.send"), variant="primary", compact=True, id="send")
        yield StatusBar(id="status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.follow_status()
        self._fill_recipients("sms")
        self.refresh_message()
        self.query_one("#channel", Select).focus()

    # --- what is sent, and whether it may be -------------------------------------------------------
    def _value(self, widget_id: str) -> str:
        value = self.query_one(f"#{widget_id}", Select).value
        return "" if value is Select.NULL else str(value)

    def _fill_recipients(self, channel: str) -> None:
        addresses = sender.recipients(self.detail, channel) if self.detail else []
        to = self.query_one("#to", Select)
        to.set_options([(Text(masked(channel, a)), a) for a in addresses])
        if addresses:
            to.value = addresses[0]

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "channel":
            self._fill_recipients(self._value("channel"))
        self.refresh_message()

    def _draft(self, channel: str) -> str:
        """The stage's template in the customer's language (the collector's when there is none), figures filled in."""
        assert self.detail is not None
        d, ui = self.detail, current_locale()
        self.language = track_language(d.customer.locale, ui)
        stage = min(max(d.case.stage, 1), 4)
        self.template = f"{channel}.stage{stage}"
        institution = (self.workbench.settings.institution or catalogue(self.language).get("app_institution")
                       or t("app_institution"))
        values = {"name": d.customer.name, "institution": institution,
                  "overdue": format_money(d.loan.overdue_amount, d.loan.currency),
                  "minimum": format_money(d.loan.minimum_payment, d.loan.currency), "dpd": d.loan.dpd}
        return messages(self.language).draft(channel, stage, values, self.workbench.rules.pack.opt_out_required)

    def refresh_message(self) -> None:
        check = self.query_one("#message-check", Static)
        send = self.query_one("#send", Button)
        facts = case_facts(self.workbench.engine, self.case_id)
        channel, to = self._value("channel"), self._value("to")
        if self.detail is None or facts is None:
            check.update(t("profile.missing"))
            send.disabled = True
            return
        try:
            self.body = self._draft(channel)
        except TrackError as exc:
            self.body = ""
            check.update(Text(str(exc), style="red"))
            send.disabled = True
            return
        name = self.detail.customer.name
        shown = Text(self.body.replace(name, mask_name(name)))  # the customer's name stays masked on screen
        if self.language != current_locale():
            shown = Text.assemble((t("contact.track_language", language=t(f"language.{self.language}")) + "\n",
                                   "italic"), shown)
        self.query_one("#message-preview", Static).update(shown)
        if not to:
            self.decision = None
            check.update(Text(f"⊘ {t('message.no_address', channel=code('channel', channel))}", style="bold red"))
            send.disabled = True
            return
        self.decision = sender.check(self.workbench.rules, facts, channel=channel, now=self.workbench.clock(), to=to)
        if self.decision.allowed:
            check.update(Text(f"✓ {t('message.allowed')}", style="bold green"))
        else:
            d = self.decision
            why = check_text(d.reason, d.params)
            when = when_text(d.next_allowed_at, self.workbench.display_tz)
            check.update(Text(f"⊘ {t('form.blocked', rule=d.rule, why=why, when=when)}", style="bold red"))
        send.disabled = not self.decision.allowed

    # --- sending ----------------------------------------------------------------------------------
    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "send":
            self.action_send()

    def action_send(self) -> None:
        self.refresh_message()
        if self.decision is None or not self.decision.allowed:
            self.notify(t("message.not_sent"), severity="error")
            return
        try:
            sender.send(self.workbench.engine, self.workbench.rules, self.case_id, channel=self._value("channel"),
                        to=self._value("to"), template=self.template, body=self.body, locale=self.language,
                        now=self.workbench.clock(), collector=self.workbench.user)
        except NoUser:
            self.workbench.sign_in(t("login.reason_no_user"))
            return
        except (sender.Invalid, sender.Blocked, sender.UnknownCase):
            self.refresh_message()
            self.notify(t("message.not_sent"), severity="error")
            return
        self.notify(t("message.queued"))
        self.workbench.after_local_work(self.case_id)
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
