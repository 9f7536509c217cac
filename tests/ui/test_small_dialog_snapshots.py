"""Snapshots of the small dialogs: decline, the final-move confirmation, sort, whom to
invite and export this view, at 80×24 and 120×40 (R-UI-5). Review each SVG before updating
(STYLE rule 11)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot
from textual.screen import ModalScreen
from textual.widgets import Select

from cosell_tui.domain.enums import DeclineReason
from cosell_tui.domain.listing import SortKey, Tab
from cosell_tui.screens.deal import InviteChoice
from cosell_tui.screens.dialog import FINAL_WARNING, ConfirmDialog
from cosell_tui.screens.dialogs.decline import DeclineDialog
from cosell_tui.screens.dialogs.export import ExportDialog
from cosell_tui.screens.sort import SortDialog
from cosell_tui.widgets.deal_list import columns_for
from tests.ui.dialog_harness import DialogHarness

SnapCompare = Callable[..., bool]
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]

DIALOGS: dict[str, Callable[[], ModalScreen[object]]] = {
    "decline": DeclineDialog,
    "confirm": lambda: ConfirmDialog(
        "Decline this deal?", FINAL_WARNING.format(status="declined"), yes="Decline"
    ),
    "sort": lambda: SortDialog(columns_for(Tab.INBOUND), SortKey.URGENCY, False),
    "invite-choice": InviteChoice,
    "export": lambda: ExportDialog(
        "Outbound · active deals · filter “wood” · sorted by close date · 3 deals",
        "cosell-outbound-2026-11-27.csv",
        lambda request: 0,
    ),
}


class TestSmallDialogs:
    @pytest.mark.parametrize("size", SIZES)
    @pytest.mark.parametrize("name", list(DIALOGS))
    def test_dialog(self, snap_compare: SnapCompare, name: str, size: tuple[int, int]) -> None:
        assert snap_compare(DialogHarness(DIALOGS[name]()), terminal_size=size)

    def test_decline_refused_without_a_reason(self, snap_compare: SnapCompare) -> None:
        async def refuse(pilot: Pilot[None]) -> None:
            await pilot.press("ctrl+s")
            await pilot.pause()

        app = DialogHarness(DeclineDialog())
        assert snap_compare(app, terminal_size=(80, 24), run_before=refuse)

    def test_decline_with_a_reason(self, snap_compare: SnapCompare) -> None:
        async def choose(pilot: Pilot[None]) -> None:
            pilot.app.screen.query_one(Select).value = DeclineReason.NOT_A_CUSTOMER
            await pilot.pause()

        app = DialogHarness(DeclineDialog())
        assert snap_compare(app, terminal_size=(80, 24), run_before=choose)
