"""The fast sync paths hold the same answers as the plain ones: helper process or not, feed facts or cache facts,
incremental placement or a full re-order."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from sqlalchemy import Engine, text

from collector_tui import api
from collector_tui.domain.rules import Rules
from collector_tui.policies import load_pack
from collector_tui.storage import actions
from collector_tui.storage.engine import open_engine
from collector_tui.storage.facts import load_facts
from collector_tui.storage.queries import queue_page
from collector_tui.storage.queue_build import queue_due, rebuild_queue, refresh_queue, replace_cases
from collector_tui.sync import pull as pull_module
from collector_tui.sync.client import ApiClient
from collector_tui.sync.errors import MalformedResponse
from collector_tui.sync.feed import FeedCase, _structs, decode_page
from collector_tui.sync.service import run_sync
from collector_tui.sync.wire_facts import facts_from_feed
from tests.conftest import SYNC_AT, MakeServer, RunningServer

RULES = Rules(pack=load_pack("cn"))
TABLES = ("case", "customer", "phone", "loan", "scheduleitem", "payment", "contactattempt", "promisetopay", "callback",
          "repaymentplan", "queue_entry")


def dump(cache: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the sync writes, without autoincrement ids (they follow insertion order only)."""
    out = {}
    with cache.connect() as conn:
        for table in TABLES:
            cols = [
                r[1] for r in conn.exec_driver_sql(f'PRAGMA table_info("{table}")') if not (r[5] and r[2] == "INTEGER")
            ]
            out[table] = sorted(
                tuple(r)
                for r in conn.execute(text(f'SELECT {", ".join(chr(34) + c + chr(34) for c in cols)} FROM "{table}"'))
            )
    return out


