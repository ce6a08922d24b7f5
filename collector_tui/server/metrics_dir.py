"""The folder the processes of one `serve` share their Prometheus figures through (PROMETHEUS_MULTIPROC_DIR).

prometheus-client reads the variable when it is first imported: `serve` sets it here, before it imports the
API, so this module must not import prometheus_client."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

SHARED_DIR = "PROMETHEUS_MULTIPROC_DIR"
_OURS = "collector-metrics-"


def use_shared_dir(processes: int) -> Path | None:
    """The folder this server's processes share their figures through: PROMETHEUS_MULTIPROC_DIR emptied
    (figures of an earlier run would be added to this one's), or a new temporary folder; none for a single
    process that was not given one (its figures stay in its memory)."""
    given = os.environ.get(SHARED_DIR)
    if not given and processes == 1:
        return None
    if given:
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.db"):
            old.unlink()
    else:
        folder = Path(tempfile.mkdtemp(prefix=_OURS))
        os.environ[SHARED_DIR] = str(folder)
    return folder


def remove_shared_dir(folder: Path | None) -> None:
    """The temporary folder `use_shared_dir` made goes when the server stops; one the deployment named stays."""
    if folder is not None and folder.name.startswith(_OURS):
        shutil.rmtree(folder, ignore_errors=True)
