"""The demo ecosystem (SPEC §10): organizations, people, a directory, a catalog and deals.

Scripted deals are made through the services, in time order on a moving clock, so they pass the
same rules and guards as a user's; `--deals N` adds generated deals in bulk, each inserted active
with its data and only then closed, so the R-STORE-1 triggers hold for them too.
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from cosell_tui import services
from cosell_tui.clock import FixedClock
from cosell_tui.domain.enums import (
    DealType,
    DeclineReason,
    Direction,
    HelpType,
    LostReason,
    Role,
    SolutionKind,
    Stage,
    Status,
)
from cosell_tui.domain.models import (
    AcceptForm,
    CommentForm,
    CustomerContact,
    DealDetailsForm,
    DeclineForm,
    LostForm,
    NewDealForm,
    PartnerInviteForm,
    Referral,
    RegistrationForm,
    TeamMemberForm,
    User,
)
from cosell_tui.domain.registration import ReviewAction
from cosell_tui.store import queries, search
from cosell_tui.store.bulk import Batch, stored
from cosell_tui.store.database import Database
from cosell_tui.store.schema import (
    CompanyRow,
    LocationRow,
    OrganizationRow,
    SolutionRow,
    UserRow,
)

MAX_GENERATED = 1_000_000

# name, partner id, co-sell ready, in ecosystem, vetted, locations
PARTNERS: list[tuple[str, str, bool, bool, bool, list[tuple[str, str]]]] = [
    (
        "Contoso Analytics",
        "4100021",
        True,
        True,
        True,
        [("Seattle", "US"), ("Toronto", "CA"), ("London", "GB")],
    ),
    ("Fabrikam Cloud Services", "4100337", True, True, False, [("Berlin", "DE"), ("Paris", "FR")]),
    ("Northwind Data", "4100452", False, True, False, [("Austin", "US"), ("Chicago", "US")]),
    ("Tailspin Security", "4100598", True, True, True, [("Sydney", "AU"), ("Singapore", "SG")]),
    ("Litware Labs", "4100713", False, False, False, [("Dublin", "IE")]),
]
VENDOR_LOCATIONS = [
    ("Redmond", "US"),
    ("Toronto", "CA"),
    ("London", "GB"),
    ("Munich", "DE"),
    ("Sydney", "AU"),
]

# first, last, role, scope (index into the organization's locations, or None for global)
PEOPLE: dict[str, list[tuple[str, str, Role, int | None]]] = {
    "Microsoft": [
        ("Megan", "Bowen", Role.SELLER, None),
        ("Alex", "Wilber", Role.SELLER, 0),
        ("Adele", "Vance", Role.SELLER, 2),
        ("Lee", "Gu", Role.SELLER, 4),
    ],
    "Contoso Analytics": [
        ("Dana", "Whitfield", Role.PARTNER_ADMIN, None),
        ("Priya", "Natarajan", Role.REFERRAL_ADMIN, 0),
        ("Marco", "Ruiz", Role.REFERRAL_USER, 0),
        ("Chloe", "Bennett", Role.REFERRAL_USER, 2),
        ("Owen", "Tremblay", Role.REFERRAL_ADMIN, 1),
    ],
    "Fabrikam Cloud Services": [
        ("Jonas", "Keller", Role.PARTNER_ADMIN, None),
        ("Amélie", "Laurent", Role.REFERRAL_USER, 1),
    ],
    "Northwind Data": [
        ("Grace", "Holloway", Role.PARTNER_ADMIN, None),
        ("Sam", "Okafor", Role.REFERRAL_ADMIN, 1),
    ],
    "Tailspin Security": [
        ("Mia", "Chen", Role.PARTNER_ADMIN, None),
        ("Liam", "O'Connor", Role.REFERRAL_USER, 0),
    ],
    "Litware Labs": [("Nora", "Byrne", Role.PARTNER_ADMIN, None)],
}

VENDOR_SOLUTIONS = [
    "Azure OpenAI Service",
    "Microsoft 365 Copilot",
    "Microsoft Fabric",
    "Dynamics 365 Sales",
]
ASSESSMENTS = [
    "Azure Migration Assessment",
    "Security Posture Assessment",
    "Data and AI Readiness Assessment",
]
# per partner: (name, incentive eligible)
PARTNER_SOLUTIONS = {
    "Contoso Analytics": [("Contoso Insight Cloud", True), ("Contoso Data Quickstart", False)],
    "Fabrikam Cloud Services": [("Fabrikam Landing Zone", True), ("Fabrikam Managed Ops", False)],
    "Northwind Data": [("Northwind Lakehouse Kit", False)],
    "Tailspin Security": [("Tailspin Sentinel Pack", True), ("Tailspin Identity Guard", True)],
    "Litware Labs": [("Litware Forms", False)],
}

# Same-name companies in the same city, told apart by D-U-N-S (R-ORG-3).
COMPANIES = [
    (
        "Adatum Corporation",
        "1 Microsoft Way",
        "Seattle",
        "WA",
        "98101",
        "US",
        "10000+",
        "150483782",
    ),
    (
        "Adatum Corporation",
        "400 Pine Street",
        "Seattle",
        "WA",
        "98101",
        "US",
        "50-999",
        "150483790",
    ),
    ("Woodgrove Bank", "100 King St W", "Toronto", "ON", "M5X 1A9", "CA", "10000+", "201558344"),
    ("Woodgrove Bank", "77 Bloor St W", "Toronto", "ON", "M5S 1M2", "CA", "1000-9999", "201558352"),
    ("Alpine Ski House", "12 Bahnhofstrasse", "Munich", "BY", "80335", "DE", "50-999", "342118907"),
    ("Coho Winery", "8 Vineyard Rd", "Sydney", "NSW", "2000", "AU", "1-49", "743905512"),
    ("Proseware, Inc.", "55 Market St", "Chicago", "IL", "60601", "US", "1000-9999", "612200418"),
    (
        "Wide World Importers",
        "3 Harbour Rd",
        "London",
        None,
        "E14 5AB",
        "GB",
        "1000-9999",
        "218437765",
    ),
    ("Relecloud", "901 Congress Ave", "Austin", "TX", "78701", "US", "50-999", "079112553"),
    ("Trey Research", "14 Rue de Rivoli", "Paris", None, "75004", "FR", "50-999", "275066134"),
    ("Lamna Healthcare", "22 Orchard Rd", "Singapore", None, "238879", "SG", "10000+", "595812207"),
    (
        "Munson's Pickles and Preserves",
        "7 Mill Lane",
        "Dublin",
        None,
        "D02 X285",
        "IE",
        "1-49",
        None,
    ),
    (
        "Bellows College",
        "600 University Ave",
        "Toronto",
        "ON",
        "M5G 1X5",
        "CA",
        "1000-9999",
        "203991170",
    ),
    (
        "Consolidated Messenger",
        "250 Lake St",
        "Seattle",
        "WA",
        "98109",
        "US",
        "50-999",
        "150998214",
    ),
    ("Humongous Insurance", "1 Canada Sq", "London", None, "E14 5AA", "GB", "10000+", "218990026"),
    (
        "Lucerne Publishing",
        "45 Friedrichstrasse",
        "Berlin",
        "BE",
        "10117",
        "DE",
        "50-999",
        "315220894",
    ),
    ("Margie's Travel", "18 George St", "Sydney", "NSW", "2000", "AU", "50-999", "743110268"),
    ("VanArsdel, Ltd.", "2 Wacker Dr", "Chicago", "IL", "60606", "US", "1000-9999", "612887140"),
    ("Wingtip Toys", "900 Lamar Blvd", "Austin", "TX", "78703", "US", "1-49", "079554021"),
    (
        "Blue Yonder Airlines",
        "1 Airport Way",
        "Seattle",
        "WA",
        "98158",
        "US",
        "10000+",
        "150227661",
    ),
    ("City Power & Light", "11 Queen St", "Toronto", "ON", "M5H 2N2", "CA", "10000+", "201774409"),
    ("Fourth Coffee", "30 Rue du Bac", "Paris", None, "75007", "FR", "1-49", "275661980"),
    ("Southridge Video", "5 Marina Blvd", "Singapore", None, "018980", "SG", "50-999", "595330146"),
    (
        "Graphic Design Institute",
        "88 Baggot St",
        "Dublin",
        None,
        "D02 Y754",
        "IE",
        "50-999",
        "985001237",
    ),
]

DEAL_TOPICS = [
    "Data platform modernization",
    "Copilot rollout",
    "Zero-trust security uplift",
    "Contact center AI",
    "ERP migration to cloud",
    "Analytics lakehouse",
    "Identity consolidation",
    "Customer 360",
    "Supply chain forecasting",
    "Sales copilot pilot",
]


@dataclass
class Ecosystem:
    """Handles to what the demo created, by name, for the scripted deals."""

    orgs: dict[str, int] = field(default_factory=dict)
    locations: dict[str, list[int]] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)  # by first name
    solutions: dict[str, int] = field(default_factory=dict)
    companies: list[int] = field(default_factory=list)


def _email(first: str, last: str, org: str) -> str:
    company = org.split(maxsplit=1)[0].lower()
    domain = "microsoft.example" if org == "Microsoft" else f"{company}.example"
    local = f"{first}.{last}".lower().replace("'", "").replace("é", "e")
    return f"{local}@{domain}"


def build_ecosystem(db: Database) -> Ecosystem:
    """Organizations, locations, users, customers and solutions; no deals."""
    eco = Ecosystem()
    with db.transaction() as session:
        specs: list[tuple[str, str | None, bool, bool, bool, bool, list[tuple[str, str]]]] = [
            ("Microsoft", None, True, True, False, False, VENDOR_LOCATIONS),
            *[
                (n, pid, False, ready, eco_, vet, locs)
                for n, pid, ready, eco_, vet, locs in PARTNERS
            ],
        ]
        for name, partner_id, is_vendor, ready, in_eco, vetted, locations in specs:
            org = OrganizationRow(
                name=name,
                partner_id=partner_id,
                is_vendor=is_vendor,
                co_sell_ready=ready,
                in_ecosystem=in_eco,
                vetted_for_assessments=vetted,
            )
            session.add(org)
            session.flush()
            eco.orgs[name] = org.id
            eco.locations[name] = []
            for city, country in locations:
                loc = LocationRow(organization_id=org.id, city=city, country=country)
                session.add(loc)
                session.flush()
                eco.locations[name].append(loc.id)
        phone = 2065550100
        for org_name, people in PEOPLE.items():
            for first, last, role, scope in people:
                phone += 7
                row = UserRow(
                    organization_id=eco.orgs[org_name],
                    first_name=first,
                    last_name=last,
                    email=_email(first, last, org_name),
                    phone=f"+1 {str(phone)[:3]}-{str(phone)[3:6]}-{str(phone)[6:]}",
                    role=role.value,
                    scope_location_id=None if scope is None else eco.locations[org_name][scope],
                    email_notifications=first not in ("Marco", "Lee"),
                )
                session.add(row)
                session.flush()
                eco.users[first] = queries.to_user(row)
        vendor_id = eco.orgs["Microsoft"]
        catalog: list[tuple[str, int, SolutionKind, bool]] = [
            *[(n, vendor_id, SolutionKind.VENDOR, False) for n in VENDOR_SOLUTIONS],
            *[(n, vendor_id, SolutionKind.ASSESSMENT, False) for n in ASSESSMENTS],
            *[
                (n, eco.orgs[org], SolutionKind.PARTNER, eligible)
                for org, items in PARTNER_SOLUTIONS.items()
                for n, eligible in items
            ],
        ]
        for name, org_id, kind, eligible in catalog:
            sol = SolutionRow(
                name=name, organization_id=org_id, kind=kind.value, incentive_eligible=eligible
            )
            session.add(sol)
            session.flush()
            eco.solutions[name] = sol.id
        for name, line, city, state, postal, country, size, duns in COMPANIES:
            company = CompanyRow(
                name=name,
                address_line=line,
                city=city,
                state=state,
                postal_code=postal,
                country=country,
                size=size,
                duns=duns,
            )
            session.add(company)
            session.flush()
            eco.companies.append(company.id)
    return eco


# --- scripted deals -------------------------------------------------------------------------


def _member(user: User) -> TeamMemberForm:
    return TeamMemberForm(
        first_name=user.first_name, last_name=user.last_name, phone=user.phone, email=user.email
    )


@dataclass
class Script:
    """Deal stories as timed steps, run in time order on the demo's moving clock."""

    db: Database
    eco: Ecosystem
    today: datetime
    steps: list[tuple[datetime, int, Callable[[], None]]] = field(default_factory=list)
    deals: dict[str, Referral] = field(default_factory=dict)

    def at(self, days_ago: float, step: Callable[[], None]) -> None:
        when = self.today - timedelta(days=days_ago)
        self.steps.append((when, len(self.steps), step))

    def run(self) -> None:
        clock = self.db.clock
        assert isinstance(clock, FixedClock)
        for when, _, step in sorted(self.steps, key=lambda item: (item[0], item[1])):
            clock.at = when
            services.expire_overdue(self.db)
            step()
        clock.at = self.today
        services.expire_overdue(self.db)

    # helpers used by the stories

    def now_date(self) -> date:
        return self.db.clock.now().date()

    def create(
        self,
        key: str,
        by: str,
        company: int,
        topic: str,
        value: int,
        *,
        currency: str = "USD",
        solutions: list[str],
        location: int = 0,
        close_in: int = 60,
        vendor_help: HelpType = HelpType.NONE,
        partners: list[tuple[str, int, list[str]]] = (),  # type: ignore[assignment]
        contact: bool = True,
        assessment_location: int | None = None,
        team: list[str] | None = None,
    ) -> None:
        user = self.eco.users[by]
        org_name = next(n for n, oid in self.eco.orgs.items() if oid == user.organization_id)
        close = self.now_date() + timedelta(days=close_in)
        members = [_member(self.eco.users[name]) for name in (team or [by])]
        invites = [
            PartnerInviteForm(
                organization_id=self.eco.orgs[partner],
                location_id=self.eco.locations[partner][loc],
                close_date=close,
                value=Decimal(value) / 2,
                currency=currency,
                notes=f"{partner} brings the implementation team.",
                team=members,
                solution_ids=[self.eco.solutions[s] for s in sols],
                help_requested=HelpType.PROOF_OF_CONCEPT_OR_DEMO,
            )
            for partner, loc, sols in partners
        ]
        company_name = COMPANIES[self.eco.companies.index(company)][0]
        form = NewDealForm(
            company_id=company,
            contact=CustomerContact(
                name="Jordan Avery",
                phone="+1 425 555 0142",
                email=f"jordan.avery@{re.sub('[^a-z]', '', company_name.lower())[:20]}.example",
            )
            if contact
            else None,
            contact_consent=contact,
            details=DealDetailsForm(
                name=f"{company_name.split(',')[0]} — {topic}",
                location_id=self.eco.locations[org_name][location],
                value=Decimal(value),
                currency=currency,
                close_date=close,
                crm_id=f"CRM-{len(self.deals) + 1001}",
                notes="Internal: champion is the CIO's chief of staff.",
            ),
            team=members,
            solution_ids=[self.eco.solutions[s] for s in solutions],
            assessment_location_id=None
            if assessment_location is None
            else self.eco.locations[org_name][assessment_location],
            vendor_help=vendor_help,
            partners=invites,
        )
        self.deals[key] = services.create_deal(self.db, user, form)

    def side(self, key: str, org: str) -> Referral:
        """The referral of `org` in the engagement of deal `key`, freshly read."""
        engagement_id = self.deals[key].engagement_id
        with self.db.reading() as session:
            party = next(
                p
                for p in queries.parties(session, engagement_id)
                if p.organization_id == self.eco.orgs[org]
            )
            return queries.referral(session, party.referral_id)

    def accept(self, key: str, org: str, by: str, team: list[str] | None = None) -> None:
        ref = self.side(key, org)
        form = AcceptForm(
            name=ref.name,
            value=ref.value,
            currency=ref.currency,
            close_date=max(ref.close_date, self.now_date()),
            team=[_member(self.eco.users[name]) for name in (team or [by])],
        )
        services.accept(self.db, self.eco.users[by], ref.id, form, ref.version)

    def decline(self, key: str, org: str, by: str, reason: DeclineReason) -> None:
        ref = self.side(key, org)
        services.decline(
            self.db, self.eco.users[by], ref.id, DeclineForm(reason=reason), ref.version
        )

    def stage(self, key: str, org: str, by: str, stage: Stage) -> None:
        ref = self.side(key, org)
        services.set_stage(self.db, self.eco.users[by], ref.id, stage, ref.version)

    def won(self, key: str, org: str, by: str) -> None:
        ref = self.side(key, org)
        services.mark_won(self.db, self.eco.users[by], ref.id, None, ref.version)

    def lost(
        self, key: str, org: str, by: str, reason: LostReason, notes: str | None = None
    ) -> None:
        ref = self.side(key, org)
        services.mark_lost(
            self.db, self.eco.users[by], ref.id, LostForm(reason=reason, notes=notes), ref.version
        )

    def comment(self, key: str, org: str, by: str, body: str) -> None:
        services.comment(
            self.db, self.eco.users[by], self.side(key, org).id, CommentForm(body=body)
        )

    def register(self, key: str, org: str, by: str) -> None:
        ref = self.side(key, org)
        user = self.eco.users[by]
        eligible = next(s.solution for s in ref.solutions if s.solution.incentive_eligible)
        today = self.now_date()
        with self.db.reading() as session:
            company = queries.engagement(session, ref.engagement_id).company
        form = RegistrationForm(
            customer_name=company.name,
            country=company.country,
            city=company.city,
            state=company.state or company.city,
            solution_id=eligible.id,
            contract_type="new",
            total_value=ref.value,
            currency=ref.currency,
            solution_value=ref.value / 2,
            deployed_on="azure",
            deployed_where="customer_tenant",
            contract_start=today,
            contract_end=today + timedelta(days=365),
            signed_on=today - timedelta(days=2),
            contact_first_name=user.first_name,
            contact_last_name=user.last_name,
            contact_phone=user.phone,
            contact_email=user.email,
            named_in_contract=True,
        )
        services.register(self.db, user, ref.id, form)

    def review(
        self, key: str, org: str, by: str, decision: ReviewAction, message: str | None = None
    ) -> None:
        services.review_registration(
            self.db, self.eco.users[by], self.side(key, org).id, decision, message
        )


