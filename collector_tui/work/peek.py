"""Where the cache stands, read without the database toolkit: for `status`, which scripts call often."""

from __future__ import annotations

from collector_tui.storage.peek import Status, status_fields

__all__ = ["Status", "status_fields"]
