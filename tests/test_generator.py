"""The synthetic portfolio: deterministic, spread over every stage, showing every risk signal, each loan telling
one story (schedule, payments, overdue_since, amounts) and each collector working in one currency."""

from __future__ import annotations

import calendar
import json
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from collector_tui import api
from collector_tui.domain.stages import Stage, stage_for_dpd
from collector_tui.server.generator import (
    TERM,
    PortfolioGenerator,
    collectors_for,
    due_date,
    market_for,
    record_payment,
)
from collector_tui.server.models import CaseDoc
from collector_tui.storage.engine import open_engine
from collector_tui.storage.queries import QueueFilter, queue_count, queue_page
from collector_tui.sync.service import run_sync
from tests.conftest import SYNC_AT, MakeServer

AS_OF = date(2026, 11, 27)


def portfolio(n: int = 400, seed: int = 11) -> list[dict[str, Any]]:
    gen = PortfolioGenerator(seed, AS_OF)
    return [gen.case(i + 1, "demo") for i in range(n)]


def test_same_seed_same_portfolio_other_seed_other_portfolio() -> None:
    assert portfolio(30, 5) == portfolio(30, 5)
    assert portfolio(30, 5) != portfolio(30, 6)


def test_every_case_is_valid_api_v1() -> None:
    for doc in portfolio(200):
        api.Case.model_validate(doc)


def test_stages_time_zones_and_locales_are_all_present() -> None:
    docs = portfolio()  # demo works China: most customers live there, some abroad; some speak English
    stages = Counter(stage_for_dpd(d["loan"]["dpd"]) for d in docs)
    assert set(stages) == {Stage.EARLY_WARNING, Stage.ESCALATION, Stage.SEVERE, Stage.LONG_TERM}
    zones = {d["customer"]["timezone"] for d in docs}
    assert {"Asia/Shanghai", "America/New_York", "Europe/London"} <= zones
    assert {d["customer"]["locale"] for d in docs} == {"zh_CN", "en"}
    channels = Counter(ch for d in docs for ch, ok in d["customer"]["consents"]["channels"].items() if not ok)
    assert channels["visit"] > 0 and channels["sms"] > 0


def _swing(doc: dict[str, Any]) -> Decimal:
    amounts = [Decimal(m["amount"]) for m in doc["customer"]["monthly_income"]]
    return (max(amounts) - min(amounts)) / max(sum(amounts) / len(amounts), Decimal(1))  # type: ignore[operator]


def _min_run(doc: dict[str, Any]) -> int:
    best = run = 0
    for p in doc["payments"]:
        run = run + 1 if p["minimum_only"] else 0
        best = max(best, run)
    return best


def test_every_risk_signal_of_the_deck_is_planted_somewhere() -> None:
    docs = portfolio()
    signals = {
        "income swings over 30%": lambda d: _swing(d) > Decimal("0.30"),
        "no employment contract": lambda d: not d["customer"]["employment"]["has_contract"],
        "single income source": lambda d: d["customer"]["employment"]["income_sources"] == 1,
        "contact details stale over 6 months": lambda d: (
            (AS_OF - date.fromisoformat(d["customer"]["contact_info_confirmed_at"])).days > 180
        ),
        "address mismatch": lambda d: d["customer"]["address"]["mismatch_reported_at"] is not None,
        "emergency contact missing": lambda d: not d["customer"]["emergency_contacts"],
        "study not completed": lambda d: (
            d["customer"]["student"] and not d["customer"]["student"]["completed_required_study"]
        ),
        "dropped out or suspended": lambda d: (
            d["customer"]["student"] and d["customer"]["student"]["status"] in ("dropped_out", "suspended")
        ),
        "changes school often": lambda d: (
            d["customer"]["student"] and d["customer"]["student"]["school_changes_12m"] >= 2
        ),
        "abnormal enrolment": lambda d: d["customer"]["student"] and d["customer"]["student"]["status"] == "abnormal",
        "minimum payment 3+ in a row": lambda d: _min_run(d) >= 3,
        "frequent deferral requests": lambda d: len(d["deferral_requests"]) >= 3,
        "contact changed 2+ times": lambda d: len(d["customer"]["contact_changes"]) >= 2,
        "change not reported": lambda d: any(not c["reported_by_customer"] for c in d["customer"]["contact_changes"]),
        "unreachable number": lambda d: any(not p["reachable"] for p in d["customer"]["phones"]),
        "lost contact": lambda d: all(not p["reachable"] for p in d["customer"]["phones"]),
        "large unusual spending": lambda d: (
            Decimal(d["spending"][-1]["total"]) > 2 * Decimal(d["spending"][0]["total"])
        ),
        "investment-type spending": lambda d: Decimal(d["spending"][-1]["investment_share"]) >= Decimal("0.3"),
        "many lenders": lambda d: d["customer"]["bureau"]["active_lenders"] >= 4,
        "cease request": lambda d: any(s["type"] == "cease_requested" for s in d["customer"]["suppressions"]),
        "no contact yet in the golden window": lambda d: d["loan"]["dpd"] <= 15 and not d["contacts"],
        "broken promise": lambda d: any(p["status"] == "broken" for p in d["promises"]),
    }
    counts = {name: sum(1 for d in docs if check(d)) for name, check in signals.items()}  # type: ignore[misc, no-untyped-call]
    missing = [name for name, n in counts.items() if n == 0]
    assert not missing, counts
    # Signals are planted in some customers, not all: a queue must have something to tell apart.
    assert all(n < len(docs) for name, n in counts.items() if name != "single income source"), counts


