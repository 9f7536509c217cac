"""SVG snapshots of the deal-creation wizard (R-UI-4, issue 4): every step at 80×24 and 120×40,
clean and with the errors Next shows, the review of each kind of deal, and the two dialogs.

Each picture is the real WizardScreen inside the real app on the demo (seed 1, 2026-11-27).
Most are reached the way a user comes back to a draft: the draft is saved positioned at its
step, the app starts, offers it (ResumeDraft) and `r` resumes it. Update only after looking at
the new SVGs: `pytest tests/ui/test_wizard_snapshots.py --snapshot-update`, then convert and
view them (STYLE rule 11).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from cosell_tui import services
from cosell_tui.app import CoSellApp, build_app
from cosell_tui.domain.enums import HelpType
from cosell_tui.domain.models import Organization, PartnerInviteForm, TeamMemberForm, User
from cosell_tui.domain.wizard import Draft, DraftCompany, DraftMember, Step
from cosell_tui.screens.wizard.screen import LeaveWizard, ResumeDraft, WizardScreen
from cosell_tui.store import directory, queries
from cosell_tui.store.database import Database
from tests.ui.test_main_screen import settle

SnapCompare = Callable[..., bool]
RunBefore = Callable[[Pilot[None]], Awaitable[None]]
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]

MESSENGER = "150998214"  # Consolidated Messenger, Seattle: no deal with Contoso in the demo
WOODGROVE = "201558344"  # Woodgrove Bank, Toronto: Contoso's open "ERP migration to cloud"


# --- the demo's names, looked up rather than numbered ------------------------------------


def company_id(db: Database, duns: str) -> int:
    with db.reading() as session:
        found = directory.company_by_duns(session, duns)
    assert found is not None, duns
    return found.id


def organization(db: Database, name: str) -> Organization:
    with db.reading() as session:
        return next(o for o in queries.organizations(session) if o.name == name)


def solution(db: Database, name: str) -> int:
    with db.reading() as session:
        return next(s.id for s in queries.solutions(session) if s.name == name)


def location(org: Organization, city: str) -> int:
    return next(loc.id for loc in org.locations if loc.city == city)


def member(user: User) -> DraftMember:
    return DraftMember(
        first_name=user.first_name, last_name=user.last_name, phone=user.phone, email=user.email
    )


def dana_draft(db: Database, people: dict[str, User], step: Step, **changes: object) -> Draft:
    """Dana's private deal for Consolidated Messenger; it passes every step; shown at `step`."""
    contoso = organization(db, "Contoso Analytics")
    values: dict[str, object] = {
        "step": step,
        "country": "US",
        "city": "Seattle",
        "company_id": company_id(db, MESSENGER),
        "company_label": f"Consolidated Messenger, Seattle · D-U-N-S {MESSENGER}",
        "contact_name": "Ann Lee",
        "contact_phone": "+1 206 555 0100",
        "contact_email": "ann.lee@messenger.example",
        "consent": True,
        "name": "Consolidated Messenger — Data quickstart",
        "location_id": location(contoso, "Seattle"),
        "value": "250000",
        "currency": "USD",
        "close_date": "2027-02-15",
        "crm_id": "CRM-0042",
        "campaign_id": "FY27-Q2",
        "notes": "Kick-off with their data team in January.\nBudget approved in November.",
        "team": [member(people["Dana"]), member(people["Owen"])],
        "solution_ids": [solution(db, "Contoso Data Quickstart")],
    }
    values.update(changes)
    return Draft.model_validate(values)


def fabrikam_invite(db: Database, dana: User) -> PartnerInviteForm:
    fabrikam = organization(db, "Fabrikam Cloud Services")
    return PartnerInviteForm(
        organization_id=fabrikam.id,
        location_id=location(fabrikam, "Berlin"),
        close_date=date(2027, 1, 31),
        value=Decimal("40000"),
        currency="EUR",
        team=[TeamMemberForm.model_validate(member(dana).model_dump())],
        solution_ids=[solution(db, "Fabrikam Landing Zone")],
        help_requested=HelpType.QUOTES_AND_LICENSING,
    )


