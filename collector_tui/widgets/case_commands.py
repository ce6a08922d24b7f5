"""Command-palette provider: "jump to case" by case id, name or phone, answered from the cache."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import cast

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

from collector_tui.domain.masking import mask_name
from collector_tui.locale import t
from collector_tui.screens.workbench import Workbench

LIMIT = 20


class CaseCommands(Provider):
    @property
    def workbench(self) -> Workbench:
        return cast(Workbench, self.app)

    async def discover(self) -> Hits:
        yield DiscoveryHit(t("palette.jump"), self.workbench.action_command_palette, help=t("palette.jump_help"))

    async def search(self, query: str) -> Hits:
        text = query.strip()
        # One Chinese character is a surname, worth a search; one Latin letter would match half the queue.
        if not text or (len(text) < 2 and text.isascii()):
            return
        # SQLite work off the event loop: the palette keeps answering keys while it runs.
        # start-up: the palette's search is loaded when the palette first searches, not with the workbench
        from collector_tui.work.cases import QueueFilter, queue_page

        rows = await asyncio.to_thread(queue_page, self.workbench.engine, 0, LIMIT, QueueFilter(text=text))
        for rank, row in enumerate(rows):
            label = f"{t('palette.open')} {row.id} · {mask_name(row.customer_name)} · {t('palette.dpd', dpd=row.dpd)}"
            # A name from the cache is text, not markup: the palette reads a str prompt as markup.
            yield Hit(1.0 - rank / (LIMIT * 2), Text(label), partial(self.workbench.open_case, row.id), text=label,
                      help=t(f"stage_long.{row.stage}"))
