"""The case feed: pages and cursors, the same answer to the same cursor, tombstones for cases that left."""

from __future__ import annotations

import json
import random

from collector_tui import api
from collector_tui.conformance.feed import Pull, head, pull
from collector_tui.conformance.state import Failed, NotRun, Run, expect_status, parse
from collector_tui.locale import t

CHURN_TRIES = 8  # the reference server's churn picks cases at random: ask again until one of ours moves


def feed_pages(run: Run) -> str:
    done = pull(run, None)
    run.first_pull = [(asked, answer) for asked, answer, _ in done.pages]
    run.assigned = {i.id: i.assigned_to for i in done.items if isinstance(i, api.Case) and i.status == "open"}
    return t("conformance.ev.feed_ok", pages=len(done.pages), limit=run.limit, cases=len(run.held), short=done.short)


def cursor_reread(run: Run) -> str:
    run.fed()
    pages = run.first_pull
    # The first page, the second and the last: each cursor asked again must give the same answer.
    picks = sorted({0, min(1, len(pages) - 1), len(pages) - 1})
    for index in picks:
        asked, first = pages[index]
        params: dict[str, object] = {"limit": run.limit}
        if asked:
            params["since"] = asked
        again = run.wire.call("GET", "/v1/cases", token=run.signed_in(), params=params)
        expect_status(again, 200)
        before, after = head(parse(api.CasesPage, first)), head(parse(api.CasesPage, again))
        if before != after:
            raise Failed("reread", request=again.request, page=index + 1, before=_short(before), after=_short(after))
    return t("conformance.ev.reread_ok", count=len(picks))


def _short(head_: tuple[list[tuple[str, int, bool]], str | None, bool]) -> str:
    items, cursor, more = head_
    shown = " ".join(f"{i}@{v}{'†' if dead else ''}" for i, v, dead in items[:6])
    return f"[{shown}{' …' if len(items) > 6 else ''}] next_cursor={cursor} has_more={str(more).lower()}"


def tombstones(run: Run) -> str:
    run.fed()
    if run.churn:
        return _after_churn(run)
    if run.state_file is not None:
        return _since_last_run(run)
    raise NotRun("no_churn_asked")


def _after_churn(run: Run) -> str:
    held = dict(run.held)
    seeds = random.Random(run.churn_seed).sample(range(1, 1_000_000), CHURN_TRIES)
    left: list[str] = []
    for seed in seeds:
        answer = run.wire.call("POST", "/v1/admin/churn", body={"seed": seed, "reassign": 4, "close": 4})
        if answer.status in (404, 405):
            run.wire.errors.remove(answer)  # the reference server's own endpoint: not the contract's error
            raise NotRun("no_churn", status=answer.status)
        expect_status(answer, 200)
        moved = answer.body if isinstance(answer.body, dict) else {}
        left = sorted(set(moved.get("reassigned", []) + moved.get("closed", [])) & set(held))
        if left:
            break
    if not left:
        raise NotRun("churn_missed", tries=CHURN_TRIES, user=run.user)
    return _tombstoned(run, pull(run, run.cursor), left, held)


def _since_last_run(run: Run) -> str:
    """Against any server: the cases a previous run held that have left since must come as tombstones when the
    feed is read from the cursor that run ended with. The state is written for the next run either way."""
    assert run.state_file is not None and run.me is not None
    saved = json.loads(run.state_file.read_text(encoding="utf-8")) if run.state_file.exists() else None
    now = {"api": run.wire.base_url, "user": run.me.id}
    try:
        if saved is None:
            raise NotRun("state_saved", path=run.state_file)
        if {k: saved.get(k) for k in now} != now:
            raise NotRun("state_other", path=run.state_file, user=saved.get("user"), api=saved.get("api"))
        held: dict[str, int] = saved["cases"]
        left = sorted(set(held) - set(run.held))
        if not left:
            raise NotRun("state_none_left", path=run.state_file, user=run.me.id)
        # Reading on from the old cursor moves the assignment forward: keep the one the feed gave just now.
        current, cursor = dict(run.held), run.cursor
        try:
            return _tombstoned(run, pull(run, saved["cursor"]), left, held)
        finally:
            run.held, run.cursor = current, cursor
    finally:
        run.state_file.write_text(json.dumps({**now, "cursor": run.cursor, "cases": run.held}), encoding="utf-8")


def _tombstoned(run: Run, done: Pull, left: list[str], held: dict[str, int]) -> str:
    dead = {i.id: i for i in done.items if isinstance(i, api.Tombstone)}
    for case_id in left:
        tomb = dead.get(case_id)
        if tomb is None:
            raise Failed("no_tombstone", case=case_id, cursor=done.pages[0][0] or "-", pages=len(done.pages))
        if tomb.version < held[case_id]:
            raise Failed("tombstone_old", case=case_id, version=tomb.version, held=held[case_id])
        if case_id in run.held:
            raise Failed("tombstone_held", case=case_id)
    return t("conformance.ev.tombstones_ok", count=len(left), cases=" ".join(left))
