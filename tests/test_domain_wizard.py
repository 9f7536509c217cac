"""The creation wizard's rules, apart from any screen (R-UI-4, R-WIZ-5, R-Q-1, R-Q-2).

`step_errors` must give every bad input the issue lists its message under the field it
belongs to, and nothing for good input; `to_form` of a finished draft must be a form the
service accepts. The pure checks use organizations shaped like the demo's; the round trips
through `services.create_deal` run on the demo database.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from cosell_tui import services
from cosell_tui.domain.enums import DealType, Direction, HelpType, SolutionKind, Status
from cosell_tui.domain.errors import InvalidInput
from cosell_tui.domain.models import (
    Location,
    Organization,
    PartnerInviteForm,
    Solution,
    TeamMemberForm,
    User,
)
from cosell_tui.domain.validation import FORM_FIELD
from cosell_tui.domain.wizard import (
    CONSENT_WITHOUT_CONTACT,
    MEMBER_NOT_ADDED,
    NOT_CO_SELL_READY,
    ONE_ASSESSMENT,
    OWN_ORGANIZATION_INVITED,
    PARTNER_TWICE,
    PAST_CLOSE_DATE,
    PICK_ASSESSMENT_LOCATION,
    PICK_COMPANY,
    PICK_LOCATION,
    PRIVATE_NOT_REGISTERABLE,
    VENDOR_NEEDS_CONTACT,
    Draft,
    DraftCompany,
    DraftMember,
    Rules,
    Step,
    first_invalid_step,
    step_errors,
    to_form,
    warnings,
)
from cosell_tui.store import directory, queries
from cosell_tui.store.database import Database
from cosell_tui.store.schema import CompanyRow

TODAY = date(2026, 11, 27)


def _org(
    org_id: int,
    name: str,
    *,
    vendor: bool = False,
    ready: bool = True,
    vetted: bool = False,
    cities: tuple[str, ...] = ("Seattle",),
) -> Organization:
    return Organization(
        id=org_id,
        name=name,
        partner_id=None if vendor else f"41000{org_id:02d}",
        is_vendor=vendor,
        co_sell_ready=ready,
        in_ecosystem=not vendor,
        vetted_for_assessments=vetted,
        locations=tuple(
            Location(id=org_id * 10 + i, organization_id=org_id, city=city, country="US")
            for i, city in enumerate(cities)
        ),
    )


# Shaped like the demo: Contoso co-sell ready and vetted, Fabrikam ready but not vetted,
# Northwind not co-sell ready, Microsoft the vendor.
VENDOR = _org(1, "Microsoft", vendor=True, cities=("Redmond",))
CONTOSO = _org(2, "Contoso Analytics", vetted=True, cities=("Seattle", "Toronto"))
FABRIKAM = _org(3, "Fabrikam Cloud Services")
NORTHWIND = _org(4, "Northwind Data", ready=False, cities=("Austin",))
SEATTLE, TORONTO = (loc.id for loc in CONTOSO.locations)

INSIGHT, QUICKSTART, OPENAI, MIGRATION, SECURITY = 1, 2, 3, 4, 5
CATALOG = {
    s.id: s
    for s in (
        Solution(
            id=INSIGHT,
            name="Contoso Insight Cloud",
            organization_id=CONTOSO.id,
            kind=SolutionKind.PARTNER,
            incentive_eligible=True,
        ),
        Solution(
            id=QUICKSTART,
            name="Contoso Data Quickstart",
            organization_id=CONTOSO.id,
            kind=SolutionKind.PARTNER,
            incentive_eligible=False,
        ),
        Solution(
            id=OPENAI,
            name="Azure OpenAI Service",
            organization_id=VENDOR.id,
            kind=SolutionKind.VENDOR,
            incentive_eligible=False,
        ),
        Solution(
            id=MIGRATION,
            name="Azure Migration Assessment",
            organization_id=VENDOR.id,
            kind=SolutionKind.ASSESSMENT,
            incentive_eligible=False,
        ),
        Solution(
            id=SECURITY,
            name="Security Posture Assessment",
            organization_id=VENDOR.id,
            kind=SolutionKind.ASSESSMENT,
            incentive_eligible=False,
        ),
    )
}


def rules(organization: Organization = CONTOSO) -> Rules:
    return Rules(today=TODAY, organization=organization, catalog=CATALOG)


DANA = DraftMember(
    first_name="Dana", last_name="Whitfield", phone="+1 206 555 0101", email="dana@contoso.example"
)
PRIYA = DraftMember(
    first_name="Priya",
    last_name="Natarajan",
    phone="+1 206 555 0102",
    email="priya@contoso.example",
)


def good(**changes: object) -> Draft:
    """A draft that passes every step: a private deal for a directory customer."""
    values: dict[str, object] = {
        "country": "US",
        "city": "Seattle",
        "company_id": 7,
        "company_label": "Adatum Corporation, Seattle · D-U-N-S 150483790",
        "name": "Adatum — Lakehouse",
        "location_id": SEATTLE,
        "value": "120000",
        "currency": "USD",
        "close_date": "2027-01-31",
        "team": [DANA],
        "solution_ids": [QUICKSTART],
    }
    values.update(changes)
    return Draft.model_validate(values)


def errors_of(draft: Draft, step: Step, organization: Organization = CONTOSO) -> dict[str, str]:
    return step_errors(draft, step, rules(organization))


# --- good input ------------------------------------------------------------------------------


@pytest.mark.parametrize("step", list(Step), ids=[s.name for s in Step])
def test_good_input_gives_no_message(step: Step) -> None:
    """R-Q-1: a correct draft passes every step."""
    assert errors_of(good(), step) == {}


def test_good_input_with_every_optional_field_gives_no_message() -> None:
    draft = good(
        contact_name="Jordan Avery",
        contact_phone="+1 (425) 555-0142",
        contact_email="Jordan@Cust.Example",
        consent=True,
        crm_id="CRM-1",
        campaign_id="Q4",
        notes="Two lines\nof notes — « ok »",
        value="1,250,000.50",
        currency="eur",
        close_date=TODAY.isoformat(),  # today is not in the past
        team=[DANA, PRIYA],
        vendor_help=HelpType.GENERAL_OR_OTHER,
    )
    assert first_invalid_step(draft, rules()) is None


def test_a_new_company_with_good_values_passes() -> None:
    draft = good(
        company_id=None,
        adding_company=True,
        new_company=DraftCompany(
            name="Élan Vital Foods",
            address_line="4 Place Bellecour",
            city="Lyon",
            country="fr",
            duns="15-048-3799",
        ),
    )
    assert errors_of(draft, Step.CUSTOMER) == {}


# --- step 2, details: every bad input of the issue ------------------------------------------

BAD_DETAILS = [
    ("name", "", "This field is required."),
    ("name", "   ", "This field is required."),
    ("name", "Deal\x07name", "Remove the control characters"),
    ("name", "Deal\nname", "line breaks"),
    ("name", "x" * 201, "at most 200"),
    ("value", "0", "greater than 0"),
    ("value", "-5", "greater than 0"),
    ("value", "1e99", "must not exceed"),
    ("value", "abc", "Enter an amount"),
    ("value", "", "Enter an amount"),
    ("value", "12.345", "2 decimal places"),
    ("currency", "dollars", "ISO 4217"),
    ("close_date", (TODAY - timedelta(days=1)).isoformat(), PAST_CLOSE_DATE),
    ("close_date", "2026-02-30", "real calendar date"),
    ("close_date", "next week", "real calendar date"),
    ("notes", "n" * 10_000, "at most 4000"),
    ("notes", "bell\x07", "control characters"),
    ("crm_id", "CRM\x00", "control characters"),
]


@pytest.mark.parametrize(
    ("key", "typed", "message"),
    BAD_DETAILS,
    ids=[f"{key}-{typed[:12]!r}" for key, typed, _ in BAD_DETAILS],
)
def test_each_bad_detail_gives_its_message_under_its_field(
    key: str, typed: str, message: str
) -> None:
    """R-Q-1 / R-UI-4: empty name, value 0, -5, 1e99, abc, close date yesterday or
    2026-02-30, a control character, 10 000 characters of notes: each blocks Next with a
    message under that field, and only there."""
    errors = errors_of(good(**{key: typed}), Step.DETAILS)
    assert list(errors) == [key]
    assert message in errors[key]


def test_a_past_close_date_is_reported_with_the_other_mistakes() -> None:
    """All of a step's mistakes at once: the past date is not hidden by an empty name."""
    errors = errors_of(good(name="", close_date="2026-11-26"), Step.DETAILS)
    assert errors == {"name": "This field is required.", "close_date": PAST_CLOSE_DATE}


