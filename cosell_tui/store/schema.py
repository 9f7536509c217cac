"""The tables (SPEC §11), as SQLAlchemy 2 typed ORM classes. Migrations own the real DDL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out; stored naive (as UTC) for SQLite."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use aware UTC datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


STATUS_VALUES = "('received','accepted','won','lost','declined','expired')"


class OrganizationRow(Base):
    __tablename__ = "organizations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    partner_id: Mapped[str | None] = mapped_column(String(7), unique=True)
    is_vendor: Mapped[bool] = mapped_column(Boolean, default=False)
    co_sell_ready: Mapped[bool] = mapped_column(Boolean, default=False)
    in_ecosystem: Mapped[bool] = mapped_column(Boolean, default=False)
    vetted_for_assessments: Mapped[bool] = mapped_column(Boolean, default=False)
    locations: Mapped[list[LocationRow]] = relationship(order_by="LocationRow.id")
    __table_args__ = (
        Index("ix_organizations_name_lower", func.lower(name)),
        # exactly one vendor (R-ORG-1)
        Index(
            "uq_organizations_one_vendor",
            is_vendor,
            unique=True,
            sqlite_where=is_vendor.is_(True),
            postgresql_where=is_vendor.is_(True),
        ),
    )


class LocationRow(Base):
    __tablename__ = "locations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    city: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(200))
    last_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    phone: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(20))
    scope_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    email_notifications: Mapped[bool] = mapped_column(Boolean, default=True)
    __table_args__ = (
        CheckConstraint(
            "role IN ('partner_admin','referral_admin','referral_user','seller')", name="role"
        ),
    )


class CompanyRow(Base):
    __tablename__ = "companies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address_line: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(200))
    state: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    size: Mapped[str | None] = mapped_column(String(20))
    duns: Mapped[str | None] = mapped_column(String(9), unique=True)
    __table_args__ = (
        Index("ix_companies_country_city", country, city),
        Index("ix_companies_name_lower", func.lower(name)),
    )


class SolutionRow(Base):
    __tablename__ = "solutions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    incentive_eligible: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (
        CheckConstraint("kind IN ('partner','vendor','assessment')", name="kind"),
        CheckConstraint(
            "NOT incentive_eligible OR kind = 'partner'", name="incentive_partner_only"
        ),
    )


class EngagementRow(Base):
    __tablename__ = "engagements"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    contact_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    is_assessment: Mapped[bool] = mapped_column(Boolean, default=False)
    # derived from the parties (R-DEAL-3), kept current by the services for sorting and lists
    deal_type: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # with the id: a customer's deals are found from the index alone (the palette, issue 6)
    __table_args__ = (Index("ix_engagements_company_id_id", company_id, id),)


class ReferralRow(Base):
    __tablename__ = "referrals"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    engagement_id: Mapped[str] = mapped_column(ForeignKey("engagements.id"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    name: Mapped[str] = mapped_column(String(200))
    value_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    close_date: Mapped[date] = mapped_column(Date)
    crm_id: Mapped[str | None] = mapped_column(String(200))
    campaign_id: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    help_requested: Mapped[str] = mapped_column(String(40), default="none")
    direction: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(10))
    stage: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closing_reason: Mapped[str | None] = mapped_column(String(40))
    closing_notes: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)

    engagement: Mapped[EngagementRow] = relationship()
    team: Mapped[list[TeamMemberRow]] = relationship(order_by="TeamMemberRow.id")
    solutions: Mapped[list[ReferralSolutionRow]] = relationship(order_by="ReferralSolutionRow.id")
    stage_marks: Mapped[list[StageMarkRow]] = relationship(order_by="StageMarkRow.id")
    invitation: Mapped[InvitationRow | None] = relationship(
        foreign_keys="InvitationRow.referral_id"
    )

    # R-STORE-2: services bump the version themselves (also when only the team or solutions
    # change); the UPDATE still carries "WHERE version = <old>", so a stale save fails.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}  # noqa: RUF012
    __table_args__ = (
        CheckConstraint(f"status IN {STATUS_VALUES}", name="status"),
        CheckConstraint("direction IN ('inbound','outbound')", name="direction"),
        CheckConstraint("value_cents > 0", name="value_positive"),
        Index("ix_referrals_org_direction_status", organization_id, direction, status),
        Index("ix_referrals_org_status_close", organization_id, status, close_date),
        Index("ix_referrals_name_lower", func.lower(name)),
        Index("ix_referrals_status_deadline", status, response_deadline),
        Index("uq_referrals_engagement_org", engagement_id, organization_id, unique=True),
        # an engagement's deals, an organization's among them, from the index alone
        Index("ix_referrals_engagement_org_id", engagement_id, organization_id, id),
    )


class TeamMemberRow(Base):
    __tablename__ = "team_members"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[str] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    first_name: Mapped[str] = mapped_column(String(200))
    last_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40))
    email: Mapped[str] = mapped_column(String(320))
    __table_args__ = (
        Index("ix_team_members_referral", referral_id),
        Index("ix_team_members_email_org", email, organization_id),
    )


class ReferralSolutionRow(Base):
    __tablename__ = "referral_solutions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[str] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    solution_id: Mapped[int] = mapped_column(ForeignKey("solutions.id"))
    assessment_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    solution: Mapped[SolutionRow] = relationship()
    __table_args__ = (UniqueConstraint(referral_id, solution_id),)


class StageMarkRow(Base):
    __tablename__ = "stage_marks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[str] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(12))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    marked_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    __table_args__ = (UniqueConstraint(referral_id, stage),)


class InvitationRow(Base):
    """The invitation that created an inbound referral, stored with that referral (§4)."""

    __tablename__ = "invitations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[str] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), unique=True
    )
    from_organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    # no foreign key: the inviter's referral may be closed or gone, the invitation stays as sent
    from_referral_id: Mapped[str | None] = mapped_column(String(36), index=True)
    from_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    help_requested: Mapped[str] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CommentRow(Base):
    """The discussion shared by every party of an engagement (R-DEAL-9)."""

    __tablename__ = "comments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    engagement_id: Mapped[str] = mapped_column(ForeignKey("engagements.id"), index=True)
    author_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FavoriteRow(Base):
    __tablename__ = "favorites"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    referral_id: Mapped[str] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ActivityRow(Base):
    """Append-only (R-AUD-1); no foreign key so the record outlives what it describes."""

    __tablename__ = "activity"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[str | None] = mapped_column(String(36))
    engagement_id: Mapped[str | None] = mapped_column(String(36))
    user_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(40))
    field: Mapped[str | None] = mapped_column(String(60))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        Index("ix_activity_referral", referral_id, id),
        Index("ix_activity_engagement", engagement_id, id),
    )


class NotificationRow(Base):
    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    referral_id: Mapped[str] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_notifications_user_read", user_id, read_at),)


class RegistrationRow(Base):
    __tablename__ = "registrations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[str] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[str] = mapped_column(String(20))
    form_json: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}  # noqa: RUF012
    __table_args__ = (
        CheckConstraint(
            "status IN ('incomplete','in_review','in_validation','action_required',"
            "'approved','rejected')",
            name="status",
        ),
    )


class OutboxRow(Base):
    """E-mail waiting for delivery (R-NOTE-*); rows are made only for users who want mail."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"))
    to_email: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_outbox_unsent", sent_at, id),)


class DraftRow(Base):
    """A user's half-filled creation wizard (R-Q-2): the `Draft` as JSON, one per user.

    Not a referral's data, so no R-STORE-1 guard; it goes with its user.
    """

    __tablename__ = "drafts"
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[str] = mapped_column(Text)
    step: Mapped[int] = mapped_column(Integer)
    customer: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
