"""The reference server's data: its database, seeding accounts and cases, the change feed, churn.

SQLite (a file: the demo and single-user tests) or PostgreSQL (`postgresql+psycopg://`: a team, any number of
server processes). What makes many processes behave as one lives in the database, not in a process:
- every change takes its feed place from `counter` with one UPDATE .. RETURNING, whose row lock is held until
  the change commits, so places are handed out in commit order and a reader never sees a later place before
  an earlier one (a cursor never steps over a change that commits after it);
- a writer locks the cases it changes (SELECT .. FOR UPDATE, in id order, before the counter), so versions
  go up one at a time and two pushes to one case never overwrite each other;
- a mutation id is a primary key: the same id pushed twice at once is stored once (server/mutations.py);
- a feed page is one statement, so it reads one snapshot.
SQLite has one writer at a time anyway; within a process `writing()` queues the writers, so one never fails
on a lock another holds.
"""

from __future__ import annotations

import functools
import json
import os
import random
import threading
import time
import weakref
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime, UTC
from typing import Any

from sqlalchemy import (BigInteger, Engine, Integer, LargeBinary, String, Text, bindparam, cast, create_engine, event,
                        func, insert, literal_column, null, select, union_all, update)
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlmodel import Session

from collector_tui.server.auth import hash_password
from collector_tui.server.facts import index_rows
from collector_tui.server.generator import PortfolioGenerator, collectors_for, market_for, record_payment
from collector_tui.server.models import Account, CaseDoc, Counter, Tombstone
from collector_tui.server.schema import migrate

TEAM_ID = "T1"
SEED_LOCK = 0x73656564  # pg_advisory_xact_lock key held while seeding ("seed")
T_COUNTER = Counter.__table__  # type: ignore[attr-defined]
IDLE_PING_S = 5.0
_sqlite_writers: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()


def database_url(url: str) -> str:
    """A SQLAlchemy URL: a bare path is a SQLite file; postgres:// and postgresql:// take the psycopg driver."""
    if "://" not in url:
        return f"sqlite:///{url}"
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme):]
    return url


def connect(url: str, *, pool_size: int | None = None) -> Engine:
    """An engine on the server's database, as it is (see `open_server_db` to create or migrate it too)."""
    url = database_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _rec):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        _sqlite_writers[engine] = threading.Lock()
        return engine
    # Each process keeps its own pool: workers x (pool_size + overflow) must stay under max_connections.
    size = pool_size or int(os.environ.get("COLLECTOR_TUI_DB_POOL", "10"))
    engine = create_engine(url, pool_size=size, max_overflow=size, pool_recycle=1800)
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before lending it only when it has sat unused for IDLE_PING_S: a ping on every
    lending (pool_pre_ping) costs each request a round trip or two, which under load are a good part of a
    small page's time. A connection the database dropped (a restart, an idle time-out) is replaced before a
    request gets it; one dropped within the last moments fails its request once, and the pool is renewed."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn, record):  # type: ignore[no-untyped-def]
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _lent(dbapi_conn, record, _proxy):  # type: ignore[no-untyped-def]
        if time.monotonic() - record.info.get("returned_at", time.monotonic()) < IDLE_PING_S:
            return
        try:
            dbapi_conn.execute("SELECT 1")
            dbapi_conn.rollback()
        except Exception as exc:  # the connection is dead: the pool drops it and lends another
            raise DisconnectionError(str(exc)) from exc


def open_server_db(url: str, *, pool_size: int | None = None) -> Engine:
    """The server's database, created or migrated to the newest schema: a SQLite URL or path, or any
    SQLAlchemy URL (DATABASE_URL) such as postgresql+psycopg://user@host/db."""
    engine = connect(url, pool_size=pool_size)
    migrate(engine)
    return engine


