"""The first schema: organizations, directory, catalog, deals, guards (R-STORE-1)

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cosell_tui.store import isolation
from cosell_tui.store.guards import drop_guard_triggers, guard_triggers

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Tables of a referral's own data at this revision (SPEC §11), guarded by R-STORE-1 triggers.
OWN_DATA_TABLES = ("team_members", "referral_solutions", "stage_marks", "invitations")

# Search folds case like Python's str.casefold (R-UI-1 filter): SQLite gets the function from
# the driver; PostgreSQL's lower() folds Unicode in a UTF-8 database, and an immutable function
# can back an index. lower() keeps the two letters whose case-folding is not their lower case
# in German and Greek names (ß → ss, final ς → σ): they are folded here as Python does.
CASEFOLD_FUNCTION = """CREATE OR REPLACE FUNCTION casefold(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN replace(replace(lower(value), 'ß', 'ss'), 'ς', 'σ')"""

# R-ACL-4 on PostgreSQL: every member's login belongs to cosell_user, which may use the tables;
# cosell_admin's members administer the app (they may act as anyone). Roles belong to the
# server, not the database: they are made once, by a migrator allowed to create roles, and the
# privileges cover the tables later migrations create too.
POSTGRESQL_ROLES = """DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cosell_user') THEN
        IF NOT (SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user) THEN
            RAISE NOTICE 'cosell-tui: no role cosell_user, and this login may not create it';
            RETURN;
        END IF;
        CREATE ROLE cosell_user NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cosell_admin') THEN
        CREATE ROLE cosell_admin NOLOGIN IN ROLE cosell_user;
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO cosell_user', current_database());
    GRANT USAGE ON SCHEMA public TO cosell_user;
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO cosell_user;
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO cosell_user;
    -- the schema's version is the owner's to move (migrations run as the owner)
    REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM cosell_user;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public
        GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO cosell_user;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO cosell_user;
END $$"""

# Case-insensitive search (R-UI-1 filter) without a full scan.
EXPRESSION_INDEXES = (
    "CREATE INDEX ix_referrals_name_lower ON referrals (lower(name))",
    "CREATE INDEX ix_companies_name_lower ON companies (lower(name))",
    "CREATE INDEX ix_organizations_name_lower ON organizations (lower(name))",
)


def upgrade() -> None:
    op.create_table(
        "activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.String(length=36), nullable=True),
        sa.Column("engagement_id", sa.String(length=36), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=True),
        sa.Column("old", sa.Text(), nullable=True),
        sa.Column("new", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity")),
    )
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.create_index("ix_activity_engagement", ["engagement_id", "id"], unique=False)
        batch_op.create_index("ix_activity_referral", ["referral_id", "id"], unique=False)

    op.create_table(
        "companies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address_line", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=200), nullable=True),
        sa.Column("postal_code", sa.String(length=200), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("size", sa.String(length=20), nullable=True),
        sa.Column("duns", sa.String(length=9), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_companies")),
        sa.UniqueConstraint("duns", name=op.f("uq_companies_duns")),
    )
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.create_index("ix_companies_country_city", ["country", "city"], unique=False)

    op.create_table(
        "organizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("partner_id", sa.String(length=7), nullable=True),
        sa.Column("is_vendor", sa.Boolean(), nullable=False),
        sa.Column("co_sell_ready", sa.Boolean(), nullable=False),
        sa.Column("in_ecosystem", sa.Boolean(), nullable=False),
        sa.Column("vetted_for_assessments", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("partner_id", name=op.f("uq_organizations_partner_id")),
    )
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.create_index(
            "uq_organizations_one_vendor",
            ["is_vendor"],
            unique=True,
            sqlite_where=sa.text("is_vendor IS 1"),
            postgresql_where=sa.text("is_vendor"),
        )

    op.create_table(
        "engagements",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("contact_phone", sa.String(length=40), nullable=True),
        sa.Column("contact_email", sa.String(length=320), nullable=True),
        sa.Column("contact_consent", sa.Boolean(), nullable=False),
        sa.Column("created_by_organization_id", sa.Integer(), nullable=False),
        sa.Column("is_assessment", sa.Boolean(), nullable=False),
        sa.Column("deal_type", sa.String(length=24), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_engagements_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_organization_id"],
            ["organizations.id"],
            name=op.f("fk_engagements_created_by_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagements")),
    )
    with op.batch_alter_table("engagements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_engagements_company_id"), ["company_id"], unique=False)

    op.create_table(
        "locations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("city", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_locations_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_locations")),
    )
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_locations_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "solutions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("incentive_eligible", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "NOT incentive_eligible OR kind = 'partner'",
            name=op.f("ck_solutions_incentive_partner_only"),
        ),
        sa.CheckConstraint(
            "kind IN ('partner','vendor','assessment')", name=op.f("ck_solutions_kind")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_solutions_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_solutions")),
    )
    with op.batch_alter_table("solutions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_solutions_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "referrals",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("engagement_id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("value_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("close_date", sa.Date(), nullable=False),
        sa.Column("crm_id", sa.String(length=200), nullable=True),
        sa.Column("campaign_id", sa.String(length=200), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("help_requested", sa.String(length=40), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("stage", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=True),
        sa.Column("responded_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("response_deadline", sa.DateTime(), nullable=True),
        sa.Column("reminder_sent_at", sa.DateTime(), nullable=True),
        sa.Column("closing_reason", sa.String(length=40), nullable=True),
        sa.Column("closing_notes", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "direction IN ('inbound','outbound')", name=op.f("ck_referrals_direction")
        ),
        sa.CheckConstraint(
            "status IN ('received','accepted','won','lost','declined','expired')",
            name=op.f("ck_referrals_status"),
        ),
        sa.CheckConstraint("value_cents > 0", name=op.f("ck_referrals_value_positive")),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagements.id"],
            name=op.f("fk_referrals_engagement_id_engagements"),
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_referrals_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_referrals_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referrals_engagement_id"), ["engagement_id"], unique=False
        )
        batch_op.create_index(
            "ix_referrals_org_direction_status",
            ["organization_id", "direction", "status"],
            unique=False,
        )
        batch_op.create_index(
            "ix_referrals_org_status_close",
            ["organization_id", "status", "close_date"],
            unique=False,
        )
        batch_op.create_index(
            "ix_referrals_status_deadline", ["status", "response_deadline"], unique=False
        )
        batch_op.create_index(
            "uq_referrals_engagement_org", ["engagement_id", "organization_id"], unique=True
        )

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("first_name", sa.String(length=200), nullable=False),
        sa.Column("last_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("scope_location_id", sa.Integer(), nullable=True),
        sa.Column("email_notifications", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "role IN ('partner_admin','referral_admin','referral_user','seller')",
            name=op.f("ck_users_role"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_users_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["scope_location_id"],
            ["locations.id"],
            name=op.f("fk_users_scope_location_id_locations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_users_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.String(length=36), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_user_id"], ["users.id"], name=op.f("fk_comments_author_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagements.id"],
            name=op.f("fk_comments_engagement_id_engagements"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_comments_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_comments_engagement_id"), ["engagement_id"], unique=False
        )

    op.create_table(
        "favorites",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_favorites_referral_id_referrals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_favorites_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", "referral_id", name=op.f("pk_favorites")),
    )
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.String(length=36), nullable=False),
        sa.Column("from_organization_id", sa.Integer(), nullable=False),
        sa.Column("from_referral_id", sa.String(length=36), nullable=True),
        sa.Column("from_user_id", sa.Integer(), nullable=True),
        sa.Column("help_requested", sa.String(length=40), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["from_organization_id"],
            ["organizations.id"],
            name=op.f("fk_invitations_from_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["from_user_id"], ["users.id"], name=op.f("fk_invitations_from_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_invitations_referral_id_referrals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("referral_id", name=op.f("uq_invitations_referral_id")),
    )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invitations_from_referral_id"), ["from_referral_id"], unique=False
        )

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_notifications_referral_id_referrals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_user_read", ["user_id", "read_at"], unique=False)

    op.create_table(
        "referral_solutions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.String(length=36), nullable=False),
        sa.Column("solution_id", sa.Integer(), nullable=False),
        sa.Column("assessment_location_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assessment_location_id"],
            ["locations.id"],
            name=op.f("fk_referral_solutions_assessment_location_id_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_referral_solutions_referral_id_referrals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["solution_id"],
            ["solutions.id"],
            name=op.f("fk_referral_solutions_solution_id_solutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_solutions")),
        sa.UniqueConstraint(
            "referral_id", "solution_id", name=op.f("uq_referral_solutions_referral_id_solution_id")
        ),
    )
    op.create_table(
        "registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("form_json", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('incomplete','in_review','in_validation','action_required','approved','rejected')",
            name=op.f("ck_registrations_status"),
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_registrations_referral_id_referrals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrations")),
        sa.UniqueConstraint("referral_id", name=op.f("uq_registrations_referral_id")),
    )
    op.create_table(
        "stage_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.String(length=36), nullable=False),
        sa.Column("stage", sa.String(length=12), nullable=False),
        sa.Column("marked_at", sa.DateTime(), nullable=False),
        sa.Column("marked_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["marked_by_user_id"], ["users.id"], name=op.f("fk_stage_marks_marked_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_stage_marks_referral_id_referrals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_marks")),
        sa.UniqueConstraint("referral_id", "stage", name=op.f("uq_stage_marks_referral_id_stage")),
    )
    op.create_table(
        "team_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("first_name", sa.String(length=200), nullable=False),
        sa.Column("last_name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_team_members_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_team_members_referral_id_referrals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_members")),
    )
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.create_index(
            "ix_team_members_email_org", ["email", "organization_id"], unique=False
        )
        batch_op.create_index("ix_team_members_referral", ["referral_id"], unique=False)

    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":  # SQLite gets its casefold() from the driver (database.py)
        op.execute(CASEFOLD_FUNCTION)
    for statement in EXPRESSION_INDEXES:
        op.execute(statement)
    for statement in guard_triggers(dialect, OWN_DATA_TABLES):
        op.execute(statement)
    if dialect == "postgresql":
        op.execute(POSTGRESQL_ROLES)
        for statement in (*isolation.FUNCTIONS, *isolation.POLICIES):
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for statement in isolation.DROP:
            op.execute(statement)
    for statement in drop_guard_triggers(dialect, OWN_DATA_TABLES):
        op.execute(statement)
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.drop_index("ix_team_members_referral")
        batch_op.drop_index("ix_team_members_email_org")

    op.drop_table("team_members")
    op.drop_table("stage_marks")
    op.drop_table("registrations")
    op.drop_table("referral_solutions")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_user_read")

    op.drop_table("notifications")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitations_from_referral_id"))

    op.drop_table("invitations")
    op.drop_table("favorites")
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comments_engagement_id"))

    op.drop_table("comments")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_organization_id"))

    op.drop_table("users")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("uq_referrals_engagement_org")
        batch_op.drop_index("ix_referrals_status_deadline")
        batch_op.drop_index("ix_referrals_org_status_close")
        batch_op.drop_index("ix_referrals_org_direction_status")
        batch_op.drop_index(batch_op.f("ix_referrals_engagement_id"))

    op.drop_table("referrals")
    with op.batch_alter_table("solutions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_solutions_organization_id"))

    op.drop_table("solutions")
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_locations_organization_id"))

    op.drop_table("locations")
    with op.batch_alter_table("engagements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_engagements_company_id"))

    op.drop_table("engagements")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_index("uq_organizations_one_vendor")

    op.drop_table("organizations")
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.drop_index("ix_companies_country_city")

    op.drop_table("companies")
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_referral")
        batch_op.drop_index("ix_activity_engagement")

    op.drop_table("activity")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS casefold(text)")
