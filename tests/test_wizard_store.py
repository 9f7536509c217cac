"""The store and services behind the creation wizard (R-UI-4, R-ORG-3, R-Q-2).

The customer directory as the first step searches it, the recent contacts the team step
offers, the partners the selling step lists, the open deals the review warns about, and the
drafts that let a half-filled wizard survive a dropped connection.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text

from cosell_tui import services
from cosell_tui.clock import FixedClock
from cosell_tui.domain.enums import HelpType, LostReason, Status
from cosell_tui.domain.errors import InvalidInput, NotAllowed
from cosell_tui.domain.models import (
    CustomerContact,
    DealDetailsForm,
    LostForm,
    NewCompanyForm,
    NewDealForm,
    OrganizationSetupForm,
    PartnerInviteForm,
    TeamMemberForm,
    User,
)
from cosell_tui.domain.wizard import Draft, DraftCompany, DraftMember, Step
from cosell_tui.store import directory, queries
from cosell_tui.store.database import (
    SCHEMA_HEAD,
    Database,
    current_revision,
    make_engine,
    open_database,
    to_url,
    upgrade,
)
from cosell_tui.store.schema import (
    ActivityRow,
    CompanyRow,
    DraftRow,
    EngagementRow,
    LocationRow,
    OrganizationRow,
    ReferralRow,
    SolutionRow,
    UserRow,
)

pytestmark = pytest.mark.backends  # R-STORE-4: the same on PostgreSQL

TODAY = date(2026, 11, 27)
CONTOSO = "Contoso Analytics"
FABRIKAM = "Fabrikam Cloud Services"
TAILSPIN = "Tailspin Security"
ADATUM_DUNS = ("150483782", "150483790")  # two "Adatum Corporation, Seattle"
COHO_DUNS = "743905512"
VANARSDEL_LOST = "VanArsdel — Supply chain forecasting"  # Contoso private, lost


# --- helpers ------------------------------------------------------------------------------


def org_id(db: Database, name: str) -> int:
    with db.reading() as session:
        return session.scalars(select(OrganizationRow.id).where(OrganizationRow.name == name)).one()


def location_id(db: Database, org: str, city: str) -> int:
    with db.reading() as session:
        return session.scalars(
            select(LocationRow.id).where(
                LocationRow.organization_id == org_id(db, org), LocationRow.city == city
            )
        ).one()


def solution_id(db: Database, name: str) -> int:
    with db.reading() as session:
        return session.scalars(select(SolutionRow.id).where(SolutionRow.name == name)).one()


def company_id(db: Database, duns: str) -> int:
    with db.reading() as session:
        return session.scalars(select(CompanyRow.id).where(CompanyRow.duns == duns)).one()


def count(db: Database, table: type) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def member(user: User) -> TeamMemberForm:
    return TeamMemberForm(
        first_name=user.first_name, last_name=user.last_name, phone=user.phone, email=user.email
    )


def contact(first: str, last: str, email: str) -> TeamMemberForm:
    return TeamMemberForm(first_name=first, last_name=last, phone="+1 206 555 0100", email=email)


def deal_form(
    db: Database,
    team: list[TeamMemberForm],
    *,
    company: str | NewCompanyForm = COHO_DUNS,
    solutions: tuple[str, ...] = ("Contoso Data Quickstart",),
    close: date = TODAY + timedelta(days=60),
    name: str = "Coho Winery — Wizard deal",
) -> NewDealForm:
    return NewDealForm(
        company_id=company_id(db, company) if isinstance(company, str) else None,
        new_company=company if isinstance(company, NewCompanyForm) else None,
        contact=CustomerContact(
            name="Jordan Avery", phone="+1 425 555 0142", email="jordan@cust.example"
        ),
        contact_consent=True,
        details=DealDetailsForm(
            name=name,
            location_id=location_id(db, CONTOSO, "Seattle"),
            value=Decimal("120000"),
            currency="USD",
            close_date=close,
        ),
        team=team,
        solution_ids=[solution_id(db, s) for s in solutions],
    )


def new_company(duns: str | None, name: str = "Élan Vital Foods") -> NewCompanyForm:
    return NewCompanyForm(
        name=name,
        address_line="4 Place Bellecour",
        city="Lyon",
        postal_code="69002",
        country="FR",
        duns=duns,
    )


def add_company(db: Database, actor: User, name: str, city: str, country: str) -> int:
    return services.add_company(
        db,
        actor,
        NewCompanyForm(name=name, address_line="1 Main Street", city=city, country=country),
    )


def saved(db: Database, user: User) -> Draft | None:
    with db.reading() as session:
        return directory.draft(session, user.id)


def draft_row(db: Database, user: User) -> DraftRow | None:
    with db.reading() as session:
        return session.get(DraftRow, user.id)


# --- the directory (R-ORG-3, R-UI-4 step 1) -----------------------------------------------


def test_cities_each_once_sorted_case_insensitively(demo_db: Database, people) -> None:
    """R-UI-4: the city list of a country, every city once whatever its spelling's case."""
    dana = people["Dana"]
    with demo_db.reading() as session:
        assert directory.cities(session, "US") == ["Austin", "Chicago", "Seattle"]
        assert directory.cities(session, "ca") == ["Toronto"]  # the code's case does not matter
        assert directory.cities(session, "JP") == []
    add_company(demo_db, dana, "Lowercase Seattle Inc.", "seattle", "US")
    add_company(demo_db, dana, "Shouting Seattle Inc.", "SEATTLE", "US")
    add_company(demo_db, dana, "Boulangerie Dupont", "Évry", "FR")
    add_company(demo_db, dana, "Aachen Werke", "aachen", "FR")
    with demo_db.reading() as session:
        assert directory.cities(session, "US") == ["Austin", "Chicago", "Seattle"]
        # "Évry" where a reader looks for it, not after every unaccented name
        assert directory.cities(session, "FR") == ["aachen", "Évry", "Paris"]


