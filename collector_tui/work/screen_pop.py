"""Screen-pop: a dialer that connected a call tells the running workbench which case and number it is.

The workbench listens on a Unix socket in its home (`workbench.sock`, mode 0600 in the 0700 home) and answers
only processes of the user it runs as. `collector-tui pop CASE [--number N]` (or any program that can write a
line to a Unix socket) sends one JSON line, `{"case": "C-000123", "number": "+8613800000000"}`, and reads one
back, `{"ok": true}` or `{"ok": false, "error": "unknown_case"}`. See docs/phone.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import stat
import struct
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from collector_tui.work.limits import max_length

SOCKET_NAME = "workbench.sock"
MAX_LINE = 4096  # a pop is a case id and a number: anything longer is not one
NUMBER_MAX = max_length("contact.logged", "number")  # the longest number a contact may be recorded on
READ_TIMEOUT_S = 5.0
ERRORS = ("unknown_case", "bad_request", "other_user")


class NoWorkbench(ConnectionError):
    """No workbench is running on this home."""


class InUse(RuntimeError):
    """Another workbench already listens on this home's socket."""


class PopRefused(RuntimeError):
    """The workbench answered, and refused: `code` is one of ERRORS."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Pop:
    case_id: str
    number: str = ""


def socket_path(home: Path) -> Path:
    return Path(home) / SOCKET_NAME


@contextlib.contextmanager
def _address(path: Path) -> Iterator[str]:
    """An address for `path` that fits a Unix socket's 107 bytes: a long home is reached through its folder's
    descriptor (Linux's /proc/self/fd), which is held open while the address is used."""
    if len(os.fsencode(str(path))) < 100 or not Path("/proc/self/fd").is_dir():
        yield str(path)
        return
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        yield f"/proc/self/fd/{folder}/{path.name}"
    finally:
        os.close(folder)


def _same_user(sock: socket.socket | None) -> bool:
    """The peer runs as this user (Linux: SO_PEERCRED). Elsewhere the socket's mode and the home's keep others out."""
    if sock is None:
        return False
    if not hasattr(socket, "SO_PEERCRED"):
        return True
    _pid, uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    return uid == os.getuid()


def parse(line: bytes) -> Pop | None:
    """A pop request, or None when the line is not one."""
    try:
        data = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    case_id, number = data.get("case"), data.get("number", "")
    if not isinstance(case_id, str) or not case_id.strip() or len(case_id) > 64:
        return None
    if not isinstance(number, str) or len(number) > NUMBER_MAX:
        return None
    return Pop(case_id.strip(), number.strip())


def _reply(error: str | None) -> bytes:
    return json.dumps({"ok": error is None, "error": error}).encode() + b"\n"


async def listen(home: Path, handle: Callable[[Pop], Awaitable[str | None]]) -> asyncio.Server:
    """Listen on the home's socket; `handle` answers each pop with None (done) or an error code.

    Raises InUse when a workbench already listens there; a socket left by one that died is replaced.
    """
    path = socket_path(home)
    if path.is_socket():
        try:
            with _address(path) as address:
                _reader, probe = await asyncio.wait_for(asyncio.open_unix_connection(address), READ_TIMEOUT_S)
        except (ConnectionRefusedError, FileNotFoundError):
            path.unlink(missing_ok=True)  # left by a workbench that did not close
        else:
            probe.write(b"\n")  # an empty line: a probe, answered with nothing
            probe.close()
            raise InUse(str(path))

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            # The request is read first, whoever sends it: a socket closed with unread data resets the
            # connection, and the caller would never read the answer.
            try:
                line = await asyncio.wait_for(reader.readline(), READ_TIMEOUT_S)
            except (TimeoutError, ValueError):  # silent, or a line over the limit
                line = b""
            if not _same_user(writer.get_extra_info("socket")):
                writer.write(_reply("other_user"))
            elif line.strip():  # an empty line is a probe (another workbench asking whether this one is alive)
                pop = parse(line)
                writer.write(_reply("bad_request" if pop is None else await handle(pop)))
            await writer.drain()
        except (ConnectionError, OSError):
            pass  # the caller went away: nothing to answer
        finally:
            writer.close()

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        with _address(path) as address:
            sock.bind(address)
        os.chmod(path, 0o600)
        return await asyncio.start_unix_server(answer, sock=sock, limit=MAX_LINE)
    except BaseException:
        sock.close()
        raise


def close(server: asyncio.Server, home: Path) -> None:
    """Stop listening and remove the socket."""
    server.close()
    path = socket_path(home)
    with contextlib.suppress(OSError):
        if stat.S_ISSOCK(path.lstat().st_mode):
            path.unlink()


def send_line(path: Path, line: bytes, timeout: float = READ_TIMEOUT_S) -> bytes:
    """Send one line to the socket at `path` and read the answer. Raises NoWorkbench when nobody listens."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        with _address(path) as address:
            try:
                sock.connect(address)
            except (FileNotFoundError, ConnectionRefusedError, NotADirectoryError) as exc:
                raise NoWorkbench(str(path)) from exc
        sock.sendall(line + b"\n")
        answer = b""
        while not answer.endswith(b"\n"):
            chunk = sock.recv(MAX_LINE)
            if not chunk:
                break
            answer += chunk
        return answer
    finally:
        sock.close()


def send(home: Path, pop: Pop, timeout: float = 10.0) -> None:
    """Ask the workbench running on `home` to open the case. Raises NoWorkbench or PopRefused."""
    answer = send_line(socket_path(home), json.dumps({"case": pop.case_id, "number": pop.number}).encode(), timeout)
    try:
        reply = json.loads(answer)
    except ValueError:
        raise PopRefused("bad_request") from None
    if not reply.get("ok"):
        raise PopRefused(str(reply.get("error") or "bad_request"))
