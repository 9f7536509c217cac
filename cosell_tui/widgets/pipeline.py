"""The Pipeline tab (R-UI-1, issue 7): the user's active deals by stage per currency as bars,
win rate and response time, deals closing soon and invitations about to expire.

Figures are read by a worker when the tab is shown and again when deals change, never at
launch. The bars are block characters: the solid part is the weighted value, the shaded rest
up to the deal value (NO_COLOR keeps both apart by glyph).
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static
from textual.worker import get_current_worker

from cosell_tui.widgets.reporting import ReportsWorkerErrors
from cosell_tui.widgets.text import day, literal, money

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.events import Resize

    from cosell_tui.source import DatabaseSource
    from cosell_tui.store.pipeline import NamedDeal, Pipeline, StageFigure

WIDE = 110
"""From this width on, the chart and the figures stand side by side."""

STEP_NAMES = {
    "received": "Received",
    "created": "Created",
    "accepted": "Accepted",
    "qualified": "Qualified",
    "developed": "Developed",
    "proposed": "Proposed",
    "negotiated": "Negotiated",
}
_EIGHTHS = " ▏▎▍▌▋▊▉"


def amount(value: Decimal) -> str:
    """`825k`, `1.25M`: the currency is named once, in the heading."""
    return money(value, "").strip()


def time_left(deadline: datetime, now: datetime) -> str:
    """`1 d 12 h`, `20 h`, `45 min` (rounded down: never more time than there is)."""
    minutes = max(0, int((deadline - now).total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    return f"{hours} h" if hours else f"{minutes} min"


class Bar:
    """A bar as wide as `value` of `scale` allows, its first `solid` part full blocks."""

    def __init__(
        self, value: Decimal, solid: Decimal, scale: Decimal, style: Style, rest: Style
    ) -> None:
        self.value, self.solid, self.scale = value, solid, scale
        self.style, self.rest = style, rest

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(1, options.max_width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        if self.scale <= 0 or self.value <= 0:
            yield Text("")
            return
        eighths = round(float(self.solid / self.scale) * width * 8)
        full, part = divmod(eighths, 8)
        cells = max(1, math.ceil(float(self.value / self.scale) * width - 1e-9))
        solid = "█" * full + (_EIGHTHS[part] if part else "")
        if not solid:
            solid = "▏"  # a deal is there, however small its weight
        text = Text(solid, style=self.style, no_wrap=True, end="")
        text.append("░" * max(0, cells - len(solid)), style=self.rest)
        yield text


class PipelineView(VerticalScroll, ReportsWorkerErrors, can_focus=True):
    """The Pipeline tab's content; scrolls when the terminal is too small for all of it."""

    # (VerticalScroll first: Textual inherits default CSS along the first base only)

    # Here, not in styles/: the tab may show before the app loads the other style sheets (after
    # the first rows, issue 6). Glyphs carry the meaning, colour reinforces it (R-Q-3).
    DEFAULT_CSS = """
    PipelineView {
        height: 1fr;
        padding: 0 1;
        scrollbar-size-vertical: 1;
    }

    PipelineView > #pipeline-body {
        width: 1fr;
    }

    PipelineView > .pipeline--heading {
        text-style: bold;
    }

    PipelineView > .pipeline--bar {
        color: $primary;
    }

    PipelineView > .pipeline--rest {
        color: $primary-muted;
    }

    PipelineView > .pipeline--urgent {
        color: $warning;
        text-style: bold;
    }

    PipelineView > .pipeline--muted {
        color: $text-muted;
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "pipeline--heading",
        "pipeline--bar",
        "pipeline--rest",
        "pipeline--urgent",
        "pipeline--muted",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "scroll_down", "Down", show=False, id="pipeline.down_vim", tooltip="Scroll"),
        Binding("k", "scroll_up", "Up", show=False, id="pipeline.up_vim", tooltip="Scroll back"),
    ]

    class Updated(Message):
        """New figures are on screen (the status bar shows their totals)."""

        def __init__(self, figures: Pipeline) -> None:
            super().__init__()
            self.figures = figures

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.figures: Pipeline | None = None
        self.stale = True  # read again when next shown
        self._source: DatabaseSource | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("Reading the pipeline…"), id="pipeline-body")

    # every key moves at once: an animated scroll swallows keys typed while it runs
    def action_scroll_down(self) -> None:
        self.scroll_relative(y=1, animate=False, immediate=True)

    def action_scroll_up(self) -> None:
        self.scroll_relative(y=-1, animate=False, immediate=True)

    def action_page_down(self) -> None:
        self.scroll_relative(y=self.scrollable_content_region.height, animate=False, immediate=True)

    def action_page_up(self) -> None:
        self.scroll_relative(
            y=-self.scrollable_content_region.height, animate=False, immediate=True
        )

    # --- reading ---------------------------------------------------------------------------

    def shown(self, source: DatabaseSource | None) -> None:
        """The tab is in view: read the figures when they are out of date (or never read)."""
        if source is not None:
            self._source = source
        if self.stale and self._source is not None:
            self.stale = False
            self._read(self._source)

    def changed(self, *, in_view: bool) -> None:
        """Deals changed: read again now when in view, else when next shown."""
        self.stale = True
        if in_view:
            self.shown(None)

    @work(thread=True, group="pipeline", exclusive=True, exit_on_error=False)
    def _read(self, source: DatabaseSource) -> None:
        figures = source.pipeline()
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, figures)

    def _show(self, figures: Pipeline) -> None:
        self.figures = figures
        self._paint()
        self.post_message(self.Updated(figures))

    def on_resize(self, event: Resize) -> None:
        self._paint()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._paint()  # the bars' and headings' styles come from CSS (a theme, late styles)

    def _paint(self) -> None:
        if self.figures is None or not self.size.width:
            return
        width = self.scrollable_content_region.width or self.size.width
        self.query_one("#pipeline-body", Static).update(self.render_figures(self.figures, width))

    # --- drawing ---------------------------------------------------------------------------

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"pipeline--{name}", partial=True)

    def render_figures(self, figures: Pipeline, width: int) -> RenderableType:
        facts = self._facts(figures, wide=width >= WIDE)
        chart = self._chart(figures)
        if width < WIDE:
            return Group(facts, Text(""), chart)
        side_by_side = Table.grid(padding=(0, 3), expand=True)
        side_by_side.add_column(ratio=1)
        side_by_side.add_column(ratio=1)
        side_by_side.add_row(chart, facts)
        return side_by_side

    def _chart(self, figures: Pipeline) -> RenderableType:
        heading, muted = self._style("heading"), self._style("muted")
        currencies = figures.currencies()
        if not currencies:
            return Text("No active deals: nothing received or accepted that you can see.")
        parts: list[RenderableType] = [
            Text.assemble(
                ("Active deals by stage", heading),
                (f" · {figures.active} in {len(currencies)} ", ""),
                ("currency" if len(currencies) == 1 else "currencies", ""),
            ),
            Text("█ weighted (value × stage %)  ░ rest of the value", style=muted),
        ]
        for currency, deals, value, weighted in currencies:
            steps = [s for s in figures.steps_of(currency) if s.deals]
            parts.append(Text(""))
            parts.append(
                Text.assemble(
                    (currency, heading),
                    f"  {deals} deal{'s' if deals != 1 else ''} · {amount(value)}",
                    f" · weighted {amount(weighted)}",
                )
            )
            parts.append(self._bars(steps))
        return Group(*parts)

    def _bars(self, steps: list[StageFigure]) -> Table:
        scale = max((s.value for s in steps), default=Decimal(0))
        table = Table.grid(padding=(0, 1), expand=True)
        table.add_column(no_wrap=True, width=10)  # stage
        table.add_column(no_wrap=True, justify="right", width=4)  # %
        table.add_column(no_wrap=True, justify="right", width=5)  # deals
        table.add_column(no_wrap=True, justify="right", width=6)  # value
        table.add_column(no_wrap=True, justify="right", width=8)  # weighted
        table.add_column(no_wrap=True, ratio=1)
        bar, rest, muted = self._style("bar"), self._style("rest"), self._style("muted")
        table.add_row("", "", *(Text(t, style=muted) for t in ("deals", "value", "weighted")), "")
        for step in steps:
            table.add_row(
                STEP_NAMES.get(step.step, step.step),
                f"{step.percent} %",
                str(step.deals),
                amount(step.value),
                f"~{amount(step.weighted)}",
                Bar(step.value, step.weighted, scale, bar, rest),
            )
        return table

    def _facts(self, figures: Pipeline, *, wide: bool) -> RenderableType:
        heading, muted, urgent = self._style("heading"), self._style("muted"), self._style("urgent")
        table = Table.grid(padding=(0, 2), expand=True)
        table.add_column(no_wrap=True, style=heading)
        table.add_column(ratio=1)
        rate = figures.win_rate
        table.add_row(
            "Win rate, 90 days",
            Text("no deal won or lost", style=muted)
            if rate is None
            else f"{round(rate * 100)} % · {figures.won} won · {figures.lost} lost",
        )
        table.add_row(
            "Time to answer",
            Text("no invitation answered", style=muted)
            if figures.answer_days is None
            else f"{figures.answer_days:.1f} days average · {figures.answered} answered",
        )
        closing = figures.closing
        sums = " · ".join(f"{amount(c.value)} {c.currency}" for c in closing[:3])
        more = f" · +{len(closing) - 3} more" if len(closing) > 3 else ""
        count = figures.closing_count
        table.add_row(
            "Closing in 30 days",
            Text("none", style=muted)
            if not count
            else f"{count} deal{'s' if count != 1 else ''} · {sums}{more}",
        )
        expiring = figures.expiring
        table.add_row(
            "Expiring in 2 days",
            Text("none", style=muted)
            if not expiring
            else Text(f"{expiring} to answer", style=urgent),
        )
        parts: list[RenderableType] = [table]
        if figures.expiring_deals:
            parts.append(self._named(figures.expiring_deals, figures.now, urgent, expiring=True))
        if wide and figures.closing_deals:
            parts.append(Text(""))
            parts.append(Text("Closing soonest", style=heading))
            parts.append(self._named(figures.closing_deals, figures.now, muted, expiring=False))
        return Group(*parts)

    def _named(
        self, deals: tuple[NamedDeal, ...], now: datetime, style: Style, *, expiring: bool
    ) -> Table:
        table = Table.grid(padding=(0, 1), expand=True)
        table.add_column(no_wrap=True, width=1)
        table.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        table.add_column(no_wrap=True, justify="right")
        for deal in deals:
            if expiring and deal.response_deadline is not None:
                mark = Text("!", style=style)
                when = Text(f"{time_left(deal.response_deadline, now)} left", style=style)
            else:
                mark = Text("·")
                when = Text(f"{day(deal.close_date)}  {money(deal.value, deal.currency)}")
            table.add_row(mark, literal(deal.name), when)
        return table