def test_the_two_adatum_in_seattle_are_told_apart_by_duns(demo_db: Database) -> None:
    """R-ORG-3: same name, same city; the suggestions carry address and D-U-N-S."""
    with demo_db.reading() as session:
        found = directory.find_companies(session, "US", "Seattle", "adatum")
        assert [(c.name, c.duns) for c in found] == [
            ("Adatum Corporation", ADATUM_DUNS[0]),
            ("Adatum Corporation", ADATUM_DUNS[1]),
        ]
        assert found[0].address != found[1].address
        for duns in ADATUM_DUNS:
            by_number = directory.company_by_duns(session, f" {duns} ")
            assert by_number is not None
            assert (by_number.name, by_number.duns) == ("Adatum Corporation", duns)
        assert directory.company_by_duns(session, "000000000") is None
        assert directory.company_by_duns(session, "") is None


@pytest.mark.parametrize("typed", ["adatum", "ADATUM", "Adatum Corp", "corporation", " datum "])
def test_find_companies_is_case_insensitive(demo_db: Database, typed: str) -> None:
    """R-UI-4: the name is matched case-insensitively, anywhere in it."""
    with demo_db.reading() as session:
        found = directory.find_companies(session, "US", "seattle", typed)
    assert {c.duns for c in found} == set(ADATUM_DUNS)


def test_find_companies_folds_non_ascii(demo_db: Database, people) -> None:
    """R-UI-4: "élan" finds "Élan" (Unicode case folding, not SQLite's ASCII-only lower)."""
    added = add_company(demo_db, people["Dana"], "Élan Vital Foods", "Lyon", "FR")
    add_company(demo_db, people["Dana"], "Straße Werke", "Lyon", "FR")
    with demo_db.reading() as session:
        for typed in ("élan", "ÉLAN", "Élan vital", "VITAL"):
            assert [c.id for c in directory.find_companies(session, "FR", "LYON", typed)] == [
                added
            ], typed
        assert [c.name for c in directory.find_companies(session, "FR", "lyon", "STRASSE")] == [
            "Straße Werke"
        ]


def test_find_companies_filters_by_place(demo_db: Database) -> None:
    """The country always, the city when given: another place's companies never show."""
    with demo_db.reading() as session:
        assert directory.find_companies(session, "CA", "", "adatum") == []
        assert directory.find_companies(session, "US", "Austin", "adatum") == []
        everywhere = directory.find_companies(session, "US", "", "", limit=100)
        assert {c.city for c in everywhere} == {"Austin", "Chicago", "Seattle"}
        assert all(c.country == "US" for c in everywhere)
        seattle = directory.find_companies(session, "US", "Seattle", "", limit=100)
        assert [c.name for c in seattle] == [
            "Adatum Corporation",
            "Adatum Corporation",
            "Blue Yonder Airlines",
            "Consolidated Messenger",
        ]


