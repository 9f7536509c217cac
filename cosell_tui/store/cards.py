"""The party cards of an engagement (R-INV-4, R-ACL-1) as one selectable, for either database.

On PostgreSQL a member's login cannot read another organization's `referrals` rows (row-level
security, R-ACL-4, store/isolation.py); the cards come from `cosell_party_cards`, a function
that returns exactly a card's columns for an engagement the login's organization takes part
in. SQLite has no logins, and the same columns come from the table.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    FromClause,
    Integer,
    String,
    cast,
    column,
    exists,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import array

from cosell_tui.store.schema import ReferralRow, ReferralSolutionRow, SolutionRow, UTCDateTime

CARD_COLUMNS = (
    ("id", String()),
    ("engagement_id", String()),
    ("organization_id", Integer()),
    ("location_id", Integer()),
    ("direction", String()),
    ("status", String()),
    ("help_requested", String()),
    ("created_at", UTCDateTime()),
    ("incentive_eligible", Boolean()),
)


def party_cards(dialect: str, engagement_id: Any) -> FromClause:
    """Each party's card of the engagement `engagement_id` (a value or a bind parameter)."""
    return _cards(dialect, engagement_id, many=False)


def party_cards_of(dialect: str, engagement_ids: list[str]) -> FromClause:
    """Each party's card of each of the engagements."""
    return _cards(dialect, engagement_ids, many=True)


def _cards(dialect: str, engagements: Any, *, many: bool) -> FromClause:
    if dialect == "postgresql":
        wanted = (
            cast(engagements, ARRAY(String())) if many else array([engagements], type_=String())
        )
        return (
            func.cosell_party_cards(wanted)
            .table_valued(*(column(name, kind) for name, kind in CARD_COLUMNS))
            .alias("cards")
        )
    referral = ReferralRow.__table__
    eligible = exists().where(
        ReferralSolutionRow.referral_id == referral.c.id,
        SolutionRow.id == ReferralSolutionRow.solution_id,
        SolutionRow.incentive_eligible.is_(True),
    )
    return (
        select(
            referral.c.id,
            referral.c.engagement_id,
            referral.c.organization_id,
            referral.c.location_id,
            referral.c.direction,
            referral.c.status,
            referral.c.help_requested,
            referral.c.created_at,
            eligible.label("incentive_eligible"),
        )
        .where(
            referral.c.engagement_id.in_(engagements)
            if many
            else referral.c.engagement_id == engagements
        )
        .subquery("cards")
    )
