"""SVG snapshots of the notifications list (`N`, §6) on the demo (seed 1, 2026-11-27), some
unread and some read, at 80×24 and 120×40.

Update only after looking at the new SVGs: `pytest tests/ui/test_notifications_snapshots.py
--snapshot-update`, then convert and view them (STYLE rule 11).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from cosell_tui import services
from cosell_tui.app import build_app
from cosell_tui.domain.models import User
from cosell_tui.store.database import Database
from tests.ui.test_main_screen import settle, sql

SnapCompare = Callable[..., bool]
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


class TestNotifications:
    @pytest.mark.parametrize("size", SIZES)
    def test_list(
        self,
        snap_compare: SnapCompare,
        demo_db: Database,
        people: dict[str, User],
        size: tuple[int, int],
    ) -> None:
        # Megan: one of her deals is no longer hers to open (the vendor let it expire)
        megan = people["Megan"]
        ids = sql(
            demo_db, "SELECT id FROM notifications WHERE user_id = ? ORDER BY id DESC", megan.id
        )
        services.mark_notifications_read(demo_db, megan, [ids[1][0], ids[4][0], ids[5][0]])
        app = build_app(demo_db, megan)

        async def ready(pilot: Pilot[None]) -> None:
            await settle(app, pilot)
            app.refresh_unread()
            await pilot.press("N")
            await settle(app, pilot)

        assert snap_compare(app, terminal_size=size, run_before=ready)
