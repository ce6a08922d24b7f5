"""The `collector-tui` command's entry point: the workbench, `status` and `queue --json` without typer.

A dialer or a cron job runs `status` or `queue --json` on every call, and a collector opens the workbench many
times a day; parsing their command line through typer costs several times what these commands themselves do
(it builds a pydantic validator for every option it reads). This module runs only their plain forms (the
global options, then the command and the options it knows) and hands every other command line to the typer
app (cli.py), as it hands any case it cannot answer from the cache as it finds it (no cache yet, an encrypted
one, settings to refuse, a queue placed with other rules): the typer app then runs it in full.
"""

# start-up: each path imports what it uses inside its own function, so that none pays for another's imports.

from __future__ import annotations

import gc
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

GLOBAL_OPTIONS = ("--home", "--locale")
PLAIN = ([], ["status"], ["status", "--json"], ["queue", "--json"])


def plain(args: list[str]) -> tuple[dict[str, str], list[str]] | None:
    """The global options and the command of a command line this module runs itself; None for any other."""
    options: dict[str, str] = {}
    i = 0
    while i < len(args):
        name, eq, value = args[i].partition("=")
        if name not in GLOBAL_OPTIONS:
            break
        if name in options:
            return None
        if not eq:
            if i + 1 == len(args):
                return None
            i += 1
            value = args[i]
        if not value or value.startswith("-"):
            return None
        options[name] = value
        i += 1
    rest = args[i:]
    return (options, rest) if rest in PLAIN else None


def main() -> None:
    found = None if os.environ.get("COLLECTOR_TUI_LOG") else plain(sys.argv[1:])
    if found is not None and not found[1]:
        # Everything built until the workbench's first frame lives as long as it does (the app freezes it
        # then and turns collections back on): scanning it meanwhile would only delay that frame.
        gc.disable()
    try:
        if found is not None and run(*found):
            return
    except Exception as exc:
        # A cache found damaged after it opened: the one message damage found at open gives (as cli.main says it).
        engine = sys.modules.get("collector_tui.storage.engine")
        if engine is not None and isinstance(exc, engine.CacheUnreadable):
            print(str(exc), file=sys.stderr)
            sys.exit(1)
        raise
    from collector_tui.cli import main as full  # start-up: typer only for the command lines it must parse

    full()


def run(options: dict[str, str], command: list[str]) -> bool:
    """Run a plain command line; False, having printed nothing, when the typer app must run it instead."""
    from collector_tui import config
    from collector_tui.locale import set_locale

    locale = options.get("--locale")
    try:
        home = config.resolve_home(options.get("--home"))
        settings = config.load_settings(home)
        if locale:
            settings.locale = locale
            settings.validate("--locale")
    except config.SettingsError:
        return False  # refused by the typer app, in the language asked for
    set_locale(settings.locale)
    if settings.encrypt_cache:
        return False  # its key is in the keyring: the full open
    if not command:
        return workbench(home, settings)
    if command[0] == "status":
        return status(home, settings, as_json="--json" in command)
    return queue(home, settings)


def status(home: Path, settings: Any, *, as_json: bool) -> bool:
    """`status`: what the cache holds and when it last synced, read with sqlite3 alone."""
    from collector_tui import config
    from collector_tui.work.peek import status_fields

    fields = status_fields(home / config.CACHE_FILE)
    if fields is None:
        return False
    print_status(fields, settings, as_json=as_json)
    return True


def print_status(fields: dict[str, Any], settings: Any, *, as_json: bool) -> None:
    """`status` as it prints the cache's state (storage.peek.Status's fields): one JSON object, or a line each."""
    from collector_tui import config

    data = {k: v for k, v in fields.items() if k not in ("last_error", "timezone")}
    data["api"] = data["api"] or config.api_url(settings)
    data["user"] = data["user"] or settings.user
    if as_json:
        print(json.dumps(data, ensure_ascii=False), flush=True)
        return
    for key, value in data.items():
        print(f"{key:>15}: {value}")
    if fields["last_error"]:
        print(f"{'last_error':>15}: {fields['last_error']}")
    sys.stdout.flush()


