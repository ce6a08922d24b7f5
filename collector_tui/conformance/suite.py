"""The contract's checks in the order they run, each answered pass, fail or not run, with its evidence."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass

import httpx
from rich.cells import cell_len

from collector_tui.conformance.checks_access import cross_collector, error_body, leads_only, sign_in, token_refused
from collector_tui.conformance.checks_feed import cursor_reread, feed_pages, tombstones
from collector_tui.conformance.checks_writes import conflict, idempotency, validation
from collector_tui.conformance.state import Failed, NotRun, Run
from collector_tui.locale import t

# Reads come before writes (a re-read must meet an unchanged feed); the error bodies are judged last, once
# every check has drawn its refusals from the server.
CHECKS: tuple[tuple[str, Callable[[Run], str]], ...] = (
    ("sign_in", sign_in),
    ("token_refused", token_refused),
    ("feed_pages", feed_pages),
    ("cursor_reread", cursor_reread),
    ("cross_collector", cross_collector),
    ("leads_only", leads_only),
    ("idempotency", idempotency),
    ("conflict", conflict),
    ("validation", validation),
    ("tombstones", tombstones),
    ("error_body", error_body),
)
PASS, FAIL, NOT_RUN = "pass", "fail", "not_run"


@dataclass(frozen=True)
class Outcome:
    check: str
    result: str  # pass, fail or not_run
    evidence: str


def run_checks(run: Run) -> list[Outcome]:
    """Every check against the server, in order. Raises NotACollector when the account is not a collector's."""
    outcomes = []
    for name, check in CHECKS:
        try:
            outcomes.append(Outcome(name, PASS, check(run)))
        except Failed as exc:
            outcomes.append(Outcome(name, FAIL, str(exc)))
        except NotRun as exc:
            outcomes.append(Outcome(name, NOT_RUN, str(exc)))
        except httpx.HTTPError as exc:
            outcomes.append(Outcome(name, FAIL, t("conformance.ev.transport", error=type(exc).__name__,
                                                  detail=str(exc) or "-")))
    return outcomes


def table(outcomes: list[Outcome]) -> str:
    """The outcomes as aligned text: check, result, evidence; then a line of totals."""
    rows = [(t("conformance.col_check"), t("conformance.col_result"), t("conformance.col_evidence"))]
    rows += [(o.check, t(f"conformance.{o.result}"), o.evidence) for o in outcomes]
    widths = [max(cell_len(r[i]) for r in rows) for i in (0, 1)]
    lines = [f"{r[0]}{' ' * (widths[0] - cell_len(r[0]) + 2)}{r[1]}{' ' * (widths[1] - cell_len(r[1]) + 2)}{r[2]}"
             for r in rows]
    count = {result: sum(o.result == result for o in outcomes) for result in (PASS, FAIL, NOT_RUN)}
    lines.append(t("conformance.totals", passed=count[PASS], failed=count[FAIL], not_run=count[NOT_RUN]))
    return "\n".join(lines)


def as_json(outcomes: list[Outcome]) -> str:
    return json.dumps([asdict(o) for o in outcomes], ensure_ascii=False, indent=2)
