"""`promise add` and `contact add` refuse what no collector could mean: exit 2, naming the option, nothing written."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from collector_tui.storage import outbox
from collector_tui.storage.engine import open_engine
from collector_tui.storage.queries import case_detail, queue_page
from collector_tui.sync.service import run_sync
from tests.conftest import CLI, SYNC_AT, RunningServer, cli_env


@pytest.fixture
def home(server: RunningServer, tmp_path: Path) -> Path:
    path = tmp_path / "work"
    engine = open_engine(path / "cache.db")
    run_sync(engine, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    engine.dispose()
    (path / "settings.toml").write_text('user = "demo"\n')
    return path


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "--locale", "en", *args], capture_output=True, text=True, timeout=120, env=cli_env(home)
    )


def a_chinese_case(home: Path) -> tuple[str, Decimal, date]:
    """A case in CNY: its id, the balance its loan owes and the day it went overdue."""
    engine = open_engine(home / "cache.db")
    try:
        for row in queue_page(engine, 0, 100):
            detail = case_detail(engine, row.id)
            if detail and detail.loan.currency == "CNY" and detail.customer.timezone == "Asia/Shanghai":
                return row.id, Decimal(detail.loan.outstanding), date.fromisoformat(detail.loan.overdue_since or "")
    finally:
        engine.dispose()
    raise AssertionError("no Chinese case")


def pending(home: Path) -> list[outbox.Entry]:
    engine = open_engine(home / "cache.db")
    try:
        return outbox.entries(engine)
    finally:
        engine.dispose()


def test_promise_add_refuses_amounts_no_collector_could_mean(home: Path) -> None:
    case_id, owed, _ = a_chinese_case(home)
    due = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()  # `promise add` runs on today's clock
    cases = [
        (str(owed + Decimal("0.01")), f"--amount: more than the outstanding balance of {owed} CNY"),
        ("99999999", "--amount: more than the outstanding balance"),
        ("1e9", "--amount: an amount above zero written plainly"),
        ("NaN", "--amount: an amount above zero written plainly"),
        ("Infinity", "--amount: an amount above zero written plainly"),
        ("0", "--amount: an amount above zero"),
        ("100.505", "--amount: CNY amounts have at most 2 decimal places"),
    ]
    for amount, message in cases:
        out = run(home, "promise", "add", case_id, "--date", due, "--amount", amount)
        assert out.returncode == 2 and message in out.stderr, (amount, out.stderr)
    assert pending(home) == []
    ok = run(home, "promise", "add", case_id, "--date", due, "--amount", str(owed))
    assert ok.returncode == 0, ok.stderr
    [entry] = pending(home)
    assert entry.payload == {"due_date": due, "amount": str(owed), "currency": "CNY"}


def test_contact_add_refuses_a_time_in_the_future_or_before_the_case_began(home: Path) -> None:
    case_id, _, overdue_since = a_chinese_case(home)
    next_year = (datetime.now(UTC) + timedelta(days=365)).isoformat(timespec="minutes")
    future = run(home, "contact", "add", case_id, "--channel", "phone", "--disposition", "no_answer", "--at", next_year)
    assert future.returncode == 2 and "--at: later than now (more than 5 minutes ahead)" in future.stderr
    before = f"{(overdue_since - timedelta(days=1)).isoformat()}T11:00+08:00"
    early = run(home, "contact", "add", case_id, "--channel", "phone", "--disposition", "no_answer", "--at", before)
    assert early.returncode == 2 and f"--at: before the case began ({overdue_since.isoformat()})" in early.stderr
    assert pending(home) == []
