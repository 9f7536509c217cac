"""Service-level tests: every user action through `cosell_tui.services` (R-ACL-3).

Most tests run on a private copy of the scripted demo (`demo_db`, seed 1, clock at 2026-11-27
09:00 UTC) and find its deals by organization and name, so they read as the demo's stories:
Contoso's private, co-sell, P2P and assessment deals, the vendor's invitations to Contoso,
and won co-sell deals in every registration status.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from cosell_tui import services
from cosell_tui.domain import lifecycle
from cosell_tui.domain.enums import (
    DealType,
    DeclineReason,
    Direction,
    HelpType,
    LostReason,
    NotificationKind,
    RegistrationStatus,
    Stage,
    Status,
)
from cosell_tui.domain.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    InvalidState,
    NotAllowed,
    NotFound,
)
from cosell_tui.domain.models import (
    AcceptForm,
    CommentForm,
    CustomerContact,
    DealDetailsForm,
    DeclineForm,
    EditForm,
    LostForm,
    NewDealForm,
    PartnerInviteForm,
    Referral,
    RegistrationForm,
    TeamMemberForm,
    User,
    WonForm,
)
from cosell_tui.domain.registration import ReviewAction
from cosell_tui.store import queries
from cosell_tui.store.database import Database
from cosell_tui.store.schema import (
    CompanyRow,
    LocationRow,
    NotificationRow,
    OrganizationRow,
    OutboxRow,
    ReferralRow,
    SolutionRow,
)

pytestmark = pytest.mark.backends  # R-STORE-4: the same guarantees on PostgreSQL

TODAY = date(2026, 11, 27)

CONTOSO = "Contoso Analytics"
FABRIKAM = "Fabrikam Cloud Services"
NORTHWIND = "Northwind Data"
TAILSPIN = "Tailspin Security"
LITWARE = "Litware Labs"
MICROSOFT = "Microsoft"

# The demo's deals, by the name every party's side carries.
IN_NEW = "Adatum Corporation — Copilot rollout"  # Megan → Contoso Seattle, received
IN_EXPIRING = "Adatum Corporation — Analytics lakehouse"  # Alex → Contoso, deadline 11-28 21:00
IN_ACTIVE = "Woodgrove Bank — ERP migration to cloud"  # Megan → Contoso (Owen, Dana) + Tailspin
IN_DECLINED = "Blue Yonder Airlines — Sales copilot pilot"  # Alex → Contoso, Contoso declined
PRIVATE_OPEN = "Coho Winery — Data platform modernization"  # Contoso private, Qualified
PRIVATE_LOST = "VanArsdel — Supply chain forecasting"  # Contoso private, lost
COSELL_OPEN = "Humongous Insurance — Zero-trust security uplift"  # Contoso London + vendor
COSELL_WAITING = "City Power & Light — Identity consolidation"  # Contoso Toronto, vendor received
P2P_OPEN = "Trey Research — Customer 360"  # Contoso + Fabrikam (accepted)
P2P_WAITING = "Proseware — Data platform modernization"  # Contoso + Northwind (received)
SA_OPEN = "Bellows College — Azure migration readiness"  # Contoso assessment, Collect data
OVERDUE = "Alpine Ski House — ERP migration to cloud"  # Contoso private (Priya, Marco)
TAILSPIN_VENDOR_DECLINED = "Margie's Travel — Zero-trust security uplift"
REG_INCOMPLETE = "Woodgrove Bank — Sales copilot pilot"  # Contoso won co-sell, incomplete

CONTACT = CustomerContact(name="Jordan Avery", phone="+1 425 555 0142", email="jordan@cust.example")


# --- helpers ------------------------------------------------------------------------------


def find(db: Database, org: str, name: str, status: Status | None = None) -> Referral:
    """The one referral of `org` named `name` (and in `status`, where names repeat)."""
    with db.reading() as session:
        statement = (
            select(ReferralRow.id)
            .join(OrganizationRow, OrganizationRow.id == ReferralRow.organization_id)
            .where(OrganizationRow.name == org, ReferralRow.name == name)
        )
        if status is not None:
            statement = statement.where(ReferralRow.status == status.value)
        ids = session.scalars(statement).all()
        assert len(ids) == 1, f"{org} / {name}: {len(ids)} referrals"
        return queries.referral(session, ids[0])


def read(db: Database, referral_id: str) -> Referral:
    with db.reading() as session:
        return queries.referral(session, referral_id)


def side(db: Database, engagement_id: str, org: str) -> Referral:
    """The referral of `org` in an engagement."""
    with db.reading() as session:
        party = next(
            p for p in queries.parties(session, engagement_id) if p.organization_name == org
        )
        return queries.referral(session, party.referral_id)


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


def notes(db: Database, user: User, kind: NotificationKind | None = None) -> list:
    with db.reading() as session:
        found = queries.notifications(session, user.id)
    return [n for n in found if kind is None or n.kind is kind]


def member(user: User) -> TeamMemberForm:
    return TeamMemberForm(
        first_name=user.first_name, last_name=user.last_name, phone=user.phone, email=user.email
    )


def deal_form(
    db: Database,
    *,
    company: str = "743905512",  # Coho Winery, Sydney AU
    location: tuple[str, str] = (CONTOSO, "Seattle"),
    solutions: tuple[str, ...] = ("Contoso Data Quickstart",),
    team: list[User],
    vendor_help: HelpType = HelpType.NONE,
    partners: list[PartnerInviteForm] | None = None,
    contact: CustomerContact | None = CONTACT,
    consent: bool = True,
    close: date = TODAY + timedelta(days=60),
    assessment_location: int | None = None,
    name: str = "Coho Winery — Test deal",
) -> NewDealForm:
    return NewDealForm(
        company_id=company_id(db, company),
        contact=contact,
        contact_consent=consent,
        details=DealDetailsForm(
            name=name,
            location_id=location_id(db, *location),
            value=Decimal("120000"),
            currency="USD",
            close_date=close,
            crm_id="CRM-T1",
        ),
        team=[member(u) for u in team],
        solution_ids=[solution_id(db, s) for s in solutions],
        assessment_location_id=assessment_location,
        vendor_help=vendor_help,
        partners=partners or [],
    )


def partner_invite(
    db: Database,
    org: str,
    city: str,
    solutions: tuple[str, ...],
    team: list[User],
    *,
    value: str = "50000",
    close: date = TODAY + timedelta(days=45),
) -> PartnerInviteForm:
    return PartnerInviteForm(
        organization_id=org_id(db, org),
        location_id=location_id(db, org, city),
        close_date=close,
        value=Decimal(value),
        currency="EUR",
        notes="You bring the implementation team.",
        team=[member(u) for u in team],
        solution_ids=[solution_id(db, s) for s in solutions],
        help_requested=HelpType.PROOF_OF_CONCEPT_OR_DEMO,
    )


def accept_form(ref: Referral, team: list[User], **changes: object) -> AcceptForm:
    values: dict[str, object] = {
        "name": ref.name,
        "value": ref.value,
        "currency": ref.currency,
        "close_date": max(ref.close_date, TODAY),
        "team": [member(u) for u in team],
    }
    values.update(changes)
    return AcceptForm.model_validate(values)


def edit_form(ref: Referral, **changes: object) -> EditForm:
    values: dict[str, object] = {
        "name": ref.name,
        "value": ref.value,
        "currency": ref.currency,
        "close_date": ref.close_date,
        "notes": ref.notes,
        "crm_id": ref.crm_id,
        "campaign_id": ref.campaign_id,
    }
    values.update(changes)
    return EditForm.model_validate(values)


def registration_form(
    ref: Referral, contact: User, solution: int | None = None
) -> RegistrationForm:
    if solution is None:
        solution = next(s.solution.id for s in ref.solutions if s.solution.incentive_eligible)
    return RegistrationForm(
        customer_name="Woodgrove Bank",
        country="CA",
        city="Toronto",
        state="ON",
        solution_id=solution,
        contract_type="new",
        total_value=Decimal("200000"),
        currency="CAD",
        solution_value=Decimal("80000"),
        deployed_on="azure",
        deployed_where="customer_tenant",
        contract_start=TODAY,
        contract_end=TODAY + timedelta(days=365),
        signed_on=TODAY - timedelta(days=2),
        contact_first_name=contact.first_name,
        contact_last_name=contact.last_name,
        contact_phone=contact.phone,
        contact_email=contact.email,
        named_in_contract=True,
    )


def emails(team: object) -> set[str]:
    return {m.email for m in team}  # type: ignore[attr-defined]


# --- creating deals (R-LIFE-2, R-INV-*, R-ACL-2, R-WIZ-5) -----------------------------------


def test_create_private_deal_starts_accepted_at_created(demo_db: Database, people) -> None:
    """R-LIFE-2: an outbound deal starts accepted at Created (10 %); R-DEAL-3 private; R-AUD-1."""
    dana = people["Dana"]
    ref = services.create_deal(demo_db, dana, deal_form(demo_db, team=[dana, people["Priya"]]))

    assert ref.status is Status.ACCEPTED
    assert ref.stage is Stage.CREATED
    assert lifecycle.STAGE_PERCENT[ref.stage] == 10
    assert ref.direction is Direction.OUTBOUND
    assert ref.deal_type is DealType.PRIVATE
    assert ref.organization_id == dana.organization_id
    assert [m.stage for m in ref.stage_marks] == [Stage.CREATED]
    assert emails(ref.team) == {dana.email, people["Priya"].email}
    assert ref.created_at == demo_db.clock.now()
    with demo_db.reading() as session:
        log = queries.activity(session, ref.id)
        assert [p.organization_name for p in queries.parties(session, ref.engagement_id)] == [
            CONTOSO
        ]
        # R-DEAL-3: the vendor's users never see a private deal, not even in lists
        assert ref.id not in {
            r.id for r in queries.list_referrals(session, people["Megan"], show="all", limit=10**4)
        }
    assert [(e.action, e.user_id, e.new) for e in log] == [("created", dana.id, "accepted")]


@pytest.mark.parametrize(
    ("duns", "vendor_city", "notified", "mailed"),
    [
        ("743905512", "Sydney", {"Megan", "Lee"}, {"Megan"}),  # Coho Winery, AU; Lee: no mail
        ("218437765", "London", {"Megan", "Adele"}, {"Megan", "Adele"}),  # Wide World, GB
        ("275066134", "Redmond", {"Megan", "Alex"}, {"Megan", "Alex"}),  # Trey Research, FR
    ],
    ids=["AU-Sydney", "GB-London", "FR-first-location"],
)
def test_create_cosell_invites_vendor_location_serving_customer(
    demo_db: Database, people, duns: str, vendor_city: str, notified: set, mailed: set
) -> None:
    """R-INV-2: the vendor's inbound referral at the location serving the customer's country
    (else its first), 14 days to answer (R-LIFE-3); its sellers in scope told (R-NOTE-1), and
    e-mailed only when they want mail (§6)."""
    dana = people["Dana"]
    now = demo_db.clock.now()
    form = deal_form(
        demo_db, company=duns, team=[dana], vendor_help=HelpType.CUSTOMER_TECHNICAL_ARCHITECTURE
    )
    ref = services.create_deal(demo_db, dana, form)
    vendor_side = side(demo_db, ref.engagement_id, MICROSOFT)

    assert ref.deal_type is DealType.CO_SELL
    assert vendor_side.deal_type is DealType.CO_SELL
    assert vendor_side.status is Status.RECEIVED
    assert vendor_side.direction is Direction.INBOUND
    assert vendor_side.location_id == location_id(demo_db, MICROSOFT, vendor_city)
    assert vendor_side.received_at == now
    assert vendor_side.response_deadline == now + timedelta(days=14)
    assert vendor_side.response_deadline - vendor_side.received_at == timedelta(hours=336)
    assert vendor_side.help_requested is HelpType.CUSTOMER_TECHNICAL_ARCHITECTURE
    assert vendor_side.invitation is not None
    assert vendor_side.invitation.from_referral_id == ref.id
    # the vendor's side shows the sender's contacts (R-DEAL-2)
    assert [(m.email, m.organization_id) for m in vendor_side.team] == [
        (dana.email, dana.organization_id)
    ]

    with demo_db.reading() as session:
        rows = session.execute(
            select(NotificationRow, OutboxRow)
            .outerjoin(OutboxRow, OutboxRow.notification_id == NotificationRow.id)
            .where(NotificationRow.referral_id == vendor_side.id)
        ).all()
    by_id = {u.id: u for u in people.values()}
    assert {by_id[n.user_id].first_name for n, _ in rows} == notified
    assert all(n.kind == NotificationKind.NEW_INBOUND.value for n, _ in rows)
    assert {by_id[n.user_id].first_name for n, mail in rows if mail is not None} == mailed
    assert all(mail.to_email == by_id[n.user_id].email for n, mail in rows if mail is not None)


def test_create_with_partner_invites_is_p2p(demo_db: Database, people) -> None:
    """R-INV-3: the invited partner's referral holds the inviter's team (with the inviter's
    organization), its own value and close date; R-DEAL-3 P2P; R-NOTE-1 its admins told."""
    dana, priya = people["Dana"], people["Priya"]
    close = TODAY + timedelta(days=45)
    invite = partner_invite(
        demo_db, FABRIKAM, "Paris", ("Fabrikam Landing Zone",), [dana, priya], close=close
    )
    ref = services.create_deal(demo_db, dana, deal_form(demo_db, team=[dana], partners=[invite]))
    fabrikam_side = side(demo_db, ref.engagement_id, FABRIKAM)

    assert ref.deal_type is DealType.PARTNER_TO_PARTNER
    assert fabrikam_side.deal_type is DealType.PARTNER_TO_PARTNER
    assert fabrikam_side.status is Status.RECEIVED
    assert fabrikam_side.direction is Direction.INBOUND
    assert fabrikam_side.organization_id == org_id(demo_db, FABRIKAM)
    assert fabrikam_side.location_id == location_id(demo_db, FABRIKAM, "Paris")
    assert {(m.email, m.organization_id) for m in fabrikam_side.team} == {
        (dana.email, dana.organization_id),
        (priya.email, dana.organization_id),
    }
    assert fabrikam_side.value == Decimal("50000")
    assert fabrikam_side.currency == "EUR"
    assert fabrikam_side.close_date == close
    assert [s.solution.name for s in fabrikam_side.solutions] == ["Fabrikam Landing Zone"]
    assert fabrikam_side.help_requested is HelpType.PROOF_OF_CONCEPT_OR_DEMO
    assert fabrikam_side.invitation is not None
    assert fabrikam_side.invitation.from_organization_id == dana.organization_id
    assert fabrikam_side.invitation.notes == "You bring the implementation team."
    # Jonas is Fabrikam's partner admin; Amélie is a referral user, not a triager (R-NOTE-1)
    told = notes(demo_db, people["Jonas"], NotificationKind.NEW_INBOUND)
    assert told[0].referral_id == fabrikam_side.id
    assert not notes(demo_db, people["Amélie"])
    # the inviter's people hold no rights on the invited partner's referral (R-DEAL-2)
    with pytest.raises(NotFound):
        services.accept(demo_db, dana, fabrikam_side.id, accept_form(fabrikam_side, [dana]))


def _refusals() -> list[tuple[str, str, Callable[..., NewDealForm], type[DomainError]]]:
    def assessment(db: Database, p: dict) -> NewDealForm:
        return deal_form(
            db,
            location=(FABRIKAM, "Berlin"),
            solutions=("Azure Migration Assessment",),
            team=[p["Jonas"]],
            assessment_location=location_id(db, FABRIKAM, "Berlin"),
        )

    return [
        # R-ACL-2: referral users do not create deals
        ("Marco", "referral user", lambda db, p: deal_form(db, team=[p["Marco"]]), NotAllowed),
        # R-INV-2: Northwind is not co-sell ready
        (
            "Grace",
            "not co-sell ready",
            lambda db, p: deal_form(
                db,
                location=(NORTHWIND, "Austin"),
                solutions=("Northwind Lakehouse Kit",),
                team=[p["Grace"]],
                vendor_help=HelpType.GENERAL_OR_OTHER,
            ),
            NotAllowed,
        ),
        # R-INV-2: the vendor needs the customer contact and consent to share it
        (
            "Dana",
            "vendor without contact",
            lambda db, p: deal_form(
                db,
                team=[p["Dana"]],
                vendor_help=HelpType.GENERAL_OR_OTHER,
                contact=None,
                consent=False,
            ),
            InvalidState,
        ),
        (
            "Dana",
            "vendor without consent",
            lambda db, p: deal_form(
                db, team=[p["Dana"]], vendor_help=HelpType.GENERAL_OR_OTHER, consent=False
            ),
            InvalidState,
        ),
        # R-ACL-2: only vetted organizations create SA deals (Fabrikam is not vetted)
        ("Jonas", "not vetted", assessment, NotAllowed),
        # R-WIZ-5: an assessment excludes every other solution
        (
            "Dana",
            "assessment plus another",
            lambda db, p: deal_form(
                db,
                solutions=("Azure Migration Assessment", "Contoso Insight Cloud"),
                team=[p["Dana"]],
                assessment_location=location_id(db, CONTOSO, "Seattle"),
            ),
            InvalidInput,
        ),
        # a close date in the past
        (
            "Dana",
            "close date past",
            lambda db, p: deal_form(db, team=[p["Dana"]], close=TODAY - timedelta(days=1)),
            InvalidInput,
        ),
        # R-INV-3: only partners in the ecosystem; never your own organization
        (
            "Dana",
            "invite Litware",
            lambda db, p: deal_form(
                db,
                team=[p["Dana"]],
                partners=[partner_invite(db, LITWARE, "Dublin", ("Litware Forms",), [p["Dana"]])],
            ),
            NotAllowed,
        ),
        (
            "Dana",
            "invite own org",
            lambda db, p: deal_form(
                db,
                team=[p["Dana"]],
                partners=[
                    partner_invite(db, CONTOSO, "London", ("Contoso Insight Cloud",), [p["Dana"]])
                ],
            ),
            NotAllowed,
        ),
    ]


@pytest.mark.parametrize(
    ("who", "form", "error"),
    [(who, form, error) for who, _, form, error in _refusals()],
    ids=[label for _, label, _, _ in _refusals()],
)
def test_create_refusals_write_nothing(
    demo_db: Database, people, who: str, form: Callable[..., NewDealForm], error: type
) -> None:
    """R-ACL-2, R-INV-2, R-INV-3, R-WIZ-5: a refused creation leaves no deal, no notification."""
    before = (count(demo_db, ReferralRow), count(demo_db, NotificationRow))
    with pytest.raises(error):
        services.create_deal(demo_db, people[who], form(demo_db, people))
    assert (count(demo_db, ReferralRow), count(demo_db, NotificationRow)) == before


def test_vetted_org_creates_assessment_deal(demo_db: Database, people) -> None:
    """R-ACL-2/R-WIZ-5: a vetted organization's SA deal, one assessment and its location."""
    dana = people["Dana"]
    toronto = location_id(demo_db, CONTOSO, "Toronto")
    form = deal_form(
        demo_db,
        solutions=("Azure Migration Assessment",),
        team=[dana],
        assessment_location=toronto,
    )
    ref = services.create_deal(demo_db, dana, form)
    assert ref.deal_type is DealType.SOLUTION_ASSESSMENT
    assert [(s.solution.name, s.assessment_location_id) for s in ref.solutions] == [
        ("Azure Migration Assessment", toronto)
    ]


