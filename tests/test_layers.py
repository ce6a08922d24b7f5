"""The layering rules of the architecture, checked on the source."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "collector_tui"


def _names(node: ast.Import | ast.ImportFrom) -> set[str]:
    """What an import statement names: `from a import b` names both `a` and `a.b` (b may be a module)."""
    if isinstance(node, ast.Import):
        return {a.name for a in node.names}
    if not node.module:
        return set()
    return {node.module} | {f"{node.module}.{a.name}" for a in node.names}


def imports(folder: str) -> dict[str, set[str]]:
    """Every import anywhere in each file of `folder` (module level, TYPE_CHECKING blocks, function bodies)."""
    found: dict[str, set[str]] = {}
    for path in (PKG / folder).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names |= _names(node)
        found[str(path.relative_to(PKG))] = names
    return found


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_level(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """The imports that run when the module is imported: everywhere but inside function bodies (so
    `if TYPE_CHECKING:` blocks count: an import there is a circle as soon as a type checker reads it)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child
        elif not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield from _module_level(child)


def import_graph() -> dict[str, set[str]]:
    """collector_tui's modules and the modules of collector_tui each imports at module level."""
    modules = {_module_name(path): path for path in PKG.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for node in _module_level(ast.parse(path.read_text())):
            for imported in _names(node):
                # `from a import b`: the module a.b when there is one, else the module a
                if imported in modules:
                    targets.add(imported)
                elif (
                    isinstance(node, ast.ImportFrom)
                    and node.module in modules
                    and imported.rpartition(".")[0] == node.module
                ):
                    targets.add(node.module)
        graph[name] = targets - {name}
    return graph


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in graph[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def _starts(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


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
        assert not any(
            n.startswith(("collector_tui.sync", "collector_tui.screens", "collector_tui.server")) for n in names
        ), path
    for path, names in imports("sync").items():
        assert not any(
            n.startswith(("collector_tui.screens", "collector_tui.widgets", "collector_tui.server")) for n in names
        ), path


def test_the_server_never_imports_the_client() -> None:
    # The API contract (collector_tui.api) is what the two share; neither side imports the other.
    for path, names in imports("server").items():
        assert not any(_starts(n, ("collector_tui.sync",)) for n in names), (path, names)
    graph = import_graph()
    for module in (m for m in graph if m.startswith("collector_tui.server")):
        assert not any(_starts(m, ("collector_tui.sync",)) for m in reachable(graph, module)), module


def test_the_conformance_checks_know_the_server_only_over_http() -> None:
    # They judge what any server answers: the reference server's code must not make a check pass.
    checks = imports("conformance")
    assert checks, "collector_tui/conformance holds the API v1 contract's checks"
    for path, names in checks.items():
        assert not any(_starts(n, ("collector_tui.server",)) for n in names), (path, names)
    graph = import_graph()
    for module in (
        m for m in graph if m.startswith("collector_tui.conformance") or m == "collector_tui.cli_conformance"
    ):
        assert not any(_starts(m, ("collector_tui.server",)) for m in reachable(graph, module)), module


def test_the_api_contract_stands_alone() -> None:
    banned = ("collector_tui.server", "collector_tui.sync", "collector_tui.storage", "collector_tui.screens",
              "collector_tui.widgets", "textual")
    contract = imports("api")
    assert contract, "collector_tui/api holds the API v1 models"
    for path, names in contract.items():
        assert not any(_starts(n, banned) for n in names), (path, names)
    graph = import_graph()
    for module in (m for m in graph if m.startswith("collector_tui.api")):
        assert not any(_starts(m, banned) for m in reachable(graph, module)), module
        # Of the rest of the house, the contract takes only the codes it shares with the rules, plain tuples.
        assert reachable(graph, module) <= {m for m in graph if m.startswith("collector_tui.api")} | {
            "collector_tui.domain.vocabulary", "collector_tui.api", "collector_tui.domain"}, module


def test_screens_and_widgets_never_touch_the_database() -> None:
    # They call the use cases (collector_tui.work), which read and write through storage.
    banned = ("sqlalchemy", "sqlmodel", "sqlite3", "collector_tui.storage")
    offending = {path: sorted(n for n in names if _starts(n, banned))
                 for folder in ("screens", "widgets") for path, names in imports(folder).items()}
    assert {path: names for path, names in offending.items() if names} == {}


def test_domain_imports_only_the_standard_library_and_dateutil() -> None:
    allowed = ("dateutil", "collector_tui.domain")
    for path, names in imports("domain").items():
        others = {n for n in names if n.partition(".")[0] not in sys.stdlib_module_names and not _starts(n, allowed)}
        # `from collector_tui.domain import facts` also names `collector_tui`, which is the package itself
        assert others <= {"collector_tui"}, (path, others)


def _documented_start_up(lines: list[str], body: list[ast.stmt], index: int) -> bool:
    """An import in a function is deferred for start-up speed, and says so: a comment naming "start-up" on
    its own line(s), or in the comment block just above the run of imports it belongs to."""
    node = body[index]
    # A module whose every command defers its imports says so once, at module level: "# start-up: ...".
    if any(line.startswith("# start-up:") for line in lines):
        return True
    if any("#" in line and "start-up" in line.partition("#")[2] for line in lines[node.lineno - 1:node.end_lineno]):
        return True
    first = index
    while first > 0 and isinstance(body[first - 1], (ast.Import, ast.ImportFrom)):
        first -= 1
    above = body[first].lineno - 2
    while above >= 0 and lines[above].strip().startswith("#"):
        if "start-up" in lines[above]:
            return True
        above -= 1
    return False


def test_no_imports_hidden_in_functions() -> None:
    # An import inside a function hides a dependency (often a circle); the only reason allowed is start-up
    # speed, written beside it (see app.py: a screen is imported when it first opens).
    hidden: set[str] = set()
    for path in sorted(PKG.rglob("*.py")):
        source = path.read_text()
        lines = source.splitlines()
        for fn in ast.walk(ast.parse(source)):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for block in ast.walk(fn):
                for field in ("body", "orelse", "finalbody", "handlers"):
                    body = getattr(block, field, None)
                    if not isinstance(body, list):
                        continue
                    for i, node in enumerate(body):
                        if isinstance(node, (ast.Import, ast.ImportFrom)) and not _documented_start_up(lines, body, i):
                            hidden.add(f"{path.relative_to(PKG)}:{node.lineno}: {ast.unparse(node)}")
    assert sorted(hidden) == []


def test_the_import_graph_has_no_circles() -> None:
    graph = import_graph()
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for nxt in sorted(graph[module]):
            if state.get(nxt) == 1:
                circles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert circles == []


def test_catalogues_have_the_same_keys() -> None:
    from collector_tui.locale import catalogue

    assert set(catalogue("en")) == set(catalogue("zh_CN"))
