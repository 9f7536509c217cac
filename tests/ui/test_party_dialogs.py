"""The invite, registration and review dialogs (R-UI-5 with R-INV-2, R-INV-3, R-REG-2, R-REG-3).

Domain objects are built directly, the way the services return them; each test drives a dialog
with the keyboard or by setting its controls, and checks what it returns or what it refuses.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Select, SelectionList, Static, TextArea

from cosell_tui.domain.enums import (
    CompanySize,
    ContractType,
    DealType,
    DeployedOn,
    DeployedWhere,
    Direction,
    HelpType,
    RegistrationStatus,
    Role,
    SolutionKind,
    Stage,
    Status,
)
from cosell_tui.domain.models import (
    Company,
    CustomerContact,
    Engagement,
    Location,
    Organization,
    PartnerInviteForm,
    Referral,
    ReferralSolution,
    Registration,
    RegistrationForm,
    Solution,
    TeamMemberForm,
    User,
)
from cosell_tui.domain.registration import ReviewAction
from cosell_tui.screens.dialog import ConfirmDialog, Field
from cosell_tui.screens.dialogs.decline import DeclineDialog
from cosell_tui.screens.dialogs.invite import (
    InvitePartnersDialog,
    InviteVendorDialog,
    VendorInvite,
)
from cosell_tui.screens.dialogs.register import RegisterDialog
from cosell_tui.screens.dialogs.review import ReviewDialog, ReviewResult
from tests.ui.dialog_harness import DialogHarness

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
CLOSE = date(2027, 3, 31)

# --- the little world these dialogs are shown in --------------------------------------------


def org(id: int, name: str, *places: tuple[int, str, str], vendor: bool = False) -> Organization:
    return Organization(
        id=id,
        name=name,
        partner_id=None if vendor else f"{id:07d}",
        is_vendor=vendor,
        co_sell_ready=True,
        in_ecosystem=not vendor,
        vetted_for_assessments=False,
        locations=tuple(
            Location(id=loc, organization_id=id, city=city, country=country)
            for loc, city, country in places
        ),
    )


VENDOR = org(1, "Microsoft", (11, "Redmond", "US"), vendor=True)
CONTOSO = org(2, "Contoso Analytics", (21, "Seattle", "US"), (22, "Toronto", "CA"))
FABRIKAM = org(3, "Fabrikam Cloud Services", (31, "Berlin", "DE"), (32, "Paris", "FR"))
TAILSPIN = org(5, "Tailspin Security", (51, "Sydney", "AU"))
LITWARE = org(6, "Litware [bold]Labs[/bold]", (61, "Dublin", "IE"))
PARTNERS = [TAILSPIN, FABRIKAM, LITWARE]  # the lead passes them unsorted


def solution(
    id: int, name: str, owner: Organization, kind: SolutionKind, eligible: bool = False
) -> Solution:
    return Solution(
        id=id, name=name, organization_id=owner.id, kind=kind, incentive_eligible=eligible
    )


FABRIC = solution(101, "Microsoft Fabric", VENDOR, SolutionKind.VENDOR)
MIGRATION = solution(102, "Azure Migration Assessment", VENDOR, SolutionKind.ASSESSMENT)
INSIGHT = solution(201, "Contoso Insight Cloud", CONTOSO, SolutionKind.PARTNER, eligible=True)
QUICKSTART = solution(202, "Contoso Data Quickstart", CONTOSO, SolutionKind.PARTNER)
ZONE = solution(301, "Fabrikam Landing Zone", FABRIKAM, SolutionKind.PARTNER, eligible=True)
OPS = solution(302, "Fabrikam Cloud Ops", FABRIKAM, SolutionKind.PARTNER)
SHIELD = solution(501, "Tailspin Sentinel Shield", TAILSPIN, SolutionKind.PARTNER)
CATALOG = [FABRIC, MIGRATION, INSIGHT, QUICKSTART, ZONE, OPS, SHIELD]

PRIYA = TeamMemberForm(
    first_name="Priya", last_name="Raman", phone="+1 206 555 0101", email="priya@contoso.example"
)
MARCO = TeamMemberForm(
    first_name="Marco", last_name="Rossi", phone="+1 206 555 0102", email="marco@contoso.example"
)
MY_TEAM = [PRIYA, MARCO]

DANA = User(
    id=20,
    organization_id=CONTOSO.id,
    first_name="Dana",
    last_name="Whitfield",
    email="dana@contoso.example",
    phone="+1 206 555 0100",
    role=Role.PARTNER_ADMIN,
    scope_location_id=None,
    email_notifications=True,
)

WOODGROVE = Company(
    id=7,
    name="Woodgrove Bank",
    address_line="1 Pine Street",
    city="Seattle",
    state="WA",
    postal_code="98101",
    country="US",
    size=CompanySize.LARGE,
    duns="150483782",
)

CONTACT = CustomerContact(name="Ava Chen", phone="+1 206 555 0199", email="ava@woodgrove.example")


def referral(
    *,
    status: Status = Status.ACCEPTED,
    help_requested: HelpType = HelpType.NONE,
    solutions: tuple[Solution, ...] = (INSIGHT, FABRIC),
) -> Referral:
    """Contoso's own side of the deal (outbound, private), as the services return it."""
    return Referral(
        id="ref-contoso",
        engagement_id="eng-1",
        organization_id=CONTOSO.id,
        location_id=21,
        name="Woodgrove analytics rollout",
        value=Decimal("480000"),
        currency="USD",
        close_date=CLOSE,
        crm_id=None,
        campaign_id=None,
        notes=None,
        help_requested=help_requested,
        direction=Direction.OUTBOUND,
        status=status,
        stage=Stage.WON if status is Status.WON else Stage.QUALIFIED,
        deal_type=DealType.PRIVATE,
        created_at=AT,
        received_at=None,
        responded_at=None,
        closed_at=AT if status.terminal else None,
        response_deadline=None,
        closing_reason=None,
        closing_notes=None,
        version=3,
        solutions=tuple(ReferralSolution(solution=s) for s in solutions),
    )


