"""Repayment-plan drafting: choose the kind, edit its figures, watch the schedule and totals as you type.

The draft is saved to the cache on every change; submitting puts the plan in the outbox for approval.
"""

from __future__ import annotations

from decimal import Decimal
from statistics import median
from typing import Any, ClassVar

from dateutil.relativedelta import relativedelta
from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Select, Static

from collector_tui.domain.money import format_money
from collector_tui.domain.plans import PLAN_TYPES, PlanPreview
from collector_tui.locale import t
from collector_tui.locale.render import plan_message_text
from collector_tui.screens.base import WorkbenchScreen
from collector_tui.widgets.key_bar import KeyBar
from collector_tui.widgets.plain import TextTable
from collector_tui.widgets.status_bar import StatusBar
from collector_tui.work import plan as plans
from collector_tui.work.cases import CaseDetail, case_detail

class PlanScreen(WorkbenchScreen[bool]):
    CSS_PATH = "plan.tcss"  # read when this screen first opens (app.tcss holds what the queue needs)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "binding.submit", id="plan.submit", priority=True),
        Binding("escape", "back", "binding.back", id="plan.back"),
    ]

    def __init__(self, case_id: str) -> None:
        super().__init__()
        self.case_id = case_id
        self.detail: CaseDetail | None = None
        self.preview: PlanPreview | None = None

    def compose(self) -> ComposeResult:
        self.detail = case_detail(self.workbench.engine, self.case_id)
        saved = plans.load_draft(self.workbench.engine, self.case_id) or {}
        today = self.workbench.clock().date()
        first = saved.get("first_due") or (today + relativedelta(months=1)).replace(day=min(today.day, 28)).isoformat()
        yield Static(Text(t("plan.title", case=self.case_id)), classes="title")  # a case id is text, not markup
        with Horizontal(id="plan-body"):
            with VerticalScroll(id="plan-form"):
                yield Label(t("plan.type"))
                yield Select([(t(f"plan.type_{p}"), p) for p in PLAN_TYPES], value=saved.get("type", "reinstalment"),
                             allow_blank=False, compact=True, id="type")
                yield Label(t("plan.months"))
                yield Input(saved.get("months", "6"), restrict=r"[0-9]*", compact=True, id="months")
                yield Label(t("plan.base"), id="base-label")
                yield Select([(t("plan.base_arrears"), "arrears"), (t("plan.base_balance"), "balance")],
                             value=saved.get("base", "arrears"), allow_blank=False, compact=True, id="base")
                yield Label(t("plan.first_due"), id="first_due-label")
                yield Input(first, placeholder="YYYY-MM-DD", compact=True, id="first_due")
                yield Label(t("plan.waiver"), id="waiver-label")
                yield Input(saved.get("waiver", "0"), restrict=r"[0-9.]*", compact=True, id="waiver")
                yield Label("", id="plan-input-error", classes="error")
            with VerticalScroll(id="plan-preview-box"):
                yield Static(id="plan-preview")
        yield StatusBar(id="status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.follow_status()
        self.update_preview(save=False)
        self.query_one("#type", Select).focus()

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.query_one("#type", Select).value}
        out["base"] = self.query_one("#base", Select).value
        for name in ("months", "first_due", "waiver"):
            out[name] = self.query_one(f"#{name}", Input).value
        return out

    def on_input_changed(self, _event: Input.Changed) -> None:
        self.update_preview()

    def on_select_changed(self, _event: Select.Changed) -> None:
        self.update_preview()

    def _income(self) -> list[Decimal]:
        assert self.detail is not None
        return plans.income_months(self.detail)

    def compute(self, v: dict[str, Any]) -> PlanPreview | str:
        """The preview for the form's values, or the message for the first unusable value."""
        assert self.detail is not None
        result = plans.preview(self.detail, v, self.workbench.rules.plan_limits,
                               plans.customer_today(self.detail, self.workbench.clock()))
        return t(result.key) if isinstance(result, plans.PlanInputError) else result

    def update_preview(self, save: bool = True) -> None:
        if self.detail is None:
            self.query_one("#plan-preview", Static).update(t("profile.missing"))
            return
        v = self.values()
        if save:
            plans.save_draft(self.workbench.engine, self.case_id, v, self.workbench.clock())
        # A deferral moves the instalments there are: it has no base and no first due date of its own.
        for widget in ("#base", "#base-label", "#first_due", "#first_due-label"):
            self.query_one(widget).display = v["type"] != "deferral"
        for widget in ("#waiver", "#waiver-label"):
            self.query_one(widget).display = v["type"] == "reduction"
        result = self.compute(v)
        error = self.query_one("#plan-input-error", Label)
        if isinstance(result, str):
            self.preview = None
            error.update(result)
            error.display = True
            return
        error.display = False
        self.preview = result
        cur = result.currency
        table = TextTable(title=t("plan.preview"), show_edge=False, header_style="bold")
        for head in ("#", t("field.due"), t("field.amount")):
            table.add_column(head, justify="right" if head != t("field.due") else "left")
        for i in result.instalments:
            table.add_row(str(i.seq), i.due_date.isoformat(), format_money(i.amount, cur))
        median_income = format_money(Decimal(median(self._income())), cur) if self._income() else "—"
        # Figures come from the cache: every line is text, never read as markup.
        lines = [
            Text(t("plan.total", restructured=format_money(result.restructured, cur),
                   waived=format_money(result.waived, cur), total=format_money(result.total, cur))),
            Text(t("plan.income", income=median_income)),
        ]
        for m in result.messages:
            colour = "red" if m.level == "error" else "yellow"
            lines.append(Text(f"{'✗' if m.level == 'error' else '!'} {plan_message_text(m.key, m.params, cur)}",
                              style=colour))
        if result.ok:
            lines.append(Text(f"✓ {t('plan.ok')}", style="green"))
        self.query_one("#plan-preview", Static).update(Group(table, *lines))

    def action_submit(self) -> None:
        if self.preview is None or not self.preview.ok or not self.preview.instalments:
            self.notify(t("plan.cannot_submit"), severity="error")
            return
        parameters = {k: v for k, v in self.values().items() if k != "type"}
        try:
            plans.submit(self.workbench.engine, self.case_id, self.preview, parameters, now=self.workbench.clock())
        except plans.PlanRefused:
            self.update_preview(save=False)  # the day may have turned since the preview: show why
            self.notify(t("plan.cannot_submit"), severity="error")
            return
        self.notify(t("plan.submitted"))
        self.workbench.after_local_work(self.case_id)
        self.dismiss(True)

    def action_back(self) -> None:
        self.dismiss(False)  # the draft stays in the cache

