"""The keys the current screen answers, on one line at the bottom.

Textual's Footer builds a widget for every key and rebuilds them all whenever the bindings change
(every focus change): on the queue that was most of the time to first paint. This bar is one widget
that renders one line of text, from the same active bindings.
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.screen import Screen
from textual.widgets import Static


HELP_ACTIONS = ("help", "app.help")


def fit(items: list[tuple[str, str]], width: int, keep: int = 2) -> list[tuple[str, str]]:
    """The keys with their descriptions while they fit in `width` cells; past that the last keys go on without
    theirs (a key alone still works and `?` explains it), so no key is cut off a common terminal (80 columns).
    The first `keep` (help, and the screen's own first key) always keep their words."""
    cost = [cell_len(f" {key} ") + cell_len(f" {description}  ") for key, description in items]
    bare = [cell_len(f" {key} ") for key, _ in items]
    total = sum(cost)
    out = list(items)
    for i in reversed(range(keep, len(items))):
        if width <= 0 or total <= width:
            break
        total -= cost[i] - bare[i]
        out[i] = (items[i][0], "")
    return out


class KeyBar(Static):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"key-bar--key", "key-bar--description"}
    DEFAULT_CSS = """
    KeyBar { dock: bottom; height: 1; width: 1fr; background: $footer-background; color: $footer-foreground; }
    KeyBar > .key-bar--key { color: $footer-key-foreground; background: $footer-key-background; text-style: bold; }
    KeyBar > .key-bar--description { color: $footer-description-foreground; }
    """

    _shown: tuple[object, ...] | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.call_after_refresh(self.show_keys)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if self.is_attached and screen is self.screen:
            self.show_keys()  # now, in the same frame as whatever changed the bindings

    def show_keys(self) -> None:
        if not self.is_attached:
            return  # its screen was dismissed before the refresh came round
        try:
            key_style = self.get_component_rich_style("key-bar--key")
            text_style = self.get_component_rich_style("key-bar--description")
        except KeyError:  # styles not applied yet: try again after the next refresh
            self.call_after_refresh(self.show_keys)
            return
        keys: dict[str, tuple[str, str]] = {}
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if binding.show and enabled and binding.action not in keys:
                keys[binding.action] = (self.app.get_key_display(binding), binding.description)
        # Help comes first: whatever else the width leaves out, `?` is always there to list it.
        items = sorted(keys.items(), key=lambda item: item[0] not in HELP_ACTIONS)
        width = self.size.width
        shown = (tuple(items), key_style, text_style, width)
        if shown == self._shown:
            return  # Textual announces a focus change twice: the second would cost a frame of its own
        self._shown = shown
        line = Text(no_wrap=True, overflow="ellipsis")
        for key, description in fit([pair for _, pair in items], width):
            line.append(f" {key} ", key_style)
            if description:
                line.append(f" {description}  ", text_style)
        self.update(line, layout=False)  # one line, always: no layout pass when the keys change

    def on_resize(self) -> None:
        self.show_keys()
