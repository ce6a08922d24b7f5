"""Message catalogues (zh_CN and en): every word a collector reads goes through `t()`."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

LOCALES = ("zh_CN", "en")
_current = "zh_CN"


@cache
def catalogue(locale: str) -> dict[str, str]:
    """All messages of a locale, flattened to dotted keys."""
    text = resources.files(__package__).joinpath(f"{locale}.toml").read_text(encoding="utf-8")
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
