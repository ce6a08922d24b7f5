"""`collector-tui report contacts`: the team lead's contact-frequency figures as a table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from collector_tui import config
from collector_tui.cli_common import credentials, ctx_of, fail, open_cache
from collector_tui.locale import t

report_app = typer.Typer(help="Reports for team leads.", no_args_is_help=True)
COLUMNS = ("collector", "name", "cases", "contacts_7d", "contacts_30d", "per_case_median", "per_case_p25",
           "per_case_p75", "over_cap", "under_floor", "golden_misses", "outside_hours", "promises_kept",
           "promises_broken", "rpc_rate", "over_cap_cases", "under_floor_cases", "golden_miss_cases")


def figure_rows(figures: list[Any]) -> list[dict[str, Any]]:
    return [{
        "collector": f.id, "name": f.name, "cases": f.cases, "contacts_7d": f.contacts_7d, "contacts_30d": f.contacts_30d,
        "per_case_median": f.per_case_median, "per_case_p25": f.per_case_p25, "per_case_p75": f.per_case_p75,
        "over_cap": len(f.over_cap), "under_floor": len(f.under_floor), "golden_misses": len(f.golden_misses),
        "outside_hours": f.outside_hours, "promises_kept": f.promises_kept, "promises_broken": f.promises_broken,
        "rpc_rate": round(f.rpc_rate, 4), "over_cap_cases": " ".join(f.over_cap),
        "under_floor_cases": " ".join(f.under_floor), "golden_miss_cases": " ".join(f.golden_misses),
    } for f in figures]


@report_app.command("contacts")
def report_contacts(
    ctx: typer.Context,
    date_from: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD")],
    date_to: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD; the monthly figures cover the 30 days to it")],
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    out: Annotated[Optional[Path], typer.Option("--out", help="Write to this file instead of the terminal")] = None,
) -> None:
    """Per collector: contacts in 7 and 30 days, per case per month, over the cap, under the floor,
    golden-window misses, contacts outside the allowed hours, promises, right-party rate."""
    from collector_tui.domain.contact_review import monthly_band, team_figures
    from collector_tui.storage import audit
    from collector_tui.storage.team_stats import load_team_stats, save_team_stats
    from collector_tui.sync.client import ApiClient
    from collector_tui.sync.errors import SyncError

    c = ctx_of(ctx)
    if fmt not in ("table", "csv", "json"):
        raise fail("--format: choose one of: table, csv, json", 2)
    try:
        start, end = date.fromisoformat(date_from), date.fromisoformat(date_to)
    except ValueError:
        raise fail(f"--from/--to: {t('form.date')}", 2) from None
    if end < start:
        raise fail("--from must not be after --to", 2)
    engine = open_cache(c)
    api, user, token = credentials(c)
    now = datetime.now(timezone.utc)
    try:
        with ApiClient(api, token, **config.transport(c.settings)) as client:
            stats = client.team_stats(start.isoformat(), end.isoformat())
        save_team_stats(engine, stats.model_dump(mode="json", by_alias=True), now)
    except SyncError as exc:
        cached = load_team_stats(engine)
        if cached is None or cached.date_from > start or cached.date_to < end:
            raise fail(t("cli.sync_failed", reason=exc)) from None
        typer.echo(t("cli.report_cached", at=cached.fetched_at), err=True)
    data = load_team_stats(engine)
    assert data is not None
    rules = config.build_rules(c.settings)
    contacts = [x for x in data.contacts if start <= x.day <= end]
    rows = figure_rows(team_figures(data.collectors, data.cases, contacts, end, rules.pack))
    audit.record(engine, at=now, actor=user, action="report.contacts", detail=f"{start}..{end} {fmt}")
    if fmt == "json":
        text = json.dumps({"team": data.team_id, "from": start.isoformat(), "to": end.isoformat(), "pack": rules.pack.id,
                           "collectors": rows}, ensure_ascii=False, indent=2)
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
        text = buffer.getvalue()
    else:
        from rich.console import Console

        from collector_tui.widgets.plain import TextTable

        floor, cap = monthly_band(rules.pack)
        # Names and ids come from the server: printed as text, never read as markup.
        table = TextTable(title=t("team.title", team=data.team_id, end=end.isoformat(), floor=floor, cap=cap,
                                  pack=rules.pack.id))
        for key in ("collector", "cases", "c7", "c30", "per_case", "over", "under", "golden", "hours", "promises", "rpc"):
            table.add_column(t(f"team.col_{key}"))
        for r in rows:
            table.add_row(r["name"], str(r["cases"]), str(r["contacts_7d"]), str(r["contacts_30d"]),
                          f"{r['per_case_median']:g} ({r['per_case_p25']:g}–{r['per_case_p75']:g})", str(r["over_cap"]),
                          str(r["under_floor"]), str(r["golden_misses"]), str(r["outside_hours"]),
                          f"{r['promises_kept']}/{r['promises_broken']}", f"{r['rpc_rate']:.0%}")
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
