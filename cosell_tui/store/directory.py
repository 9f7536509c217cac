"""Reads for the creation wizard: the customer directory, recent contacts, partners, drafts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from cosell_tui.domain.models import Company, Organization, Referral, TeamMemberForm, User
from cosell_tui.domain.wizard import Draft


def cities(session: Session, country: str) -> list[str]:
    """The directory's cities in `country`, sorted case-insensitively, each spelled once."""
    raise NotImplementedError


def find_companies(
    session: Session, country: str, city: str, text: str, limit: int = 20
) -> list[Company]:
    """Companies in `country` (and `city` when not empty, case-insensitive) whose name
    contains `text` case-insensitively (casefold); names starting with it first, then by
    name, city and D-U-N-S. Empty `text` lists the place's companies."""
    raise NotImplementedError


def company_by_duns(session: Session, duns: str) -> Company | None:
    raise NotImplementedError


def recent_contacts(session: Session, user: User, limit: int = 20) -> list[TeamMemberForm]:
    """Own-organization team members of deals the user created or is on the team of,
    newest deal first, each email once, the user themself excluded."""
    raise NotImplementedError


def ecosystem_partners(session: Session, exclude_organization_id: int) -> list[Organization]:
    """Partner organizations in the ecosystem other than the given one, by name."""
    raise NotImplementedError


def open_duplicates(
    session: Session, organization_id: int, company_id: int, solution_ids: Sequence[int]
) -> list[Referral]:
    """The organization's received or accepted referrals whose engagement is for this
    company and which hold one of these solutions."""
    raise NotImplementedError


def draft(session: Session, user_id: int) -> Draft | None:
    """The user's saved wizard draft; None when there is none or it cannot be read."""
    raise NotImplementedError
