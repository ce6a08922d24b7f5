"""The team lead's review on a portfolio with planted contact patterns, known in advance.

demo (20 cases), demo2 (20 cases) in team T1 under `lead`; north1 (20 cases) in team T2 under `lead2`.
Every T1 case is 20 days overdue and reached on days 1..k after that at 10:00 local, unless planted otherwise.
"""

from __future__ import annotations

import csv
import json
import subprocess
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from collector_tui.domain.contact_review import team_figures
from collector_tui.policies import load_pack
from collector_tui.server.models import CaseDoc
from collector_tui.storage.engine import open_engine
from collector_tui.storage.team_stats import load_team_stats
from collector_tui.sync.client import ApiClient
from collector_tui.sync.service import run_sync
from tests.conftest import CLI, MakeServer, RunningServer, cli_env

END = date(2026, 11, 27)
SINCE = END - timedelta(days=20)
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime.combine(END, time(12), SH)


def contact(case_id: str, day: date, hour: int, disposition: str, n: int) -> dict[str, Any]:
    return {
        "id": f"pl-{case_id}-{day}-{hour}-{disposition}-{n}",
        "at": datetime.combine(day, time(hour, n % 60), SH).isoformat(),
        "channel": "phone",
        "target": "customer",
        "disposition": disposition,
        "collector": "",
        "duration_s": 60,
        "note": "",
    }


def plant(server: RunningServer) -> dict[str, dict[str, Any]]:
    """Rewrite T1's histories; returns the expected figures per collector, worked out by hand from the plan."""
    expected = {u: {"cases": 0, "c7": 0, "c30": 0, "over": [], "under": [], "golden": [], "hours": 0, "kept": 0,
                    "broken": 0, "talks": 0, "phone": 0, "per_case": []} for u in ("demo", "demo2")}
    with Session(server.engine) as s:
        rows = s.execute(select(CaseDoc).where(CaseDoc.team_id == "T1").order_by(CaseDoc.id)).scalars().all()
        for index, row in enumerate(rows):
            doc = json.loads(row.doc)
            who = row.assigned_to
            e = expected[who]
            e["cases"] += 1  # type: ignore[operator]
            doc["customer"]["timezone"] = "Asia/Shanghai"
            doc["loan"]["dpd"], doc["loan"]["overdue_since"] = 20, SINCE.isoformat()
            reached, first_day, late, no_answer, promises = (3 if who == "demo2" else 4), 1, 0, 0, []
            position = index // 2  # the demo's n-th case
            if who == "demo" and position == 0:
                reached = 8  # over the cap
                promises = [
                    {
                        "id": "pk",
                        "made_at": NOW.isoformat(),
                        "due_date": "2026-11-20",
                        "amount": "100.00",
                        "status": "kept",
                    }
                ]
            elif who == "demo" and position == 1:
                reached = 7  # over the cap
                promises = [
                    {
                        "id": "pb",
                        "made_at": NOW.isoformat(),
                        "due_date": "2026-11-21",
                        "amount": "100.00",
                        "status": "broken",
                    }
                ]
            elif who == "demo" and position == 2:
                reached, no_answer = 2, 2  # under the floor
            elif who == "demo" and position == 3:
                late = 1  # one call at 23:00
            elif who == "demo" and position == 4:
                first_day = 17  # first reached on day 17: a golden-window miss
            contacts = [contact(row.id, SINCE + timedelta(days=first_day + i), 10, "rpc", i) for i in range(reached)]
            contacts += [contact(row.id, SINCE + timedelta(days=2 + i), 11, "no_answer", i) for i in range(no_answer)]
            contacts += [contact(row.id, SINCE + timedelta(days=5), 23, "rpc", 99) for _ in range(late)]
            doc["contacts"], doc["promises"], doc["callbacks"] = contacts, promises, []
            row.doc = json.dumps(doc, ensure_ascii=False)
            s.add(row)
            days = [datetime.fromisoformat(c["at"]).date() for c in contacts]
            e["c30"] += len(days)  # type: ignore[operator]
            e["c7"] += sum(1 for d in days if d >= END - timedelta(days=6))  # type: ignore[operator]
            n_reached = reached + late
            e["per_case"].append(n_reached)  # type: ignore[attr-defined]
            (e["over"] if n_reached > 6 else e["under"] if n_reached < 3 else []).append(row.id)  # type: ignore[attr-defined]
            if first_day > 15:
                e["golden"].append(row.id)  # type: ignore[attr-defined]
            e["hours"] += late  # type: ignore[operator]
            e["kept"] += sum(p["status"] == "kept" for p in promises)  # type: ignore[operator]
            e["broken"] += sum(p["status"] == "broken" for p in promises)  # type: ignore[operator]
            e["talks"] += n_reached  # type: ignore[operator]
            e["phone"] += len(contacts)  # type: ignore[operator]
        s.commit()
    return expected


class Planted(NamedTuple):
    """A server with planted contacts, the lead's synced cache and home, and the figures expected from them."""

    server: RunningServer
    engine: Engine
    home: Path
    expected: dict[str, dict[str, Any]]


@pytest.fixture
def planted(make_server: MakeServer, tmp_path: Path) -> Planted:
    server = make_server(cases=60, teams=2)
    expected = plant(server)
    home = tmp_path / "lead"
    engine = open_engine(home / "cache.db")
    run_sync(engine, server.url, "lead", server.token("lead"), now=lambda: NOW)
    return Planted(server, engine, home, expected)


