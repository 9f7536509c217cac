"""Wizard step 6, Review (R-UI-4), alone in the StepHarness on the demo database.

The review shows every entry with names (not ids), the deal type it will become and who is
invited, the warnings that do not block Create, and a key per section to go back and fix it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from textual.app import App

from cosell_tui import services
from cosell_tui.domain.enums import HelpType
from cosell_tui.domain.models import Organization, PartnerInviteForm, TeamMemberForm, User
from cosell_tui.domain.wizard import PRIVATE_NOT_REGISTERABLE, Draft, DraftMember, Step, to_form
from cosell_tui.screens.wizard.base import WizardStep
from cosell_tui.screens.wizard.review import ReviewStep
from cosell_tui.store import directory
from cosell_tui.store.database import Database
from tests.ui.wizard_harness import StepHarness

INSIGHT_CLOUD = 8  # Contoso's incentive-eligible solution
COPILOT = 2  # the vendor's Microsoft 365 Copilot
MIGRATION_ASSESSMENT = 5
DANA = DraftMember(
    first_name="Dana",
    last_name="Whitfield",
    phone="+1 206-555-0135",
    email="dana.whitfield@contoso.example",
)
OWEN = DraftMember(
    first_name="Owen",
    last_name="Tremblay",
    phone="+1 416-555-0142",
    email="owen.tremblay@contoso.example",
)


class Harness(StepHarness):
    """Keeps the steps the review asks the wizard to show."""

    def __init__(self, db: Database, user: User, draft: Draft | None = None) -> None:
        super().__init__(ReviewStep, db, user, draft)
        self.asked: list[Step] = []

    def on_wizard_step_go_to(self, message: WizardStep.GoTo) -> None:
        self.asked.append(message.step)


def on_screen(app: App[Any]) -> str:
    """The screen as the user reads it, wrapping and the warnings' bar undone."""
    strips = app.screen._compositor.render_strips()
    rows = ("".join(s.text for s in strip).replace("█", " ") for strip in strips)
    return " ".join(" ".join(row.split()) for row in rows)


def consolidated_messenger(db: Database) -> int:
    """A Seattle customer Contoso has no deal with in the demo."""
    with db.reading() as session:
        found = directory.company_by_duns(session, "150998214")
    assert found is not None
    return found.id


def full_draft(app_db: Database, contoso: Organization, partner: Organization) -> Draft:
    seattle = next(loc for loc in contoso.locations if loc.city == "Seattle")
    return Draft(
        step=Step.REVIEW,
        country="US",
        city="Seattle",
        company_id=consolidated_messenger(app_db),
        company_label="Consolidated Messenger, Seattle · D-U-N-S 150998214",
        contact_name="Ann [bold]Lee[/]",
        contact_phone="+1 206 555 0100",
        contact_email="ann.lee@messenger.example",
        consent=True,
        name="Consolidated Messenger — Insight pilot",
        location_id=seattle.id,
        value="250000",
        currency="USD",
        close_date="2027-02-15",
        crm_id="CRM-0042",
        campaign_id="FY27-Q2",
        notes="First line\nsecond line",
        team=[DANA, OWEN],
        solution_ids=[INSIGHT_CLOUD, COPILOT],
        vendor_help=HelpType.PROOF_OF_CONCEPT_OR_DEMO,
        partners=[
            PartnerInviteForm(
                organization_id=partner.id,
                location_id=partner.locations[0].id,
                close_date=date(2027, 1, 31),
                value=Decimal("40000"),
                currency="EUR",
                team=[TeamMemberForm.model_validate(DANA.model_dump())],
                solution_ids=[INSIGHT_CLOUD],
                help_requested=HelpType.QUOTES_AND_LICENSING,
            )
        ],
    )


def organization(app: Harness, name: str) -> Organization:
    return next(p for p in app.context.partners if p.name == name)


