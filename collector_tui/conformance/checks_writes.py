"""Pushing work: a mutation id stored once, a stale version refused, a bad request refused with 422."""

from __future__ import annotations

from collector_tui import api
from collector_tui.conformance.checks_access import CHECKLIST
from collector_tui.conformance.feed import pull
from collector_tui.conformance.state import Failed, Run, expect_result, expect_status, mutation, parse
from collector_tui.locale import t

CORRECTION = {"field": "address", "value": "Conformance check", "reason": "conformance"}


def idempotency(run: Run) -> str:
    case_id = run.fed()
    once = mutation("checklist.completed", case_id, run.held[case_id], CHECKLIST)
    answer, (first,) = run.push([once])
    expect_result(answer, first, "applied")
    answer, (again,) = run.push([once])
    expect_result(answer, again, "duplicate")
    if again.case_version != first.case_version:
        raise Failed("duplicate_version", id=once["id"], first=first.case_version, again=again.case_version)
    twice = mutation("checklist.completed", case_id, run.held[case_id], CHECKLIST)
    answer, (one, other) = run.push([twice, twice])
    expect_result(answer, one, "applied")
    expect_result(answer, other, "duplicate")
    # Stored once: the case in the feed is at the version the last applied mutation gave it, no further.
    done = pull(run, run.cursor)
    seen = [i.version for i in done.items if i.id == case_id]
    if not seen or seen[-1] != one.case_version:
        raise Failed("stored_twice", case=case_id, applied=one.case_version, feed=seen[-1] if seen else "-")
    return t("conformance.ev.idempotency_ok", case=case_id, version=one.case_version)


def conflict(run: Run) -> str:
    case_id = run.fed()
    pull(run, run.cursor)  # the case as it is now, whatever the checks before did to it
    current = run.held[case_id]
    if current == 0:  # no version is older than the first: make a second one
        answer, (made,) = run.push([mutation("checklist.completed", case_id, 0, CHECKLIST)])
        expect_result(answer, made, "applied")
        pull(run, run.cursor)
        current = run.held[case_id]
    stale = mutation("customer.contact_corrected", case_id, current - 1, CORRECTION)
    for _ in range(2):  # refused, so not stored: the same id sent again is judged again, not `duplicate`
        answer, (result,) = run.push([stale])
        expect_result(answer, result, "conflict")
        if result.case_version != current:
            raise Failed("conflict_version", id=stale["id"], got=result.case_version, current=current)
    done = pull(run, run.cursor)
    changed = [i.version for i in done.items if i.id == case_id]
    if changed and changed[-1] != current:
        raise Failed("conflict_stored", case=case_id, version=changed[-1], current=current)
    return t("conformance.ev.conflict_ok", case=case_id, base=current - 1, current=current)


def validation(run: Run) -> str:
    case_id = run.fed()
    token = run.signed_in()
    unknown = {**mutation("checklist.completed", case_id, 0, CHECKLIST), "type": "conformance.no_such_type"}
    bad_batch = run.wire.call("POST", "/v1/mutations", token=token, body={"mutations": [unknown]})
    expect_status(bad_batch, 422)
    fields = (bad_batch.body or {}).get("error", {}).get("fields") if isinstance(bad_batch.body, dict) else None
    if not isinstance(fields, list) or not fields:
        raise Failed("no_fields", request=bad_batch.request, body=bad_batch.shown())
    expect_status(run.wire.call("GET", "/v1/cases", token=token, params={"limit": 0}), 422)
    expect_status(run.wire.call("GET", "/v1/cases", token=token, params={"limit": 1, "since": "!conformance!"}), 400)
    empty = mutation("checklist.completed", case_id, run.held[case_id], {"items": {}})
    for _ in range(2):  # refused, so not stored: judged again
        answer, (result,) = run.push([empty])
        expect_result(answer, result, "rejected", "invalid")
    body = parse(api.Error, bad_batch)
    return t("conformance.ev.validation_ok", code=body.error.code, fields=len(fields))