def engagement(contact: CustomerContact | None = None, consent: bool = False) -> Engagement:
    return Engagement(
        id="eng-1",
        company=WOODGROVE,
        contact=contact,
        contact_consent=consent,
        created_by_organization_id=CONTOSO.id,
        deal_type=DealType.PRIVATE,
        created_at=AT,
    )


SUBMITTED = RegistrationForm(
    customer_name="Woodgrove Bank",
    country="US",
    city="Seattle",
    state="WA",
    solution_id=INSIGHT.id,
    contract_type=ContractType.NEW,
    total_value=Decimal("250000"),
    currency="USD",
    solution_value=Decimal("180000"),
    deployed_on=DeployedOn.AZURE,
    deployed_where=DeployedWhere.CUSTOMER_TENANT,
    contract_start=date(2027, 1, 1),
    contract_end=date(2029, 12, 31),
    signed_on=date(2026, 12, 15),
    contact_first_name="Dana",
    contact_last_name="Whitfield",
    contact_phone="+1 206 555 0100",
    contact_email="dana@contoso.example",
    named_in_contract=True,
)


def registration(
    status: RegistrationStatus = RegistrationStatus.INCOMPLETE,
    form: RegistrationForm | None = None,
    message: str | None = None,
) -> Registration:
    return Registration(
        id=1,
        referral_id="ref-contoso",
        status=status,
        form=form,
        message=message,
        submitted_at=None if form is None else AT,
        decided_at=None,
        version=2,
    )


# --- reading and driving a dialog ---------------------------------------------------------


def field(app: DialogHarness, key: str) -> Field:
    return next(f for f in app.dialog.query(Field) if f.key == key)


def error_of(app: DialogHarness, key: str) -> str:
    """The error line under a field, as shown ('' when none is shown)."""
    line = field(app, key).query_one(".field-error", Static)
    return str(line.render()) if line.display else ""


def errors(app: DialogHarness) -> dict[str, str]:
    return {f.key: error_of(app, f.key) for f in app.dialog.query(Field) if error_of(app, f.key)}


def shown_text(widget: Widget) -> str:
    """Every Static's text inside `widget` (labels, notes, hints), joined."""
    return "\n".join(str(s.render()) for s in widget.query(Static) if s.display)


