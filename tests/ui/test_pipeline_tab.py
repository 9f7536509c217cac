"""The Pipeline tab (R-UI-1, SPEC §9 key `4`, issue 7) in the app: shown on `4`, read only
then, read again when deals change; the list keys do nothing there; snapshots at 80×24 and
120×40 (demo seed 1, 2026-11-27; look at new SVGs before accepting them, STYLE rule 11)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console
from textual import events
from textual.pilot import Pilot
from textual.widgets import Static

from cosell_tui import services
from cosell_tui.app import build_app
from cosell_tui.domain.models import User
from cosell_tui.screens.sort import SortDialog
from cosell_tui.store.database import Database
from cosell_tui.widgets.pipeline import PipelineView, time_left
from tests.ui.test_app_snapshots import contoso_deal
from tests.ui.test_main_screen import running, settle
from tests.ui.test_main_screen_frames import footer_keys, status

SnapCompare = Callable[..., bool]
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def text_of(view: PipelineView) -> str:
    """What the tab shows, as plain text."""
    console = Console(width=view.size.width, file=io.StringIO(), color_system=None)
    with console.capture() as captured:
        console.print(view.query_one("#pipeline-body", Static).content)
    return captured.get()


async def test_4_shows_the_pipeline_and_it_follows_a_deal_that_changes(
    demo_db: Database, people: dict[str, User]
) -> None:
    dana = people["Dana"]
    async with running(demo_db, dana) as (app, pilot):
        view = app.screen.query_one(PipelineView)
        assert view.figures is None  # nothing read at launch (issue 6's start-up)
        assert {"slash", "o"} <= set(footer_keys(app))
        await pilot.press("4")
        await settle(app, pilot)
        assert app.screen.query_one("TabbedContent").active == "pipeline"
        assert app.focused is view

        # the list keys have no list here: off, and out of the footer; `n` stays
        shown = footer_keys(app)
        assert not {"slash", "o", "v", "f", "a", "d"} & set(shown)
        assert "n" in shown
        await pilot.press("slash", "o", "v", "f", "y")
        await settle(app, pilot)
        assert not app.screen.query_one("#filter").display
        assert not isinstance(app.screen, SortDialog)
        assert app.screen.query_one("TabbedContent").active == "pipeline"
        figures = view.figures
        assert figures is not None
        assert (figures.active, figures.won, figures.lost, figures.expiring) == (13, 8, 1, 2)
        assert status(app, "rows") == "13 active"
        body = text_of(view)
        assert "89 %" in body and "Wide World Importers — Customer 360" in body

        # someone wins a deal (here through the services; the app hears of it as of any
        # change made elsewhere)
        woodgrove = contoso_deal(demo_db, "Woodgrove Bank — ERP migration to cloud")
        services.mark_won(demo_db, dana, woodgrove)
        app.data_changed()
        await settle(app, pilot)
        figures = view.figures
        assert figures is not None
        assert (figures.active, figures.won, figures.lost) == (12, 9, 1)
        assert status(app, "rows") == "12 active"
        assert "90 %" in text_of(view)

        # back to a list and its counts
        await pilot.press("1")
        await settle(app, pilot)
        assert status(app, "rows").count("/") == 1


async def test_j_and_k_typed_in_a_burst_scroll_a_line_each(
    demo_db: Database, people: dict[str, User]
) -> None:
    """Keys faster than a frame (a held key over SSH): each one moves the view a line."""
    async with running(demo_db, people["Dana"]) as (app, pilot):
        await pilot.press("4")
        await settle(app, pilot)
        view = app.screen.query_one(PipelineView)
        assert view.max_scroll_y >= 4  # at 80x24 the charts scroll under the figures
        for _ in range(4):
            app.post_message(events.Key("j", "j"))  # all queued before any is handled
        await settle(app, pilot)
        assert view.scroll_y == 4
        for _ in range(3):
            app.post_message(events.Key("k", "k"))
        await settle(app, pilot)
        assert view.scroll_y == 1


def test_time_left_never_promises_more_than_there_is() -> None:
    now = datetime(2026, 11, 27, 9, tzinfo=UTC)
    assert time_left(now + timedelta(days=1, hours=12, minutes=59), now) == "1 d 12 h"
    assert time_left(now + timedelta(hours=19, minutes=59), now) == "19 h"
    assert time_left(now + timedelta(minutes=45, seconds=59), now) == "45 min"
    assert time_left(now - timedelta(minutes=1), now) == "0 min"


class TestPipelineSnapshots:
    @pytest.mark.parametrize("size", SIZES)
    def test_pipeline(
        self,
        snap_compare: SnapCompare,
        demo_db: Database,
        people: dict[str, User],
        size: tuple[int, int],
    ) -> None:
        app = build_app(demo_db, people["Dana"])

        async def ready(pilot: Pilot[None]) -> None:
            await settle(app, pilot)
            await pilot.press("4")
            await settle(app, pilot)

        assert snap_compare(app, terminal_size=size, run_before=ready)
