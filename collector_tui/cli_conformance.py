"""`collector-tui conformance`: API v1's contract checks (docs/api.md) run against a server, as a table."""

# start-up: each command imports what it uses inside its own body, so that a dialer or a cron job
# calling one command does not pay for the workbench, the server or the sync client.

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Annotated

import typer

from collector_tui import config
from collector_tui.cli_common import ctx_of, fail
from collector_tui.locale import code, t


def conformance(
    ctx: typer.Context,
    api: Annotated[str | None, typer.Option(help="Base URL of the server under test")] = None,
    user: Annotated[str, typer.Option(help="A collector's account on it")] = "",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input (with "
                                                                          "--other-user, the other's on the next "
                                                                          "line)")] = False,
    other_user: Annotated[str | None, typer.Option("--other-user", help="A second collector: their cases must stay "
                                                                        "out of --user's reach")] = None,
    churn: Annotated[bool, typer.Option("--churn", help="Move cases away with the reference server's POST "
                                                        "/v1/admin/churn (serve --admin), to check "
                                                        "tombstones")] = False,
    state: Annotated[Path | None, typer.Option("--state", help="Keep the assignment and cursor in this file; the next "
                                                               "run checks that each case that left since came as a "
                                                               "tombstone")] = None,
    page_size: Annotated[int, typer.Option("--page-size", min=1, max=1000, help="The feed's limit: small, so the feed "
                                                                                "runs to many pages")] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="The outcomes as JSON")] = False,
    ca_bundle: Annotated[Path | None, typer.Option("--ca-bundle", help="PEM file of a private CA to trust")] = None,
    insecure_http: Annotated[bool, typer.Option("--insecure-http",
                                                help="Allow plain http:// to another machine")] = False,
) -> None:
    """Run API v1's contract checks against a server and print each pass or failure with its evidence. It writes
    to the server: a few checklist completions on one case of --user (and churn with --churn). Exits 1 when a
    check fails."""
    from collector_tui.conformance import NotACollector, Run, Wire, as_json as outcomes_json, run_checks, table
    from collector_tui.sync.errors import InsecureTransport
    from collector_tui.sync.transport import check_url

    c = ctx_of(ctx)
    api = (api or config.api_url(c.settings) or "").rstrip("/")
    if not api:
        raise fail(t("conformance.no_api"), 2)
    user = user or c.settings.user or typer.prompt(t("cli.prompt_user"), err=True)
    try:
        check_url(api, allow_insecure_http=insecure_http)
    except InsecureTransport as exc:
        raise fail(str(exc), 2) from None
    if ca_bundle is not None and not ca_bundle.is_file():
        raise fail(t("cli.no_such_file", option="--ca-bundle", path=ca_bundle), 2)

    def password(name: str) -> str:
        if password_stdin:
            return sys.stdin.readline().rstrip("\n")
        return getpass.getpass(t("conformance.prompt_password", user=name) + ": ")

    mine = password(user)
    other = (other_user, password(other_user)) if other_user else None
    wire = Wire(api, verify=str(ca_bundle.resolve()) if ca_bundle else True)
    try:
        outcomes = run_checks(Run(wire, user, mine, other=other, churn=churn, limit=page_size, state_file=state))
    except NotACollector as exc:
        raise fail(t("conformance.not_collector", user=user, role=code("role", str(exc))), 2) from None
    finally:
        wire.close()
    typer.echo(outcomes_json(outcomes) if as_json else table(outcomes))
    if any(o.result == "fail" for o in outcomes):
        raise typer.Exit(1)
