"""SVG snapshots of the invite, registration and review dialogs (R-UI-5) at 80×24 and 120×40.

Update only after looking at the new SVGs: `pytest tests/ui/test_party_dialog_snapshots.py
--snapshot-update`, then convert and view them (STYLE rule 11).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from cosell_tui.domain.enums import HelpType, RegistrationStatus
from cosell_tui.screens.dialogs.invite import InvitePartnersDialog, InviteVendorDialog
from cosell_tui.screens.dialogs.register import RegisterDialog
from cosell_tui.screens.dialogs.review import ReviewDialog
from tests.ui.dialog_harness import DialogHarness
from tests.ui.test_party_dialogs import (
    CATALOG,
    DANA,
    FABRIKAM,
    MY_TEAM,
    PARTNERS,
    SUBMITTED,
    WON,
    WOODGROVE,
    ZONE,
    control,
    engagement,
    fill,
    referral,
    registration,
)

SnapCompare = Callable[..., bool]
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


async def steady(pilot: Pilot[None]) -> None:
    """No blinking cursor in a picture."""
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    for area in pilot.app.screen.query(TextArea):
        area.cursor_blink = False
    await pilot.pause()


async def one_partner_listed_and_the_next_found(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, DialogHarness)
    fill(app, organization_id=FABRIKAM.id, value="50000")
    await pilot.pause()
    fill(app, location_id=32, notes="Landing zone in the EU")
    control(app, "solution_ids").select(ZONE.id)
    await pilot.press("ctrl+n")
    await pilot.pause()
    await pilot.press(*"tail")  # the cursor is back in the search: Tailspin is found
    await steady(pilot)


class TestPartyDialogSnapshots:
    @pytest.mark.parametrize("size", SIZES)
    def test_invite_vendor_asking_for_the_contact(
        self, snap_compare: SnapCompare, size: tuple[int, int]
    ) -> None:
        dialog = InviteVendorDialog(
            referral(help_requested=HelpType.PROOF_OF_CONCEPT_OR_DEMO), engagement(), True
        )
        assert snap_compare(DialogHarness(dialog), terminal_size=size, run_before=steady)

    def test_invite_vendor_when_another_organization_must_add_the_contact(
        self, snap_compare: SnapCompare
    ) -> None:
        dialog = InviteVendorDialog(
            referral(), engagement(), False, contact_owner="Fabrikam Cloud Services"
        )
        assert snap_compare(DialogHarness(dialog), terminal_size=(80, 24), run_before=steady)

    @pytest.mark.parametrize("size", SIZES)
    def test_invite_partners_with_one_listed(
        self, snap_compare: SnapCompare, size: tuple[int, int]
    ) -> None:
        dialog = InvitePartnersDialog(referral(), PARTNERS, CATALOG, MY_TEAM)
        assert snap_compare(
            DialogHarness(dialog),
            terminal_size=size,
            run_before=one_partner_listed_and_the_next_found,
        )

    @pytest.mark.parametrize("size", SIZES)
    def test_register_prefilled(self, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
        dialog = RegisterDialog(WON, WOODGROVE, registration(), DANA)
        assert snap_compare(DialogHarness(dialog), terminal_size=size, run_before=steady)

    def test_resubmit_with_the_vendors_message(self, snap_compare: SnapCompare) -> None:
        reg = registration(
            RegistrationStatus.ACTION_REQUIRED,
            SUBMITTED,
            "Attach the [b]signed[/b] order form; the solution value looks too high.",
        )
        dialog = RegisterDialog(WON, WOODGROVE, reg, DANA)
        assert snap_compare(DialogHarness(dialog), terminal_size=(120, 40), run_before=steady)

    @pytest.mark.parametrize("size", SIZES)
    def test_review_in_deal_review(self, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
        dialog = ReviewDialog(
            registration(RegistrationStatus.IN_REVIEW, SUBMITTED),
            "Woodgrove analytics rollout",
            solution_name="Contoso Insight Cloud",
        )
        assert snap_compare(DialogHarness(dialog), terminal_size=size, run_before=steady)
