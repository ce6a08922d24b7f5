"""Settings: where the cache lives, which API, which locale and rule pack. One home holds one collector."""

from __future__ import annotations

import json
import os
import re
import shlex
import tomllib
import unicodedata
from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from collector_tui.locale import t

if TYPE_CHECKING:
    from collector_tui.domain.rules import Rules

APP_NAME = "collector-tui"
SETTINGS_FILE = "settings.toml"
CACHE_FILE = "cache.db"
LOCALES = ("zh_CN", "en")
POLICIES = ("cn", "us-regf", "uk-conc")


class SettingsError(ValueError):
    """A settings file or value that cannot be used; the message names the file and key."""


@dataclass
class Settings:
    """What one home folder remembers between runs."""

    api_url: str = ""
    user: str = ""
    locale: str = "zh_CN"
    policy: str = "cn"
    theme: str = "textual-dark"
    institution: str = ""  # named at first contact (CN-IDENTITY); empty: the catalogue's sample name
    page_size: int = 500
    # A whole request, first byte sent to last byte read (a server that trickles its answer is cut off), and
    # a whole sync; what was received before either ran out is kept, up to the last whole page.
    request_deadline_s: int = 120
    sync_deadline_s: int = 600
    ca_bundle: str = ""  # a private CA's certificates (PEM); empty: the system's trust store
    allow_insecure_http: bool = False  # plain http:// to another machine; set only by --insecure-http
    encrypt_cache: bool = False  # SQLCipher, key in the OS keyring (the `sqlcipher` extra)
    keys: dict[str, str] = field(default_factory=dict)  # binding id -> key, to remap
    # The softphone (docs/phone.md): `d` runs `dial_command` with {number} filled in (no shell); with none, the
    # number goes to the clipboard. `dial_waits`: the command lasts as long as the call, so its exit hangs up.
    # `hangup_command` runs when the collector hangs up.
    dial_command: str = ""
    dial_waits: bool = False
    hangup_command: str = ""
    # Overrides of the rules' defaults (the training deck's figures): field name -> value.
    thresholds: dict[str, Any] = field(default_factory=dict)  # FlagThresholds
    weights: dict[str, Any] = field(default_factory=dict)  # ScoreWeights
    plan_limits: dict[str, Any] = field(default_factory=dict)  # PlanLimits
    stage_bounds: dict[str, Any] = field(default_factory=dict)  # StageBounds

    def validate(self, source: str = SETTINGS_FILE) -> None:
        # Each message names the file (or option) and the key; the words are the catalogues' (settings.*).
        if self.locale not in LOCALES:
            raise SettingsError(t("settings.one_of", source=source, name="locale", choices=", ".join(LOCALES),
                                  value=repr(self.locale)))
        if self.policy not in POLICIES:
            raise SettingsError(t("settings.one_of", source=source, name="policy", choices=", ".join(POLICIES),
                                  value=repr(self.policy)))
        for key, low, high in (("page_size", 1, 1000), ("request_deadline_s", 1, 3600), ("sync_deadline_s", 1, 86400)):
            if not (low <= getattr(self, key) <= high):
                raise SettingsError(t("settings.between", source=source, name=key, low=low, high=high,
                                      value=repr(getattr(self, key))))
        for key in ("dial_command", "hangup_command"):
            try:
                shlex.split(getattr(self, key))
            except ValueError as exc:
                raise SettingsError(t("settings.not_a_command", source=source, name=key, error=exc)) from None
        _check_keys(self.keys, source)
        if self.thresholds or self.weights or self.plan_limits or self.stage_bounds:  # the defaults hold
            _rule_parts(self, source)


BINDING_ID = re.compile(r"[a-z][a-z_]*\.[a-z][a-z_]*")  # a screen's binding id, such as queue.stage
MODIFIERS = ("ctrl", "shift", "alt", "meta", "super", "hyper")


def _is_key(name: str) -> bool:
    """One key as Textual names it: a character, a named key (f1, escape, pageup) or a character's name
    (question_mark, slash), after any modifiers (ctrl+s)."""
    *mods, key = name.split("+")
    if not key or any(m not in MODIFIERS for m in mods):
        return False
    if len(key) == 1:
        return key.isprintable() and not key.isspace()
    # start-up: Textual's own key names, read only when a remap is set (status never loads Textual otherwise).
    from textual.keys import KEY_TO_UNICODE_NAME, REPLACED_KEYS, Keys

    if key in {k.value for k in Keys}:
        return True
    original = REPLACED_KEYS.get(key, key)
    try:
        unicodedata.lookup(KEY_TO_UNICODE_NAME.get(original, original))
    except KeyError:
        return False
    return True


