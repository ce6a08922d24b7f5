"""Money as Decimal in the currency's minor unit."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MINOR_DIGITS = {"CNY": 2, "USD": 2, "GBP": 2, "EUR": 2, "JPY": 0}


def parse_money(value: str | int | float | Decimal, currency: str = "CNY") -> Decimal:
    """A money amount quantised to the currency's minor unit; rejects non-numbers with ValueError."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    exp = Decimal(1).scaleb(-MINOR_DIGITS.get(currency, 2))
    return amount.quantize(exp, rounding=ROUND_HALF_UP)


def to_minor(amount: Decimal, currency: str = "CNY") -> int:
    """An amount in minor units (fen, cents), for indexed sorting."""
    return int(amount.scaleb(MINOR_DIGITS.get(currency, 2)))


SYMBOLS = {"CNY": "¥", "USD": "$", "GBP": "£", "EUR": "€"}


def format_money(amount: Decimal | str, currency: str = "CNY") -> str:
    """¥2,450.20 style, for display."""
    value = parse_money(amount, currency)
    digits = MINOR_DIGITS.get(currency, 2)
    return f"{SYMBOLS.get(currency, currency + ' ')}{value:,.{digits}f}"
