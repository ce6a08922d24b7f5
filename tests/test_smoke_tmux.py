"""The demo in a real terminal (tmux), driven by keys as a person would: `scripts/smoke-tmux`."""

from __future__ import annotations

import os
import subprocess

from tests.conftest import ROOT


def test_smoke_tmux_drives_the_demo() -> None:
    env = {**os.environ, "VENV_EXTRAS": "test"}  # reuse the test install instead of reinstalling
    out = subprocess.run(["bash", str(ROOT / "scripts" / "smoke-tmux")], capture_output=True, text=True, timeout=300,
                         env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "smoke-tmux: passed" in out.stdout
    assert out.stdout.count("ok: ") >= 12
