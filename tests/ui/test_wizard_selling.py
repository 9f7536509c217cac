"""Wizard step 5, Selling (R-UI-4, R-INV-1..3, R-ACL-2), alone in the StepHarness.

Dana's Contoso is co-sell ready; Grace's Northwind is not; Megan is one of the vendor's
sellers. Tests press keys as a user does and read what the step shows.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Button, Input, Select, SelectionList, Static

from cosell_tui.domain.enums import HelpType
from cosell_tui.domain.models import Organization, User
from cosell_tui.domain.wizard import (
    PRIVATE_NOT_REGISTERABLE,
    VENDOR_NEEDS_CONTACT,
    Draft,
    DraftMember,
)
from cosell_tui.screens.dialog import Field
from cosell_tui.screens.dialogs.invite import VENDOR_DECIDES, InvitePartnersDialog
from cosell_tui.screens.wizard.base import WizardStep
from cosell_tui.screens.wizard.selling import InvitedPartners, SellingStep
from cosell_tui.store.database import Database
from tests.ui.wizard_harness import StepHarness

INSIGHT_CLOUD = 8  # Contoso's incentive-eligible solution in the demo catalog
DATA_QUICKSTART = 9  # Contoso's, not incentive eligible
DANA = DraftMember(
    first_name="Dana",
    last_name="Whitfield",
    phone="+1 206-555-0135",
    email="dana.whitfield@contoso.example",
)


class Harness(StepHarness):
    """Counts the step's Changed messages: the wizard saves the draft on each."""

    def __init__(self, db: Database, user: User, draft: Draft | None = None) -> None:
        super().__init__(SellingStep, db, user, draft)
        self.changes = 0

    def on_wizard_step_changed(self, _: WizardStep.Changed) -> None:
        self.changes += 1


def deal(*, contact: bool = False, solutions: tuple[int, ...] = (DATA_QUICKSTART,)) -> Draft:
    """Steps 1-4 filled in as the wizard would have them, with or without the contact."""
    draft = Draft(
        country="US",
        city="Seattle",
        company_id=1,
        company_label="Adatum Corporation, Seattle · D-U-N-S 150483782",
        name="Adatum — Insight rollout",
        value="250000",
        currency="USD",
        close_date="2027-02-15",
        team=[DANA],
        solution_ids=list(solutions),
    )
    if contact:
        draft.contact_name = "Ann Lee"
        draft.contact_phone = "+1 206 555 0100"
        draft.contact_email = "ann.lee@adatum.example"
        draft.consent = True
    return draft


def on_screen(app: App[Any]) -> str:
    """The screen as the user reads it, wrapping and the warnings' bar undone."""
    strips = app.screen._compositor.render_strips()
    rows = ("".join(s.text for s in strip).replace("█", " ") for strip in strips)
    return " ".join(" ".join(row.split()) for row in rows)


def error_under(app: Harness, key: str) -> str:
    field = next(f for f in app.step_widget.query(Field) if f.key == key)
    line = field.query_one(".field-error", Static)
    return str(line.render()) if line.display else ""


def partner(app: App[Any], name: str) -> Organization:
    context = app.context if isinstance(app, StepHarness) else None
    assert context is not None
    return next(p for p in context.partners if p.name == name)


def listed(app: Harness) -> list[str]:
    options = app.step_widget.query_one(InvitedPartners)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def choose_help(pilot: Pilot[None], app: Harness, downs: int) -> None:
    """Open the vendor help select with the keyboard and move `downs` options down."""
    select = app.step_widget.query_one("#vendor-help", Select)
    select.focus()
    await pilot.press("enter")
    await pilot.press(*["down"] * downs, "enter")
    await pilot.pause()


