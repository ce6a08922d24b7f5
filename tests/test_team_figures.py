"""Every team figure against figures recomputed from the raw contacts, as docs/team.md defines them.

Contacts, golden windows, the band and promises are planted on the reference server on both sides of every
boundary (the range's first day, the 30 and 7 days, the allowed hours, the golden window's last day, the band's
first day) and across the end of daylight saving time in New York (1 November 2026). The expected figures are
worked out here from the planted contacts alone, in a few plain lines per definition, and compared with the
report (CSV and JSON, two days and thirty) and with the lead's Team screen, which a report never changes.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from statistics import median, quantiles
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from collector_tui.app import CollectorApp
from collector_tui.config import Settings
from collector_tui.server.models import CaseDoc
from collector_tui.storage.engine import open_engine
from collector_tui.sync.service import run_sync
from tests.conftest import CLI, MakeServer, RunningServer, cli_env

END = date(2026, 11, 27)
SH, NY = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")
NOW = datetime.combine(END, time(12), SH)
FLOOR, CAP, GOLDEN, HOURS = 3, 6, 15, (8, 22)  # the cn pack: docs/rules.md
NOT_REACHED = {"no_answer", "busy", "invalid_number", "wrong_number"}
NOT_IN_PERSON = NOT_REACHED | {"third_party", "voicemail", "message_left", "verification_sent", "workplace_prohibited"}


def day(n: int) -> date:
    """n days before END."""
    return END - timedelta(days=n)


def at(d: date, hh: int, mm: int = 0, tz: ZoneInfo = SH) -> str:
    return datetime.combine(d, time(hh, mm), tz).isoformat()


@dataclass
class Plant:
    """One case as planted: who holds it, where the customer lives, when it went overdue, what happened."""

    holder: str
    tz: ZoneInfo = SH
    since: date = field(default_factory=lambda: day(100))
    contacts: list[dict[str, Any]] = field(default_factory=list)
    promises: list[dict[str, Any]] = field(default_factory=list)

    def add(self, when: str, disposition: str = "rpc", channel: str = "phone", target: str = "customer",
            by: str = "") -> None:
        self.contacts.append({"id": f"p{len(self.contacts)}-{when}", "at": when, "channel": channel, "target": target,
                              "disposition": disposition, "collector": by, "duration_s": 30, "note": ""})


def plans() -> dict[str, list[Plant]]:
    """What each collector's first cases get; the rest of T1's cases stay quiet (no contacts, long overdue)."""
    d0 = Plant("demo")  # the 30 days: exactly the floor, with END-29 in and END-30 out
    for when in (day(30), day(29), day(6), day(0)):
        d0.add(at(when, 10))
    d1 = Plant("demo")  # the allowed hours, 08:00 to 22:00, and the two-day range's first day
    for hh, mm in ((7, 59), (8, 0), (21, 59), (22, 0)):
        d1.add(at(day(1), hh, mm))
    d1.add(at(day(2), 23))
    d2 = Plant("demo")  # what is reached, what is the right party
    d2.add(at(day(3), 10), "voicemail")
    d2.add(at(day(3), 10, 5), "message_left", channel="sms")
    d2.add(at(day(3), 10, 10), "no_answer")
    d2.add(at(day(3), 10, 15), "busy")
    d2.add(at(day(3), 10, 20), "third_party")  # someone else answered the debtor's phone
    d2.add(at(day(3), 10, 25), "wrong_number")
    d2.add(at(day(3), 10, 30), "rpc", target="third_party")  # a reference called: not the debtor
    d2.add(at(day(3), 10, 35), "rpc")
    d3 = Plant("demo")  # over the cap
    for n in range(7):
        d3.add(at(day(2 + n), 11))
    d4 = Plant("demo", since=day(17))  # window's last day END-2: missed on END-1, inside the two days
    d5 = Plant("demo", since=day(20))  # reached on the window's last day: in time
    d5.add(at(day(5), 21, 30))
    d6 = Plant("demo", since=day(20))  # reached the day after the last day: missed on END-4
    d6.add(at(day(4), 9))
    d7 = Plant("demo", since=day(15))  # the window ends on END: not missed yet, not judged by the floor
    d8 = Plant("demo", since=day(16))  # the window ended on END-1: judged, under the floor, missed on END
    d9 = Plant("demo", tz=NY)  # daylight saving ends in New York at 02:00 on 1 November 2026
    d9.add("2026-11-01T01:30:00-04:00")  # 01:30 EDT
    d9.add("2026-11-01T01:30:00-05:00")  # 01:30 EST, an hour later: the same wall-clock hour
    d9.add("2026-10-31T21:30:00-04:00")  # the customer's 31 October, 1 November in UTC
    d9.add("2026-11-01T07:30:00-05:00")  # 07:30 in New York, 08:30 at summer's offset
    d9.add("2026-11-01T08:00:00-05:00")
    d9.add("2026-11-02T10:00:00-05:00")
    d9.add("2026-10-28T23:30:00-04:00")  # the customer's 28 October (END-30), 29 October in UTC
    d10 = Plant("demo")  # promises due on both sides of the two days
    d10.promises = [{"id": f"pr{n}", "made_at": at(day(20), 10), "due_date": due.isoformat(), "amount": "100.00",
                     "status": status}
                    for n, (due, status) in enumerate([(day(2), "kept"), (day(1), "kept"), (day(1), "partially_kept"),
                                                       (day(0), "broken"), (day(-1), "outstanding")])]
    e0 = Plant("demo2")  # worked by demo on demo2's case: demo's attempts, demo2's band
    for n in range(3):
        e0.add(at(day(1 + n), 14), by="demo")
    e1 = Plant("demo2")  # the 7 days: END-6 in, END-7 out
    for when in (day(7), day(6)):
        e1.add(at(when, 10))
    e1.add(at(day(0), 9))
    e1.add(at(day(0), 23, 30), "no_answer")
    return {"demo": [d0, d1, d2, d3, d4, d5, d6, d7, d8, d9, d10], "demo2": [e0, e1]}


def plant(server: RunningServer) -> dict[str, Plant]:
    """Rewrite every case of team T1 through the server's own session; the planted case of each id."""
    planned = plans()
    planted: dict[str, Plant] = {}
    with Session(server.engine) as s:
        rows = s.execute(select(CaseDoc).where(CaseDoc.team_id == "T1").order_by(CaseDoc.id)).scalars().all()
        for row in rows:
            queue = planned[row.assigned_to]
            p = queue.pop(0) if queue else Plant(row.assigned_to)
            doc = json.loads(row.doc)
            doc["customer"]["timezone"] = str(p.tz)
            doc["loan"]["overdue_since"] = p.since.isoformat()
            doc["loan"]["dpd"] = (END - p.since).days
            doc["contacts"], doc["promises"], doc["callbacks"] = p.contacts, p.promises, []
            row.doc = json.dumps(doc, ensure_ascii=False)
            s.add(row)
            planted[row.id] = p
        s.commit()
    assert not any(planned.values())
    return planted


