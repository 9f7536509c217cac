"""The reads of one deal for the deal screen (`source.load_deal`), as Core statements.

Built once, each backed by an index (the referral's and engagement's keys,
ix_team_members_referral, the unique referral_id indexes of referral_solutions, stage_marks,
invitations and registrations, uq_referrals_engagement_org, ix_comments_engagement_id,
ix_activity_referral and ix_activity_engagement); the organizations, users and catalog are a
few rows each. Rows come back as plain tuples, not ORM objects: the ORM's loading was 85 % of
the read (17 of 20 ms at 100 000 deals, issue 6); the Core types still make datetimes aware.
A Core row has the attributes of its columns, so `queries`' converters take it as it is.
"""

from __future__ import annotations

from functools import cache
from typing import Any, cast

from sqlalchemy import BindParameter, Connection, and_, bindparam, or_, select

from cosell_tui.domain.models import (
    Location,
    Organization,
    Referral,
    Solution,
)
from cosell_tui.store.cards import party_cards
from cosell_tui.store.queries import referral_of, to_invitation, to_location, to_organization
from cosell_tui.store.schema import (
    ActivityRow,
    CommentRow,
    CompanyRow,
    EngagementRow,
    FavoriteRow,
    InvitationRow,
    LocationRow,
    OrganizationRow,
    ReferralRow,
    ReferralSolutionRow,
    RegistrationRow,
    SolutionRow,
    StageMarkRow,
    TeamMemberRow,
    UserRow,
)


@cache
def reads(dialect: str = "sqlite") -> DealReads:
    """The statements for a database of `dialect`, built on first use (like the models)."""
    return DealReads(dialect)


class DealReads:
    """The statements of `load_deal`, built once: plain Core selects, each backed by an index
    (the referral's and engagement's keys, ix_team_members_referral, the unique referral_id
    indexes of referral_solutions, stage_marks, invitations and registrations,
    uq_referrals_engagement_org, ix_comments_engagement_id, ix_activity_referral and
    ix_activity_engagement); the organizations, users and catalog are a few rows each.

    Rows come back as plain tuples, not ORM objects: the ORM's loading was 85 % of the read
    (17 of 20 ms at 100 000 deals, issue 6); the Core types still make the datetimes aware.
    A Core row has the attributes of its columns, so `queries`' converters take it as it is.
    """

    def __init__(self, dialect: str) -> None:
        referral, engagement = ReferralRow.__table__, EngagementRow.__table__
        organization, location = OrganizationRow.__table__, LocationRow.__table__
        invitation, user = InvitationRow.__table__, UserRow.__table__
        team, solutions = TeamMemberRow.__table__, ReferralSolutionRow.__table__
        marks, comment = StageMarkRow.__table__, CommentRow.__table__
        activity, registration = ActivityRow.__table__, RegistrationRow.__table__
        favorite, company = FavoriteRow.__table__, CompanyRow.__table__
        referral_id: BindParameter[str] = bindparam("referral_id")
        engagement_id: BindParameter[str] = bindparam("engagement_id")
        self.referral = (
            select(referral, engagement.c.deal_type.label("deal_type"))
            .join(engagement, engagement.c.id == referral.c.engagement_id)
            .where(referral.c.id == referral_id)
        )
        self.engagement = select(engagement).where(engagement.c.id == engagement_id)
        self.company = select(company).where(company.c.id == bindparam("company_id"))
        self.team = select(team).where(team.c.referral_id == referral_id).order_by(team.c.id)
        self.solutions = (
            select(solutions.c.solution_id, solutions.c.assessment_location_id)
            .where(solutions.c.referral_id == referral_id)
            .order_by(solutions.c.id)
        )
        self.stage_marks = (
            select(marks.c.stage, marks.c.marked_at)
            .where(marks.c.referral_id == referral_id)
            .order_by(marks.c.id)
        )
        self.organizations = select(organization).order_by(organization.c.id)
        self.locations = select(location).order_by(location.c.id)
        # every party of the engagement (the vendor first), each with its invitation if any:
        # their cards (on PostgreSQL the other parties' rows are out of a member's reach)
        cards = party_cards(dialect, engagement_id)
        self.parties = (
            select(
                cards.c.id,
                cards.c.organization_id,
                cards.c.direction,
                cards.c.status,
                cards.c.help_requested,
                organization.c.name,
                organization.c.is_vendor,
                location.c.city,
                location.c.country,
                invitation.c.id.label("invitation_id"),
                invitation.c.from_organization_id,
                invitation.c.from_referral_id,
                invitation.c.from_user_id,
                invitation.c.help_requested.label("invitation_help"),
                invitation.c.notes,
                invitation.c.sent_at,
            )
            .join(organization, organization.c.id == cards.c.organization_id)
            .join(location, location.c.id == cards.c.location_id)
            .outerjoin(invitation, invitation.c.referral_id == cards.c.id)
            .order_by(organization.c.is_vendor.desc(), cards.c.created_at, cards.c.id)
        )
        self.comments = (
            select(
                comment,
                user.c.first_name,
                user.c.last_name,
                organization.c.name.label("organization_name"),
            )
            .join(user, user.c.id == comment.c.author_user_id)
            .join(organization, organization.c.id == comment.c.organization_id)
            .where(comment.c.engagement_id == engagement_id)
            .order_by(comment.c.id)
        )
        # the referral's history with the engagement-wide entries (deal type, discussion)
        self.activity = (
            select(activity)
            .where(
                or_(
                    activity.c.referral_id == referral_id,
                    and_(
                        activity.c.referral_id.is_(None), activity.c.engagement_id == engagement_id
                    ),
                )
            )
            .order_by(activity.c.id)
        )
        self.people = select(user.c.id, user.c.first_name, user.c.last_name).order_by(user.c.id)
        self.registrations = select(registration).where(
            registration.c.referral_id.in_(bindparam("referral_ids", expanding=True))
        )
        self.favorite = select(favorite.c.user_id).where(
            favorite.c.user_id == bindparam("user_id"), favorite.c.referral_id == referral_id
        )
        self.catalog = select(SolutionRow.__table__).order_by(SolutionRow.__table__.c.id)


def own_referral(
    row: Any,
    connection: Connection,
    reads: DealReads,
    invited: Any,
    catalog: dict[int, Solution],
) -> Referral:
    """The referral as `queries.referral` returns it, from Core rows."""
    key = {"referral_id": row.id}
    return referral_of(
        row,
        deal_type=row.deal_type,
        team=connection.execute(reads.team, key),
        solutions=[
            (catalog[s.solution_id], s.assessment_location_id)
            for s in connection.execute(reads.solutions, key)
        ],
        stage_marks=connection.execute(reads.stage_marks, key),
        invitation=None
        if invited is None
        else to_invitation(invited, help_requested=invited.invitation_help),
    )


def organizations(connection: Connection, reads: DealReads) -> list[Organization]:
    """As `queries.organizations`: every organization with its locations, by id."""
    locations: dict[int, list[Location]] = {}
    for row in connection.execute(reads.locations):
        locations.setdefault(row.organization_id, []).append(to_location(cast("LocationRow", row)))
    return [
        to_organization(cast("OrganizationRow", row), locations.get(row.id, ()))
        for row in connection.execute(reads.organizations)
    ]
