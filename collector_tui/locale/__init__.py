"""Message catalogues (zh_CN and en): every word a collector reads goes through `t()`."""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path

import platformdirs

LOCALES = ("zh_CN", "en")
_current = "zh_CN"


@cache
def catalogue(locale: str) -> dict[str, str]:
    """All messages of a locale, flattened to dotted keys."""
    text = resources.files(__package__).joinpath(f"{locale}.toml").read_text(encoding="utf-8")
    # Parsing the TOML is most of what a start spends on the words: each version of a catalogue is parsed once
    # and kept flattened as JSON in the user's cache folder, under the digest of its text.
    kept = (Path(platformdirs.user_cache_dir("collector-tui")) / "catalogues"
            / f"{locale}-{hashlib.blake2b(text.encode(), digest_size=12).hexdigest()}.json")
    try:
        found = json.loads(kept.read_text(encoding="utf-8"))
        if isinstance(found, dict) and all(isinstance(v, str) for v in found.values()):
            return found
    except (OSError, ValueError):
        pass
    flat = _flatten(text)
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        for old in kept.parent.glob(f"{locale}-*.json"):
            old.unlink(missing_ok=True)  # an earlier version's
        tmp = kept.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(flat, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, kept)
    except OSError:
        pass  # a read-only cache folder: parsed each time, as before
    return flat


def _flatten(text: str) -> dict[str, str]:
    flat: dict[str, str] = {}

    def walk(prefix: str, node: dict[str, object]) -> None:
        for key, value in node.items():
            full = f"{prefix}{key}"
            if isinstance(value, dict):
                walk(full + ".", value)
            else:
                flat[full] = str(value)

    walk("", tomllib.loads(text))
    return flat


def set_locale(locale: str) -> None:
    global _current
    if locale not in LOCALES:
        raise ValueError(f"locale must be one of {', '.join(LOCALES)}")
    _current = locale


def current_locale() -> str:
    return _current


def t(key: str, **params: object) -> str:
    """The message for `key` in the current locale, English as fallback, the key itself as a last resort."""
    text = catalogue(_current).get(key) or catalogue("en").get(key) or key
    return text.format(**params) if params else text


def code(kind: str, value: str | None) -> str:
    """A data code (disposition, channel, status...) in the collector's words; unknown codes shown as they are."""
    if not value:
        return ""
    key = f"code.{kind}.{value}"
    text = catalogue(_current).get(key) or catalogue("en").get(key)
    return text or value