# --- answering an invitation (R-LIFE-3..5, R-NOTE-2) ---------------------------------------


def test_accept_replaces_team_keeps_sender_contacts_and_notifies(demo_db: Database, people) -> None:
    """R-LIFE-3: Accepted (10 %), the receiver's own team, the sender's contacts stay;
    R-NOTE-2: the sending party's team is told; R-AUD-1: the renaming is logged."""
    dana, marco, megan = people["Dana"], people["Marco"], people["Megan"]
    received = find(demo_db, CONTOSO, IN_NEW)
    sender = side(demo_db, received.engagement_id, MICROSOFT)
    assert received.status is Status.RECEIVED
    before = len(notes(demo_db, megan, NotificationKind.INVITATION_ACCEPTED))

    form = accept_form(received, [dana, marco], name="Adatum Copilot (Contoso)", crm_id="C-77")
    services.accept(demo_db, dana, received.id, form, received.version)
    ref = read(demo_db, received.id)

    assert ref.status is Status.ACCEPTED
    assert ref.stage is Stage.ACCEPTED
    assert lifecycle.STAGE_PERCENT[ref.stage] == 10
    assert [m.stage for m in ref.stage_marks] == [Stage.ACCEPTED]
    assert ref.name == "Adatum Copilot (Contoso)"
    assert ref.crm_id == "C-77"
    assert ref.responded_at == demo_db.clock.now()
    assert {(m.email, m.organization_id) for m in ref.team} == {
        (megan.email, megan.organization_id),
        (dana.email, dana.organization_id),
        (marco.email, dana.organization_id),
    }
    accepted = notes(demo_db, megan, NotificationKind.INVITATION_ACCEPTED)
    assert len(accepted) == before + 1
    assert accepted[0].referral_id == sender.id
    assert CONTOSO in accepted[0].message
    with demo_db.reading() as session:
        log = queries.activity(session, ref.id)
        # Marco (Seattle referral user) now sees it: he is on its team (R-ACL-1)
        assert ref.id in {r.id for r in queries.list_referrals(session, marco)}
    assert ("edited", "name", received.name, "Adatum Copilot (Contoso)") in {
        (e.action, e.field, e.old, e.new) for e in log
    }
    assert ("accepted", "received", "accepted") in {(e.action, e.old, e.new) for e in log}