# --- the loan tells one story -------------------------------------------------------------------------------

COLLECTORS = st.sampled_from([*collectors_for(6), "north1"])


def _money(value: str) -> Decimal:
    return Decimal(value)


def check_story(doc: dict[str, Any], as_of: date) -> None:
    """Schedule, payments, overdue_since, DPD and the amounts agree, as the generator's docstring says."""
    loan, schedule, payments = doc["loan"], doc["schedule"], doc["payments"]
    since, dpd, due_day = date.fromisoformat(loan["overdue_since"]), loan["dpd"], loan["due_day"]
    instalment, minimum = _money(loan["instalment"]), _money(loan["minimum_payment"])
    # DPD is the days from the first unpaid instalment's due date: due yesterday and unpaid is 1 DPD.
    assert dpd == (as_of - since).days >= 1

    # Monthly on the contract's day, at the month's end when the month is shorter, and back again.
    assert [s["seq"] for s in schedule] == list(range(1, len(schedule) + 1))
    first_due = date.fromisoformat(schedule[0]["due_date"])
    for s in schedule:
        due = date.fromisoformat(s["due_date"])
        assert due == due_date(first_due, s["seq"] - 1, due_day)
        assert due.day == min(due_day, calendar.monthrange(due.year, due.month)[1])

    # Met (paid in full or with the minimum), then the first unpaid one on overdue_since, then overdue, then due.
    unpaid = next(i for i, s in enumerate(schedule) if s["status"] not in ("paid", "minimum"))
    met, rest = schedule[:unpaid], schedule[unpaid:]
    assert met and rest[0]["due_date"] == since.isoformat() and rest[0]["status"] == "overdue"
    for s in met:
        assert _money(s["paid"]) == (_money(s["amount"]) if s["status"] == "paid" else minimum)
    for i, s in enumerate(rest):
        due, paid = date.fromisoformat(s["due_date"]), _money(s["paid"])
        assert s["status"] == ("overdue" if due < as_of else "due")
        assert paid == 0 or (i == 0 and 0 < paid < _money(s["amount"]))
    overdue = [s for s in rest if s["status"] == "overdue"]

    # One payment for each met instalment, before the next falls due; payments while overdue paid promises.
    assert [p["date"] for p in payments] == sorted(p["date"] for p in payments)
    assert all(date.fromisoformat(p["date"]) <= as_of for p in payments)
    before = [p for p in payments if p["date"] < since.isoformat()]
    assert [(_money(p["amount"]), p["minimum_only"]) for p in before] == [
        (_money(s["paid"]), s["status"] == "minimum") for s in met]
    for p, s, after in zip(before, met, schedule[1:]):
        assert p["date"] < after["due_date"]
    assert sum(_money(p["amount"]) for p in payments) == sum(_money(s["paid"]) for s in schedule)
    kept = [p for p in doc["promises"] if p["status"] in ("kept", "partially_kept")]
    assert len([p for p in payments[len(before):] if not p["minimum_only"]]) == len(kept)  # the rest: record_payment
    # A promise is for part of the arrears owed when it was made (before any promised payment came in).
    owed = _money(loan["overdue_amount"]) + sum(_money(p["amount"]) for p in payments[len(before):])
    assert all(0 < _money(p["amount"]) <= owed for p in doc["promises"])

    # The overdue amount is the arrears plus the charges on them; the outstanding balance is all that is unpaid.
    charges = _money(loan["interest_due"]) + _money(loan["fees_due"])
    arrears = sum(_money(s["amount"]) - _money(s["paid"]) for s in overdue)
    assert _money(loan["overdue_amount"]) == arrears + charges
    principal = _money(loan["principal"])
    amounts = [instalment] * (TERM - 1) + [principal - instalment * (TERM - 1)]
    assert sum(amounts) == principal
    shown = sum(_money(s["amount"]) - _money(s["paid"]) for s in schedule)
    assert _money(loan["outstanding"]) == shown + sum(amounts[len(schedule):]) + charges
    assert loan["currency"] == market_for(doc["assigned_to"]).currency


