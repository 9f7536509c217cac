"""Who sees and does what (SPEC §7); the services enforce these for every caller (R-ACL-3)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cosell_tui.domain.enums import DealType, Role
from cosell_tui.domain.errors import NotAllowed

if TYPE_CHECKING:
    from cosell_tui.domain.models import Organization, Referral, User

CREATOR_ROLES = frozenset({Role.PARTNER_ADMIN, Role.REFERRAL_ADMIN, Role.SELLER})
CANNOT_CREATE = "Referral users cannot create deals; ask a referral or partner admin."


def can_view(user: User, referral: Referral) -> bool:
    """R-ACL-1: admins and sellers see their organization's referrals; referral users, their own."""
    if referral.organization_id != user.organization_id:
        return False
    if user.role is Role.SELLER and referral.deal_type is DealType.PRIVATE:
        return False  # R-DEAL-3: the vendor never sees a private deal, not even its own side
    if user.is_admin:
        return True
    return user.in_scope(referral.location_id) and referral.on_team(user)


def can_act(user: User, referral: Referral) -> bool:
    """R-ACL-2: an admin of the owning organization, or a user on the referral's team."""
    return can_view(user, referral) and (user.is_admin or referral.on_team(user))


def require_act(user: User, referral: Referral, doing: str) -> None:
    if not can_act(user, referral):
        raise NotAllowed(
            f"Only an admin of the deal's organization or a member of its team can {doing}."
        )


def check_create(user: User, organization: Organization, assessment: bool) -> None:
    """R-ACL-2: who may create deals, and SA deals only for vetted organizations."""
    if user.role not in CREATOR_ROLES:
        raise NotAllowed(CANNOT_CREATE)
    if assessment and not organization.vetted_for_assessments:
        raise NotAllowed("Only organizations vetted for assessments can create assessment deals.")


def can_review_registrations(user: User, organization: Organization) -> bool:
    """R-REG-3: the vendor's sellers review registrations."""
    return organization.is_vendor and user.role is Role.SELLER
