"""`collector-tui conformance` passes against the reference server (SQLite and PostgreSQL) and, against servers
broken in one rule each, fails the check for that rule, naming it."""

from __future__ import annotations

import ast
import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from collector_tui.conformance import CHECKS, NotACollector, Run, Wire, run_checks, table
from collector_tui.locale import catalogue
from collector_tui.server.runner import ServerThread, prepare
from collector_tui.server.store import SeedSpec
from tests.conformance_faults import FAULTS, Broken
from tests.conftest import AS_OF, CLI, cli_env

EVERY = [name for name, _ in CHECKS]


def conform(url: str, user: str = "demo", *, other: bool = True, churn: bool = True,
            state: Path | None = None) -> dict[str, tuple[str, str]]:
    wire = Wire(url)
    try:
        run = Run(wire, user, user, other=("demo2", "demo2") if other else None, churn=churn, churn_seed=11,
                  state_file=state)
        outcomes = run_checks(run)
    finally:
        wire.close()
    return {o.check: (o.result, o.evidence) for o in outcomes}


@pytest.fixture(params=["sqlite", "postgresql"])
def server_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_the_reference_server_passes_every_check(make_server) -> None:  # type: ignore[no-untyped-def]
    server = make_server(cases=60)
    outcomes = conform(server.url)
    assert {name: result for name, (result, _) in outcomes.items()} == dict.fromkeys(EVERY, "pass"), outcomes
    assert "demo2" in outcomes["cross_collector"][1] and "tombstone" in outcomes["tombstones"][1]


