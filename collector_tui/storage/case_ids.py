"""A case id as the collector types it: any letter case, stray spaces; the cache's own spelling is what counts."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from collector_tui.storage.engine import read
from collector_tui.storage.models import Case


def known_case_id(engine: Engine, typed: str) -> str:
    """The cached case `typed` names (`c-000013` is `C-000013`); `typed`, trimmed, when no one case matches."""
    text = typed.strip()
    with read(engine) as conn:
        if conn.execute(select(Case.id).where(Case.id == text)).scalar() is not None:
            return text
        found = conn.execute(select(Case.id).where(func.upper(Case.id) == text.upper()).limit(2)).scalars().all()
    return found[0] if len(found) == 1 else text
