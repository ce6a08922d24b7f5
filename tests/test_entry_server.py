"""The reference server refuses what the form and the CLI refuse, by the same rules: each mutation answered
`rejected` with code `invalid` (the batch's 422) and the reason, the good ones beside it applied."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from uuid6 import uuid7

from collector_tui.server.models import CaseDoc
from collector_tui.server.mutations import Checks
from collector_tui.server.runner import ServerThread, prepare
from collector_tui.server.store import SeedSpec
from collector_tui.storage import actions, outbox
from collector_tui.storage.queries import case_detail, queue_page
from collector_tui.sync.client import ApiClient
from collector_tui.sync.service import run_sync
from tests.conftest import AS_OF, SYNC_AT, RunningServer, present

CLOCK = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # the server's clock: 11:00 in Shanghai
SH = ZoneInfo("Asia/Shanghai")


class Server:
    def __init__(self, thread: ServerThread, engine: Any) -> None:
        self.thread, self.engine = thread, engine
        with ApiClient(thread.url) as client:
            self.token = client.login("demo", "demo").access_token

    def doc(self, case_id: str) -> tuple[dict[str, Any], int]:
        with Session(self.engine) as s:
            row = s.get(CaseDoc, case_id)
            assert row is not None
            return json.loads(row.doc), row.version

    def chinese_case(self) -> str:
        with Session(self.engine) as s:
            for row in s.execute(select(CaseDoc).where(CaseDoc.assigned_to == "demo", CaseDoc.status == "open")
                                 .order_by(CaseDoc.id)).scalars():
                doc = json.loads(row.doc)
                if doc["loan"]["currency"] == "CNY" and doc["customer"]["timezone"] == "Asia/Shanghai":
                    return row.id  # type: ignore[no-any-return]
        raise AssertionError("no Chinese case in the portfolio")

    def push(self, case_id: str, type_: str, payload: dict[str, Any], occurred_at: datetime) -> Any:
        _, version = self.doc(case_id)
        mutation = {"id": str(uuid7()), "type": type_, "case_id": case_id, "base_version": version,
                    "occurred_at": occurred_at.isoformat(), "payload": payload}
        with ApiClient(self.thread.url, self.token) as client:
            [result] = client.push([mutation]).results
        return result


@pytest.fixture
def checked(tmp_path: Path) -> Iterator[Server]:
    """A real reference server on loopback whose clock is CLOCK, so that every boundary can be met exactly."""
    engine, _ = prepare(tmp_path / "server.db", SeedSpec(seed=7, cases=60, collectors=1, as_of=AS_OF))
    thread = ServerThread(engine, checks=Checks(clock=lambda: CLOCK)).start()
    try:
        yield Server(thread, engine)
    finally:
        thread.stop()
        engine.dispose()


def refused(result: Any, reason: str) -> bool:
    return (result.status == "rejected" and result.error is not None and result.error.code == "invalid"
            and reason in result.error.message)


CONTACT = {"channel": "phone", "target": "customer", "disposition": "no_answer", "duration_s": 0}


def test_a_contact_no_later_than_the_skew_and_not_before_the_case_began(checked: Server) -> None:
    case_id = checked.chinese_case()
    doc, _ = checked.doc(case_id)
    began = datetime.combine(date.fromisoformat(doc["loan"]["overdue_since"]), time(0, 0), SH)
    assert checked.push(case_id, "contact.logged", CONTACT, CLOCK + timedelta(minutes=5)).status == "applied"
    late = checked.push(case_id, "contact.logged", CONTACT, CLOCK + timedelta(minutes=5, seconds=1))
    assert refused(late, "occurred_at: later than now (more than 5 minutes ahead)")
    assert refused(checked.push(case_id, "contact.logged", CONTACT, CLOCK + timedelta(days=365)), "later than now")
    early = checked.push(case_id, "contact.logged", CONTACT, began - timedelta(seconds=1))
    assert refused(early, f"occurred_at: before the case began ({began.date().isoformat()})")
    assert checked.push(case_id, "contact.logged", CONTACT, began).status == "applied"
    contacts = checked.doc(case_id)[0]["contacts"]
    assert len([c for c in contacts if c["collector"] == "demo"]) == 2  # only the two accepted


def test_a_promise_at_most_the_outstanding_balance_plain_and_in_the_cases_currency(checked: Server) -> None:
    case_id = checked.chinese_case()
    doc, _ = checked.doc(case_id)
    owed = Decimal(doc["loan"]["outstanding"])
    due = "2026-11-30"

    def promise(amount: Any, currency: str = "CNY") -> Any:
        return checked.push(
            case_id, "promise.created", {"due_date": due, "amount": amount, "currency": currency}, CLOCK
        )

    assert refused(
        promise(str(owed + Decimal("0.01"))), f"payload.amount: more than the outstanding balance of {owed} CNY"
    )
    assert refused(promise("99999999"), "more than the outstanding balance")
    assert refused(promise("1e9"), "payload.amount: an amount above zero written plainly")
    assert refused(promise("1E+3"), "written plainly")
    assert refused(promise(1000.5), "written plainly")  # a JSON number is not a plain decimal amount
    for bad in ("NaN", "Infinity", "-5", "100.505"):
        assert promise(bad).status == "rejected", bad
    assert refused(promise("100.00", "USD"), "payload.currency: the case is in CNY, not USD")
    late = checked.push(
        case_id, "promise.created", {"due_date": "2026-11-26", "amount": "100", "currency": "CNY"}, CLOCK
    )
    assert refused(late, "payload.due_date: the date is in the past")
    assert promise(str(owed)).status == "applied"
    assert [p["amount"] for p in checked.doc(case_id)[0]["promises"] if p["status"] == "outstanding"][-1] == str(owed)


@pytest.mark.parametrize(
    ("local", "next_allowed"),
    [((2026, 11, 28, 8, 0), None), ((2026, 11, 28, 7, 59), "2026-11-28 08:00"), ((2026, 11, 27, 21, 59), None),
     ((2026, 11, 27, 22, 0), "2026-11-28 08:00"), ((2026, 11, 27, 23, 30), "2026-11-28 08:00")],
)
def test_a_callback_inside_the_allowed_hours_in_the_customers_zone(checked: Server, local: tuple[int, ...],
                                                                   next_allowed: str | None) -> None:
    case_id = checked.chinese_case()
    result = checked.push(case_id, "callback.scheduled", {"at": datetime(*local, tzinfo=SH).isoformat()}, CLOCK)  # type: ignore[arg-type, misc]
    if next_allowed is None:
        assert result.status == "applied"
    else:
        assert refused(result, f"payload.at: outside 08:00-22:00 in the customer's time (Asia/Shanghai, CN-HOURS); "
                               f"the next allowed time is {next_allowed}")


def test_a_callback_before_it_was_asked_for_is_refused(checked: Server) -> None:
    case_id = checked.chinese_case()
    result = checked.push(
        case_id, "callback.scheduled", {"at": datetime(2026, 11, 27, 10, 0, tzinfo=SH).isoformat()}, CLOCK
    )
    assert refused(result, "payload.at: the callback time has passed")


@pytest.mark.parametrize(("first", "applied"), [(date(2026, 11, 27), True), (date(2026, 11, 26), False)])
def test_a_plan_starts_on_the_day_it_was_submitted_or_later(checked: Server, first: date, applied: bool) -> None:
    case_id = checked.chinese_case()
    payload = {
        "type": "reinstalment",
        "restructured": "300.00",
        "waived": "0",
        "parameters": {},
        "instalments": [
            {"seq": i + 1, "due_date": (first + timedelta(days=31 * i)).isoformat(), "amount": "100.00"}
            for i in range(3)
        ],
    }
    result = checked.push(case_id, "plan.submitted", payload, CLOCK)  # 11:00 on 2026-11-27 in Shanghai
    if applied:
        assert result.status == "applied"
    else:
        assert refused(result, "payload.instalments: the first instalment (2026-11-26) is before the customer's today "
                               "(2026-11-27)")


def test_an_unchecked_promise_in_the_outbox_comes_back_failed_with_the_servers_reason(
    server: RunningServer, cache: Engine
) -> None:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    case_id = queue_page(cache, 0, 1)[0].id
    loan = present(case_detail(cache, case_id)).loan
    # Written past the use case's checks, as an older workbench would have: 99,999 on a smaller balance.
    entry = actions.add_promise(cache, case_id, at=SYNC_AT, due=date(2026, 11, 30),
                                amount=Decimal(loan.outstanding) + 99999, currency=loan.currency)
    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    failed = outbox.get(cache, entry)
    assert failed is not None and failed.state == "failed"
    assert failed.last_error == (f"rejected: payload.amount: more than the outstanding balance of {loan.outstanding} "
                                 f"{loan.currency}")
