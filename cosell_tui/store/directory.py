"""Reads for the creation wizard: the customer directory, recent contacts, partners, drafts."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from pydantic import ValidationError
from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from cosell_tui.domain.enums import ACTIVE_STATUSES
from cosell_tui.domain.models import Company, Organization, Referral, TeamMemberForm, User
from cosell_tui.domain.wizard import Draft
from cosell_tui.store import queries
from cosell_tui.store.queries import contains_pattern, folded, to_company, to_organization
from cosell_tui.store.schema import (
    ActivityRow,
    CompanyRow,
    DraftRow,
    EngagementRow,
    OrganizationRow,
    ReferralRow,
    ReferralSolutionRow,
    TeamMemberRow,
)


def _country(country: str) -> str:
    return country.strip().upper()


def cities(session: Session, country: str) -> list[str]:
    """The directory's cities in `country`, sorted case-insensitively, each spelled once."""
    statement = (
        select(CompanyRow.city, func.count())
        .where(CompanyRow.country == _country(country))
        .group_by(CompanyRow.city)
    )
    spellings: dict[str, list[tuple[int, str]]] = {}
    for city, uses in session.execute(statement):
        shown = city.strip()
        if shown:
            spellings.setdefault(shown.casefold(), []).append((uses, shown))
    # the spelling most companies use wins; "Seattle" before "SEATTLE" or "seattle" on a tie
    chosen = [
        min(found, key=lambda u: (-u[0], u[1].isupper(), u[1].islower(), u[1]))[1]
        for found in spellings.values()
    ]
    return sorted(chosen, key=_sort_key)


def _sort_key(text: str) -> tuple[str, str]:
    """Alphabetical as a reader expects: "Évry" between "Dublin" and "Paris", not after "Zug"."""
    folded_text = text.casefold()
    plain = "".join(
        ch for ch in unicodedata.normalize("NFKD", folded_text) if not unicodedata.combining(ch)
    )
    return plain, folded_text


def find_companies(
    session: Session, country: str, city: str, text: str, limit: int = 20
) -> list[Company]:
    """Companies in `country` (and `city` when not empty, case-insensitive) whose name
    contains `text` case-insensitively (casefold); names starting with it first, then by
    name, city and D-U-N-S. Empty `text` lists the place's companies."""
    name = folded(CompanyRow.name)
    statement = select(CompanyRow).where(CompanyRow.country == _country(country))
    if city.strip():
        statement = statement.where(folded(CompanyRow.city) == city.strip().casefold())
    order = []
    if text.strip():
        pattern = contains_pattern(text)
        statement = statement.where(name.like(pattern, escape="\\"))
        # the same pattern without its leading % matches names that start with the text
        order.append(case((name.like(pattern[1:], escape="\\"), 0), else_=1))
    statement = statement.order_by(
        *order, name, folded(CompanyRow.city), CompanyRow.duns, CompanyRow.id
    ).limit(max(limit, 0))
    return [to_company(row) for row in session.scalars(statement)]


def company_by_duns(session: Session, duns: str) -> Company | None:
    wanted = duns.strip()
    if not wanted:
        return None
    row = session.scalars(select(CompanyRow).where(CompanyRow.duns == wanted)).first()
    return None if row is None else to_company(row)


def recent_contacts(session: Session, user: User, limit: int = 20) -> list[TeamMemberForm]:
    """Own-organization team members of deals the user created or is on the team of,
    newest deal first, each email once, the user themself excluded."""
    created = exists().where(
        ActivityRow.referral_id == ReferralRow.id,
        ActivityRow.action == "created",
        ActivityRow.user_id == user.id,
    )
    mine = TeamMemberRow.__table__.alias("mine")
    on_team = exists().where(
        mine.c.referral_id == ReferralRow.id,
        mine.c.organization_id == user.organization_id,
        mine.c.email == user.email,
    )
    statement = (
        select(TeamMemberRow)
        .join(ReferralRow, ReferralRow.id == TeamMemberRow.referral_id)
        .where(
            ReferralRow.organization_id == user.organization_id,
            TeamMemberRow.organization_id == user.organization_id,
            or_(created, on_team),
        )
        .order_by(ReferralRow.created_at.desc(), ReferralRow.id, TeamMemberRow.id)
    )
    seen = {user.email.strip().casefold()}
    found: list[TeamMemberForm] = []
    for row in session.scalars(statement):
        key = row.email.strip().casefold()
        if key in seen:
            continue
        seen.add(key)
        try:
            found.append(
                TeamMemberForm(
                    first_name=row.first_name,
                    last_name=row.last_name,
                    phone=row.phone,
                    email=row.email,
                )
            )
        except ValidationError:  # stored before today's rules: not offered, never a crash
            continue
        if len(found) >= limit:
            break
    return found


def ecosystem_partners(session: Session, exclude_organization_id: int) -> list[Organization]:
    """Partner organizations in the ecosystem other than the given one, by name."""
    statement = (
        select(OrganizationRow)
        .where(
            OrganizationRow.in_ecosystem.is_(True),
            OrganizationRow.is_vendor.is_(False),
            OrganizationRow.id != exclude_organization_id,
        )
        .options(selectinload(OrganizationRow.locations))
        .order_by(folded(OrganizationRow.name), OrganizationRow.id)
    )
    return [to_organization(row) for row in session.scalars(statement)]


def open_duplicates(
    session: Session, organization_id: int, company_id: int, solution_ids: Sequence[int]
) -> list[Referral]:
    """The organization's received or accepted referrals whose engagement is for this
    company and which hold one of these solutions."""
    if not solution_ids:
        return []
    statement = (
        select(ReferralRow.id)
        .join(EngagementRow, EngagementRow.id == ReferralRow.engagement_id)
        .where(
            ReferralRow.organization_id == organization_id,
            ReferralRow.status.in_(sorted(s.value for s in ACTIVE_STATUSES)),
            EngagementRow.company_id == company_id,
            exists().where(
                ReferralSolutionRow.referral_id == ReferralRow.id,
                ReferralSolutionRow.solution_id.in_(list(solution_ids)),
            ),
        )
        .order_by(ReferralRow.created_at.desc(), ReferralRow.id)
    )
    return [queries.referral(session, rid) for rid in session.scalars(statement).all()]


def draft(session: Session, user_id: int) -> Draft | None:
    """The user's saved wizard draft; None when there is none or it cannot be read."""
    row = session.get(DraftRow, user_id)
    if row is None:
        return None
    try:
        return Draft.model_validate_json(row.data)
    except ValidationError:  # written by a newer version, or damaged: start afresh
        return None
