"""The contact's note: several lines, typed freely (q is a letter here, never a key of the workbench)."""

from __future__ import annotations

from textual.widgets import TextArea


class NoteArea(TextArea):
    """A TextArea whose text is also its `value`, as the form's one-line fields have."""

    @property
    def value(self) -> str:
        return self.text

    @value.setter
    def value(self, text: str) -> None:
        self.text = text
