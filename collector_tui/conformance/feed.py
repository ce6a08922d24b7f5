"""Reading the case feed by the contract's rules: every page checked as it comes, the assignment kept up."""

from __future__ import annotations

from dataclasses import dataclass, field

from collector_tui import api
from collector_tui.conformance.state import Failed, Run, expect_status, parse
from collector_tui.conformance.wire import Answer

MAX_PAGES = 100_000  # a feed that never ends is a failure, not a hang


@dataclass
class Pull:
    """One chain of pages, from the cursor asked with to `has_more: false`."""

    pages: list[tuple[str | None, Answer, api.CasesPage]] = field(default_factory=list)
    end: str | None = None
    short: int = 0  # pages holding fewer items than the limit while more remained

    @property
    def items(self) -> list[api.Case | api.Tombstone]:
        return [item for _, _, page in self.pages for item in page.items]


def pull(run: Run, since: str | None) -> Pull:
    """Read the feed from `since` to its end. A cursor handed out twice in one chain, a page over the limit, a
    `has_more` without a cursor, a version going back: each is a failure naming the page."""
    token = run.signed_in()
    done = Pull()
    asked = since
    given: dict[str, int] = {since: 0} if since else {}  # cursor -> the page that handed it out (0: asked with)
    versions: dict[str, int] = {}
    for number in range(1, MAX_PAGES + 1):
        params: dict[str, object] = {"limit": run.limit}
        if asked:
            params["since"] = asked
        answer = run.wire.call("GET", "/v1/cases", token=token, params=params)
        expect_status(answer, 200)
        page = parse(api.CasesPage, answer)
        done.pages.append((asked, answer, page))
        if len(page.items) > run.limit:
            raise Failed("over_limit", page=number, count=len(page.items), limit=run.limit)
        for item in page.items:
            if item.version < versions.get(item.id, -1):
                raise Failed("version_back", page=number, case=item.id, version=item.version, before=versions[item.id])
            versions[item.id] = item.version
        nxt = page.next_cursor
        if page.has_more and not nxt:
            raise Failed("no_cursor", page=number)
        if nxt and page.has_more and nxt == asked:
            raise Failed("cursor_same", page=number, cursor=nxt)
        if nxt and nxt != asked and nxt in given:
            raise Failed("cursor_again", page=number, cursor=nxt, first=given[nxt])
        if nxt:
            given.setdefault(nxt, number)
        if not page.has_more:
            done.end = nxt or asked
            absorb(run, done)
            return done
        done.short += len(page.items) < run.limit
        asked = nxt
    raise Failed("endless", pages=MAX_PAGES)


def absorb(run: Run, done: Pull) -> None:
    """Bring the assignment up to the end of the pull: open cases held at their version, the rest let go."""
    for item in done.items:
        if isinstance(item, api.Case) and item.status == "open":
            run.held[item.id] = item.version
        else:
            run.held.pop(item.id, None)
    run.cursor = done.end


def head(page: api.CasesPage) -> tuple[list[tuple[str, int, bool]], str | None, bool]:
    """What a re-read must give again: each item's id, version and whether it is a tombstone, and the cursor."""
    return [(i.id, i.version, isinstance(i, api.Tombstone)) for i in page.items], page.next_cursor, page.has_more
