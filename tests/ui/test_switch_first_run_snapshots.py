"""SVG snapshots of switch user (R-UI-7) on the demo (seed 1, 2026-11-27) and of the first-run
form (R-UI-8) on an empty database, empty and with errors, at 80×24 and 120×40.

Update only after looking at the new SVGs: `pytest
tests/ui/test_switch_first_run_snapshots.py --snapshot-update`, then convert and view them
(STYLE rule 11).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from cosell_tui.app import build_app
from cosell_tui.domain.models import User
from cosell_tui.store.database import Database
from tests.ui.test_main_screen import settle

SnapCompare = Callable[..., bool]
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]

BAD = {
    "organization": "Contoso Analytics",
    "city": "Seattle",
    "country": "USA",
    "first-name": "Dana",
    "last-name": "Whitfield",
    "admin-email": "dana@",
    "phone": "12",
}


async def steady(pilot: Pilot[None]) -> None:
    """No blinking cursors, so the picture is the same every run."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


class TestSwitchUser:
    @pytest.mark.parametrize("size", SIZES)
    def test_every_user_by_organization(
        self,
        snap_compare: SnapCompare,
        demo_db: Database,
        people: dict[str, User],
        size: tuple[int, int],
    ) -> None:
        app = build_app(demo_db, people["Dana"])

        async def ready(pilot: Pilot[None]) -> None:
            await settle(app, pilot)
            await pilot.press("u")
            await settle(app, pilot)
            await steady(pilot)

        assert snap_compare(app, terminal_size=size, run_before=ready)


class TestFirstRun:
    @pytest.mark.parametrize("size", SIZES)
    @pytest.mark.parametrize("errors", [False, True], ids=["empty", "errors"])
    def test_form(
        self, snap_compare: SnapCompare, db: Database, errors: bool, size: tuple[int, int]
    ) -> None:
        app = build_app(db, None)

        async def ready(pilot: Pilot[None]) -> None:
            await settle(app, pilot)
            await steady(pilot)
            if errors:
                for name, value in BAD.items():
                    app.screen.query_one(f"#{name}", Input).value = value
                await pilot.press("ctrl+s")
                await settle(app, pilot)

        assert snap_compare(app, terminal_size=size, run_before=ready)