@pytest.mark.parametrize(
    ("offset", "allowed"),
    [(timedelta(seconds=-1), True), (timedelta(0), False), (timedelta(hours=5), False)],
    ids=["just-before", "at-deadline", "after"],
)
def test_answer_refused_once_deadline_reached(
    demo_db: Database, people, offset: timedelta, allowed: bool
) -> None:
    """R-LIFE-3/4: 14 × 24 h to answer; expired when the clock reaches the deadline, even
    before the sweep has run."""
    dana = people["Dana"]
    received = find(demo_db, CONTOSO, IN_EXPIRING)
    assert received.response_deadline is not None
    demo_db.clock.at = received.response_deadline + offset  # type: ignore[attr-defined]
    form = accept_form(received, [dana], close_date=demo_db.clock.now().date() + timedelta(days=9))
    if allowed:
        assert services.accept(demo_db, dana, received.id, form).status is Status.ACCEPTED
        return
    with pytest.raises(InvalidState, match="expired"):
        services.accept(demo_db, dana, received.id, form)
    with pytest.raises(InvalidState, match="expired"):
        services.decline(demo_db, dana, received.id, DeclineForm(reason=DeclineReason.OTHER))
    assert read(demo_db, received.id).status is Status.RECEIVED


def test_decline_reasons_are_the_spec_list() -> None:
    """R-LIFE-5: exactly the eight reasons of the spec."""
    assert {r.label.lower() for r in DeclineReason} == {
        "project budget isn't adequate",
        "customer didn't respond",
        "customer chose another vendor",
        "customer requirement not met",
        "not a customer",
        "proposed timeline was too short",
        "report as abuse, spam or phishing",
        "other",
    }


