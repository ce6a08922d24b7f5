"""`contact add`, `promise add` and `outbox` as a script would use them: same checks, same outbox as the app."""

from __future__ import annotations

import subprocess
from datetime import UTC
from pathlib import Path

import pytest

from collector_tui.storage import audit, outbox
from collector_tui.storage.engine import open_engine
from collector_tui.storage.queries import queue_page
from collector_tui.sync.service import run_sync
from tests.conftest import CLI, SYNC_AT, RunningServer, cli_env, present


@pytest.fixture
def home(server: RunningServer, tmp_path: Path) -> Path:
    path = tmp_path / "work"
    engine = open_engine(path / "cache.db")
    run_sync(engine, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    engine.dispose()
    (path / "settings.toml").write_text('user = "demo"\n')
    return path


def run(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "--locale", "en", *args], input=stdin, capture_output=True, text=True, timeout=120,
                          env=cli_env(home))


def first_callable(home: Path, at: str) -> str:
    import json

    rows = json.loads(run(home, "queue", "--json", "--at", at).stdout)
    return next(r["id"] for r in rows if r["callable"])  # type: ignore[no-any-return]


def test_contact_add_goes_to_the_outbox(home: Path) -> None:
    case_id = first_callable(home, "2026-11-27T11:00+08:00")
    out = run(home, "contact", "add", case_id, "--channel", "phone", "--disposition", "no_answer",
              "--at", "2026-11-27T11:00+08:00")
    assert out.returncode == 0, out.stderr
    engine = open_engine(home / "cache.db")
    [entry] = outbox.entries(engine)
    assert entry.case_id == case_id and entry.payload["disposition"] == "no_answer" and entry.id in out.stdout
    engine.dispose()
    listing = run(home, "outbox")
    assert entry.id in listing.stdout and "pending" in listing.stdout


def test_a_blocked_contact_is_refused_with_rule_reason_and_time(home: Path) -> None:
    case_id = first_callable(home, "2026-11-27T11:00+08:00")
    out = run(home, "contact", "add", case_id, "--channel", "phone", "--disposition", "no_answer",
              "--at", "2026-11-27T23:30+08:00")
    assert out.returncode == 3
    assert out.stderr.startswith("Blocked by ") and "outside 08:00-22:00" in out.stderr and "callable" in out.stderr
    engine = open_engine(home / "cache.db")
    assert outbox.entries(engine) == []
    engine.dispose()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--channel", "pigeon", "--disposition", "no_answer"], "--channel: choose one of: phone, sms"),
        (["--channel", "phone", "--disposition", "maybe"], "--disposition: choose one of"),
        (["--channel", "phone", "--disposition", "busy", "--duration", "-5"], "--duration: at least 0"),
    ],
)
def test_bad_contact_values_are_named(home: Path, args: list[str], message: str) -> None:
    out = run(home, "contact", "add", "C-000001", *args)
    assert out.returncode == 2 and message in out.stderr


def test_promise_add_checks_amount_and_date(home: Path) -> None:
    case_id = first_callable(home, "2026-11-27T11:00+08:00")
    bad = run(home, "promise", "add", case_id, "--date", "30/11/2026", "--amount", "1e3")
    assert (
        bad.returncode == 2
        and "--date: a date as YYYY-MM-DD" in bad.stderr
        and "--amount: an amount above zero" in bad.stderr
    )
    past = run(home, "promise", "add", case_id, "--date", "2020-01-01", "--amount", "100")
    assert past.returncode == 2 and "the date is in the past" in past.stderr
    unknown = run(home, "promise", "add", "C-999999", "--date", "2099-01-01", "--amount", "100")
    assert unknown.returncode == 2 and "No case C-999999" in unknown.stderr


def test_outbox_retry_and_discard_with_confirmation(home: Path) -> None:
    engine = open_engine(home / "cache.db")
    case_id = queue_page(engine, 0, 1)[0].id
    from datetime import datetime

    from collector_tui.storage import actions

    entry = actions.log_contact(engine, case_id, at=datetime(2026, 11, 27, 3, tzinfo=UTC), channel="sms",
                                disposition="message_left")
    outbox.settle(engine, [], {entry: "rejected: test"}, [entry])
    engine.dispose()
    assert "rejected: test" in run(home, "outbox").stdout
    assert run(home, "outbox", "retry", entry).returncode == 0
    engine = open_engine(home / "cache.db")
    assert present(outbox.get(engine, entry)).state == "pending"
    engine.dispose()
    refused = run(home, "outbox", "discard", entry, stdin="n\n")
    assert refused.returncode == 1
    gone = run(home, "outbox", "discard", entry, stdin="y\n")
    assert gone.returncode == 0 and "audit" in gone.stdout
    engine = open_engine(home / "cache.db")
    assert outbox.get(engine, entry) is None
    assert [e.action for e in audit.entries(engine)] == ["outbox.discard"]
    engine.dispose()
    assert run(home, "outbox", "retry", "nope").returncode == 2
    # What is left is the discard's own audit record, on its way to the server.
    [line] = run(home, "outbox").stdout.splitlines()
    assert line.split("\t")[1:4] == ["audit.recorded", case_id, "pending"]