def test_find_companies_puts_names_starting_with_the_text_first(demo_db: Database) -> None:
    """Typing "co" lists Consolidated Messenger before the Adatum *Co*rporations."""
    with demo_db.reading() as session:
        found = directory.find_companies(session, "US", "Seattle", "co")
    assert [c.name for c in found] == [
        "Consolidated Messenger",
        "Adatum Corporation",
        "Adatum Corporation",
    ]


def test_find_companies_respects_the_limit(demo_db: Database) -> None:
    with demo_db.reading() as session:
        assert len(directory.find_companies(session, "US", "", "", limit=3)) == 3
        assert len(directory.find_companies(session, "US", "", "", limit=100)) > 3
        assert directory.find_companies(session, "US", "", "", limit=0) == []


def test_find_companies_takes_like_wildcards_literally(demo_db: Database, people) -> None:
    """A typed % or _ is a character, not a pattern (the same helper as the list filter)."""
    add_company(demo_db, people["Dana"], "100% Juice Co", "Austin", "US")
    with demo_db.reading() as session:
        assert [c.name for c in directory.find_companies(session, "US", "", "%")] == [
            "100% Juice Co"
        ]
        assert directory.find_companies(session, "US", "", "_") == []


# --- recent contacts (R-UI-4 step 3) --------------------------------------------------------


def test_recent_contacts_are_own_organization_newest_first_each_once(
    demo_db: Database, people, clock: FixedClock
) -> None:
    """R-UI-4: the people of the user's earlier deals, newest deal first, each email once,
    never the user, never another organization's people."""
    dana, priya = people["Dana"], people["Priya"]
    kim = contact("Kim", "Older", "kim@contoso.example")
    lou = contact("Lou", "Both", "lou@contoso.example")
    ray = contact("Ray", "Newer", "ray@contoso.example")
    services.create_deal(demo_db, dana, deal_form(demo_db, [member(dana), kim, lou], name="Old"))
    clock.advance(timedelta(hours=1))
    services.create_deal(demo_db, dana, deal_form(demo_db, [member(dana), ray, lou], name="New"))

    with demo_db.reading() as session:
        recent = directory.recent_contacts(session, dana)
        contoso = {u.email for u in queries.users_of(session, dana.organization_id)}
    emails = [m.email for m in recent]
    assert emails[:3] == [ray.email, lou.email, kim.email]
    assert len(emails) == len(set(emails))
    assert dana.email not in emails
    assert set(emails) <= contoso | {kim.email, lou.email, ray.email}
    # Dana is on the vendor's invitation "Woodgrove Bank — ERP migration to cloud": Megan's
    # name is on it, but she is not Contoso's
    assert people["Megan"].email not in emails
    assert all(isinstance(m, TeamMemberForm) for m in recent)
    assert recent[0] == ray
    with demo_db.reading() as session:
        assert len(directory.recent_contacts(session, dana, limit=2)) == 2
        # Priya is on neither deal and created neither: none of the three is hers to reuse
        assert not {kim.email, lou.email, ray.email} & {
            m.email for m in directory.recent_contacts(session, priya)
        }


def test_recent_contacts_include_deals_the_user_created_without_being_on_them(
    demo_db: Database, people
) -> None:
    dana = people["Dana"]
    tess = contact("Tess", "Only", "tess@contoso.example")
    services.create_deal(demo_db, dana, deal_form(demo_db, [tess]))
    with demo_db.reading() as session:
        assert directory.recent_contacts(session, dana)[0] == tess


# --- ecosystem partners (R-INV-3) -----------------------------------------------------------