@pytest.mark.parametrize("location", [None, 999, FABRIKAM.locations[0].id])
def test_the_deal_location_is_one_of_the_organizations(location: int | None) -> None:
    assert errors_of(good(location_id=location), Step.DETAILS) == {"location_id": PICK_LOCATION}


# --- step 1, customer ---------------------------------------------------------------------


def test_no_customer_chosen() -> None:
    assert errors_of(good(company_id=None), Step.CUSTOMER) == {"company": PICK_COMPANY}


@pytest.mark.parametrize(
    ("changes", "key", "message"),
    [
        ({"duns": "12345678"}, "new_company.duns", "exactly 9 digits"),
        ({"duns": "12345678a"}, "new_company.duns", "exactly 9 digits"),
        ({"name": ""}, "new_company.name", "required"),
        ({"name": "Élan\x1b[31m"}, "new_company.name", "control characters"),
        ({"address_line": ""}, "new_company.address_line", "required"),
        ({"city": ""}, "new_company.city", "required"),
        ({"country": "France"}, "new_company.country", "ISO 3166"),
        ({"size": "huge"}, "new_company.size", "listed values"),
    ],
    ids=[
        "duns-8-digits",
        "duns-letter",
        "no-name",
        "control",
        "no-address",
        "no-city",
        "country",
        "size",
    ],
)
def test_a_bad_new_company_gives_its_message(
    changes: dict[str, str], key: str, message: str
) -> None:
    """R-ORG-3: the new company is validated like the directory's own form."""
    values = {
        "name": "Élan Vital Foods",
        "address_line": "4 Place Bellecour",
        "city": "Lyon",
        "country": "FR",
        "duns": "150483799",
        **changes,
    }
    draft = good(company_id=None, adding_company=True, new_company=DraftCompany(**values))
    errors = errors_of(draft, Step.CUSTOMER)
    assert list(errors) == [key]
    assert message in errors[key]


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("contact_email", "a@", "valid email"),
        ("contact_phone", "12", "7-15 digits"),
        ("contact_phone", "call me", "7-15 digits"),
        ("contact_name", "Jor\x07dan", "control characters"),
    ],
)
def test_a_bad_customer_contact_field(field: str, typed: str, message: str) -> None:
    contact = {
        "contact_name": "Jordan Avery",
        "contact_phone": "+1 425 555 0142",
        "contact_email": "jordan@cust.example",
    }
    draft = good(**{**contact, field: typed})
    errors = errors_of(draft, Step.CUSTOMER)
    assert list(errors) == [field]
    assert message in errors[field]


