"""The sync state row and the signed-in collector."""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from collector_tui.locale import t
from collector_tui.storage.engine import read, write
from collector_tui.storage.models import Case, Collector, OutboxEntry, SyncState
from collector_tui.storage.peek import Status

T_STATE = SyncState.__table__  # type: ignore[attr-defined]
T_COLLECTOR = Collector.__table__  # type: ignore[attr-defined]


class HomeInUse(RuntimeError):
    """This home already caches another collector's cases."""


def bind_home(engine: Engine, api_url: str, user: str) -> None:
    """Tie the cache to one API and one user; a different user needs a different home."""
    if not user:
        raise ValueError("a home is bound to a named user")
    with write(engine) as conn:
        row = conn.execute(select(T_STATE)).mappings().first()
        if row is None:
            conn.execute(T_STATE.insert().values(id=1, api_url=api_url, user=user))
            return
        has_data = conn.execute(select(func.count()).select_from(Case)).scalar_one() > 0
        # A home bound to no user (an old sync that could not say whose it was) takes the user the token names.
        known = bool(row["user"])
        if has_data and known and (row["user"], row["api_url"]) != (user, api_url):
            raise HomeInUse(t("cache.home_in_use", holder=row["user"], held_api=row["api_url"], user=user, api=api_url))
        if (row["user"], row["api_url"]) != (user, api_url):
            conn.execute(T_STATE.update().values(api_url=api_url, user=user, cursor=None))


def save_me(engine: Engine, me: dict[str, object]) -> None:
    with write(engine) as conn:
        stmt = sqlite_insert(T_COLLECTOR).values(**me)
        conn.execute(stmt.on_conflict_do_update(index_elements=["id"],
                                                set_={k: stmt.excluded[k] for k in me if k != "id"}))


def record_sync_error(engine: Engine, message: str | None) -> None:
    with write(engine) as conn:
        conn.execute(T_STATE.update().where(T_STATE.c.id == 1).values(last_error=message))


def status(engine: Engine) -> Status:
    with read(engine) as conn:
        state = conn.execute(select(T_STATE)).mappings().first() or {}
        cases = conn.execute(select(func.count()).select_from(Case)).scalar_one()
        open_cases = cases  # a sync deletes a case when it closes: the cache holds open cases only
        counts = dict(
            conn.execute(select(OutboxEntry.state, func.count()).group_by(OutboxEntry.state)).all()  # type: ignore[arg-type]
        )
        version = int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 0)
        tz = conn.execute(select(T_COLLECTOR.c.timezone)).scalar()
    return Status(
        api=state.get("api_url") or "", user=state.get("user") or "", last_sync_at=state.get("last_sync_at"),
        last_error=state.get("last_error"), cases=cases, open_cases=open_cases,
        outbox_pending=counts.get("pending", 0), outbox_failed=counts.get("failed", 0), schema_version=version,
        timezone=tz or "UTC",
    )


def cursor(engine: Engine) -> str | None:
    with read(engine) as conn:
        return conn.execute(select(T_STATE.c.cursor)).scalar()


def me(engine: Engine) -> Collector | None:
    with read(engine) as conn:
        row = conn.execute(select(T_COLLECTOR)).mappings().first()
    return Collector(**row) if row else None
