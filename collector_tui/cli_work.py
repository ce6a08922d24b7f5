"""CLI forms of the collector's work: `contact add`, `promise add`, and the `outbox` commands.

They go through the same checks and the same outbox as the workbench.
"""

# start-up: each command imports what it uses inside its own body, so that a dialer or a cron job
# calling one command does not pay for the workbench, the server or the sync client.

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from collector_tui import config
from collector_tui.cli_common import ctx_of, fail, local_user, open_cache
from collector_tui.domain.actions import FieldError, parse_amount, parse_day
from collector_tui.locale import t

contact_app = typer.Typer(help="Record contact attempts.", no_args_is_help=True)
promise_app = typer.Typer(help="Record promises to pay.", no_args_is_help=True)
outbox_app = typer.Typer(help="What is waiting to be pushed, and what the server refused.", invoke_without_command=True)


OPTION = {"duration_s": "duration"}  # form field -> CLI option, where the names differ


def _errors(errors: list[FieldError]) -> typer.Exit:
    for e in errors:
        typer.echo(f"--{OPTION.get(e.field, e.field).replace('_', '-')}: {t(e.key, **e.params)}", err=True)
    return typer.Exit(2)


def _moment(at: str | None) -> datetime:
    if not at:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        # When a contact happened is a moment: a date and a time with the offset of the clock it was read on.
        raise _errors([FieldError("at", "form.moment", {"value": at})])
    return moment


@contact_app.command("add")
def contact_add(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(help="Case id, such as C-000123")],
    channel: Annotated[str, typer.Option(help="phone, sms, email, app or visit")],
    disposition: Annotated[str, typer.Option(help="Outcome code, such as rpc, no_answer, promise_to_pay")],
    target: Annotated[str, typer.Option(help="customer, third_party or attorney")] = "customer",
    number: Annotated[str, typer.Option(help="Number or address used")] = "",
    duration: Annotated[int, typer.Option(help="Call length in seconds")] = 0,
    note: Annotated[str, typer.Option(help="What was said")] = "",
    at: Annotated[str | None, typer.Option(help="When, ISO with offset (default: now)")] = None,
    all_channels: Annotated[bool, typer.Option("--all-channels",
                                               help="A cease request that covers every channel")] = False,
    hours: Annotated[str, typer.Option("--hours", help="inconvenient_time: the hours named, HH:MM-HH:MM in the "
                                                       "customer's time")] = "",
) -> None:
    """Record a contact attempt; a contact the rule pack blocks is refused with the rule and the reason."""
    from collector_tui.locale.render import check_text, when_text
    from collector_tui.work import contact as recorder
    from collector_tui.work.cases import known_case_id
    from collector_tui.work.status import collector_zone, me

    c = ctx_of(ctx)
    moment = _moment(at)
    engine = open_cache(c)
    case_id = known_case_id(engine, case_id)  # c-000013 is C-000013
    outcome = recorder.Outcome(channel=channel, disposition=disposition, target=target, number=number,
                               duration_s=duration, note=note,
                               scope=hours if disposition == "inconvenient_time" else "all" if all_channels else "")
    try:
        ids = recorder.record_outcome(engine, config.build_rules(c.settings), case_id, outcome,
                                      now=datetime.now(UTC), at=moment, collector=local_user(c))
    except recorder.UnknownCase:
        raise fail(t("cli.unknown_case", case=case_id), 2) from None
    except recorder.Invalid as exc:
        raise _errors(exc.errors) from None
    except recorder.Blocked as exc:
        d = exc.decision
        raise fail(t("form.blocked", rule=d.rule, why=check_text(d.reason, d.params),
                     when=when_text(d.next_allowed_at, collector_zone(me(engine)))), 3) from None
    typer.echo(t("cli.recorded", id=ids[0]))


@promise_app.command("add")
def promise_add(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(help="Case id")],
    date: Annotated[str, typer.Option("--date", help="Due date, YYYY-MM-DD")],
    amount: Annotated[str, typer.Option("--amount", help="Amount, such as 1000 or 1000.50")],
) -> None:
    """Record a promise to pay an amount by a date."""
    from collector_tui.work.cases import known_case_id
    from collector_tui.work.contact import Invalid, UnknownCase
    from collector_tui.work.promise import add_promise

    c = ctx_of(ctx)
    due, e1 = parse_day(date)
    value, e2 = parse_amount(amount)
    if e1 or e2:
        raise _errors(e1 + e2)
    assert due is not None and value is not None
    engine = open_cache(c)
    case_id = known_case_id(engine, case_id)  # c-000013 is C-000013
    try:
        entry = add_promise(engine, config.build_rules(c.settings), case_id, due=due, amount=value,
                            now=datetime.now(UTC))
    except UnknownCase:
        raise fail(t("cli.unknown_case", case=case_id), 2) from None
    except Invalid as exc:
        raise _errors(exc.errors) from None
    typer.echo(t("cli.recorded", id=entry))


