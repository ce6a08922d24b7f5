"""A loopback TCP proxy that breaks chosen exchanges between the client and the reference server.

It counts HTTP requests as they pass and asks `plan(n)` what to do with the n-th: None forwards it;
"cut" forwards the request and only the first `cut_after` bytes of the answer; "drop_before" closes
the connection before the server sees the request; "drop_after" lets the server act, then drops the
answer; "delay" holds the request until the client gives up on it (its timeout closes the connection), then lets
the server act on it and drops the answer, so the client always times out, however slow the machine; "500",
"429", "401", "403", "404" and "422" answer for the server; "trickle" lets the server act and passes its headers
on at once, then its body one byte every `trickle_every` seconds (each read returns in time; only a deadline on the
whole request stops it).
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from collections.abc import Callable

METHODS = (b"GET ", b"POST ", b"PUT ", b"DELETE ", b"PATCH ")


def _canned(status: str, extra: str, body: bytes) -> bytes:
    head = (f"HTTP/1.1 {status}\r\n{extra}Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n")
    return head.encode() + body


CANNED = {
    "500": _canned("500 Internal Server Error", "", b'{"error":{"code":"internal","message":"injected fault"}}'),
    "429": _canned(
        "429 Too Many Requests", "Retry-After: 0\r\n", b'{"error":{"code":"rate_limited","message":"slow down"}}'
    ),
    "401": _canned(
        "401 Unauthorized",
        "WWW-Authenticate: Bearer\r\n",
        b'{"error":{"code":"invalid_token","message":"the token is invalid or expired"}}',
    ),
    "403": _canned("403 Forbidden", "", b'{"error":{"code":"forbidden","message":"this account may not do that"}}'),
    "404": _canned("404 Not Found", "", b'{"error":{"code":"not_found","message":"Not Found"}}'),
    "422": _canned(
        "422 Unprocessable Entity", "", b'{"error":{"code":"invalid","message":"the request is not valid"}}'
    ),
}


class FaultProxy:
    def __init__(self, upstream_port: int, should_cut: Callable[[int], bool] | None = None, cut_after: int = 300, *,
                 plan: Callable[[int], str | None] | None = None, trickle_every: float = 0.2) -> None:
        self.upstream_port = upstream_port
        self.plan = plan or (lambda n: "cut" if should_cut and should_cut(n) else None)
        self.cut_after = cut_after
        self.trickle_every = trickle_every
        self.requests = 0
        self.faults: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def cuts(self) -> int:
        return self.faults["cut"]

    def close(self) -> None:
        self._stop.set()
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:
                _close(client)
                continue
            state: dict[str, str | None] = {"fault": None}
            threading.Thread(target=self._up, args=(client, upstream, state), daemon=True).start()
            threading.Thread(target=self._down, args=(upstream, client, state), daemon=True).start()

    def _up(self, client: socket.socket, upstream: socket.socket, state: dict[str, str | None]) -> None:
        try:
            while data := client.recv(65536):
                if data.startswith(METHODS):
                    with self._lock:
                        self.requests += 1
                        fault = self.plan(self.requests)
                        if fault:
                            self.faults[fault] += 1
                    state["fault"] = fault
                    if fault == "drop_before":
                        break
                    if fault in CANNED:
                        client.sendall(CANNED[fault])
                        break
                    if fault == "delay":
                        while client.recv(65536):  # until the client closes the connection: its timeout
                            pass
                        upstream.sendall(data)
                        break
                upstream.sendall(data)
        except OSError:
            pass
        finally:
            if state["fault"] in ("drop_before", "500", "429"):
                _close(client)
            _close_write(upstream)

    def _down(self, upstream: socket.socket, client: socket.socket, state: dict[str, str | None]) -> None:
        head = b""  # a trickled answer's headers, until they are whole
        try:
            while data := upstream.recv(65536):
                fault = state["fault"]
                if fault == "trickle":
                    if state.get("body") is None:
                        head += data
                        if b"\r\n\r\n" not in head:
                            continue
                        head, _, data = head.partition(b"\r\n\r\n")
                        client.sendall(head + b"\r\n\r\n")
                        state["body"] = "trickling"
                    for i in range(len(data)):
                        if self._stop.wait(self.trickle_every):
                            return
                        client.sendall(data[i:i + 1])
                    continue
                if fault == "cut":
                    # The previous answer was read in full before this request went out (HTTP/1.1).
                    client.sendall(data[: self.cut_after])
                    break
                if fault in ("drop_after", "delay"):
                    break
                client.sendall(data)
        except OSError:
            pass
        finally:
            _close(client)
            _close(upstream)


def _close_write(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
