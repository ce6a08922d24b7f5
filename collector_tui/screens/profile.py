"""The customer profile: who the debtor is, the loan, its schedule and payments, and every contact so far."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from collector_tui.domain.masking import mask_email, mask_id_number, mask_name, mask_phone
from collector_tui.domain.money import format_money
from collector_tui.domain.moment import active_suppressions
from collector_tui.domain.stages import PRESCRIBED_ACTIONS, Stage
from collector_tui.locale import code, t
from collector_tui.locale.render import check_text, when_text
from collector_tui.screens.base import WorkbenchScreen
from collector_tui.widgets.key_bar import KeyBar
from collector_tui.widgets.plain import TextTable
from collector_tui.widgets.status_bar import StatusBar
from collector_tui.work import outbox, privacy
from collector_tui.work.identity import NoUser
from collector_tui.work.cases import CaseDetail, CaseView, assess_case, case_detail, next_case

CHANNELS = ("phone", "sms", "email", "app", "visit")
PANELS = ("customer", "loan", "risk", "stage", "schedule", "contacts", "plans", "messages")  # in screen order
PROMISE_STYLE = {"kept": "green", "partially_kept": "yellow", "broken": "red"}
PLAN_STYLE = {"submitted": "yellow", "approved": "green", "rejected": "bold red"}
MESSAGE_STYLE = {"requested": "yellow", "held": "yellow", "sent": "", "delivered": "green", "failed": "bold red",
                 "refused": "bold red"}


def _local_time(iso: str | None, tz: str) -> str:
    """A stored time in the collector's zone (the column header names it)."""
    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(ZoneInfo(tz)).strftime("%m-%d %H:%M")


# Every table here is a TextTable: names, numbers, addresses and notes are shown as text, never as markup.
def _kv(rows: list[tuple[str, RenderableType]]) -> Table:
    table = TextTable.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for key, value in rows:
        table.add_row(key, value)
    return table


