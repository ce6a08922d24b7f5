"""The `collector-tui` command: open the workbench, or demo, serve, login, logout, sync, status."""

# start-up: each command imports what it uses inside its own body, so that a dialer or a cron job
# calling one command does not pay for the workbench, the server or the sync client.

from __future__ import annotations

import getpass
import json
import os
import sys
import tempfile
from dataclasses import asdict
from enum import Enum
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from collector_tui import config
from collector_tui.cli_common import Ctx, credentials, ctx_of, fail, local_user, open_cache
from collector_tui.cli_conformance import conformance
from collector_tui.cli_report import report_app
from collector_tui.cli_work import contact_app, outbox_app, promise_app
from collector_tui.locale import code, set_locale, t
from collector_tui.policies import PACKS

# Locals are never shown in a crash report: they can hold the token or a debtor's data.
app = typer.Typer(add_completion=False, no_args_is_help=False, pretty_exceptions_show_locals=False,
                  help="A keyboard-first workbench for collectors of delinquent consumer loans. With no command, it "
                       "opens the workbench on the cache.")


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    home: Annotated[Path | None, typer.Option("--home", help="Home folder (default: COLLECTOR_TUI_HOME or the user "
                                                             "data folder)")] = None,
    locale: Annotated[str | None, typer.Option("--locale", help="zh_CN or en")] = None,
) -> None:
    """A keyboard-first workbench for collectors of delinquent consumer loans."""
    level = os.environ.get("COLLECTOR_TUI_LOG")
    if level:
        import logging

        logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if locale in config.LOCALES:
        set_locale(locale)  # a settings file that cannot be read is refused in the language asked for
    try:
        home_dir = config.resolve_home(home)
        settings = config.load_settings(home_dir)
        if locale:
            settings.locale = locale
            settings.validate("--locale")
    except config.SettingsError as exc:
        raise fail(str(exc), 2) from None
    set_locale(settings.locale)
    ctx.obj = Ctx(home_dir, settings)
    if ctx.invoked_subcommand is None:
        _open_workbench(ctx.obj)


def _open_workbench(c: Ctx, *, api: str | None = None, user: str | None = None, token: str | None = None) -> None:
    from collector_tui.launch import workbench

    if not workbench(c.home, c.settings, api=api, user=user, token=token):
        open_cache(c)  # a cache it refused: the message names the file and how to recover


