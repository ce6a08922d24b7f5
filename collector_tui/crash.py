"""An unhandled error in the workbench: the traceback to a private log file, one line to the terminal, exit 70.

Textual's own crash report prints every frame's local variables (they can hold the token or a debtor's data) and
the process then exits 0. Here the traceback is written without a single local variable to a file only the user
can read, in the platform's user log folder (`~/.local/state/collector-tui/log` on Linux); the terminal gets one
line naming the error and that file, and the exit status is 70 (EX_SOFTWARE). Only the newest crash logs are kept.
"""

from __future__ import annotations

import os
import platform
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import platformdirs

from collector_tui import __version__
from collector_tui.config import APP_NAME
from collector_tui.locale import t

EXIT_STATUS = 70  # EX_SOFTWARE: an internal error
FAILED_STATUS = 1  # what every command exits with on a damaged cache: a fault of the file, not of the program
KEEP = 20  # crash logs kept in the log folder, newest first
MESSAGE_CHARS = 200  # the one line shows at most this much of the error's message


@dataclass(frozen=True)
class Crash:
    """What the terminal is told: one line, and the log file that holds the traceback (None if none could be
    written)."""

    line: str
    log: Path | None
    status: int = EXIT_STATUS  # what the command exits with


def log_dir() -> Path:
    return platformdirs.user_log_path(APP_NAME)


def _reason(error: BaseException) -> str:
    """`ValueError: not an amount`: the type and the first line of the message, cut to one short line."""
    message = next((line.strip() for line in str(error).splitlines() if line.strip()), "")
    if len(message) > MESSAGE_CHARS:
        message = message[:MESSAGE_CHARS - 1] + "…"
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def _traceback(error: BaseException) -> str:
    # The frames, their source lines and the messages, causes included; never a frame's local variables.
    return "".join(traceback.format_exception(type(error), error, error.__traceback__))


def write_log(error: BaseException, now: datetime | None = None) -> Path:
    """The traceback in a new file (0600, in a 0700 folder); older logs beyond the newest KEEP are removed."""
    now = now or datetime.now(UTC)
    folder = log_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"crash-{now:%Y%m%dT%H%M%S}-{os.getpid()}.log"
    head = (f"{APP_NAME} {__version__} crashed at {now.isoformat()}\n"
            f"python {platform.python_version()} on {platform.platform()}\n\n")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(head + _traceback(error))
    for old in sorted(folder.glob("crash-*.log"), key=lambda p: p.stat().st_mtime, reverse=True)[KEEP:]:
        old.unlink(missing_ok=True)
    return path


def add_to_log(log: Path | None, error: BaseException) -> None:
    """A further error while the workbench closed: appended to the first one's log."""
    if log is None:
        return
    try:
        with log.open("a", encoding="utf-8") as out:
            out.write("\nWhile closing, another error:\n" + _traceback(error))
    except OSError:
        pass


def found(error: BaseException, kind: type[BaseException]) -> BaseException | None:
    """The first error of `kind` behind `error`: itself, what a failed worker caught (`.error`), its causes."""
    todo: list[object] = [error]
    seen: set[int] = set()
    while todo:
        e = todo.pop(0)
        if not isinstance(e, BaseException) or id(e) in seen:
            continue
        if isinstance(e, kind):
            return e
        seen.add(id(e))
        todo += [getattr(e, "error", None), e.__cause__, e.__context__]
    return None


def report(error: BaseException) -> Crash:
    """Log `error` and word the one line for the terminal; a log that cannot be written is said so, with why."""
    try:
        path = write_log(error)
    except OSError as exc:
        return Crash(t("crash.no_log", error=_reason(error), why=exc.strerror or exc), None)
    return Crash(t("crash.line", error=_reason(error), path=path), path)
