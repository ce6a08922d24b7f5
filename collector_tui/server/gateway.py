"""Where the servicer's messages leave: an SMS or e-mail gateway. A real one plugs in here (`Checks.gateway`);
the reference server's records what it is handed and sends nothing anywhere."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Protocol


class Gateway(Protocol):
    def send(self, message: dict[str, Any]) -> tuple[str, str]:
        """Hand one message on; its `id` is the idempotency key a gateway dedupes by (a push retried after a lost
        answer hands the same message again). Returns its state ("sent", or "failed") and a reason."""


@dataclass
class RecordingGateway:
    """The reference gateway: keeps each message it is handed, once per id, and reports it sent."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def send(self, message: dict[str, Any]) -> tuple[str, str]:
        with self._lock:
            if all(m["id"] != message["id"] for m in self.sent):
                self.sent.append(dict(message))
        return "sent", ""
