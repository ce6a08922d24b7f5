"""PostgreSQL: a team's contact entries joined per customer's local day (contact_day), for the team figures.

A trigger on case_contact marks each day a statement changes (contact_day_stale; migration 0004). A lead's
read first builds again the team's marked days (most often today's alone) and commits, then joins one text
per day of the range instead of tens of thousands of rows. Each server process keeps the days' texts it has
read, with the transaction that built each (`gen`): a read asks the database for the days' `gen` and fetches
only the texts that changed, so an unchanged month is not read, sent and copied again on every request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date

from sqlalchemy import Engine, delete, func, insert, literal, select, text
from sqlmodel import Session

from collector_tui.server.models import CaseContact, ContactDay, ContactDayStale

DAYS_LOCK = 0x64617973  # pg_advisory_xact_lock class held while a team's days are built again ("days")
KEPT_BYTES = 128 * 2**20  # the most a process keeps; the days read longest ago go first
T_DAY = ContactDay.__table__  # type: ignore[attr-defined]
T_STALE = ContactDayStale.__table__  # type: ignore[attr-defined]


def refresh_days(db: Session, team: str) -> None:
    """Build again the team's days marked as changed, and commit. One reader of a team at a time does it (an
    advisory lock), each from a snapshot taken after the previous one committed, so a day is never written
    back from an older snapshot than the marks it cleared; a mark made meanwhile stays for the next read."""
    conn = db.connection()
    # Only derived rows and marks are written: a crash that loses the commit loses both together.
    conn.execute(text("SET LOCAL synchronous_commit = off"))
    conn.execute(select(func.pg_advisory_xact_lock(DAYS_LOCK, func.hashtext(team))))
    days = sorted(set(conn.execute(delete(T_STALE).where(T_STALE.c.team_id == team)
                                   .returning(T_STALE.c.day)).scalars()))
    if days:
        conn.execute(delete(T_DAY).where(T_DAY.c.team_id == team, T_DAY.c.day.in_(days)))
        joined = (select(CaseContact.team_id, CaseContact.day, func.string_agg(CaseContact.item, literal(",")),
                         func.txid_current())
                  .where(CaseContact.team_id == team, CaseContact.day.in_(days))  # type: ignore[attr-defined]
                  .group_by(CaseContact.team_id, CaseContact.day))
        conn.execute(insert(T_DAY).from_select(["team_id", "day", "items", "gen"], joined))
    db.commit()


def refresh_all_days(engine: Engine) -> None:
    """Build every team's marked days (serve does it as it starts, so a lead's first read after a bulk load or
    a quiet spell does not pay for them)."""
    if engine.dialect.name != "postgresql":
        return
    with Session(engine) as db:
        teams = list(db.execute(select(T_STALE.c.team_id).distinct()).scalars())
    for team in teams:
        with Session(engine) as db:
            refresh_days(db, team)


class _Kept:
    """The days' texts this process has read: (team, day) -> (gen, UTF-8 text), the least recently read first."""

    def __init__(self) -> None:
        self.days: OrderedDict[tuple[str, date], tuple[int, bytes]] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key: tuple[str, date], gen: int) -> bytes | None:
        with self.lock:
            found = self.days.get(key)
            if found is None or found[0] != gen:
                return None
            self.days.move_to_end(key)
            return found[1]

    def put(self, key: tuple[str, date], gen: int, items: bytes) -> None:
        with self.lock:
            old = self.days.pop(key, None)
            self.size += len(items) - (len(old[1]) if old else 0)
            self.days[key] = (gen, items)
            while self.size > KEPT_BYTES and self.days:
                self.size -= len(self.days.popitem(last=False)[1][1])


_kept = _Kept()


def joined_days(db: Session, team: str, start: date, end: date) -> bytes:
    """The team's contact entries of the days from `start` to `end`, joined with commas, as UTF-8."""
    in_range = (T_DAY.c.team_id == team, T_DAY.c.day >= start, T_DAY.c.day <= end)
    gens = db.execute(select(T_DAY.c.day, T_DAY.c.gen).where(*in_range)).all()
    texts = {day: _kept.get((team, day), gen) for day, gen in gens}
    missing = [day for day, found in texts.items() if found is None]
    if missing:
        # In binary, as bytes: text would travel escaped and be decoded and encoded again.
        compiled = (select(T_DAY.c.day, T_DAY.c.gen, func.convert_to(T_DAY.c["items"], "UTF8"))
                    .where(T_DAY.c.team_id == team, T_DAY.c.day.in_(missing))
                    .compile(dialect=db.get_bind().dialect, compile_kwargs={"render_postcompile": True}))
        with db.connection().connection.driver_connection.cursor(binary=True) as cur:  # type: ignore[union-attr]
            for day, gen, items in cur.execute(str(compiled), compiled.params).fetchall():
                texts[day] = bytes(items)
                _kept.put((team, day), gen, texts[day])
    return b",".join(t for t in texts.values() if t)
