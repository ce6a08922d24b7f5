"""Mutation testing of the rules (collector_tui/domain) and the sync's outbox core with mutmut, on the fast tests.

Usage (through scripts/mutation): [--keep] [--jobs N] [--no-docs] [--report] [MUTANT_NAME ...]

It copies the package and the tests into build/mutation, lets mutmut make every mutant of the modules below and
run the fast tests that cover each, then prints the score of each group and every surviving mutant with its diff.
A survivor listed in scripts/mutation-survivors.toml (by function and mutated line) is shown with the reason it
is equivalent; any other is "unexplained" and makes the script exit 1. docs/testing.md's mutation section is
rewritten from the results (not with --no-docs, nor when only some mutants were named).

--keep re-uses build/mutation's earlier results: only mutants whose function or tests changed run again.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "mutation"
SURVIVORS = ROOT / "scripts" / "mutation-survivors.toml"
DOC = ROOT / "docs" / "testing.md"
BEGIN, END = "<!-- mutation:begin -->", "<!-- mutation:end -->"

GROUPS = {
    "domain": ["collector_tui/domain/*"],
    "sync/outbox core": ["collector_tui/sync/push.py", "collector_tui/sync/retry.py", "collector_tui/storage/outbox.py",
                         "collector_tui/storage/outbox_rows.py"],
}
# The fast tests: pure rules and the outbox with a scripted client; no server, no app, no subprocess.
FAST_TESTS = ["tests/test_domain.py", "tests/test_flags_scoring.py", "tests/test_contact_rules.py",
              "tests/test_plans_priority.py", "tests/test_boundaries.py", "tests/test_rules_exact.py",
              "tests/test_entry_rules.py", "tests/test_outbox_core.py"]
KILLED = {"killed", "timeout", "caught by type check", "segfault"}


@dataclass
class Mutant:
    name: str
    path: str
    status: str
    function: str = ""
    line: str = ""
    diff: str = ""
    reason: str | None = None


def prepare(keep: bool) -> list[str]:
    if not keep and WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True, exist_ok=True)
    for name in ("collector_tui", "tests"):
        if (WORK / name).exists():
            shutil.rmtree(WORK / name)
        shutil.copytree(ROOT / name, WORK / name, ignore=shutil.ignore_patterns("__pycache__", "__snapshots__"))
    shutil.copy(ROOT / "pyproject.toml", WORK / "pyproject.toml")
    tests = [t for t in FAST_TESTS if (ROOT / t).exists()]
    only = [p for patterns in GROUPS.values() for p in patterns]
    (WORK / "setup.cfg").write_text(
        "[mutmut]\nsource_paths = collector_tui\n"
        + "only_mutate =\n" + "".join(f"    {p}\n" for p in only)
        + "pytest_add_cli_args_test_selection =\n" + "".join(f"    {t}\n" for t in tests)
        + "pytest_add_cli_args = -p no:cacheprovider -q\n"
        + "use_git_change_detection = false\n"
        + "on_dependency_change = rerun\n"
    )
    return tests


def group_of(path: str) -> str | None:
    from fnmatch import fnmatch

    return next((g for g, patterns in GROUPS.items() if any(fnmatch(path, p) for p in patterns)), None)


def collect() -> list[Mutant]:
    from mutmut.stats import status_by_exit_code

    out = []
    for meta in sorted((WORK / "mutants").rglob("*.py.meta")):
        path = str(meta.relative_to(WORK / "mutants"))[: -len(".meta")]
        if group_of(path) is None:
            continue
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        out += [Mutant(name, path, status_by_exit_code[code]) for name, code in codes.items()]
    return out


def describe(m: Mutant) -> None:
    """The mutated function (dotted) and the mutant's changed line, the key a reason is filed under."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    cwd = os.getcwd()
    os.chdir(WORK)
    try:
        m.diff = get_diff_for_mutant(m.name, path=m.path)
    finally:
        os.chdir(cwd)
    module, _, rest = m.name.rpartition(".")
    func = re.sub(r"__mutmut_\d+$", "", rest)
    if func.startswith("xǁ"):  # a method: xǁClassǁmethod
        func = ".".join(func[2:].split("ǁ"))
    elif func.startswith("x_"):
        func = func[2:]
    m.function = f"{module}.{func}"
    added = [ln[1:].strip() for ln in m.diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    m.line = added[0] if added else ""


def load_reasons() -> dict[tuple[str, str], str]:
    if not SURVIVORS.exists():
        return {}
    data = tomllib.loads(SURVIVORS.read_text())
    return {(s["function"], s["mutant"].strip()): s["reason"] for s in data.get("survivor", [])}


def scores(mutants: list[Mutant]) -> dict[str, tuple[int, int]]:
    by: dict[str, tuple[int, int]] = {}
    for m in mutants:
        g = group_of(m.path)
        assert g is not None
        killed, total = by.get(g, (0, 0))
        if m.status in ("skipped", "not checked"):
            continue
        by[g] = (killed + (m.status in KILLED), total + 1)
    return by


def write_doc(by: dict[str, tuple[int, int]], survivors: list[Mutant], tests: list[str], version: str) -> None:
    lines = [BEGIN, "",
             f"Last run {date.today().isoformat()} with mutmut {version} (`scripts/mutation`), on the fast tests: "
             + ", ".join(f"`{Path(t).name}`" for t in tests) + ".", "",
             "| modules | mutants | killed | score |", "|---|---|---|---|"]
    for g, (killed, total) in by.items():
        lines.append(f"| {g} (`{'`, `'.join(GROUPS[g])}`) | {total} | {killed} | {100 * killed / total:.1f}% |")
    lines += ["", f"Surviving mutants ({len(survivors)}), each with the reason it is equivalent (or, where it is not, "
              "why no test kills it):", ""]
    if survivors:
        lines += ["| function | mutant (the changed line) | status | why it survives |", "|---|---|---|---|"]
        for m in survivors:
            line = m.line.replace("|", "\\|") or "(line removed)"
            reason = (m.reason or "**unexplained**").replace("|", "\\|").replace("\n", " ")
            lines.append(f"| `{m.function.removeprefix('collector_tui.')}` | `{line}` | {m.status} | {reason} |")
    lines += ["", END]
    text = DOC.read_text() if DOC.exists() else f"# Testing\n\n## Mutation score\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text:
        text += f"\n## Mutation score\n\n{BEGIN}\n{END}\n"
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    DOC.write_text(head + "\n".join(lines) + tail)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keep", action="store_true", help="re-use build/mutation's earlier results")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--no-docs", action="store_true", help="do not rewrite docs/testing.md")
    ap.add_argument("--report", action="store_true", help="only report the results of the last run")
    ap.add_argument("mutants", nargs="*", help="run only these mutants (names as printed)")
    args = ap.parse_args()
    if args.report:
        tests = [t for t in FAST_TESTS if (WORK / t).exists()]
    else:
        tests = prepare(args.keep or bool(args.mutants))
        mutmut = Path(sys.executable).with_name("mutmut")
        run = subprocess.run([str(mutmut), "run", "--max-children", str(args.jobs), *args.mutants], cwd=WORK,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        (WORK / "run.log").write_text(run.stdout)
        if run.returncode != 0:
            print(run.stdout[-3000:])
            print(f"mutmut failed ({run.returncode}); the log is {WORK / 'run.log'}")
            return 2
    mutants = collect()
    reasons = load_reasons()
    survivors = [m for m in mutants if m.status not in KILLED and m.status not in ("skipped", "not checked")]
    for m in survivors:
        describe(m)
        m.reason = reasons.get((m.function, m.line))
    survivors.sort(key=lambda m: (m.path, m.function, m.name))
    by = scores(mutants)
    for m in survivors:
        print(f"\n# {m.name}: {m.status}" + (f" (equivalent: {m.reason})" if m.reason else " UNEXPLAINED"))
        print(m.diff)
    print()
    for g, (killed, total) in by.items():
        print(f"{g}: {killed}/{total} mutants killed, {100 * killed / total:.1f}%")
    unexplained = [m for m in survivors if m.reason is None]
    print(f"{len(survivors)} survived, {len(unexplained)} unexplained")
    if not args.no_docs and not args.mutants:
        from importlib.metadata import version

        write_doc(by, survivors, tests, version("mutmut"))
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
