"""SVG snapshots of help (both pages) and of the command palette finding a deal (R-UI-6), on the
demo (seed 1, 2026-11-27) at 80×24 and 120×40.

Update only after looking at the new SVGs (STYLE rule 11).
"""

from __future__ import annotations

import pytest
from textual.command import CommandList
from textual.pilot import Pilot
from textual.widgets import Input

from cosell_tui.app import build_app
from cosell_tui.domain.models import User
from cosell_tui.store.database import Database
from tests.ui.test_app_snapshots import SIZES, SnapCompare
from tests.ui.test_main_screen import settle
from tests.ui.test_palette import palette_ready, until


class TestHelp:
    @pytest.mark.parametrize("size", SIZES)
    @pytest.mark.parametrize("page", ["keys", "guide"])
    def test_help(
        self,
        snap_compare: SnapCompare,
        demo_db: Database,
        people: dict[str, User],
        page: str,
        size: tuple[int, int],
    ) -> None:
        app = build_app(demo_db, people["Dana"])

        async def ready(pilot: Pilot[None]) -> None:
            await settle(app, pilot)
            await pilot.press("question_mark")
            if page == "guide":
                await pilot.press("tab")
            await settle(app, pilot)

        assert snap_compare(app, terminal_size=size, run_before=ready)


class TestPalette:
    @pytest.mark.parametrize("size", SIZES)
    def test_deal_search(
        self,
        snap_compare: SnapCompare,
        demo_db: Database,
        people: dict[str, User],
        size: tuple[int, int],
    ) -> None:
        app = build_app(demo_db, people["Dana"])

        async def ready(pilot: Pilot[None]) -> None:
            await settle(app, pilot)
            await pilot.press("ctrl+p")
            await until(pilot, lambda: palette_ready(app))
            app.screen.query_one(Input).cursor_blink = False
            await pilot.press(*"sales copilot")
            await until(pilot, lambda: app.screen.query_one(CommandList).option_count >= 3)
            await pilot.pause(0.4)  # the palette adds late hits in batches

        assert snap_compare(app, terminal_size=size, run_before=ready)
