"""A deal list that holds only what is on screen (R-UI-1, R-Q-4).

Rows come in pages from a `DealSource` (indexed SQL in a worker thread); the widget keeps the
pages it has seen in a small cache and draws each visible line itself (Textual's line API), so
100 000 deals cost what 24 do.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, NamedTuple, Protocol

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from textual import work
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import Worker, WorkerState

from cosell_tui.domain.enums import DealType, Direction, Status
from cosell_tui.domain.lifecycle import STAGE_PERCENT
from cosell_tui.domain.listing import DealQuery, SortKey, Tab
from cosell_tui.widgets.reporting import ReportsWorkerErrors
from cosell_tui.widgets.text import date_width, day, literal, money

if TYPE_CHECKING:
    from datetime import date, datetime

    from rich.style import Style
    from textual.geometry import Region

    from cosell_tui.domain.models import DealRow, ValueTotal

PAGE = 100
CACHED_PAGES = 40


class DealSource(Protocol):
    """Where a list gets its rows; the app binds it to the database and the signed-in user."""

    def count(self, query: DealQuery) -> int: ...

    def page(self, query: DealQuery, offset: int, limit: int) -> list[DealRow]: ...

    def position(self, query: DealQuery, referral_id: str) -> int | None: ...

    def today(self) -> date: ...

    def now(self) -> datetime: ...


ListSummarySource = Callable[["DealQuery"], tuple[int, int, "list[ValueTotal]"]]
"""A source's optional `list_summary(query)`: the list's rows, the tab's rows without the
filter, and the value totals, read together (the status bar; one worker per reload)."""


@dataclass(frozen=True)
class Summary:
    """What the status bar shows of a list, read with its first page (None: not known)."""

    query: DealQuery
    shown: int | None
    unfiltered: int | None = None
    totals: list[ValueTotal] | None = None


class _Paint(NamedTuple):
    """What every line of one paint shares (read once a paint, not once a line: issue 6)."""

    width: int
    widths: list[int]
    base: Style
    top: int
    today: date | None
    now: datetime | None


@dataclass(frozen=True)
class Column:
    key: SortKey | None
    title: str
    width: int  # 0: shares what is left
    align: str = "left"


TYPE_SHORT = {
    DealType.CO_SELL: "Co-sell",
    DealType.PARTNER_TO_PARTNER: "P2P",
    DealType.PRIVATE: "Private",
    DealType.SOLUTION_ASSESSMENT: "SA",
}


def columns_for(tab: Tab) -> list[Column]:
    """The table's columns (R-UI-1); Inbound adds the days left to respond."""
    cols = [
        Column(None, "♥", 1),
        Column(SortKey.NAME, "Deal", 0),
        Column(SortKey.CUSTOMER, "Customer", 0),
        Column(SortKey.TYPE, "Type", 7),
        Column(SortKey.STATUS, "Status", 8),
        Column(SortKey.STAGE, "Stage", 5, "right"),
        Column(SortKey.VALUE, "Value", 10, "right"),
        Column(SortKey.CLOSE_DATE, "Close", 1 + date_width()),  # the overdue mark and the date
    ]
    if tab is Tab.INBOUND:
        cols.append(Column(SortKey.URGENCY, "Left", 5, "right"))
    return cols


