"""The queue's one-line search field: an Input whose every keystroke repaints the queue in the same frame."""

from __future__ import annotations

from collections.abc import Callable

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input


class SearchField(Input):
    """Calls `on_text` synchronously as the text changes, so that the echo of a key and the queue it filters
    are painted together (the Changed message arrives after a frame of its own)."""

    # Input grows its virtual width with every character, which costs a layout pass of the whole screen per
    # key. One line, no scrollbar: a repaint is all a new width needs (scrolling to the cursor reads it).
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), repaint=True, layout=False)

    def __init__(self, on_text: Callable[[str], None], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._on_text = on_text

    def watch_value(self, value: str) -> None:
        self._on_text(value)