def test_a_partly_filled_contact_names_the_missing_parts() -> None:
    """The contact is optional, but all three or none: what is missing is named."""
    errors = errors_of(good(contact_name="Jordan Avery"), Step.CUSTOMER)
    assert set(errors) == {"contact_phone", "contact_email"}
    errors = errors_of(good(contact_email="jordan@cust.example", consent=True), Step.CUSTOMER)
    assert set(errors) == {"contact_name", "contact_phone"}


def test_consent_without_a_contact() -> None:
    assert errors_of(good(consent=True), Step.CUSTOMER) == {"consent": CONSENT_WITHOUT_CONTACT}
    assert errors_of(good(consent=True, contact_name="  "), Step.CUSTOMER) == {
        "consent": CONSENT_WITHOUT_CONTACT
    }


# --- step 3, team -----------------------------------------------------------------------------


def test_the_team_needs_a_member() -> None:
    assert errors_of(good(team=[]), Step.TEAM) == {"team": "Add at least one team member."}


def test_a_person_twice_on_the_team() -> None:
    twice = DANA.model_copy(update={"email": "DANA@contoso.example "})
    errors = errors_of(good(team=[DANA, twice]), Step.TEAM)
    assert list(errors) == ["team"]
    assert "twice" in errors["team"]


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("email", "a@", "valid email"),
        ("phone", "12", "7-15 digits"),
        ("first_name", "", "required"),
        ("last_name", "Ruiz\x00", "control characters"),
    ],
)
def test_a_half_typed_member_blocks_next(field: str, typed: str, message: str) -> None:
    """A person typed but not added is not silently dropped; their mistakes are shown."""
    typing = PRIYA.model_copy(update={field: typed})
    errors = errors_of(good(member=typing), Step.TEAM)
    assert errors[FORM_FIELD] == MEMBER_NOT_ADDED
    assert message in errors[f"member.{field}"]
    assert set(errors) == {FORM_FIELD, f"member.{field}"}