def test_a_helper_process_writes_exactly_what_a_single_process_writes(
    make_server: MakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_server(cases=300, collectors=1)
    serial, parallel = open_engine(tmp_path / "serial.db"), open_engine(tmp_path / "parallel.db")
    run_sync(serial, server.url, "demo", server.token(), page_size=20, now=lambda: SYNC_AT)
    in_helper: list[bool] = []
    start, submit = pull_module.Pipeline.start_helper, pull_module.Pipeline.submit  # type: ignore[attr-defined]

    def start_and_wait(self) -> None:  # type: ignore[no-untyped-def]
        start(self)
        self.ready.result(timeout=60)  # so that the pages after this one are surely the helper's

    def counting_submit(self, content: bytes, now: datetime):  # type: ignore[no-untyped-def]
        in_helper.append(self.parallel and self.ready.done())
        return submit(self, content, now)

    monkeypatch.setattr(pull_module, "PARALLEL_AFTER", 40)
    monkeypatch.setattr(pull_module.Pipeline, "start_helper", start_and_wait)  # type: ignore[attr-defined]
    monkeypatch.setattr(pull_module.Pipeline, "submit", counting_submit)  # type: ignore[attr-defined]
    result = run_sync(parallel, server.url, "demo", server.token(), page_size=20, now=lambda: SYNC_AT)
    assert sum(in_helper) >= 10 and not in_helper[0], in_helper  # most pages prepared by the helper
    assert result.upserted == 300 and result.pages == 15
    a, b = dump(serial), dump(parallel)
    assert len(a["case"]) == 300 and len(a["queue_entry"]) == 300
    assert a == b


def test_facts_from_the_feed_equal_facts_read_back_from_the_cache(server: RunningServer, cache: Engine) -> None:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    with ApiClient(server.url, server.token()) as client:
        items = client.cases(None, 1000).items
    from_feed = {c.id: facts_from_feed(c) for c in items}
    from_cache = {f.case_id: f for f in load_facts(cache)}
    assert len(from_feed) == 60 and from_feed.keys() == from_cache.keys()
    for case_id, facts in from_feed.items():
        assert facts == from_cache[case_id], case_id


def order_of(cache: Engine) -> list[tuple[Any, ...]]:
    with cache.connect() as conn:
        return list(conn.execute(text("SELECT case_id, sort_key, \"group\", reason, params, tier, score, flags "
                                      "FROM queue_entry ORDER BY sort_key")))


def test_an_incremental_sync_places_only_what_changed_and_agrees_with_a_full_reorder(
    server: RunningServer, cache: Engine
) -> None:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    with cache.connect() as conn:
        mine = set(conn.execute(text('SELECT id FROM "case"')).scalars())
    changed = httpx.post(f"{server.url}/v1/admin/churn", json={"seed": 3, "payments": 12}).json()["payments"]
    # Nothing is waiting on the clock between the two syncs: no placement's hold ends by then (a contact the
    # portfolio dates two minutes after the first sync ends one hold at 01:32).
    later = SYNC_AT + timedelta(minutes=1)
    with cache.connect() as conn:
        waits = conn.execute(text("SELECT count(*) FROM queue_entry WHERE valid_until <= :t"),
                             {"t": later.isoformat()}).scalar()
    run_sync(cache, server.url, "demo", server.token(), now=lambda: later)
    with cache.connect() as conn:
        placed_again = set(conn.execute(text("SELECT case_id FROM queue_entry WHERE built_at = :t"),
                                        {"t": later.isoformat()}).scalars())
    assert waits == 0
    assert placed_again and placed_again == set(changed) & mine
    incremental = order_of(cache)
    rebuild_queue(cache, later, RULES)
    assert order_of(cache) == incremental


def test_the_clock_re_places_what_went_stale_and_the_order_matches_a_full_reorder(
    server: RunningServer, cache: Engine
) -> None:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    with cache.connect() as conn:
        first = conn.execute(text("SELECT min(valid_until) FROM queue_entry")).scalar()
        total = conn.execute(text("SELECT count(*) FROM queue_entry")).scalar()
        due = conn.execute(text("SELECT count(*) FROM queue_entry WHERE valid_until <= :t"), {"t": first}).scalar()
    moment = datetime.fromisoformat(first)  # type: ignore[arg-type]
    assert moment > SYNC_AT and not queue_due(cache, moment - timedelta(seconds=1)) and queue_due(cache, moment)
    assert 0 < refresh_queue(cache, moment, RULES) == due < total  # type: ignore[operator]
    assert refresh_queue(cache, moment, RULES) == 0  # every new placement holds past `moment`
    stepped = order_of(cache)
    rebuild_queue(cache, moment, RULES)
    assert order_of(cache) == stepped
    # Hours later (the allowed hours have closed, or a day has turned) the same holds.
    evening = SYNC_AT + timedelta(hours=13)
    assert refresh_queue(cache, evening, RULES) > 0
    stepped = order_of(cache)
    rebuild_queue(cache, evening, RULES)
    assert order_of(cache) == stepped


def test_local_work_re_places_its_case(server: RunningServer, cache: Engine) -> None:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    case_id = queue_page(cache, 0, 1)[0].id
    for minute in range(3):
        actions.log_contact(cache, case_id, at=SYNC_AT + timedelta(minutes=minute), channel="phone", disposition="rpc")
    assert replace_cases(cache, [case_id], SYNC_AT + timedelta(minutes=5), RULES) == 1
    assert queue_page(cache, 0, 1)[0].id != case_id  # three connected calls today (CN-CONNECTED): not again today
    after = order_of(cache)
    rebuild_queue(cache, SYNC_AT + timedelta(minutes=5), RULES)
    assert order_of(cache) == after


def page_with(doc: dict[str, Any]) -> bytes:
    return json.dumps({"items": [doc], "has_more": False}).encode()


def a_case(server: RunningServer) -> dict[str, Any]:
    from sqlalchemy import select

    from collector_tui.server.models import CaseDoc

    with server.engine.connect() as conn:
        return json.loads(conn.execute(select(CaseDoc.doc).limit(1)).scalar_one())  # type: ignore[call-overload, no-any-return]


@pytest.mark.parametrize("amount", ["NaN", "-Infinity", "snan", " inf "])
def test_an_amount_that_is_not_a_number_is_refused_naming_the_field(server: RunningServer, amount: str) -> None:
    doc = a_case(server)
    doc["loan"]["overdue_amount"] = amount
    with pytest.raises(MalformedResponse, match=r"items\[0\]\.loan\.overdue_amount"):
        ApiClient.decode_cases(page_with(doc))
    doc = a_case(server)
    doc["schedule"][0]["amount"] = amount
    with pytest.raises(MalformedResponse, match=r"items\[0\]\.schedule\[0\]\.amount"):
        ApiClient.decode_cases(page_with(doc))


def test_a_time_without_its_offset_is_refused(server: RunningServer) -> None:
    doc = a_case(server)
    doc["updated_at"] = "2026-11-27T09:00:00"
    with pytest.raises(MalformedResponse, match="updated_at"):
        ApiClient.decode_cases(page_with(doc))


def test_the_feed_structs_mirror_the_wire_models(server: RunningServer) -> None:
    for model, struct in _structs.items():
        assert list(model.model_fields) == list(struct.__struct_fields__), model.__name__
    doc = a_case(server)
    decoded = decode_page(page_with(doc)).items[0]
    assert isinstance(decoded, FeedCase)
    expected = api.Case.model_validate(doc).model_dump(mode="json")
    got = msgspec.to_builtins(decoded)
    expected.pop("updated_at"), got.pop("updated_at")
    assert got == expected
    # Unknown fields are ignored, as pydantic does; a missing required one is named.
    doc["a_field_from_the_future"] = 1
    assert decode_page(page_with(doc)).items[0].id == doc["id"]
    del doc["loan"]
    with pytest.raises(MalformedResponse, match="loan"):
        ApiClient.decode_cases(page_with(doc))


def test_the_helper_process_ends_with_a_killed_sync(tmp_path: Path) -> None:
    import os
    import select
    import signal
    import subprocess
    import sys

    script = (
        "import sys, threading\n"
        "from datetime import datetime, timezone\n"
        "from collector_tui.sync.pipeline import Pipeline\n"
        "if __name__ == '__main__':\n"
        "    p = Pipeline(None, parallel=True)\n"
        "    p.submit(b'{\"items\": []}', datetime.now(timezone.utc))()\n"
        "    print(*p.pool._processes, flush=True)\n"
        "    threading.Event().wait()\n"
    )
    (tmp_path / "sync_stand_in.py").write_text(script)
    parent = subprocess.Popen([sys.executable, str(tmp_path / "sync_stand_in.py")], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    helper = int(parent.stdout.readline())
    exited = os.pidfd_open(helper)  # readable once the helper has exited: an event, not a clock
    try:
        assert not select.select([exited], [], [], 0)[0], "the helper must be alive while its parent is"
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        ready, _, _ = select.select([exited], [], [], 60)  # a bound for a broken run, not a wait
        assert ready, f"helper {helper} outlived its killed parent"
    finally:
        os.close(exited)



FIRST_BIG_SYNC_IN_AN_APP = """
import asyncio, threading
from datetime import UTC, datetime
from textual.app import App
from textual.widgets import Static
from collector_tui.sync.pipeline import Pipeline

def first_big_sync():
    pipeline = Pipeline(None)
    pipeline.start_helper()
    try:
        page = pipeline.submit(b'{"items": [], "next_cursor": null, "has_more": false}', datetime.now(UTC))()
        return pipeline.parallel, page.items
    finally:
        pipeline.close()

class OneLine(App):
    def compose(self):
        yield Static("ready")

async def main():
    async with OneLine().run_test():
        answer = await asyncio.to_thread(first_big_sync)
    print(*answer)

if __name__ == "__main__":
    asyncio.run(main())
"""


def test_a_first_big_sync_inside_the_workbench_prepares_its_pages_without_a_helper(tmp_path: Path) -> None:
    """Inside a running Textual app the standard error is a capture with no descriptor, which multiprocessing
    cannot hand to its tracker: the pipeline prepares the pages here instead of failing the sync. A process of its
    own, since a tracker already started by another test would hide the fault."""
    import subprocess
    import sys

    (tmp_path / "in_app.py").write_text(FIRST_BIG_SYNC_IN_AN_APP)
    run = subprocess.run([sys.executable, str(tmp_path / "in_app.py")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["False", "0"]