def test_ecosystem_partners_never_own_org_vendor_or_outside_the_ecosystem(
    demo_db: Database, people
) -> None:
    """R-INV-3: partners in the ecosystem, by name; never the inviter, the vendor, Litware."""
    with demo_db.reading() as session:
        for_contoso = directory.ecosystem_partners(session, people["Dana"].organization_id)
        for_vendor = directory.ecosystem_partners(session, people["Megan"].organization_id)
    assert [o.name for o in for_contoso] == [FABRIKAM, "Northwind Data", TAILSPIN]
    assert [o.name for o in for_vendor] == [CONTOSO, FABRIKAM, "Northwind Data", TAILSPIN]
    assert all(o.in_ecosystem and not o.is_vendor for o in for_contoso + for_vendor)
    fabrikam = for_contoso[0]
    assert [(loc.city, loc.country) for loc in fabrikam.locations] == [
        ("Berlin", "DE"),
        ("Paris", "FR"),
    ]


# --- open duplicates (R-UI-4 review warning) ------------------------------------------------


def test_open_duplicates_same_company_and_a_shared_solution(demo_db: Database, people) -> None:
    """The review warns about the organization's open deal for the same customer holding one
    of the chosen solutions; a closed deal, another solution or another customer never."""
    dana = people["Dana"]
    contoso = dana.organization_id
    coho = company_id(demo_db, COHO_DUNS)
    quickstart = solution_id(demo_db, "Contoso Data Quickstart")
    insight = solution_id(demo_db, "Contoso Insight Cloud")
    fabrikam_ops = solution_id(demo_db, "Fabrikam Managed Ops")
    created = services.create_deal(demo_db, dana, deal_form(demo_db, [member(dana)]))

    with demo_db.reading() as session:
        found = directory.open_duplicates(session, contoso, coho, [fabrikam_ops, quickstart])
        assert created.id in {r.id for r in found}
        assert all(r.organization_id == contoso and not r.terminal for r in found)
        mine = next(r for r in found if r.id == created.id)
        assert mine.name == "Coho Winery — Wizard deal"
        assert created.id not in {
            r.id for r in directory.open_duplicates(session, contoso, coho, [insight])
        }
        assert directory.open_duplicates(session, contoso, coho, []) == []
        other = company_id(demo_db, ADATUM_DUNS[0])
        assert created.id not in {
            r.id for r in directory.open_duplicates(session, contoso, other, [quickstart])
        }
        # another organization's deal is not Fabrikam's duplicate
        fabrikam = org_id(demo_db, FABRIKAM)
        assert created.id not in {
            r.id for r in directory.open_duplicates(session, fabrikam, coho, [quickstart])
        }

    services.mark_lost(demo_db, dana, created.id, LostForm(reason=LostReason.PRICE))
    with demo_db.reading() as session:
        assert created.id not in {
            r.id for r in directory.open_duplicates(session, contoso, coho, [quickstart])
        }


def test_a_lost_deal_of_the_demo_is_no_duplicate(demo_db: Database, people) -> None:
    contoso = people["Dana"].organization_id
    with demo_db.reading() as session:
        lost_id = session.scalars(
            select(ReferralRow.id).where(
                ReferralRow.name == VANARSDEL_LOST, ReferralRow.organization_id == contoso
            )
        ).one()
        lost = queries.referral(session, lost_id)
        engagement = queries.engagement(session, lost.engagement_id)
        assert lost.status is Status.LOST
        found = directory.open_duplicates(
            session, contoso, engagement.company.id, [s.solution.id for s in lost.solutions]
        )
    assert lost_id not in {r.id for r in found}


# --- drafts (R-Q-2) -------------------------------------------------------------------------