def test_a_correct_member_not_yet_added_still_blocks_next() -> None:
    assert errors_of(good(member=PRIYA), Step.TEAM) == {FORM_FIELD: MEMBER_NOT_ADDED}


def test_a_bad_member_already_on_the_team_is_named() -> None:
    """A resumed draft's team is checked too, so to_form never fails unexplained."""
    bad = PRIYA.model_copy(update={"email": "a@"})
    errors = errors_of(good(team=[DANA, bad]), Step.TEAM)
    assert list(errors) == ["team"]
    assert errors["team"].startswith("Priya Natarajan: email: Enter a valid email address")


# --- step 4, solutions (R-WIZ-5) --------------------------------------------------------------


def test_at_least_one_solution() -> None:
    assert errors_of(good(solution_ids=[]), Step.SOLUTIONS) == {
        "solution_ids": "Choose at least one solution."
    }


def test_an_assessment_excludes_every_other_solution() -> None:
    errors = errors_of(
        good(solution_ids=[MIGRATION, INSIGHT], assessment_location_id=SEATTLE), Step.SOLUTIONS
    )
    assert errors == {"solution_ids": ONE_ASSESSMENT}
    errors = errors_of(
        good(solution_ids=[MIGRATION, SECURITY], assessment_location_id=SEATTLE), Step.SOLUTIONS
    )
    assert errors == {"solution_ids": ONE_ASSESSMENT}


@pytest.mark.parametrize("location", [None, 999, NORTHWIND.locations[0].id])
def test_an_assessment_needs_one_of_the_organizations_locations(location: int | None) -> None:
    errors = errors_of(
        good(solution_ids=[MIGRATION], assessment_location_id=location), Step.SOLUTIONS
    )
    assert errors == {"assessment_location_id": PICK_ASSESSMENT_LOCATION}


def test_a_non_vetted_organization_cannot_choose_an_assessment() -> None:
    """R-ACL-2: Fabrikam is not vetted for assessments."""
    draft = good(
        solution_ids=[MIGRATION],
        assessment_location_id=FABRIKAM.locations[0].id,
        location_id=FABRIKAM.locations[0].id,
    )
    errors = errors_of(draft, Step.SOLUTIONS, FABRIKAM)
    assert list(errors) == ["solution_ids"]
    assert "vetted" in errors["solution_ids"]


def test_a_good_assessment_passes() -> None:
    draft = good(solution_ids=[MIGRATION], assessment_location_id=TORONTO)
    assert errors_of(draft, Step.SOLUTIONS) == {}


# --- step 5, selling (R-INV-2, R-INV-3) -------------------------------------------------------


def test_vendor_help_needs_the_contact_and_consent() -> None:
    """R-INV-2: inviting the vendor needs the customer contact and consent to share it."""
    help_ = HelpType.PROOF_OF_CONCEPT_OR_DEMO
    assert errors_of(good(vendor_help=help_), Step.SELLING) == {"vendor_help": VENDOR_NEEDS_CONTACT}
    with_contact = good(
        vendor_help=help_,
        contact_name="Jordan Avery",
        contact_phone="+1 425 555 0142",
        contact_email="jordan@cust.example",
    )
    assert errors_of(with_contact, Step.SELLING) == {"vendor_help": VENDOR_NEEDS_CONTACT}
    consented = with_contact.model_copy(update={"consent": True})
    assert errors_of(consented, Step.SELLING) == {}
    partial = consented.model_copy(update={"contact_phone": ""})
    assert errors_of(partial, Step.SELLING) == {"vendor_help": VENDOR_NEEDS_CONTACT}


def test_an_organization_not_co_sell_ready_cannot_invite_the_vendor() -> None:
    """R-INV-2: Northwind is not co-sell ready."""
    draft = good(
        vendor_help=HelpType.GENERAL_OR_OTHER,
        contact_name="Jordan Avery",
        contact_phone="+1 425 555 0142",
        contact_email="jordan@cust.example",
        consent=True,
    )
    assert errors_of(draft, Step.SELLING, NORTHWIND) == {"vendor_help": NOT_CO_SELL_READY}
    assert list(errors_of(draft, Step.SELLING, VENDOR)) == ["vendor_help"]
    assert errors_of(draft.model_copy(update={"vendor_help": HelpType.NONE}), Step.SELLING) == {}


