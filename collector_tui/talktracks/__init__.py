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


class TrackError(ValueError):
    """A talk-track file that cannot be used; names the file and the key."""


@dataclass(frozen=True)
class Track:
    title: str
    lines: tuple[str, ...]


def segment_for(employment_type: str | None) -> str:
    """Students get an educational tone, the employed a solution-oriented one (domain brief)."""
    if employment_type == "student":
        return "student"
    if employment_type == "salaried":
        return "employed"
    return "unstable"


def _fields_ok(text: str, source: str, key: str) -> None:
    used = {f for _, f, _, _ in string.Formatter().parse(text) if f}
    if not used <= FIELDS:
        raise TrackError(f"{source}: {key} uses unknown field(s) {sorted(used - FIELDS)}")


@dataclass(frozen=True)
class Messages:
    """SMS and e-mail templates per stage, and the opt-out line per channel."""

    templates: dict[tuple[str, int], str]
    opt_out: dict[str, str]

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
            templates[(channel, stage)] = body
    opt_out = data.get("opt_out", {})
    if not all(isinstance(opt_out.get(c), str) and opt_out[c] for c in ("sms", "email")):
        raise TrackError(f"{source}: messages.opt_out needs an sms and an email line")
    return Messages(templates, {c: opt_out[c] for c in ("sms", "email")})


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
            if not isinstance(body, dict) or not isinstance(body.get("title"), str) or not isinstance(body.get("lines"), list):
                raise TrackError(f"{source}: {key} needs a title and a list of lines")
            for line in body["lines"]:
                _fields_ok(line, source, key)
            tracks[(stage, segment)] = Track(body["title"], tuple(body["lines"]))
    return tracks


@cache
def tracks(locale: str) -> dict[tuple[int, str], Track]:
    text = resources.files(__package__).joinpath(f"{locale}.toml").read_text(encoding="utf-8")
    return parse_tracks(text, f"talktracks/{locale}.toml")


def track_for(locale: str, stage: int, segment: str) -> Track:
    return tracks(locale)[(min(max(stage, 1), 4), segment)]
