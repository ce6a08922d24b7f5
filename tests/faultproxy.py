"""A loopback TCP proxy that breaks chosen exchanges between the client and the reference server.

It counts HTTP requests as they pass; for a request picked by `should_cut(n)` it forwards only the first
`cut_after` bytes of the response and then drops both connections, as a dying network would.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

METHODS = (b"GET ", b"POST ", b"PUT ", b"DELETE ", b"PATCH ")


class FaultProxy:
    def __init__(self, upstream_port: int, should_cut: Callable[[int], bool], cut_after: int = 300) -> None:
        self.upstream_port = upstream_port
        self.should_cut = should_cut
        self.cut_after = cut_after
        self.requests = 0
        self.cuts = 0
        self._lock = threading.Lock()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._stop.set()
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            state = {"cut": False}
            threading.Thread(target=self._up, args=(client, upstream, state), daemon=True).start()
            threading.Thread(target=self._down, args=(upstream, client, state), daemon=True).start()

    def _up(self, client: socket.socket, upstream: socket.socket, state: dict[str, bool]) -> None:
        try:
            while data := client.recv(65536):
                if data.startswith(METHODS):
                    with self._lock:
                        self.requests += 1
                        state["cut"] = self.should_cut(self.requests)
                upstream.sendall(data)
        except OSError:
            pass
        finally:
            _close(upstream)

    def _down(self, upstream: socket.socket, client: socket.socket, state: dict[str, bool]) -> None:
        try:
            while data := upstream.recv(65536):
                if state["cut"]:
                    # The previous response was read in full before this request went out (HTTP/1.1),
                    # so this chunk starts the response to cut.
                    client.sendall(data[: self.cut_after])
                    with self._lock:
                        self.cuts += 1
                    break
                client.sendall(data)
        except OSError:
            pass
        finally:
            _close(client)
            _close(upstream)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