def _invite(org: Organization, **changes: object) -> PartnerInviteForm:
    values: dict[str, object] = {
        "organization_id": org.id,
        "location_id": org.locations[0].id,
        "close_date": TODAY + timedelta(days=30),
        "value": "5000",
        "currency": "EUR",
        "team": [TeamMemberForm.model_validate(DANA.model_dump())],
        "solution_ids": [QUICKSTART],
    }
    values.update(changes)
    return PartnerInviteForm.model_validate(values)


def test_a_partner_invited_twice_or_the_own_organization() -> None:
    twice = good(partners=[_invite(FABRIKAM), _invite(FABRIKAM, value="9")])
    assert errors_of(twice, Step.SELLING) == {"partners": PARTNER_TWICE}
    own = good(partners=[_invite(CONTOSO)])
    assert errors_of(own, Step.SELLING) == {"partners": OWN_ORGANIZATION_INVITED}
    two = good(partners=[_invite(FABRIKAM), _invite(NORTHWIND)])
    assert errors_of(two, Step.SELLING) == {}


# --- the steps a draft goes through (R-UI-4) --------------------------------------------------


def test_an_assessment_deal_skips_the_selling_step() -> None:
    """R-UI-4: SA deals have no selling step, and whatever selling held does not block them."""
    assert rules().steps(good()) == list(Step)
    sa = good(
        solution_ids=[MIGRATION],
        assessment_location_id=SEATTLE,
        vendor_help=HelpType.GENERAL_OR_OTHER,  # left from before the assessment was chosen
    )
    assert rules().steps(sa) == [
        Step.CUSTOMER,
        Step.DETAILS,
        Step.TEAM,
        Step.SOLUTIONS,
        Step.REVIEW,
    ]
    assert errors_of(sa, Step.SELLING) == {}
    assert first_invalid_step(sa, rules()) is None


def test_the_step_indicator() -> None:
    assert Step.DETAILS.indicator == "2 of 6 · Deal details"
    assert [s.title for s in Step] == [
        "Customer",
        "Deal details",
        "Team",
        "Solutions",
        "Selling",
        "Review",
    ]


def test_first_invalid_step_names_the_earliest() -> None:
    bad = good(name="", team=[])
    found = first_invalid_step(bad, rules())
    assert found is not None
    assert found[0] is Step.DETAILS
    assert list(found[1]) == ["name"]


# --- warnings -------------------------------------------------------------------------------


def test_private_deal_incentive_warning_only_when_it_applies() -> None:
    """R-UI-4: a private deal holding an incentive-eligible solution can never be registered;
    co-sell, P2P and deals without such a solution get no warning."""
    assert warnings(good(solution_ids=[INSIGHT]), rules()) == [PRIVATE_NOT_REGISTERABLE]
    assert warnings(good(solution_ids=[QUICKSTART, INSIGHT]), rules()) == [PRIVATE_NOT_REGISTERABLE]
    assert warnings(good(solution_ids=[QUICKSTART]), rules()) == []
    cosell = good(solution_ids=[INSIGHT], vendor_help=HelpType.GENERAL_OR_OTHER)
    assert warnings(cosell, rules()) == []
    p2p = good(solution_ids=[INSIGHT], partners=[_invite(FABRIKAM)])
    assert warnings(p2p, rules()) == []
    # an assessment is never "private": no warning, even on an (invalid) mix
    sa_mix = good(solution_ids=[MIGRATION, INSIGHT], assessment_location_id=SEATTLE)
    assert warnings(sa_mix, rules()) == []


# --- the draft itself (R-Q-2) ---------------------------------------------------------------


def test_draft_customer_names_who_the_deal_is_for() -> None:
    assert Draft().customer() == "no customer chosen yet"
    assert good().customer() == "Adatum Corporation, Seattle"
    adding = good(
        adding_company=True, new_company=DraftCompany(name=" Élan Vital Foods ", city=" Lyon ")
    )
    assert adding.customer() == "Élan Vital Foods, Lyon"
    no_city = good(adding_company=True, new_company=DraftCompany(name="Élan"), company_id=None)
    assert no_city.customer() == "Élan"
    # adding a company but nothing typed yet: the chosen one still names it
    assert good(adding_company=True).customer() == "Adatum Corporation, Seattle"
    assert Draft(company_search="adat").customer() == "no customer chosen yet"