ServerPack = Enum("ServerPack", {p: p for p in PACKS}, type=str)  # type: ignore[misc]  # serve --pack's choices
GRACE_S = 30  # on SIGTERM, requests in flight (a push and its commit) get this long to finish


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8765,
    db: Annotated[str | None, typer.Option(help="Server database: a SQLite path or a URL such as "
                                                "postgresql+psycopg://user@host/db (default: DATABASE_URL or a "
                                                "temporary SQLite file)")] = None,
    seed: Annotated[int, typer.Option(help="Portfolio seed")] = 7,
    cases: Annotated[int, typer.Option(help="Cases to generate")] = 300,
    collectors: Annotated[int, typer.Option(help="Collectors to spread the cases over")] = 2,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Reference date of the portfolio (YYYY-MM-DD)")] = None,
    admin: Annotated[bool, typer.Option(
        "--admin",
        help="Enable the servicer's endpoints for tests and demos: /v1/admin/churn (change the portfolio over time), "
             "/v1/admin/plans (approve or reject), /v1/admin/promises (kept or broken), /v1/admin/messages "
             "(delivery)")] = False,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Server processes on one PostgreSQL database; they "
                                                                  "share nothing else")] = 1,
    migrate_only: Annotated[bool, typer.Option("--migrate-only", help="Create or upgrade the database's schema, then "
                                                                      "exit")] = False,
    pack: Annotated[ServerPack, typer.Option(
        "--pack", envvar="COLLECTOR_TUI_SERVER_PACK",
        help="The deployment's rule pack: pushed entries (a callback's hours, a message's sending window) are checked "
             "against it")] = ServerPack("cn"),
    metrics_port: Annotated[int | None, typer.Option(
        "--metrics-port",
        help="Serve Prometheus metrics at http://HOST:PORT/metrics, every worker's figures summed (off by default; "
             "never the API's port)")] = None,
    log_file: Annotated[Path | None, typer.Option("--log-file", help="Append the JSON log lines (one per request) to "
                                                                     "this file instead of standard error")] = None,
) -> None:
    """Run the reference servicing API on a seeded synthetic portfolio (seeded once, when the database has no
    accounts)."""
    # Imported here for start-up speed: the workbench's commands never load the server.
    from sqlalchemy.engine import make_url

    from collector_tui.server.schema import current
    from collector_tui.server.store import SeedSpec, database_url, is_sqlite, open_server_db

    target = database_url(db or os.environ.get("DATABASE_URL")
                          or str(Path(tempfile.mkdtemp(prefix="collector-server-")) / "server.db"))
    shown = make_url(target).render_as_string(hide_password=True)
    if migrate_only:
        engine = open_server_db(target)
        typer.echo(t("cli.serve_migrated", url=shown, revision=current(engine)))
        engine.dispose()
        return
    if workers > 1 and target.startswith("sqlite"):
        raise fail(t("cli.serve_workers_sqlite"), 2)
    # Before anything imports prometheus_client: each process's figures go to files the parent sums.
    from collector_tui.server.metrics_dir import remove_shared_dir, use_shared_dir

    shared = use_shared_dir(workers)
    from collector_tui.server.requestlog import start_logging
    from collector_tui.server.runner import prepare, serve_forever

    start_logging(str(log_file) if log_file else None)

    spec = SeedSpec(seed=seed, cases=cases, collectors=collectors, as_of=date.fromisoformat(as_of) if as_of else None)
    engine, accounts = prepare(target, spec)
    url = f"http://{host}:{port}"
    typer.echo(t("cli.serve_ready", url=url, cases=cases, seed=seed))
    if accounts:
        typer.echo(t("cli.serve_accounts", accounts=", ".join(f"{u} ({role})" for u, _, role in accounts)))
    if not is_sqlite(engine) or workers > 1:
        typer.echo(t("cli.serve_database", url=shown, workers=workers))
    try:
        serve_forever(engine, target, host=host, port=port, workers=workers, admin=admin, pack=pack.value,
                      metrics_port=metrics_port, log_file=log_file, grace_s=GRACE_S)
    finally:
        remove_shared_dir(shared)


