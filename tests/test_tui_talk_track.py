"""The talk track in the real app: in the customer's language whatever the collector's, and says so."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from textual.widgets import Select

from collector_tui.app import CollectorApp
from collector_tui.config import Settings
from collector_tui.screens.contact import ContactScreen
from collector_tui.storage.models import Customer
from collector_tui.sync.service import run_sync
from collector_tui.widgets.talk_track import TalkTrack
from tests.conftest import RunningServer
from tests.test_tui import plain

pytestmark = pytest.mark.anyio
MORNING = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai


@pytest.fixture
def synced(server: RunningServer, cache: Engine) -> Engine:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: MORNING)
    return cache


def case_speaking(cache: Engine, locale: str) -> tuple[str, str]:
    """A case whose customer speaks `locale`, and the customer's name."""
    with cache.connect() as conn:
        row = conn.execute(select(Customer.case_id, Customer.name).where(Customer.locale == locale)
                           .order_by(Customer.case_id)).first()
    assert row is not None, f"the demo portfolio has a customer speaking {locale}"
    return row[0], row[1]


async def track_text(cache: Engine, ui: str, case_id: str, channel: str = "phone") -> tuple[str, str]:
    """What the contact form's talk track shows in a `ui` workbench, and the message drafted (if any)."""
    app = CollectorApp(cache, settings=Settings(locale=ui), user="demo", clock=lambda: MORNING)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        app.push_screen(ContactScreen(case_id))
        await pilot.pause()
        if channel != "phone":
            app.screen.query_one("#channel", Select).value = channel
            await pilot.pause()
        track = app.screen.query_one("#talk-track", TalkTrack)
        return plain(track), track.draft


async def test_an_english_speaking_customer_gets_the_english_track_in_a_chinese_workbench(synced: Engine) -> None:
    case_id, name = case_speaking(synced, "en")
    text, _ = await track_text(synced, "zh_CN", case_id)
    lines = [line for line in text.splitlines() if line.strip()]
    assert "话术为英文（客户的语言）" in lines[0]  # the collector is told, in their own language
    opener = next(line for line in lines if line.startswith("•"))
    assert f"Am I speaking with {name.split()[0]}?" in opener and "Example Consumer Finance" in opener
    assert "请问" not in text
    # The debt is named only after the identity check.
    assert text.index("year of birth") < text.index("overdue")


async def test_a_chinese_speaking_customer_gets_the_chinese_track_in_an_english_workbench(synced: Engine) -> None:
    case_id, name = case_speaking(synced, "zh_CN")
    text, _ = await track_text(synced, "en", case_id)
    lines = [line for line in text.splitlines() if line.strip()]
    assert "In Chinese, the customer's language" in lines[0]
    opener = next(line for line in lines if line.startswith("•"))
    assert f"请问是{name[:1]}" in opener and "示例消费金融" in opener
    assert "Am I speaking" not in text
    assert text.index("出生年份") < text.index("逾期")


async def test_same_language_needs_no_note_and_the_message_draft_follows_the_customer(synced: Engine) -> None:
    case_id, name = case_speaking(synced, "zh_CN")
    text, _ = await track_text(synced, "zh_CN", case_id)
    assert "客户的语言" not in text and "请问是" in text
    text, draft = await track_text(synced, "en", case_id, channel="sms")
    assert "In Chinese, the customer's language" in text
    assert draft.startswith("【示例消费金融】") and name in draft  # named in full, and no figure of the debt
    assert "¥" not in draft and "逾期" not in draft


async def test_a_customer_language_without_a_track_falls_back_to_the_ui_and_says_so(synced: Engine) -> None:
    case_id, _ = case_speaking(synced, "zh_CN")
    with synced.begin() as conn:
        conn.execute(Customer.__table__.update().where(Customer.__table__.c.case_id == case_id).values(locale="fr_FR"))  # type: ignore[attr-defined]
    text, _ = await track_text(synced, "en", case_id)
    assert "No talk track in the customer's language (fr_FR): shown in English" in text
    assert "Am I speaking with" in text
