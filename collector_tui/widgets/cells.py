"""Fitting text to terminal cells: Chinese characters take two cells, so len() is the wrong width."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size


def fit(text: str, width: int, align: str = "left") -> str:
    """`text` cut or padded to exactly `width` cells, with an ellipsis when cut."""
    if width <= 0:
        return ""
    size = cell_len(text)
    if size > width:
        text = set_cell_size(text, width - 1) + "…"
        size = width
    pad = width - cell_len(text)
    return " " * pad + text if align == "right" else text + " " * pad