# --- to_form (R-UI-4) -------------------------------------------------------------------------


def test_to_form_refuses_an_unfinished_draft_naming_the_step() -> None:
    with pytest.raises(InvalidInput) as refused:
        to_form(good(solution_ids=[]), rules())
    assert refused.value.message.startswith("Step 4, Solutions")
    assert list(refused.value.fields) == ["solution_ids"]


def test_to_form_turns_what_no_step_checks_into_invalid_input() -> None:
    """R-Q-1: never a raw ValidationError out of to_form (here a solution listed twice)."""
    with pytest.raises(InvalidInput) as refused:
        to_form(good(solution_ids=[QUICKSTART, QUICKSTART]), rules())
    assert "listed twice" in refused.value.message


def test_to_form_of_an_assessment_drops_the_selling_choices() -> None:
    sa = good(
        solution_ids=[MIGRATION],
        assessment_location_id=TORONTO,
        vendor_help=HelpType.GENERAL_OR_OTHER,
        partners=[_invite(FABRIKAM)],
    )
    form = to_form(sa, rules())
    assert (form.vendor_help, form.partners, form.assessment_location_id) == (
        HelpType.NONE,
        [],
        TORONTO,
    )


def test_to_form_of_an_ordinary_deal_drops_a_stale_assessment_location() -> None:
    form = to_form(good(assessment_location_id=SEATTLE), rules())
    assert form.assessment_location_id is None


def test_to_form_values_are_parsed() -> None:
    form = to_form(
        good(value="1,250,000.50", currency="usd", notes="  ", crm_id=" CRM-7 "), rules()
    )
    assert form.details.value == Decimal("1250000.50")
    assert form.details.currency == "USD"
    assert form.details.close_date == date(2027, 1, 31)
    assert (form.details.notes, form.details.crm_id) == (None, "CRM-7")
    assert form.company_id == 7
    assert form.new_company is None


# --- to_form into services.create_deal, on the demo -------------------------------------------


def _demo_rules(db: Database, user: User) -> Rules:
    with db.reading() as session:
        organization = queries.organization(session, user.organization_id)
        catalog = {s.id: s for s in queries.solutions(session)}
    return Rules(today=db.clock.now().date(), organization=organization, catalog=catalog)


def _ids(db: Database, user: User) -> dict[str, int]:
    with db.reading() as session:
        names = {s.name: s.id for s in queries.solutions(session)}
        orgs = {o.name: o for o in queries.organizations(session)}
        coho = session.scalars(select(CompanyRow.id).where(CompanyRow.duns == "743905512")).one()
    own = orgs["Contoso Analytics"]
    return {
        "coho": coho,
        "seattle": next(loc.id for loc in own.locations if loc.city == "Seattle"),
        "insight": names["Contoso Insight Cloud"],
        "quickstart": names["Contoso Data Quickstart"],
        "landing": names["Fabrikam Landing Zone"],
        "sentinel": names["Tailspin Sentinel Pack"],
        "fabrikam": orgs["Fabrikam Cloud Services"].id,
        "berlin": orgs["Fabrikam Cloud Services"].locations[0].id,
        "tailspin": orgs["Tailspin Security"].id,
        "sydney": orgs["Tailspin Security"].locations[0].id,
    }


def _demo_draft(db: Database, dana: User, **changes: object) -> Draft:
    ids = _ids(db, dana)
    values: dict[str, object] = {
        "country": "AU",
        "city": "Sydney",
        "company_id": ids["coho"],
        "company_label": "Coho Winery, Sydney · D-U-N-S 743905512",
        "contact_name": "Jordan Avery",
        "contact_phone": "+61 2 5550 0142",
        "contact_email": "jordan@coho.example",
        "consent": True,
        "name": "Coho Winery — Wizard deal",
        "location_id": ids["seattle"],
        "value": "120,000.50",
        "currency": "aud",
        "close_date": "2027-02-28",
        "notes": "From the wizard",
        "team": [
            DraftMember(
                first_name=dana.first_name,
                last_name=dana.last_name,
                phone=dana.phone,
                email=dana.email,
            )
        ],
        "solution_ids": [ids["insight"]],
    }
    values.update(changes)
    return Draft.model_validate(values)