def tailspin_invite(db: Database, dana: User) -> PartnerInviteForm:
    tailspin = organization(db, "Tailspin Security")
    return PartnerInviteForm(
        organization_id=tailspin.id,
        location_id=location(tailspin, "Sydney"),
        close_date=date(2027, 2, 15),
        value=Decimal("7000"),
        currency="AUD",
        team=[TeamMemberForm.model_validate(member(dana).model_dump())],
        solution_ids=[solution(db, "Tailspin Sentinel Pack")],
        help_requested=HelpType.PROOF_OF_CONCEPT_OR_DEMO,
    )


# --- driving the app ---------------------------------------------------------------------


async def steady(app: CoSellApp, pilot: Pilot[None]) -> None:
    """Workers done (cities, suggestions, duplicates), no blinking cursor: the same every run."""
    await settle(app, pilot)
    for box in app.screen.query(Input):
        box.cursor_blink = False
    for area in app.screen.query(TextArea):
        area.cursor_blink = False
    await pilot.pause()


async def step_shown(app: CoSellApp, pilot: Pilot[None]) -> None:
    """The wizard is up and its workers (cities, suggestions, duplicates) have answered."""
    await steady(app, pilot)
    assert isinstance(app.screen, WizardScreen)
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


def resumed(app: CoSellApp, *keys: str) -> RunBefore:
    """Start, resume the saved draft with `r` (ResumeDraft), then press `keys` on the wizard."""

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(app, pilot)
        assert isinstance(app.screen, ResumeDraft)
        await pilot.press("r")
        await step_shown(app, pilot)
        for key in keys:
            await pilot.press(key)
            await steady(app, pilot)

    return run_before


def app_with(db: Database, user: User, draft: Draft) -> CoSellApp:
    services.save_draft(db, user, draft)
    return build_app(db, user)


NEXT = "ctrl+n"


# --- step 1 ------------------------------------------------------------------------------


class TestCustomerStep:
    def test_opened_with_n_from_the_main_screen(
        self, snap_compare: SnapCompare, demo_db: Database, people: dict[str, User]
    ) -> None:
        app = build_app(demo_db, people["Dana"])

        async def run_before(pilot: Pilot[None]) -> None:
            await settle(app, pilot)
            await pilot.press("n")
            await step_shown(app, pilot)

        assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)

    @pytest.mark.parametrize("size", SIZES)
    def test_namesakes_told_apart_by_duns(
        self,
        snap_compare: SnapCompare,
        demo_db: Database,
        people: dict[str, User],
        size: tuple[int, int],
    ) -> None:
        draft = Draft(step=Step.CUSTOMER, country="US", city="Seattle", company_search="adatum")
        app = app_with(demo_db, people["Dana"], draft)
        assert snap_compare(app, terminal_size=size, run_before=resumed(app))

    @pytest.mark.parametrize("size", SIZES)
    def test_chosen_company_and_contact(
        self,
        snap_compare: SnapCompare,
        demo_db: Database,
        people: dict[str, User],
        size: tuple[int, int],
    ) -> None:
        app = app_with(demo_db, people["Dana"], dana_draft(demo_db, people, Step.CUSTOMER))
        assert snap_compare(app, terminal_size=size, run_before=resumed(app))

    @pytest.mark.parametrize("size", SIZES)
    def test_errors_no_customer_and_a_bad_contact(
        self,
        snap_compare: SnapCompare,
        demo_db: Database,
        people: dict[str, User],
        size: tuple[int, int],
    ) -> None:
        draft = Draft(
            step=Step.CUSTOMER,
            country="US",
            city="Seattle",
            company_search="adatum",
            contact_name="Ann Lee",
            contact_phone="12",
            contact_email="a@",
            consent=True,
        )
        app = app_with(demo_db, people["Dana"], draft)
        assert snap_compare(app, terminal_size=size, run_before=resumed(app, NEXT))

    @pytest.mark.parametrize("size", SIZES)
    def test_errors_new_company_with_a_known_duns(
        self,
        snap_compare: SnapCompare,
        demo_db: Database,
        people: dict[str, User],
        size: tuple[int, int],
    ) -> None:
        draft = Draft(
            step=Step.CUSTOMER,
            country="US",
            city="Seattle",
            adding_company=True,
            new_company=DraftCompany(
                name="Adatum Corp",
                address_line="1 Microsoft Way",
                city="Seattle",
                country="US",
                duns="150483782",
            ),
        )
        app = app_with(demo_db, people["Dana"], draft)
        assert snap_compare(app, terminal_size=size, run_before=resumed(app, NEXT))


# --- step 2 ------------------------------------------------------------------------------