def days_left(row: DealRow, now: datetime) -> int | None:
    if row.status is not Status.RECEIVED or row.response_deadline is None:
        return None
    seconds = (row.response_deadline - now).total_seconds()
    return max(0, int(-(-seconds // 86400)))  # whole days, rounded up


class DealList(ReportsWorkerErrors, ScrollView, can_focus=True):
    """The rows of one tab; a fixed header line, a cursor, pages fetched on demand."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "deal-list--header",
        "deal-list--cursor",
        "deal-list--urgent",
        "deal-list--overdue",
        "deal-list--closed",
        "deal-list--loading",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "cursor_down", "Down", show=False, id="list.down", tooltip="Next deal"),
        Binding("j", "cursor_down", "Down", show=False, id="list.down_vim", tooltip="Next deal"),
        Binding("up", "cursor_up", "Up", show=False, id="list.up", tooltip="Previous deal"),
        Binding("k", "cursor_up", "Up", show=False, id="list.up_vim", tooltip="Previous deal"),
        Binding(
            "pagedown",
            "page_down",
            "Page down",
            show=False,
            id="list.page_down",
            tooltip="A page on",
        ),
        Binding(
            "pageup", "page_up", "Page up", show=False, id="list.page_up", tooltip="A page back"
        ),
        Binding("g,home", "first", "First", show=False, id="list.first", tooltip="The first deal"),
        Binding("G,end", "last", "Last", show=False, id="list.last", tooltip="The last deal"),
        Binding("enter", "open", "Open", id="list.open", tooltip="Open the deal under the cursor"),
    ]

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)  # watch_cursor repaints
    total: reactive[int | None] = reactive(None)

    class Opened(Message):
        """The user opened the deal under the cursor."""

        def __init__(self, deal_list: DealList, row: DealRow) -> None:
            super().__init__()
            self.deal_list = deal_list
            self.row = row

    class Highlighted(Message):
        """The cursor moved to another deal (or to none)."""

        def __init__(self, deal_list: DealList, row: DealRow | None) -> None:
            super().__init__()
            self.deal_list = deal_list
            self.row = row

    class CountFailed(Message):
        """Counting failed (the app reports why); the list stays as it was."""

    class Counted(Message):
        """The list knows how many rows it has."""

        def __init__(self, deal_list: DealList, total: int) -> None:
            super().__init__()
            self.deal_list = deal_list
            self.total = total

    def __init__(
        self,
        source: DealSource | None,
        query: DealQuery,
        *,
        id: str | None = None,
        on_counted: Callable[[DealList], None] | None = None,
    ) -> None:
        """`source` None: the database is still opening; `connect` brings the rows.
        `on_counted` is called as soon as a reload's first rows are in (before `Counted`
        bubbles up): the status bar shows with the rows, in the same frame."""
        super().__init__(id=id)
        self._source = source
        self.deal_query = query
        self.columns = columns_for(query.tab)
        self._pages: OrderedDict[int, list[DealRow]] = OrderedDict()
        self._pending: set[int] = set()
        self._generation = 0
        self._keep: str | None = None
        self._on_counted = on_counted
        self.summary: Summary | None = None
        self._texts: dict[str, tuple[DealRow, str, str, str]] = {}  # name, customer, value
        self._paint: _Paint | None = None

    # --- data ---------------------------------------------------------------------------

    @property
    def source(self) -> DealSource:
        assert self._source is not None, "the list has no source yet"
        return self._source

    def connect(self, source: DealSource) -> None:
        """The database is open: show the rows of the query set so far (a filter typed early)."""
        self._source = source
        self.reload()

    def on_mount(self) -> None:
        if self._source is not None:
            self.reload()

    def reload(self, query: DealQuery | None = None, *, keep: str | None = None) -> None:
        """Show `query` (or the same one afresh), keeping the cursor on deal `keep` if given."""
        if query is not None:
            self.deal_query = query
            self.columns = columns_for(query.tab)
        if self._source is None:
            self.refresh()  # the header shows the new sort; rows come with `connect`
            return
        kept = keep if keep is not None else (row.id if (row := self.current) else None)
        self._generation += 1
        self._pages.clear()
        self._pending.clear()
        self._texts.clear()
        self._count(self._generation, self.deal_query, kept)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # (Textual also runs ReportsWorkerErrors' handler: the app reports the error)
        if event.worker.group == "deal-list-count" and event.state is WorkerState.ERROR:
            self.post_message(self.CountFailed())

    @work(thread=True, group="deal-list-count", exclusive=True, exit_on_error=False)
    def _count(self, generation: int, query: DealQuery, keep: str | None) -> None:
        """The count (with the status bar's totals, when the source has them) and the page to
        show, in one worker: one frame shows the new list and its status bar (issue 6)."""
        source = self.source
        summarize: ListSummarySource | None = getattr(source, "list_summary", None)
        if summarize is not None:
            total, unfiltered, totals = summarize(query)
            summary = Summary(query, total, unfiltered, totals)
        else:
            total = source.count(query)
            summary = Summary(query, total)
        pages: dict[int, list[DealRow]] = {}
        where: int | None = None
        if total:
            pages[0] = source.page(query, 0, PAGE)
            if keep is not None:
                # most often the kept deal is on the first page: no position query then
                where = next((i for i, row in enumerate(pages[0]) if row.id == keep), None)
                if where is None and total > len(pages[0]):
                    where = source.position(query, keep)
                    if where is not None and where // PAGE not in pages:
                        number = where // PAGE
                        pages[number] = source.page(query, number * PAGE, PAGE)
        self.app.call_from_thread(self._counted, generation, total, pages, where or 0, summary)

    def _counted(
        self,
        generation: int,
        total: int,
        pages: dict[int, list[DealRow]],
        cursor: int,
        summary: Summary,
    ) -> None:
        if generation != self._generation:
            return
        self._pages.update(pages)
        self.summary = summary
        self.total = total
        self.virtual_size = Size(self.size.width, total + 1)
        self.cursor = min(cursor, max(total - 1, 0))
        self.scroll_to(
            y=0 if cursor < self._visible_rows() else cursor,
            animate=False,
            force=True,
            immediate=True,
        )
        self.refresh()
        if self._on_counted is not None:
            self._on_counted(self)
        self.post_message(self.Counted(self, total))

    def _row(self, index: int) -> DealRow | None:
        number = index // PAGE
        rows = self._pages.get(number)
        if rows is None:
            self._fetch(number)
            return None
        self._pages.move_to_end(number)
        offset = index - number * PAGE
        return rows[offset] if offset < len(rows) else None

    def _fetch(self, number: int) -> None:
        if number in self._pending:
            return
        self._pending.add(number)
        self._load_page(self._generation, self.deal_query, number)

    @work(thread=True, group="deal-list-pages", exit_on_error=False)
    def _load_page(self, generation: int, query: DealQuery, number: int) -> None:
        try:
            rows = self.source.page(query, number * PAGE, PAGE)
        except BaseException:
            self.app.call_from_thread(self._pending.discard, number)  # asked again when drawn
            raise
        self.app.call_from_thread(self._page_loaded, generation, number, rows)

    def _page_loaded(self, generation: int, number: int, rows: list[DealRow]) -> None:
        if generation != self._generation:
            return
        self._pending.discard(number)
        self._pages[number] = rows
        while len(self._pages) > CACHED_PAGES:
            self._pages.popitem(last=False)
        if len(self._texts) > CACHED_PAGES * PAGE:
            self._texts.clear()
        top = round(self.scroll_offset.y)
        if number * PAGE < top + self._visible_rows() and top < (number + 1) * PAGE:
            self.refresh()  # (a page read ahead, out of sight, repaints nothing)
        if self.cursor // PAGE == number:
            self.post_message(self.Highlighted(self, self.current))

    @property
    def current(self) -> DealRow | None:
        if not self.total:
            return None
        number = self.cursor // PAGE
        rows = self._pages.get(number)
        offset = self.cursor - number * PAGE
        return rows[offset] if rows is not None and offset < len(rows) else None

    def set_favorite(self, referral_id: str, favorite: bool) -> None:
        """Show a changed heart at once, wherever the deal is, without reloading the list."""
        for rows in self._pages.values():
            for i, old in enumerate(rows):
                if old.id == referral_id:
                    rows[i] = old.model_copy(update={"favorite": favorite})
        self.refresh()

    # --- cursor and keys ------------------------------------------------------------------

    def _visible_rows(self) -> int:
        return max(self.size.height - 1, 1)

    def watch_cursor(self, old: int, new: int) -> None:
        top = round(self.scroll_offset.y)
        rows = self._visible_rows()
        if top <= old < top + rows and top <= new < top + rows:
            self.refresh_line(old + 1)  # (line 0 is the header) only the two rows that changed
            self.refresh_line(new + 1)
            self.post_message(self.Highlighted(self, self.current))
            return
        if new < top:
            top = new
            self.scroll_to(y=top, animate=False, force=True, immediate=True)
        elif new >= top + rows:
            top = new - rows + 1
            self.scroll_to(y=top, animate=False, force=True, immediate=True)
        self._prefetch(top, rows)
        self.refresh()
        self.post_message(self.Highlighted(self, self.current))

    def _prefetch(self, top: int, rows: int) -> None:
        """Read the pages a screen above and below before they show: page down never waits
        for the database (issue 6)."""
        if not self.total or self._source is None:
            return
        for index in (max(top - rows, 0), min(top + 2 * rows, self.total - 1)):
            if index // PAGE not in self._pages:
                self._fetch(index // PAGE)

    def _move(self, to: int) -> None:
        if self.total:
            self.cursor = max(0, min(to, self.total - 1))

    def action_cursor_down(self) -> None:
        self._move(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self._move(self.cursor - 1)

    def action_page_down(self) -> None:
        self._move(self.cursor + self._visible_rows())

    def action_page_up(self) -> None:
        self._move(self.cursor - self._visible_rows())

    def action_first(self) -> None:
        self._move(0)

    def action_last(self) -> None:
        self._move((self.total or 1) - 1)

    def action_open(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Opened(self, row))

    # --- drawing --------------------------------------------------------------------------

    def _widths(self, width: int) -> list[int]:
        fixed = sum(c.width for c in self.columns) + len(self.columns) - 1
        flexible = [c for c in self.columns if c.width == 0]
        spare = max(width - 1 - fixed, 8 * len(flexible))
        share = spare // max(len(flexible), 1)
        widths = []
        for column in self.columns:
            if column.width:
                widths.append(column.width)
            else:
                widths.append(
                    share + (spare - share * len(flexible) if column.title == "Deal" else 0)
                )
        return widths

    def _texts_of(self, row: DealRow) -> tuple[DealRow, str, str, str]:
        """Name, customer and value as shown, made once per row (not on every paint)."""
        known = self._texts.get(row.id)
        if known is None or known[0] is not row:  # (a changed heart is a new row object)
            known = (
                row,
                literal(row.name).plain,  # control characters made visible
                literal(row.customer).plain,
                money(row.value, row.currency),
            )
            self._texts[row.id] = known
        return known

    def _cells(self, row: DealRow, paint: _Paint | None = None) -> list[str]:
        today = paint.today if paint is not None and paint.today else self.source.today()
        overdue = row.overdue(today)
        _, name, customer, value = self._texts_of(row)
        cells = [
            "♥" if row.favorite else " ",
            name,
            customer,
            TYPE_SHORT[row.deal_type],
            row.status.label,
            f"{STAGE_PERCENT[row.stage]}%",
            value,
            ("!" if overdue else " ") + day(row.close_date),
        ]
        if self.deal_query.tab is Tab.INBOUND:
            now = paint.now if paint is not None and paint.now else self.source.now()
            left = days_left(row, now)
            cells.append("" if left is None else ("!" if left <= 3 else "") + f"{left}d")
        return cells

    def _line(self, cells: list[str], widths: list[int], style: Style) -> list[Segment]:
        """One segment per line: cells cut to their column with an ellipsis, padded, joined
        (plain strings, not Rich Text: a line is drawn on every scroll, issue 6)."""
        parts = []
        for content, column, width in zip(cells, self.columns, widths, strict=True):
            size = cell_len(content)
            shown = content
            if size > width:
                shown = set_cell_size(content, max(width - 1, 0)) + "…" if width else ""
                size = width
            pad = " " * (width - size)
            parts.append(pad + shown if column.align == "right" else shown + pad)
        return [Segment(" " + " ".join(parts), style)]

    def _paint_state(self) -> _Paint:
        width = self.scrollable_content_region.width  # without the scrollbar
        source = self._source
        return _Paint(
            width,
            self._widths(width),
            self.rich_style,
            round(self.scroll_offset.y),
            source.today() if source is not None else None,
            source.now() if source is not None else None,
        )

    def render_lines(self, crop: Region) -> list[Strip]:
        self._paint = self._paint_state()  # once for all the lines of this paint
        try:
            return super().render_lines(crop)
        finally:
            self._paint = None

    def render_line(self, y: int) -> Strip:
        paint = self._paint or self._paint_state()
        width, widths, base = paint.width, paint.widths, paint.base
        if y == 0:
            style = base + self.get_component_rich_style("deal-list--header")
            titles = []
            for column in self.columns:
                mark = ""
                if column.key is not None and column.key is self.deal_query.sort:
                    mark = "▼" if self.deal_query.descending else "▲"
                titles.append(column.title + mark)
            return Strip(self._line(titles, widths, style)).adjust_cell_length(width, style)
        index = paint.top + y - 1
        if self.total is None or index >= self.total:
            if y == 1 and self.total is None and self._source is None:
                style = base + self.get_component_rich_style("deal-list--loading")
                return Strip([Segment(" Opening the database…", style)]).adjust_cell_length(
                    width, style
                )
            if y == 1 and self.total == 0:
                empty = "No deals here." if not self.deal_query.search else "No deal matches."
                return Strip([Segment(f" {empty}", base)]).adjust_cell_length(width, base)
            return Strip.blank(width, base)
        row = self._row(index)
        style = base
        if row is None:
            style += self.get_component_rich_style("deal-list--loading")
            return Strip([Segment(" …", style)]).adjust_cell_length(width, style)
        if row.terminal:
            style += self.get_component_rich_style("deal-list--closed")
        if row.overdue(paint.today or self.source.today()):
            style += self.get_component_rich_style("deal-list--overdue")
        left = None
        if row.direction is Direction.INBOUND:
            left = days_left(row, paint.now or self.source.now())
        if left is not None and left <= 3:
            style += self.get_component_rich_style("deal-list--urgent")
        if index == self.cursor:
            style += self.get_component_rich_style("deal-list--cursor")
        line = self._line(self._cells(row, paint), widths, style)
        # (every cell is cut or padded to its column: the line's length is known)
        return Strip(line, sum(widths) + len(widths)).adjust_cell_length(width, style)

    def on_resize(self) -> None:
        # (a list counted while hidden has a width of 0: shown, it needs no other layout, as
        # a virtual width below the view's scrolls nothing either)
        if self.total is not None and (
            self.virtual_size.height != self.total + 1 or self.virtual_size.width > self.size.width
        ):
            self.virtual_size = Size(self.size.width, self.total + 1)
