"""The handle on a home's cache that every use case takes: the screens and the CLI hold it and pass it on.

They never open, query or write it themselves (tests/test_layers.py keeps SQLAlchemy out of the screens).
"""

from __future__ import annotations

from typing import TypeAlias

from sqlalchemy import Engine

Cache: TypeAlias = Engine