@outbox_app.callback()
def outbox_list(ctx: typer.Context) -> None:
    """List pending and failed entries with the server's reasons."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.console import Console

    from collector_tui.locale.render import entry_what, entry_when
    from collector_tui.work import outbox
    from collector_tui.work.status import collector_zone, me
    from collector_tui.widgets.plain import TextTable

    c = ctx_of(ctx)
    engine = open_cache(c)
    items = outbox.entries(engine)
    if not items:
        typer.echo(t("cli.outbox_empty"))
        return
    if not sys.stdout.isatty():
        # Scripts get one tab-separated line an entry, nothing cut.
        for e in items:
            typer.echo("\t".join([e.id, e.type, e.case_id, e.state, str(e.attempts), e.last_error or ""]))
        return
    table = TextTable(show_edge=False)  # the server's reasons are printed as text, never read as markup
    table.add_column("id", no_wrap=True, min_width=36)  # ids are copied into `outbox retry`: never cut them
    tz = collector_zone(me(engine))
    for head in (t("outbox.col_when", tz=tz), t("outbox.col_what"), t("outbox.col_case"), t("outbox.col_state"),
                 t("outbox.col_tries")):
        table.add_column(head, no_wrap=True)
    table.add_column(t("outbox.col_reason"), overflow="fold")
    for e in items:
        table.add_row(e.id, entry_when(e.occurred_at, tz), entry_what(e.type, e.payload), e.case_id,
                      t(f"outbox.state_{e.state}"), str(e.attempts), e.last_error or "")
    Console().print(table)


@outbox_app.command("retry")
def outbox_retry(ctx: typer.Context, entry_id: Annotated[str, typer.Argument(help="Outbox entry id")]) -> None:
    """Put a failed entry back in line for the next sync."""
    from collector_tui.work import outbox

    c = ctx_of(ctx)
    if not outbox.retry(open_cache(c), entry_id):
        raise fail(t("cli.outbox_unknown", id=entry_id), 2)
    typer.echo(t("cli.outbox_retry", id=entry_id))


@outbox_app.command("discard")
def outbox_discard(
    ctx: typer.Context,
    entry_id: Annotated[str, typer.Argument(help="Outbox entry id")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Drop an entry and its local record for good (asks first; written to the audit log). A contact takes the
    checklist made with it along."""
    from collector_tui.locale.render import entry_what
    from collector_tui.work import outbox

    c = ctx_of(ctx)
    engine = open_cache(c)
    entry = outbox.get(engine, entry_id)
    if entry is None:
        raise fail(t("cli.outbox_unknown", id=entry_id), 2)
    question = (t("outbox.discard_contact", case=entry.case_id) if entry.type == "contact.logged"
                else t("cli.outbox_confirm", type=entry_what(entry.type, entry.payload), case=entry.case_id))
    if not yes and not typer.confirm(question, default=False):
        raise typer.Exit(1)
    outbox.discard(engine, entry_id, actor=local_user(c), at=datetime.now(UTC))
    typer.echo(t("cli.outbox_discarded", id=entry_id))


@outbox_app.command("rescue")
def outbox_rescue(
    ctx: typer.Context,
    damaged: Annotated[Path, typer.Argument(help="The damaged cache file (kept, never written)")],
) -> None:
    """Take what a damaged cache's outbox still holds into this home's outbox: the next sync pushes it (the
    server knows each entry by its id, so nothing is recorded twice). Run it in a new home, signed in and synced."""
    import sqlite3

    from collector_tui.work import outbox

    c = ctx_of(ctx)
    here = c.home / config.CACHE_FILE
    if not damaged.is_file():
        raise fail(t("cli.rescue_no_file", path=damaged), 2)
    if here.exists() and damaged.resolve() == here.resolve():
        raise fail(t("cli.rescue_same_home", path=damaged), 2)
    engine = open_cache(c)
    try:
        done = outbox.rescue(engine, damaged, user=local_user(c))
    except outbox.OtherUsersWork as exc:
        raise fail(t("cli.rescue_other_user", path=damaged, owner=exc.owner), 2) from None
    except sqlite3.DatabaseError as exc:
        raise fail(t("cli.rescue_unreadable", path=damaged, reason=exc)) from None
    typer.echo(t("cli.rescued", path=damaged, added=done.added, pending=done.pending, failed=done.failed,
                 already=done.already, lost=done.lost))
