"""SVG snapshots of the accept, stage, won and lost dialogs (R-UI-5) at 80×24 and 120×40.

Update only after looking at the new SVGs: `pytest tests/ui/test_lifecycle_dialog_snapshots.py
--snapshot-update`, then convert and view them (STYLE rule 11).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input, Select, TextArea

from cosell_tui.domain.enums import LostReason, Stage, Status
from cosell_tui.domain.lifecycle import won_blocker
from cosell_tui.screens.dialogs.accept import AcceptDialog, AcceptTeamList, TeamField
from cosell_tui.screens.dialogs.close import LostDialog, WonDialog
from cosell_tui.screens.dialogs.stage import StageDialog
from tests.ui.dialog_harness import DialogHarness
from tests.ui.test_lifecycle_dialogs import ME, deal

SnapCompare = Callable[..., bool]
SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


async def steady(pilot: Pilot[None]) -> None:
    """No blinking cursors, so every run draws the same frame."""
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False
    for area in pilot.app.screen.query(TextArea):
        area.cursor_blink = False
    await pilot.pause()


class TestAcceptDialogSnapshots:
    @SIZES
    def test_prefilled(self, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
        """The referral's terms, me on the team, the sender's contact read-only."""
        app = DialogHarness(AcceptDialog(deal(crm_id="CRM-42"), ME))
        assert snap_compare(app, terminal_size=size, run_before=steady)

    def test_team_section_at_80x24(self, snap_compare: SnapCompare) -> None:
        """Scrolled to the team: two people listed, the cursor on the one just added."""

        async def add_marco(pilot: Pilot[None]) -> None:
            screen = pilot.app.screen
            for key, value in (
                ("first-name", "Marco"),
                ("last-name", "Rossi"),
                ("phone", "+1 206 555 0102"),
                ("email", "marco@contoso.example"),
            ):
                screen.query_one(f"#new-{key}", Input).value = value
            screen.query_one("#add-member", Button).press()
            await pilot.pause()
            await pilot.wait_for_scheduled_animations()  # focus moved, scrolling smoothly
            team = screen.query_one(AcceptTeamList)
            team.focus(scroll_visible=False)
            # Scroll without animation, so every run stops at the same line.
            section = screen.query_one(TeamField)  # its label, list, hint
            screen.query_one(".dialog-body").scroll_to_widget(section, animate=False, top=True)
            await pilot.wait_for_scheduled_animations()
            await steady(pilot)

        app = DialogHarness(AcceptDialog(deal(), ME))
        assert snap_compare(app, terminal_size=(80, 24), run_before=add_marco)


class TestStageDialogSnapshots:
    @SIZES
    def test_sa_deal_at_collect_data(
        self, snap_compare: SnapCompare, size: tuple[int, int]
    ) -> None:
        app = DialogHarness(StageDialog(deal(Status.ACCEPTED, Stage.DEVELOPED, sa=True)))
        assert snap_compare(app, terminal_size=size, run_before=steady)


class TestWonDialogSnapshots:
    @SIZES
    def test_with_registration_offered(
        self, snap_compare: SnapCompare, size: tuple[int, int]
    ) -> None:
        app = DialogHarness(WonDialog(deal(Status.ACCEPTED, Stage.NEGOTIATED), None, True))
        assert snap_compare(app, terminal_size=size, run_before=steady)

    @SIZES
    def test_blocked_sa_deal(self, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
        referral = deal(Status.ACCEPTED, Stage.PROPOSED, sa=True)
        blocker = won_blocker(referral.status, referral.stage, referral.is_sa)
        app = DialogHarness(WonDialog(referral, blocker, True))
        assert snap_compare(app, terminal_size=size, run_before=steady)


class TestLostDialogSnapshots:
    @SIZES
    def test_other_without_notes_refused(
        self, snap_compare: SnapCompare, size: tuple[int, int]
    ) -> None:
        async def refuse(pilot: Pilot[None]) -> None:
            pilot.app.screen.query_one(Select).value = LostReason.OTHER
            await pilot.press("ctrl+s")
            await steady(pilot)

        app = DialogHarness(LostDialog(deal(Status.ACCEPTED)))
        assert snap_compare(app, terminal_size=size, run_before=refuse)
