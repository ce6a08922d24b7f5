"""Why a sync could not finish: each error's `str()` is the one-line reason shown to the collector."""

from __future__ import annotations


class SyncError(Exception):
    """A sync that could not finish; `str()` is the one-line reason shown to the collector."""


class NetworkError(SyncError):
    """The server could not be reached or the connection broke."""


class AuthError(SyncError):
    """The server refused the credentials or token (401/403)."""


class Forbidden(AuthError):
    """The token is good but its user may not do this (403): a collector asking for a lead's figures."""


class WrongUser(AuthError):
    """The token names another user than the one this home or COLLECTOR_TUI_USER says."""


class ServerError(SyncError):
    """The server answered with an error status."""

    def __init__(self, message: str, status: int, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class MalformedResponse(SyncError):
    """The server's answer does not match API v1."""


class InsecureTransport(SyncError):
    """A plain http:// URL to another machine, refused."""


class RequestDeadline(NetworkError):
    """One request did not finish within its whole deadline (a server that trickles its answer); retried."""


class SyncDeadline(SyncError):
    """The sync ran past its overall bound; not retried (the next sync carries on from the last whole page)."""
