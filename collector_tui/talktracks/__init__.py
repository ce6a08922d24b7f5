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
                used = {f for _, f, _, _ in string.Formatter().parse(line) if f}
                if not used <= FIELDS:
                    raise TrackError(f"{source}: {key} uses unknown field(s) {sorted(used - FIELDS)}")
            tracks[(stage, segment)] = Track(body["title"], tuple(body["lines"]))
    return tracks


@cache
def tracks(locale: str) -> dict[tuple[int, str], Track]:
    text = resources.files(__package__).joinpath(f"{locale}.toml").read_text(encoding="utf-8")
    return parse_tracks(text, f"talktracks/{locale}.toml")


def track_for(locale: str, stage: int, segment: str) -> Track:
    return tracks(locale)[(min(max(stage, 1), 4), segment)]
