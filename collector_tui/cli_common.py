"""What every `collector-tui` command shares: its context, the cache, the credentials, and how it fails.

Commands import what they use inside their own body: a dialer or cron job calling `status` should not pay
for the workbench, the server or the sync client at start.
"""

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
    from collector_tui.sync.credentials import load_token

    api = config.api_url(c.settings)
    if not api:
        raise fail(t("cli.no_api"), 2)
    user = user or os.environ.get("COLLECTOR_TUI_USER") or c.settings.user
    if not user:
        raise fail(t("cli.no_user"), 2)
    token = load_token(api, user)
    if not token:
        raise fail(t("cli.no_token", api=api, user=user), 2)
    return api, user, token