@pytest.mark.parametrize("reason", list(DeclineReason))
def test_vendor_decline_closes_and_deal_is_no_longer_cosell(
    demo_db: Database, people, reason: DeclineReason
) -> None:
    """R-LIFE-3/5: declined with its reason, final; R-DEAL-3: a vendor that declined no longer
    counts, so Contoso's deal is private again; R-NOTE-2: Contoso's team (Dana) is told."""
    megan, dana = people["Megan"], people["Dana"]
    contoso_side = find(demo_db, CONTOSO, COSELL_WAITING)
    vendor_side = side(demo_db, contoso_side.engagement_id, MICROSOFT)
    assert contoso_side.deal_type is DealType.CO_SELL

    declined = services.decline(
        demo_db, megan, vendor_side.id, DeclineForm(reason=reason, notes="Not for us")
    )

    assert declined.status is Status.DECLINED
    assert declined.closing_reason == reason.value
    assert declined.closing_notes == "Not for us"
    assert declined.closed_at == demo_db.clock.now()
    assert declined.deal_type is DealType.PRIVATE
    assert read(demo_db, contoso_side.id).deal_type is DealType.PRIVATE
    told = notes(demo_db, dana, NotificationKind.INVITATION_DECLINED)
    assert told[0].referral_id == contoso_side.id
    assert reason.label in told[0].message


# --- working an accepted deal (R-LIFE-6..8) -----------------------------------------------


def test_edit_logs_each_change_old_to_new(demo_db: Database, people) -> None:
    """R-LIFE-6 fields, R-AUD-1 who/when/old → new; the location never changes."""
    dana = people["Dana"]
    ref = find(demo_db, CONTOSO, PRIVATE_OPEN)
    new_close = ref.close_date + timedelta(days=10)
    form = edit_form(
        ref,
        name="Coho — platform",
        value=Decimal("90000"),
        close_date=new_close,
        notes="New champion",
        crm_id="CRM-9",
        campaign_id="CMP-1",
    )
    edited = services.edit(demo_db, dana, ref.id, form, ref.version)

    assert (edited.name, edited.value, edited.close_date) == ("Coho — platform", 90000, new_close)
    assert edited.location_id == ref.location_id
    assert edited.version == ref.version + 1
    with demo_db.reading() as session:
        log = [e for e in queries.activity(session, ref.id) if e.action == "edited"]
    assert {(e.field, e.old, e.new) for e in log} == {
        ("name", ref.name, "Coho — platform"),
        ("value", "85000.00", "90000.00"),
        ("close_date", ref.close_date.isoformat(), new_close.isoformat()),
        ("notes", ref.notes, "New champion"),
        ("crm_id", ref.crm_id, "CRM-9"),
        ("campaign_id", None, "CMP-1"),
    }
    assert all(e.user_id == dana.id and e.at == demo_db.clock.now() for e in log)


def test_edit_form_has_no_location() -> None:
    """R-LIFE-6/R-DEAL-2: the location is never editable after creation."""
    with pytest.raises(ValidationError):
        EditForm(
            name="x",
            value=Decimal(1),
            currency="USD",
            close_date=TODAY,
            location_id=1,  # type: ignore[call-arg]
        )


@pytest.mark.parametrize(
    ("org", "name", "status"),
    [(CONTOSO, IN_NEW, Status.RECEIVED), (CONTOSO, PRIVATE_LOST, Status.LOST)],
    ids=["received", "lost"],
)
def test_edit_refused_unless_accepted(
    demo_db: Database, people, org: str, name: str, status: Status
) -> None:
    """R-LIFE-3: accept first; R-LIFE-1: a closed deal never changes."""
    ref = find(demo_db, org, name)
    assert ref.status is status
    with pytest.raises(InvalidState):
        services.edit(demo_db, people["Dana"], ref.id, edit_form(ref, name="Changed"))
    assert read(demo_db, ref.id) == ref


def test_team_add_and_remove_keeps_one_member(demo_db: Database, people) -> None:
    """R-DEAL-2: at least one member once accepted; each change logged (R-AUD-1)."""
    dana, marco = people["Dana"], people["Marco"]
    ref = find(demo_db, CONTOSO, PRIVATE_OPEN)
    assert emails(ref.team) == {dana.email}
    with pytest.raises(InvalidState):
        services.remove_team_member(demo_db, dana, ref.id, dana.email)

    services.add_team_member(demo_db, dana, ref.id, member(marco), ref.version)
    ref = read(demo_db, ref.id)
    assert emails(ref.team) == {dana.email, marco.email}
    with pytest.raises(InvalidInput):
        services.add_team_member(demo_db, dana, ref.id, member(marco))

    services.remove_team_member(demo_db, dana, ref.id, dana.email, ref.version)
    ref = read(demo_db, ref.id)
    assert emails(ref.team) == {marco.email}
    with pytest.raises(InvalidState):
        services.remove_team_member(demo_db, dana, ref.id, marco.email)
    with pytest.raises(NotFound):
        services.remove_team_member(demo_db, dana, ref.id, "nobody@contoso.example")
    with demo_db.reading() as session:
        log = [(e.action, e.old, e.new) for e in queries.activity(session, ref.id)]
    assert ("team_added", None, marco.email) in log
    assert ("team_removed", dana.email, None) in log


def test_invited_partner_keeps_one_own_member(demo_db: Database, people) -> None:
    """R-DEAL-2: the inviter's contacts on a P2P referral do not count as its own team."""
    fabrikam_side = find(demo_db, FABRIKAM, P2P_OPEN)
    jonas = people["Jonas"]
    assert emails(fabrikam_side.team) == {people["Dana"].email, jonas.email}
    with pytest.raises(InvalidState):
        services.remove_team_member(demo_db, jonas, fabrikam_side.id, jonas.email)


def test_set_solutions_sa_keeps_one_assessment(demo_db: Database, people) -> None:
    """R-DEAL-3/R-WIZ-5: an SA deal's assessment is only replaced by another assessment."""
    dana = people["Dana"]
    ref = find(demo_db, CONTOSO, SA_OPEN)
    security = solution_id(demo_db, "Security Posture Assessment")
    cloud = solution_id(demo_db, "Contoso Insight Cloud")
    for refused in ([cloud], [security, cloud]):
        with pytest.raises(InvalidInput):
            services.set_solutions(demo_db, dana, ref.id, refused)
        assert read(demo_db, ref.id).solutions == ref.solutions

    changed = services.set_solutions(demo_db, dana, ref.id, [security], ref.version)
    assert [s.solution.name for s in changed.solutions] == ["Security Posture Assessment"]
    assert changed.solutions[0].assessment_location_id == ref.solutions[0].assessment_location_id
    assert changed.deal_type is DealType.SOLUTION_ASSESSMENT


def test_set_solutions_non_sa_never_gains_assessment(demo_db: Database, people) -> None:
    """R-DEAL-3: a deal that is not SA can never gain an assessment; other changes are fine."""
    dana = people["Dana"]
    ref = find(demo_db, CONTOSO, PRIVATE_OPEN)
    quick = solution_id(demo_db, "Contoso Data Quickstart")
    assessment = solution_id(demo_db, "Azure Migration Assessment")
    with pytest.raises(InvalidInput):
        services.set_solutions(demo_db, dana, ref.id, [assessment])
    with pytest.raises(InvalidInput):
        services.set_solutions(demo_db, dana, ref.id, [quick, assessment])
    changed = services.set_solutions(
        demo_db, dana, ref.id, [quick, solution_id(demo_db, "Contoso Insight Cloud")]
    )
    assert {s.solution.name for s in changed.solutions} == {
        "Contoso Data Quickstart",
        "Contoso Insight Cloud",
    }
    assert changed.deal_type is DealType.PRIVATE


def test_set_stage_marks_earlier_and_unmarks_later(demo_db: Database, people) -> None:
    """R-LIFE-7: marking a stage marks the earlier ones; moving back unmarks the later ones."""
    dana = people["Dana"]
    ref = find(demo_db, CONTOSO, PRIVATE_OPEN)
    assert {m.stage for m in ref.stage_marks} == {Stage.CREATED, Stage.QUALIFIED}

    ref = services.set_stage(demo_db, dana, ref.id, Stage.NEGOTIATED, ref.version)
    assert ref.stage is Stage.NEGOTIATED
    assert lifecycle.STAGE_PERCENT[ref.stage] == 80
    assert {m.stage for m in ref.stage_marks} == {
        Stage.CREATED,
        Stage.QUALIFIED,
        Stage.DEVELOPED,
        Stage.PROPOSED,
        Stage.NEGOTIATED,
    }
    ref = services.set_stage(demo_db, dana, ref.id, Stage.QUALIFIED, ref.version)
    assert ref.stage is Stage.QUALIFIED
    assert {m.stage for m in ref.stage_marks} == {Stage.CREATED, Stage.QUALIFIED}
    # Won is set only by the Won action; the current stage is no move
    for refused in (Stage.WON, Stage.QUALIFIED):
        with pytest.raises(InvalidState):
            services.set_stage(demo_db, dana, ref.id, refused)
    assert read(demo_db, ref.id).stage is Stage.QUALIFIED