@app.command()
def login(
    ctx: typer.Context,
    api: Annotated[str | None, typer.Option(help="Servicing API base URL")] = None,
    user: Annotated[str | None, typer.Option(help="User name")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                 help="Read the password from standard input")] = False,
    ca_bundle: Annotated[Path | None, typer.Option("--ca-bundle", help="PEM file of a private CA to trust")] = None,
    insecure_http: Annotated[bool, typer.Option("--insecure-http", help="Allow plain http:// to another machine: the "
                                                                        "token and personal data travel "
                                                                        "unencrypted")] = False,
    print_token: Annotated[bool, typer.Option(
        "--print-token",
        help="For a machine without a keyring: print the token on standard output instead of keeping it, to put in "
             "COLLECTOR_TUI_TOKEN. RISK: whoever reads it (the terminal, its scroll-back, shell history, a file, a "
             "process listing) can act as you, reveal debtors' data and record work in your name until it expires. "
             "Pipe it straight into the environment of the process that needs it; never into a file or a command "
             "line.")] = False,
) -> None:
    """Sign in and keep the token in the OS keyring (or print it, with --print-token, where there is none)."""
    from collector_tui.sync.client import ApiClient
    from collector_tui.sync.credentials import NoCredentialStore, save_token
    from collector_tui.sync.errors import SyncError
    from collector_tui.sync.service import identify

    c = ctx_of(ctx)
    api = (api or config.api_url(c.settings)).rstrip("/")
    if not api:
        raise fail(t("cli.no_api"), 2)
    user = user or c.settings.user or typer.prompt(t("cli.prompt_user"), err=True)
    if ca_bundle is not None:
        if not ca_bundle.is_file():
            raise fail(t("cli.no_such_file", option="--ca-bundle", path=ca_bundle), 2)
        c.settings.ca_bundle = str(ca_bundle.resolve())
    c.settings.allow_insecure_http = insecure_http
    options = config.transport(c.settings)
    password = sys.stdin.readline().rstrip("\n") if password_stdin else getpass.getpass(t("cli.prompt_password"))
    try:
        with ApiClient(api, **options) as client:
            issued = client.login(user, password)
        with ApiClient(api, issued.access_token, **options) as client:
            me = identify(client, user)
        if not print_token:
            save_token(api, user, issued.access_token)
    except (SyncError, NoCredentialStore) as exc:
        raise fail(str(exc)) from None
    c.settings.api_url, c.settings.user = api, user
    config.save_settings(c.home, c.settings)
    if print_token:
        # The token alone on standard output (for `export COLLECTOR_TUI_TOKEN=$(...)`); the warning on stderr.
        typer.echo(issued.access_token)
        typer.echo(t("cli.token_printed", api=api, user=user, role=code("role", me.role),
                     minutes=issued.expires_in // 60), err=True)
        return
    typer.echo(t("cli.login_ok", api=api, user=user, role=code("role", me.role)))


@app.command()
def logout(ctx: typer.Context) -> None:
    """Remove the stored token."""
    from collector_tui.sync.credentials import delete_token

    c = ctx_of(ctx)
    api, user = config.api_url(c.settings), c.settings.user
    if not api or not user:
        raise fail(t("cli.no_user"), 2)
    typer.echo(t("cli.logout_ok" if delete_token(api, user) else "cli.logout_none", api=api, user=user))


SYNC_REFUSED = 5  # the exit status of a sync that ran while the server refused some of the work it pushed


@app.command()
def sync(ctx: typer.Context) -> None:
    """Bring the cache up to date with the server. Exits 5 when the server refused some of the work pushed
    (`collector-tui outbox` lists it with the reasons), 1 when the sync failed."""
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from collector_tui.storage import state
    from collector_tui.storage.state import HomeInUse
    from collector_tui.sync.errors import SyncError
    from collector_tui.sync.service import run_sync

    c = ctx_of(ctx)
    api, user, token = credentials(c)
    engine = open_cache(c)
    rules = config.build_rules(c.settings)
    try:
        if sys.stderr.isatty():
            with Progress(SpinnerColumn(), TextColumn("{task.description}"), transient=True) as bar:
                task = bar.add_task("sync", total=None)
                result = run_sync(engine, api, user, token, page_size=c.settings.page_size, rules=rules,
                                  client_options=config.transport(c.settings),
                                  progress=lambda r: bar.update(task, description=t("cli.sync_progress",
                                                                                    cases=r.upserted, pages=r.pages)))
        else:
            result = run_sync(engine, api, user, token, page_size=c.settings.page_size, rules=rules,
                              client_options=config.transport(c.settings))
    except (SyncError, HomeInUse) as exc:
        raise fail(t("cli.sync_failed", reason=exc)) from None
    st = state.status(engine)
    typer.echo(t("cli.sync_ok_one" if result.pages == 1 else "cli.sync_ok", upserted=result.upserted,
                 removed=result.removed, pages=result.pages, open=st.open_cases))
    if result.pushed is not None:
        typer.echo(t("cli.push_ok", sent=result.pushed.sent, failed=len(result.pushed.failed),
                     pending=st.outbox_pending, total_failed=st.outbox_failed))
        if result.pushed.failed:
            # The sync ran, but the server refused some of this run's work: a script must see that (exit 5).
            raise fail(t("cli.push_refused", failed=len(result.pushed.failed)), SYNC_REFUSED)


@app.command()
def pop(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(help="The case the call is about, such as C-000123")],
    number: Annotated[str, typer.Option("--number", help="The number the dialer connected")] = "",
) -> None:
    """Screen-pop: the workbench running on this home opens the case with the contact form for the number."""
    from collector_tui.work import screen_pop  # start-up: a dialer runs this on every call, it loads nothing else

    c = ctx_of(ctx)
    try:
        screen_pop.send(c.home, screen_pop.Pop(case_id, number))
    except screen_pop.NoWorkbench:
        raise fail(t("pop.no_workbench", home=c.home), 1) from None
    except screen_pop.PopRefused as exc:
        raise fail(t(f"pop.refused_{exc.code}", case=case_id), 2) from None
    except OSError as exc:
        raise fail(t("pop.failed", error=exc.strerror or str(exc)), 1) from None
    typer.echo(t("pop.sent", case=case_id))


@app.command()
def status(ctx: typer.Context,
           as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False) -> None:
    """What the cache holds and when it last synced."""
    from collector_tui.launch import print_status
    from collector_tui.work.peek import status_fields

    c = ctx_of(ctx)
    # Read with sqlite3 alone where it can answer; an encrypted or new cache takes the full open.
    fields = None if c.settings.encrypt_cache else status_fields(c.home / config.CACHE_FILE)
    if fields is None:
        from collector_tui.work.status import status as cache_status

        fields = asdict(cache_status(open_cache(c)))
    print_status(fields, c.settings, as_json=as_json)


@app.command()
def today(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
    at: Annotated[str | None, typer.Option("--at", help="As at this moment (ISO date-time; no zone = the "
                                                         "collector's)")] = None,
) -> None:
    """My day: attempts, right-party contacts, promises, callbacks and untouched cases, against the team's targets."""
    # start-up: each command imports what it uses (a dialer or cron job should not pay for the workbench)
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from rich.console import Console

    from collector_tui.widgets.day_table import figures_table, team_table
    from collector_tui.work.status import collector_zone, me
    from collector_tui.work.today import my_day

    c = ctx_of(ctx)
    engine = open_cache(c)
    moment = datetime.now(UTC)
    if at:
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            raise fail(f"--at: {t('form.moment_local', value=at)}", 2) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(collector_zone(me(engine))))
    day = my_day(engine, moment)
    if as_json:
        typer.echo(json.dumps(day.as_json(), ensure_ascii=False))
        return
    console = Console()
    console.print(t("today.title", day=day.day.isoformat(), tz=day.zone,
                    at=f"{moment.astimezone(ZoneInfo(day.zone)):%H:%M}"),
                  markup=False, highlight=False)
    console.print(figures_table(day))
    if day.collectors:
        console.print(t("today.team"), markup=False, highlight=False)
        console.print(team_table(day.collectors))