def _partner(ids: dict[str, int], dana: User, org: str, location: str, solution: str, value: str):
    return PartnerInviteForm(
        organization_id=ids[org],
        location_id=ids[location],
        close_date=date(2027, 2, 28),
        value=Decimal(value),
        currency="EUR",
        team=[
            TeamMemberForm(
                first_name=dana.first_name,
                last_name=dana.last_name,
                phone=dana.phone,
                email=dana.email,
            )
        ],
        solution_ids=[ids[solution]],
        help_requested=HelpType.PROOF_OF_CONCEPT_OR_DEMO,
    )


@pytest.mark.parametrize("kind", ["private", "co-sell", "p2p"])
def test_to_form_of_a_complete_draft_is_accepted_by_create_deal(
    demo_db: Database, people, kind: str
) -> None:
    """R-UI-4: Create calls the service once with to_form's result; every type works."""
    dana = people["Dana"]
    ids = _ids(demo_db, dana)
    changes: dict[str, object] = {}
    if kind == "co-sell":
        changes["vendor_help"] = HelpType.CUSTOMER_TECHNICAL_ARCHITECTURE
    if kind == "p2p":
        changes["partners"] = [
            _partner(ids, dana, "fabrikam", "berlin", "landing", "50000.50"),
            _partner(ids, dana, "tailspin", "sydney", "sentinel", "7000"),
        ]
    draft = _demo_draft(demo_db, dana, **changes)
    demo_rules = _demo_rules(demo_db, dana)
    assert first_invalid_step(draft, demo_rules) is None
    services.save_draft(demo_db, dana, draft)

    created = services.create_deal(demo_db, dana, to_form(draft, demo_rules))

    expected = {
        "private": DealType.PRIVATE,
        "co-sell": DealType.CO_SELL,
        "p2p": DealType.PARTNER_TO_PARTNER,
    }[kind]
    assert created.deal_type is expected
    assert (created.name, created.value, created.currency, created.close_date) == (
        "Coho Winery — Wizard deal",
        Decimal("120000.50"),
        "AUD",
        date(2027, 2, 28),
    )
    assert created.status is Status.ACCEPTED
    assert created.direction is Direction.OUTBOUND
    assert created.notes == "From the wizard"
    with demo_db.reading() as session:
        engagement = queries.engagement(session, created.engagement_id)
        parties = queries.parties(session, created.engagement_id)
        assert session.get(CompanyRow, ids["coho"]) is not None
    assert engagement.company.id == ids["coho"]
    assert engagement.contact is not None
    assert engagement.contact.email == "jordan@coho.example"
    invited = {p.organization_name for p in parties} - {"Contoso Analytics"}
    assert (
        invited
        == {
            "private": set(),
            "co-sell": {"Microsoft"},
            "p2p": {"Fabrikam Cloud Services", "Tailspin Security"},
        }[kind]
    )
    if kind == "p2p":
        with demo_db.reading() as session:
            values = {
                p.organization_name: queries.referral(session, p.referral_id).value
                for p in parties
                if p.organization_name != "Contoso Analytics"
            }
        assert values == {
            "Fabrikam Cloud Services": Decimal("50000.50"),
            "Tailspin Security": Decimal("7000.00"),
        }
    with demo_db.reading() as session:
        assert directory.draft(session, dana.id) is None  # R-Q-2: creating removes the draft


def test_to_form_with_a_new_company_creates_it(demo_db: Database, people) -> None:
    dana = people["Dana"]
    draft = _demo_draft(
        demo_db,
        dana,
        company_id=None,
        company_label="",
        adding_company=True,
        new_company=DraftCompany(
            name="Élan Vital Foods",
            address_line="4 Place Bellecour",
            city="Lyon",
            country="fr",
            duns="150-483-799",
        ),
    )
    created = services.create_deal(demo_db, dana, to_form(draft, _demo_rules(demo_db, dana)))
    with demo_db.reading() as session:
        company = queries.engagement(session, created.engagement_id).company
    assert (company.name, company.country, company.duns) == ("Élan Vital Foods", "FR", "150483799")
