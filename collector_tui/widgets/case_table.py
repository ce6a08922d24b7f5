"""The queue's case table: a line-API view that renders only visible rows, fetched page by page from SQLite."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.events import Click
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from collector_tui.domain.masking import mask_name
from collector_tui.domain.money import format_money
from collector_tui.locale import t
from collector_tui.locale.render import reason_text
from collector_tui.work.queue_view import QueueRow
from collector_tui.widgets.cells import fit
from collector_tui.widgets.i18n import localize_bindings

PAGE = 50  # a screenful or so: a new filter reads one page before it paints
MAX_PAGES = 40  # about 2,000 rows held, whatever the portfolio size


class RowSource:
    """Counts and pages of queue rows; the table never asks for more than one page at a time."""

    def __init__(self, count: Callable[[], int], page: Callable[[int, int], list[QueueRow]]) -> None:
        self.count = count
        self.page = page


class CaseTable(ScrollView, can_focus=True):
    """Sticky header on line 0, one case per line below; j/k/g/G move, Enter opens."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor_down", "binding.down", show=False, id="table.down"),
        Binding("k,up", "cursor_up", "binding.up", show=False, id="table.up"),
        Binding("g,home", "cursor_top", "binding.top", show=False, id="table.top"),
        Binding("G,end", "cursor_bottom", "binding.bottom", show=False, id="table.bottom"),
        Binding("pagedown,ctrl+f", "page_down", "binding.page_down", show=False, id="table.page_down"),
        Binding("pageup,ctrl+b", "page_up", "binding.page_up", show=False, id="table.page_up"),
        Binding("enter", "select", "binding.open", id="table.open"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "case-table--header", "case-table--cursor", "case-table--stage-1", "case-table--stage-2",
        "case-table--stage-3", "case-table--stage-4", "case-table--group-promise", "case-table--group-golden",
        "case-table--group-callback", "case-table--group-blocked", "case-table--tier-C", "case-table--thumb",
        "case-table--track",
    }
    DEFAULT_CSS = """
    CaseTable { height: 1fr; overflow-x: hidden; scrollbar-size-vertical: 0; }
    CaseTable > .case-table--thumb { background: $scrollbar; }
    CaseTable > .case-table--track { background: $scrollbar-background; }
    CaseTable > .case-table--header { text-style: bold; background: $panel; }
    CaseTable > .case-table--cursor { background: $accent 40%; text-style: bold; }
    CaseTable:focus > .case-table--cursor { background: $accent; color: $text; }
    CaseTable > .case-table--stage-1 { color: $success; }
    CaseTable > .case-table--stage-2 { color: $warning; }
    CaseTable > .case-table--stage-3 { color: $error; }
    CaseTable > .case-table--stage-4 { color: $error; text-style: bold; }
    CaseTable > .case-table--group-promise { color: #f08fd8; text-style: bold; }
    CaseTable > .case-table--group-golden { color: $warning; text-style: bold; }
    CaseTable > .case-table--group-callback { color: $accent; text-style: bold; }
    CaseTable > .case-table--group-blocked { color: $text-muted; }
    CaseTable > .case-table--tier-C { color: $error; text-style: bold; }
    """

    cursor: reactive[int] = reactive(0)

    class Selected(Message):
        """The collector pressed Enter on a case."""

        def __init__(self, case_id: str) -> None:
            super().__init__()
            self.case_id = case_id

    class Highlighted(Message):
        def __init__(self, case_id: str | None, index: int) -> None:
            super().__init__()
            self.case_id = case_id
            self.index = index

    def __init__(self, source: RowSource, *, tz: str = "UTC", id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.tz = tz  # the collector's zone, for "callable from" times
        localize_bindings(self)
        self.source = source
        self.row_count = 0
        self._pages: OrderedDict[int, list[QueueRow]] = OrderedDict()
        self._strips: dict[tuple[int, int, object, str], Strip] = {}
        self._style_key: tuple[str, bool] | None = None
        self._style_cache: dict[str, Style] = {}

    # --- data -------------------------------------------------------------------------------------
    def reload(self, keep_case: str | None = None, position: int | None = None) -> None:
        """Drop cached pages and recount; keep the cursor near where it was."""
        self._pages.clear()
        self._strips.clear()
        self.row_count = self.source.count()
        self._resize_content()
        target = position if position is not None else self.cursor
        self.cursor = max(0, min(target, self.row_count - 1))
        self.refresh()
        self._announce()

    def row(self, index: int) -> QueueRow | None:
        if not 0 <= index < self.row_count:
            return None
        page_no = index // PAGE
        page = self._pages.get(page_no)
        if page is None:
            page = self.source.page(page_no * PAGE, PAGE)
            self._pages[page_no] = page
            while len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page_no)
        offset = index - page_no * PAGE
        return page[offset] if offset < len(page) else None

    @property
    def current(self) -> QueueRow | None:
        return self.row(self.cursor)

    # --- layout -----------------------------------------------------------------------------------
    HEADS = ("col.case", "col.customer", "col.dpd", "col.stage", "col.tier", "col.overdue", "col.next")
    ALIGNS = ("left", "left", "right", "left", "left", "right", "left")

    def _widths(self) -> list[int]:
        width = max(self.scrollable_content_region.width - 1, 40)
        wide = width >= 110
        fixed = [9, 14 if wide else 10, 4, 12 if wide else 9, 2, 13 if wide else 12]
        rest = max(width - sum(fixed) - len(fixed), 10)
        return [*fixed, rest]

    def _cells(self, row: QueueRow) -> list[str]:
        why = reason_text(row.group, row.reason, row.params, row.currency, row.blocked_by, row.next_allowed_at, self.tz)
        return [row.id, mask_name(row.customer_name), str(row.dpd), t(f"stage.{row.stage}"), row.tier or "",
                format_money(row.overdue_amount, row.currency), why]

    def render_line(self, y: int) -> Strip:
        # The last column is the table's own scroll thumb: Textual's scrollbar is a widget of its own, whose
        # first layout asks for a second one (a third of the queue's time to first paint).
        return Strip.join([self._line(y, self.scrollable_content_region.width - 1), self._thumb(y)])

    def _line(self, y: int, width: int) -> Strip:
        widths = self._widths()
        if y == 0:
            text = " ".join(fit(t(h), w, a) for h, w, a in zip(self.HEADS, widths, self.ALIGNS))
            style = self.get_component_rich_style("case-table--header")
            return Strip([Segment(fit(text, width), style)], width)
        index = int(self.scroll_offset.y) + y - 1
        is_cursor = index == self.cursor
        # A row's strip depends on its data, the width, the theme and (for the cursor row only) the focus:
        # cached, a cursor move or a focus change repaints from here instead of formatting every row again.
        key = (index, width, is_cursor and (self.has_focus, True), self.app.theme)
        cached = self._strips.get(key)
        if cached is not None:
            return cached
        row = self.row(index)
        if row is None:
            return Strip.blank(width, self._styles()["plain"])
        strip = self._render_row(row, width, widths, is_cursor)
        if len(self._strips) > 400:
            self._strips.clear()
        self._strips[key] = strip
        return strip

    def _thumb(self, y: int) -> Strip:
        """One cell of the scroll thumb (or its track) beside line `y`; blank when every row fits."""
        styles = self._styles()
        visible = self.size.height - 1
        if y == 0 or self.row_count <= visible:
            return Strip([Segment(" ", styles["plain"])], 1)
        size = max(1, visible * visible // self.row_count)
        top = round(self.scroll_offset.y * (visible - size) / (self.row_count - visible))
        return Strip([Segment(" ", styles["thumb"] if top <= y - 1 < top + size else styles["track"])], 1)

    def _styles(self) -> dict[str, Style]:
        """The table's styles, worked out once per theme and focus rather than once per row."""
        key = (self.app.theme, self.has_focus)
        if self._style_key != key:
            names = ["cursor", "tier-C", "thumb", "track", *(f"stage-{n}" for n in range(1, 5)),
                     *(f"group-{g}" for g in ("promise", "golden", "callback", "blocked"))]
            self._style_cache = {"plain": self.rich_style,
                                 **{n: self.get_component_rich_style(f"case-table--{n}") for n in names}}
            self._style_key = key
        return self._style_cache

    def _render_row(self, row: QueueRow, width: int, widths: list[int], is_cursor: bool) -> Strip:
        styles = self._styles()
        plain = styles["plain"]
        # The cursor style goes on last so it wins over the stage and golden-window colours.
        cursor = styles["cursor"] if is_cursor else Style()
        base = plain + cursor
        segments: list[Segment] = []
        last = len(widths) - 1
        for col, (value, align, w) in enumerate(zip(self._cells(row), self.ALIGNS, widths)):
            style = base
            if col == 3 and row.stage:
                style = plain + styles[f"stage-{min(row.stage, 4)}"] + cursor
            elif col == 4 and row.tier == "C":
                style = plain + styles["tier-C"] + cursor
            elif col == 6 and row.group in ("promise", "golden", "callback", "blocked"):
                style = plain + styles[f"group-{row.group}"] + cursor
            segments.append(Segment(fit(value, w, align), style))
            if col < last:
                segments.append(Segment(" ", base))
        # Every cell was fitted to its width, so the row's width is known without measuring it again.
        used = sum(widths) + last
        if used < width:
            segments.append(Segment(" " * (width - used), base))
        elif used > width:  # narrower than the columns' minimum
            return Strip(segments, used).crop(0, width)
        return Strip(segments, width)

    def _resize_content(self) -> None:
        """A new row count. A full layout pass only when the rows start or stop overflowing the table (that
        is when Textual decides whether it may scroll): a filter or a search keystroke otherwise repaints
        this table, and nothing else moves.

        No width: rows are cut to the table's width and never scroll sideways, so a resize changes nothing
        here (a width would ask for a second layout pass after the first paint).
        """
        new = Size(0, self.row_count + 1)
        old = self.virtual_size
        if new == old:
            return
        if not self.is_mounted or (new.height > self.size.height) != (old.height > self.size.height):
            self.virtual_size = new
            return
        self.set_reactive(CaseTable.virtual_size, new)

    # --- cursor -----------------------------------------------------------------------------------
    def watch_cursor(self, old: int, new: int) -> None:
        self._refresh_row(old)
        self._refresh_row(new)
        visible = max(self.size.height - 1, 1)
        top = int(self.scroll_offset.y)
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + visible:
            self.scroll_to(y=new - visible + 1, animate=False)
        self._announce()

    def _refresh_row(self, index: int) -> None:
        y = index - int(self.scroll_offset.y) + 1
        if 1 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def _announce(self) -> None:
        row = self.current
        self.post_message(self.Highlighted(row.id if row else None, self.cursor))

    def _move(self, delta: int) -> None:
        if self.row_count:
            self.cursor = max(0, min(self.cursor + delta, self.row_count - 1))

    def action_cursor_down(self) -> None:
        self._move(1)

    def action_cursor_up(self) -> None:
        self._move(-1)

    def action_cursor_top(self) -> None:
        self._move(-self.row_count)

    def action_cursor_bottom(self) -> None:
        self._move(self.row_count)

    def action_page_down(self) -> None:
        self._move(max(self.size.height - 2, 1))

    def action_page_up(self) -> None:
        self._move(-max(self.size.height - 2, 1))

    def action_select(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Selected(row.id))

    def on_click(self, event: Click) -> None:
        index = int(self.scroll_offset.y) + event.y - 1
        if event.y >= 1 and 0 <= index < self.row_count:
            self.cursor = index
            if event.chain >= 2:
                self.action_select()