def full_draft(db: Database, people) -> Draft:
    dana, jonas, mia = people["Dana"], people["Jonas"], people["Mia"]
    return Draft(
        step=Step.SELLING,
        country="US",
        city="Seattle",
        company_search="adatum",
        company_id=company_id(db, ADATUM_DUNS[1]),
        company_label=f"Adatum Corporation, Seattle · D-U-N-S {ADATUM_DUNS[1]}",
        contact_name="Jordan Avery",
        contact_phone="+1 425 555 0142",
        contact_email="jordan@cust.example",
        consent=True,
        name="Adatum — Lakehouse",
        location_id=location_id(db, CONTOSO, "Seattle"),
        value="1,250,000.50",
        currency="usd",
        close_date="2027-01-31",
        notes="Line one\nline two — « quoted »",
        team=[DraftMember(first_name="Dana", last_name="Whitfield", phone="1", email="dana@x")],
        member=DraftMember(first_name="half typed"),
        solution_ids=[solution_id(db, "Contoso Insight Cloud")],
        vendor_help=HelpType.PROOF_OF_CONCEPT_OR_DEMO,
        partners=[
            PartnerInviteForm(
                organization_id=org_id(db, FABRIKAM),
                location_id=location_id(db, FABRIKAM, "Berlin"),
                close_date=date(2027, 1, 15),
                value=Decimal("50000.50"),
                currency="EUR",
                notes="You bring the implementation team.",
                team=[member(dana)],
                solution_ids=[solution_id(db, "Fabrikam Landing Zone")],
                help_requested=HelpType.PROOF_OF_CONCEPT_OR_DEMO,
            ),
            PartnerInviteForm(
                organization_id=org_id(db, TAILSPIN),
                location_id=location_id(db, TAILSPIN, "Sydney"),
                close_date=date(2027, 2, 1),
                value=Decimal("7000"),
                currency="AUD",
                team=[member(dana), member(jonas), member(mia)],
                solution_ids=[solution_id(db, "Tailspin Sentinel Pack")],
            ),
        ],
    )


def test_a_saved_draft_loads_back_exactly(demo_db: Database, people) -> None:
    """R-Q-2: everything typed, as typed (partners with amounts and dates, the team, the
    person half typed) comes back from the database."""
    dana = people["Dana"]
    draft = full_draft(demo_db, people)
    assert saved(demo_db, dana) is None
    services.save_draft(demo_db, dana, draft)

    loaded = saved(demo_db, dana)
    assert loaded == draft
    assert loaded is not None
    assert loaded.partners[0].value == Decimal("50000.50")
    assert loaded.partners[0].close_date == date(2027, 1, 15)
    assert loaded.value == "1,250,000.50"  # as typed, not yet an amount
    row = draft_row(demo_db, dana)
    assert row is not None
    assert (row.step, row.customer) == (Step.SELLING.value, "Adatum Corporation, Seattle")
    assert row.updated_at == demo_db.clock.now()


def test_a_second_save_replaces_the_first(demo_db: Database, people, clock: FixedClock) -> None:
    dana = people["Dana"]
    services.save_draft(demo_db, dana, Draft(name="First"))
    clock.advance(timedelta(minutes=5))
    second = Draft(
        step=Step.DETAILS,
        adding_company=True,
        new_company=DraftCompany(name="Élan Vital Foods", city="Lyon", country="FR"),
        name="Second",
    )
    services.save_draft(demo_db, dana, second)
    assert saved(demo_db, dana) == second
    assert count(demo_db, DraftRow) == 1
    row = draft_row(demo_db, dana)
    assert row is not None
    assert (row.step, row.customer, row.updated_at) == (2, "Élan Vital Foods, Lyon", clock.now())


@pytest.mark.parametrize(
    "data",
    [
        "{not json",
        "",
        "null",
        '{"step": 9}',  # a step this version does not have
        '{"team": "everyone"}',
        '{"partners": [{"organization_id": 1}]}',
    ],
    ids=["broken", "empty", "null", "unknown-step", "wrong-type", "partial-partner"],
)
def test_a_draft_that_cannot_be_read_loads_as_none(demo_db: Database, people, data: str) -> None:
    """R-Q-1: a damaged draft, or one written by a newer version, never crashes the app."""
    dana = people["Dana"]
    services.save_draft(demo_db, dana, Draft(name="ok"))
    with demo_db.transaction() as session:
        session.get_one(DraftRow, dana.id).data = data
    assert saved(demo_db, dana) is None


def test_a_newer_drafts_extra_fields_are_ignored(demo_db: Database, people) -> None:
    dana = people["Dana"]
    services.save_draft(demo_db, dana, Draft())
    with demo_db.transaction() as session:
        session.get_one(DraftRow, dana.id).data = '{"name": "Kept", "colour": "teal"}'
    loaded = saved(demo_db, dana)
    assert loaded is not None
    assert loaded.name == "Kept"


def test_discard_removes_the_draft_and_is_quiet_when_there_is_none(
    demo_db: Database, people
) -> None:
    dana = people["Dana"]
    services.discard_draft(demo_db, dana)  # nothing saved yet: no error
    services.save_draft(demo_db, dana, Draft(name="Gone soon"))
    services.discard_draft(demo_db, dana)
    assert saved(demo_db, dana) is None
    assert draft_row(demo_db, dana) is None
    services.discard_draft(demo_db, dana)


