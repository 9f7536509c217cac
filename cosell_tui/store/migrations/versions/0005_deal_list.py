"""The list index: what the main screen's lists show, sort and filter on, one row per referral
in `deal_list`, with counts and totals in `deal_list_totals`, kept current by triggers; a
customer's deals found from indexes alone (R-UI-1, R-Q-4, issue 6)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

from cosell_tui.store import lists

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# (old index, new index, table, new columns): each new one starts with the old one's column
# and adds what the palette reads, so it goes from a customer to its deals (an organization's)
# without reading the tables.
COVERING = (
    (
        "ix_engagements_company_id",
        "ix_engagements_company_id_id",
        "engagements",
        ["company_id", "id"],
    ),
    (
        "ix_referrals_engagement_id",
        "ix_referrals_engagement_org_id",
        "referrals",
        ["engagement_id", "organization_id", "id"],
    ),
)


def upgrade() -> None:
    for old, new, table, columns in COVERING:
        op.create_index(new, table, columns)
        op.drop_index(old, table_name=table)
    # SQLite only: PostgreSQL (a later issue) lists the referrals with joins instead.
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in lists.sqlite_list_ddl():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in lists.sqlite_list_drop():
            op.execute(statement)
    for old, new, table, columns in COVERING:
        op.create_index(old, table, columns[:1])
        op.drop_index(new, table_name=table)