def _check_keys(keys: object, source: str) -> None:
    """`keys`: binding id -> one key or several, comma-separated; anything else is refused with the id named."""
    if not isinstance(keys, dict):
        raise SettingsError(t("settings.wrong_type", source=source, name="keys", type=t("settings.type_dict"),
                              value=repr(keys)))
    for binding, value in keys.items():
        name = f"keys.{json.dumps(binding, ensure_ascii=False)}"
        if not isinstance(binding, str) or not BINDING_ID.fullmatch(binding):
            raise SettingsError(t("settings.not_a_binding", source=source, name=name))
        if not isinstance(value, str):
            raise SettingsError(t("settings.wrong_type", source=source, name=name, type=t("settings.type_str"),
                                  value=repr(value)))
        if not value.strip() or not all(_is_key(part.strip()) for part in value.split(",")):
            raise SettingsError(t("settings.not_a_key", source=source, name=name, value=repr(value)))


def resolve_home(home: str | os.PathLike[str] | None = None) -> Path:
    """The home folder: --home, else COLLECTOR_TUI_HOME, else the platform's user data folder."""
    chosen = home or os.environ.get("COLLECTOR_TUI_HOME") or platformdirs.user_data_dir(APP_NAME)
    path = Path(chosen).expanduser()
    # Debtors' personal data lives here: owner-only from the first byte.
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def load_settings(home: Path) -> Settings:
    """Settings from `home/settings.toml`; unknown keys and bad values are refused with the key named."""
    path = home / SETTINGS_FILE
    settings = Settings()
    if not path.exists():
        return settings
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(t("settings.not_toml", source=path, error=exc)) from exc
    known = {f.name: f for f in fields(Settings)}
    for key, value in data.items():
        if key not in known:
            raise SettingsError(t("settings.unknown_key", source=path, name=repr(key)))
        expected = type(getattr(settings, key))
        if not isinstance(value, expected) or isinstance(value, bool) != (expected is bool):
            raise SettingsError(t("settings.wrong_type", source=path, name=key,
                                  type=t(f"settings.type_{expected.__name__}"), value=repr(value)))
        setattr(settings, key, value)
    settings.validate(str(path))
    return settings


def _toml_value(value: object) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    # JSON string escapes are valid TOML basic-string escapes.
    return json.dumps(str(value), ensure_ascii=False)


def save_settings(home: Path, settings: Settings) -> None:
    """Write the settings atomically so a crash never leaves half a file."""
    settings.validate()
    lines = [f"{key} = {_toml_value(value)}" for key, value in asdict(settings).items()]
    path = home / SETTINGS_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def api_url(settings: Settings) -> str:
    """COLLECTOR_TUI_API wins over the settings file, for headless machines and scripts."""
    return os.environ.get("COLLECTOR_TUI_API") or settings.api_url


def _override(cls: Any, values: dict[str, Any], source: str, section: str) -> Any:
    """An instance of a rules dataclass with `values` over its defaults; unknown keys and bad values refused."""
    defaults = cls()
    known = {f.name for f in fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise SettingsError(t("settings.unknown_key", source=source, name=f"{section}.{key}"))
        current = getattr(defaults, key)
        try:
            if isinstance(current, Decimal):
                kwargs[key] = Decimal(str(value))
            elif isinstance(current, bool) or not isinstance(current, (int, dict)):
                raise TypeError
            elif isinstance(current, int):
                if isinstance(value, bool) or not isinstance(value, int):
                    raise TypeError
                kwargs[key] = value
            else:
                if not isinstance(value, dict):
                    raise TypeError
                kwargs[key] = {**current, **value}
        except (TypeError, InvalidOperation):
            raise SettingsError(t("settings.like", source=source, name=f"{section}.{key}", example=repr(current),
                                  value=repr(value))) from None
    try:
        return cls(**kwargs)
    except ValueError as exc:
        raise SettingsError(f"{source}: {section}: {exc}") from None


def _rule_parts(settings: Settings, source: str) -> dict[str, Any]:
    """The thresholds, weights, plan limits and stage bounds with the settings' overrides; bad ones refused."""
    # start-up: the rules are read by the commands that place or check cases; `status`, `pop` and every other
    # command that only reads the settings do not load them.
    from collector_tui.domain.flags import FlagThresholds
    from collector_tui.domain.plans import PlanLimits
    from collector_tui.domain.scoring import ScoreWeights
    from collector_tui.domain.stages import StageBounds

    return {
        "thresholds": _override(FlagThresholds, settings.thresholds, source, "thresholds"),
        "weights": _override(ScoreWeights, settings.weights, source, "weights"),
        "plan_limits": _override(PlanLimits, settings.plan_limits, source, "plan_limits"),
        "bounds": _override(StageBounds, settings.stage_bounds, source, "stage_bounds"),
    }


def build_rules(settings: Settings, source: str = SETTINGS_FILE) -> Rules:
    """The domain's Rules from the settings: the chosen pack and every threshold with overrides applied."""
    # start-up: as in _rule_parts.
    from collector_tui.domain.rules import Rules
    from collector_tui.policies import load_pack

    return Rules(pack=load_pack(settings.policy), **_rule_parts(settings, source))


def transport(settings: Settings) -> dict[str, Any]:
    """The ApiClient keywords that the settings decide."""
    return {"verify": settings.ca_bundle or True, "allow_insecure_http": settings.allow_insecure_http,
            "request_deadline": settings.request_deadline_s, "sync_deadline": settings.sync_deadline_s}
