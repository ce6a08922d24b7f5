"""One snapshot per screen, in both locales, at 80x24; a deterministic portfolio and a frozen clock."""

from __future__ import annotations

import pytest

from collector_tui.app import CollectorApp
from collector_tui.config import Settings
from collector_tui.sync.service import run_sync
from tests.conftest import SYNC_AT


@pytest.fixture
def synced(server, cache):  # type: ignore[no-untyped-def]
    run_sync(cache, server.url, "demo", server.token(), now=lambda: SYNC_AT)
    return cache


def app_for(cache, locale: str) -> CollectorApp:  # type: ignore[no-untyped-def]
    return CollectorApp(cache, settings=Settings(locale=locale), user="demo", clock=lambda: SYNC_AT)


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_queue_snapshot(snap_compare, synced, locale) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app_for(synced, locale), terminal_size=(80, 24))


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_profile_snapshot(snap_compare, synced, locale) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app_for(synced, locale), press=["j", "enter"], terminal_size=(80, 24))


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_help_snapshot(snap_compare, synced, locale) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app_for(synced, locale), press=["question_mark"], terminal_size=(80, 24))


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_contact_form_snapshot(snap_compare, synced, locale) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app_for(synced, locale), press=["c"], terminal_size=(80, 24))


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_outbox_snapshot(snap_compare, synced, locale) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app_for(synced, locale), press=["o"], terminal_size=(80, 24))


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_plan_snapshot(snap_compare, synced, locale) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app_for(synced, locale), press=["p"], terminal_size=(80, 24))