def test_sa_won_waits_for_present_to_customer(demo_db: Database, people) -> None:
    """R-LIFE-8: an SA deal is won only once every stage to “Present to customer” is marked."""
    dana = people["Dana"]
    ref = find(demo_db, CONTOSO, SA_OPEN)
    assert ref.stage is Stage.DEVELOPED
    with pytest.raises(InvalidState, match="Present to customer"):
        services.mark_won(demo_db, dana, ref.id)
    ref = services.set_stage(demo_db, dana, ref.id, Stage.PROPOSED)
    with pytest.raises(InvalidState, match="Present to customer"):
        services.mark_won(demo_db, dana, ref.id)
    assert read(demo_db, ref.id).status is Status.ACCEPTED

    services.set_stage(demo_db, dana, ref.id, Stage.NEGOTIATED)
    won = services.mark_won(demo_db, dana, ref.id, WonForm(notes="Report presented"))
    assert won.status is Status.WON
    assert won.stage is Stage.WON
    assert won.closing_notes == "Report presented"
    with demo_db.reading() as session:
        assert queries.registration(session, won.id) is None  # an assessment is not eligible


def test_ordinary_deal_won_without_marking_stages(demo_db: Database, people) -> None:
    """R-LIFE-7: marking stages is optional for ordinary deals; Won sets the last stage."""
    ref = find(demo_db, CONTOSO, PRIVATE_OPEN)
    assert ref.stage is Stage.QUALIFIED
    won = services.mark_won(demo_db, people["Dana"], ref.id)
    assert (won.status, won.stage) == (Status.WON, Stage.WON)
    assert won.closed_at == demo_db.clock.now()
    assert lifecycle.STAGE_PERCENT[won.stage] == 100


def test_lost_other_needs_notes() -> None:
    """R-LIFE-6: notes are required for the reason Other."""
    with pytest.raises(ValidationError):
        LostForm(reason=LostReason.OTHER)
    assert LostForm(reason=LostReason.OTHER, notes="Budget moved").notes == "Budget moved"


def _later_calls() -> dict[str, Callable[[Database, dict, Referral], object]]:
    def invite_partner(db: Database, p: dict, ref: Referral) -> object:
        invite = partner_invite(db, TAILSPIN, "Sydney", ("Tailspin Sentinel Pack",), [p["Dana"]])
        return services.invite_partners(db, p["Dana"], ref.id, [invite])

    return {
        "edit": lambda db, p, ref: services.edit(db, p["Dana"], ref.id, edit_form(ref, name="X")),
        "set_stage": lambda db, p, ref: services.set_stage(db, p["Dana"], ref.id, Stage.DEVELOPED),
        "add_team_member": lambda db, p, ref: services.add_team_member(
            db, p["Dana"], ref.id, member(p["Marco"])
        ),
        "remove_team_member": lambda db, p, ref: services.remove_team_member(
            db, p["Dana"], ref.id, p["Dana"].email
        ),
        "set_solutions": lambda db, p, ref: services.set_solutions(
            db, p["Dana"], ref.id, [solution_id(db, "Contoso Insight Cloud")]
        ),
        "mark_won": lambda db, p, ref: services.mark_won(db, p["Dana"], ref.id),
        "mark_lost": lambda db, p, ref: services.mark_lost(
            db, p["Dana"], ref.id, LostForm(reason=LostReason.PRICE)
        ),
        "invite_vendor": lambda db, p, ref: services.invite_vendor(
            db, p["Dana"], ref.id, HelpType.GENERAL_OR_OTHER
        ),
        "invite_partners": invite_partner,
        "set_customer_contact": lambda db, p, ref: services.set_customer_contact(
            db, p["Dana"], ref.id, None, False
        ),
        "accept": lambda db, p, ref: services.accept(
            db, p["Dana"], ref.id, accept_form(ref, [p["Dana"]])
        ),
        "decline": lambda db, p, ref: services.decline(
            db, p["Dana"], ref.id, DeclineForm(reason=DeclineReason.OTHER)
        ),
        "comment": lambda db, p, ref: services.comment(
            db, p["Dana"], ref.id, CommentForm(body="Anyone there?")
        ),
        "register": lambda db, p, ref: services.register(
            db,
            p["Dana"],
            ref.id,
            registration_form(ref, p["Dana"], solution=ref.solutions[0].solution.id),
        ),
    }


@pytest.mark.parametrize("ending", ["won", "lost"])
def test_won_and_lost_are_final(demo_db: Database, people, ending: str) -> None:
    """R-LIFE-1: once won or lost nothing about the referral changes: every later action on it
    is refused as the deal's state (InvalidState, the closed-deal refusal of errors.py), and
    the referral stays exactly as it was."""
    dana = people["Dana"]
    ref = find(demo_db, CONTOSO, PRIVATE_OPEN)
    if ending == "won":
        services.mark_won(demo_db, dana, ref.id)
    else:
        services.mark_lost(demo_db, dana, ref.id, LostForm(reason=LostReason.PRICE))
    closed = read(demo_db, ref.id)
    assert closed.status is Status(ending)

    wrong: dict[str, str] = {}
    for name, call in _later_calls().items():
        try:
            call(demo_db, people, closed)
        except InvalidState:
            pass
        except DomainError as error:
            wrong[name] = f"{type(error).__name__}: {error}"
        else:
            wrong[name] = "succeeded"
        assert read(demo_db, ref.id) == closed, name
    assert wrong == {}
    # R-FAV-1: favoriting a closed deal still works
    assert services.toggle_favorite(demo_db, dana, ref.id) is True


def _actions_returning_referral() -> dict[str, Callable[[Database, dict], Referral]]:
    def accepting(db: Database, p: dict) -> Referral:
        ref = find(db, CONTOSO, IN_NEW)
        return services.accept(db, p["Dana"], ref.id, accept_form(ref, [p["Dana"], p["Marco"]]))

    return {
        "accept": accepting,
        "add_team_member": lambda db, p: services.add_team_member(
            db, p["Dana"], find(db, CONTOSO, PRIVATE_OPEN).id, member(p["Marco"])
        ),
        "remove_team_member": lambda db, p: services.remove_team_member(
            db, p["Priya"], find(db, CONTOSO, OVERDUE, Status.ACCEPTED).id, p["Marco"].email
        ),
        "set_stage": lambda db, p: services.set_stage(
            db, p["Dana"], find(db, CONTOSO, PRIVATE_OPEN).id, Stage.PROPOSED
        ),
        "set_solutions": lambda db, p: services.set_solutions(
            db,
            p["Dana"],
            find(db, CONTOSO, PRIVATE_OPEN).id,
            [solution_id(db, "Contoso Insight Cloud")],
        ),
        "mark_won": lambda db, p: services.mark_won(
            db, p["Dana"], find(db, CONTOSO, PRIVATE_OPEN).id
        ),
        "mark_lost": lambda db, p: services.mark_lost(
            db, p["Dana"], find(db, CONTOSO, PRIVATE_OPEN).id, LostForm(reason=LostReason.PRICE)
        ),
        "decline": lambda db, p: services.decline(
            db, p["Dana"], find(db, CONTOSO, IN_NEW).id, DeclineForm(reason=DeclineReason.OTHER)
        ),
    }


@pytest.mark.parametrize("action", list(_actions_returning_referral()))
def test_returned_referral_is_what_was_stored(demo_db: Database, people, action: str) -> None:
    """R-UI-2: the deal screen redraws from the referral an action returns, so it must be the
    stored one — team and stage marks included — not a copy from before the change."""
    returned = _actions_returning_referral()[action](demo_db, people)
    stored = read(demo_db, returned.id)
    assert emails(returned.team) == emails(stored.team)
    assert [m.stage for m in returned.stage_marks] == [m.stage for m in stored.stage_marks]
    assert returned == stored


