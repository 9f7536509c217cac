"""Who is told what (SPEC §6)."""

from __future__ import annotations

from collections.abc import Iterable

from cosell_tui.domain.enums import Role
from cosell_tui.domain.models import TeamMember, User

_TRIAGE_ROLES = frozenset({Role.PARTNER_ADMIN, Role.REFERRAL_ADMIN, Role.SELLER})


def inbound_recipients(users: Iterable[User], organization_id: int, location_id: int) -> list[User]:
    """R-NOTE-1/R-NOTE-4: the receiving organization's admins (or sellers) in scope."""
    return [
        user
        for user in users
        if user.organization_id == organization_id
        and user.role in _TRIAGE_ROLES
        and user.in_scope(location_id)
    ]


def team_recipients(users: Iterable[User], team: Iterable[TeamMember]) -> list[User]:
    """R-NOTE-2/R-NOTE-3: the users behind a team's members (matched by email and organization)."""
    wanted = {(member.email, member.organization_id) for member in team}
    return [user for user in users if (user.email, user.organization_id) in wanted]


def registration_recipients(
    users: Iterable[User],
    team: Iterable[TeamMember],
    contact_email: str | None,
    organization_id: int,
) -> list[User]:
    """R-NOTE-3: the registration contact and the team."""
    users = list(users)
    chosen = {user.id: user for user in team_recipients(users, team)}
    for user in users:
        if (
            contact_email
            and user.email == contact_email
            and user.organization_id == organization_id
        ):
            chosen.setdefault(user.id, user)
    return list(chosen.values())
