"""API v1 conformance: the contract's checks (docs/api.md) run against any server, over HTTP only.

Client side: plain httpx and the shared models of `collector_tui.api`; never the reference server's code, so
a check judges what a server answers, not how the reference one is built. `collector-tui conformance` runs it.
"""

from collector_tui.conformance.state import NotACollector, Run
from collector_tui.conformance.suite import CHECKS, FAIL, NOT_RUN, PASS, Outcome, as_json, run_checks, table
from collector_tui.conformance.wire import Wire

__all__ = ["CHECKS", "FAIL", "NOT_RUN", "PASS", "NotACollector", "Outcome", "Run", "Wire", "as_json", "run_checks",
           "table"]
