"""The team's daily targets the reference server sends each collector with `GET /v1/me` (a real servicer
sets them per team and market; these are the demo's)."""

from __future__ import annotations

from decimal import Decimal

from collector_tui import api as v1
from collector_tui.server.generator import market_for
from collector_tui.server.models import Account

ATTEMPTS, RIGHT_PARTY, PROMISES = 60, 15, 5
# The day's promised total, in the currency of the market the collector works.
PROMISED = {"CNY": Decimal("20000.00"), "USD": Decimal("3000.00"), "GBP": Decimal("2500.00")}


def targets_for(account: Account) -> v1.Targets | None:
    """A collector's targets for the day; a lead has none of their own."""
    if account.role != "collector":
        return None
    currency = market_for(account.username).currency
    return v1.Targets(attempts=ATTEMPTS, right_party=RIGHT_PARTY, promises=PROMISES,
                      promise_amount=PROMISED.get(currency, Decimal(0)), currency=currency)