def test_every_figure_agrees_with_the_planted_data(planted: Planted) -> None:
    _, engine, _, expected = planted
    data = load_team_stats(engine)
    assert data is not None and data.team_id == "T1" and data.date_to == END
    assert [c[0] for c in data.collectors] == ["demo", "demo2"]  # north1 is another team's
    figures = {f.id: f for f in team_figures(data.collectors, data.cases, data.contacts, END, load_pack("cn"))}
    for who, e in expected.items():
        f = figures[who]
        counts = sorted(e["per_case"])
        assert f.cases == e["cases"] == 20
        assert (f.contacts_7d, f.contacts_30d) == (e["c7"], e["c30"])
        assert f.per_case_median == (counts[9] + counts[10]) / 2
        assert (f.over_cap, f.under_floor, f.golden_misses) == (
            sorted(e["over"]),
            sorted(e["under"]),
            sorted(e["golden"]),
        )
        assert f.outside_hours == e["hours"]
        assert (f.promises_kept, f.promises_broken) == (e["kept"], e["broken"])
        assert f.rpc_rate == pytest.approx(e["talks"] / e["phone"])
        assert sum(f.per_day) == f.contacts_30d
    assert len(expected["demo"]["over"]) == 2 and len(expected["demo"]["under"]) == 1
    assert expected["demo"]["hours"] == 1 and len(expected["demo"]["golden"]) == 1
    assert figures["demo2"].over_cap == figures["demo2"].under_floor == []


def test_stats_are_for_leads_of_their_own_team_only(planted: Planted) -> None:
    server = planted[0]
    params = {"from": "2026-11-01", "to": "2026-11-27"}
    for user in ("demo", "north1"):
        r = httpx.get(f"{server.url}/v1/team/contact-stats", params=params,
                      headers={"Authorization": f"Bearer {server.token(user)}"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    with ApiClient(server.url, server.token("lead2")) as client:
        other = client.team_stats("2026-11-01", "2026-11-27")
    assert other.team_id == "T2" and [c.id for c in other.collectors] == ["north1"]
    assert {c.collector for c in other.cases} == {"north1"}
    bad = httpx.get(f"{server.url}/v1/team/contact-stats", params={"from": "2026-11-27", "to": "2026-11-01"},
                    headers={"Authorization": f"Bearer {server.token('lead')}"})
    assert bad.status_code == 400


def test_cli_report_csv_and_json_carry_the_same_numbers(planted: Planted, tmp_path: Path) -> None:
    server, _, home, expected = planted
    env = cli_env(
        home, COLLECTOR_TUI_API=server.url, COLLECTOR_TUI_TOKEN=server.token("lead"), COLLECTOR_TUI_USER="lead"
    )
    out = tmp_path / "report.csv"
    done = subprocess.run([*CLI, "--locale", "en", "report", "contacts", "--from", "2026-10-29", "--to", "2026-11-27",
                           "--format", "csv", "--out", str(out)], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    with out.open(newline="", encoding="utf-8") as fh:
        rows = {r["collector"]: r for r in csv.DictReader(fh)}
    assert set(rows) == {"demo", "demo2"}
    for who, e in expected.items():
        r = rows[who]
        assert int(r["contacts_30d"]) == e["c30"] and int(r["contacts_7d"]) == e["c7"]
        assert int(r["over_cap"]) == len(e["over"]) and r["over_cap_cases"].split() == sorted(e["over"])
        assert int(r["under_floor"]) == len(e["under"]) and int(r["golden_misses"]) == len(e["golden"])
        assert int(r["outside_hours"]) == e["hours"]
    as_json = subprocess.run(
        [*CLI, "report", "contacts", "--from", "2026-10-29", "--to", "2026-11-27", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    data = json.loads(as_json.stdout)
    assert {c["collector"]: c["over_cap"] for c in data["collectors"]} == {"demo": 2, "demo2": 0}
    table = subprocess.run([*CLI, "--locale", "en", "report", "contacts", "--from", "2026-10-29", "--to", "2026-11-27"],
                           capture_output=True, text=True, timeout=120, env=env)
    assert table.returncode == 0 and "Over cap" in table.stdout
    assert f"over the cap: {' '.join(sorted(expected['demo']['over']))}" in table.stdout


@pytest.mark.anyio
async def test_team_screen_drills_from_collector_to_case_to_timeline(planted: Planted) -> None:
    from textual.widgets import DataTable

    from collector_tui.app import CollectorApp
    from collector_tui.config import Settings
    from collector_tui.screens.team_review import CaseTimelineScreen, CollectorCasesScreen, TeamScreen

    _, engine, _, expected = planted
    app = CollectorApp(engine, settings=Settings(locale="en"), user="lead", clock=lambda: NOW)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        await pilot.press("T")
        await pilot.pause()
        assert isinstance(app.screen, TeamScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 2 and str(table.get_row_at(0)[5]) == "2"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CollectorCasesScreen)
        cases = app.screen.query_one(DataTable)
        over_first = [str(cases.get_row_at(i)[0]) for i in range(2)]
        assert sorted(over_first) == sorted(expected["demo"]["over"])
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CaseTimelineScreen)
        assert app.screen.query_one(DataTable).row_count >= 7


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
