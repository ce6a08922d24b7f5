"""Contact-rule packs as data: parsed and checked here, read from TOML by `collector_tui.policies`.

A pack names each rule by the id compliance texts use (CN-HOURS, US-7IN7, ...); a blocked action reports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from typing import Any


class PackError(ValueError):
    """A rule pack that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Hours:
    rule: str
    start: time
    end: time


@dataclass(frozen=True)
class Cap:
    rule: str
    max: int


@dataclass(frozen=True)
class Weekly:
    rule: str
    max: int
    min: int = 0
    from_dpd: int = 0
    to_dpd: int = 100000


@dataclass(frozen=True)
class Monthly:
    rule: str
    max: int
    min: int = 0


@dataclass(frozen=True)
class SevenInSeven:
    rule: str
    max_attempts: int = 7
    window_days: int = 7
    wait_after_conversation_days: int = 7


@dataclass(frozen=True)
class Golden:
    rule: str
    days: int


@dataclass(frozen=True)
class ThirdParty:
    rule: str
    after_failed_attempts: int


@dataclass(frozen=True)
class TimeBarred:
    """A debt whose last payment (or, with none, its default) is older than this is past the time to sue."""

    rule: str
    years: int


@dataclass(frozen=True)
class Records:
    """How long collection records are kept after the last collection activity."""

    rule: str
    years: int


@dataclass(frozen=True)
class MessageCaps:
    """At most this many messages a channel a day (the customer's day); 0: no cap on that channel."""

    rule: str
    sms: int = 0
    email: int = 0


@dataclass(frozen=True)
class RulePack:
    id: str
    name: str
    hours: Hours
    golden_window: Golden
    consent_rule: str
    suppressions: dict[str, str]  # suppression type -> rule id
    unanswered_per_day: Cap | None = None
    connected_per_day: Cap | None = None
    per_week: Weekly | None = None
    per_month: Monthly | None = None
    seven_in_seven: SevenInSeven | None = None
    third_party: ThirdParty | None = None
    time_barred: TimeBarred | None = None
    records: Records | None = None
    messages_per_day: MessageCaps | None = None
    opt_out_required: bool = False
    sources: dict[str, str] = field(default_factory=dict)


# section -> (dataclass or None, {key: type}); "time" means "HH:MM".
SCHEMA: dict[str, tuple[Any, dict[str, Any]]] = {
    "pack": (None, {"id": str, "name": str, "opt_out_required": bool}),
    "hours": (Hours, {"rule": str, "start": "time", "end": "time"}),
    "golden_window": (Golden, {"rule": str, "days": int}),
    "consent": (None, {"rule": str}),
    "suppressions": (None, {"*": str}),
    "sources": (None, {"*": str}),
    "unanswered_per_day": (Cap, {"rule": str, "max": int}),
    "connected_per_day": (Cap, {"rule": str, "max": int}),
    "per_week": (Weekly, {"rule": str, "max": int, "min": int, "from_dpd": int, "to_dpd": int}),
    "per_month": (Monthly, {"rule": str, "max": int, "min": int}),
    "seven_in_seven": (SevenInSeven, {"rule": str, "max_attempts": int, "window_days": int,
                                      "wait_after_conversation_days": int}),
    "third_party": (ThirdParty, {"rule": str, "after_failed_attempts": int}),
    "time_barred": (TimeBarred, {"rule": str, "years": int}),
    "records": (Records, {"rule": str, "years": int}),
    "messages_per_day": (MessageCaps, {"rule": str, "sms": int, "email": int}),
}
REQUIRED = ("pack", "hours", "golden_window", "consent", "suppressions")


def _value(source: str, where: str, kind: Any, value: Any) -> Any:
    if kind == "time":
        try:
            hh, mm = str(value).split(":")
            return time(int(hh), int(mm))
        except ValueError:
            raise PackError(f"{source}: {where} must be a time as HH:MM, not {value!r}") from None
    if kind is int and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise PackError(f"{source}: {where} must be a whole number of 0 or more, not {value!r}")
    if not isinstance(value, kind):
        raise PackError(f"{source}: {where} must be {kind.__name__}, not {value!r}")
    return value


def parse_pack(data: dict[str, Any], source: str) -> RulePack:
    """A RulePack from parsed TOML; any unknown section or key, or a bad value, is refused by name."""
    parsed: dict[str, dict[str, Any]] = {}
    for section, body in data.items():
        if section not in SCHEMA:
            raise PackError(f"{source}: unknown section {section!r}")
        if not isinstance(body, dict):
            raise PackError(f"{source}: {section} must be a table")
        _, keys = SCHEMA[section]
        values = {}
        for key, value in body.items():
            kind = keys.get(key, keys.get("*"))
            if kind is None:
                raise PackError(f"{source}: unknown key {section}.{key}")
            values[key] = _value(source, f"{section}.{key}", kind, value)
        parsed[section] = values
    for section in REQUIRED:
        if section not in parsed:
            raise PackError(f"{source}: missing section {section!r}")
    built: dict[str, Any] = {}
    for section, values in parsed.items():
        cls = SCHEMA[section][0]
        if cls is None:
            continue
        try:
            built[section] = cls(**values)
        except TypeError as exc:
            raise PackError(f"{source}: {section} is missing a key ({exc})") from None
    hours: Hours = built["hours"]
    if not hours.start < hours.end:
        raise PackError(f"{source}: hours.start must be before hours.end")
    try:
        pack = parsed["pack"]
        return RulePack(
            id=pack["id"], name=pack["name"], opt_out_required=pack.get("opt_out_required", False),
            hours=hours, golden_window=built["golden_window"], consent_rule=parsed["consent"]["rule"],
            suppressions=parsed["suppressions"], sources=parsed.get("sources", {}),
            **{k: v for k, v in built.items() if k not in ("hours", "golden_window")},
        )
    except KeyError as exc:
        raise PackError(f"{source}: missing key {exc.args[0]!r}") from None
