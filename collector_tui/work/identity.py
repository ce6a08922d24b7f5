"""Whose work this is: every contact, reveal, discard and purge is recorded under the user who did it.

The user is the one the token names (`GET /v1/me`, asked at every sync and by the sign-in) and the home is
bound to; nothing is stored under an empty name.
"""

from __future__ import annotations


class NoUser(RuntimeError):
    """Nobody is known to be signed in on this home: sign in or sync first; nothing was recorded."""


def require_user(user: str | None) -> str:
    """`user`, or NoUser when it is empty."""
    if not user or not user.strip():
        raise NoUser  # the screen or command that asked says so, in the collector's language
    return user