async def test_a_full_draft_shows_every_section_by_name(
    demo_db: Database, people: dict[str, User]
) -> None:
    app = Harness(demo_db, people["Dana"])
    app.draft = full_draft(
        demo_db, app.context.organization, organization(app, "Fabrikam Cloud Services")
    )
    async with app.run_test(size=(120, 60)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.focused is app.step_widget  # the step itself takes the digit keys
        text = on_screen(app)
        for heading in (
            "1 Customer (press 1 to change)",
            "2 Deal details (press 2 to change)",
            "3 Team (press 3 to change)",
            "4 Solutions (press 4 to change)",
            "5 Selling (press 5 to change)",
        ):
            assert heading in text
        for shown in (
            "It will be created as a Co-sell deal. Invited: the vendor's sellers; "
            "Fabrikam Cloud Services (Berlin, DE).",
            "Company Consolidated Messenger, Seattle · D-U-N-S 150998214",
            "Contact Ann [bold]Lee[/] · +1 206 555 0100 · ann.lee@messenger.example",  # literal
            "Consent yes",
            "Name Consolidated Messenger — Insight pilot",
            "Location Seattle, US",
            "Value 250,000.00 USD",
            "Close date 2027-02-15",
            "CRM id CRM-0042",
            "Campaign id FY27-Q2",
            "Notes First line",
            "second line",
            "Dana Whitfield · dana.whitfield@contoso.example · +1 206-555-0135",
            "Owen Tremblay · owen.tremblay@contoso.example · +1 416-555-0142",
            "Contoso Insight Cloud · my company's · incentive eligible",
            "Microsoft 365 Copilot · vendor",
            "Vendor's help Proof of concept or demo",
            "Fabrikam Cloud Services (Berlin, DE) 40,000.00 EUR by 2027-01-31 · 1 solution "
            "· help: Quotes and licensing",
        ):
            assert shown in text, shown
        assert "Warning" not in text  # co-sell, and no open deal for this customer yet


async def test_digit_keys_go_back_to_their_step(demo_db: Database, people: dict[str, User]) -> None:
    app = Harness(demo_db, people["Dana"])
    app.draft = full_draft(
        demo_db, app.context.organization, organization(app, "Tailspin Security")
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await pilot.press("1", "5")
        await pilot.pause()
        assert app.asked == [Step.TEAM, Step.CUSTOMER, Step.SELLING]


async def test_an_assessment_has_no_selling_section(
    demo_db: Database, people: dict[str, User]
) -> None:
    app = Harness(demo_db, people["Dana"])
    draft = full_draft(demo_db, app.context.organization, organization(app, "Tailspin Security"))
    draft.solution_ids = [MIGRATION_ASSESSMENT]
    draft.assessment_location_id = draft.location_id
    app.draft = draft
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.pause()
        text = on_screen(app)
        assert "Selling" not in text
        assert "It will be created as a Solution assessment deal" in text
        assert "Azure Migration Assessment · assessment · for Seattle, US" in text
        await pilot.press("5", "4")
        await pilot.pause()
        assert app.asked == [Step.SOLUTIONS]  # 5 does nothing: there is no selling step


async def test_a_private_deal_is_warned_and_an_open_duplicate_is_named(
    demo_db: Database, people: dict[str, User]
) -> None:
    dana = people["Dana"]
    app = Harness(demo_db, dana)
    draft = full_draft(demo_db, app.context.organization, organization(app, "Tailspin Security"))
    draft.vendor_help = HelpType.NONE
    draft.partners = []
    # Contoso already works this customer with Contoso Insight Cloud, created the same way
    earlier = draft.model_copy(update={"name": "Messenger — [i]first[/i] try"})
    services.create_deal(demo_db, dana, to_form(earlier, app.context.rules))
    app.draft = draft
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = on_screen(app)
        assert "It will be created as a Private deal: nobody is invited" in text
        assert "Warning: " + " ".join(PRIVATE_NOT_REGISTERABLE.split()) in text
        assert (
            "Warning: Your organization already has an open deal for this customer and "
            "solution: Messenger — [i]first[/i] try (accepted)"
        ) in text
        # Create stays possible: the warnings are no step errors
        assert app.check() == {}
