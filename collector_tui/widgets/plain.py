"""Text from the collector, the cache or the server is shown as it is: never read as markup.

Textual reads a string given to a Static, a Label, a DataTable cell, a palette hit or a toast as content
markup, and Rich reads a string cell or title of a Table as console markup: a note holding `[/]` crashed the
screen that showed it, and `[@click=app.quit]` would have become a link. Escaping is not enough for Textual's
markup (`[B]`, `[$accent]`, a trailing backslash stay special), so text goes in as Rich `Text`, which nothing
parses. The catalogues hold plain text too: a message and the data in its parameters are shown the same way.
"""

from __future__ import annotations

from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text


def cells(*values: Any) -> tuple[RenderableType, ...]:
    """A row's cells (DataTable or Table): every string as plain Text, anything else as it is."""
    return tuple(Text(value) if isinstance(value, str) else value for value in values)


class TextTable(Table):
    """A Rich table whose string title, headers and cells are plain text (`Table.grid` gives one too)."""

    def __init__(self, *headers: Any, title: Any = None, **options: Any) -> None:
        if isinstance(title, str):  # styled as Rich styles a str title
            title = Text(title, style=options.get("title_style") or "table.title")
        super().__init__(*headers, title=title, **options)

    def add_column(self, header: Any = "", *args: Any, **options: Any) -> None:
        super().add_column(Text(header) if isinstance(header, str) else header, *args, **options)

    def add_row(self, *renderables: Any, **options: Any) -> None:
        super().add_row(*cells(*renderables), **options)
