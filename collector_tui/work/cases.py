"""Reading cases: the queue, one case in full, and a case's assessment at a moment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine

from collector_tui.domain.assessment import Assessment, assess
from collector_tui.domain.facts import CaseFacts
from collector_tui.domain.rules import Rules
from collector_tui.storage.case_ids import known_case_id
from collector_tui.storage.facts import load_facts
from collector_tui.storage.queries import (
    CaseDetail,
    CaseSummary,
    QueueFilter,
    QueueRow,
    case_detail,
    case_position,
    case_summaries,
    flag_counts,
    queue_count,
    queue_group_counts,
    queue_page,
)
from collector_tui.storage.queue_build import place_all

__all__ = ["CaseDetail", "CaseSummary", "QueueFilter", "QueueRow", "case_detail", "case_position", "case_summaries",
           "flag_counts", "queue_group_counts", "queue_count", "queue_page", "place_all", "CaseView", "assess_case",
           "case_facts", "next_case", "outstanding", "known_case_id"]


@dataclass(frozen=True)
class CaseView:
    """A case as the rules see it at one moment."""

    facts: CaseFacts
    assessment: Assessment


def case_facts(engine: Engine, case_id: str) -> CaseFacts | None:
    found = load_facts(engine, [case_id])
    return found[0] if found else None


def outstanding(engine: Engine, case_id: str) -> Decimal | None:
    """The balance the case's loan still owes, as of the last sync: no promise may be for more."""
    detail = case_detail(engine, case_id)
    return Decimal(detail.loan.outstanding) if detail else None


def assess_case(engine: Engine, case_id: str, now: datetime, rules: Rules) -> CaseView | None:
    facts = case_facts(engine, case_id)
    return CaseView(facts, assess(facts, now, rules)) if facts else None


def next_case(engine: Engine, case_id: str) -> str | None:
    """The case after this one in the rules' order (the first, when this one left the queue)."""
    position = case_position(engine, case_id)
    following = queue_page(engine, (position if position is not None else -1) + 1, 1)
    return following[0].id if following else None