def test_a_draft_belongs_to_its_user(demo_db: Database, people) -> None:
    """R-Q-2: one user's draft is never another's; discarding one leaves the other."""
    dana, priya, jonas = people["Dana"], people["Priya"], people["Jonas"]
    services.save_draft(demo_db, dana, Draft(name="Dana's"))
    services.save_draft(demo_db, priya, Draft(name="Priya's"))
    assert saved(demo_db, jonas) is None
    services.discard_draft(demo_db, priya)
    assert saved(demo_db, priya) is None
    kept = saved(demo_db, dana)
    assert kept is not None
    assert kept.name == "Dana's"


def test_a_draft_goes_with_its_user(db: Database) -> None:
    """drafts.user_id cascades: removing a user leaves no orphan draft."""
    admin = services.initialize(
        db,
        OrganizationSetupForm(
            organization="Solo Partners",
            city="Oslo",
            country="NO",
            admin_email="ada@solo.example",
            first_name="Ada",
            last_name="Solo",
            phone="+47 22 00 00 00",
        ),
    )
    services.save_draft(db, admin, Draft(name="Mine"))
    with db.transaction() as session:
        session.execute(text("DELETE FROM users WHERE id = :id"), {"id": admin.id})
    assert count(db, DraftRow) == 0


# --- create_deal and the draft (R-Q-2) ------------------------------------------------------


def test_creating_the_deal_removes_the_creators_draft_only(demo_db: Database, people) -> None:
    """R-Q-2: creating the deal removes the creator's draft, in the same transaction; another
    user's draft stays."""
    dana, priya = people["Dana"], people["Priya"]
    services.save_draft(demo_db, dana, Draft(name="Dana's"))
    services.save_draft(demo_db, priya, Draft(name="Priya's"))
    services.create_deal(demo_db, dana, deal_form(demo_db, [member(dana)]))
    assert saved(demo_db, dana) is None
    kept = saved(demo_db, priya)
    assert kept is not None
    assert kept.name == "Priya's"


def test_a_refused_creation_keeps_the_draft(demo_db: Database, people) -> None:
    """Same transaction: when the deal is refused, the draft is not lost either."""
    dana = people["Dana"]
    services.save_draft(demo_db, dana, Draft(name="Keep me"))
    before = count(demo_db, ReferralRow)
    with pytest.raises(InvalidInput):
        services.create_deal(
            demo_db, dana, deal_form(demo_db, [member(dana)], close=TODAY - timedelta(days=1))
        )
    assert count(demo_db, ReferralRow) == before
    assert saved(demo_db, dana) == Draft(name="Keep me")


def test_a_referral_user_still_cannot_create(demo_db: Database, people) -> None:
    """R-ACL-2: the new-company path changes no right; nothing is added to the directory."""
    marco = people["Marco"]
    before = count(demo_db, CompanyRow)
    with pytest.raises(NotAllowed):
        services.create_deal(
            demo_db, marco, deal_form(demo_db, [member(marco)], company=new_company("123456789"))
        )
    assert count(demo_db, CompanyRow) == before


# --- create_deal with a new company (R-ORG-3) -----------------------------------------------


def test_create_deal_adds_the_new_company_and_the_deal_points_at_it(
    demo_db: Database, people
) -> None:
    """R-ORG-3 / R-UI-4: "add a new company" puts it in the directory with the deal."""
    dana = people["Dana"]
    before = count(demo_db, CompanyRow)
    ref = services.create_deal(
        demo_db, dana, deal_form(demo_db, [member(dana)], company=new_company("123456789"))
    )
    assert count(demo_db, CompanyRow) == before + 1
    with demo_db.reading() as session:
        customer = queries.engagement(session, ref.engagement_id).company
        assert directory.find_companies(session, "FR", "lyon", "élan") == [customer]
    assert (customer.name, customer.city, customer.country, customer.duns) == (
        "Élan Vital Foods",
        "Lyon",
        "FR",
        "123456789",
    )