def recompute(planted: dict[str, Plant], start: date, end: date) -> dict[str, dict[str, Any]]:
    """docs/team.md, worked out from the raw contacts."""
    month, week = end - timedelta(days=29), end - timedelta(days=6)
    out: dict[str, dict[str, Any]] = defaultdict(lambda: {"c7": 0, "c30": 0, "hours": 0, "phone": 0, "rp": 0,
                                                          "over": [], "under": [], "golden": [], "judged": [],
                                                          "kept": 0, "partly": 0, "broken": 0, "cases": 0})
    for case_id, p in planted.items():
        holder = out[p.holder]
        holder["cases"] += 1
        local = [(datetime.fromisoformat(c["at"]).astimezone(p.tz), c) for c in p.contacts]
        reached = [(t, c) for t, c in local if c["target"] == "customer" and c["disposition"] not in NOT_REACHED]
        for t, c in local:
            who = out[c["collector"] or p.holder]
            if month <= t.date() <= end:
                who["c30"] += 1
            if week <= t.date() <= end:
                who["c7"] += 1
            if start <= t.date() <= end:
                who["hours"] += not (HOURS[0] <= t.hour < HOURS[1])
                if c["channel"] == "phone" and c["target"] == "customer":
                    who["phone"] += 1
                    who["rp"] += c["disposition"] not in NOT_IN_PERSON
        n = sum(1 for t, _ in reached if month <= t.date() <= end)
        last = p.since + timedelta(days=GOLDEN)  # the golden window's last day
        in_band = last < end  # past its golden window: the floor applies
        if n > CAP:
            holder["over"].append(case_id)
        if n > CAP or in_band:
            holder["judged"].append(n)
        if in_band and n < FLOOR:
            holder["under"].append(case_id)
        first = min((t for t, _ in reached if t.date() >= p.since), default=None)
        if start <= last + timedelta(days=1) <= end and (first is None or first.date() > last):
            holder["golden"].append(case_id)
        for pr in p.promises:
            if start.isoformat() <= pr["due_date"] <= end.isoformat():
                key = {"kept": "kept", "partially_kept": "partly", "broken": "broken"}.get(pr["status"])
                if key:
                    holder[key] += 1
    for figures in out.values():
        judged = sorted(figures["judged"])
        figures["median"] = float(median(judged)) if judged else 0.0
        q = (
            quantiles(judged, n=4, method="inclusive")
            if len(judged) >= 2
            else [float(judged[0])] * 3
            if judged
            else [0.0] * 3
        )
        figures["p25"], figures["p75"] = q[0], q[2]
        figures["rpc"] = round(figures["rp"] / figures["phone"], 4) if figures["phone"] else 0.0
        for key in ("over", "under", "golden"):
            figures[key].sort()
    return dict(out)