def _stories(s: Script) -> None:
    c = s.eco.companies
    contoso, fabrikam, tailspin, northwind = (
        "Contoso Analytics",
        "Fabrikam Cloud Services",
        "Tailspin Security",
        "Northwind Data",
    )
    ms = "Microsoft"
    cloud, quick = "Contoso Insight Cloud", "Contoso Data Quickstart"

    # Inbound from the vendor's sellers, in every answer state (R-LIFE-3, R-LIFE-4, R-NOTE-4).
    s.at(
        3,
        lambda: s.create(
            "in-new",
            "Megan",
            c[0],
            "Copilot rollout",
            480_000,
            solutions=["Microsoft 365 Copilot"],
            partners=[(contoso, 0, [cloud])],
        ),
    )
    s.at(
        12.5,
        lambda: s.create(
            "in-expiring",
            "Alex",
            c[1],
            "Analytics lakehouse",
            220_000,
            solutions=["Microsoft Fabric"],
            partners=[(contoso, 0, [cloud])],
        ),
    )
    s.at(
        13.2,
        lambda: s.create(
            "in-expiring-2",
            "Adele",
            c[7],
            "Customer 360",
            95_000,
            currency="GBP",
            solutions=["Dynamics 365 Sales"],
            partners=[(contoso, 2, [quick])],
        ),
    )
    s.at(
        30,
        lambda: s.create(
            "in-expired",
            "Megan",
            c[13],
            "Contact center AI",
            150_000,
            solutions=["Azure OpenAI Service"],
            partners=[(contoso, 0, [cloud])],
        ),
    )
    s.at(
        40,
        lambda: s.create(
            "in-declined",
            "Alex",
            c[19],
            "Sales copilot pilot",
            60_000,
            solutions=["Microsoft 365 Copilot"],
            partners=[(contoso, 0, [quick])],
        ),
    )
    s.at(38, lambda: s.decline("in-declined", contoso, "Priya", DeclineReason.TIMELINE_TOO_SHORT))
    s.at(
        45,
        lambda: s.create(
            "in-active",
            "Megan",
            c[2],
            "ERP migration to cloud",
            1_250_000,
            currency="CAD",
            solutions=["Dynamics 365 Sales"],
            partners=[(contoso, 1, [cloud]), (tailspin, 0, ["Tailspin Sentinel Pack"])],
        ),
    )
    s.at(43, lambda: s.accept("in-active", contoso, "Owen", team=["Owen", "Dana"]))
    s.at(42, lambda: s.accept("in-active", tailspin, "Mia"))
    s.at(30, lambda: s.stage("in-active", contoso, "Owen", Stage.PROPOSED))
    s.at(
        20,
        lambda: s.comment(
            "in-active", ms, "Megan", "Customer wants a workshop before Christmas; who can host?"
        ),
    )
    s.at(19, lambda: s.comment("in-active", contoso, "Owen", "We can host in Toronto on the 12th."))
    s.at(18, lambda: s.comment("in-active", tailspin, "Mia", "We will join remotely for security."))

    # Contoso's own deals: private, P2P, co-sell, assessment (R-DEAL-3).
    s.at(
        50,
        lambda: s.create(
            "private-open",
            "Dana",
            c[5],
            "Data platform modernization",
            85_000,
            currency="AUD",
            solutions=[quick],
            close_in=40,
        ),
    )
    s.at(35, lambda: s.stage("private-open", contoso, "Dana", Stage.QUALIFIED))
    s.at(
        55,
        lambda: s.create(
            "private-won",
            "Priya",
            c[8],
            "Analytics lakehouse",
            42_000,
            solutions=[cloud],
            contact=False,
        ),
    )
    s.at(20, lambda: s.won("private-won", contoso, "Priya"))
    s.at(
        58,
        lambda: s.create(
            "private-lost",
            "Dana",
            c[17],
            "Supply chain forecasting",
            130_000,
            solutions=[quick, "Microsoft Fabric"],
        ),
    )
    s.at(25, lambda: s.lost("private-lost", contoso, "Dana", LostReason.LOST_TO_COMPETITOR))
    s.at(
        28,
        lambda: s.create(
            "cosell-open",
            "Priya",
            c[14],
            "Zero-trust security uplift",
            310_000,
            currency="GBP",
            solutions=[cloud, "Microsoft 365 Copilot"],
            location=2,
            vendor_help=HelpType.CUSTOMER_TECHNICAL_ARCHITECTURE,
            team=["Priya", "Chloe"],
        ),
    )
    s.at(26, lambda: s.accept("cosell-open", ms, "Adele"))
    s.at(15, lambda: s.stage("cosell-open", contoso, "Priya", Stage.DEVELOPED))
    s.at(
        2,
        lambda: s.create(
            "cosell-waiting",
            "Dana",
            c[20],
            "Identity consolidation",
            175_000,
            currency="CAD",
            solutions=[cloud],
            location=1,
            vendor_help=HelpType.QUOTES_AND_LICENSING,
        ),
    )
    s.at(
        40,
        lambda: s.create(
            "cosell-vendor-expired",
            "Marco" if False else "Priya",
            c[18],
            "Sales copilot pilot",
            36_000,
            solutions=[quick],
            vendor_help=HelpType.GENERAL_OR_OTHER,
        ),
    )
    s.at(
        22,
        lambda: s.create(
            "p2p-open",
            "Dana",
            c[9],
            "Customer 360",
            260_000,
            currency="EUR",
            solutions=[cloud],
            partners=[(fabrikam, 1, ["Fabrikam Landing Zone"])],
        ),
    )
    s.at(20, lambda: s.accept("p2p-open", fabrikam, "Jonas"))
    s.at(18, lambda: s.stage("p2p-open", contoso, "Dana", Stage.NEGOTIATED))
    s.at(
        6,
        lambda: s.create(
            "p2p-waiting",
            "Priya",
            c[6],
            "Data platform modernization",
            140_000,
            solutions=[quick],
            partners=[(northwind, 1, ["Northwind Lakehouse Kit"])],
        ),
    )
    s.at(
        60,
        lambda: s.create(
            "overdue",
            "Priya",
            c[4],
            "ERP migration to cloud",
            75_000,
            currency="EUR",
            solutions=[quick],
            close_in=30,
            team=["Priya", "Marco"],
        ),
    )
    s.at(
        48,
        lambda: s.create(
            "sa-open",
            "Dana",
            c[12],
            "Azure migration readiness",
            25_000,
            currency="CAD",
            solutions=["Azure Migration Assessment"],
            location=1,
            assessment_location=1,
        ),
    )
    s.at(30, lambda: s.stage("sa-open", contoso, "Dana", Stage.DEVELOPED))
    s.at(
        57,
        lambda: s.create(
            "sa-won",
            "Dana",
            c[10],
            "Security posture review",
            30_000,
            currency="SGD",
            solutions=["Security Posture Assessment"],
            assessment_location=0,
        ),
    )
    s.at(40, lambda: s.stage("sa-won", contoso, "Dana", Stage.NEGOTIATED))
    s.at(33, lambda: s.won("sa-won", contoso, "Dana"))

    # Other partners invite Contoso (P2P inbound) and each other.
    s.at(
        4,
        lambda: s.create(
            "from-fabrikam",
            "Jonas",
            c[15],
            "Copilot rollout",
            90_000,
            currency="EUR",
            solutions=["Fabrikam Landing Zone"],
            partners=[(contoso, 2, [cloud])],
        ),
    )
    s.at(
        35,
        lambda: s.create(
            "tailspin-vendor-declined",
            "Mia",
            c[16],
            "Zero-trust security uplift",
            120_000,
            currency="AUD",
            solutions=["Tailspin Sentinel Pack"],
            vendor_help=HelpType.PROOF_OF_CONCEPT_OR_DEMO,
        ),
    )
    s.at(33, lambda: s.decline("tailspin-vendor-declined", ms, "Lee", DeclineReason.NOT_A_CUSTOMER))

    # Won co-sell deals in every registration status (R-REG-1..3).
    flows = {
        "reg-incomplete": [],
        "reg-in-review": ["submit"],
        "reg-in-validation": ["submit", "approve"],
        "reg-action-required": ["submit", "changes"],
        "reg-approved": ["submit", "approve", "approve"],
        "reg-rejected": ["submit", "reject"],
    }
    for n, (key, flow) in enumerate(flows.items()):
        start = 59 - n
        company = c[(n * 5 + 3) % len(c)]

        def story(
            key: str = key, flow: list[str] = flow, start: int = start, company: int = company
        ) -> None:
            s.at(
                start,
                lambda: s.create(
                    key,
                    "Dana",
                    company,
                    DEAL_TOPICS[start % 10],
                    200_000 + start * 1000,
                    solutions=[cloud],
                    vendor_help=HelpType.WORKLOAD_VALUE_PROPOSITION,
                    team=["Dana", "Priya"],
                ),
            )
            s.at(start - 2, lambda: s.accept(key, ms, "Megan"))
            s.at(start - 20, lambda: s.won(key, contoso, "Dana"))
            for i, step in enumerate(flow):
                when = start - 22 - i * 3
                if step == "submit":
                    s.at(when, lambda: s.register(key, contoso, "Dana"))
                elif step == "approve":
                    s.at(when, lambda: s.review(key, contoso, "Megan", ReviewAction.APPROVE))
                elif step == "changes":
                    s.at(
                        when,
                        lambda: s.review(
                            key,
                            contoso,
                            "Megan",
                            ReviewAction.REQUEST_CHANGES,
                            "Attach the signed order form's contract value.",
                        ),
                    )
                elif step == "reject":
                    s.at(
                        when,
                        lambda: s.review(
                            key,
                            contoso,
                            "Megan",
                            ReviewAction.REJECT,
                            "The solution is not named in the customer contract.",
                        ),
                    )

        story()

    def favorites() -> None:
        for key in ("in-active", "cosell-open", "reg-action-required", "private-won"):
            services.toggle_favorite(s.db, s.eco.users["Dana"], s.side(key, contoso).id)

    s.at(1, favorites)


