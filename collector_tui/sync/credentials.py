"""The access token: in the OS keyring, or COLLECTOR_TUI_TOKEN for headless machines and scripts. Never on disk."""

from __future__ import annotations

import os
import secrets

from collector_tui.locale import t

# start-up: the keyring is imported by each function that asks it, not with this module: a token in
# COLLECTOR_TUI_TOKEN needs none, and the workbench's first frame none either.

SERVICE = "collector-tui"


class NoCredentialStore(RuntimeError):
    """No OS keyring is available on this machine."""


def _account(api: str, user: str) -> str:
    return f"{user}@{api.rstrip('/')}"


def save_token(api: str, user: str, token: str) -> None:
    import keyring
    from keyring.errors import KeyringError, NoKeyringError

    try:
        keyring.set_password(SERVICE, _account(api, user), token)
    except (NoKeyringError, KeyringError, RuntimeError) as exc:
        raise NoCredentialStore(t("cli.no_keyring", error=type(exc).__name__)) from None


def env_token() -> str | None:
    """COLLECTOR_TUI_TOKEN, for machines without a keyring and scripts: it names its user (GET /v1/me)."""
    return os.environ.get("COLLECTOR_TUI_TOKEN", "").strip() or None


def load_token(api: str, user: str) -> str | None:
    env = env_token()
    if env:
        return env
    import keyring
    from keyring.errors import KeyringError, NoKeyringError

    try:
        return keyring.get_password(SERVICE, _account(api, user))
    except (NoKeyringError, KeyringError, RuntimeError):
        return None


def delete_token(api: str, user: str) -> bool:
    import keyring
    from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

    try:
        keyring.delete_password(SERVICE, _account(api, user))
        return True
    except (PasswordDeleteError, NoKeyringError, KeyringError, RuntimeError):
        return False


CACHE_SERVICE = "collector-tui-cache"


def cache_key(home: str, *, create: bool) -> str:
    """The cache's encryption key, kept in the OS keyring under the home folder's path."""
    import keyring
    from keyring.errors import KeyringError, NoKeyringError

    try:
        key = keyring.get_password(CACHE_SERVICE, home)
        if key is None and create:
            key = secrets.token_hex(32)
            keyring.set_password(CACHE_SERVICE, home, key)
    except (NoKeyringError, KeyringError, RuntimeError) as exc:
        raise NoCredentialStore(t("cache.needs_keyring", error=type(exc).__name__)) from None
    if key is None:
        raise NoCredentialStore(t("cache.key_missing"))
    return key