class TestDetailsStep:
    @pytest.mark.parametrize("size", SIZES)
    def test_filled_in(
        self,
        snap_compare: SnapCompare,
        demo_db: Database,
        people: dict[str, User],
        size: tuple[int, int],
    ) -> None:
        app = app_with(demo_db, people["Dana"], dana_draft(demo_db, people, Step.DETAILS))
        assert snap_compare(app, terminal_size=size, run_before=resumed(app))

    @pytest.mark.parametrize("size", SIZES)
    def test_errors_after_next(
        self,
        snap_compare: SnapCompare,
        demo_db: Database,
        people: dict[str, User],
        size: tuple[int, int],
    ) -> None:
        draft = dana_draft(
            demo_db,
            people,
            Step.DETAILS,
            name="",
            location_id=None,
            value="abc",
            currency="US",
            close_date="2026-11-26",
        )
        app = app_with(demo_db, people["Dana"], draft)
        assert snap_compare(app, terminal_size=size, run_before=resumed(app, NEXT))


# --- step 3 ------------------------------------------------------------------------------


class TestTeamStep:
    @pytest.mark.parametrize("size", SIZES)
    def test_two_members_and_the_recent_contacts(
        self,
        snap_compare: SnapCompare,
        demo_db: Database,
        people: dict[str, User],
        size: tuple[int, int],
    ) -> None:
        app = app_with(demo_db, people["Dana"], dana_draft(demo_db, people, Step.TEAM))
        assert snap_compare(app, terminal_size=size, run_before=resumed(app))

    @pytest.mark.parametrize("size", SIZES)
    def test_errors_a_half_typed_person(
        self,
        snap_compare: SnapCompare,
        demo_db: Database,
        people: dict[str, User],
        size: tuple[int, int],
    ) -> None:
        draft = dana_draft(
            demo_db,
            people,
            Step.TEAM,
            team=[member(people["Dana"])],
            member=DraftMember(first_name="Sam", phone="12", email="a@"),
        )
        app = app_with(demo_db, people["Dana"], draft)
        assert snap_compare(app, terminal_size=size, run_before=resumed(app, NEXT))


# --- step 4 ------------------------------------------------------------------------------


class TestSolutionsStep:
    @pytest.mark.parametrize("size", SIZES)
    def test_one_chosen(
        self,
        snap_compare: SnapCompare,
        demo_db: Database,
        people: dict[str, User],
        size: tuple[int, int],
    ) -> None:
        app = app_with(demo_db, people["Dana"], dana_draft(demo_db, people, Step.SOLUTIONS))
        assert snap_compare(app, terminal_size=size, run_before=resumed(app))

    @pytest.mark.parametrize("size", SIZES)
    def test_errors_none_chosen(
        self,
        snap_compare: SnapCompare,
        demo_db: Database,
        people: dict[str, User],
        size: tuple[int, int],
    ) -> None:
        draft = dana_draft(demo_db, people, Step.SOLUTIONS, solution_ids=[])
        app = app_with(demo_db, people["Dana"], draft)
        assert snap_compare(app, terminal_size=size, run_before=resumed(app, NEXT))

    def test_errors_an_assessment_without_its_location(
        self, snap_compare: SnapCompare, demo_db: Database, people: dict[str, User]
    ) -> None:
        draft = dana_draft(
            demo_db,
            people,
            Step.SOLUTIONS,
            solution_ids=[solution(demo_db, "Azure Migration Assessment")],
            assessment_location_id=None,
        )
        app = app_with(demo_db, people["Dana"], draft)
        assert snap_compare(app, terminal_size=(80, 24), run_before=resumed(app, NEXT))


# --- step 5 ------------------------------------------------------------------------------


