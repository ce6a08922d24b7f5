"""The `collector-tui` command as a user or a script runs it: real processes, real server, real cache."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from sqlmodel import Session, select

from collector_tui.server.models import CaseDoc
from tests.conftest import CLI, RunningServer, cli_env


def run(home: Path, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], input=stdin, capture_output=True, text=True, timeout=120,
                          env=cli_env(home, **env))


def test_serve_login_sync_status_report_exactly_the_assigned_open_cases(server: RunningServer, tmp_path: Path) -> None:
    home = tmp_path / "home"
    login = run(
        home, "--locale", "en", "login", "--api", server.url, "--user", "demo", "--password-stdin", stdin="demo\n"
    )
    assert login.returncode == 0, login.stderr
    assert "Signed in" in login.stdout and "collector" in login.stdout
    token = json.loads((tmp_path / "keyring.json").read_text())
    assert len(token) == 1
    secret = next(iter(token.values()))
    # The token lives in the keyring only: not in the settings, not in the cache.
    assert secret not in (home / "settings.toml").read_text()

    synced = run(home, "--locale", "en", "sync")
    assert synced.returncode == 0, synced.stderr
    status = run(home, "status", "--json")
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    with Session(server.engine) as s:
        expected = len(
            s.execute(select(CaseDoc.id).where(CaseDoc.assigned_to == "demo", CaseDoc.status == "open")).all()
        )
    assert data["open_cases"] == data["cases"] == expected == 60
    assert data["api"] == server.url and data["user"] == "demo"
    assert data["outbox_pending"] == data["outbox_failed"] == 0
    assert data["schema_version"] >= 1 and data["last_sync_at"]
    assert set(data) == {"api", "user", "last_sync_at", "cases", "open_cases", "outbox_pending", "outbox_failed",
                         "schema_version"}
    assert secret.encode() not in (home / "cache.db").read_bytes()

    out = run(home, "--locale", "en", "logout")
    assert out.returncode == 0 and "Signed out" in out.stdout
    again = run(home, "--locale", "en", "sync")
    assert again.returncode == 2 and "No token" in again.stderr


def test_bad_password_is_a_one_line_reason_and_a_non_zero_exit(server: RunningServer, tmp_path: Path) -> None:
    out = run(tmp_path / "home", "--locale", "en", "login", "--api", server.url, "--user", "demo", "--password-stdin",
              stdin="nope\n")
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [
        "auth: wrong username or password (HTTP 401); run collector-tui login"
    ]


def test_without_a_keyring_login_says_so_plainly(server: RunningServer, tmp_path: Path) -> None:
    out = run(tmp_path / "home", "--locale", "en", "login", "--api", server.url, "--user", "demo", "--password-stdin",
              stdin="demo\n", PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    assert out.returncode == 1
    # It names the way out: a printed token for COLLECTOR_TUI_TOKEN (tests/test_cli_headless.py walks it).
    assert "No OS keyring is available" in out.stderr and "COLLECTOR_TUI_TOKEN" in out.stderr
    assert "login --print-token" in out.stderr


def test_env_token_and_api_work_without_a_login(server: RunningServer, tmp_path: Path) -> None:
    home = tmp_path / "headless"
    env = {"COLLECTOR_TUI_API": server.url, "COLLECTOR_TUI_TOKEN": server.token("demo2"), "COLLECTOR_TUI_USER": "demo2"}
    out = run(home, "--locale", "en", "sync", **env)
    assert out.returncode == 0, out.stderr
    data = json.loads(run(home, "status", "--json", **env).stdout)
    assert data["user"] == "demo2" and data["open_cases"] == 60


def test_sync_against_a_dead_server_fails_with_one_line(server: RunningServer, tmp_path: Path) -> None:
    env = {"COLLECTOR_TUI_API": "http://127.0.0.1:9", "COLLECTOR_TUI_TOKEN": "x", "COLLECTOR_TUI_USER": "demo"}
    out = run(tmp_path / "home", "--locale", "en", "sync", **env)
    assert out.returncode == 1
    assert (
        out.stderr.strip()
        == "Sync failed: network: cannot reach http://127.0.0.1:9 (connection refused or no route to it)"
    )


def test_bad_settings_are_refused_naming_the_key(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.toml").write_text('locale = "fr"\n')
    out = run(home, "status")  # no --locale: the default language (zh_CN) says it
    assert out.returncode == 2 and "locale 必须是 zh_CN, en 之一" in out.stderr
    out = run(home, "--locale", "en", "status")
    assert out.returncode == 2 and "locale must be one of zh_CN, en" in out.stderr
    (home / "settings.toml").write_text('colour = "red"\n')
    out = run(home, "--locale", "en", "status")
    assert out.returncode == 2 and "unknown key 'colour'" in out.stderr


def test_home_and_cache_are_private(server: RunningServer, tmp_path: Path) -> None:
    home = tmp_path / "private"
    run(home, "status", "--json")
    assert (home.stat().st_mode & 0o777) == 0o700
    assert ((home / "cache.db").stat().st_mode & 0o777) == 0o600