def _table(*headers: str) -> Table:
    table = TextTable(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for h in headers:
        table.add_column(h)
    return table


class ProfileScreen(WorkbenchScreen[None]):
    """One case in full. Personal data is masked until `v`, and every reveal is audited."""

    CSS_PATH = "profile.tcss"  # read when this screen first opens (app.tcss holds what the queue needs)
    # Focused as the screen is shown: a focus moved there later restyles the whole profile a second time.
    AUTO_FOCUS = "#profile-body"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace", "back", "binding.back", id="profile.back"),
        Binding("v", "reveal", "binding.reveal", id="profile.reveal"),
        Binding("c", "contact", "binding.contact", id="profile.contact"),
        Binding("p", "plan", "binding.plan", id="profile.plan"),
        Binding("d", "dial", "binding.dial", id="profile.dial"),
        Binding("m", "message", "binding.message", id="profile.message"),
        Binding("n", "next_case", "binding.next", id="profile.next"),
        Binding("j,down", "scroll_down", "binding.down", show=False, id="profile.down"),
        Binding("k,up", "scroll_up", "binding.up", show=False, id="profile.up"),
    ]

    def __init__(self, case_id: str) -> None:
        super().__init__()
        self.case_id = case_id
        self.revealed = False
        self.detail: CaseDetail | None = None

    def compose(self) -> ComposeResult:
        # The panels are filled before they mount: filled after, they laid the profile out a second time.
        self._panels = {"profile-title": Static(id="profile-title", classes="title"),
                        **{name: Static(id=name, classes="panel") for name in PANELS}}
        self.load()
        yield self._panels["profile-title"]
        with VerticalScroll(id="profile-body"):
            with Horizontal(id="profile-top"):
                yield self._panels["customer"]
                yield self._panels["loan"]
            for name in PANELS[2:]:
                yield self._panels[name]
        yield StatusBar(id="status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.follow_status()

    def _panel(self, name: str) -> Static:
        return self._panels[name]

    def reload(self) -> None:
        """After a sync or a write by another process: the case as the cache now holds it."""
        self.load()

    def load(self) -> None:
        self.detail = case_detail(self.workbench.engine, self.case_id)
        if self.detail is None:
            self._panel("profile-title").update(t("profile.missing"))
            for name in PANELS:
                self._panel(name).display = False
            return
        self.render_detail(self.detail)

    # --- rendering --------------------------------------------------------------------------------
    def _display_name(self, d: CaseDetail) -> str:
        return d.customer.name if self.revealed else mask_name(d.customer.name)

    def _customer_clock(self, zone: str) -> str:
        """The customer's zone, their time now and when their day ends (a promise due today ends with it)."""
        now = self.workbench.clock().astimezone(ZoneInfo(zone))
        left = datetime.combine(now.date() + timedelta(days=1), time(0), ZoneInfo(zone)) - now
        hours, minutes = divmod(int(left.total_seconds()) // 60, 60)
        return t("profile.customer_clock", zone=zone, now=f"{now:%H:%M}", hours=hours, minutes=minutes)

    def render_detail(self, d: CaseDetail) -> None:
        loan, c = d.loan, d.customer
        # As the rules see the case now: days past due run on, and recorded outcomes have taken effect.
        view = assess_case(self.workbench.engine, self.case_id, self.workbench.clock(), self.workbench.rules)
        stage = int(view.assessment.stage) if view else d.case.stage
        dpd = view.assessment.facts.dpd if view else d.case.dpd
        reachable = {p.number: p.reachable for p in view.assessment.facts.phones} if view else {}
        hint = t("profile.revealed_hint") if self.revealed else t("profile.masked_hint")
        self._panel("profile-title").update(
            Text.assemble((t("profile.title", case=d.case.id), "bold"), " · ", self._display_name(d), "  ·  ",
                          t(f"stage_long.{stage}"), f"  ·  {t('palette.dpd', dpd=dpd)}  ·  ",
                          (format_money(loan.overdue_amount, loan.currency), "bold"), "\n", (hint, "dim"))
        )
        phones = TextTable.grid(padding=(0, 1))
        # The number and its type are never cut; the state wraps under itself in a narrow panel.
        phones.add_column(no_wrap=True)
        phones.add_column(no_wrap=True)
        phones.add_column()
        for p in d.phones:
            number = p.number if self.revealed else mask_phone(p.number)
            ok = reachable.get(p.number, p.reachable)
            state = Text(t("profile.reachable") if ok else t("profile.unreachable"), style="green" if ok else "red")
            if p.verified:
                state.append(" · " + t("profile.verified"))
            phones.add_row(number, code("phone", p.type), state)
        employment = code("employment", c.employment.get("type"))
        if c.employment.get("employer"):
            employment += f" · {c.employment['employer']}"
        address = c.address.get("city", "")
        if self.revealed:
            address = f"{c.address.get('line', '')}, {address}"
        consents = Text()
        for ch in CHANNELS:
            ok = bool(c.consents.get("channels", {}).get(ch))
            consents.append(f"{code('channel', ch)} {'✓' if ok else '✗'}  ", style="green" if ok else "red")
        self._panel("customer").update(Group(
            Text(t("profile.customer"), style="bold underline"),
            _kv([
                (t("profile.name"), self._display_name(d)),
                (t("profile.id_number"), c.id_number if self.revealed else mask_id_number(c.id_number)),
                (t("profile.timezone"), self._customer_clock(c.timezone)),
                (t("profile.employment"), employment),
                (t("profile.address"), address),
                (t("profile.consents"), consents),
            ]),
            Text(t("profile.phones"), style="bold"),
            phones,
        ))
        money = lambda v: format_money(v, loan.currency)  # noqa: E731
        self._panel("loan").update(Group(
            Text(t("profile.loan"), style="bold underline"),
            _kv([
                (t("profile.principal"), money(loan.principal)),
                (t("profile.outstanding"), money(loan.outstanding)),
                (t("profile.overdue"), Text(money(loan.overdue_amount), style="bold red")),
                (t("profile.interest_fees"), f"{money(loan.interest_due)} / {money(loan.fees_due)}"),
                (t("profile.instalment"), money(loan.instalment)),
                (t("profile.minimum"), money(loan.minimum_payment)),
                (t("profile.overdue_since"), loan.overdue_since or ""),
                (t("profile.purpose"), code("purpose", loan.declared_purpose)),
            ]),
        ))
        self.render_risk(view)
        actions = PRESCRIBED_ACTIONS[Stage(stage)]
        self._panel("stage").update(Group(
            Text(t("profile.stage_actions") + " · " + t(f"stage_long.{stage}"), style="bold underline"),
            *(Text(f"• {t(a)}") for a in actions),
        ))
        schedule = _table(t("field.due"), t("field.amount"), t("field.paid"), t("field.status"))
        for s in d.schedule:
            schedule.add_row(s.due_date, money(s.amount), money(s.paid),
                             Text(code("schedule", s.status), style="red" if s.status == "overdue" else ""))
        payments = _table(t("field.date"), t("field.amount"), t("field.minimum_only"))
        for pm in d.payments:
            payments.add_row(pm.date, money(pm.amount), t("profile.yes") if pm.minimum_only else "")
        self._panel("schedule").update(Group(
            Text(t("profile.schedule"), style="bold underline"), schedule,
            Text(t("profile.payments"), style="bold underline"), payments,
        ))
        # Every time in the history is on the customer's clock, and the header says so (the server sends them
        # with the customer's offset, local work is stored in UTC: neither is shown as it was stored).
        contacts = _table(t("profile.col_at_customer", zone=c.timezone), t("field.channel"), t("field.disposition"),
                          t("field.note"))
        states = outbox.states_for(outbox.entries(self.workbench.engine), d.case.id)
        for ct in d.contacts:
            # Local work is marked until the server holds it: pending, or failed with a reason in the outbox.
            mark = f" ({t('outbox.state_' + states.get(ct.id, 'pending'))})" if ct.origin == "local" else ""
            contacts.add_row(_local_time(ct.at, c.timezone), code("channel", ct.channel),
                             code("disposition", ct.disposition) + mark, ct.note)
        promises = _table(t("profile.col_made_customer", zone=c.timezone), t("field.due"), t("field.amount"),
                          t("field.status"))
        for pr in d.promises:
            # As the server reports it (kept, broken...); one recorded here is marked until the server has it.
            mark = f" ({t('outbox.state_' + states.get(pr.id, 'pending'))})" if pr.origin == "local" else ""
            promises.add_row(_local_time(pr.made_at, c.timezone), pr.due_date, money(pr.amount),
                             Text(code("promise", pr.status) + mark, style=PROMISE_STYLE.get(pr.status, "")))
        self._panel("contacts").update(Group(
            Text(t("profile.contacts"), style="bold underline"),
            contacts if d.contacts else Text(t("profile.none"), style="dim"),
            Text(t("profile.promises"), style="bold underline"),
            promises if d.promises else Text(t("profile.none"), style="dim"),
        ))
        self.render_plans(d, states)
        self.render_messages(d, states)

    def render_messages(self, d: CaseDetail, states: dict[str, str]) -> None:
        """Messages sent through the server, with the state it reports (one asked for here: until it is pushed)."""
        tz = self.workbench.display_tz
        table = _table(t("messages.col_at", tz=tz), t("field.channel"), t("messages.col_to"),
                       t("messages.col_template"), t("messages.col_state"))
        for m in d.messages:
            to = m.to if self.revealed else (mask_phone(m.to) if m.channel == "sms" else mask_email(m.to))
            if m.origin == "local":
                state = t("messages.state_requested") + f" ({t('outbox.state_' + states.get(m.id, 'pending'))})"
            elif m.status == "held":
                state = t("messages.state_held", at=_local_time(m.send_at, tz))
            else:
                state = t(f"messages.state_{m.status}") if m.status in MESSAGE_STYLE else m.status
            if m.reason and m.status in ("failed", "refused"):
                state += f": {m.reason}"  # the server's words: shown as text
            table.add_row(_local_time(m.requested_at, tz), code("channel", m.channel), to, m.template,
                          Text(state, style=MESSAGE_STYLE.get(m.status, "")))
        self._panel("messages").update(Group(
            Text(t("messages.title"), style="bold underline"),
            table if d.messages else Text(t("profile.none"), style="dim"),
        ))

    def render_plans(self, d: CaseDetail, states: dict[str, str]) -> None:
        """Plans after submission: submitted, approved or rejected with the reason, as the server reports them."""
        tz = self.workbench.display_tz
        money = lambda v: format_money(str(v), d.loan.currency) if v is not None else ""  # noqa: E731
        plans = _table(t("plans.col_submitted", tz=tz), t("plans.col_type"), t("plans.col_restructured"),
                       t("plans.col_instalments"), t("plans.col_state"), t("plans.col_decided", tz=tz),
                       t("plans.col_reason"))
        shown = [p for p in d.plans if p.status != "draft"]
        for p in shown:
            detail = p.detail or {}
            instalments = detail.get("instalments") or []
            first = min((i.get("due_date", "") for i in instalments), default="")
            state = t(f"plans.state_{p.status}") if p.status in PLAN_STYLE else p.status
            if p.origin == "local":
                state += f" ({t('outbox.state_' + states.get(p.id, 'pending'))})"
            plans.add_row(_local_time(p.created_at, tz), t(f"plan.type_{p.type}"), money(detail.get("restructured")),
                          t("plans.instalments", n=len(instalments), first=first) if instalments else "",
                          Text(state, style=PLAN_STYLE.get(p.status, "")), _local_time(p.decided_at, tz),
                          p.reason)
        self._panel("plans").update(Group(
            Text(t("plans.title"), style="bold underline"),
            plans if shown else Text(t("profile.none"), style="dim"),
        ))

    def render_risk(self, view: CaseView | None) -> None:
        """Tier, score and what moved it, every raised flag with its evidence, and whether a call is allowed now."""
        if view is None:
            return
        flags, score, decision = view.assessment.flags, view.assessment.score, view.assessment.decision
        level_style = {"low": "green", "medium": "yellow", "high": "bold red"}[score.risk_level]
        lines: list[RenderableType] = [
            Text(t("risk.title"), style="bold underline"),
            Text(t("risk.tier", tier=score.tier, score=score.value, level=t(f"risk.{score.risk_level}")),
                 style=level_style),
        ]
        if decision.allowed:
            lines.append(Text(f"{t('risk.call_check')}: {t('check.allowed')}", style="green"))
        else:
            why = check_text(decision.reason, decision.params)
            lines.append(Text(f"{t('risk.call_check')}: {decision.rule} · {why}"
                              f" · {when_text(decision.next_allowed_at, self.workbench.display_tz)}", style="bold red"))
        pack = self.workbench.rules.pack
        for sup in active_suppressions(view.assessment.facts):
            params = {"type": sup.type, "channel": sup.channel or "*", "origin": sup.origin,
                      "since": sup.since.isoformat() if sup.since else ""}
            rule = pack.suppressions.get(sup.type, "")
            lines.append(Text(f"⊘ {t('risk.suppression')}: {rule} · {check_text('check.suppressed', params)}",
                              style="red"))
        flag_table = _table(t("risk.flags"), "")
        severity_style = {"low": "dim", "medium": "yellow", "high": "bold red"}
        for fl in flags:
            flag_table.add_row(Text(t(f"risk.severity_{fl.severity}"), style=severity_style[fl.severity]),
                               check_text(fl.evidence, fl.params))
        lines.append(flag_table if flags else Text(t("risk.none"), style="dim"))
        moved = _table(t("risk.score"), "")
        for part in score.contributions:
            if part.points:
                moved.add_row(f"+{part.points}", check_text(part.key, part.params))
        lines.append(moved)
        self._panel("risk").update(Group(*lines))

    # --- actions ----------------------------------------------------------------------------------
    def action_back(self) -> None:
        self.app.pop_screen()

    def case_in_view(self) -> str | None:
        return self.case_id if self.detail is not None else None

    def after_contact_saved(self) -> None:
        self.load()

    def action_next_case(self) -> None:
        """The next case in queue order, without going back to the queue."""
        following = next_case(self.workbench.engine, self.case_id)
        if following:
            self.app.switch_screen(ProfileScreen(following))
        else:
            self.notify(t("profile.last_case"))

    def action_reveal(self) -> None:
        """`v` reveals the masked data (audited first) and, pressed again, masks it again."""
        if self.detail is None:
            return
        if self.revealed:
            self.revealed = False
            self.render_detail(self.detail)
            return
        # The audit entry is written before anything is shown: no reveal goes unrecorded, nor under no name.
        try:
            privacy.reveal(self.workbench.engine, self.case_id, actor=self.workbench.user, now=self.workbench.clock())
        except NoUser:
            self.workbench.sign_in(t("login.reason_no_user"))
            return
        self.revealed = True
        self.render_detail(self.detail)

    def action_scroll_down(self) -> None:
        self.query_one("#profile-body", VerticalScroll).scroll_down(animate=False)

    def action_scroll_up(self) -> None:
        self.query_one("#profile-body", VerticalScroll).scroll_up(animate=False)
