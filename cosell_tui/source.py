"""The app's window on the database: reads for the signed-in user, run in worker threads."""

from __future__ import annotations

import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

from cosell_tui.domain import rights
from cosell_tui.domain.enums import Direction, HelpType, Status
from cosell_tui.domain.errors import InvalidState, NotFound
from cosell_tui.domain.listing import DealQuery
from cosell_tui.domain.models import (
    ActivityEntry,
    Comment,
    Company,
    DealRow,
    Engagement,
    NewDealForm,
    Notification,
    Organization,
    Party,
    Referral,
    Registration,
    Solution,
    User,
    ValueTotal,
)
from cosell_tui.domain.parties import InviteOptions, PartyState, invite_options
from cosell_tui.store import deal_reads, directory, lists, queries, search
from cosell_tui.store.database import Database, open_database
from cosell_tui.store.queries import NotificationLine
from cosell_tui.store.schema import (
    ActivityRow,
    CompanyRow,
    EngagementRow,
    RegistrationRow,
    SolutionRow,
)
from cosell_tui.store.search import DealHit

if TYPE_CHECKING:
    from cosell_tui.domain.wizard import Draft
    from cosell_tui.store.pipeline import Pipeline


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

    def pipeline(self) -> Pipeline:
        """The Pipeline tab's figures (issue 7), in one snapshot."""
        from cosell_tui.store import pipeline  # noqa: PLC0415 (only when the tab shows)

        with self.db.reading() as session:
            return pipeline.pipeline(session, self.user, self.db.clock.now())

    def export_view(self, query: DealQuery, path: Path, form: str) -> int:
        """The list as the user has it, to a file (`x`, issue 7); how many deals went out."""
        from cosell_tui.exchange import export  # noqa: PLC0415

        done = export.export(
            self.db, self.user, form=export.format_of(path, form), out=path, query=query
        )
        return done.count

    def unread(self) -> int:
        with self.db.reading() as session:
            return queries.unread_count(session, self.user.id)

    def find_deals(self, typed: str, limit: int = 40) -> list[DealHit]:
        """Deals this user may see, by deal or customer name (the command palette)."""
        with self.db.reading() as session:
            return search.find_deals(session, self.user, typed, limit)

    def today(self) -> date:
        return self.db.clock.now().date()

    def now(self) -> datetime:
        return self.db.clock.now()

    # --- notifications (§6) -------------------------------------------------------------------

    def notification_lines(self, limit: int) -> tuple[list[NotificationLine], int]:
        """The newest `limit` notifications with their deals, and how many there are in all."""
        with self.db.reading() as session:
            return queries.notification_lines(session, self.user, limit)

    def newest_unread(self) -> Notification | None:
        with self.db.reading() as session:
            found = queries.notifications(session, self.user.id, unread_only=True, limit=1)
        return found[0] if found else None

    def mark_read(self, ids: list[int] | None) -> int:
        """Mark these notifications read (None: all of them); returns how many were unread."""
        from cosell_tui import services  # noqa: PLC0415 (not needed for the first rows, issue 6)

        return services.mark_notifications_read(self.db, self.user, ids)

    def list_summary(self, query: DealQuery) -> tuple[int, int, list[ValueTotal]]:
        """A list's rows, the tab's rows without the filter, and its value totals, in one read
        (the deal list's count worker; the status bar shows them with the rows, issue 6)."""
        with self.db.reading() as session:
            shown, totals = lists.summary(session, self.user, query)
            unfiltered = shown
            if query.search:
                unfiltered = lists.count(session, self.user, query.with_(search=""))
            return shown, unfiltered, totals


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
    reads = deal_reads.reads(db.engine.dialect.name)
    with db.reading() as session:
        connection = session.connection()
        row = connection.execute(reads.referral, {"referral_id": referral_id}).first()
        if row is None:
            raise NotFound("That deal does not exist (it may have been removed).")
        by_engagement = {"engagement_id": row.engagement_id}
        catalog = [
            queries.to_solution(cast("SolutionRow", s)) for s in connection.execute(reads.catalog)
        ]
        party_rows = connection.execute(reads.parties, by_engagement).all()
        invited = next(
            (p for p in party_rows if p.id == referral_id and p.invitation_id is not None), None
        )
        referral = deal_reads.own_referral(
            row, connection, reads, invited, {s.id: s for s in catalog}
        )
        if not rights.can_view(user, referral):
            raise NotFound("That deal does not exist or you cannot see it.")
        orgs = deal_reads.organizations(connection, reads)
        organization = next(o for o in orgs if o.id == referral.organization_id)
        parties = [
            Party(
                referral_id=p.id,
                organization_id=p.organization_id,
                organization_name=p.name,
                is_vendor=p.is_vendor,
                location_label=f"{p.city}, {p.country}",
                direction=Direction(p.direction),
                status=Status(p.status),
                invited_by_organization_id=p.from_organization_id,
                help_requested=HelpType(p.help_requested),
            )
            for p in party_rows
        ]
        engagement_row = connection.execute(reads.engagement, by_engagement).one()
        company = connection.execute(reads.company, {"company_id": engagement_row.company_id})
        # the user's registration, and the partners' for the vendor to review
        wanted = [referral.id]
        if organization.is_vendor:
            wanted += [p.referral_id for p in parties if not p.is_vendor]
        registrations = {
            r.referral_id: queries.to_registration(cast("RegistrationRow", r))
            for r in connection.execute(reads.registrations, {"referral_ids": wanted})
        }
        favorite = connection.execute(
            reads.favorite, {"user_id": user.id, "referral_id": referral.id}
        ).first()
        return DealView(
            referral=referral,
            engagement=queries.to_engagement(
                cast("EngagementRow", engagement_row), cast("CompanyRow", company.one())
            ),
            parties=parties,
            organizations={o.id: o.name for o in orgs},
            locations={loc.id: loc.label for o in orgs for loc in o.locations},
            comments=[
                Comment(
                    id=c.id,
                    engagement_id=c.engagement_id,
                    author_user_id=c.author_user_id,
                    author_name=f"{c.first_name} {c.last_name}",
                    organization_name=c.organization_name,
                    body=c.body,
                    created_at=c.created_at,
                )
                for c in connection.execute(reads.comments, by_engagement)
            ],
            activity=[
                queries.to_activity(cast("ActivityRow", a))
                for a in connection.execute(
                    reads.activity, {"referral_id": referral.id, **by_engagement}
                )
            ],
            people={
                u.id: f"{u.first_name} {u.last_name}" for u in connection.execute(reads.people)
            },
            registration=registrations.get(referral.id),
            reviewable=[
                (party, registrations[party.referral_id])
                for party in parties
                if organization.is_vendor
                and not party.is_vendor
                and party.referral_id in registrations
            ],
            favorite=favorite is not None,
            organization=organization,
            catalog=catalog,
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
        from cosell_tui import services  # noqa: PLC0415 (not needed for the first rows, issue 6)

        services.save_draft(self.db, self.user, draft)

    def discard_draft(self) -> None:
        from cosell_tui import services  # noqa: PLC0415 (not needed for the first rows, issue 6)

        services.discard_draft(self.db, self.user)

    def create(self, form: NewDealForm) -> Referral:
        """Create the deal (and remove the user's draft, in the same transaction)."""
        from cosell_tui import services  # noqa: PLC0415 (not needed for the first rows, issue 6)

        return services.create_deal(self.db, self.user, form)


# --- who signs in: switch user and first run (R-UI-7, R-UI-8) ------------------------------

DEMO_SEED = 1


def users_and_organizations(db: Database) -> tuple[list[User], dict[int, Organization]]:
    """Every user of the database, and the organizations by id (switch user, R-UI-7)."""
    with db.reading() as session:
        return queries.users(session), {o.id: o for o in queries.organizations(session)}


SET_UP = "This database already has users; the demo needs an empty one."


def load_demo(db: Database) -> User:
    """First run (R-UI-8): build the demo ecosystem in this empty database; its first admin.

    The demo is built in a file of its own and copied in whole at the end: built in place, its
    many transactions would be visible half-done to anything else on the database (another
    terminal's expiry sweep answered its invitations under it), and a failure would leave a
    half-built demo that looks set up.
    """
    from cosell_tui.demo import build_demo  # noqa: PLC0415 (large; only the first run needs it)

    _refuse_if_set_up(db)
    today = db.clock.now().date()
    target = db.path
    if target is None:  # not SQLite: no file to copy, build in place
        build_demo(db, seed=DEMO_SEED, today=today)
    else:
        with tempfile.TemporaryDirectory(prefix=".cosell-demo-", dir=target.parent) as folder:
            built = open_database(Path(folder) / "demo.db", clock=db.clock)
            try:
                build_demo(built, seed=DEMO_SEED, today=today)
            finally:
                built.dispose()
            _copy_over(Path(folder) / "demo.db", target)
    with db.reading() as session:
        admin = queries.first_admin(session)
    if admin is None:  # the demo always has admins: this is a bug, not a user's mistake
        raise RuntimeError("the demo was built without an admin")
    return admin


def _refuse_if_set_up(db: Database) -> None:
    with db.reading() as session:
        if queries.users(session):
            raise InvalidState(SET_UP)


def _copy_over(built: Path, target: Path) -> None:
    """Replace the (empty) database at `target` with `built` in one step (SQLite's backup)."""
    source = sqlite3.connect(built)
    destination = sqlite3.connect(target, timeout=5)
    try:
        (users,) = destination.execute("SELECT count(*) FROM users").fetchone()
        if users:  # someone set it up while the demo was being built
            raise InvalidState(SET_UP)
        source.backup(destination)
    finally:
        source.close()
        destination.close()