class TestSellingStep:
    @pytest.mark.parametrize("size", SIZES)
    def test_co_sell_with_a_partner(
        self,
        snap_compare: SnapCompare,
        demo_db: Database,
        people: dict[str, User],
        size: tuple[int, int],
    ) -> None:
        dana = people["Dana"]
        draft = dana_draft(
            demo_db,
            people,
            Step.SELLING,
            vendor_help=HelpType.PROOF_OF_CONCEPT_OR_DEMO,
            partners=[fabrikam_invite(demo_db, dana)],
        )
        app = app_with(demo_db, dana, draft)
        assert snap_compare(app, terminal_size=size, run_before=resumed(app))

    @pytest.mark.parametrize("size", SIZES)
    def test_errors_the_vendor_without_a_contact(
        self,
        snap_compare: SnapCompare,
        demo_db: Database,
        people: dict[str, User],
        size: tuple[int, int],
    ) -> None:
        draft = dana_draft(
            demo_db,
            people,
            Step.SELLING,
            contact_name="",
            contact_phone="",
            contact_email="",
            consent=False,
            vendor_help=HelpType.PROOF_OF_CONCEPT_OR_DEMO,
        )
        app = app_with(demo_db, people["Dana"], draft)
        assert snap_compare(app, terminal_size=size, run_before=resumed(app, NEXT))

    @pytest.mark.parametrize("size", SIZES)
    def test_errors_a_seller_without_partners(
        self,
        snap_compare: SnapCompare,
        demo_db: Database,
        people: dict[str, User],
        size: tuple[int, int],
    ) -> None:
        megan = people["Megan"]
        microsoft = organization(demo_db, "Microsoft")
        draft = dana_draft(
            demo_db,
            people,
            Step.SELLING,
            name="Consolidated Messenger — Copilot rollout",
            location_id=location(microsoft, "Redmond"),
            team=[member(megan)],
            solution_ids=[solution(demo_db, "Microsoft 365 Copilot")],
        )
        app = app_with(demo_db, megan, draft)
        assert snap_compare(app, terminal_size=size, run_before=resumed(app, NEXT))


# --- step 6 ------------------------------------------------------------------------------


class TestReviewStep:
    @pytest.mark.parametrize("size", SIZES)
    def test_a_private_deal(
        self,
        snap_compare: SnapCompare,
        demo_db: Database,
        people: dict[str, User],
        size: tuple[int, int],
    ) -> None:
        app = app_with(demo_db, people["Dana"], dana_draft(demo_db, people, Step.REVIEW))
        assert snap_compare(app, terminal_size=size, run_before=resumed(app))

    @pytest.mark.parametrize("size", SIZES)
    def test_warnings_private_incentive_and_an_open_duplicate(
        self,
        snap_compare: SnapCompare,
        demo_db: Database,
        people: dict[str, User],
        size: tuple[int, int],
    ) -> None:
        draft = dana_draft(
            demo_db,
            people,
            Step.REVIEW,
            country="CA",
            city="Toronto",
            company_id=company_id(demo_db, WOODGROVE),
            company_label=f"Woodgrove Bank, Toronto · D-U-N-S {WOODGROVE}",
            name="Woodgrove Bank — Insight rollout",
            solution_ids=[solution(demo_db, "Contoso Insight Cloud")],
        )
        app = app_with(demo_db, people["Dana"], draft)
        assert snap_compare(app, terminal_size=size, run_before=resumed(app))

    @pytest.mark.parametrize("size", SIZES)
    def test_a_co_sell_deal_with_two_partners(
        self,
        snap_compare: SnapCompare,
        demo_db: Database,
        people: dict[str, User],
        size: tuple[int, int],
    ) -> None:
        dana = people["Dana"]
        draft = dana_draft(
            demo_db,
            people,
            Step.REVIEW,
            vendor_help=HelpType.PROOF_OF_CONCEPT_OR_DEMO,
            partners=[fabrikam_invite(demo_db, dana), tailspin_invite(demo_db, dana)],
        )
        app = app_with(demo_db, dana, draft)
        assert snap_compare(app, terminal_size=size, run_before=resumed(app))


# --- the dialogs -------------------------------------------------------------------------


class TestDraftDialogs:
    def test_resume_offered_at_start(
        self, snap_compare: SnapCompare, demo_db: Database, people: dict[str, User]
    ) -> None:
        app = app_with(demo_db, people["Dana"], dana_draft(demo_db, people, Step.TEAM))

        async def run_before(pilot: Pilot[None]) -> None:
            await settle(app, pilot)
            assert isinstance(app.screen, ResumeDraft)

        assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)

    def test_leave_asks_before_discarding(
        self, snap_compare: SnapCompare, demo_db: Database, people: dict[str, User]
    ) -> None:
        app = app_with(demo_db, people["Dana"], dana_draft(demo_db, people, Step.DETAILS))
        run = resumed(app, "escape")

        async def run_before(pilot: Pilot[None]) -> None:
            await run(pilot)
            assert isinstance(app.screen, LeaveWizard)

        assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
