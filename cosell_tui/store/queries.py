"""Reads that return domain objects (never ORM rows) and the visibility rules in SQL (R-ACL-1)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from cosell_tui.domain.enums import (
    ACTIVE_STATUSES,
    ADMIN_ROLES,
    TERMINAL_STATUSES,
    CompanySize,
    DealType,
    Direction,
    HelpType,
    NotificationKind,
    RegistrationStatus,
    Role,
    SolutionKind,
    Stage,
    Status,
)
from cosell_tui.domain.errors import NotFound
from cosell_tui.domain.models import (
    ActivityEntry,
    Comment,
    Company,
    CustomerContact,
    Engagement,
    Invitation,
    Location,
    Notification,
    Organization,
    Party,
    Record,
    Referral,
    ReferralSolution,
    Registration,
    RegistrationForm,
    Solution,
    StageMark,
    TeamMember,
    User,
)
from cosell_tui.store.cards import party_cards
from cosell_tui.store.schema import (
    ActivityRow,
    CommentRow,
    CompanyRow,
    EngagementRow,
    FavoriteRow,
    InvitationRow,
    LocationRow,
    NotificationRow,
    OrganizationRow,
    ReferralRow,
    ReferralSolutionRow,
    RegistrationRow,
    SolutionRow,
    TeamMemberRow,
    UserRow,
)

CENT = Decimal("0.01")


def cents(value: Decimal) -> int:
    return int((value / CENT).to_integral_value())


def from_cents(value: int) -> Decimal:
    return (Decimal(value) * CENT).quantize(CENT)


# --- row → domain --------------------------------------------------------------------------


def to_location(row: LocationRow) -> Location:
    return Location(
        id=row.id, organization_id=row.organization_id, city=row.city, country=row.country
    )


def to_organization(
    row: OrganizationRow, locations: Iterable[Location] | None = None
) -> Organization:
    """`locations` given: a Core row's (`store.deal_reads`); else the ORM row's own."""
    return Organization(
        id=row.id,
        name=row.name,
        partner_id=row.partner_id,
        is_vendor=row.is_vendor,
        co_sell_ready=row.co_sell_ready,
        in_ecosystem=row.in_ecosystem,
        vetted_for_assessments=row.vetted_for_assessments,
        locations=tuple(
            (to_location(loc) for loc in row.locations) if locations is None else locations
        ),
    )


def to_activity(row: ActivityRow) -> ActivityEntry:
    return ActivityEntry(
        id=row.id,
        referral_id=row.referral_id,
        engagement_id=row.engagement_id,
        user_id=row.user_id,
        at=row.at,
        action=row.action,
        field=row.field,
        old=row.old,
        new=row.new,
    )


def to_user(row: UserRow) -> User:
    return User(
        id=row.id,
        organization_id=row.organization_id,
        first_name=row.first_name,
        last_name=row.last_name,
        email=row.email,
        phone=row.phone,
        role=Role(row.role),
        scope_location_id=row.scope_location_id,
        email_notifications=row.email_notifications,
    )


def to_team_member(row: Any) -> TeamMember:
    """A team member from a TeamMemberRow (or a Core row of that table)."""
    return TeamMember(
        first_name=row.first_name,
        last_name=row.last_name,
        phone=row.phone,
        email=row.email,
        organization_id=row.organization_id,
    )


def to_company(row: CompanyRow) -> Company:
    return Company(
        id=row.id,
        name=row.name,
        address_line=row.address_line,
        city=row.city,
        state=row.state,
        postal_code=row.postal_code,
        country=row.country,
        size=CompanySize(row.size) if row.size else None,
        duns=row.duns,
    )


def to_solution(row: SolutionRow) -> Solution:
    return Solution(
        id=row.id,
        name=row.name,
        organization_id=row.organization_id,
        kind=SolutionKind(row.kind),
        incentive_eligible=row.incentive_eligible,
    )


def to_referral(row: ReferralRow) -> Referral:
    invitation = row.invitation
    return referral_of(
        row,
        deal_type=row.engagement.deal_type,
        team=row.team,
        solutions=[(to_solution(s.solution), s.assessment_location_id) for s in row.solutions],
        stage_marks=row.stage_marks,
        invitation=None
        if invitation is None
        else to_invitation(invitation, help_requested=invitation.help_requested),
    )


def referral_of(
    row: Any,
    *,
    deal_type: str,
    team: Iterable[Any],
    solutions: Iterable[tuple[Solution, int | None]],
    stage_marks: Iterable[Any],
    invitation: Invitation | None,
) -> Referral:
    """A referral from its row and its parts, read as ORM objects or as Core rows (the deal
    screen's read, `store.deal_reads`): both have the columns as attributes."""
    return Referral(
        id=row.id,
        engagement_id=row.engagement_id,
        organization_id=row.organization_id,
        location_id=row.location_id,
        name=row.name,
        value=from_cents(row.value_cents),
        currency=row.currency,
        close_date=row.close_date,
        crm_id=row.crm_id,
        campaign_id=row.campaign_id,
        notes=row.notes,
        help_requested=HelpType(row.help_requested),
        direction=Direction(row.direction),
        status=Status(row.status),
        stage=Stage(row.stage),
        deal_type=DealType(deal_type),
        created_at=row.created_at,
        received_at=row.received_at,
        responded_at=row.responded_at,
        closed_at=row.closed_at,
        response_deadline=row.response_deadline,
        closing_reason=row.closing_reason,
        closing_notes=row.closing_notes,
        version=row.version,
        team=tuple(to_team_member(m) for m in team),
        solutions=tuple(
            ReferralSolution(solution=solution, assessment_location_id=location)
            for solution, location in solutions
        ),
        stage_marks=tuple(
            StageMark(stage=Stage(mark.stage), marked_at=mark.marked_at) for mark in stage_marks
        ),
        invitation=invitation,
    )


def to_invitation(row: Any, *, help_requested: str) -> Invitation:
    """An invitation from its row (ORM or Core; the help asked for is named by the caller:
    a Core row of the parties has the party's own `help_requested` too)."""
    return Invitation(
        from_organization_id=row.from_organization_id,
        from_referral_id=row.from_referral_id,
        from_user_id=row.from_user_id,
        help_requested=HelpType(help_requested),
        notes=row.notes,
        sent_at=row.sent_at,
    )


def to_engagement(row: EngagementRow, company: CompanyRow) -> Engagement:
    contact = None
    if row.contact_name and row.contact_phone and row.contact_email:
        contact = CustomerContact(
            name=row.contact_name, phone=row.contact_phone, email=row.contact_email
        )
    return Engagement(
        id=row.id,
        company=to_company(company),
        contact=contact,
        contact_consent=row.contact_consent,
        created_by_organization_id=row.created_by_organization_id,
        deal_type=DealType(row.deal_type),
        created_at=row.created_at,
    )


def to_registration(row: RegistrationRow) -> Registration:
    return Registration(
        id=row.id,
        referral_id=row.referral_id,
        status=RegistrationStatus(row.status),
        form=RegistrationForm.model_validate(json.loads(row.form_json)) if row.form_json else None,
        message=row.message,
        submitted_at=row.submitted_at,
        decided_at=row.decided_at,
        version=row.version,
    )


# --- lookups ---------------------------------------------------------------------------------

_REFERRAL_LOADS = (
    selectinload(ReferralRow.team),
    selectinload(ReferralRow.solutions).selectinload(ReferralSolutionRow.solution),
    selectinload(ReferralRow.stage_marks),
    selectinload(ReferralRow.invitation),
    selectinload(ReferralRow.engagement),
)


def referral_row(session: Session, referral_id: str, *, for_update: bool = False) -> ReferralRow:
    # populate_existing: a service that just changed the team or stages returns what is stored
    statement = (
        select(ReferralRow)
        .where(ReferralRow.id == referral_id)
        .options(*_REFERRAL_LOADS)
        .execution_options(populate_existing=True)
    )
    if for_update:
        statement = statement.with_for_update()
    row = session.scalars(statement).first()
    if row is None:
        raise NotFound("That deal does not exist (it may have been removed).")
    return row


def referral(session: Session, referral_id: str) -> Referral:
    return to_referral(referral_row(session, referral_id))


def user(session: Session, user_id: int) -> User:
    row = session.get(UserRow, user_id)
    if row is None:
        raise NotFound("That user does not exist.")
    return to_user(row)


def user_by_email(session: Session, email: str) -> User | None:
    row = session.scalars(select(UserRow).where(UserRow.email == email.strip().lower())).first()
    return None if row is None else to_user(row)


def users(session: Session) -> list[User]:
    return [to_user(row) for row in session.scalars(select(UserRow).order_by(UserRow.id))]


def users_of(session: Session, organization_id: int) -> list[User]:
    statement = select(UserRow).where(UserRow.organization_id == organization_id)
    return [to_user(row) for row in session.scalars(statement.order_by(UserRow.id))]


def first_admin(session: Session) -> User | None:
    """The default user (SPEC §10): the first partner admin, else any admin or seller."""
    admins = [u for u in users(session) if u.role in ADMIN_ROLES]
    return min(admins, key=lambda u: (ADMIN_ROLES.index(u.role), u.id)) if admins else None


def organization(session: Session, organization_id: int) -> Organization:
    row = session.get(OrganizationRow, organization_id)
    if row is None:
        raise NotFound("That organization does not exist.")
    return to_organization(row)


def organizations(session: Session) -> list[Organization]:
    statement = select(OrganizationRow).options(selectinload(OrganizationRow.locations))
    return [to_organization(row) for row in session.scalars(statement.order_by(OrganizationRow.id))]


def vendor(session: Session) -> Organization | None:
    row = session.scalars(select(OrganizationRow).where(OrganizationRow.is_vendor)).first()
    return None if row is None else to_organization(row)


def company(session: Session, company_id: int) -> Company:
    row = session.get(CompanyRow, company_id)
    if row is None:
        raise NotFound("That customer is not in the directory.")
    return to_company(row)


def solution(session: Session, solution_id: int) -> Solution:
    row = session.get(SolutionRow, solution_id)
    if row is None:
        raise NotFound(f"Solution {solution_id} is not in the catalog.")
    return to_solution(row)


def solutions(session: Session) -> list[Solution]:
    return [
        to_solution(row) for row in session.scalars(select(SolutionRow).order_by(SolutionRow.id))
    ]


def engagement(session: Session, engagement_id: str) -> Engagement:
    row = session.get(EngagementRow, engagement_id)
    if row is None:
        raise NotFound("That deal does not exist.")
    return to_engagement(row, session.get_one(CompanyRow, row.company_id))


def parties(session: Session, engagement_id: str) -> list[Party]:
    """Every party's card (R-INV-4), the vendor first: status and organization, nothing private."""
    cards = party_cards(session.get_bind().dialect.name, engagement_id)
    statement = (
        select(cards, OrganizationRow, LocationRow, InvitationRow.from_organization_id)
        .join(OrganizationRow, OrganizationRow.id == cards.c.organization_id)
        .join(LocationRow, LocationRow.id == cards.c.location_id)
        .outerjoin(InvitationRow, InvitationRow.referral_id == cards.c.id)
        .order_by(OrganizationRow.is_vendor.desc(), cards.c.created_at, cards.c.id)
    )
    return [
        Party(
            referral_id=row.id,
            organization_id=row.OrganizationRow.id,
            organization_name=row.OrganizationRow.name,
            is_vendor=row.OrganizationRow.is_vendor,
            location_label=f"{row.LocationRow.city}, {row.LocationRow.country}",
            direction=Direction(row.direction),
            status=Status(row.status),
            invited_by_organization_id=row.from_organization_id,
            help_requested=HelpType(row.help_requested),
        )
        for row in session.execute(statement)
    ]


def comments(session: Session, engagement_id: str) -> list[Comment]:
    statement = (
        select(CommentRow, UserRow, OrganizationRow)
        .join(UserRow, UserRow.id == CommentRow.author_user_id)
        .join(OrganizationRow, OrganizationRow.id == CommentRow.organization_id)
        .where(CommentRow.engagement_id == engagement_id)
        .order_by(CommentRow.id)
    )
    return [
        Comment(
            id=c.id,
            engagement_id=c.engagement_id,
            author_user_id=u.id,
            author_name=f"{u.first_name} {u.last_name}",
            organization_name=o.name,
            body=c.body,
            created_at=c.created_at,
        )
        for c, u, o in session.execute(statement)
    ]


def activity(session: Session, referral_id: str) -> list[ActivityEntry]:
    """A referral's history, with the engagement-wide entries (deal type, discussion)."""
    engagement_id = (
        select(ReferralRow.engagement_id).where(ReferralRow.id == referral_id).scalar_subquery()
    )
    statement = select(ActivityRow).where(
        or_(
            ActivityRow.referral_id == referral_id,
            and_(ActivityRow.referral_id.is_(None), ActivityRow.engagement_id == engagement_id),
        )
    )
    return [to_activity(row) for row in session.scalars(statement.order_by(ActivityRow.id))]


def registration(session: Session, referral_id: str) -> Registration | None:
    row = session.scalars(
        select(RegistrationRow).where(RegistrationRow.referral_id == referral_id)
    ).first()
    return None if row is None else to_registration(row)


def to_notification(row: NotificationRow) -> Notification:
    return Notification(
        id=row.id,
        user_id=row.user_id,
        referral_id=row.referral_id,
        kind=NotificationKind(row.kind),
        message=row.message,
        created_at=row.created_at,
        read_at=row.read_at,
    )


def notifications(
    session: Session, user_id: int, *, unread_only: bool = False, limit: int | None = None
) -> list[Notification]:
    """A user's notifications, newest first (the newest `limit` of them when given)."""
    statement = select(NotificationRow).where(NotificationRow.user_id == user_id)
    if unread_only:
        statement = statement.where(NotificationRow.read_at.is_(None))
    statement = statement.order_by(NotificationRow.id.desc())
    if limit is not None:
        statement = statement.limit(limit)
    return [to_notification(row) for row in session.scalars(statement)]


class NotificationLine(Record):
    """A notification as the list shows it: its deal's name now, and whether the user may
    still open that deal (a team or scope change can take it away, R-ACL-1)."""

    notification: Notification
    deal_name: str | None  # None when the user may no longer see the deal: not even its name
    visible: bool


def notification_lines(
    session: Session, viewer: User, limit: int
) -> tuple[list[NotificationLine], int]:
    """The newest `limit` of a user's notifications with their deals, and how many there are."""
    total = session.scalar(select(func.count()).where(NotificationRow.user_id == viewer.id))
    statement = (
        select(NotificationRow, ReferralRow.name, visible_to(viewer).label("visible"))
        .join(ReferralRow, ReferralRow.id == NotificationRow.referral_id)
        .where(NotificationRow.user_id == viewer.id)
        .order_by(NotificationRow.id.desc())
        .limit(limit)
    )
    lines = [
        NotificationLine(
            notification=to_notification(row), deal_name=name if seen else None, visible=bool(seen)
        )
        for row, name, seen in session.execute(statement)
    ]
    return lines, int(total or 0)


def unread_count(session: Session, user_id: int) -> int:
    statement = select(func.count()).where(
        NotificationRow.user_id == user_id, NotificationRow.read_at.is_(None)
    )
    return int(session.scalar(statement) or 0)


def is_favorite(session: Session, user_id: int, referral_id: str) -> bool:
    return session.get(FavoriteRow, (user_id, referral_id)) is not None


# --- lists (R-UI-1, R-ACL-1) ---------------------------------------------------------------


def folded(column: Any) -> Any:
    """Case-folded text for search: Unicode-aware (É matches é), see database.casefold."""
    return func.casefold(column)


def contains_pattern(search: str) -> str:
    """A LIKE pattern matching `search` anywhere, its own % and _ taken literally."""
    return "%" + starts_pattern(search)


def starts_pattern(search: str) -> str:
    """A LIKE pattern matching text that starts with `search`, its own % and _ taken literally."""
    term = search.strip().casefold()
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def visible_to(viewer: User) -> ColumnElement[bool]:
    """SQL for R-ACL-1: what a user may see of their organization's referrals."""
    same_org = ReferralRow.organization_id == viewer.organization_id
    if viewer.role is Role.SELLER:  # R-DEAL-3: the vendor never sees a private deal
        engagement = aliased(EngagementRow)  # lists join engagements too: don't correlate it
        return and_(
            same_org,
            exists().where(
                engagement.id == ReferralRow.engagement_id,
                engagement.deal_type != DealType.PRIVATE.value,
            ),
        )
    if viewer.is_admin:
        return same_org
    on_team = exists().where(
        TeamMemberRow.referral_id == ReferralRow.id,
        TeamMemberRow.email == viewer.email,
        TeamMemberRow.organization_id == viewer.organization_id,
    )
    in_scope = (
        ReferralRow.location_id == viewer.scope_location_id
        if viewer.scope_location_id is not None
        else ReferralRow.location_id.is_not(None)
    )
    return and_(same_org, in_scope, on_team)


def list_referrals(
    session: Session,
    viewer: User,
    *,
    direction: Direction | None = None,
    favorites: bool = False,
    show: str = "active",
    search: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Referral]:
    """A page of the referrals a user may see; filtering happens in indexed SQL."""
    statement = select(ReferralRow).where(visible_to(viewer)).options(*_REFERRAL_LOADS)
    if direction is not None:
        statement = statement.where(ReferralRow.direction == direction.value)
    if favorites:
        statement = statement.where(
            exists().where(
                FavoriteRow.referral_id == ReferralRow.id, FavoriteRow.user_id == viewer.id
            )
        )
    statuses: Sequence[Status] = {
        "active": sorted(ACTIVE_STATUSES),
        "closed": sorted(TERMINAL_STATUSES),
    }.get(show, list(Status))
    statement = statement.where(ReferralRow.status.in_([s.value for s in statuses]))
    if search:
        pattern = contains_pattern(search)
        customer = exists().where(
            EngagementRow.id == ReferralRow.engagement_id,
            CompanyRow.id == EngagementRow.company_id,
            folded(CompanyRow.name).like(pattern, escape="\\"),
        )
        statement = statement.where(
            or_(folded(ReferralRow.name).like(pattern, escape="\\"), customer)
        )
    statement = statement.order_by(ReferralRow.created_at.desc(), ReferralRow.id)
    return [to_referral(row) for row in session.scalars(statement.limit(limit).offset(offset))]


def count_visible(session: Session, viewer: User) -> int:
    return int(session.scalar(select(func.count()).where(visible_to(viewer))) or 0)
