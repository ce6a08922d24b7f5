"""Applying collectors' mutations on the reference server: validate, dedupe by id, detect conflicts, record."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as default
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import delete, insert, select
from sqlmodel import Session

from collector_tui.api import Mutation
from collector_tui.api.payloads import (
    PAYLOADS,
    AuditRecorded,
    CallbackScheduled,
    MessageRequested,
    Payload,
    PlanSubmitted,
    PromiseCreated,
)
from collector_tui.domain.facts import Contact
from collector_tui.domain.moment import DEAD_NUMBER, SUPPRESSING
from collector_tui.domain.actions import FieldError, parse_amount, validate_callback, validate_promise
from collector_tui.domain.entry import case_began, validate_callback_hours, validate_moment
from collector_tui.domain.plans import check_first_due
from collector_tui.domain.policy import RulePack
from collector_tui.domain.contact_rules import next_window_open, window_open
from collector_tui.domain.zones import candidate_zones
from collector_tui.locale import catalogue
from collector_tui.policies import load_pack
from collector_tui.server.models import Account, AppliedMutation, CaseDoc
from collector_tui.server.gateway import Gateway, RecordingGateway
from collector_tui.server.store import finish_doc, lock_cases, take_seqs

DEDUPE_DAYS = 90  # a collector may be offline over a long holiday and retry after it


# Append-only records never conflict; these change what the collector saw, so a stale base is a conflict.
VERSIONED = {"plan.submitted", "customer.contact_corrected"}


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Checks:
    """What entered values are checked against on the server: its clock and the deployment's rule pack (the
    allowed hours of a callback). The rules are the client's own, from `domain/`."""

    pack: RulePack = default(default_factory=lambda: load_pack("cn"))
    clock: Callable[[], datetime] = _utc_now
    gateway: Gateway = default(default_factory=RecordingGateway)  # where messages leave (server/gateway.py)


# A domain field's name in a mutation, where the two differ.
WIRE_FIELD = {"date": "due_date"}


def _english(key: str, params: dict[str, object]) -> str:
    """The server speaks English: a domain message from the English catalogue."""
    text = catalogue("en").get(key, key)
    return text.format(**params) if params else text


def _case_values(doc: dict[str, Any]) -> tuple[str, datetime | None]:
    """The customer's zone and when the case began (the day its loan went overdue: no assignment date is kept)."""
    zone = doc.get("customer", {}).get("timezone") or "UTC"
    since = doc.get("loan", {}).get("overdue_since")
    return zone, case_began(date.fromisoformat(since) if since else None, zone)


def entry_errors(m: Mutation, payload: Payload, doc: dict[str, Any], checks: Checks,
                 now: datetime) -> list[tuple[list[str], str]]:
    """Values no collector could mean, by the same rules the form and the CLI apply: (where, reason) pairs."""
    if m.occurred_at.tzinfo is None:
        return [(["occurred_at"], _english("form.zone_needed", {}))]
    zone, began = _case_values(doc)
    errors: list[FieldError] = [FieldError("occurred_at", e.key, e.params)
                                for e in validate_moment(m.occurred_at, now, began)]
    today = m.occurred_at.astimezone(ZoneInfo(zone)).date()
    if isinstance(payload, PromiseCreated):
        raw = m.payload.get("amount")
        amount, bad = parse_amount(str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else raw)
        errors += bad
        if amount is not None:
            loan = doc.get("loan", {})
            errors += validate_promise(payload.due_date, amount, today, currency=loan.get("currency", "CNY"),
                                       outstanding=Decimal(loan["outstanding"]) if "outstanding" in loan else None,
                                       given_currency=payload.currency)
    elif isinstance(payload, CallbackScheduled):
        past = validate_callback(payload.at, m.occurred_at)
        errors += past
        if not past:
            phones = doc.get("customer", {}).get("phones", [])
            dialled = next((p["number"] for p in phones if p.get("reachable", True)), None)
            errors += validate_callback_hours(checks.pack, candidate_zones(zone, [dialled] if dialled else []),
                                              payload.at)
    elif isinstance(payload, MessageRequested):
        errors += _message_errors(payload, doc)
    elif isinstance(payload, PlanSubmitted):
        first = min(i.due_date for i in payload.instalments)
        errors += [FieldError("instalments", p.key, p.params) for p in check_first_due(first, today)]
    return [(["payload", WIRE_FIELD.get(e.field, e.field)] if e.field != "occurred_at" else ["occurred_at"],
             _english(e.key, e.params)) for e in errors]


