"""Every limit the server holds a pushed value to is held where the value is typed, with the same declaration.

The payload models of `api/payloads.py` are the server's (it validates each mutation with them) and the
client's (`work/limits.py` checks what is about to be recorded with them). The first test walks every
constraint those models declare, so a new server limit the client cannot say in words fails it; the others
type the values issue 15 found (a 40-digit number, a 400-digit amount, a contact dated years ahead, a long
note) into the real CLI and the real app's forms: each is refused naming the field and the limit, and the
outbox stays empty.
"""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta, UTC
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import pytest
from pydantic import BaseModel
from sqlalchemy import Engine
from textual.widgets import Input, TextArea

from collector_tui.api import payloads
from collector_tui.app import CollectorApp
from collector_tui.config import Settings
from collector_tui.locale import catalogue, set_locale, t
from collector_tui.screens.outbox import EntryEditor, OutboxScreen
from collector_tui.server import mutations as server_mutations
from collector_tui.storage import actions, outbox
from collector_tui.widgets.note_area import NoteArea
from collector_tui.work.limits import payload_errors
from tests.conftest import CLI, cli_env, present
from tests.test_entry_cli import a_chinese_case, home, pending  # noqa: F401  (home is a fixture)
from tests.test_tui_contact import MORNING, first_callable_chinese_case
from tests.test_tui_entry import error, open_form, synced  # noqa: F401  (synced is a fixture)

# One payload of each kind the server applies: each limit is broken on a copy of it.
GOOD: dict[str, dict[str, Any]] = {
    "contact.logged": {"channel": "phone", "disposition": "rpc"},
    "promise.created": {"due_date": "2026-12-01", "amount": "100.00", "currency": "CNY"},
    "callback.scheduled": {"at": "2026-12-01T10:00:00+08:00"},
    "plan.submitted": {"type": "reinstalment", "restructured": "100.00",
                       "instalments": [{"seq": 1, "due_date": "2026-12-01", "amount": "100.00"}]},
    "checklist.completed": {"items": {"identity": True}},
    "customer.contact_corrected": {"field": "phone", "value": "+8613800000000"},
    "audit.recorded": {"action": "reveal"},
    "message.requested": {"channel": "sms", "to": "+8613800000000", "body": "hello"},
}
CONSTRAINTS = ("max_length", "min_length", "ge", "gt", "le", "lt", "max_digits", "decimal_places", "pattern")


def _breaking(kind: str, limit: Any, good: Any) -> Any:
    """A value just past one declared limit, of the type `good` has."""
    if kind == "max_length":
        if isinstance(good, list):
            return good * (limit + 1)
        if isinstance(good, dict):
            return {f"k{i}": True for i in range(limit + 1)}
        return "9" * (limit + 1)
    if kind == "min_length":
        return type(good)() if limit == 1 else "x" * (limit - 1)
    if kind in ("ge", "gt"):
        return limit - 1
    if kind in ("le", "lt"):
        return limit + 1
    if kind == "max_digits":
        return "9" * (limit + 1)
    if kind == "decimal_places":
        return "1." + "1" * (limit + 1)
    if kind == "pattern":
        return "not-this-form!"
    raise AssertionError(f"no breaking value for a {kind} limit")


def limits(model: type[BaseModel]) -> list[tuple[str, str, Any]]:
    """(field, constraint, limit) for each constraint a model declares, a Literal's codes as `literal`."""
    found = []
    for name, info in model.model_fields.items():
        if get_origin(info.annotation) is Literal:
            found.append((name, "literal", get_args(info.annotation)))
        for meta in info.metadata:
            declared = [(c, getattr(meta, c)) for c in CONSTRAINTS if getattr(meta, c, None) is not None]
            assert declared, f"{model.__name__}.{name} declares {meta!r}, which the client has no message for"
            found += [(name, c, v) for c, v in declared]
    return found


def cases() -> list[tuple[str, str, str, Any, dict[str, Any]]]:
    """(mutation type, field, constraint, limit, payload breaking it): also inside a list of nested models."""
    out = []
    for mtype, model in payloads.PAYLOADS.items():
        for name, kind, limit in limits(model):
            good = GOOD[mtype].get(name, model.model_fields[name].get_default(call_default_factory=True))
            bad = "not-a-code" if kind == "literal" else _breaking(kind, limit, good)
            out.append((mtype, name, kind, limit, {**GOOD[mtype], name: bad}))
        for name, info in model.model_fields.items():
            inner = get_args(info.annotation)
            nested = isinstance(inner[0], type) and issubclass(inner[0], BaseModel) if inner else False
            if get_origin(info.annotation) is list and nested:
                item = GOOD[mtype][name][0]
                for sub, kind, limit in limits(inner[0]):
                    broken = {**item, sub: _breaking(kind, limit, item[sub])}
                    out.append((mtype, name, kind, limit, {**GOOD[mtype], name: [broken]}))
    return out


def test_the_server_validates_with_the_contract_the_client_checks_with() -> None:
    assert server_mutations.PAYLOADS is payloads.PAYLOADS
    assert set(GOOD) == set(payloads.PAYLOADS)  # a new kind of mutation needs its example here
    assert all(payload_errors(mtype, payload) == [] for mtype, payload in GOOD.items())


