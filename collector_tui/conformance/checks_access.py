"""Who may do what: signing in, tokens refused, a collector's own cases only, leads' figures, error bodies."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import ValidationError

from collector_tui import api
from collector_tui.conformance.state import (
    Failed,
    NotACollector,
    NotRun,
    Run,
    expect_result,
    expect_status,
    mutation,
    parse,
)
from collector_tui.locale import t

CHECKLIST = {"items": {"conformance": True}}  # the least a collector records: a checklist ticked


def sign_in(run: Run) -> str:
    good = run.wire.call("POST", "/v1/auth/token", body={"username": run.user, "password": run.password})
    expect_status(good, 200)
    token = parse(api.Token, good)
    me_answer = run.wire.call("GET", "/v1/me", token=token.access_token)
    expect_status(me_answer, 200)
    me = parse(api.Me, me_answer)
    if me.id != run.user:
        raise Failed("me_other", user=run.user, id=me.id)
    run.token, run.me = token.access_token, me
    if me.role != "collector":
        raise NotACollector(me.role)
    wrong = run.wire.call("POST", "/v1/auth/token", body={"username": run.user, "password": run.password + "-not"})
    expect_status(wrong, 401)
    return t("conformance.ev.sign_in_ok", user=me.id, role=me.role, expires=token.expires_in)


def token_refused(run: Run) -> str:
    token = run.signed_in()  # sent in the wrong scheme below
    asked = 0
    for method, path, body in (("GET", "/v1/me", None), ("GET", "/v1/cases", None),
                               ("POST", "/v1/mutations", {"mutations": []})):
        for auth in (None, "Bearer conformance-made-up-token", f"Basic {token}"):
            answer = run.wire.call(method, path, raw_auth=auth, body=body)
            expect_status(answer, 401)
            asked += 1
    return t("conformance.ev.token_refused_ok", count=asked)


def cross_collector(run: Run) -> str:
    run.fed()
    assert run.me is not None
    for case_id, owner in run.assigned.items():
        if owner != run.me.id:
            raise Failed("not_assigned", case=case_id, owner=owner or "-", user=run.me.id)
    made_up = mutation("checklist.completed", f"conformance-no-such-case-{len(run.held)}", 0, CHECKLIST)
    answer, (result,) = run.push([made_up])
    expect_result(answer, result, "rejected", "not_found")
    if run.other is None:
        return t("conformance.ev.cross_alone", count=len(run.assigned), user=run.me.id)
    name, password = run.other
    signed = run.wire.call("POST", "/v1/auth/token", body={"username": name, "password": password})
    if signed.status != 200:
        raise NotRun("other_sign_in", user=name, status=signed.status)
    other_token = parse(api.Token, signed).access_token
    page_answer = run.wire.call("GET", "/v1/cases", token=other_token, params={"limit": run.limit})
    expect_status(page_answer, 200)
    theirs = [i.id for i in parse(api.CasesPage, page_answer).items if isinstance(i, api.Case) and i.status == "open"]
    if not theirs:
        raise NotRun("no_cases", user=name)
    shared = sorted(set(theirs) & set(run.assigned))
    if shared:
        raise Failed("shared_case", case=shared[0], other=name, user=run.me.id)
    answer, (result,) = run.push([mutation("checklist.completed", theirs[0], 0, CHECKLIST)])
    expect_result(answer, result, "rejected", "not_found")
    return t("conformance.ev.cross_ok", count=len(run.assigned), user=run.me.id, other=name, case=theirs[0])


def leads_only(run: Run) -> str:
    today = date.today()
    answer = run.wire.call("GET", "/v1/team/contact-stats", token=run.signed_in(),
                           params={"from": (today - timedelta(days=7)).isoformat(), "to": today.isoformat()})
    expect_status(answer, 403)
    return t("conformance.ev.leads_only_ok", request=answer.request)


def error_body(run: Run) -> str:
    if not run.wire.errors:
        raise NotRun("no_errors")
    for answer in run.wire.errors:
        try:
            body = api.Error.model_validate(answer.body)
        except ValidationError:
            raise Failed("error_shape", request=answer.request, status=answer.status, body=answer.shown()) from None
        if not body.error.code or not body.error.message:
            raise Failed("error_shape", request=answer.request, status=answer.status, body=answer.shown())
    statuses = sorted({a.status for a in run.wire.errors})
    return t("conformance.ev.error_body_ok", count=len(run.wire.errors), statuses=", ".join(map(str, statuses)))