@app.command()
def queue(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list")] = False,
    at: Annotated[str | None, typer.Option("--at", help="Order as at this moment (ISO date-time; no zone = the "
                                                         "collector's)")] = None,
    policy: Annotated[str | None, typer.Option("--policy", help="Rule pack: cn, us-regf or uk-conc")] = None,
) -> None:
    """Print the call queue as the workbench orders it, with the reason for every case."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from rich.console import Console

    from collector_tui.domain.policy import PackError
    from collector_tui.launch import queue_json
    from collector_tui.work.cases import case_summaries, place_all
    from collector_tui.work.status import collector_zone, me
    from collector_tui.widgets.plain import TextTable

    c = ctx_of(ctx)
    if policy:
        c.settings.policy = policy
    try:
        c.settings.validate("--policy")
        rules = config.build_rules(c.settings)
    except (config.SettingsError, PackError) as exc:
        raise fail(str(exc), 2) from None
    engine = open_cache(c)
    tz = collector_zone(me(engine))
    if at:
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            raise fail(f"--at: {t('form.moment_local', value=at)}", 2) from None
        moment = moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(tz))
    else:
        moment = datetime.now(UTC)
    placed = place_all(engine, moment, rules)
    rows = queue_json(placed, {k: s.currency for k, s in case_summaries(engine).items()}, tz)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    # Case ids and reasons come from the cache: printed as text, never read as markup.
    table = TextTable(title=f"{t('queue.title')} · {rules.pack.name} · "
                            f"{moment.astimezone(ZoneInfo(tz)):%Y-%m-%d %H:%M}")
    for head in ("#", "col.case", "col.stage", "col.tier", "col.next"):
        table.add_column(t(head) if head != "#" else head)
    for r in rows:
        table.add_row(str(r["position"] + 1), r["id"], t(f"stage.{r['stage']}"), r["tier"], r["reason"])
    Console().print(table)


@app.command()
def purge(
    ctx: typer.Context,
    case_id: Annotated[str | None, typer.Option("--case", help="Erase this case's personal data")] = None,
    everything: Annotated[bool, typer.Option("--all", help="Erase every case's personal data in this cache")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Erase personal data from the cache on request (PIPL art. 47); unpushed work stays until the server has it."""
    from datetime import UTC, datetime

    from collector_tui.work.cases import known_case_id
    from collector_tui.work.privacy import purge_all, purge_case, unpushed

    c = ctx_of(ctx)
    if bool(case_id) == everything:
        raise fail(t("cli.purge_which"), 2)
    engine = open_cache(c)
    case_id = known_case_id(engine, case_id) if case_id else None  # c-000013 is C-000013
    pending, failed = unpushed(engine, case_id)
    if pending or failed:  # said before the question (and with --yes too): the purge keeps this work
        typer.echo(t("cli.purge_pending", what=case_id or t("cli.purge_everything"), pending=pending, failed=failed),
                   err=True)
    if not yes and not typer.confirm(t("cli.purge_confirm", what=case_id or t("cli.purge_everything")), default=False):
        raise typer.Exit(1)
    now = datetime.now(UTC)
    actor = local_user(c)
    count = purge_case(engine, case_id, actor=actor, at=now) if case_id else purge_all(engine, actor=actor, at=now)
    if case_id and not count:
        raise fail(t("cli.unknown_case", case=case_id), 2)
    typer.echo(t("cli.purged", count=count))


