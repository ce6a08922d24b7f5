"""Fitting text to terminal cells: Chinese characters take two cells, so len() is the wrong width."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size


def width_of(text: str) -> int:
    """Cells `text` takes. Printable ASCII is one cell a character, which is most of a queue row; Rich's
    measure walks a string character by character in Python (its cache misses on every new row)."""
    return len(text) if text.isascii() and text.isprintable() else cell_len(text)


def fit(text: str, width: int, align: str = "left") -> str:
    """`text` cut or padded to exactly `width` cells, with an ellipsis when cut."""
    if width <= 0:
        return ""
    size = width_of(text)
    if size > width:
        text = set_cell_size(text, width - 1) + "…"
        size = width
    pad = width - size
    return " " * pad + text if align == "right" else text + " " * pad
