"""Text that looks like markup is shown as text on every screen, whoever wrote it.

Strings full of Rich and Textual markup (`[/]`, `[b]`, `[link=x]`, `[@click=app.quit]`, `\\[`, bracket soups)
go where people and servers put text: a customer's name, a phone number and a contact note on the server
(pulled by a real sync), a note recorded here and the server's reason for refusing it, the last sync error,
the team figures a lead pulls, and what the collector types into the queue's search. The real app is then
driven through the queue, the search, the palette, the profile, the contact form, the plan, the outbox, help,
a toast, and the lead's team drill-down: nothing crashes, and every string is on screen as it was written.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from rich.console import Console
from sqlalchemy import Engine
from sqlmodel import Session, select
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import DataTable

from collector_tui.app import CollectorApp
from collector_tui.config import Settings
from collector_tui.domain.masking import mask_name, mask_phone
from collector_tui.screens.confirm import ConfirmScreen
from collector_tui.screens.contact import ContactScreen
from collector_tui.screens.outbox import EntryEditor, OutboxScreen
from collector_tui.screens.plan import PlanScreen
from collector_tui.screens.profile import ProfileScreen
from collector_tui.screens.queue import QueueScreen
from collector_tui.screens.team_review import CaseTimelineScreen, CollectorCasesScreen, TeamScreen
from collector_tui.server.models import CaseDoc
from collector_tui.server.store import save_doc
from collector_tui.storage import actions, outbox, state
from collector_tui.storage.engine import open_engine
from collector_tui.storage.models import TeamStatsRow
from collector_tui.storage.queries import queue_page
from collector_tui.storage.team_stats import save_team_stats
from collector_tui.sync.service import run_sync
from collector_tui.widgets.plain import TextTable
from tests.conftest import SYNC_AT, MakeServer, RunningServer

PIECES = ["[/]", "[b]", "[/b]", "[B]", "[link=x]", "[/link]", "[@click=app.quit]", "[@click=screen.dismiss()]", "\\[",
          "\\", "[", "]", "[red on blue]", "[$accent]", "[[b]]", "[ b]", "[0]", "[#ff0000]", "[on $panel]", "[i"]
# Printable ASCII only: the search is typed key by key, and every key has a name.
SOUP = st.text(alphabet="[]/\\@=#$ abBx", min_size=1, max_size=4)
MARKUP = st.lists(st.one_of(st.sampled_from(PIECES), SOUP), min_size=1, max_size=4).map("".join).map(str.strip).filter(
    lambda s: bool(s) and "  " not in s)


FIELDS = ("name", "number", "note", "local_note", "reason", "search", "collector", "team", "channel", "disposition")


def shown(widget: Widget) -> str:
    """What the widget paints, as plain text, line by line (the whole widget, also what is scrolled away)."""
    return "\n".join(strip.text for strip in widget.render_lines(Region(0, 0, *widget.outer_size)))


def flat(text: str) -> str:
    return " ".join(text.split())


class World(NamedTuple):
    """A server, a collector's token, the collector's and the lead's synced caches, and the collector's first case."""

    server: RunningServer
    token: str
    demo: Engine
    lead: Engine
    case_id: str


@pytest.fixture
def world(make_server: MakeServer, tmp_path: Path) -> Iterator[World]:
    server = make_server(cases=40, teams=1)
    demo, lead = open_engine(tmp_path / "demo" / "cache.db"), open_engine(tmp_path / "lead" / "cache.db")
    token = server.token()
    run_sync(demo, server.url, "demo", token, now=lambda: SYNC_AT)
    run_sync(lead, server.url, "lead", server.token("lead"), now=lambda: SYNC_AT)
    yield World(server, token, demo, lead, queue_page(demo, 0, 1)[0].id)
    demo.dispose()
    lead.dispose()


def put_on_server(server: RunningServer, case_id: str, name: str, number: str, note: str) -> None:
    with Session(server.engine) as s:
        row = s.execute(select(CaseDoc).where(CaseDoc.id == case_id)).scalar_one()
        doc = json.loads(row.doc)
        doc["customer"]["name"] = name
        doc["customer"]["phones"][0]["number"] = number
        doc["contacts"].append(
            {
                "id": f"mk-{len(doc['contacts'])}",
                "at": "2026-11-26T10:00:00+08:00",
                "channel": "phone",
                "target": "customer",
                "disposition": "rpc",
                "collector": "demo",
                "duration_s": 60,
                "note": note,
            }
        )
        save_doc(s, row, doc)
        s.commit()


def put_in_team_stats(lead: Engine, collector: str, team: str, channel: str, disposition: str) -> None:
    table = TeamStatsRow.__table__  # type: ignore[attr-defined]
    with lead.connect() as conn:
        row = dict(conn.execute(select(table)).mappings().one())
    row["collectors"][0]["name"] = collector
    for c in row["contacts"]:
        c["channel"], c["disposition"] = channel, disposition
    save_team_stats(lead, {"team_id": team, "from": row["date_from"], "to": row["date_to"],
                           "collectors": row["collectors"], "cases": row["cases"], "contacts": row["contacts"]},
                    datetime.now(UTC))


async def drive_collector(app: CollectorApp, case_id: str, v: dict[str, str]) -> None:
    async with app.run_test(size=(200, 60), notifications=True) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
        assert v["reason"] in flat(shown(app.screen.query_one("#status")))  # the last sync error, in the footer
        # Typed into the search, key by key: the title repeats it.
        await pilot.press("slash", *v["search"])
        await pilot.pause()
        assert f"“{v['search']}”" in shown(app.screen.query_one("#queue-title"))
        await pilot.press("enter", "escape")
        # The palette finds the case by its id and shows the name, masked.
        await pilot.press("ctrl+p", *case_id)
        await app.workers.wait_for_complete()  # the palette gathers its hits in a worker
        await pilot.pause()
        assert app.screen.query("CommandList") and mask_name(v["name"]) in shown(app.screen.query_one("CommandList"))
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ProfileScreen) and app.screen.case_id == case_id
        await pilot.press("v")
        await pilot.pause()
        assert v["name"] in shown(app.screen.query_one("#profile-title"))
        customer = shown(app.screen.query_one("#customer"))
        assert v["name"] in customer and v["number"] in customer
        contacts = flat(shown(app.screen.query_one("#contacts")))
        assert flat(v["note"]) in contacts and flat(v["local_note"]) in contacts
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ContactScreen)
        assert mask_name(v["name"]) in shown(app.screen.query_one("#contact-title"))
        assert mask_phone(v["number"]) in shown(app.screen.query_one("#number #label"))
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, PlanScreen)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, OutboxScreen)
        table = app.screen.query_one(DataTable)
        assert v["reason"] in "\n".join(table.render_line(y).text for y in range(table.size.height))
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, EntryEditor) and v["reason"] in shown(app.screen.query_one("#editor-reason"))
        await pilot.press("escape", "x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and case_id in shown(app.screen.query_one("Label"))
        await pilot.press("n", "question_mark")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, OutboxScreen)
        # A sync that failed with this reason says so in a toast.
        app._sync_finished(v["reason"])
        await pilot.pause()  # the toast is mounted with the next turn of the app's loop
        assert v["reason"] in flat(shown(app.screen.query("Toast").last()))


async def drive_lead(app: CollectorApp, v: dict[str, str]) -> None:
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        await pilot.press("T")
        await pilot.pause()
        assert isinstance(app.screen, TeamScreen)
        assert v["team"] in shown(app.screen.query_one("#team-title"))
        table = app.screen.query_one(DataTable)
        assert v["collector"] in table.render_line(1).text
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CollectorCasesScreen)
        assert v["collector"] in shown(app.screen.query_one(".title"))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CaseTimelineScreen)
        timeline = app.screen.query_one(DataTable)
        assert timeline.row_count and v["channel"] in timeline.render_line(1).text
        assert v["disposition"] in timeline.render_line(1).text


# Each example drives two apps for a few seconds: a handful of examples, no shrinking (a failure names its strings).
@settings(max_examples=3, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.fixed_dictionaries({k: MARKUP for k in FIELDS}))
@example(dict.fromkeys(FIELDS, "[/]"))  # the stray closing tag that crashed a case's profile and the search
@example(dict.fromkeys(FIELDS, "[@click=app.quit]x[/]"))
def test_markup_like_text_is_shown_as_text_on_every_screen(world: World, v: dict[str, str]) -> None:
    server, token, demo, lead, case_id = world
    for left in outbox.entries(demo):  # the outbox holds this example's entry only
        outbox.discard(demo, left.id, actor="demo", at=SYNC_AT)
    v["number"] = (v["number"] + "-555")[:32]  # the API's phone numbers have 3 to 32 characters
    put_on_server(server, case_id, v["name"], v["number"], v["note"])
    run_sync(demo, server.url, "demo", token, now=lambda: SYNC_AT)
    entry = actions.log_contact(
        demo, case_id, at=SYNC_AT, channel="phone", disposition="no_answer", note=v["local_note"]
    )
    outbox.settle(demo, [], {entry: v["reason"]}, [entry])  # the server refused it, with this reason
    state.record_sync_error(demo, v["reason"])
    put_in_team_stats(lead, v["collector"], v["team"], v["channel"], v["disposition"])

    settings_ = Settings(locale="en")
    asyncio.run(drive_collector(CollectorApp(demo, settings=settings_, api=server.url, user="demo", token=token,
                                             clock=lambda: SYNC_AT), case_id, v))
    asyncio.run(drive_lead(CollectorApp(lead, settings=settings_, user="lead", clock=lambda: SYNC_AT), v))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(MARKUP, min_size=3, max_size=3))
def test_the_cli_tables_print_markup_like_text_as_it_is(values: list[str]) -> None:
    """`queue`, `outbox` and `report contacts` print their tables as TextTables: title, headers and cells as text."""
    title, head, cell = values
    table = TextTable(title=title)
    table.add_column(head, no_wrap=True)
    table.add_row(cell)
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(table)
    # A title wraps at the table's width: compared without the white space.
    printed = "".join(console.file.getvalue().split())  # type: ignore[attr-defined]
    assert all("".join(v.split()) in printed for v in values)
