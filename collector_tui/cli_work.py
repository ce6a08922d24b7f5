"""CLI forms of the collector's work: `contact add`, `promise add`, and the `outbox` commands.

They go through the same checks and the same outbox as the workbench.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from typing import Annotated, Optional
from zoneinfo import ZoneInfo

import typer

from collector_tui import config
from collector_tui.domain.actions import FieldError, parse_amount, parse_day, validate_contact, validate_promise
from collector_tui.locale import t

contact_app = typer.Typer(help="Record contact attempts.", no_args_is_help=True)
promise_app = typer.Typer(help="Record promises to pay.", no_args_is_help=True)
outbox_app = typer.Typer(help="What is waiting to be pushed, and what the server refused.", invoke_without_command=True)


def _cli():  # type: ignore[no-untyped-def]
    from collector_tui import cli

    return cli


OPTION = {"duration_s": "duration"}  # form field -> CLI option, where the names differ


def _errors(errors: list[FieldError]) -> typer.Exit:
    for e in errors:
        typer.echo(f"--{OPTION.get(e.field, e.field).replace('_', '-')}: {t(e.key, **e.params)}", err=True)
    return typer.Exit(2)


def _moment(at: str | None) -> datetime:
    if not at:
        return datetime.now(timezone.utc)
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise _errors([FieldError("at", "form.date", {})]) from None
    if moment.tzinfo is None:
        raise typer.BadParameter("--at needs a time zone offset, such as 2026-11-28T10:00+08:00")
    return moment


@contact_app.command("add")
def contact_add(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(help="Case id, such as C-000123")],
    channel: Annotated[str, typer.Option(help="phone, sms, email, app or visit")],
    disposition: Annotated[str, typer.Option(help="Outcome code, such as rpc, no_answer, promise_to_pay")],
    target: Annotated[str, typer.Option(help="customer or third_party")] = "customer",
    number: Annotated[str, typer.Option(help="Number or address used")] = "",
    duration: Annotated[int, typer.Option(help="Call length in seconds")] = 0,
    note: Annotated[str, typer.Option(help="What was said")] = "",
    at: Annotated[Optional[str], typer.Option(help="When, ISO with offset (default: now)")] = None,
) -> None:
    """Record a contact attempt; a contact the rule pack blocks is refused with the rule and the reason."""
    from collector_tui.domain.contact_rules import check_contact
    from collector_tui.locale.render import check_text, when_text
    from collector_tui.storage import actions, state
    from collector_tui.storage.facts import load_facts
    from collector_tui.storage.queue_build import replace_cases

    c = _cli()._ctx(ctx)
    errors = validate_contact(channel, disposition, target, duration, note)
    if errors:
        raise _errors(errors)
    engine = _cli()._engine(c)
    rules = config.build_rules(c.settings)
    moment = _moment(at)
    facts = load_facts(engine, [case_id])
    if not facts:
        raise _cli().fail(t("cli.unknown_case", case=case_id), 2)
    decision = check_contact(rules.pack, facts[0], channel=channel, now=moment, target=target, number=number or None)
    me = state.me(engine)
    tz = me.timezone if me else "Asia/Shanghai"
    if not decision.allowed:
        raise _cli().fail(t("form.blocked", rule=decision.rule, why=check_text(decision.reason, decision.params),
                            when=when_text(decision.next_allowed_at, tz)), 3)
    entry = actions.log_contact(engine, case_id, at=moment, channel=channel, disposition=disposition, target=target,
                                number=number, duration_s=duration, note=note, collector=c.settings.user)
    replace_cases(engine, [case_id], moment, rules)
    typer.echo(t("cli.recorded", id=entry))


@promise_app.command("add")
def promise_add(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(help="Case id")],
    date: Annotated[str, typer.Option("--date", help="Due date, YYYY-MM-DD")],
    amount: Annotated[str, typer.Option("--amount", help="Amount, such as 1000 or 1000.50")],
) -> None:
    """Record a promise to pay an amount by a date."""
    from collector_tui.storage import actions
    from collector_tui.storage.queries import case_detail
    from collector_tui.storage.queue_build import replace_cases

    c = _cli()._ctx(ctx)
    due, e1 = parse_day(date)
    value, e2 = parse_amount(amount)
    if e1 or e2:
        raise _errors(e1 + e2)
    assert due is not None and value is not None
    engine = _cli()._engine(c)
    detail = case_detail(engine, case_id)
    if detail is None:
        raise _cli().fail(t("cli.unknown_case", case=case_id), 2)
    now = datetime.now(timezone.utc)
    today = now.astimezone(ZoneInfo(detail.customer.timezone)).date()
    errors = validate_promise(due, value, today)
    if errors:
        raise _errors(errors)
    entry = actions.add_promise(engine, case_id, at=now, due=due, amount=value, currency=detail.loan.currency)
    replace_cases(engine, [case_id], now, config.build_rules(c.settings))
    typer.echo(t("cli.recorded", id=entry))


@outbox_app.callback()
def outbox_list(ctx: typer.Context) -> None:
    """List pending and failed entries with the server's reasons."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.console import Console
    from rich.table import Table

    from collector_tui.storage import outbox

    c = _cli()._ctx(ctx)
    items = outbox.entries(_cli()._engine(c))
    if not items:
        typer.echo(t("cli.outbox_empty"))
        return
    if not sys.stdout.isatty():
        # Scripts get one tab-separated line an entry, nothing cut.
        for e in items:
            typer.echo("\t".join([e.id, e.type, e.case_id, e.state, str(e.attempts), e.last_error or ""]))
        return
    table = Table(show_edge=False)
    table.add_column("id", no_wrap=True, min_width=36)  # ids are copied into `outbox retry`: never cut them
    for head in ("type", "case", "state", "tries"):
        table.add_column(head, no_wrap=True)
    table.add_column("reason", overflow="fold")
    for e in items:
        table.add_row(e.id, e.type, e.case_id, e.state, str(e.attempts), e.last_error or "")
    Console().print(table)


@outbox_app.command("retry")
def outbox_retry(ctx: typer.Context, entry_id: Annotated[str, typer.Argument(help="Outbox entry id")]) -> None:
    """Put a failed entry back in line for the next sync."""
    from collector_tui.storage import outbox

    c = _cli()._ctx(ctx)
    if not outbox.retry(_cli()._engine(c), entry_id):
        raise _cli().fail(t("cli.outbox_unknown", id=entry_id), 2)
    typer.echo(t("cli.outbox_retry", id=entry_id))


@outbox_app.command("discard")
def outbox_discard(
    ctx: typer.Context,
    entry_id: Annotated[str, typer.Argument(help="Outbox entry id")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Drop an entry and its local record for good (asks first; written to the audit log)."""
    from collector_tui.storage import outbox

    c = _cli()._ctx(ctx)
    engine = _cli()._engine(c)
    entry = outbox.get(engine, entry_id)
    if entry is None:
        raise _cli().fail(t("cli.outbox_unknown", id=entry_id), 2)
    if not yes and not typer.confirm(t("cli.outbox_confirm", type=entry.type, case=entry.case_id), default=False):
        raise typer.Exit(1)
    outbox.discard(engine, entry_id, actor=c.settings.user, at=datetime.now(timezone.utc))
    typer.echo(t("cli.outbox_discarded", id=entry_id))
