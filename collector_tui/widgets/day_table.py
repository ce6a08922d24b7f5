"""My day as tables, for the day screen and `collector-tui today`: each figure against its target, and a lead's
team per collector."""

from __future__ import annotations

from decimal import Decimal

from rich import box
from rich.text import Text

from collector_tui.domain.money import format_money
from collector_tui.locale import t
from collector_tui.widgets.plain import TextTable
from collector_tui.work.today import Day, Figures


def _money(amounts: dict[str, Decimal]) -> str:
    return " + ".join(format_money(str(v), c) for c, v in sorted(amounts.items())) or "0"


def _share(value: Decimal | int, target: Decimal | int) -> Text:
    if not target:
        return Text("")
    share = int(Decimal(value) * 100 / Decimal(target))
    return Text(f"{share}%", style="green" if share >= 100 else "yellow" if share >= 50 else "red")


def figures_table(day: Day) -> TextTable:
    """The figures of the day, with the team's target and how far along each is."""
    f, goal = day.figures, day.targets
    table = TextTable(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for head in ("today.col_figure", "today.col_today", "today.col_target", "today.col_share"):
        table.add_column(t(head), justify="left" if head == "today.col_figure" else "right")
    none = t("today.no_target")
    promised = f.promised.get(goal.currency, Decimal(0)) if goal else Decimal(0)
    table.add_row(t("today.attempts"), str(f.attempts), str(goal.attempts) if goal else none,
                  _share(f.attempts, goal.attempts) if goal else "")
    table.add_row(t("today.right_party"), str(f.right_party), str(goal.right_party) if goal else none,
                  _share(f.right_party, goal.right_party) if goal else "")
    table.add_row(t("today.promises"), str(f.promises), str(goal.promises) if goal else none,
                  _share(f.promises, goal.promises) if goal else "")
    table.add_row(t("today.promised"), _money(f.promised),
                  format_money(str(goal.promise_amount), goal.currency) if goal and goal.currency else none,
                  _share(promised, goal.promise_amount) if goal else "")
    table.add_row(t("today.callbacks"), t("today.callbacks_value", due=f.callbacks_today, made=f.callbacks_made,
                                          missed=f.callbacks_missed), "", "")
    table.add_row(t("today.callbacks_open"), str(f.callbacks_open), "", "")
    table.add_row(t("today.untouched"), t("today.untouched_value", untouched=f.untouched, cases=f.cases), "", "")
    return table


def team_table(collectors: dict[str, Figures]) -> TextTable:
    """A lead's team: each collector's day."""
    table = TextTable(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for head in ("today.tcol_collector", "today.tcol_attempts", "today.tcol_rpc", "today.tcol_promises",
                 "today.tcol_promised", "today.tcol_missed", "today.tcol_open", "today.tcol_untouched"):
        table.add_column(t(head), justify="left" if head == "today.tcol_collector" else "right")
    for name, f in sorted(collectors.items()):
        table.add_row(name, str(f.attempts), str(f.right_party), str(f.promises), _money(f.promised),
                      str(f.callbacks_missed), str(f.callbacks_open), f"{f.untouched}/{f.cases}")
    return table