async def test_asking_the_vendor_needs_the_contact_of_step_1(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-INV-2: any help but none invites the vendor, which needs contact and consent
    app = Harness(demo_db, people["Dana"], deal())
    async with app.run_test(size=(80, 24)) as pilot:
        select = app.step_widget.query_one("#vendor-help", Select)
        assert app.focused is select
        assert select.value is HelpType.NONE  # private by default
        assert "None — keep it private (or partners only)" in on_screen(app)
        assert " ".join(VENDOR_DECIDES.split()) in on_screen(app)
        assert app.check() == {}  # private needs nothing more
        await choose_help(pilot, app, 3)
        assert select.value is HelpType.PROOF_OF_CONCEPT_OR_DEMO
        # said at once, before Next is pressed, and naming the step to go back to
        assert error_under(app, "vendor_help") == VENDOR_NEEDS_CONTACT
        assert "step 1, Customer" in VENDOR_NEEDS_CONTACT
        assert "Co-sell deal: the vendor's sellers are invited." in on_screen(app)
        assert app.check() == {"vendor_help": VENDOR_NEEDS_CONTACT}
        assert app.draft.vendor_help is HelpType.PROOF_OF_CONCEPT_OR_DEMO  # kept as chosen
        assert app.focused is select


async def test_asking_the_vendor_with_contact_and_consent_passes(
    demo_db: Database, people: dict[str, User]
) -> None:
    app = Harness(demo_db, people["Dana"], deal(contact=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await choose_help(pilot, app, 1)
        assert error_under(app, "vendor_help") == ""
        assert app.check() == {}
        assert app.draft.vendor_help is HelpType.WORKLOAD_VALUE_PROPOSITION


async def test_an_organization_not_co_sell_ready_is_told_why(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-ACL-2: Grace's Northwind may not invite the vendor; it may still invite partners
    draft = deal(contact=True)
    draft.vendor_help = HelpType.QUOTES_AND_LICENSING  # a stale draft cannot sneak it in
    app = Harness(demo_db, people["Grace"], draft)
    async with app.run_test(size=(80, 24)):
        assert list(app.step_widget.query(Select)) == []
        text = on_screen(app)
        assert "The vendor cannot be invited: Northwind Data is not co-sell ready" in text
        assert "You can still invite partners." in text
        assert app.focused is app.step_widget.query_one("#selling-invite", Button)
        assert app.check() == {}
        assert app.draft.vendor_help is HelpType.NONE


async def test_a_seller_invites_partners_and_has_no_vendor_choice(
    demo_db: Database, people: dict[str, User]
) -> None:
    # SPEC §4: the vendor's sellers start a co-sell opportunity by inviting partners
    megan = people["Megan"]
    seller = DraftMember(
        first_name=megan.first_name,
        last_name=megan.last_name,
        phone=megan.phone,
        email=megan.email,
    )
    draft = deal(solutions=(2,))
    draft.team = [seller]
    app = Harness(demo_db, megan, draft)
    async with app.run_test(size=(80, 24)) as pilot:
        assert list(app.step_widget.query(Select)) == []
        text = on_screen(app)
        assert "You are the vendor: you start a co-sell opportunity by inviting partners" in text
        assert "Co-sell opportunity: no partner invited yet." in text
        await pilot.press("ctrl+t")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, InvitePartnersDialog)
        team: SelectionList[int] = dialog.query_one("#partner-team", SelectionList)
        assert team.option_count == 1 and team.selected == [0]  # her team, from step 3
        assert "Megan Bowen" in str(team.get_option_at_index(0).prompt)


async def fill_partner(
    pilot: Pilot[None], dialog: InvitePartnersDialog, org: Organization, value: str
) -> None:
    dialog.query_one("#partner", Select).value = org.id
    await pilot.pause()
    dialog.query_one("#partner-location", Select).value = org.locations[-1].id
    dialog.query_one("#partner-value", Input).value = value
    solutions: SelectionList[int] = dialog.query_one("#partner-solutions", SelectionList)
    solutions.select(solutions.get_option_at_index(0))  # its own, listed first
    await pilot.pause()


async def test_two_invited_partners_keep_their_own_terms_and_one_is_removed(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-INV-3: the dialog starts from the deal's close date, currency and team
    app = Harness(demo_db, people["Dana"], deal())
    async with app.run_test(size=(80, 24)) as pilot:
        fabrikam = partner(app, "Fabrikam Cloud Services")
        tailspin = partner(app, "Tailspin Security")
        await pilot.press("ctrl+t")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, InvitePartnersDialog)
        # nothing is sent before the deal is created, and the button says so
        assert str(dialog.query_one("#save", Button).label) == "Add to the deal"
        assert dialog.query_one("#partner-close-date", Input).value == "2027-02-15"
        assert dialog.query_one("#partner-currency", Input).value == "USD"
        team: SelectionList[int] = dialog.query_one("#partner-team", SelectionList)
        assert team.selected == [0]
        assert "Dana Whitfield" in str(team.get_option_at_index(0).prompt)
        await fill_partner(pilot, dialog, fabrikam, "40000")
        await pilot.press("ctrl+n")  # the dialog's "add partner to the list"
        await pilot.pause()
        await fill_partner(pilot, dialog, tailspin, "15000.50")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is not dialog
        assert app.changes == 1
        rows = listed(app)
        assert len(rows) == 2
        assert rows[0].startswith("Fabrikam Cloud Services (Paris, FR)")
        assert "40,000.00 USD by 2027-02-15" in rows[0]
        assert rows[1].startswith("Tailspin Security (Singapore, SG)")
        assert "15,000.50 USD" in rows[1]
        assert "Partner to partner deal: 2 partners invited, not the vendor." in on_screen(app)

        assert app.check() == {}
        assert [(p.organization_id, p.value) for p in app.draft.partners] == [
            (fabrikam.id, Decimal("40000")),
            (tailspin.id, Decimal("15000.50")),
        ]
        assert all(p.close_date == date(2027, 2, 15) for p in app.draft.partners)

        # a partner already on the list is not offered again
        await pilot.press("ctrl+t")
        await pilot.pause()
        again = app.screen
        assert isinstance(again, InvitePartnersDialog)
        offered = [value for _, value in again.query_one("#partner", Select)._options]
        assert fabrikam.id not in offered and tailspin.id not in offered
        await pilot.press("escape")
        await pilot.pause()
        assert len(listed(app)) == 2  # cancelling adds nothing

        # the highlighted partner is taken off with delete
        partners = app.step_widget.query_one(InvitedPartners)
        partners.focus()
        partners.highlighted = 0
        await pilot.press("delete")
        await pilot.pause()
        assert app.changes == 2
        assert [row.split(" (")[0] for row in listed(app)] == ["Tailspin Security"]
        app.check()
        assert [p.organization_id for p in app.draft.partners] == [tailspin.id]


async def test_a_private_deal_with_an_incentive_eligible_solution_is_warned(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-UI-4 step 5: private deals can never be registered; the warning follows the choice
    app = Harness(demo_db, people["Dana"], deal(contact=True, solutions=(INSIGHT_CLOUD,)))
    async with app.run_test(size=(80, 24)) as pilot:
        warning = app.step_widget.query_one("#selling-warning", Static)
        assert warning.display
        assert " ".join(PRIVATE_NOT_REGISTERABLE.split()) in on_screen(app)
        await choose_help(pilot, app, 2)
        assert not warning.display
        assert "A private deal can never be registered" not in on_screen(app)
        await pilot.press("enter", "home", "enter")  # back to none: private again
        await pilot.pause()
        assert warning.display
        assert app.check() == {}  # a warning, not an error


async def test_no_warning_without_an_incentive_eligible_solution(
    demo_db: Database, people: dict[str, User]
) -> None:
    app = Harness(demo_db, people["Dana"], deal(solutions=(DATA_QUICKSTART,)))
    async with app.run_test(size=(80, 24)):
        assert not app.step_widget.query_one("#selling-warning", Static).display
        assert "Private deal: only your organization sees it." in on_screen(app)
