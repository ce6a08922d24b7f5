"""Messages that are sent: an SMS or e-mail from the stage's template, checked by the rule pack (consent, hours, a
cap a channel a day), recorded here with its contact, pushed once as `message.requested`; the reference server hands
it to its gateway (or holds it until the customer's hours) and the feed brings its state back to the profile."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from textual.pilot import Pilot
from textual.widgets import Select

from collector_tui.app import CollectorApp
from collector_tui.config import Settings
from collector_tui.domain.facts import CaseFacts, Contact, Phone
from collector_tui.domain.messages import check_message
from collector_tui.policies import load_pack
from collector_tui.screens.message import MessageScreen
from collector_tui.screens.profile import ProfileScreen
from collector_tui.server.gateway import RecordingGateway
from collector_tui.server.models import AppliedMutation, CaseDoc
from collector_tui.server.mutations import Checks
from collector_tui.server.runner import ServerThread, prepare
from collector_tui.server.store import SeedSpec
from collector_tui.storage import outbox
from collector_tui.storage.models import Customer
from collector_tui.storage.queries import case_detail, queue_page
from collector_tui.sync.client import ApiClient
from collector_tui.sync.service import run_sync
from tests.conftest import AS_OF, present
from tests.test_phone import notices
from tests.test_tui import plain
from tests.test_tui_contact import MORNING, NIGHT

pytestmark = pytest.mark.anyio
SH = ZoneInfo("Asia/Shanghai")
CN, US = load_pack("cn"), load_pack("us-regf")


def _facts(**kw: Any) -> CaseFacts:
    f = CaseFacts(case_id="C-0001", dpd=40, overdue_amount=Decimal(1000), currency="CNY", timezone="Asia/Shanghai",
                  overdue_since=date(2026, 10, 18), phones=(Phone("+8613800000000", True),),
                  consents={"phone": True, "sms": True, "email": True})
    return replace(f, **kw)


def test_the_pack_checks_consent_hours_and_a_cap_a_channel_a_day() -> None:
    now = datetime(2026, 11, 27, 11, 0, tzinfo=SH)
    assert check_message(CN, _facts(), channel="sms", now=now, to="+8613800000000").allowed
    no_consent = check_message(CN, _facts(consents={"sms": False}), channel="sms", now=now)
    assert (no_consent.allowed, no_consent.rule) == (False, "CN-PIPL-CONSENT")
    night = check_message(CN, _facts(), channel="email", now=datetime(2026, 11, 27, 23, 0, tzinfo=SH))
    assert (night.allowed, night.rule, night.next_allowed_at) == (
        False,
        "CN-HOURS",
        datetime(2026, 11, 28, 8, 0, tzinfo=SH),
    )
    two = tuple(Contact(now - timedelta(hours=h), "sms", "message_left") for h in (1, 2))
    capped = check_message(CN, _facts(contacts=two), channel="sms", now=now)
    assert (capped.allowed, capped.rule, capped.params) == (
        False,
        "CN-HOUSE-MESSAGES",
        {"count": 2, "max": 2, "channel": "sms"},
    )
    assert capped.next_allowed_at == datetime(2026, 11, 28, 8, 0, tzinfo=SH)
    assert check_message(CN, _facts(contacts=two), channel="email", now=now).allowed  # a cap a channel
    yesterday = tuple(Contact(now - timedelta(days=1), "sms", "message_left") for _ in range(3))
    assert check_message(CN, _facts(contacts=yesterday), channel="sms", now=now).allowed
    one = (Contact(datetime(2026, 11, 27, 9, 0, tzinfo=ZoneInfo("America/New_York")), "sms", "message_left"),)
    assert (
        check_message(
            US,
            _facts(contacts=one, timezone="America/New_York", phones=(Phone("+12125550100", True),)),
            channel="sms",
            now=datetime(2026, 11, 27, 11, 0, tzinfo=ZoneInfo("America/New_York")),
        ).rule
        == "US-HOUSE-MESSAGES"
    )


class Gatewayed:
    """The reference server on loopback with a gateway the test can look into, and the server's own clock."""

    clock: dict[str, datetime]  # set by the fixture: the time the server's clock reads

    def __init__(self, tmp_path: Path, clock: Callable[[], datetime]) -> None:
        self.engine, _ = prepare(tmp_path / "server.db", SeedSpec(seed=7, cases=120, collectors=2, as_of=AS_OF))
        self.gateway = RecordingGateway()
        self.thread = ServerThread(self.engine, admin=True, checks=Checks(gateway=self.gateway, clock=clock)).start()
        self.url = self.thread.url

    def token(self) -> str:
        with ApiClient(self.url) as client:
            return client.login("demo", "demo").access_token

    def stored(self, case_id: str) -> list[dict[str, Any]]:
        import json

        with Session(self.engine) as session:
            return json.loads(present(session.get(CaseDoc, case_id)).doc).get("messages", [])  # type: ignore[no-any-return]


@pytest.fixture
def gatewayed(tmp_path: Path) -> Iterator[Gatewayed]:
    clock = {"now": MORNING}
    server = Gatewayed(tmp_path, lambda: clock["now"])
    server.clock = clock
    yield server
    server.thread.stop()
    server.engine.dispose()


def sms_case(cache: Engine) -> str:
    """A callable case in Shanghai whose customer agreed to SMS and to e-mail."""
    with cache.connect() as conn:
        ok = {cid for cid, consents, tz in conn.execute(select(Customer.case_id, Customer.consents, Customer.timezone))
              if consents["channels"].get("sms") and consents["channels"].get("email") and tz == "Asia/Shanghai"}
    return next(r.id for r in queue_page(cache, 0, 60) if r.callable and r.id in ok)


