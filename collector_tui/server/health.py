"""The readiness check behind /healthz: does the database answer this process?"""

from __future__ import annotations

import logging

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)


def database_answers(engine: Engine) -> bool:
    """One round trip on a pooled connection (a new one when the pool's has gone stale)."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError as exc:
        # The exception's text may hold the URL: the class names the failure well enough.
        log.warning("the database does not answer: %s", type(exc).__name__)
        return False
