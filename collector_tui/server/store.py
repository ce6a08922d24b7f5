"""The reference server's data: seeding accounts and cases, the change feed, churn."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import Engine, create_engine, event, insert, select
from sqlmodel import Session

from collector_tui.server.auth import hash_password
from collector_tui.server.generator import PortfolioGenerator, collectors_for, market_for, record_payment
from collector_tui.server.models import Account, CaseDoc, Counter, Tombstone, server_registry

TEAM_ID = "T1"


def open_server_db(url: str) -> Engine:
    """The server's database: a SQLite URL or path, or any SQLAlchemy URL (DATABASE_URL) such as PostgreSQL."""
    if "://" not in url:
        url = f"sqlite:///{url}"
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _rec):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

    server_registry.metadata.create_all(engine)
    return engine


def next_seq(session: Session) -> int:
    """The next change number; called inside the transaction that makes the change."""
    row = session.get(Counter, "seq")
    if row is None:
        row = Counter(name="seq", value=0)
        session.add(row)
    row.value += 1
    session.flush()
    return row.value


@dataclass(frozen=True)
class SeedSpec:
    seed: int = 7
    cases: int = 300
    collectors: int = 2
    as_of: date | None = None
    teams: int = 1  # with 2, a second team (lead `lead2`, collector `north1`) shares the portfolio


def seed_portfolio(engine: Engine, spec: SeedSpec) -> list[tuple[str, str, str]]:
    """Create the demo accounts and a portfolio, once; returns (username, password, role) of the accounts."""
    names = collectors_for(spec.collectors)
    accounts = [(u, u, "collector") for u in names] + [("lead", "lead", "lead")]
    team_of = {u: TEAM_ID for u, _, _ in accounts}
    if spec.teams > 1:
        accounts += [("north1", "north1", "collector"), ("lead2", "lead2", "lead")]
        team_of.update({"north1": "T2", "lead2": "T2"})
        names = [*names, "north1"]
    with Session(engine) as session:
        if session.get(Account, "lead") is not None:
            return accounts
        display = {"demo": "演示催收员", "lead": "演示组长"}
        # One scrypt per distinct password; demo passwords equal usernames.
        for username, password, role in accounts:
            session.add(
                Account(username=username, name=display.get(username, username), role=role, team_id=team_of[username],
                        password_hash=hash_password(password))
            )
        gen = PortfolioGenerator(spec.seed, spec.as_of or date.today())
        rows = []
        for i in range(spec.cases):
            collector = names[i % len(names)]
            doc = gen.case(i + 1, collector)
            rows.append(
                {"id": doc["id"], "assigned_to": collector, "team_id": team_of[collector], "version": doc["version"],
                 "seq": i + 1, "status": "open", "doc": json.dumps(doc, ensure_ascii=False, separators=(",", ":"))}
            )
            if len(rows) >= 2000:
                session.execute(insert(CaseDoc), rows)
                rows = []
        if rows:
            session.execute(insert(CaseDoc), rows)
        session.add(Counter(name="seq", value=spec.cases))
        session.commit()
    return accounts


def feed_page(session: Session, account: Account, since: int, limit: int) -> tuple[list[str], int, bool]:
    """Raw JSON items changed after `since` for this account, the last seq served and whether more remain."""
    if account.role == "lead":
        case_filter = CaseDoc.team_id == account.team_id
    else:
        case_filter = CaseDoc.assigned_to == account.username
    q = select(CaseDoc.seq, CaseDoc.id, CaseDoc.version, CaseDoc.status, CaseDoc.doc).where(case_filter, CaseDoc.seq > since)
    if since == 0:
        q = q.where(CaseDoc.status == "open")  # a first sync needs no tombstones of closed cases
    cases = session.execute(q.order_by(CaseDoc.seq).limit(limit + 1)).all()
    tombs: list[Any] = []
    if since > 0:
        tombs = session.execute(
            select(Tombstone.seq, Tombstone.case_id, Tombstone.version, Tombstone.reason)
            .where(Tombstone.collector == account.username, Tombstone.seq > since)
            .order_by(Tombstone.seq)
            .limit(limit + 1)
        ).all()
    merged: list[tuple[int, str]] = []
    for seq, case_id, version, status, doc in cases:
        if status == "open":
            merged.append((seq, doc))
        else:
            merged.append((seq, json.dumps({"id": case_id, "version": version, "deleted": True, "reason": "closed"})))
    for seq, case_id, version, reason in tombs:
        merged.append((seq, json.dumps({"id": case_id, "version": version, "deleted": True, "reason": reason})))
    merged.sort(key=lambda item: item[0])
    has_more = len(merged) > limit
    merged = merged[:limit]
    last = merged[-1][0] if merged else since
    return [doc for _, doc in merged], last, has_more


def save_doc(session: Session, row: CaseDoc, doc: dict[str, Any]) -> None:
    """Store a changed case: bump its version and give it a new place in the change feed."""
    row.version += 1
    row.seq = next_seq(session)
    finish_doc(row, doc)
    session.add(row)


def finish_doc(row: CaseDoc, doc: dict[str, Any]) -> None:
    """Write the row's version, status and assignee into its document, and the document into the row."""
    doc["version"] = row.version
    doc["updated_at"] = datetime.now(timezone.utc).isoformat()
    doc["status"] = row.status
    doc["assigned_to"] = row.assigned_to
    row.doc = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def churn(engine: Engine, *, seed: int, payments: int = 0, reassign: int = 0, close: int = 0) -> dict[str, list[str]]:
    """Change the portfolio as time would: new payments, reassignment between collectors, closed cases."""
    rng = random.Random(seed)
    changed: dict[str, list[str]] = {"payments": [], "reassigned": [], "closed": []}
    with Session(engine) as session:
        open_ids = list(session.execute(select(CaseDoc.id).where(CaseDoc.status == "open").order_by(CaseDoc.id)).scalars())
        collectors = list(
            session.execute(select(Account.username).where(Account.role == "collector").order_by(Account.username)).scalars()
        )
        picks = rng.sample(open_ids, min(len(open_ids), payments + reassign + close))
        for n, case_id in enumerate(picks):
            row = session.get(CaseDoc, case_id)
            assert row is not None
            doc = json.loads(row.doc)
            if n < payments:
                record_payment(doc, f"PM-churn-{seed}-{n}", date.today())
                save_doc(session, row, doc)
                changed["payments"].append(case_id)
            elif n < payments + reassign:
                previous = row.assigned_to
                # Only to a collector of the same market: a portfolio stays in one currency.
                peers = [c for c in collectors if c != previous and market_for(c).currency == doc["loan"]["currency"]]
                if not peers:
                    continue  # nobody else works this market: the case stays where it is
                row.assigned_to = rng.choice(peers)
                save_doc(session, row, doc)
                add_tombstone(session, case_id, previous, row.version, "reassigned")
                changed["reassigned"].append(case_id)
            else:
                row.status = "closed"
                save_doc(session, row, doc)
                changed["closed"].append(case_id)
        session.commit()
    return changed


def lift_suppressions(engine: Engine, case_id: str, kind: str, *, on: date, reason: str) -> None:
    """The servicer lifts a suppression (a dispute verified, a bankruptcy discharged): the feed says when and why."""
    with Session(engine) as session:
        row = session.get(CaseDoc, case_id)
        assert row is not None
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
