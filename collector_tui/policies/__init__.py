"""Contact-rule packs shipped as TOML: cn (default), us-regf, uk-conc."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from pathlib import Path

from collector_tui.domain.policy import PackError, RulePack, parse_pack

PACKS = ("cn", "us-regf", "uk-conc")


def load_pack_file(path: Path) -> RulePack:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PackError(f"{path}: {exc}") from None
    return parse_pack(data, str(path))


@cache
def load_pack(name: str) -> RulePack:
    """A shipped pack by name."""
    if name not in PACKS:
        raise PackError(f"unknown rule pack {name!r}; choose one of {', '.join(PACKS)}")
    ref = resources.files(__package__).joinpath(f"{name}.toml")
    return parse_pack(tomllib.loads(ref.read_text(encoding="utf-8")), f"policies/{name}.toml")