async def send_from_the_profile(
    app: CollectorApp, pilot: Pilot[None], case_id: str, channel: str = "sms"
) -> MessageScreen:
    app.open_case(case_id)
    await pilot.pause()
    await pilot.press("m")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, MessageScreen)
    screen.query_one("#channel", Select).value = channel
    await pilot.pause()
    return screen


async def test_a_message_reaches_the_server_once_and_its_state_comes_back(gatewayed: Gatewayed, cache: Engine) -> None:
    token = gatewayed.token()
    run_sync(cache, gatewayed.url, "demo", token, now=lambda: MORNING)
    case_id = sms_case(cache)
    detail = case_detail(cache, case_id)
    assert detail is not None
    name = detail.customer.name
    app = CollectorApp(cache, settings=Settings(locale="en", institution="Acme Lending"), api=gatewayed.url,
                       user="demo", token=token, clock=lambda: MORNING)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        screen = await send_from_the_profile(app, pilot, case_id)
        preview = plain(screen.query_one("#message-preview"))
        assert "Acme Lending" in preview and name not in preview  # the name stays masked on screen
        assert "Allowed now" in plain(screen.query_one("#message-check"))
        number = screen.query_one("#to", Select).value
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ProfileScreen) and "goes out through the server" in notices(app)
        entries = outbox.entries(cache)
        assert [e.type for e in entries] == ["contact.logged", "message.requested"]
        wire = [e.wire() for e in entries]
        body = entries[1].payload["body"]
        assert (
            entries[1].payload["to"] == number
            and name in body
            and entries[1].payload["template"].startswith("sms.stage")
        )
        assert entries[0].payload["disposition"] == "message_left" and entries[1].payload["contact_id"] == entries[0].id
        shown = plain(app.screen.query_one("#messages"))
        assert "waiting to be sent (pending)" in shown and "Asked (Asia/Shanghai)" in shown and str(number) not in shown
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert outbox.entries(cache) == []
        assert "sent" in plain(app.screen.query_one("#messages")) and "waiting" not in plain(
            app.screen.query_one("#messages")
        )
        # The same push again (an answer lost on the way): the server answers duplicate and sends nothing more.
        with ApiClient(gatewayed.url, token) as client:
            again = client.push(wire)
        assert [r.status for r in again.results] == ["duplicate", "duplicate"]
        assert [m["id"] for m in gatewayed.gateway.sent] == [entries[1].id] and gatewayed.gateway.sent[0][
            "body"
        ] == body
        assert [m["id"] for m in gatewayed.stored(case_id)] == [entries[1].id]
        with Session(gatewayed.engine) as session:
            assert session.execute(select(AppliedMutation.id).where(AppliedMutation.id == entries[1].id)).all() != []
        # The gateway reports delivery; the next sync shows it.
        reported = httpx.post(
            f"{gatewayed.url}/v1/admin/messages/{entries[1].id}", json={"status": "delivered"}, timeout=10
        )
        assert reported.status_code == 200
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "delivered" in plain(app.screen.query_one("#messages"))


async def test_a_message_pushed_at_night_is_held_until_the_customers_hours(gatewayed: Gatewayed, cache: Engine) -> None:
    token = gatewayed.token()
    run_sync(cache, gatewayed.url, "demo", token, now=lambda: MORNING)
    case_id = sms_case(cache)
    app = CollectorApp(cache, settings=Settings(locale="zh_CN"), api=gatewayed.url, user="demo", token=token,
                       clock=lambda: MORNING)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await send_from_the_profile(app, pilot, case_id, channel="email")
        await pilot.press("ctrl+s")
        await pilot.pause()
        gatewayed.clock["now"] = NIGHT  # the push comes at 23:00, the customer's night
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert gatewayed.gateway.sent == []
        [held] = gatewayed.stored(case_id)
        assert held["status"] == "held" and held["send_at"] == "2026-11-28T08:00:00+08:00"
        assert "暂缓至 11-28 08:00" in plain(app.screen.query_one("#messages"))


async def test_the_rule_pack_blocks_a_third_sms_today(gatewayed: Gatewayed, cache: Engine) -> None:
    run_sync(cache, gatewayed.url, "demo", gatewayed.token(), now=lambda: MORNING)
    case_id = sms_case(cache)
    app = CollectorApp(cache, settings=Settings(locale="en"), user="demo", clock=lambda: MORNING)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for _ in range(2):
            await send_from_the_profile(app, pilot, case_id)
            await pilot.press("ctrl+s")
            await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
        screen = await send_from_the_profile(app, pilot, case_id)
        check = plain(screen.query_one("#message-check"))
        assert "CN-HOUSE-MESSAGES" in check and "2 messages by SMS today (max 2)" in check
        assert screen.query_one("#send").disabled
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen and "Not sent" in notices(app)
    assert [e.type for e in outbox.entries(cache)].count("message.requested") == 2


def test_the_server_refuses_an_address_that_is_not_the_customers(gatewayed: Gatewayed, cache: Engine) -> None:
    token = gatewayed.token()
    run_sync(cache, gatewayed.url, "demo", token, now=lambda: MORNING)
    case_id = sms_case(cache)
    mutation = {"id": "m-not-theirs", "type": "message.requested", "case_id": case_id, "base_version": 0,
                "occurred_at": MORNING.isoformat(),
                "payload": {"channel": "sms", "to": "+8613900000000", "body": "hello", "template": "sms.stage1"}}
    with ApiClient(gatewayed.url, token) as client:
        [result] = client.push([mutation]).results
    assert result.status == "rejected" and "not one of the customer's numbers" in result.error.message  # type: ignore[union-attr]
    assert gatewayed.gateway.sent == [] and gatewayed.stored(case_id) == []
