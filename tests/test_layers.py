"""The layering rules of the architecture, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "collector_tui"


def imports(folder: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (PKG / folder).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
        found[str(path.relative_to(PKG))] = names
    return found


def test_core_never_imports_textual() -> None:
    for folder in ("domain", "storage", "sync"):
        for path, names in imports(folder).items():
            assert not any(n == "textual" or n.startswith("textual.") for n in names), path


def test_domain_is_pure() -> None:
    banned = ("sqlalchemy", "sqlmodel", "httpx", "socket", "sqlite3", "collector_tui.storage", "collector_tui.sync",
              "os", "pathlib", "time")
    for path, names in imports("domain").items():
        assert not any(n == b or n.startswith(b + ".") for n in names for b in banned), (path, names)


def test_arrows_point_down() -> None:
    for path, names in imports("storage").items():
        assert not any(n.startswith(("collector_tui.sync", "collector_tui.screens", "collector_tui.server")) for n in names), path
    for path, names in imports("sync").items():
        assert not any(n.startswith(("collector_tui.screens", "collector_tui.widgets", "collector_tui.server")) for n in names), path


def test_catalogues_have_the_same_keys() -> None:
    from collector_tui.locale import catalogue

    assert set(catalogue("en")) == set(catalogue("zh_CN"))
