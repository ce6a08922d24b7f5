"""Every word a collector reads comes from the catalogues, in both languages.

The source is checked for English written straight into a message (an error a command prints, a toast, a
label), and for catalogue keys that one of the two languages lacks; then real commands are run in zh_CN and
their answers must be Chinese, with only addresses, option names, ids and the server's own words left as they are.
"""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest

from collector_tui.locale import catalogue, set_locale
from collector_tui.locale.render import check_text
from tests.conftest import CLI, RunningServer, cli_env

PKG = Path(__file__).resolve().parent.parent / "collector_tui"
# Where a string reaches a person: what a command prints or fails with, a toast, a widget's text, and the
# errors whose one-line reason a command or the footer shows.
SINKS = {"fail", "echo", "notify", "Label", "Static", "Button", "BadParameter", "prompt", "confirm", "add_column",
         "add_row", "TextTable", "SettingsError", "SyncError", "NetworkError", "AuthError", "Forbidden", "ServerError",
         "MalformedResponse", "WrongUser", "NoCredentialStore", "RequestDeadline", "SyncDeadline", "InsecureTransport",
         "HomeInUse", "CacheUnreadable", "SchemaTooNew", "NoUser"}
# Written for the authors of rule packs and talk tracks, or the server's own API: not the collector's screen.
NOT_FOR_COLLECTORS = ("server", "api", "talktracks", "policies")
WORDS = re.compile(r"[A-Za-z]{2,}[ ,:;.']+[A-Za-z]{2,}")


def _literal(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    return None


def test_no_english_is_written_straight_into_a_message() -> None:
    found = []
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG)
        if rel.parts[0] in NOT_FOR_COLLECTORS:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
            text = _literal(node.args[0]) if name in SINKS else None
            if text and WORDS.search(text):
                found.append(f"{rel}:{node.lineno}: {name}({text!r})")
    assert found == []


def test_every_key_the_code_names_is_in_both_catalogues() -> None:
    named: set[tuple[str, str]] = set()
    for path in sorted(PKG.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "t" and node.args
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                named.add((str(path.relative_to(PKG)), node.args[0].value))
    for locale in ("en", "zh_CN"):
        missing = sorted(f"{where}: {key}" for where, key in named if key not in catalogue(locale))
        assert missing == [], locale


def test_codes_in_a_flags_evidence_are_words() -> None:
    set_locale("zh_CN")
    try:
        assert check_text("flag.study.dropped", {"status": "dropped_out"}) == "学籍状态：退学"
        assert "学生" in check_text("flag.income.no_contract", {"employment": "student"})
        low = check_text("flag.willingness.low", {"broken": 2, "refused": "yes"})
        assert "yes" not in low and "是" in low
    finally:
        set_locale("en")


def run(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120, env=cli_env(home, **env))


def english_words(text: str) -> list[str]:
    """Runs of English words left in a Chinese message, once addresses, options, ids and file names are out."""
    text = re.sub(r"https?://\S+|--[a-z-]+|collector-tui|[\w./-]*\.(toml|db)|'[^']*'|\b[A-Z]{2,}[\w-]*\b"
                  r"|\b[a-z]+(?:[-_][a-z]+)+\b", " ", text)  # codes such as us-regf and page_size are names
    return re.findall(r"[A-Za-z]{3,}[ ,:;.']+[A-Za-z]{3,}", text)


@pytest.mark.parametrize("args, env, chinese", [
    (("sync",), {"COLLECTOR_TUI_API": "http://127.0.0.1:9", "COLLECTOR_TUI_TOKEN": "x"}, "无法连接"),
    (("sync",), {"COLLECTOR_TUI_API": "http://192.0.2.10", "COLLECTOR_TUI_TOKEN": "x"}, "拒绝以明文"),
    (("queue", "--at", "tomorrow"), {}, "应为日期和时间"),
    (("queue", "--policy", "mars"), {}, "必须是"),
    (("contact", "add", "C-000001", "--channel", "phone", "--disposition", "no_answer", "--at", "2026-11-27 10:00"),
     {}, "带时区偏移"),
])
def test_what_a_command_says_in_zh_cn_is_chinese(
    tmp_path: Path,
    args: tuple[str, str, str, str, str, str, str, str, str] | tuple[str, str, str] | tuple[str],
    env: dict[str, str],
    chinese: str,
) -> None:
    out = run(tmp_path / "home", "--locale", "zh_CN", *args, **env)
    assert out.returncode != 0
    assert chinese in out.stderr, out.stderr
    assert english_words(out.stderr) == [], out.stderr


def test_a_settings_file_is_refused_in_chinese(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.toml").write_text('page_size = 0\n')
    out = run(home, "--locale", "zh_CN", "status")
    assert out.returncode == 2 and "page_size 必须在 1 到 1000 之间" in out.stderr
    (home / "settings.toml").write_text('page_size = "big"\n')
    out = run(home, "--locale", "zh_CN", "status")
    assert out.returncode == 2 and "必须是整数" in out.stderr and english_words(out.stderr) == []


def test_a_lower_case_case_id_is_the_case(server: RunningServer, tmp_path: Path) -> None:
    import json

    home = tmp_path / "home"
    env = {"COLLECTOR_TUI_API": server.url, "COLLECTOR_TUI_TOKEN": server.token("demo")}
    assert run(home, "sync", **env).returncode == 0
    rows = json.loads(run(home, "queue", "--json", "--at", "2026-11-27T11:00+08:00", **env).stdout)
    case_id = next(r["id"] for r in rows if r["callable"])
    out = run(home, "--locale", "en", "contact", "add", f" {case_id.lower()} ", "--channel", "phone", "--disposition",
              "no_answer", "--at", "2026-11-27T11:00+08:00", **env)
    assert out.returncode == 0, out.stderr
    promised = run(home, "--locale", "en", "promise", "add", case_id.lower(), "--date", "2026-11-30", "--amount", "1",
                   **env)
    assert promised.returncode == 0, promised.stderr