def pool_admits(engine: Engine) -> int:
    """How many requests a process may handle at once on this engine: half what its pool lends (its size and
    overflow), so each may hold two connections at a time without waiting on the pool."""
    pool: Any = engine.pool
    size, overflow = getattr(pool, "size", lambda: 5)(), getattr(pool, "_max_overflow", 10)
    return max(2, (int(size) + max(int(overflow), 0)) // 2)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def writing(engine: Engine) -> Any:
    """Held around a write transaction: on SQLite, one writer of this process at a time; elsewhere nothing
    (PostgreSQL's row locks order the writers)."""
    lock = _sqlite_writers.get(engine)
    return lock if lock is not None else nullcontext()


# Worth running the transaction again: a unique key another writer took first, a deadlock, a serialization
# failure (PostgreSQL's SQLSTATEs), or SQLite's busy database.
RETRY_SQLSTATES = {"23505", "40P01", "40001"}


def retryable(exc: DBAPIError) -> bool:
    state = getattr(exc.orig, "sqlstate", None)
    if state is not None:
        return state in RETRY_SQLSTATES
    return "locked" in str(exc.orig) or "UNIQUE constraint failed: appliedmutation" in str(exc.orig)


def take_seqs(session: Session, n: int = 1) -> int:
    """Reserve `n` change numbers; returns the last. Holds the counter's row lock until the transaction ends,
    so take them last, just before committing."""
    value = session.execute(update(T_COUNTER).where(T_COUNTER.c.name == "seq").values(value=T_COUNTER.c.value + n)
                            .returning(T_COUNTER.c.value)).scalar()
    if value is None:
        session.execute(insert(T_COUNTER).values(name="seq", value=n))
        value = n
    return int(value)


def next_seq(session: Session) -> int:
    """The next change number; called inside the transaction that makes the change."""
    return take_seqs(session, 1)


def lock_cases(session: Session, ids: Any) -> dict[str, CaseDoc]:
    """The cases with these ids, locked until the transaction ends (in id order, so writers never deadlock)."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    rows = session.execute(select(CaseDoc).where(CaseDoc.id.in_(ids)).order_by(CaseDoc.id)  # type: ignore[attr-defined]
                           .with_for_update()).scalars()
    return {r.id: r for r in rows}


@dataclass(frozen=True)
class SeedSpec:
    seed: int = 7
    cases: int = 300
    collectors: int = 2
    as_of: date | None = None
    teams: int = 1  # with 2, a second team (lead `lead2`, collector `north1`) shares the portfolio


def seed_portfolio(engine: Engine, spec: SeedSpec) -> list[tuple[str, str, str]]:
    """Create the demo accounts and a portfolio, once; returns (username, password, role) of the demo accounts
    (none when the database holds other accounts)."""
    names = collectors_for(spec.collectors)
    accounts = [(u, u, "collector") for u in names] + [("lead", "lead", "lead")]
    team_of = {u: TEAM_ID for u, _, _ in accounts}
    if spec.teams > 1:
        accounts += [("north1", "north1", "collector"), ("lead2", "lead2", "lead")]
        team_of.update({"north1": "T2", "lead2": "T2"})
        names = [*names, "north1"]
    with writing(engine), Session(engine) as session:
        if not is_sqlite(engine):  # servers started at once on one database seed it once
            session.execute(select(func.pg_advisory_xact_lock(SEED_LOCK)))
        if session.get(Account, "lead") is not None:
            return accounts
        if session.execute(select(Account.username).limit(1)).first() is not None:
            return []  # accounts of its own (a team's, a load test's): nothing demo is added
        display = {"demo": "演示催收员", "lead": "演示组长"}
        # One scrypt per distinct password; demo passwords equal usernames.
        for username, password, role in accounts:
            session.add(
                Account(username=username, name=display.get(username, username), role=role, team_id=team_of[username],
                        password_hash=hash_password(password))
            )
        gen = PortfolioGenerator(spec.seed, spec.as_of or date.today())
        rows: list[dict[str, Any]] = []
        for i in range(spec.cases):
            collector = names[i % len(names)]
            doc = gen.case(i + 1, collector)
            rows.append(
                {"id": doc["id"], "assigned_to": collector, "team_id": team_of[collector], "version": doc["version"],
                 "seq": i + 1, "status": "open", "doc": json.dumps(doc, ensure_ascii=False, separators=(",", ":"))}
            )
            if len(rows) >= 2000:
                _insert_cases(session, rows)
                rows = []
        if rows:
            _insert_cases(session, rows)
        take_seqs(session, spec.cases)
        session.commit()
    return accounts


def _insert_cases(session: Session, rows: list[dict[str, Any]]) -> None:
    conn = session.connection()
    index_rows(conn, rows, fresh=True)
    conn.execute(insert(CaseDoc), rows)


@functools.lru_cache(maxsize=16)
def _feed_statement(dialect: Any, lead: bool, first: bool) -> tuple[Any, str | None]:
    """A feed page's statement for its shape (parameters `who`, `since`, `n`), and on PostgreSQL its SQL,
    compiled once: compiling it anew took longer than an incremental page takes to run."""
    postgres = dialect.name == "postgresql"

    def stored(column: Any) -> Any:  # the text's UTF-8 bytes, read in binary on PostgreSQL
        return func.convert_to(column, literal_column("'UTF8'"), type_=LargeBinary) if postgres else column

    who, since, n = bindparam("who", type_=String), bindparam("since", type_=BigInteger), bindparam("n", type_=Integer)
    cases = select(CaseDoc.seq.label("seq"), CaseDoc.id.label("id"), CaseDoc.version.label("version"),  # type: ignore[attr-defined]
                   CaseDoc.status.label("status"), stored(CaseDoc.doc).label("doc"),  # type: ignore[attr-defined]
                   cast(null(), String).label("reason")).where(
        (CaseDoc.team_id if lead else CaseDoc.assigned_to) == who, CaseDoc.seq > since)
    if first:
        # A first sync needs no tombstones of closed cases (the value written in: the SQL takes no other).
        cases = cases.where(CaseDoc.status == literal_column("'open'"))
    q: Any = cases.order_by(CaseDoc.seq).limit(n)
    if not first:
        tombs = (select(Tombstone.seq.label("seq"), Tombstone.case_id.label("id"),  # type: ignore[attr-defined]
                        Tombstone.version.label("version"),  # type: ignore[attr-defined]
                        literal_column("'tombstone'", String).label("status"), stored(cast(null(), Text)).label("doc"),
                        Tombstone.reason.label("reason"))  # type: ignore[attr-defined]
                 .where(Tombstone.collector == bindparam("me", type_=String), Tombstone.seq > since)
                 .order_by(Tombstone.seq).limit(n))
        both = union_all(select(q.subquery()), select(tombs.subquery())).subquery()
        q = select(both).order_by(both.c.seq).limit(n)
    sql = str(q.compile(dialect=dialect)) if postgres else None
    return q, sql


def feed_page(session: Session, account: Account, since: int, limit: int) -> tuple[list[bytes], int, bool]:
    """Raw JSON items (UTF-8) changed after `since` for this account, the last seq served and whether more remain.

    Cases and tombstones are read by one statement: one snapshot, so a change that commits while the page is
    read is either on it or after its cursor, never skipped. On PostgreSQL the documents come in binary as the
    bytes stored and are sent as they are: a first sync's page is most of a megabyte, which decoding and
    encoding again would copy twice more."""
    lead = account.role == "lead"
    q, sql = _feed_statement(session.get_bind().dialect, lead, since == 0)
    params = {"who": account.team_id if lead else account.username, "me": account.username, "since": since,
              "n": limit + 1}
    if sql is None:
        rows: list[Any] = list(session.execute(q, params).all())
    else:
        with session.connection().connection.driver_connection.cursor(binary=True) as cur:  # type: ignore[union-attr]
            rows = cur.execute(sql, params).fetchall()
    has_more = len(rows) > limit
    rows = rows[:limit]
    items = []
    for seq, case_id, version, status, doc, reason in rows:
        if status == "open":
            items.append(doc.encode() if isinstance(doc, str) else bytes(doc))
        else:
            items.append(json.dumps({"id": case_id, "version": version, "deleted": True,
                                     "reason": reason if status == "tombstone" else "closed"}).encode())
    last = rows[-1][0] if rows else since
    return items, last, has_more


def save_doc(session: Session, row: CaseDoc, doc: dict[str, Any]) -> None:
    """Store a changed case: bump its version and give it a new place in the change feed."""
    row.version += 1
    row.seq = next_seq(session)
    finish_doc(row, doc)
    session.add(row)


def finish_doc(row: CaseDoc, doc: dict[str, Any]) -> None:
    """Write the row's version, status and assignee into its document, and the document into the row."""
    doc["version"] = row.version
    doc["updated_at"] = datetime.now(UTC).isoformat()
    doc["status"] = row.status
    doc["assigned_to"] = row.assigned_to
    row.doc = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


class Places:
    """Changes of one transaction whose feed places are given together, just before it commits: the counter's
    lock is then held only from `give` to the commit, not while the changes are worked out."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.waiting: list[CaseDoc | Tombstone] = []

    def bump(self, row: CaseDoc, doc: dict[str, Any]) -> None:
        """A new version of the case, its document written; its place comes with `give`."""
        row.version += 1
        finish_doc(row, doc)
        self.session.add(row)
        self.waiting.append(row)

    def tombstone(self, case_id: str, collector: str, version: int, reason: str) -> None:
        """Tell `collector` at their next pull that the case has left them."""
        tomb = self.session.get(Tombstone, (case_id, collector))
        if tomb is None:
            tomb = Tombstone(case_id=case_id, collector=collector, version=version, seq=0, reason=reason)
            self.session.add(tomb)
        else:
            tomb.version, tomb.reason = version, reason
        self.waiting.append(tomb)

    def give(self) -> None:
        if not self.waiting:
            return
        self.session.flush()
        last = take_seqs(self.session, len(self.waiting))
        for place, row in enumerate(self.waiting, start=last - len(self.waiting) + 1):
            row.seq = place


def churn(engine: Engine, *, seed: int, payments: int = 0, reassign: int = 0, close: int = 0) -> dict[str, list[str]]:
    """Change the portfolio as time would: new payments, reassignment between collectors, closed cases."""
    rng = random.Random(seed)
    changed: dict[str, list[str]] = {"payments": [], "reassigned": [], "closed": []}
    with writing(engine), Session(engine) as session:
        open_ids = list(session.execute(
            select(CaseDoc.id).where(CaseDoc.status == "open").order_by(CaseDoc.id)).scalars())
        team_of = dict(session.execute(select(Account.username, Account.team_id).where(Account.role == "collector")
                                       .order_by(Account.username)).all())  # type: ignore[arg-type]
        collectors = list(team_of)
        picks = rng.sample(open_ids, min(len(open_ids), payments + reassign + close))
        locked = lock_cases(session, picks)  # every case first, then the counter: the order all writers keep
        places = Places(session)
        for n, case_id in enumerate(picks):
            row = locked.get(case_id)
            if row is None or row.status != "open":
                continue  # closed by another writer since the ids were read
            doc = json.loads(row.doc)
            if n < payments:
                record_payment(doc, f"PM-churn-{seed}-{n}", date.today())
                places.bump(row, doc)
                changed["payments"].append(case_id)
            elif n < payments + reassign:
                previous = row.assigned_to
                # Only to a collector of the same market: a portfolio stays in one currency.
                peers = [c for c in collectors if c != previous and market_for(c).currency == doc["loan"]["currency"]]
                if not peers:
                    continue  # nobody else works this market: the case stays where it is
                row.assigned_to = rng.choice(peers)
                row.team_id = team_of[row.assigned_to]  # the case goes to the new collector's team and lead
                places.bump(row, doc)
                places.tombstone(case_id, previous, row.version, "reassigned")
                changed["reassigned"].append(case_id)
            else:
                row.status = "closed"
                places.bump(row, doc)
                changed["closed"].append(case_id)
        places.give()
        session.commit()
    return changed


def lift_suppressions(engine: Engine, case_id: str, kind: str, *, on: date, reason: str) -> None:
    """The servicer lifts a suppression (a dispute verified, a bankruptcy discharged): the feed says when and why."""
    with writing(engine), Session(engine) as session:
        row = lock_cases(session, [case_id])[case_id]
        doc = json.loads(row.doc)
        doc["customer"].setdefault("suppressions", []).append(
            {"type": kind, "channel": None, "since": None, "origin": "server", "lifted_at": on.isoformat(),
             "reason": reason})
        save_doc(session, row, doc)
        session.commit()


def add_tombstone(session: Session, case_id: str, collector: str, version: int, reason: str) -> None:
    """Tell `collector` at their next pull that the case has left them."""
    seq = next_seq(session)
    existing = session.get(Tombstone, (case_id, collector))
    if existing is None:
        session.add(Tombstone(case_id=case_id, collector=collector, version=version, seq=seq, reason=reason))
    else:
        existing.seq, existing.version, existing.reason = seq, version, reason
    session.flush()
