"""The app's window on the database: reads for the signed-in user, run in worker threads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from cosell_tui import services
from cosell_tui.domain import rights
from cosell_tui.domain.errors import NotFound
from cosell_tui.domain.models import (
    ActivityEntry,
    Comment,
    Company,
    DealRow,
    Engagement,
    NewDealForm,
    Organization,
    Party,
    Referral,
    Registration,
    Solution,
    User,
    ValueTotal,
)
from cosell_tui.domain.parties import InviteOptions, PartyState, invite_options
from cosell_tui.domain.wizard import Draft
from cosell_tui.store import directory, lists, queries
from cosell_tui.store.database import Database
from cosell_tui.store.lists import DealQuery


class DatabaseSource:
    """A `DealSource` bound to one database and one user (R-ACL-1 applies in every query)."""

    def __init__(self, db: Database, user: User) -> None:
        self.db = db
        self.user = user

    def count(self, query: DealQuery) -> int:
        with self.db.reading() as session:
            return lists.count(session, self.user, query)

    def page(self, query: DealQuery, offset: int, limit: int) -> list[DealRow]:
        with self.db.reading() as session:
            return lists.page(session, self.user, query, offset, limit)

    def position(self, query: DealQuery, referral_id: str) -> int | None:
        with self.db.reading() as session:
            return lists.position(session, self.user, query, referral_id)

    def totals(self, query: DealQuery) -> tuple[int, list[ValueTotal]]:
        """The tab's row count without the filter, and its value per currency with it."""
        with self.db.reading() as session:
            return (
                lists.count(session, self.user, query.with_(search="")),
                lists.totals(session, self.user, query),
            )

    def unread(self) -> int:
        with self.db.reading() as session:
            return queries.unread_count(session, self.user.id)

    def today(self) -> date:
        return self.db.clock.now().date()

    def now(self) -> datetime:
        return self.db.clock.now()


@dataclass(frozen=True)
class DealView:
    """Everything the deal screen shows about one referral, read in one snapshot (R-UI-2)."""

    referral: Referral
    engagement: Engagement
    parties: list[Party]
    organizations: dict[int, str]
    locations: dict[int, str]
    comments: list[Comment]
    activity: list[ActivityEntry]
    people: dict[int, str]
    registration: Registration | None
    reviewable: list[tuple[Party, Registration]]
    favorite: bool
    can_act: bool
    invite: InviteOptions
    organization: Organization
    catalog: list[Solution]
    partner_candidates: list[Organization]

    @property
    def own_organization(self) -> str:
        return self.organizations[self.referral.organization_id]


def load_deal(db: Database, user: User, referral_id: str) -> DealView:
    """Read one deal for the deal screen; refused (NotFound) unless the user may see it."""
    with db.reading() as session:
        referral = queries.referral(session, referral_id)
        if not rights.can_view(user, referral):
            raise NotFound("That deal does not exist or you cannot see it.")
        orgs = queries.organizations(session)
        organization = next(o for o in orgs if o.id == referral.organization_id)
        parties = queries.parties(session, referral.engagement_id)
        return DealView(
            referral=referral,
            engagement=queries.engagement(session, referral.engagement_id),
            parties=parties,
            organizations={o.id: o.name for o in orgs},
            locations={loc.id: loc.label for o in orgs for loc in o.locations},
            comments=queries.comments(session, referral.engagement_id),
            activity=queries.activity(session, referral.id),
            people={u.id: u.full_name for u in queries.users(session)},
            registration=queries.registration(session, referral.id),
            reviewable=[
                (party, found)
                for party in parties
                if organization.is_vendor and not party.is_vendor
                for found in [queries.registration(session, party.referral_id)]
                if found is not None
            ],
            favorite=queries.is_favorite(session, user.id, referral.id),
            organization=organization,
            catalog=queries.solutions(session),
            partner_candidates=[
                o
                for o in orgs
                if o.in_ecosystem
                and not o.is_vendor
                and o.id != organization.id
                and o.id not in {p.organization_id for p in parties}
            ],
            can_act=rights.can_act(user, referral),
            invite=invite_options(
                deal_type=referral.deal_type,
                status=referral.status,
                direction=referral.direction,
                organization=organization,
                parties=[PartyState(p.organization_id, p.is_vendor, p.status) for p in parties],
            ),
        )


class WizardSource:
    """The creation wizard's reads and writes (R-UI-4, R-Q-2); call from worker threads."""

    def __init__(self, db: Database, user: User) -> None:
        self.db = db
        self.user = user

    def today(self) -> date:
        return self.db.clock.now().date()

    def cities(self, country: str) -> list[str]:
        """The directory's cities in a country, sorted, each once (case-insensitively)."""
        with self.db.reading() as session:
            return directory.cities(session, country)

    def find_companies(self, country: str, city: str, text: str, limit: int = 20) -> list[Company]:
        """Directory companies whose name contains `text` (case-insensitive), in that place."""
        with self.db.reading() as session:
            return directory.find_companies(session, country, city, text, limit)

    def company_with_duns(self, duns: str) -> Company | None:
        with self.db.reading() as session:
            return directory.company_by_duns(session, duns)

    def open_duplicates(self, company_id: int | None, solution_ids: list[int]) -> list[Referral]:
        """The organization's open deals for this customer sharing one of these solutions."""
        if company_id is None:
            return []
        with self.db.reading() as session:
            return directory.open_duplicates(
                session, self.user.organization_id, company_id, solution_ids
            )

    def load_draft(self) -> Draft | None:
        with self.db.reading() as session:
            return directory.draft(session, self.user.id)

    def save_draft(self, draft: Draft) -> None:
        services.save_draft(self.db, self.user, draft)

    def discard_draft(self) -> None:
        services.discard_draft(self.db, self.user)

    def create(self, form: NewDealForm) -> Referral:
        """Create the deal (and remove the user's draft, in the same transaction)."""
        return services.create_deal(self.db, self.user, form)