@pytest.fixture
def broken(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Starts the reference server (SQLite) behind one fault; returns its URL."""
    started: list[ServerThread] = []

    def start(fault: str) -> str:
        engine, _ = prepare(tmp_path / f"{fault}.db", SeedSpec(seed=7, cases=40, collectors=2, as_of=AS_OF))
        thread = ServerThread(engine, admin=True)
        thread.server.config.app = Broken(thread.server.config.app, fault)
        started.append(thread.start())
        # The lead signs in through the fault, which learns the lead's token (a collector may be answered as one).
        httpx.post(f"{thread.url}/v1/auth/token", json={"username": "lead", "password": "lead"}).raise_for_status()
        return thread.url

    yield start
    for thread in started:
        thread.stop()


# What each fault must fail, and nothing else: a check stands for one rule.
FAILS = {
    "wrong_password_accepted": {"sign_in"},
    "open_door": {"token_refused"},
    "cursor_reused": {"feed_pages"},
    "page_over_limit": {"feed_pages"},
    "reread_differs": {"cursor_reread"},
    "cross_collector_read": {"cross_collector", "tombstones"},  # a lead's feed keeps a case moved in the team
    "team_stats_for_all": {"leads_only"},
    "idempotency_lost": {"idempotency"},
    "stale_version_applied": {"conflict"},
    "validation_400": {"validation"},
    "error_body_detail": {"validation", "error_body"},  # a 422 without error.fields is the validation's too
    "tombstones_missing": {"tombstones"},
}


@pytest.mark.parametrize("fault", FAULTS)
def test_each_broken_server_fails_the_check_for_its_rule(broken, fault: str) -> None:  # type: ignore[no-untyped-def]
    outcomes = conform(broken(fault))
    failed = {name for name, (result, _) in outcomes.items() if result == "fail"}
    assert failed == FAILS[fault], outcomes
    shown = table([o for o in _outcomes(outcomes)]).splitlines()
    for name in FAILS[fault]:
        assert any(line.startswith(name) and " FAIL " in line for line in shown), shown


def _outcomes(outcomes: dict[str, tuple[str, str]]) -> list:  # type: ignore[type-arg]
    from collector_tui.conformance import Outcome

    return [Outcome(name, result, evidence) for name, (result, evidence) in outcomes.items()]


def test_without_a_second_user_or_churn_the_checks_say_what_they_did_not_run(server) -> None:  # type: ignore[no-untyped-def]
    outcomes = conform(server.url, other=False, churn=False)
    assert outcomes["tombstones"][0] == "not_run" and "--churn" in outcomes["tombstones"][1]
    assert outcomes["cross_collector"][0] == "pass" and "--other-user" in outcomes["cross_collector"][1]
    assert {name for name, (result, _) in outcomes.items() if result != "pass"} == {"tombstones"}


def two_runs(url: str, state: Path) -> tuple[list[str], dict[str, tuple[str, str]]]:
    """A run, a quiet second one, the servicer moving cases away, a third: the cases that left and the third's
    outcomes."""
    first = conform(url, churn=False, state=state)
    assert first["tombstones"][0] == "not_run" and str(state) in first["tombstones"][1]
    held = json.loads(state.read_text())["cases"]
    assert conform(url, churn=False, state=state)["tombstones"][0] == "not_run"  # nothing left in between
    # The reference server's churn stands in for a lender's system reassigning and closing cases.
    moved = httpx.post(f"{url}/v1/admin/churn", json={"seed": 3, "reassign": 10, "close": 10}).json()
    gone = sorted(set(moved["reassigned"] + moved["closed"]) & set(held))
    assert gone
    third = conform(url, churn=False, state=state)
    assert not set(gone) & set(json.loads(state.read_text())["cases"])
    return gone, third


def test_without_churn_two_runs_check_the_tombstones_of_what_left_between_them(server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    gone, outcomes = two_runs(server.url, tmp_path / "state.json")
    assert outcomes["tombstones"][0] == "pass" and " ".join(gone) in outcomes["tombstones"][1], outcomes
    assert all(result == "pass" for result, _ in outcomes.values())


def test_two_runs_fail_a_server_that_drops_tombstones(broken, tmp_path) -> None:  # type: ignore[no-untyped-def]
    gone, outcomes = two_runs(broken("tombstones_missing"), tmp_path / "state.json")
    assert outcomes["tombstones"][0] == "fail" and gone[0] in outcomes["tombstones"][1], outcomes


def test_a_lead_is_refused_before_any_check_writes(server) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotACollector):
        conform(server.url, "lead")


def cli(home: Path, *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], input=stdin, capture_output=True, text=True, timeout=120, env=cli_env(home))


def test_the_command_prints_the_table_and_its_exit_status_says_whether_all_passed(server, broken, tmp_path) -> None:  # type: ignore[no-untyped-def]
    good = cli(tmp_path / "a", "--locale", "zh_CN", "conformance", "--api", server.url, "--user", "demo",
               "--password-stdin", "--other-user", "demo2", "--churn", stdin="demo\ndemo2\n")
    assert good.returncode == 0, good.stderr
    assert "通过 11 项，未通过 0 项，未运行 0 项" in good.stdout
    lines = good.stdout.splitlines()
    assert all(any(line.startswith(f"{name} ") and "通过" in line for line in lines) for name in EVERY)
    bad = cli(tmp_path / "b", "--locale", "en", "conformance", "--api", broken("idempotency_lost"), "--user", "demo",
              "--password-stdin", "--json", stdin="demo\n")
    assert bad.returncode == 1, bad.stderr
    failed = {o["check"]: o["evidence"] for o in json.loads(bad.stdout) if o["result"] == "fail"}
    assert list(failed) == ["idempotency"] and "applied" in failed["idempotency"]
    lead = cli(tmp_path / "c", "--locale", "en", "conformance", "--api", server.url, "--user", "lead",
               "--password-stdin", stdin="lead\n")
    assert lead.returncode == 2 and "lead" in lead.stderr and "collector" in lead.stderr


def test_every_evidence_key_is_in_both_catalogues() -> None:
    package = Path(__file__).resolve().parent.parent / "collector_tui" / "conformance"
    keys = {f"conformance.ev.{node.args[0].value}"
            for path in package.glob("*.py") for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("Failed", "NotRun")
            and node.args and isinstance(node.args[0], ast.Constant)}
    assert len(keys) > 20
    for locale in ("en", "zh_CN"):
        assert sorted(keys - set(catalogue(locale))) == [], locale