def test_create_deal_adds_a_new_company_without_duns(demo_db: Database, people) -> None:
    dana = people["Dana"]
    ref = services.create_deal(
        demo_db, dana, deal_form(demo_db, [member(dana)], company=new_company(None))
    )
    with demo_db.reading() as session:
        assert queries.engagement(session, ref.engagement_id).company.duns is None


def test_a_new_company_with_a_known_duns_is_refused_and_nothing_written(
    demo_db: Database, people
) -> None:
    """R-ORG-3: a D-U-N-S already in the directory is refused under the wizard's field key,
    and the whole creation is undone (no company, no deal, no activity, the draft kept)."""
    dana = people["Dana"]
    services.save_draft(demo_db, dana, Draft(name="Keep me"))
    tables = (CompanyRow, ReferralRow, EngagementRow, ActivityRow)
    before = [count(demo_db, t) for t in tables]
    with pytest.raises(InvalidInput) as refused:
        services.create_deal(
            demo_db,
            dana,
            deal_form(demo_db, [member(dana)], company=new_company(ADATUM_DUNS[0], "Adatum")),
        )
    assert list(refused.value.fields) == ["new_company.duns"]
    assert "Adatum Corporation, Seattle" in refused.value.message
    assert [count(demo_db, t) for t in tables] == before
    assert saved(demo_db, dana) == Draft(name="Keep me")


def test_add_company_keeps_its_own_field_key(demo_db: Database, people) -> None:
    """The directory's own "add company" still names its field "duns" (shared logic)."""
    with pytest.raises(InvalidInput) as refused:
        services.add_company(demo_db, people["Dana"], new_company(ADATUM_DUNS[1]))
    assert list(refused.value.fields) == ["duns"]


# --- the schema (R-STORE-3) -----------------------------------------------------------------


def test_a_0002_database_gains_the_drafts_table_after_a_backup(tmp_path: Path) -> None:
    """R-STORE-3: a database of the previous release is backed up, then upgraded; its data
    stays and drafts can be saved."""
    path = tmp_path / "cosell.db"
    engine = make_engine(to_url(path))
    upgrade(engine, "0002")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO organizations (id, name, partner_id, is_vendor, co_sell_ready, "
                "in_ecosystem, vetted_for_assessments) "
                "VALUES (1, 'Contoso Analytics', '1234567', 0, 1, 1, 1)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO users (id, organization_id, first_name, last_name, email, phone, "
                "role, email_notifications) VALUES (1, 1, 'Dana', 'Whitfield', "
                "'dana@contoso.example', '+1 206 555 0100', 'partner_admin', 1)"
            )
        )
        assert "drafts" not in inspect(connection).get_table_names()
    engine.dispose()

    db = open_database(path, clock=FixedClock(datetime(2026, 11, 27, 9, tzinfo=UTC)))
    try:
        assert SCHEMA_HEAD >= "0003"
        assert current_revision(db.engine) == SCHEMA_HEAD
        with db.reading() as session:
            dana = queries.user(session, 1)
        services.save_draft(db, dana, Draft(name="After the upgrade"))
        assert saved(db, dana) == Draft(name="After the upgrade")
    finally:
        db.dispose()
    backups = list(tmp_path.glob("cosell.db.0002-*.bak"))
    assert len(backups) == 1
    connection = sqlite3.connect(backups[0])
    try:
        tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
        assert "drafts" not in tables
        assert connection.execute("SELECT email FROM users").fetchall() == [
            ("dana@contoso.example",)
        ]
    finally:
        connection.close()


def test_drafts_are_not_guarded_like_a_referrals_data(db: Database) -> None:
    """A draft is not a referral's own data: no R-STORE-1 trigger on it."""
    on_triggers = {
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'drafts'",
        "postgresql": "SELECT tgname FROM pg_trigger "
        "WHERE tgrelid = 'drafts'::regclass AND NOT tgisinternal",
    }
    with db.engine.connect() as connection:
        triggers = connection.execute(text(on_triggers[db.engine.dialect.name])).all()
        columns = {c["name"] for c in inspect(connection).get_columns("drafts")}
    assert triggers == []
    assert columns == {"user_id", "data", "step", "customer", "updated_at"}


def test_user_row_is_the_drafts_owner() -> None:
    (foreign_key,) = DraftRow.__table__.foreign_keys
    assert foreign_key.column.table is UserRow.__table__
    assert foreign_key.ondelete == "CASCADE"
