"""The synthetic portfolio: deterministic, spread over every stage, and showing every risk signal."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

from collector_tui import api
from collector_tui.domain.stages import Stage, stage_for_dpd
from collector_tui.server.generator import PortfolioGenerator

AS_OF = date(2026, 11, 27)


def portfolio(n: int = 400, seed: int = 11) -> list[dict]:  # type: ignore[type-arg]
    gen = PortfolioGenerator(seed, AS_OF)
    return [gen.case(i + 1, "demo") for i in range(n)]


def test_same_seed_same_portfolio_other_seed_other_portfolio() -> None:
    assert portfolio(30, 5) == portfolio(30, 5)
    assert portfolio(30, 5) != portfolio(30, 6)


def test_every_case_is_valid_api_v1() -> None:
    for doc in portfolio(200):
        api.Case.model_validate(doc)


def test_stages_time_zones_and_locales_are_all_present() -> None:
    docs = portfolio()
    stages = Counter(stage_for_dpd(d["loan"]["dpd"]) for d in docs)
    assert set(stages) == {Stage.EARLY_WARNING, Stage.ESCALATION, Stage.SEVERE, Stage.LONG_TERM}
    zones = {d["customer"]["timezone"] for d in docs}
    assert {"Asia/Shanghai", "America/New_York", "Europe/London"} <= zones
    assert {d["customer"]["locale"] for d in docs} == {"zh_CN", "en"}
    channels = Counter(ch for d in docs for ch, ok in d["customer"]["consents"]["channels"].items() if not ok)
    assert channels["visit"] > 0 and channels["sms"] > 0


def _swing(doc: dict) -> Decimal:  # type: ignore[type-arg]
    amounts = [Decimal(m["amount"]) for m in doc["customer"]["monthly_income"]]
    return (max(amounts) - min(amounts)) / max(sum(amounts) / len(amounts), Decimal(1))


def _min_run(doc: dict) -> int:  # type: ignore[type-arg]
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
        "contact details stale over 6 months": lambda d: (AS_OF - date.fromisoformat(d["customer"]["contact_info_confirmed_at"])).days > 180,
        "address mismatch": lambda d: d["customer"]["address"]["mismatch_reported_at"] is not None,
        "emergency contact missing": lambda d: not d["customer"]["emergency_contacts"],
        "study not completed": lambda d: d["customer"]["student"] and not d["customer"]["student"]["completed_required_study"],
        "dropped out or suspended": lambda d: d["customer"]["student"] and d["customer"]["student"]["status"] in ("dropped_out", "suspended"),
        "changes school often": lambda d: d["customer"]["student"] and d["customer"]["student"]["school_changes_12m"] >= 2,
        "abnormal enrolment": lambda d: d["customer"]["student"] and d["customer"]["student"]["status"] == "abnormal",
        "minimum payment 3+ in a row": lambda d: _min_run(d) >= 3,
        "frequent deferral requests": lambda d: len(d["deferral_requests"]) >= 3,
        "contact changed 2+ times": lambda d: len(d["customer"]["contact_changes"]) >= 2,
        "change not reported": lambda d: any(not c["reported_by_customer"] for c in d["customer"]["contact_changes"]),
        "unreachable number": lambda d: any(not p["reachable"] for p in d["customer"]["phones"]),
        "lost contact": lambda d: all(not p["reachable"] for p in d["customer"]["phones"]),
        "large unusual spending": lambda d: Decimal(d["spending"][-1]["total"]) > 2 * Decimal(d["spending"][0]["total"]),
        "investment-type spending": lambda d: Decimal(d["spending"][-1]["investment_share"]) >= Decimal("0.3"),
        "many lenders": lambda d: d["customer"]["bureau"]["active_lenders"] >= 4,
        "cease request": lambda d: any(s["type"] == "cease_requested" for s in d["customer"]["suppressions"]),
        "no contact yet in the golden window": lambda d: d["loan"]["dpd"] <= 15 and not d["contacts"],
        "broken promise": lambda d: any(p["status"] == "broken" for p in d["promises"]),
    }
    counts = {name: sum(1 for d in docs if check(d)) for name, check in signals.items()}
    missing = [name for name, n in counts.items() if n == 0]
    assert not missing, counts
    # Signals are planted in some customers, not all: a queue must have something to tell apart.
    assert all(n < len(docs) for name, n in counts.items() if name != "single income source"), counts