# --- generated deals in bulk -------------------------------------------------------------


CURRENCY_BY_COUNTRY = {
    "US": "USD",
    "CA": "CAD",
    "GB": "GBP",
    "DE": "EUR",
    "FR": "EUR",
    "IE": "EUR",
    "AU": "AUD",
    "SG": "SGD",
}
PARTNER_FATES = (
    [Status.RECEIVED, Status.ACCEPTED, Status.WON, Status.LOST, Status.DECLINED, Status.EXPIRED],
    [1, 5, 2, 2, 1, 1],
)
PRIVATE_FATES = ([Status.ACCEPTED, Status.WON, Status.LOST], [6, 2, 2])
OPEN_STAGES = [Stage.QUALIFIED, Stage.DEVELOPED, Stage.PROPOSED, Stage.NEGOTIATED]


@dataclass
class _Generator:
    """Makes `--deals N` deals: private ones of a partner, and co-sell ones the vendor sent."""

    eco: Ecosystem
    rng: random.Random
    today: datetime
    own_solutions: dict[int, list[int]]
    vendor_solutions: list[int]
    admins: dict[int, User]
    countries: dict[int, str]

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def deal(self, batch: Batch, number: int, two_party: bool) -> int:
        """One engagement with one or two referrals; returns how many referrals it made."""
        rng = self.rng
        vendor = self.eco.orgs["Microsoft"]
        partner = self.eco.orgs[rng.choice([n for n, *_ in PARTNERS if n != "Litware Labs"])]
        created = (self.today - timedelta(days=rng.uniform(0.5, 365))).replace(microsecond=0)
        engagement_id = self.new_id()
        batch.engagements.append(
            {
                "id": engagement_id,
                "company_id": rng.choice(self.eco.companies),
                "contact_name": None,
                "contact_phone": None,
                "contact_email": None,
                "contact_consent": False,
                "created_by_organization_id": vendor if two_party else partner,
                "is_assessment": False,
                "deal_type": (DealType.CO_SELL if two_party else DealType.PRIVATE).value,
                "created_at": stored(created),
            }
        )
        common = {
            "engagement_id": engagement_id,
            "name": f"{rng.choice(DEAL_TOPICS)} #{number}",
            "value_cents": rng.randrange(5_000, 2_000_000) * 100,
            "close_date": (created + timedelta(days=rng.randrange(20, 200))).date().isoformat(),
        }
        if not two_party:
            fate = rng.choices(*PRIVATE_FATES)[0]
            self.side(batch, common, partner, Direction.OUTBOUND, fate, created, None)
            return 1
        sender = self.side(
            batch, common, vendor, Direction.OUTBOUND, Status.ACCEPTED, created, None
        )
        fate = rng.choices(*PARTNER_FATES)[0]
        self.side(batch, common, partner, Direction.INBOUND, fate, created, (vendor, sender))
        return 2

    def side(
        self,
        batch: Batch,
        common: dict[str, Any],
        org_id: int,
        direction: Direction,
        fate: Status,
        created: datetime,
        invited_by: tuple[int, str] | None,
    ) -> str:
        rng = self.rng
        rid = self.new_id()
        org_name = next(name for name, oid in self.eco.orgs.items() if oid == org_id)
        location = rng.choice(self.eco.locations[org_name])
        arrived = created
        if fate is Status.RECEIVED:  # still within its 14 days
            arrived = (self.today - timedelta(days=rng.uniform(0.1, 13.5))).replace(microsecond=0)
        at = stored(arrived)
        answered = fate not in (Status.RECEIVED, Status.DECLINED, Status.EXPIRED)
        stage = Stage.CREATED if direction is Direction.OUTBOUND else Stage.ACCEPTED
        if fate is Status.ACCEPTED:
            stage = rng.choice([stage, *OPEN_STAGES])
        admin = self.admins[org_id]
        inbound = direction is Direction.INBOUND
        batch.referrals.append(
            {
                **common,
                "id": rid,
                "organization_id": org_id,
                "location_id": location,
                "currency": CURRENCY_BY_COUNTRY.get(self.countries[location], "USD"),
                "crm_id": None,
                "campaign_id": None,
                "notes": None,
                "help_requested": HelpType.NONE.value,
                "direction": direction.value,
                "status": (Status.ACCEPTED if answered else Status.RECEIVED).value,
                "stage": stage.value,
                "created_at": at,
                "received_at": at if inbound else None,
                "responded_at": at if answered else None,
                "closed_at": None,
                "response_deadline": stored(arrived + timedelta(days=14)) if inbound else None,
                "reminder_sent_at": None,
                "closing_reason": None,
                "closing_notes": None,
                "version": 1,
            }
        )
        batch.team.append(
            {
                "referral_id": rid,
                "organization_id": org_id,
                "first_name": admin.first_name,
                "last_name": admin.last_name,
                "phone": admin.phone,
                "email": admin.email,
            }
        )
        solutions = self.vendor_solutions if org_id == self.eco.orgs["Microsoft"] else None
        batch.solutions.append(
            {
                "referral_id": rid,
                "solution_id": (solutions or self.own_solutions[org_id])[0],
                "assessment_location_id": None,
            }
        )
        if answered:
            batch.marks.append(
                {
                    "referral_id": rid,
                    "stage": stage.value,
                    "marked_at": at,
                    "marked_by_user_id": admin.id,
                }
            )
        if invited_by is not None:
            from_org, from_referral = invited_by
            batch.invitations.append(
                {
                    "referral_id": rid,
                    "from_organization_id": from_org,
                    "from_referral_id": from_referral,
                    "from_user_id": self.admins[from_org].id,
                    "help_requested": HelpType.GENERAL_OR_OTHER.value,
                    "notes": None,
                    "sent_at": at,
                }
            )
        batch.activity.append(
            {
                "referral_id": rid,
                "engagement_id": common["engagement_id"],
                "user_id": admin.id,
                "at": at,
                "action": "received" if inbound else "created",
                "field": "status",
                "old": None,
                "new": (Status.ACCEPTED if answered else Status.RECEIVED).value,
            }
        )
        if fate.terminal:
            took = timedelta(days=14 if fate is Status.EXPIRED else rng.randrange(1, 14))
            closed_at = stored(min(self.today, arrived + took))
            if fate is Status.DECLINED:  # declining answers the invitation, as services.decline
                batch.referrals[-1]["responded_at"] = closed_at
            batch.closing.append(
                {
                    "rid": rid,
                    "status": fate.value,
                    "stage": Stage.WON.value if fate is Status.WON else stage.value,
                    "closed_at": closed_at,
                    "reason": {
                        Status.LOST: LostReason.PRICE.value,
                        Status.DECLINED: DeclineReason.BUDGET_NOT_ADEQUATE.value,
                    }.get(fate),
                }
            )
        return rid