@settings(max_examples=150, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32), index=st.integers(1, 200_000), collector=COLLECTORS,
       as_of=st.dates(date(2024, 1, 1), date(2031, 12, 31)))
def test_every_generated_case_tells_one_story(seed: int, index: int, collector: str, as_of: date) -> None:
    check_story(PortfolioGenerator(seed, as_of).case(index, collector), as_of)


@settings(max_examples=10, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32))
def test_a_whole_portfolio_tells_one_story(seed: int) -> None:
    for doc in portfolio(120, seed):
        check_story(doc, AS_OF)


def test_due_dates_roll_to_the_months_end_and_back() -> None:
    jan31 = date(2027, 1, 31)
    assert [due_date(jan31, k, 31) for k in range(4)] == [
        jan31,
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
    ]
    assert due_date(date(2028, 1, 31), 1, 31) == date(2028, 2, 29)  # a leap year
    assert due_date(date(2027, 2, 28), 1, 30) == date(2027, 3, 30)  # from the contract's day, not from the 28th
    # The demo portfolio holds contracts due on the 29th-31st whose dates roll in a short month.
    docs = portfolio()
    late_days = [d for d in docs if d["loan"]["due_day"] >= 29]
    assert late_days
    assert any(s["due_date"][8:] != str(d["loan"]["due_day"]) for d in late_days for s in d["schedule"])


@given(collector=COLLECTORS, seed=st.integers(0, 2**32))
@settings(max_examples=20, deadline=None, derandomize=True)
def test_a_collectors_portfolio_is_in_one_currency(collector: str, seed: int) -> None:
    gen = PortfolioGenerator(seed, AS_OF)
    assert {gen.case(i, collector)["loan"]["currency"] for i in range(1, 60)} == {market_for(collector).currency}


def test_every_market_is_worked_by_some_demo_collector() -> None:
    assert [market_for(c).currency for c in collectors_for(5)] == ["CNY", "CNY", "USD", "GBP", "CNY"]
    assert market_for("north1").currency == "CNY"


def test_a_payment_received_later_goes_to_the_first_overdue_instalment_and_the_story_holds() -> None:
    for doc in portfolio(80):
        owed, balance = (Decimal(doc["loan"][k]) for k in ("overdue_amount", "outstanding"))
        since = doc["loan"]["overdue_since"]
        record_payment(doc, "PM-later", AS_OF)
        paid = Decimal(doc["payments"][-1]["amount"])
        assert doc["payments"][-1]["id"] == "PM-later" and 0 < paid <= Decimal(doc["loan"]["minimum_payment"])
        assert Decimal(doc["loan"]["overdue_amount"]) == owed - paid
        assert Decimal(doc["loan"]["outstanding"]) == balance - paid
        assert doc["loan"]["overdue_since"] == since  # the first overdue instalment is never cleared by it
        check_story(doc, AS_OF)


def test_each_collectors_queue_is_in_one_currency_and_sorts_by_amount_within_it(
    make_server: MakeServer, tmp_path: Path
) -> None:
    server = make_server(cases=160, collectors=4)
    # Churn moves cases between collectors of the same market only.
    httpx.post(f"{server.url}/v1/admin/churn", json={"seed": 4, "payments": 10, "reassign": 40})
    with Session(server.engine) as s:
        held: dict[str, set[str]] = {}
        for who, doc in s.execute(select(CaseDoc.assigned_to, CaseDoc.doc)).all():
            held.setdefault(who, set()).add(json.loads(doc)["loan"]["currency"])
    assert held == {"demo": {"CNY"}, "demo2": {"CNY"}, "demo3": {"USD"}, "demo4": {"GBP"}}
    for user, currency in (("demo", "CNY"), ("demo3", "USD")):
        engine = open_engine(tmp_path / user / "cache.db")
        run_sync(engine, server.url, user, server.token(user), now=lambda: SYNC_AT)
        by_amount = QueueFilter(sort="amount")
        rows = queue_page(engine, 0, queue_count(engine, by_amount), by_amount)
        assert rows and {r.currency for r in rows} == {currency}
        amounts = [Decimal(r.overdue_amount) for r in rows]
        assert amounts == sorted(amounts, reverse=True)
        engine.dispose()
