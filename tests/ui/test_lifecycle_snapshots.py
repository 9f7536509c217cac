"""SVG snapshots of the lifecycle widget (R-UI-3): compact at 80×24, the stepper at 120×40.

Update only after looking at the new SVGs: `pytest tests/ui/test_lifecycle_snapshots.py
--snapshot-update`, then convert and view them (STYLE rule 11).
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.widgets import Label

from cosell_tui.domain.enums import Direction, LostReason, RegistrationStatus, Stage, Status
from cosell_tui.widgets.lifecycle import LifecycleWidget
from tests.ui.test_lifecycle_widget import LifecycleApp, make_referral

SnapCompare = Callable[..., bool]


class LifecycleGallery(LifecycleApp):
    """One of each kind the deal screen shows, each under a caption."""

    CSS = """
    Label { color: $text-muted; }
    LifecycleWidget { margin-bottom: 1; }
    """

    def compose(self) -> ComposeResult:
        yield Label("Received (inbound), awaiting an answer")
        yield LifecycleWidget(make_referral(Status.RECEIVED, direction=Direction.INBOUND))
        yield Label("Accepted, at Developed")
        yield LifecycleWidget(make_referral(Status.ACCEPTED, Stage.DEVELOPED))
        yield Label("Solution assessment, at Collect data")
        yield LifecycleWidget(make_referral(Status.ACCEPTED, Stage.DEVELOPED, sa=True))
        yield Label("Won, registration in review")
        yield LifecycleWidget(make_referral(Status.WON), RegistrationStatus.IN_REVIEW)
        yield Label("Lost at Proposed")
        yield LifecycleWidget(
            make_referral(
                Status.LOST, Stage.PROPOSED, closing_reason=LostReason.LOST_TO_COMPETITOR.value
            )
        )


class TestLifecycleSnapshots:
    def test_compact_at_80_columns(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(LifecycleGallery(), terminal_size=(80, 24))

    def test_stepper_at_120_columns(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(LifecycleGallery(), terminal_size=(120, 40))