# --- inviting parties (R-INV-1) -----------------------------------------------------------


def test_cosell_inbound_side_cannot_invite_partners(demo_db: Database, people) -> None:
    """R-INV-1: on a co-sell deal only the creating organization invites partners."""
    owen = people["Owen"]
    contoso_side = find(demo_db, CONTOSO, IN_ACTIVE)
    assert (contoso_side.direction, contoso_side.status) == (Direction.INBOUND, Status.ACCEPTED)
    invite = partner_invite(demo_db, FABRIKAM, "Berlin", ("Fabrikam Landing Zone",), [owen])
    before = count(demo_db, ReferralRow)
    with pytest.raises(NotAllowed, match="created it"):
        services.invite_partners(demo_db, owen, contoso_side.id, [invite])
    assert count(demo_db, ReferralRow) == before


def test_cosell_creator_invites_partner_stays_cosell(demo_db: Database, people) -> None:
    """R-INV-1: the creator of a co-sell deal may invite partners; it stays co-sell."""
    priya = people["Priya"]
    ref = find(demo_db, CONTOSO, COSELL_OPEN)
    invite = partner_invite(demo_db, TAILSPIN, "Singapore", ("Tailspin Sentinel Pack",), [priya])
    [sent] = services.invite_partners(demo_db, priya, ref.id, [invite], ref.version)
    assert sent.status is Status.RECEIVED
    assert sent.deal_type is DealType.CO_SELL
    assert read(demo_db, ref.id).version == ref.version + 1


def test_p2p_invites_vendor_becomes_cosell(demo_db: Database, people) -> None:
    """R-INV-1: P2P without the vendor may invite it and becomes co-sell (every party's side)."""
    dana = people["Dana"]
    ref = find(demo_db, CONTOSO, P2P_OPEN)
    assert ref.deal_type is DealType.PARTNER_TO_PARTNER
    vendor_side = services.invite_vendor(demo_db, dana, ref.id, HelpType.QUOTES_AND_LICENSING)
    assert vendor_side.organization_id == org_id(demo_db, MICROSOFT)
    assert vendor_side.status is Status.RECEIVED
    assert vendor_side.help_requested is HelpType.QUOTES_AND_LICENSING
    for org in (CONTOSO, FABRIKAM, MICROSOFT):
        assert side(demo_db, ref.engagement_id, org).deal_type is DealType.CO_SELL
    # the vendor is now a party: it cannot be invited twice
    with pytest.raises(NotAllowed):
        services.invite_vendor(demo_db, dana, ref.id, HelpType.GENERAL_OR_OTHER)


def test_private_invites_partner_becomes_p2p(demo_db: Database, people) -> None:
    """R-INV-1: a private deal inviting partners only becomes P2P."""
    dana = people["Dana"]
    ref = find(demo_db, CONTOSO, PRIVATE_OPEN)
    invite = partner_invite(demo_db, TAILSPIN, "Sydney", ("Tailspin Sentinel Pack",), [dana])
    services.invite_partners(demo_db, dana, ref.id, [invite])
    assert read(demo_db, ref.id).deal_type is DealType.PARTNER_TO_PARTNER


def test_declined_vendor_cannot_be_invited_again(demo_db: Database, people) -> None:
    """R-DEAL-3: a party that declined cannot be invited again to the same engagement."""
    mia = people["Mia"]
    ref = find(demo_db, TAILSPIN, TAILSPIN_VENDOR_DECLINED)
    assert side(demo_db, ref.engagement_id, MICROSOFT).status is Status.DECLINED
    before = count(demo_db, ReferralRow)
    with pytest.raises(NotAllowed, match="cannot be invited again"):
        services.invite_vendor(demo_db, mia, ref.id, HelpType.GENERAL_OR_OTHER)
    assert count(demo_db, ReferralRow) == before


def test_declined_partner_cannot_be_invited_again(demo_db: Database, people) -> None:
    """R-DEAL-3/R-INV-3: Contoso declined the vendor's deal; the vendor cannot re-invite it."""
    alex = people["Alex"]
    contoso_side = find(demo_db, CONTOSO, IN_DECLINED)
    assert contoso_side.status is Status.DECLINED
    vendor_side = side(demo_db, contoso_side.engagement_id, MICROSOFT)
    invite = partner_invite(demo_db, CONTOSO, "Seattle", ("Contoso Insight Cloud",), [alex])
    with pytest.raises(NotAllowed, match="invited twice"):
        services.invite_partners(demo_db, alex, vendor_side.id, [invite])


def test_no_invitations_on_received_or_assessment_deals(demo_db: Database, people) -> None:
    """R-INV-1: not while received; never on an SA deal."""
    dana = people["Dana"]
    received = find(demo_db, CONTOSO, IN_NEW)
    sa = find(demo_db, CONTOSO, SA_OPEN)
    before = count(demo_db, ReferralRow)
    for ref in (received, sa):
        with pytest.raises((NotAllowed, InvalidState)):
            services.invite_vendor(demo_db, dana, ref.id, HelpType.GENERAL_OR_OTHER)
        invite = partner_invite(demo_db, TAILSPIN, "Sydney", ("Tailspin Sentinel Pack",), [dana])
        with pytest.raises((NotAllowed, InvalidState)):
            services.invite_partners(demo_db, dana, ref.id, [invite])
    assert count(demo_db, ReferralRow) == before


# --- discussion and favorites (R-DEAL-9, R-FAV-1) -----------------------------------------


def test_comment_shared_while_one_party_active(demo_db: Database, people) -> None:
    """R-DEAL-9: Contoso declined, the vendor's side is still active: both may add to the
    thread, and every party sees the same thread."""
    dana, alex = people["Dana"], people["Alex"]
    contoso_side = find(demo_db, CONTOSO, IN_DECLINED)
    vendor_side = side(demo_db, contoso_side.engagement_id, MICROSOFT)
    assert contoso_side.terminal and not vendor_side.terminal

    services.comment(demo_db, dana, contoso_side.id, CommentForm(body="Maybe next quarter."))
    services.comment(demo_db, alex, vendor_side.id, CommentForm(body="Noted, thanks."))
    with demo_db.reading() as session:
        thread = queries.comments(session, contoso_side.engagement_id)
    assert [(c.author_name, c.organization_name, c.body) for c in thread] == [
        ("Dana Whitfield", CONTOSO, "Maybe next quarter."),
        ("Alex Wilber", MICROSOFT, "Noted, thanks."),
    ]
    # another organization's user cannot post through a referral it cannot see (R-ACL-1)
    with pytest.raises(NotFound):
        services.comment(demo_db, people["Jonas"], contoso_side.id, CommentForm(body="Hi"))


def test_comment_refused_when_every_party_closed(demo_db: Database, people) -> None:
    """R-DEAL-9: the discussion is over once every party's referral is terminal."""
    ref = find(demo_db, CONTOSO, PRIVATE_LOST)
    with pytest.raises(InvalidState):
        services.comment(demo_db, people["Dana"], ref.id, CommentForm(body="Post-mortem"))
    with demo_db.reading() as session:
        assert queries.comments(session, ref.engagement_id) == []


def test_toggle_favorite_on_closed_deal(demo_db: Database, people) -> None:
    """R-FAV-1: a per-user mark, allowed on closed deals too."""
    dana, priya = people["Dana"], people["Priya"]
    ref = find(demo_db, CONTOSO, PRIVATE_LOST)
    assert services.toggle_favorite(demo_db, priya, ref.id) is True
    with demo_db.reading() as session:
        assert queries.is_favorite(session, priya.id, ref.id)
        assert not queries.is_favorite(session, dana.id, ref.id)
        assert ref.id in {
            r.id for r in queries.list_referrals(session, priya, favorites=True, show="all")
        }
    assert services.toggle_favorite(demo_db, priya, ref.id) is False
    with demo_db.reading() as session:
        assert not queries.is_favorite(session, priya.id, ref.id)


# --- who may act (R-ACL-1..3) -------------------------------------------------------------