@app.command()
def demo(
    ctx: typer.Context,
    locale: Annotated[str | None, typer.Option("--locale", help="zh_CN or en")] = None,
    cases: Annotated[int, typer.Option(help="Cases in the demo portfolio")] = 300,
    seed: Annotated[int, typer.Option(help="Portfolio seed")] = 7,
    user: Annotated[str, typer.Option("--user", help="Whom to sign in as: demo or demo2 (collectors), lead (their team "
                                                     "lead: T opens the Team review)")] = "demo",
) -> None:
    """Start the reference server on loopback with a demo portfolio, sign in as `demo` (or --user), sync, open the
    workbench. Everything it made (the server's database, the demo's home) is removed when it ends."""
    import shutil

    from collector_tui.server.runner import ServerThread, prepare
    from collector_tui.server.store import SeedSpec
    from collector_tui.storage.engine import open_engine
    from collector_tui.sync.client import ApiClient
    from collector_tui.sync.service import run_sync

    c = ctx_of(ctx)
    if locale:
        c.settings.locale = locale
        try:
            c.settings.validate("--locale")
        except config.SettingsError as exc:
            raise fail(str(exc), 2) from None
        set_locale(locale)
    workdir = Path(tempfile.mkdtemp(prefix="collector-demo-"))
    server = server_engine = None
    try:
        server_engine, accounts = prepare(workdir / "server.db", SeedSpec(seed=seed, cases=cases, collectors=2))
        if user not in {name for name, _, _ in accounts}:
            raise fail(t("cli.demo_user", user=user, users=", ".join(name for name, _, _ in accounts)), 2)
        server = ServerThread(server_engine, admin=True).start()
        # The demo keeps its token in memory: it must run on machines without a keyring.
        with ApiClient(server.url) as client:
            token = client.login(user, user).access_token
        demo_home = Ctx(config.resolve_home(workdir / "home"), c.settings)
        c.settings.api_url, c.settings.user = server.url, user
        engine = open_engine(demo_home.home / config.CACHE_FILE)
        run_sync(engine, server.url, user, token)
        engine.dispose()
        _open_workbench(demo_home, api=server.url, user=user, token=token)
    finally:
        if server is not None:
            server.stop()
        if server_engine is not None:
            server_engine.dispose()
        # Nothing of the demo outlives it: the server's database and the demo home (a cache of made-up debtors).
        shutil.rmtree(workdir, ignore_errors=True)


app.add_typer(contact_app, name="contact")
app.add_typer(promise_app, name="promise")
app.add_typer(outbox_app, name="outbox")
app.add_typer(report_app, name="report")
app.command()(conformance)


def main() -> None:
    try:
        app()
    except Exception as exc:
        # A cache found damaged after it opened (a corrupt page hit by a query), in any command: the same one
        # message as damage found at open, with the way to recover, not a traceback. Looked up, not imported:
        # a command that never opened the cache has not loaded the storage layer, and cannot have hit it.
        engine = sys.modules.get("collector_tui.storage.engine")
        if engine is not None and isinstance(exc, engine.CacheUnreadable):
            typer.echo(str(exc), err=True)
            sys.exit(1)
        raise
