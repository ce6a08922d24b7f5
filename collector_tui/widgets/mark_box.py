"""A checkbox whose state reads without colour: ✓ when ticked, nothing when not (Textual's draws X for both and
tells them apart by colour alone, which a monochrome terminal cannot show)."""

from __future__ import annotations

from textual.widgets import Checkbox


class MarkBox(Checkbox):
    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # noqa: N802 - Textual's name for the mark
        return "✓" if self.value else " "
