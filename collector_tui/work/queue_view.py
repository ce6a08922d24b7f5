"""The queue's rows and filter, and the first look at a cache (storage.queue_view): what the workbench's first
frame needs, without the database toolkit."""

from __future__ import annotations

from collector_tui.storage.queue_view import FirstLook, QueueFilter, QueueRow, first_look

__all__ = ["FirstLook", "QueueFilter", "QueueRow", "first_look"]