def _result(mid: str, status: str, version: int | None = None, code: str | None = None, message: str = "",
            fields: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    error = None if code is None else {"code": code, "message": message, **({"fields": fields} if fields else {})}
    return {"id": mid, "status": status, "case_version": version, "error": error}


def visible(row: CaseDoc | None, account: Account) -> bool:
    if row is None:
        return False
    if account.role == "lead":
        return row.team_id == account.team_id
    return row.assigned_to == account.username and row.status == "open"


class _Batch:
    """One request's mutations against the database: every row read once and every case written once.

    A batch of 200 contacts on one case used to decode and re-encode that case's document 200 times;
    here each case's document is decoded on first use and encoded once at the end, while every applied
    mutation still gets its own version and its own place in the change feed.
    """

    def __init__(self, db: Session, mutations: list[Mutation], account: Account, checks: Checks) -> None:
        self.db, self.account, self.checks = db, account, checks
        self.now = checks.clock()  # one moment for the whole batch
        # The cases first, locked until the commit, then the ids already stored: a push of the same ids on
        # another connection has committed by the time the lock is ours, and its ids are seen here.
        self.rows = lock_cases(db, (m.case_id for m in mutations))
        ids = [m.id for m in mutations]
        self.seen: dict[str, int | None] = dict(db.execute(
            select(AppliedMutation.id, AppliedMutation.case_version).where(AppliedMutation.id.in_(ids))).all())  # type: ignore[attr-defined,arg-type]
        self.docs: dict[str, dict[str, Any]] = {}
        self.read: dict[str, dict[str, Any]] = {}  # decoded to check a mutation, not (yet) changed
        self.bumped: list[CaseDoc] = []  # in the order of their changes; their feed places are given at the end
        self.applied: list[dict[str, Any]] = []

    def record(self, m: Mutation, version: int | None) -> None:
        self.seen[m.id] = version
        self.applied.append({"id": m.id, "case_id": m.case_id, "type": m.type, "username": self.account.username,
                             "received_at": time.time(), "case_version": version,
                             "payload": json.dumps(m.payload, ensure_ascii=False)})

    def doc(self, row: CaseDoc) -> dict[str, Any]:
        if row.id not in self.docs:
            self.docs[row.id] = self.read.pop(row.id, None) or json.loads(row.doc)
        return self.docs[row.id]

    def peek(self, row: CaseDoc) -> dict[str, Any]:
        """The case's document to read: a refused mutation leaves the row as it was."""
        if row.id in self.docs:
            return self.docs[row.id]
        if row.id not in self.read:
            self.read[row.id] = json.loads(row.doc)
        return self.read[row.id]

    def bump(self, row: CaseDoc) -> None:
        """A new version of the case and a new place in the change feed."""
        row.version += 1
        self.bumped.append(row)

    def finish(self) -> None:
        for case_id, doc in self.docs.items():
            finish_doc(self.rows[case_id], doc)
        if self.applied:
            self.db.execute(insert(AppliedMutation), self.applied)  # writes the cases (and their facts) first
        if self.bumped:
            # Places are taken last: the counter's lock is held from here to the commit (setting the places
            # and committing), so every push of every server waits on it as briefly as can be.
            self.db.flush()
            last = take_seqs(self.db, len(self.bumped))
            for place, row in enumerate(self.bumped, start=last - len(self.bumped) + 1):
                row.seq = place


def apply_batch(db: Session, mutations: list[Mutation], account: Account,
                checks: Checks | None = None) -> list[dict[str, Any]]:
    """Answer every mutation of a batch, in order; the caller commits."""
    batch = _Batch(db, mutations, account, checks or Checks())
    results = [_apply(batch, m) for m in mutations]
    batch.finish()
    return results


def _apply(batch: _Batch, m: Mutation) -> dict[str, Any]:
    if m.id in batch.seen:
        return _result(m.id, "duplicate", batch.seen[m.id])
    if m.type == "audit.recorded":
        # The client's audit trail (reveals, reports, discards, purges) is kept on the server as it came,
        # whether or not the case is still the collector's.
        try:
            AuditRecorded.model_validate(m.payload)
        except ValidationError as exc:
            return _result(m.id, "rejected", None, "invalid", str(exc.errors()[0]["msg"]))
        batch.record(m, None)
        return _result(m.id, "applied", None)
    row = batch.rows.get(m.case_id)
    if not visible(row, batch.account):
        # Same answer whether the case does not exist or belongs to someone else: nothing leaks.
        return _result(m.id, "rejected", None, "not_found", "no such open case for this user")
    assert row is not None
    try:
        payload = PAYLOADS[m.type].model_validate(m.payload)
    except ValidationError as exc:
        fields = [{"loc": [str(p) for p in e["loc"]], "message": e["msg"]} for e in exc.errors()]
        return _result(m.id, "rejected", row.version, "invalid", f"{fields[0]['loc']}: {fields[0]['message']}", fields)
    refused = entry_errors(m, payload, batch.peek(row), batch.checks, batch.now)
    if refused:
        fields = [{"loc": loc, "message": message} for loc, message in refused]
        return _result(m.id, "rejected", row.version, "invalid", f"{'.'.join(refused[0][0])}: {refused[0][1]}", fields)
    if m.type in VERSIONED and m.base_version < row.version:
        return _result(m.id, "conflict", row.version, "stale",
                       f"the case changed (version {row.version}, yours {m.base_version}); review and resubmit")
    doc = batch.doc(row)
    data = payload.model_dump(mode="json")
    at = m.occurred_at.isoformat()
    if m.type == "contact.logged":
        doc.setdefault("contacts", []).append({"id": m.id, "at": at, "collector": batch.account.username, **data})
        _take_effect(doc, data, m.occurred_at)
    elif m.type == "promise.created":
        doc.setdefault("promises", []).append({"id": m.id, "made_at": at, "due_date": data["due_date"],
                                               "amount": data["amount"], "status": "outstanding"})
    elif m.type == "callback.scheduled":
        doc.setdefault("callbacks", []).append({"id": m.id, "at": data["at"], "note": data["note"]})
    elif m.type == "plan.submitted":
        doc.setdefault("plans", []).append({"id": m.id, "type": data["type"], "status": "submitted", "created_at": at,
                                            "detail": data})
    elif m.type == "customer.contact_corrected":
        _correct(doc, data, m.occurred_at.date())
    elif m.type == "message.requested":
        doc.setdefault("messages", []).append(_send(batch.checks, m, data, doc, batch.now))
    batch.bump(row)
    batch.record(m, row.version)
    return _result(m.id, "applied", row.version)


def _take_effect(doc: dict[str, Any], data: dict[str, Any], at: datetime) -> None:
    """What an outcome changes on the case: a suppression it starts, a number it shows dead or reached."""
    customer = doc["customer"]
    if data["disposition"] in SUPPRESSING:
        everywhere = data["disposition"] != "cease_requested" or data.get("scope") == "all"
        customer.setdefault("suppressions", []).append({
            "type": data["disposition"], "channel": None if everywhere else data["channel"],
            "since": at.date().isoformat(), "origin": "contact",
            **({"hours": data.get("scope", "")} if data["disposition"] == "inconvenient_time" else {})})
    if data["channel"] != "phone" or not data.get("number"):
        return
    contact = Contact(at, data["channel"], data["disposition"], data["target"], data["number"])
    for phone in customer.get("phones", []):
        if phone["number"] != data["number"]:
            continue
        if data["disposition"] in DEAD_NUMBER:
            phone["reachable"] = False
        elif contact.right_party:
            phone["reachable"] = True
            if not phone.get("last_reached_at") or datetime.fromisoformat(phone["last_reached_at"]) < at:
                phone["last_reached_at"] = at.isoformat()


def _message_errors(payload: MessageRequested, doc: dict[str, Any]) -> list[FieldError]:
    """A message goes only to the customer's own number or address, on a channel they have not refused."""
    customer = doc.get("customer", {})
    known = [p.get("number") for p in customer.get("phones", [])] if payload.channel == "sms" else \
        [e.get("address") for e in customer.get("emails", [])]
    errors = [] if payload.to in known else [FieldError("to", "message.not_the_customers", {})]
    if customer.get("consents", {}).get("channels", {}).get(payload.channel) is False:
        errors.append(FieldError("channel", "check.no_consent", {"channel": payload.channel}))
    return errors


def _send(checks: Checks, m: Mutation, data: dict[str, Any], doc: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Record the message and hand it to the gateway, or hold it until the customer's allowed hours open (a push
    may come long after the collector asked, and the hours hold when it leaves)."""
    zone = doc.get("customer", {}).get("timezone") or "UTC"
    zones = candidate_zones(zone, [data["to"]] if data["channel"] == "sms" else [])
    message = {"id": m.id, "requested_at": m.occurred_at.isoformat(), "channel": data["channel"], "to": data["to"],
               "template": data["template"], "body": data["body"], "status_at": now.isoformat(), "reason": ""}
    if not window_open(checks.pack, zones, now):
        return {**message, "status": "held", "send_at": next_window_open(checks.pack, zones, now).isoformat(),
                "reason": checks.pack.hours.rule}
    status, reason = checks.gateway.send({**message, "case_id": m.case_id, "locale": data["locale"]})
    return {**message, "status": status, "reason": reason}


def _correct(doc: dict[str, Any], data: dict[str, Any], day: date) -> None:
    customer = doc["customer"]
    if data["field"] == "phone":
        customer["phones"].insert(0, {"number": data["value"], "type": "mobile", "verified": True, "reachable": True,
                                      "added_at": day.isoformat(), "last_reached_at": None})
    elif data["field"] == "email":
        customer["emails"].insert(0, {"address": data["value"], "verified": True})
    else:
        customer["address"] = {**customer.get("address", {}), "line": data["value"], "verified": True,
                               "mismatch_reported_at": None}
    customer.setdefault("contact_changes", []).append({"at": day.isoformat(), "field": data["field"],
                                                       "reported_by_customer": True})
    customer["contact_info_confirmed_at"] = day.isoformat()


def forget_old(db: Session, now: float | None = None, days: int = DEDUPE_DAYS) -> int:
    """Drop dedupe records older than `days`; returns how many."""
    cutoff = (now or time.time()) - days * 86400
    result = db.execute(delete(AppliedMutation).where(AppliedMutation.received_at < cutoff))
    db.commit()
    return int(result.rowcount or 0)