class World(NamedTuple):
    """A server with planted contacts, what was planted, the lead's home and the lead's synced cache."""

    server: RunningServer
    planted: dict[str, Plant]
    home: Path
    engine: Engine


@pytest.fixture
def world(make_server: MakeServer, tmp_path: Path) -> World:
    server = make_server(cases=60, teams=2)
    planted = plant(server)
    home = tmp_path / "lead"
    engine = open_engine(home / "cache.db")
    run_sync(engine, server.url, "lead", server.token("lead"), now=lambda: NOW)  # the Team screen's 30 days
    return World(server, planted, home, engine)


def report(server: RunningServer, home: Path, start: date, end: date, fmt: str, locale: str = "en", user: str = "lead"
           ) -> subprocess.CompletedProcess[str]:
    env = cli_env(home, COLLECTOR_TUI_API=server.url, COLLECTOR_TUI_TOKEN=server.token(user))
    return subprocess.run(
        [
            *CLI,
            "--locale",
            locale,
            "report",
            "contacts",
            "--from",
            start.isoformat(),
            "--to",
            end.isoformat(),
            "--format",
            fmt,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def as_report(expected: dict[str, Any]) -> dict[str, Any]:
    """The recomputed figures as a report row carries them."""
    return {
        "cases": expected["cases"],
        "contacts_7d": expected["c7"],
        "contacts_30d": expected["c30"],
        "per_case_median": expected["median"],
        "per_case_p25": expected["p25"],
        "per_case_p75": expected["p75"],
        "over_cap_cases": expected["over"],
        "under_floor_cases": expected["under"],
        "golden_miss_cases": expected["golden"],
        "outside_hours": expected["hours"],
        "promises_kept": expected["kept"],
        "promises_partly_kept": expected["partly"],
        "promises_broken": expected["broken"],
        "phone_attempts": expected["phone"],
        "right_party": expected["rp"],
        "rpc_rate": expected["rpc"],
    }


def from_json(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: row[k] for k in ("cases", "contacts_7d", "contacts_30d", "per_case_median", "per_case_p25",
                               "per_case_p75", "outside_hours", "promises_kept", "promises_partly_kept",
                               "promises_broken", "phone_attempts", "right_party", "rpc_rate")}
    for key in ("over_cap_cases", "under_floor_cases", "golden_miss_cases"):
        out[key] = row[key].split()
    return out


def ids(planted: dict[str, Plant], holder: str) -> list[str]:
    return [case_id for case_id, p in planted.items() if p.holder == holder]


@pytest.mark.parametrize("days", [2, 30])
def test_the_report_agrees_with_the_raw_contacts(world: World, days: int) -> None:
    server, planted, home, _ = world
    start = END - timedelta(days=days - 1)
    done = report(server, home, start, END, "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["from"], data["to"], data["month_from"]) == (start.isoformat(), END.isoformat(), day(29).isoformat())
    expected = recompute(planted, start, END)
    got = {row["collector"]: from_json(row) for row in data["collectors"]}
    assert set(got) == {"demo", "demo2"}
    for who in got:
        assert got[who] == as_report(expected[who]), who
    # The same figures in CSV.
    as_csv = report(server, home, start, END, "csv")
    rows = {r["collector"]: r for r in csv.DictReader(io.StringIO(as_csv.stdout))}
    for who, row in rows.items():
        assert int(row["contacts_30d"]) == got[who]["contacts_30d"]
        assert int(row["outside_hours"]) == got[who]["outside_hours"]
        assert row["golden_miss_cases"].split() == got[who]["golden_miss_cases"]


def test_each_boundary_falls_on_its_side(world: World) -> None:
    """The recomputation itself, held to the plan: what each planted case must and must not show."""
    server, planted, home, _ = world
    d = ids(planted, "demo")
    two = json.loads(report(server, home, day(1), END, "json").stdout)["collectors"]
    thirty = json.loads(report(server, home, day(29), END, "json").stdout)["collectors"]
    demo_two, demo30 = (next(r for r in rows if r["collector"] == "demo") for rows in (two, thirty))
    demo2_thirty = next(r for r in thirty if r["collector"] == "demo2")
    # The 30th day before END is out, the 29th in; so d0 has exactly the floor and is not under it.
    assert d[0] not in demo30["under_floor_cases"].split()
    assert demo30["over_cap_cases"].split() == [d[3]]  # d9's 28 October (UTC 29 October) is outside the 30 days
    # Hours: 07:59 and 22:00 outside, 08:00 and 21:59 inside; New York's 01:30 twice and 07:30 EST outside.
    # demo's 14:00 attempts on e0 are inside; demo2's 23:30 on e1 counts for demo2.
    assert demo2_thirty["outside_hours"] == 1
    assert demo_two["outside_hours"] == 2
    assert demo30["outside_hours"] == 2 + 1 + 3
    # Golden: d4 missed on END-1 and d8 on END (both inside the two days), d6 on END-4 (only in the thirty).
    assert demo_two["golden_miss_cases"].split() == sorted([d[4], d[8]])
    assert sorted(demo30["golden_miss_cases"].split()) == sorted([d[4], d[6], d[8]])
    # d7's window ends on END: not missed, not under the floor; d8's ended the day before: both.
    assert d[7] not in demo30["under_floor_cases"].split() and d[8] in demo30["under_floor_cases"].split()
    # Promises due in the two days: one kept, one partly kept (not kept), one broken.
    assert (demo_two["promises_kept"], demo_two["promises_partly_kept"], demo_two["promises_broken"]) == (1, 1, 1)
    # Right party: of d2's five phone attempts to the debtor on END-3 only the rpc is the debtor in person.
    assert demo30["right_party"] < demo30["phone_attempts"]
    # e0 was worked by demo: demo's attempts, demo2's case (reached three times: within the band).
    assert (demo2_thirty["contacts_30d"], demo2_thirty["contacts_7d"]) == (4, 3)
    assert next(c for c, p in planted.items() if p.holder == "demo2") not in demo2_thirty["under_floor_cases"].split()


@pytest.mark.anyio
async def test_the_team_screen_shows_the_thirty_days_and_a_report_leaves_it_alone(world: World) -> None:
    from collector_tui.screens.team_review import TeamScreen

    server, planted, home, engine = world
    expected = recompute(planted, day(29), END)

    async def screen_figures() -> tuple[str, dict[str, Any]]:
        app = CollectorApp(engine, settings=Settings(locale="en"), user="lead", clock=lambda: NOW)
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause()
            await pilot.press("T")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, TeamScreen)
            title = str(screen.query_one("#team-title").render())
            return title, {f.id: {"c7": f.contacts_7d, "c30": f.contacts_30d, "over": f.over_cap,
                                  "under": f.under_floor, "golden": f.golden_misses, "hours": f.outside_hours,
                                  "kept": f.promises_kept, "partly": f.promises_partly_kept,
                                  "broken": f.promises_broken, "phone": f.phone_attempts, "rp": f.right_party}
                           for f in screen.figures}

    title, before = await screen_figures()
    assert "30 days to 2026-11-27" in title
    for who, figures in before.items():
        assert figures == {k: expected[who][k] for k in figures}, who
    assert report(server, home, day(1), END, "table").returncode == 0  # two days, in between
    title_after, after = await screen_figures()
    assert (title_after, after) == (title, before)


@pytest.mark.parametrize("locale, header", [("en", "2026-11-26 to 2026-11-27"), ("zh_CN", "2026-11-26 至 2026-11-27")])
def test_the_header_follows_from_and_to(world: World, locale: str, header: str) -> None:
    server, _, home, _ = world
    done = report(server, home, day(1), END, "table", locale=locale)
    assert done.returncode == 0, done.stderr
    assert header in done.stdout and "30 days to" not in done.stdout


@pytest.mark.parametrize("locale, words", [("en", "after today"), ("zh_CN", "晚于今天")])
def test_a_range_in_the_future_is_refused(world: World, locale: str, words: str) -> None:
    server, _, home, _ = world
    ahead = datetime.now(UTC).date() + timedelta(days=2)
    done = report(server, home, day(1), ahead, "json", locale=locale)
    assert done.returncode == 2 and words in done.stderr and done.stdout == ""


@pytest.mark.parametrize("locale, words", [("en", "Team leads only"), ("zh_CN", "仅限组长")])
def test_a_collector_is_told_team_leads_only(world: World, tmp_path: Path, locale: str, words: str) -> None:
    server, _, _, _ = world
    done = report(server, tmp_path / "collector", day(1), END, "table", locale=locale, user="demo")
    assert done.returncode == 4 and words in done.stderr
    assert "Sync failed" not in done.stderr and "同步失败" not in done.stderr