def on_screen(app: DialogHarness) -> str:
    """The screen as the user reads it, one line per row."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip).rstrip() for strip in strips)


def control(app: DialogHarness, key: str) -> Any:
    return field(app, key).control


def fill(app: DialogHarness, **values: Any) -> None:
    """Set controls by field key (dots written as __), as a user would leave them."""
    for key, value in values.items():
        widget = control(app, key.replace("__", "."))
        if isinstance(widget, Input):
            widget.value = value
        elif isinstance(widget, TextArea):
            widget.text = value
        elif isinstance(widget, Checkbox | Select):
            widget.value = value
        else:
            raise TypeError(key)


async def save(pilot: Pilot[None]) -> None:
    await pilot.press("ctrl+s")
    await pilot.pause()


def option_values(select: Select[Any]) -> list[Any]:
    return [value for _, value in select._options if value is not Select.NULL]


def selection_names(selections: SelectionList[Any]) -> list[str]:
    return [
        str(selections.get_option_at_index(i).prompt).split(" · ")[0]
        for i in range(selections.option_count)
    ]


# --- inviting the vendor (R-INV-2) --------------------------------------------------------


async def test_vendor_invite_returns_help_and_notes_with_the_consented_contact() -> None:
    app = DialogHarness(InviteVendorDialog(referral(), engagement(CONTACT, True), True))
    async with app.run_test(size=(80, 24)) as pilot:
        text = shown_text(app.dialog)
        assert "14 days to accept or decline" in text
        assert "no guarantee" in text
        assert "Ava Chen · +1 206 555 0199 · ava@woodgrove.example" in text
        assert not [f for f in app.dialog.query(Field) if f.key.startswith("contact")]
        fill(app, help_requested=HelpType.PROOF_OF_CONCEPT_OR_DEMO, notes="  Demo in March  ")
        await save(pilot)
    invite = app.results[0]
    assert invite == VendorInvite(HelpType.PROOF_OF_CONCEPT_OR_DEMO, "Demo in March", CONTACT, True)
    assert not invite.changes_contact(engagement(CONTACT, True))


async def test_vendor_help_is_prefilled_from_the_deal_and_none_cannot_be_chosen() -> None:
    app = DialogHarness(
        InviteVendorDialog(
            referral(help_requested=HelpType.QUOTES_AND_LICENSING), engagement(CONTACT, True), True
        )
    )
    async with app.run_test(size=(80, 24)) as pilot:
        helps = option_values(control(app, "help_requested"))
        assert HelpType.NONE not in helps
        assert set(helps) == set(HelpType) - {HelpType.NONE}
        assert control(app, "help_requested").value is HelpType.QUOTES_AND_LICENSING
        await save(pilot)
    assert app.results[0].help_requested is HelpType.QUOTES_AND_LICENSING
    assert app.results[0].notes is None


async def test_vendor_invite_without_help_is_refused_inline() -> None:
    app = DialogHarness(InviteVendorDialog(referral(), engagement(CONTACT, True), True))
    async with app.run_test(size=(80, 24)) as pilot:
        await save(pilot)
        assert app.results == []
        assert errors(app) == {
            "help_requested": "Choose the help you want from the vendor's sellers."
        }


async def test_missing_contact_is_asked_for_with_consent_and_validated() -> None:
    app = DialogHarness(InviteVendorDialog(referral(), engagement(), True))
    async with app.run_test(size=(80, 24)) as pilot:
        assert "Get the customer's consent" in shown_text(app.dialog)
        fill(
            app,
            help_requested=HelpType.WORKLOAD_VALUE_PROPOSITION,
            contact__name="Ava Chen",
            contact__phone="call me",
            contact__email="ava@woodgrove.example",
        )
        await save(pilot)
        assert app.results == []
        found = errors(app)
        assert found.keys() == {"contact.phone", "consent"}
        assert found["contact.phone"].startswith("Enter a phone number of 7-15 digits")
        assert "agreed to share their contact" in found["consent"]
        fill(app, contact__phone="+1 206 555 0199")
        await save(pilot)
        assert app.results == []  # still no consent
        assert errors(app).keys() == {"consent"}
        fill(app, consent=True)
        await save(pilot)
    invite = app.results[0]
    assert invite.contact == CONTACT
    assert invite.consent is True
    assert invite.changes_contact(engagement())


async def test_contact_errors_show_as_soon_as_the_field_is_left() -> None:
    app = DialogHarness(InviteVendorDialog(referral(), engagement(), True))
    async with app.run_test(size=(80, 24)) as pilot:
        control(app, "contact.phone").focus()
        await pilot.press("1", "2", "a", "b", "tab")
        await pilot.pause()
        assert error_of(app, "contact.phone").startswith("Enter a phone number")
        assert error_of(app, "contact.name") == ""  # untouched fields stay quiet
        assert app.results == []


async def test_contact_without_consent_is_prefilled_and_needs_the_checkbox() -> None:
    app = DialogHarness(InviteVendorDialog(referral(), engagement(CONTACT, False), True))
    async with app.run_test(size=(80, 24)) as pilot:
        assert control(app, "contact.name").value == "Ava Chen"
        assert control(app, "contact.email").value == "ava@woodgrove.example"
        assert control(app, "consent").value is False
        fill(app, help_requested=HelpType.GENERAL_OR_OTHER)
        await save(pilot)
        assert errors(app).keys() == {"consent"}
        await pilot.click("#contact-consent")
        await save(pilot)
    assert app.results == [VendorInvite(HelpType.GENERAL_OR_OTHER, None, CONTACT, True)]
    assert app.results[0].changes_contact(engagement(CONTACT, False))


async def test_a_contact_this_user_cannot_add_allows_only_cancel() -> None:
    dialog = InviteVendorDialog(
        referral(), engagement(), False, contact_owner="Fabrikam [Cloud] Services"
    )
    app = DialogHarness(dialog)
    async with app.run_test(size=(80, 24)) as pilot:
        text = shown_text(app.dialog)
        assert "Only Fabrikam [Cloud] Services can add them" in text
        assert not list(app.dialog.query(Field))
        visible = [b for b in app.dialog.query(Button) if b.display]
        assert [str(b.label) for b in visible] == ["Cancel"]
        assert app.focused is visible[0]
        await save(pilot)
        assert app.results == []  # ctrl+s does nothing
        await pilot.press("enter")
        await pilot.pause()
    assert app.results == [None]


async def test_without_the_owner_name_the_creator_is_named_by_its_role() -> None:
    app = DialogHarness(InviteVendorDialog(referral(), engagement(CONTACT, False), False))
    async with app.run_test(size=(80, 24)):
        text = shown_text(app.dialog)
        assert "customer's consent to share the customer contact" in text
        assert "Only the organization that created this deal can add it" in text


# --- inviting partners (R-INV-3) ----------------------------------------------------------


def partners_dialog() -> DialogHarness:
    return DialogHarness(InvitePartnersDialog(referral(), PARTNERS, CATALOG, MY_TEAM))


async def type_search(pilot: Pilot[None], app: DialogHarness, text: str) -> None:
    search = control(app, "search")
    search.focus()
    search.value = ""
    await pilot.press(*text)
    await pilot.pause()


async def test_partners_are_found_by_name_and_bring_their_locations_and_solutions() -> None:
    app = partners_dialog()
    async with app.run_test(size=(80, 24)) as pilot:
        partner = control(app, "organization_id")
        assert option_values(partner) == [FABRIKAM.id, LITWARE.id, TAILSPIN.id]  # by name
        assert partner.is_blank()
        await type_search(pilot, app, "CLOUD")
        assert option_values(partner) == [FABRIKAM.id]
        assert partner.value == FABRIKAM.id  # the only match is chosen
        await pilot.pause()
        assert option_values(control(app, "location_id")) == [31, 32]
        names = selection_names(control(app, "solution_ids"))
        assert names[:2] == ["Fabrikam Cloud Ops", "Fabrikam Landing Zone"]  # its own first
        assert set(names[2:]) == {
            "Contoso Data Quickstart",
            "Contoso Insight Cloud",
            "Microsoft Fabric",
            "Tailspin Sentinel Shield",
        }
        assert "Azure Migration Assessment" not in names
        await type_search(pilot, app, "zzz")
        assert option_values(partner) == []


async def test_a_partner_name_is_shown_as_typed() -> None:
    app = partners_dialog()
    async with app.run_test(size=(80, 24)) as pilot:
        await type_search(pilot, app, "litware")
        label = app.dialog.query_one("#partner SelectCurrent Static", Static)
        assert str(label.render()) == "Litware [bold]Labs[/bold]"


async def test_partner_invite_is_prefilled_from_the_deal_and_returned() -> None:
    app = partners_dialog()
    async with app.run_test(size=(80, 24)) as pilot:
        assert control(app, "close_date").value == "2027-03-31"
        assert control(app, "currency").value == "USD"
        assert control(app, "value").value == ""
        assert control(app, "team").selected == [0, 1]  # the whole team, shown
        assert control(app, "help_requested").value is HelpType.GENERAL_OR_OTHER
        assert HelpType.NONE not in option_values(control(app, "help_requested"))
        fill(app, organization_id=TAILSPIN.id)
        await pilot.pause()
        assert control(app, "location_id").value == 51  # its only location
        fill(app, value="120,000", notes="Security review", close_date="2027-02-28")
        fill(app, help_requested=HelpType.CUSTOMER_TECHNICAL_ARCHITECTURE)
        control(app, "solution_ids").select(SHIELD.id)
        await save(pilot)
    assert app.results == [
        [
            PartnerInviteForm(
                organization_id=TAILSPIN.id,
                location_id=51,
                close_date=date(2027, 2, 28),
                value=Decimal("120000"),
                currency="USD",
                notes="Security review",
                team=MY_TEAM,
                solution_ids=[SHIELD.id],
                help_requested=HelpType.CUSTOMER_TECHNICAL_ARCHITECTURE,
            )
        ]
    ]


async def test_partner_without_solution_location_or_value_is_refused_inline() -> None:
    app = partners_dialog()
    async with app.run_test(size=(80, 24)) as pilot:
        await save(pilot)
        assert errors(app) == {
            "organization_id": "Choose a partner to invite.",
            "location_id": "Choose one of the partner's locations.",
            "value": "Enter an amount such as 125000 or 125000.50.",
            "solution_ids": "Choose at least one solution.",
        }
        fill(app, organization_id=FABRIKAM.id, value="50000")
        await pilot.pause()
        await save(pilot)
        assert app.results == []
        assert errors(app) == {
            "location_id": "Choose one of the partner's locations.",
            "solution_ids": "Choose at least one solution.",
        }


async def test_the_team_can_be_trimmed_but_not_emptied() -> None:
    app = partners_dialog()
    async with app.run_test(size=(80, 24)) as pilot:
        fill(app, organization_id=TAILSPIN.id, value="1000")
        control(app, "solution_ids").select(SHIELD.id)
        control(app, "team").deselect_all()
        await save(pilot)
        assert errors(app) == {"team": "Add at least one team member."}
        control(app, "team").select(1)
        await save(pilot)
    assert app.results[0][0].team == [MARCO]


async def test_several_partners_are_listed_one_removed_and_the_rest_sent() -> None:
    app = partners_dialog()
    async with app.run_test(size=(80, 24)) as pilot:
        partner = control(app, "organization_id")
        fill(app, organization_id=FABRIKAM.id, value="50000")
        await pilot.pause()
        fill(app, location_id=32)
        control(app, "solution_ids").select(ZONE.id)
        await pilot.press("ctrl+n")
        await pilot.pause()
        # listed, no longer offered, and the form is ready for the next one
        listed = shown_text(app.dialog.query_one("#pending-invites"))
        assert "Fabrikam Cloud Services (Paris, FR)" in listed
        assert "50,000.00 USD by 2027-03-31" in listed
        assert option_values(partner) == [LITWARE.id, TAILSPIN.id]
        assert partner.value is Select.NULL
        assert control(app, "value").value == ""
        assert control(app, "solution_ids").selected == []
        assert app.focused is control(app, "search")

        fill(app, organization_id=TAILSPIN.id, value="70000")
        control(app, "solution_ids").select(SHIELD.id)
        app.dialog.query_one("#add-partner").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert option_values(partner) == [LITWARE.id]
        remove = [b for b in app.dialog.query(".party-remove").results(Button)]
        assert [b.name for b in remove] == [str(FABRIKAM.id), str(TAILSPIN.id)]
        remove[0].press()
        await pilot.pause()
        listed = shown_text(app.dialog.query_one("#pending-invites"))
        assert "Fabrikam" not in listed
        assert "Tailspin Security (Sydney, AU)" in listed
        assert option_values(partner) == [FABRIKAM.id, LITWARE.id]  # offered again
        await save(pilot)  # the empty form below is not an invitation
    [sent] = app.results
    assert [(i.organization_id, i.value, i.solution_ids) for i in sent] == [
        (TAILSPIN.id, Decimal("70000.00"), [SHIELD.id])
    ]


async def test_a_partner_filled_in_but_not_added_is_sent_with_the_listed_ones() -> None:
    app = partners_dialog()
    async with app.run_test(size=(80, 24)) as pilot:
        fill(app, organization_id=TAILSPIN.id, value="70000")
        control(app, "solution_ids").select(SHIELD.id)
        await pilot.press("ctrl+n")
        await pilot.pause()
        fill(app, organization_id=FABRIKAM.id, value="1000", currency="eur")
        await pilot.pause()
        fill(app, location_id=31)
        control(app, "solution_ids").select(OPS.id)
        await save(pilot)
    assert [(i.organization_id, i.currency) for i in app.results[0]] == [
        (TAILSPIN.id, "USD"),
        (FABRIKAM.id, "EUR"),
    ]


async def test_adding_an_incomplete_partner_is_refused_and_lists_nothing() -> None:
    app = partners_dialog()
    async with app.run_test(size=(80, 24)) as pilot:
        fill(app, organization_id=TAILSPIN.id, value="-5")
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert errors(app) == {
            "value": "The amount must be greater than 0.",
            "solution_ids": "Choose at least one solution.",
        }
        assert not list(app.dialog.query(".party-remove"))
        assert app.focused is control(app, "value")  # the first field to fix


# --- registering a won deal (R-REG-2) -----------------------------------------------------

WON = referral(status=Status.WON, solutions=(INSIGHT, FABRIC))


def register_dialog(reg: Registration | None = None, deal: Referral = WON) -> DialogHarness:
    return DialogHarness(RegisterDialog(deal, WOODGROVE, reg or registration(), DANA))


def complete(app: DialogHarness, **changes: Any) -> None:
    """Fill what the pre-fill leaves empty, as SUBMITTED has it, then apply `changes`."""
    values: dict[str, Any] = {
        "contract_type": ContractType.NEW,
        "total_value": "250000",
        "solution_value": "180000",
        "deployed_on": DeployedOn.AZURE,
        "deployed_where": DeployedWhere.CUSTOMER_TENANT,
        "contract_start": "2027-01-01",
        "contract_end": "2029-12-31",
        "perpetual": False,
        "signed_on": "2026-12-15",
        "named_in_contract": True,
    }
    values.update(changes)
    fill(app, **values)


async def test_registration_is_prefilled_from_the_company_the_deal_and_me() -> None:
    app = register_dialog()
    async with app.run_test(size=(80, 24)):
        assert {key: control(app, key).value for key in ("customer_name", "country", "city")} == {
            "customer_name": "Woodgrove Bank",
            "country": "US",
            "city": "Seattle",
        }
        assert control(app, "state").value == "WA"
        assert control(app, "currency").value == "USD"
        assert option_values(control(app, "solution_id")) == [INSIGHT.id]  # eligible only
        assert control(app, "solution_id").value == INSIGHT.id
        assert [control(app, k).value for k in ("contact_first_name", "contact_last_name")] == [
            "Dana",
            "Whitfield",
        ]
        assert control(app, "contact_phone").value == "+1 206 555 0100"
        assert control(app, "contact_email").value == "dana@contoso.example"
        assert control(app, "named_in_contract").value is False
        assert control(app, "perpetual").value is False
        text = shown_text(app.dialog)
        assert "Software and services, not hardware." in text
        assert str(app.dialog.query_one(".dialog-title", Static).render()) == ("Register this deal")


async def test_registration_returns_the_complete_form() -> None:
    app = register_dialog()
    async with app.run_test(size=(80, 24)) as pilot:
        complete(app)
        await save(pilot)
    assert app.results == [SUBMITTED]


async def test_a_perpetual_contract_has_no_end_date() -> None:
    app = register_dialog()
    async with app.run_test(size=(80, 24)) as pilot:
        complete(app, contract_end="", perpetual=True, contract_type=ContractType.RENEWAL)
        await save(pilot)
    [form] = app.results
    assert (form.perpetual, form.contract_end, form.contract_type) == (
        True,
        None,
        ContractType.RENEWAL,
    )


REFUSALS: list[tuple[dict[str, Any], str, str | None]] = [
    (
        {"solution_value": "250000.01"},
        "solution_value",
        "The solution value cannot exceed the total contract value.",
    ),
    (
        {"signed_on": "2027-01-02"},
        "signed_on",
        "The contract must be signed on or before its start date.",
    ),
    (
        {"perpetual": True},
        "contract_end",
        "A perpetual contract has no end date; clear one of the two.",
    ),
    (
        {"contract_end": ""},
        "contract_end",
        "Enter the contract end date, or mark the contract perpetual.",
    ),
    (
        {"contract_end": "2026-12-31"},
        "contract_end",
        "The contract end date must be on or after its start date.",
    ),
    (
        {"named_in_contract": False},
        "named_in_contract",
        "Confirm that your company and the solution are named in the customer contract.",
    ),
    ({"state": "  "}, "state", "This field is required."),
    ({"country": "USA"}, "country", None),
    ({"contract_type": Select.NULL}, "contract_type", "Choose one of the listed values."),
    ({"total_value": "1.250.000"}, "total_value", None),
    ({"contact_phone": "555"}, "contact_phone", None),
    ({"contact_email": "dana@"}, "contact_email", None),
    ({"signed_on": "2026-02-30"}, "signed_on", None),
]


PREFILLED = {
    "state": "WA",
    "country": "US",
    "contact_phone": "+1 206 555 0100",
    "contact_email": "dana@contoso.example",
}


async def test_registration_refusals_show_under_the_field_to_fix() -> None:
    """One dialog, each bad value in turn on an otherwise complete form (one mount: fast)."""
    app = register_dialog()
    async with app.run_test(size=(80, 24)) as pilot:
        for changes, key, message in REFUSALS:
            complete(app, **(PREFILLED | changes))
            await save(pilot)
            await pilot.pause()
            assert app.results == [], changes
            found = errors(app)
            assert list(found) == [key], changes
            if message is not None:
                assert found[key] == message
            assert app.focused is control(app, key), changes  # the field to fix has the cursor
            body = app.dialog.query_one(".dialog-body")
            assert body.region.contains_region(field(app, key).region), changes  # and shows
        complete(app, **PREFILLED)
        await save(pilot)
    assert app.results == [SUBMITTED]  # every refusal cleared once the value is right


async def test_the_long_form_scrolls_at_80_by_24() -> None:
    app = register_dialog()
    async with app.run_test(size=(80, 24)) as pilot:
        body = app.dialog.query_one(".dialog-body")
        assert body.max_scroll_y > 0
        last: Checkbox = control(app, "named_in_contract")
        assert not body.region.contains_region(last.region)
        for _ in range(6):  # keyboard only: back from the first field, past the buttons
            if app.focused is last:
                break
            await pilot.press("shift+tab")
        assert app.focused is last
        await pilot.pause()
        assert body.region.contains_region(last.region)
        await pilot.press("space")
        assert last.value is True


async def test_resubmitting_prefills_the_form_and_shows_the_vendors_message() -> None:
    reg = registration(
        RegistrationStatus.ACTION_REQUIRED, SUBMITTED, "Attach the [b]signed[/b] order form."
    )
    app = register_dialog(reg)
    async with app.run_test(size=(80, 24)) as pilot:
        message = app.dialog.query_one("#vendor-message", Static)
        assert str(message.render()) == (
            "The vendor asked for changes:\nAttach the [b]signed[/b] order form."
        )
        assert str(app.dialog.query_one(".dialog-title", Static).render()) == (
            "Resubmit the registration"
        )
        assert str(app.dialog.query_one("#save", Button).label) == "Resubmit"
        assert control(app, "total_value").value == "250000.00"
        assert control(app, "named_in_contract").value is True
        fill(app, solution_value="200000")
        await save(pilot)
    assert app.results == [SUBMITTED.model_copy(update={"solution_value": Decimal("200000.00")})]


# --- the vendor's review (R-REG-3) --------------------------------------------------------


def review_dialog(status: RegistrationStatus = RegistrationStatus.IN_REVIEW) -> DialogHarness:
    reg = registration(status, SUBMITTED)
    return DialogHarness(
        ReviewDialog(reg, "Woodgrove [red]analytics[/red]", solution_name="Contoso Insight Cloud")
    )


async def choose(
    app: DialogHarness, pilot: Pilot[None], action: ReviewAction, message: str = ""
) -> None:
    fill(app, action=action, message=message)
    await save(pilot)


async def test_review_shows_the_step_and_the_submitted_facts() -> None:
    app = review_dialog()
    async with app.run_test(size=(120, 40)):
        text = shown_text(app.dialog)
        assert "Deal: Woodgrove [red]analytics[/red]" in text
        assert "Step 1 of 2, deal review: approving sends the registration on" in text
        facts = on_screen(app)
        for fact in (
            "Woodgrove Bank — Seattle, WA, US",
            "Contoso Insight Cloud",
            "New",
            "250,000.00 USD",
            "180,000.00 USD",
            "Azure, customer tenant",
            "2027-01-01 to 2029-12-31",
            "2026-12-15",
            "Dana Whitfield",
            "+1 206 555 0100 · dana@contoso.example",
        ):
            assert fact in facts
        assert "Approve (to final validation)" in str(control(app, "action")._options[1][0])


async def test_approving_a_review_step_needs_no_message_and_drops_one() -> None:
    app = review_dialog()
    async with app.run_test(size=(80, 24)) as pilot:
        await choose(app, pilot, ReviewAction.APPROVE, "looks fine")
        assert not isinstance(app.screen, ConfirmDialog)
    assert app.results == [ReviewResult(ReviewAction.APPROVE, None)]


async def test_review_needs_a_decision() -> None:
    app = review_dialog()
    async with app.run_test(size=(80, 24)) as pilot:
        await save(pilot)
        assert errors(app) == {"action": "Choose approve, ask for changes or reject."}
        assert app.results == []


async def test_asking_for_changes_needs_a_message() -> None:
    app = review_dialog()
    async with app.run_test(size=(80, 24)) as pilot:
        await choose(app, pilot, ReviewAction.REQUEST_CHANGES, "   ")
        assert errors(app) == {"message": "Say what the partner must change."}
        await choose(app, pilot, ReviewAction.REQUEST_CHANGES, "Attach the order form.\n")
    assert app.results == [ReviewResult(ReviewAction.REQUEST_CHANGES, "Attach the order form.")]


async def test_rejecting_needs_a_reason_and_a_confirmation_that_it_is_final() -> None:
    app = review_dialog()
    async with app.run_test(size=(80, 24)) as pilot:
        await choose(app, pilot, ReviewAction.REJECT)
        assert errors(app) == {"message": "Give the reason for rejecting; the partner reads it."}
        await choose(app, pilot, ReviewAction.REJECT, "Hardware only.")
        assert isinstance(app.screen, ConfirmDialog)
        assert "cannot be undone" in shown_text(app.screen)
        assert "rejected" in shown_text(app.screen)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is app.dialog  # back to the review, nothing sent
        assert app.results == []
        await save(pilot)
        await pilot.press("y")
        await pilot.pause()
    assert app.results == [ReviewResult(ReviewAction.REJECT, "Hardware only.")]


async def test_final_validation_approval_is_confirmed_as_final() -> None:
    app = review_dialog(RegistrationStatus.IN_VALIDATION)
    async with app.run_test(size=(80, 24)) as pilot:
        assert "Step 2 of 2, final validation" in shown_text(app.dialog)
        await choose(app, pilot, ReviewAction.APPROVE)
        assert isinstance(app.screen, ConfirmDialog)
        assert "once approved, the registration is final" in shown_text(app.screen)
        await pilot.press("y")
        await pilot.pause()
    assert app.results == [ReviewResult(ReviewAction.APPROVE, None)]


async def test_a_registration_not_in_review_can_only_be_closed() -> None:
    app = review_dialog(RegistrationStatus.APPROVED)
    async with app.run_test(size=(80, 24)) as pilot:
        assert "This registration is approved" in shown_text(app.dialog)
        assert not list(app.dialog.query(Field))
        assert [str(b.label) for b in app.dialog.query(Button) if b.display] == ["Cancel"]
        await save(pilot)
        assert app.results == []
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


# --- cancelling, and what every dialog shares ----------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: InviteVendorDialog(referral(), engagement(), True),
        lambda: InvitePartnersDialog(referral(), PARTNERS, CATALOG, MY_TEAM),
        lambda: RegisterDialog(WON, WOODGROVE, registration(), DANA),
        lambda: ReviewDialog(registration(RegistrationStatus.IN_REVIEW, SUBMITTED), "Deal"),
    ],
    ids=["vendor", "partners", "register", "review"],
)
async def test_escape_cancels_with_nothing_returned(make: Any) -> None:
    app = DialogHarness(make())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


async def test_a_blank_select_reads_as_none() -> None:
    """FormDialog's contract these dialogs rely on: a Select with nothing chosen reads as None.

    (Field.value once compared with `Select.BLANK`, which in Textual 8 is Widget.BLANK, False.)
    """
    app = DialogHarness(DeclineDialog())
    async with app.run_test(size=(80, 24)):
        assert app.dialog.values()["reason"] is None  # type: ignore[attr-defined]