def test_referral_user_not_on_team_cannot_act(demo_db: Database, people) -> None:
    """R-ACL-1/2: Marco (Seattle referral user) is not on this Seattle referral's team."""
    marco = people["Marco"]
    ref = find(demo_db, CONTOSO, IN_NEW)
    with pytest.raises((NotFound, NotAllowed)):
        services.accept(demo_db, marco, ref.id, accept_form(ref, [marco]))
    with pytest.raises((NotFound, NotAllowed)):
        services.decline(demo_db, marco, ref.id, DeclineForm(reason=DeclineReason.OTHER))
    with pytest.raises((NotFound, NotAllowed)):
        services.toggle_favorite(demo_db, marco, ref.id)
    assert read(demo_db, ref.id) == ref
    with demo_db.reading() as session:
        # his list holds exactly the referral he is on the team of (R-ACL-3: in the query too)
        visible = queries.list_referrals(session, marco, show="all")
    assert [r.name for r in visible] == [OVERDUE]


def test_referral_user_on_team_acts(demo_db: Database, people) -> None:
    """R-ACL-2: a user on the referral's team acts on it (Marco on Priya's overdue deal)."""
    marco = people["Marco"]
    ref = find(demo_db, CONTOSO, OVERDUE, Status.ACCEPTED)
    assert services.set_stage(demo_db, marco, ref.id, Stage.QUALIFIED).stage is Stage.QUALIFIED


def test_referral_user_on_team_out_of_scope_cannot_see(demo_db: Database, people) -> None:
    """R-ACL-1: a referral user sees a referral only at their scope's location."""
    dana, marco = people["Dana"], people["Marco"]
    ref = find(demo_db, CONTOSO, COSELL_WAITING)  # Toronto; Marco's scope is Seattle
    services.add_team_member(demo_db, dana, ref.id, member(marco))
    with pytest.raises(NotFound):
        services.set_stage(demo_db, marco, ref.id, Stage.QUALIFIED)


def test_admin_acts_outside_own_scope(demo_db: Database, people) -> None:
    """R-ACL-1: admins act on all their organization's referrals whatever their scope."""
    priya = people["Priya"]  # referral admin, Seattle
    ref = find(demo_db, CONTOSO, COSELL_WAITING)  # Toronto
    assert services.set_stage(demo_db, priya, ref.id, Stage.DEVELOPED).stage is Stage.DEVELOPED


@pytest.mark.parametrize("who", ["Jonas", "Megan", "Nora"])
def test_other_organization_cannot_act(demo_db: Database, people, who: str) -> None:
    """R-ACL-1/2/3: nobody acts on another organization's referral, whatever their role."""
    user = people[who]
    ref = find(demo_db, CONTOSO, COSELL_OPEN)
    calls: list[Callable[[], object]] = [
        lambda: services.edit(demo_db, user, ref.id, edit_form(ref, name="Hijacked")),
        lambda: services.set_stage(demo_db, user, ref.id, Stage.PROPOSED),
        lambda: services.mark_won(demo_db, user, ref.id),
        lambda: services.add_team_member(demo_db, user, ref.id, member(user)),
        lambda: services.toggle_favorite(demo_db, user, ref.id),
    ]
    for call in calls:
        with pytest.raises((NotFound, NotAllowed)):
            call()
    assert read(demo_db, ref.id) == ref


# --- the expiry sweep (R-LIFE-4, R-NOTE-4) ------------------------------------------------


def test_sweep_expires_at_deadline_and_tells_sender(demo_db: Database, people) -> None:
    """R-LIFE-4: unanswered invitations expire when the clock reaches the deadline;
    R-NOTE-2: the sender's team is told."""
    clock = demo_db.clock
    first = find(demo_db, CONTOSO, "Wide World Importers — Customer 360")  # from Adele
    second = find(demo_db, CONTOSO, IN_EXPIRING)  # from Alex
    assert first.response_deadline is not None and second.response_deadline is not None
    assert first.response_deadline < second.response_deadline

    clock.at = first.response_deadline - timedelta(seconds=1)  # type: ignore[attr-defined]
    assert services.expire_overdue(demo_db).expired == []
    assert read(demo_db, first.id).status is Status.RECEIVED

    clock.at = first.response_deadline  # type: ignore[attr-defined]
    assert services.expire_overdue(demo_db).expired == [first.id]

    clock.at = second.response_deadline + timedelta(days=3)  # type: ignore[attr-defined]
    assert services.expire_overdue(demo_db).expired == [second.id]
    assert services.expire_overdue(demo_db).expired == []

    for ref, sender in ((first, people["Adele"]), (second, people["Alex"])):
        now = read(demo_db, ref.id)
        assert now.status is Status.EXPIRED
        told = notes(demo_db, sender, NotificationKind.INVITATION_EXPIRED)
        assert told[0].referral_id == side(demo_db, ref.engagement_id, MICROSOFT).id
        assert CONTOSO in told[0].message
    # a received referral is never left past its deadline after a sweep (R-LIFE-4)
    with demo_db.reading() as session:
        late = session.scalars(
            select(ReferralRow.id).where(
                ReferralRow.status == "received", ReferralRow.response_deadline <= clock.now()
            )
        ).all()
    assert late == []


def test_sweep_reminds_once_two_days_before(demo_db: Database, people) -> None:
    """R-NOTE-4: two days before the deadline, the recipients are reminded — once."""
    clock = demo_db.clock
    grace, sam = people["Grace"], people["Sam"]
    ref = find(demo_db, NORTHWIND, P2P_WAITING)
    assert ref.response_deadline is not None
    reminders = NotificationKind.EXPIRY_REMINDER

    clock.at = ref.response_deadline - timedelta(days=2, seconds=1)  # type: ignore[attr-defined]
    assert ref.id not in services.expire_overdue(demo_db).reminded
    assert not notes(demo_db, grace, reminders)

    clock.at = ref.response_deadline - timedelta(days=2)  # type: ignore[attr-defined]
    assert services.expire_overdue(demo_db).reminded == [ref.id]
    for user in (grace, sam):
        assert [n.referral_id for n in notes(demo_db, user, reminders)] == [ref.id]

    clock.advance(timedelta(hours=30))  # type: ignore[attr-defined]
    result = services.expire_overdue(demo_db)
    assert (result.reminded, result.expired) == ([], [])
    for user in (grace, sam):
        assert len(notes(demo_db, user, reminders)) == 1
    assert read(demo_db, ref.id).status is Status.RECEIVED


# --- deal registration (R-REG-1..3, R-NOTE-3) ---------------------------------------------


def test_winning_eligible_deal_opens_incomplete_registration(demo_db: Database, people) -> None:
    """R-REG-1/3: vendor invited and accepted + incentive-eligible solution → `incomplete`."""
    ref = find(demo_db, CONTOSO, COSELL_OPEN)
    assert side(demo_db, ref.engagement_id, MICROSOFT).status is Status.ACCEPTED
    services.mark_won(demo_db, people["Priya"], ref.id)
    with demo_db.reading() as session:
        reg = queries.registration(session, ref.id)
    assert reg is not None
    assert reg.status is RegistrationStatus.INCOMPLETE


def test_private_won_deal_gets_no_registration(demo_db: Database, people) -> None:
    """R-REG-1: private deals are never eligible, even with an incentive-eligible solution."""
    dana = people["Dana"]
    form = deal_form(demo_db, solutions=("Contoso Insight Cloud",), team=[dana])
    ref = services.create_deal(demo_db, dana, form)
    services.mark_won(demo_db, dana, ref.id)
    with demo_db.reading() as session:
        assert queries.registration(session, ref.id) is None
    with pytest.raises(InvalidState):
        services.register(demo_db, dana, ref.id, registration_form(ref, dana))


