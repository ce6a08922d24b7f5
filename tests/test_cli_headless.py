"""A machine without a keyring: COLLECTOR_TUI_API and COLLECTOR_TUI_TOKEN alone, the token naming its user.

Real processes against the real reference server; the OS keyring is the failing backend, as on such a machine.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from collector_tui.storage import audit
from collector_tui.storage.engine import open_engine
from collector_tui.storage.queries import case_detail
from tests.conftest import CLI, RunningServer, cli_env

NO_KEYRING = "keyring.backends.fail.Keyring"


def run(home: Path, *args: str, stdin: str = "", locale: str = "en", **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "--locale", locale, *args], input=stdin, capture_output=True, text=True, timeout=120,
                          env=cli_env(home, PYTHON_KEYRING_BACKEND=NO_KEYRING, **env))


def callable_case(home: Path, **env: str) -> str:
    rows = json.loads(run(home, "queue", "--json", "--at", "2026-11-27T11:00+08:00", **env).stdout)
    return next(r["id"] for r in rows if r["callable"])  # type: ignore[no-any-return]


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_api_and_token_alone_sync_and_work_under_the_user_the_token_names(
    server: RunningServer, tmp_path: Path, locale: str
) -> None:
    home = tmp_path / "headless"
    env = {"COLLECTOR_TUI_API": server.url, "COLLECTOR_TUI_TOKEN": server.token("demo2")}  # no COLLECTOR_TUI_USER
    synced = run(home, "sync", locale=locale, **env)
    assert synced.returncode == 0, synced.stderr
    status = json.loads(run(home, "status", "--json", **env).stdout)
    assert status["user"] == "demo2" and status["open_cases"] == 60

    case_id = callable_case(home, **env)
    added = run(home, "contact", "add", case_id, "--channel", "phone", "--disposition", "no_answer",
                "--at", "2026-11-27T11:00+08:00", locale=locale, **env)
    assert added.returncode == 0, added.stderr
    purged = run(home, "purge", "--case", case_id, "--yes", locale=locale, **env)
    assert purged.returncode == 0, purged.stderr
    engine = open_engine(home / "cache.db")
    try:
        # Work is recorded under the user the token named, never under an empty name.
        assert [e.actor for e in audit.entries(engine)] == ["demo2"]
        assert all(e.actor for e in audit.entries(engine))
    finally:
        engine.dispose()
    # The push carries the contact, and the server files it under demo2.
    pushed = run(home, "sync", **env)
    assert pushed.returncode == 0, pushed.stderr


def test_the_contact_row_names_its_collector(server: RunningServer, tmp_path: Path) -> None:
    home = tmp_path / "headless"
    env = {"COLLECTOR_TUI_API": server.url, "COLLECTOR_TUI_TOKEN": server.token("demo")}
    assert run(home, "sync", **env).returncode == 0
    case_id = callable_case(home, **env)
    assert run(home, "contact", "add", case_id, "--channel", "sms", "--disposition", "message_left",
               "--at", "2026-11-27T11:00+08:00", **env).returncode == 0
    engine = open_engine(home / "cache.db")
    try:
        detail = case_detail(engine, case_id)
        assert detail is not None
        local = [c for c in detail.contacts if c.origin == "local"]
        assert [c.collector for c in local] == ["demo"]
    finally:
        engine.dispose()


def test_a_user_the_token_does_not_name_is_refused(server: RunningServer, tmp_path: Path) -> None:
    env = {"COLLECTOR_TUI_API": server.url, "COLLECTOR_TUI_TOKEN": server.token("demo2"), "COLLECTOR_TUI_USER": "demo"}
    out = run(tmp_path / "home", "sync", **env)
    assert out.returncode == 1
    assert "the token belongs to demo2, not demo" in out.stderr
    assert json.loads(run(tmp_path / "home", "status", "--json").stdout)["cases"] == 0


@pytest.mark.parametrize("locale, words", [("en", "no work is recorded without its user"), ("zh_CN", "没有用户")])
def test_no_work_is_recorded_before_anyone_is_known(tmp_path: Path, locale: str, words: str) -> None:
    out = run(tmp_path / "fresh", "purge", "--all", "--yes", locale=locale)
    assert out.returncode == 2 and words in out.stderr


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_print_token_gives_a_token_for_the_environment_and_states_the_risk(
    server: RunningServer, tmp_path: Path, locale: str
) -> None:
    home = tmp_path / "home"
    out = run(home, "login", "--api", server.url, "--user", "demo", "--password-stdin", "--print-token",
              stdin="demo\n", locale=locale)
    assert out.returncode == 0, out.stderr
    token = out.stdout.strip()
    assert out.stdout == token + "\n" and len(token) > 20  # the token alone, for $(...)
    assert token not in out.stderr and token not in (home / "settings.toml").read_text()
    assert ("whoever sees it can act as you" if locale == "en" else "任何看到它的人") in out.stderr
    assert not (tmp_path / "keyring.json").exists()  # nothing was stored

    env = {"COLLECTOR_TUI_API": server.url, "COLLECTOR_TUI_TOKEN": token}
    synced = run(home, "sync", **env)
    assert synced.returncode == 0, synced.stderr
    assert json.loads(run(home, "status", "--json", **env).stdout)["user"] == "demo"

    helped = run(home, "login", "--help")
    assert "--print-token" in helped.stdout and "RISK" in helped.stdout
