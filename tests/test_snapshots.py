"""One snapshot per screen, in both locales, at 80x24: signed in, on a deterministic portfolio with a frozen
clock, and an outbox holding work both waiting and refused. Each golden is a screen someone would sign off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from collector_tui.app import CollectorApp
from collector_tui.config import Settings
from collector_tui.storage import actions, outbox
from collector_tui.storage.queries import queue_page
from collector_tui.sync.service import run_sync
from tests.conftest import SYNC_AT, RunningServer, SnapCompare


@pytest.fixture
def synced(server: RunningServer, cache: Engine) -> Engine:
    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    # Local work in the outbox: one contact waiting to be pushed, one the server refused with its reason.
    first, second = (r.id for r in queue_page(cache, 0, 2))
    actions.log_contact(cache, first, at=SYNC_AT + timedelta(minutes=5), channel="sms", disposition="message_left")
    refused = actions.log_contact(cache, second, at=SYNC_AT + timedelta(minutes=6), channel="phone",
                                  disposition="no_answer")
    outbox.settle(cache, [], {refused: "rejected: the case changed; review and resubmit"}, [refused])
    return cache


def app_for(cache: Engine, locale: str) -> CollectorApp:
    # Signed in (a token is held), never syncing: nothing on screen depends on the server's port.
    return CollectorApp(cache, settings=Settings(locale=locale), api="http://127.0.0.1:1", user="demo",
                        token="snapshot-token", clock=lambda: SYNC_AT)


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_queue_snapshot(snap_compare: SnapCompare, synced: Engine, locale: str) -> None:
    assert snap_compare(app_for(synced, locale), terminal_size=(80, 24))


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_profile_snapshot(snap_compare: SnapCompare, synced: Engine, locale: str) -> None:
    assert snap_compare(app_for(synced, locale), press=["j", "enter"], terminal_size=(80, 24))


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_help_snapshot(snap_compare: SnapCompare, synced: Engine, locale: str) -> None:
    assert snap_compare(app_for(synced, locale), press=["question_mark"], terminal_size=(80, 24))


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_contact_form_snapshot(snap_compare: SnapCompare, synced: Engine, locale: str) -> None:
    assert snap_compare(app_for(synced, locale), press=["c"], terminal_size=(80, 24))


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_outbox_snapshot(snap_compare: SnapCompare, synced: Engine, locale: str) -> None:
    assert snap_compare(app_for(synced, locale), press=["o"], terminal_size=(80, 24))


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_plan_snapshot(snap_compare: SnapCompare, synced: Engine, locale: str) -> None:
    assert snap_compare(app_for(synced, locale), press=["p"], terminal_size=(80, 24))