def queue_json(placed: list[Any], currency: dict[str, str], tz: str) -> list[dict[str, Any]]:
    """The queue as `queue --json` prints it: one record a case, in order, its reason in the collector's words."""
    from datetime import UTC

    from collector_tui.locale.render import reason_text

    rows = []
    for position, p in enumerate(placed):
        # In UTC, as the cache stores it: the same text whether the placement was read or made just now.
        until = p.next_allowed_at.astimezone(UTC).isoformat() if p.next_allowed_at else None
        rows.append({
            "id": p.case_id, "position": position, "group": p.group,
            "reason": reason_text(p.group, p.reason, p.params, currency[p.case_id], p.blocked_by, until, tz),
            "stage": p.stage, "dpd": p.dpd, "tier": p.tier, "score": p.score, "flags": list(p.flags),
            "callable": p.callable, "blocked_by": p.blocked_by, "next_allowed_at": until,
        })
    return rows


def queue(home: Path, settings: Any) -> bool:
    """`queue --json` now, from the placements the cache holds (those gone stale placed again, nothing written)."""
    from datetime import UTC, datetime

    from collector_tui import config
    from collector_tui.domain.policy import PackError
    from collector_tui.work.queue_peek import queue_rows

    try:
        rules = config.build_rules(settings)
    except (config.SettingsError, PackError):
        return False
    found = queue_rows(home / config.CACHE_FILE, datetime.now(UTC), rules)
    if found is None:
        return False
    print(json.dumps(queue_json(found.placed, found.currency, found.zone), ensure_ascii=False), flush=True)
    return True


def workbench(home: Path, settings: Any, *, api: str | None = None, user: str | None = None,
              token: str | None = None) -> bool:
    """Open the workbench on the home's cache, signed in with the token at hand (the sign-in opens without one);
    `api`, `user` and `token` as the demo hands them. False, having opened nothing, for a cache it refuses."""
    from collector_tui import config, crash
    from collector_tui.app import CollectorApp
    from collector_tui.sync.credentials import env_token, load_token
    from collector_tui.work.peek import status_fields

    cache: Any = home / config.CACHE_FILE
    # The cache remembers the server and the user it was last synced as (the user its token named). Read with
    # sqlite3, the app is handed the path and opens it after its first frame; a cache only the full open can
    # read (none yet, an older schema) is opened first, and one it refuses is left to the typer app to explain.
    bound = status_fields(cache)
    if bound is None:
        from collector_tui.storage.engine import CacheUnreadable, open_engine  # start-up: a new or older cache
        from collector_tui.storage.migrations import SchemaTooNew
        from collector_tui.work.status import status as cache_status

        try:
            cache = open_engine(cache)
        except (SchemaTooNew, CacheUnreadable):
            return False
        bound = asdict(cache_status(cache))
    api = api or config.api_url(settings) or bound["api"]
    user = user or os.environ.get("COLLECTOR_TUI_USER") or bound["user"] or settings.user
    token = token or env_token()
    # A token in the OS keyring is asked for after the first frame (a keyring may be slow to answer).
    loader = (lambda: load_token(api, user)) if not token and api and user else None
    # An unhandled error: one line naming it and its log (the traceback, never a local variable), exit 70.
    try:
        app = CollectorApp(cache, settings=settings, api=api, user=user, token=token, home=home, check_sign_in=True,
                           token_loader=loader)
        app.run()
    except Exception as exc:  # noqa: BLE001 - raised outside the app's own loop (while it starts or stops)
        print(crash.report(exc).line, file=sys.stderr)
        sys.exit(crash.EXIT_STATUS)
    if app.crashed is not None:
        print(app.crashed.line, file=sys.stderr)
        sys.exit(app.crashed.status)  # 70 for a crash; 1 for a cache damaged under the workbench, as every command
    if app.return_code:  # the cache refused once the first frame was up (written by a newer version)
        sys.exit(app.return_code)
    return True
