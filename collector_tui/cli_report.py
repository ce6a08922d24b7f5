"""`collector-tui report contacts`: the team lead's contact-frequency figures as a table, CSV or JSON."""

# start-up: each command imports what it uses inside its own body, so that a dialer or a cron job
# calling one command does not pay for the workbench, the server or the sync client.

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from collector_tui import config
from collector_tui.cli_common import credentials, ctx_of, fail, local_user, open_cache
from collector_tui.locale import t

report_app = typer.Typer(help="Reports for team leads.", no_args_is_help=True)
COLUMNS = ("collector", "name", "cases", "contacts_7d", "contacts_30d", "per_case_median", "per_case_p25",
           "per_case_p75", "over_cap", "under_floor", "golden_misses", "outside_hours", "promises_kept",
           "promises_partly_kept", "promises_broken", "phone_attempts", "right_party", "rpc_rate", "over_cap_cases",
           "under_floor_cases", "golden_miss_cases")
LEADS_ONLY = 4  # the exit status of a command for team leads run by a collector


def figure_rows(figures: list[Any]) -> list[dict[str, Any]]:
    return [{
        "collector": f.id, "name": f.name, "cases": f.cases,
        "contacts_7d": f.contacts_7d, "contacts_30d": f.contacts_30d,
        "per_case_median": f.per_case_median, "per_case_p25": f.per_case_p25, "per_case_p75": f.per_case_p75,
        "over_cap": len(f.over_cap), "under_floor": len(f.under_floor), "golden_misses": len(f.golden_misses),
        "outside_hours": f.outside_hours, "promises_kept": f.promises_kept,
        "promises_partly_kept": f.promises_partly_kept, "promises_broken": f.promises_broken,
        "phone_attempts": f.phone_attempts, "right_party": f.right_party, "rpc_rate": round(f.rpc_rate, 4),
        "over_cap_cases": " ".join(f.over_cap), "under_floor_cases": " ".join(f.under_floor),
        "golden_miss_cases": " ".join(f.golden_misses),
    } for f in figures]


@report_app.command("contacts")
def report_contacts(
    ctx: typer.Context,
    date_from: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD (the customers' calendar days): "
                                                          "outside hours, promises, right-party rate and golden "
                                                          "misses cover --from to --to")],
    date_to: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD, not after today: the 30-day figures (the "
                                                      "band) cover the 30 days ending on it, the 7-day ones the 7, "
                                                      "whatever --from is")],
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of the terminal")] = None,
) -> None:
    """Per collector: contacts in 7 and 30 days, per case per month, over the cap, under the floor,
    golden-window misses, contacts outside the allowed hours, promises, right-party rate (docs/team.md).
    Team leads only. The report is its own query: the Team screen's figures stay as the last sync left them."""
    from collector_tui.storage import audit
    from collector_tui.sync.client import ApiClient
    from collector_tui.sync.errors import Forbidden, SyncError
    from collector_tui.sync.service import identify
    from collector_tui.work import team
    from collector_tui.work.status import collector_zone, me

    c = ctx_of(ctx)
    if fmt not in ("table", "csv", "json"):
        raise fail(t("cli.bad_format", choices="table, csv, json"), 2)
    try:
        start, end = date.fromisoformat(date_from), date.fromisoformat(date_to)
    except ValueError:
        raise fail(f"--from/--to: {t('form.date')}", 2) from None
    if end < start:
        raise fail(t("cli.report_from_after_to"), 2)
    engine = open_cache(c)
    known = me(engine)  # who the last sync said this home belongs to
    now = datetime.now(UTC)

    def refuse_future(zone: str) -> None:
        today = now.astimezone(ZoneInfo(zone)).date()
        if team.future(end, today):
            raise fail(t("cli.report_future", to=end.isoformat(), today=today.isoformat(), zone=zone), 2)

    if known is not None and known.role != "lead":
        raise fail(t("cli.leads_only"), LEADS_ONLY)
    refuse_future(collector_zone(known))
    api, user, token = credentials(c)
    wide_from, _ = team.fetch_range(start, end)
    try:
        with ApiClient(api, token, **config.transport(c.settings)) as client:
            who = identify(client, user)
            if who.role != "lead":
                raise fail(t("cli.leads_only"), LEADS_ONLY)
            refuse_future(who.timezone)
            user = who.id
            wide = client.team_stats(wide_from.isoformat(), end.isoformat()).model_dump(mode="json", by_alias=True)
            ranged = None
            if wide_from != start:  # promises are counted over the range asked for: ask for the report's own
                ranged = client.team_stats(start.isoformat(), end.isoformat()).model_dump(mode="json", by_alias=True)
        data = team.report_data(wide, ranged, now)
    except Forbidden:
        raise fail(t("cli.leads_only"), LEADS_ONLY) from None
    except SyncError as exc:
        cached = team.cached_for(engine, start, end)
        if cached is None:
            raise fail(t("cli.report_failed", reason=exc)) from None
        typer.echo(t("cli.report_cached", at=cached.fetched_at), err=True)
        data = cached
    rules = config.build_rules(c.settings)
    result = team.review(data, rules.pack, start, end)
    rows = figure_rows(result.figures)
    audit.record(engine, at=now, actor=local_user(c) if not user else user, action="report.contacts",
                 detail=f"{start}..{end} {fmt}")
    if fmt == "json":
        text = json.dumps({"team": data.team_id, "from": start.isoformat(), "to": end.isoformat(),
                           "month_from": result.month_start.isoformat(), "days": "customer", "pack": rules.pack.id,
                           "floor": result.floor, "cap": result.cap, "collectors": rows},
                          ensure_ascii=False, indent=2)
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
        text = buffer.getvalue()
    else:
        from rich.console import Console

        from collector_tui.widgets.plain import TextTable

        # Names and ids come from the server: printed as text, never read as markup.
        table = TextTable(title=t("team.report_title", team=data.team_id, start=start.isoformat(), end=end.isoformat(),
                                  month=result.month_start.isoformat(), floor=result.floor, cap=result.cap,
                                  pack=rules.pack.id))
        for key in ("collector", "cases", "c7", "c30", "per_case", "over", "under", "golden", "hours", "promises",
                    "rpc"):
            table.add_column(t(f"team.col_{key}"))
        for r in rows:
            table.add_row(r["name"], str(r["cases"]), str(r["contacts_7d"]), str(r["contacts_30d"]),
                          f"{r['per_case_median']:g} ({r['per_case_p25']:g}–{r['per_case_p75']:g})", str(r["over_cap"]),
                          str(r["under_floor"]), str(r["golden_misses"]), str(r["outside_hours"]),
                          f"{r['promises_kept']}/{r['promises_partly_kept']}/{r['promises_broken']}",
                          f"{r['rpc_rate']:.0%}")
        # A pipe gets a width wide enough for every column rather than the 80 a terminal-less console assumes.
        console = Console(file=io.StringIO(), width=160) if out else Console(width=None if sys.stdout.isatty() else 160)
        console.print(table)
        for r in rows:
            if r["over_cap_cases"]:
                console.print(f"{r['name']} · {t('team.status_over')}: {r['over_cap_cases']}", markup=False)
        if out is None:
            return
        text = console.file.getvalue()  # type: ignore[attr-defined]
    if out:
        out.write_text(text, encoding="utf-8")
        typer.echo(t("cli.report_written", path=out))
    else:
        typer.echo(text)
