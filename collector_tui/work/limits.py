"""The API contract's limits, checked where a value is typed: what is about to be recorded is validated with the
very model the server validates it with (`api/payloads.py`), so there is no second list of limits to drift.

Each refusal is a FieldError naming the field as the form and the CLI know it and a message from the
catalogues that names the limit (`limit.*`, `form.too_long`, `form.choose_one`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args

from pydantic import ValidationError

from collector_tui.api.payloads import PAYLOADS
from collector_tui.domain.actions import FieldError

__all__ = ["KEYS", "PAYLOADS", "max_length", "payload_errors"]

# A pydantic error type -> the catalogue key saying it, the constraint its figure comes from and the figure's name.
KEYS: dict[str, tuple[str, str, str]] = {
    "string_too_long": ("form.too_long", "max_length", "max"),
    "string_too_short": ("limit.too_short", "min_length", "min"),
    "too_long": ("limit.too_many", "max_length", "max"),
    "too_short": ("limit.too_few", "min_length", "min"),
    "less_than_equal": ("limit.at_most", "le", "max"),
    "less_than": ("limit.below", "lt", "max"),
    "greater_than_equal": ("limit.at_least", "ge", "min"),
    "greater_than": ("limit.above", "gt", "min"),
    "decimal_max_digits": ("limit.digits", "max_digits", "max"),
    "decimal_max_places": ("limit.decimal_places", "decimal_places", "max"),
    "decimal_whole_digits": ("limit.whole_digits", "whole_digits", "max"),
    "string_pattern_mismatch": ("limit.pattern", "", ""),
    "literal_error": ("form.choose_one", "", ""),
}
# Where a payload's field has another name where it is typed (the form's and the CLI's).
ENTERED = {"due_date": "date"}


def _choices(mtype: str, name: str) -> str:
    field = PAYLOADS[mtype].model_fields.get(name)
    return ", ".join(str(a) for a in get_args(field.annotation)) if field is not None else ""


def payload_errors(mtype: str, payload: Mapping[str, Any], entered: Mapping[str, str] = ENTERED) -> list[FieldError]:
    """Every value of a `mtype` payload the server's model refuses, one error a field (the first it finds)."""
    try:
        PAYLOADS[mtype].model_validate(dict(payload))
    except ValidationError as exc:
        errors: dict[str, FieldError] = {}
        for e in exc.errors():
            name = str(e["loc"][0]) if e["loc"] else ""
            field = entered.get(name, name)
            if field in errors:
                continue
            key, figure, name_of = KEYS.get(e["type"], ("limit.invalid", "", ""))
            ctx = e.get("ctx") or {}
            if key == "form.choose_one":
                params: dict[str, object] = {"choices": _choices(mtype, name)}
            else:
                params = {name_of: ctx[figure]} if figure in ctx else {}
            errors[field] = FieldError(field, key, params)
        return list(errors.values())
    return []


def max_length(mtype: str, name: str) -> int:
    """The most characters the server takes in a text field (a form's counter shows it)."""
    for meta in PAYLOADS[mtype].model_fields[name].metadata:
        if getattr(meta, "max_length", None) is not None:
            return int(meta.max_length)
    raise LookupError(f"{mtype}.{name} has no length limit")