def generate_deals(
    db: Database, eco: Ecosystem, count: int, rng: random.Random, today: datetime
) -> None:
    """`--deals N`: N more referrals (what the lists call deals), written in batches."""
    with db.reading() as session:
        catalog = queries.solutions(session)
        people = queries.users(session)
        countries = {
            loc.id: loc.country for o in queries.organizations(session) for loc in o.locations
        }
    generator = _Generator(
        eco=eco,
        rng=rng,
        today=today,
        own_solutions={
            org_id: [
                s.id
                for s in catalog
                if s.organization_id == org_id and s.kind is SolutionKind.PARTNER
            ]
            for org_id in eco.orgs.values()
        },
        vendor_solutions=[s.id for s in catalog if s.kind is SolutionKind.VENDOR],
        admins={
            org_id: next(u for u in people if u.organization_id == org_id and u.is_admin)
            for org_id in eco.orgs.values()
        },
        countries=countries,
    )
    made = 0
    while made < count:
        batch = Batch()
        while made < count and len(batch.referrals) < 5000:
            two_party = made + 1 < count and rng.random() < 0.45
            made += generator.deal(batch, made + 1, two_party)
        batch.write(db)


def build_demo(db: Database, *, seed: int, today: date, deals: int | None = None) -> Ecosystem:
    """The ecosystem; then, unless `deals` is 0, the scripted deals and `deals` generated ones."""
    if deals is not None and not 0 <= deals <= MAX_GENERATED:
        raise ValueError(f"--deals must be between 0 and {MAX_GENERATED:,}.")
    rng = random.Random(seed)
    start = datetime.combine(today, time(9, 0), tzinfo=UTC)
    clock = FixedClock(start - timedelta(days=90))
    scripted = Database(
        db.engine, clock, lambda: str(uuid.UUID(int=rng.getrandbits(128), version=4))
    )
    eco = build_ecosystem(scripted)
    if deals == 0:
        return eco
    script = Script(scripted, eco, start)
    _stories(script)
    script.run()
    with search.bulk_loading(scripted):  # index the generated deals once, at the end
        generate_deals(scripted, eco, deals or 0, rng, start)
    return eco