def test_registration_opens_when_vendor_accepts_after_win(demo_db: Database, people) -> None:
    """R-REG-1(b): won while the vendor had not answered: eligible once the vendor accepts."""
    dana, megan = people["Dana"], people["Megan"]
    ref = find(demo_db, CONTOSO, COSELL_WAITING)
    services.mark_won(demo_db, dana, ref.id)
    with demo_db.reading() as session:
        assert queries.registration(session, ref.id) is None
    vendor_side = side(demo_db, ref.engagement_id, MICROSOFT)
    services.accept(demo_db, megan, vendor_side.id, accept_form(vendor_side, [megan]))
    with demo_db.reading() as session:
        reg = queries.registration(session, ref.id)
    assert reg is not None and reg.status is RegistrationStatus.INCOMPLETE


def test_vendor_created_deal_is_not_eligible(demo_db: Database, people) -> None:
    """R-REG-1(a): the vendor must have been invited; a deal the vendor sent is not eligible."""
    owen = people["Owen"]
    ref = find(demo_db, CONTOSO, IN_ACTIVE)
    assert any(s.solution.incentive_eligible for s in ref.solutions)
    services.mark_won(demo_db, owen, ref.id)
    with demo_db.reading() as session:
        assert queries.registration(session, ref.id) is None


def test_registration_submit_review_approve_is_final(demo_db: Database, people) -> None:
    """R-REG-3: incomplete → in_review → in_validation → approved, final; R-NOTE-3."""
    dana, megan, alex, owen = people["Dana"], people["Megan"], people["Alex"], people["Owen"]
    ref = find(demo_db, CONTOSO, REG_INCOMPLETE, Status.WON)

    reg = services.register(demo_db, dana, ref.id, registration_form(ref, owen))
    assert reg.status is RegistrationStatus.IN_REVIEW
    assert reg.submitted_at == demo_db.clock.now()
    assert reg.form is not None and reg.form.contact_email == owen.email
    with pytest.raises(InvalidState):  # with the vendor: wait for its answer
        services.register(demo_db, dana, ref.id, registration_form(ref, owen))

    reg = services.review_registration(demo_db, megan, ref.id, ReviewAction.APPROVE)
    assert reg.status is RegistrationStatus.IN_VALIDATION
    assert reg.decided_at is None
    reg = services.review_registration(demo_db, alex, ref.id, ReviewAction.APPROVE)
    assert reg.status is RegistrationStatus.APPROVED
    assert reg.decided_at == demo_db.clock.now()

    for action in ReviewAction:
        with pytest.raises(InvalidState):
            services.review_registration(demo_db, megan, ref.id, action, "again")
    with pytest.raises(InvalidState):
        services.register(demo_db, dana, ref.id, registration_form(ref, owen))
    with demo_db.reading() as session:
        final = queries.registration(session, ref.id)
    assert final == reg
    # R-NOTE-3: the registration contact (Owen) and the team (Dana, Priya) are told
    for user in (owen, dana, people["Priya"]):
        approved = notes(demo_db, user, NotificationKind.REGISTRATION_APPROVED)
        assert ref.id in [n.referral_id for n in approved]


def test_request_changes_needs_message_and_resubmit(demo_db: Database, people) -> None:
    """R-REG-3: changes asked with a message → action_required → resubmitted → in_review;
    R-NOTE-3: the registration contact and the team are told, no one else."""
    dana, megan, owen = people["Dana"], people["Megan"], people["Owen"]
    ref = find(demo_db, CONTOSO, REG_INCOMPLETE, Status.WON)
    services.register(demo_db, dana, ref.id, registration_form(ref, owen))

    for blank in (None, "", "   "):
        with pytest.raises(InvalidInput):
            services.review_registration(
                demo_db, megan, ref.id, ReviewAction.REQUEST_CHANGES, blank
            )
        with pytest.raises(InvalidInput):
            services.review_registration(demo_db, megan, ref.id, ReviewAction.REJECT, blank)

    kind = NotificationKind.REGISTRATION_ACTION_REQUIRED
    told_before = {u: len(notes(demo_db, people[u], kind)) for u in people}
    reg = services.review_registration(
        demo_db, megan, ref.id, ReviewAction.REQUEST_CHANGES, "Attach the order form."
    )
    assert reg.status is RegistrationStatus.ACTION_REQUIRED
    assert reg.message == "Attach the order form."
    told = {u for u in people if len(notes(demo_db, people[u], kind)) > told_before[u]}
    assert told == {"Owen", "Dana", "Priya"}
    assert "Attach the order form." in notes(demo_db, owen, kind)[0].message

    reg = services.register(demo_db, dana, ref.id, registration_form(ref, owen))
    assert reg.status is RegistrationStatus.IN_REVIEW
    assert reg.message is None


def test_only_vendor_sellers_review(demo_db: Database, people) -> None:
    """R-REG-3: the vendor's sellers review; a partner user cannot, not even its admin."""
    ref = find(demo_db, CONTOSO, "Relecloud — Supply chain forecasting")
    with demo_db.reading() as session:
        before = queries.registration(session, ref.id)
    assert before is not None and before.status is RegistrationStatus.IN_REVIEW
    for who in ("Dana", "Priya", "Jonas"):
        with pytest.raises(NotAllowed):
            services.review_registration(demo_db, people[who], ref.id, ReviewAction.APPROVE)
    with demo_db.reading() as session:
        assert queries.registration(session, ref.id) == before


def test_register_rights_and_solution(demo_db: Database, people) -> None:
    """R-ACL-2: registering takes an admin or a team member; R-REG-2: an eligible solution."""
    dana, marco = people["Dana"], people["Marco"]
    ref = find(demo_db, CONTOSO, REG_INCOMPLETE, Status.WON)
    with pytest.raises((NotFound, NotAllowed)):
        services.register(demo_db, marco, ref.id, registration_form(ref, marco))
    with pytest.raises(NotFound):
        services.register(demo_db, people["Jonas"], ref.id, registration_form(ref, dana))
    quick = solution_id(demo_db, "Contoso Data Quickstart")
    with pytest.raises(InvalidInput):
        services.register(demo_db, dana, ref.id, registration_form(ref, dana, solution=quick))
    with demo_db.reading() as session:
        reg = queries.registration(session, ref.id)
    assert reg is not None and reg.status is RegistrationStatus.INCOMPLETE


# --- notifications and concurrent edits (§6, R-STORE-2) -----------------------------------


def test_mark_notifications_read(demo_db: Database, people) -> None:
    """§6: the unread count drops as notifications are read; only one's own are touched."""
    dana, megan = people["Dana"], people["Megan"]
    with demo_db.reading() as session:
        unread = queries.notifications(session, dana.id, unread_only=True)
        megan_unread = queries.unread_count(session, megan.id)
    assert len(unread) >= 3

    some = [n.id for n in unread[:2]]
    assert services.mark_notifications_read(demo_db, dana, some) == 2
    assert services.mark_notifications_read(demo_db, dana, some) == 0
    with demo_db.reading() as session:
        megan_ids = [n.id for n in queries.notifications(session, megan.id)]
    assert services.mark_notifications_read(demo_db, dana, megan_ids) == 0

    assert services.mark_notifications_read(demo_db, dana) == len(unread) - 2
    with demo_db.reading() as session:
        assert queries.unread_count(session, dana.id) == 0
        assert queries.unread_count(session, megan.id) == megan_unread
        assert all(
            n.read_at == demo_db.clock.now() for n in queries.notifications(session, dana.id)
        )


def test_stale_version_is_refused(demo_db: Database, people) -> None:
    """R-STORE-2: two users change the same deal; the later save is refused, nothing lost."""
    dana, priya = people["Dana"], people["Priya"]
    ref = find(demo_db, CONTOSO, PRIVATE_OPEN)
    opened_by_priya = ref.version

    services.edit(demo_db, dana, ref.id, edit_form(ref, name="Dana's name"), ref.version)
    with pytest.raises(Conflict):
        services.edit(demo_db, priya, ref.id, edit_form(ref, name="Priya's name"), opened_by_priya)
    with pytest.raises(Conflict):
        services.set_stage(demo_db, priya, ref.id, Stage.PROPOSED, opened_by_priya)
    with pytest.raises(Conflict):
        services.mark_won(demo_db, priya, ref.id, None, opened_by_priya)
    now = read(demo_db, ref.id)
    assert (now.name, now.stage, now.status) == ("Dana's name", Stage.QUALIFIED, Status.ACCEPTED)
