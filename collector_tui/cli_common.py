"""What every `collector-tui` command shares: its context, the cache, the credentials, and how it fails.

Commands import what they use inside their own body: a dialer or cron job calling `status` should not pay
for the workbench, the server or the sync client at start.
"""

# start-up: each command imports what it uses inside its own body, so that a dialer or a cron job
# calling one command does not pay for the workbench, the server or the sync client.

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from collector_tui import config
from collector_tui.locale import t

if TYPE_CHECKING:
    from sqlalchemy import Engine


@dataclass
class Ctx:
    home: Path
    settings: config.Settings


def ctx_of(ctx: typer.Context) -> Ctx:
    return ctx.obj  # type: ignore[no-any-return]


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def open_cache(c: Ctx) -> Engine:
    from collector_tui.storage.engine import CacheUnreadable, open_engine
    from collector_tui.storage.migrations import SchemaTooNew
    from collector_tui.sync.credentials import NoCredentialStore, cache_key

    path = c.home / config.CACHE_FILE
    try:
        key = cache_key(str(c.home), create=not path.exists()) if c.settings.encrypt_cache else None
        return open_engine(path, key=key)
    except (SchemaTooNew, CacheUnreadable, NoCredentialStore) as exc:
        raise fail(str(exc)) from None


def credentials(c: Ctx, user: str | None = None) -> tuple[str, str, str]:
    """The API, the user and the token a command talks to the server with.

    COLLECTOR_TUI_TOKEN (a machine without a keyring, a script) needs no user: the token names its user, and
    the server says whom (`GET /v1/me`, asked by the sync and the report), so the user returned may be "" there.
    COLLECTOR_TUI_USER, when set, must be the token's user. A token in the keyring is kept per API and user: the
    user comes from COLLECTOR_TUI_USER, the settings (`login` writes it) or the user this home's cache belongs to.
    """
    from collector_tui.sync.credentials import env_token, load_token

    api = config.api_url(c.settings)
    if not api:
        raise fail(t("cli.no_api"), 2)
    token = env_token()
    if token:
        return api, user or os.environ.get("COLLECTOR_TUI_USER", ""), token
    user = user or os.environ.get("COLLECTOR_TUI_USER") or c.settings.user or cache_user(c)
    if not user:
        raise fail(t("cli.no_user"), 2)
    token = load_token(api, user)
    if not token:
        raise fail(t("cli.no_token", api=api, user=user), 2)
    return api, user, token


def cache_user(c: Ctx) -> str:
    """The user this home's cache was last synced as ("" before its first sync), read without creating it."""
    from collector_tui.work.status import status

    if not (c.home / config.CACHE_FILE).exists():
        return ""
    return status(open_cache(c)).user


def local_user(c: Ctx) -> str:
    """Who work recorded here is recorded under: the user this home's cache belongs to (the one its token
    named at the last sync), else COLLECTOR_TUI_USER or the settings' user. Never empty: a command that would
    record work without a user fails instead, saying how to sign in."""
    user = cache_user(c) or os.environ.get("COLLECTOR_TUI_USER") or c.settings.user
    if not user:
        raise fail(t("cli.no_user_for_work"), 2)
    return user
