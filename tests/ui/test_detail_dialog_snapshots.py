"""SVG snapshots of the deal-detail dialogs (R-UI-5, R-Q-3): edit, team, solutions, comment,
each at 80×24 and 120×40, plus the inline refusals and a NO_COLOR rendering.

Update only after looking at the new SVGs: `pytest tests/ui/test_detail_dialog_snapshots.py
--snapshot-update`, then convert and view them (STYLE rule 11).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from cosell_tui.screens.dialogs.comment import CommentDialog
from cosell_tui.screens.dialogs.edit import EditDialog
from cosell_tui.screens.dialogs.solutions import SolutionsDialog
from cosell_tui.screens.dialogs.team import TeamDialog
from tests.ui.dialog_harness import DialogHarness
from tests.ui.test_detail_dialogs import (
    CATALOG,
    CONTOSO,
    DEAL_NAME,
    FABRIC,
    INSIGHT,
    JONAS,
    LOCATIONS,
    MIGRATION,
    ORGANIZATION_NAMES,
    PRIYA,
    make_referral,
)

SnapCompare = Callable[..., bool]
SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


async def steady(pilot: Pilot[Any]) -> None:
    """No blinking cursors, so the picture is the same every run."""
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    for area in pilot.app.screen.query(TextArea):
        area.cursor_blink = False
    await pilot.pause()


def then(*keys: str) -> Callable[[Pilot[Any]], Any]:
    async def run(pilot: Pilot[Any]) -> None:
        await steady(pilot)
        await pilot.press(*keys)
        await pilot.pause()

    return run


class TestEditDialogSnapshots:
    @SIZES
    def test_prefilled(self, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
        app = DialogHarness(EditDialog(make_referral(), "Seattle, US"))
        assert snap_compare(app, terminal_size=size, run_before=steady)


class TestTeamDialogSnapshots:
    @SIZES
    def test_partner_to_partner_team(
        self, snap_compare: SnapCompare, size: tuple[int, int]
    ) -> None:
        app = DialogHarness(TeamDialog(make_referral(), ORGANIZATION_NAMES))
        assert snap_compare(app, terminal_size=size, run_before=steady)

    def test_last_own_member_refused(self, snap_compare: SnapCompare) -> None:
        app = DialogHarness(TeamDialog(make_referral(team=(PRIYA, JONAS)), ORGANIZATION_NAMES))
        assert snap_compare(app, terminal_size=(80, 24), run_before=then("x"))


class TestSolutionsDialogSnapshots:
    @SIZES
    def test_grouped_catalog(self, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
        dialog = SolutionsDialog(
            make_referral(solutions=(FABRIC, INSIGHT)), CATALOG, CONTOSO, True, LOCATIONS
        )
        assert snap_compare(DialogHarness(dialog), terminal_size=size, run_before=then("tab"))

    def test_sa_deal_two_assessments_refused(self, snap_compare: SnapCompare) -> None:
        dialog = SolutionsDialog(
            make_referral(solutions=(MIGRATION,), sa=True), CATALOG, CONTOSO, True, LOCATIONS
        )
        # to the list (on the ticked assessment), down to the other one, tick it, save
        keys = ("enter", "down", "space", "ctrl+s")
        assert snap_compare(DialogHarness(dialog), terminal_size=(80, 24), run_before=then(*keys))

    def test_filtered_without_colour(
        self, snap_compare: SnapCompare, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """R-Q-3: with NO_COLOR the ticks and the highlighted row still read."""
        monkeypatch.setenv("NO_COLOR", "1")
        dialog = SolutionsDialog(make_referral(), CATALOG, CONTOSO, True, LOCATIONS)
        app = DialogHarness(dialog)

        async def run(pilot: Pilot[Any]) -> None:
            pilot.app.add_class("-no-color")  # what CoSellApp does under NO_COLOR
            await then("f", "a", "b", "enter", "down")(pilot)

        assert snap_compare(app, terminal_size=(80, 24), run_before=run)


class TestCommentDialogSnapshots:
    @SIZES
    def test_typed_comment(self, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
        app = DialogHarness(CommentDialog(DEAL_NAME))

        async def run(pilot: Pilot[Any]) -> None:
            area = pilot.app.screen.query_one(TextArea)
            area.text = "Customer asked for a demo on Friday;\ncan Fabrikam join?"
            area.move_cursor(area.document.end)
            await steady(pilot)

        assert snap_compare(app, terminal_size=size, run_before=run)