@pytest.mark.parametrize(("mtype", "field", "kind", "limit", "payload"), cases(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_every_limit_the_server_declares_is_refused_by_the_client_in_words(
        mtype: str, field: str, kind: str, limit: Any, payload: dict[str, Any]) -> None:
    # The server refuses it...
    with pytest.raises(ValueError):
        payloads.PAYLOADS[mtype].model_validate(payload)
    # ...and so does the client, on that field, with a message of its own in both languages naming the limit.
    [refused] = payload_errors(mtype, payload, entered={})
    assert refused.field == field and refused.key != "limit.invalid", refused
    for locale in ("en", "zh_CN"):
        assert refused.key in catalogue(locale)
        set_locale(locale)
        text = t(refused.key, **refused.params)
        figure = "" if kind in ("pattern",) else str(limit[0]) if kind == "literal" else str(limit)
        assert figure in text and "{" not in text, (locale, text)
    set_locale("en")


def run(where: Path, *args: str, locale: str = "en") -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "--locale", locale, *args], capture_output=True, text=True, timeout=120,
                          env=cli_env(where))


def test_the_cli_refuses_at_entry_what_the_server_would_refuse(home: Path) -> None:  # noqa: F811
    case_id, _, _ = a_chinese_case(home)
    contact = ["contact", "add", case_id, "--channel", "phone", "--disposition", "no_answer"]
    in_years = (datetime.now(UTC) + timedelta(days=3 * 365)).isoformat(timespec="minutes")
    soon = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    refused = [
        ([*contact, "--number", "1" * 40], "--number: at most 32 characters", "--number: 最多 32 个字符"),
        (["promise", "add", case_id, "--date", soon, "--amount", "9" * 400],
         "--amount: more than the outstanding balance", "--amount: 超过未还余额"),
        ([*contact, "--at", in_years], "--at: later than now", "--at: 晚于当前时间"),
        ([*contact, "--note", "x" * 2001], "--note: at most 2000 characters", "--note: 最多 2000 个字符"),
        ([*contact, "--duration", "9" * 40], "--duration: at most 14400", "--duration: 最多为 14400"),
    ]
    for args, english, chinese in refused:
        out = run(home, *args)
        assert out.returncode == 2 and english in out.stderr, (args[:4], out.stderr)
        assert "Traceback" not in out.stderr
        zh = run(home, *args, locale="zh_CN")
        assert zh.returncode == 2 and chinese in zh.stderr, (args[:4], zh.stderr)
    assert pending(home) == []
    ok = run(home, *contact, "--number", "1" * 32)  # at the limit is within it
    assert ok.returncode == 0, ok.stderr


@pytest.mark.anyio
async def test_the_forms_refuse_at_entry_what_the_server_would_refuse(synced: Engine) -> None:  # noqa: F811
    case_id = first_callable_chinese_case(synced)
    app = CollectorApp(synced, settings=Settings(locale="en"), user="demo", clock=lambda: MORNING)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        screen = await open_form(app, pilot, case_id, "promise_to_pay")
        screen.query_one("#promise-date", Input).value = (MORNING + timedelta(days=3 * 365)).date().isoformat()
        screen.query_one("#promise-amount", Input).value = "9" * 400
        screen.query_one("#duration", Input).value = "9" * 40
        screen.query_one("#note", NoteArea).text = "x" * 2001
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen
        assert error(screen, "date") == "at most 60 days ahead"
        assert "more than the outstanding balance" in error(screen, "amount")
        assert error(screen, "duration_s") == "at most 14400"
        assert error(screen, "note") == "at most 2000 characters"
        assert outbox.entries(synced) == []
        await pilot.press("escape")
        await pilot.pause()


@pytest.mark.anyio
async def test_the_outbox_editor_refuses_a_number_the_server_would_refuse(synced: Engine) -> None:  # noqa: F811
    case_id = first_callable_chinese_case(synced)
    entry = actions.log_contact(synced, case_id, at=MORNING, channel="phone", disposition="no_answer",
                                number="+8613800000000")
    app = CollectorApp(synced, settings=Settings(locale="en"), user="demo", clock=lambda: MORNING)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, OutboxScreen)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, EntryEditor)
        area = app.screen.query_one(TextArea)
        area.text = area.text.replace("+8613800000000", "1" * 40)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, EntryEditor)
        assert str(app.screen.query_one("#editor-error").render()) == "number: at most 32 characters"
    assert present(outbox.get(synced, entry)).payload["number"] == "+8613800000000"  # nothing changed


def test_a_limit_breaks_at_one_past_it_only() -> None:
    at = {**GOOD["contact.logged"], "number": "1" * payloads.NUMBER_MAX}
    assert payload_errors("contact.logged", at) == []
    big = {**GOOD["promise.created"], "amount": str(Decimal(10) ** (payloads.MONEY_DIGITS - 2) - Decimal("0.01"))}
    assert payload_errors("promise.created", big) == []
