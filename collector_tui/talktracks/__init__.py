"""Standard talk tracks per stage and customer segment, as files a team can edit; checked when loaded."""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

SEGMENTS = ("student", "employed", "unstable")
STAGES = (1, 2, 3, 4)
FIELDS = {"name", "institution", "overdue", "minimum", "dpd"}
DEBT_FIELDS = {"overdue", "minimum", "dpd"}  # debt detail: only once the right party is confirmed
LANGUAGES = ("zh_CN", "en")  # the languages there are talk tracks in
IDENTITY_LINES = 2  # the opener asks for the customer by name, the next line checks who they are


class TrackError(ValueError):
    """A talk-track file that cannot be used; names the file and the key."""


@dataclass(frozen=True)
class Track:
    title: str
    lines: tuple[str, ...]
    legal: frozenset[int] = frozenset()  # 1-based lines that speak of legal steps

    def spoken(self, time_barred: bool = False) -> tuple[str, ...]:
        """The lines to say: on a time-barred debt, none that speaks of legal steps (never threaten suit)."""
        return tuple(line for n, line in enumerate(self.lines, 1) if not (time_barred and n in self.legal))


def segment_for(employment_type: str | None) -> str:
    """Students get an educational tone, the employed a solution-oriented one (domain brief)."""
    if employment_type == "student":
        return "student"
    if employment_type == "salaried":
        return "employed"
    return "unstable"


def language_of(locale: str | None) -> str | None:
    """The talk-track language for a customer's locale (zh_CN, zh-Hans-CN, en_US, en...), None if there is none.
    Traditional Chinese (Taiwan, Hong Kong, Macau, Hant) has no track of its own."""
    if not locale:
        return None
    parts = locale.replace("-", "_").split(".")[0].split("@")[0].lower().split("_")
    if parts[0] == "en":
        return "en"
    if parts[0] == "zh" and not {"tw", "hk", "mo", "hant"} & set(parts[1:]):
        return "zh_CN"
    return None


def track_language(customer_locale: str | None, ui_locale: str) -> str:
    """A call is in the customer's language when there is a track in it, else in the collector's."""
    return language_of(customer_locale) or ui_locale


def _used(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def _fields_ok(text: str, source: str, key: str) -> None:
    used = _used(text)
    if not used <= FIELDS:
        raise TrackError(f"{source}: {key} uses unknown field(s) {sorted(used - FIELDS)}")


def _right_party_first(lines: list[str], source: str, key: str) -> None:
    """The opener asks for the customer by name and says nothing of the debt; the identity check comes next."""
    if not lines or "name" not in _used(lines[0]):
        raise TrackError(f"{source}: {key} must open by asking for the customer by name ({{name}})")
    for n, line in enumerate(lines[:IDENTITY_LINES], 1):
        if _used(line) & DEBT_FIELDS:
            raise TrackError(f"{source}: {key} line {n} names the debt before the identity check: "
                             f"{sorted(_used(line) & DEBT_FIELDS)}")


@dataclass(frozen=True)
class Messages:
    """SMS and e-mail templates per stage, and the opt-out line per channel."""

    templates: dict[tuple[str, int], str]
    opt_out: dict[str, str]
    voicemail: str = ""  # the limited-content message: a callback request that says nothing of a debt

    def draft(self, channel: str, stage: int, values: dict[str, object], with_opt_out: bool) -> str:
        text = self.templates[(channel, min(max(stage, 1), 4))].format(**values)
        return f"{text} {self.opt_out[channel]}" if with_opt_out else text


def parse_messages(text: str, source: str) -> Messages:
    data = tomllib.loads(text).get("messages", {})
    templates: dict[tuple[str, int], str] = {}
    for channel in ("sms", "email"):
        for stage in STAGES:
            key = f"messages.{channel}.stage{stage}"
            body = data.get(channel, {}).get(f"stage{stage}")
            if not isinstance(body, str):
                raise TrackError(f"{source}: {key} is missing")
            _fields_ok(body, source, key)
            if "{institution}" not in body:
                raise TrackError(f"{source}: {key} must name the institution ({{institution}})")
            # A message cannot check who reads it: it names the person it is for and leaves the debt to the call.
            if "{name}" not in body:
                raise TrackError(f"{source}: {key} must name the person it is for ({{name}})")
            if _used(body) & DEBT_FIELDS:
                raise TrackError(f"{source}: {key} names the debt ({sorted(_used(body) & DEBT_FIELDS)}), "
                                 "which waits until the customer has confirmed who they are")
            templates[(channel, stage)] = body
    opt_out = data.get("opt_out", {})
    if not all(isinstance(opt_out.get(c), str) and opt_out[c] for c in ("sms", "email")):
        raise TrackError(f"{source}: messages.opt_out needs an sms and an email line")
    voicemail = data.get("voicemail", {}).get("text", "")
    if not isinstance(voicemail, str) or not voicemail:
        raise TrackError(f"{source}: messages.voicemail.text is missing")
    _fields_ok(voicemail, source, "messages.voicemail.text")
    if _used(voicemail) & DEBT_FIELDS:
        raise TrackError(f"{source}: messages.voicemail.text must say nothing of the debt")
    return Messages(templates, {c: opt_out[c] for c in ("sms", "email")}, voicemail)


@cache
def messages(locale: str) -> Messages:
    text = resources.files(__package__).joinpath(f"{locale}.toml").read_text(encoding="utf-8")
    return parse_messages(text, f"talktracks/{locale}.toml")


def parse_tracks(text: str, source: str) -> dict[tuple[int, str], Track]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TrackError(f"{source}: {exc}") from None
    tracks: dict[tuple[int, str], Track] = {}
    for stage in STAGES:
        for segment in SEGMENTS:
            key = f"stage{stage}.{segment}"
            body = data.get(f"stage{stage}", {}).get(segment)
            if (not isinstance(body, dict) or not isinstance(body.get("title"), str)
                    or not isinstance(body.get("lines"), list)):
                raise TrackError(f"{source}: {key} needs a title and a list of lines")
            for line in body["lines"]:
                _fields_ok(line, source, key)
            _right_party_first(body["lines"], source, key)
            legal = body.get("legal", [])
            if (not isinstance(legal, list)
                    or not all(isinstance(n, int) and 1 <= n <= len(body["lines"]) for n in legal)):
                raise TrackError(f"{source}: {key}.legal must list line numbers of its lines")
            tracks[(stage, segment)] = Track(body["title"], tuple(body["lines"]), frozenset(legal))
    return tracks


@cache
def tracks(locale: str) -> dict[tuple[int, str], Track]:
    text = resources.files(__package__).joinpath(f"{locale}.toml").read_text(encoding="utf-8")
    return parse_tracks(text, f"talktracks/{locale}.toml")


def track_for(locale: str, stage: int, segment: str) -> Track:
    return tracks(locale)[(min(max(stage, 1), 4), segment)]
