"""schemathesis against the reference server's own /openapi.json, on SQLite and on PostgreSQL: bounded, seeded, no 5xx
and no schema violation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import RunningServer


@pytest.fixture(params=["sqlite", "postgresql"])
def server_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)  # the same contract on both of the server's databases


def test_schemathesis_finds_no_server_error_and_no_schema_violation(server: RunningServer, tmp_path: Path) -> None:
    cli = Path(sys.executable).with_name("schemathesis")
    out = subprocess.run(
        [str(cli), "run", f"{server.url}/openapi.json", "--max-examples", "40", "--seed", "20261128", "--workers", "1",
         "--checks", "not_a_server_error,response_schema_conformance", "--phases", "examples,coverage,fuzzing",
         "-H", f"Authorization: Bearer {server.token('lead')}"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)  # its cache stays out of the checkout
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "No issues found" in out.stdout and "passed" in out.stdout
