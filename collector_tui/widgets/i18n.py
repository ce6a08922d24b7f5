"""Binding descriptions through the message catalogue, resolved when a screen is built."""

from __future__ import annotations

import dataclasses

from textual.dom import DOMNode

from collector_tui.locale import t


def localize_bindings(node: DOMNode) -> None:
    """BINDINGS hold message keys as descriptions; swap in the current locale's words.

    Bindings are class attributes built at import time, before the locale is known, so the
    per-instance copy Textual makes is the place to translate.
    """
    bindings = node._bindings.key_to_bindings  # noqa: SLF001
    for key, items in bindings.items():
        bindings[key] = [
            dataclasses.replace(b, description=t(b.description)) if b.description.startswith("binding.") else b
            for b in items
        ]
