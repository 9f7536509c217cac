"""Who is a party of an engagement, the deal type that follows (R-DEAL-3), and invitations (§4)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cosell_tui.domain.enums import DealType, Direction, HelpType, Status
from cosell_tui.domain.errors import InvalidState, NotAllowed
from cosell_tui.domain.models import CustomerContact, Organization


@dataclass(frozen=True)
class PartyState:
    organization_id: int
    is_vendor: bool
    status: Status


def counts(status: Status) -> bool:
    """Parties that declined or let their invitation expire no longer count (R-DEAL-3)."""
    return status not in (Status.DECLINED, Status.EXPIRED)


def derive_deal_type(is_assessment: bool, parties: Iterable[PartyState]) -> DealType:
    """R-DEAL-3: SA by its solution; else co-sell with the vendor, P2P with partners, private."""
    if is_assessment:
        return DealType.SOLUTION_ASSESSMENT
    counting = [party for party in parties if counts(party.status)]
    if any(party.is_vendor for party in counting):
        return DealType.CO_SELL
    if len(counting) > 1:
        return DealType.PARTNER_TO_PARTNER
    return DealType.PRIVATE


@dataclass(frozen=True)
class InviteOptions:
    """What the inviting referral may do now, and why not where it may not (R-INV-1)."""

    vendor: bool
    vendor_reason: str | None
    partners: bool
    partners_reason: str | None


def invite_options(
    *,
    deal_type: DealType,
    status: Status,
    direction: Direction,
    organization: Organization,
    parties: Iterable[PartyState],
) -> InviteOptions:
    parties = list(parties)
    if deal_type is DealType.SOLUTION_ASSESSMENT:
        no = "Solution-assessment deals take no invitations."
        return InviteOptions(False, no, False, no)
    if status is not Status.ACCEPTED:
        no = (
            "Accept this deal before inviting anyone."
            if status is Status.RECEIVED
            else f"This deal is {status.value}, a final state: no one can be invited."
        )
        return InviteOptions(False, no, False, no)

    vendor_reason: str | None = None
    vendor_parties = [p for p in parties if p.is_vendor]
    if organization.is_vendor:
        vendor_reason = "You are the vendor."
    elif any(counts(p.status) for p in vendor_parties):
        vendor_reason = "The vendor is already a party of this deal."
    elif vendor_parties:
        vendor_reason = (
            "The vendor declined or let its invitation expire; it cannot be invited again "
            "to this deal (recreate the deal instead)."
        )
    elif not organization.co_sell_ready:
        vendor_reason = "Only co-sell-ready organizations can invite the vendor."

    partners_reason: str | None = None
    if deal_type is DealType.CO_SELL and direction is Direction.INBOUND:
        partners_reason = (
            "On a co-sell deal only the organization that created it can invite partners."
        )
    return InviteOptions(
        vendor_reason is None, vendor_reason, partners_reason is None, partners_reason
    )


def check_vendor_invite(
    options: InviteOptions,
    help_requested: HelpType,
    contact: CustomerContact | None,
    consent: bool,
) -> None:
    """R-INV-2: a co-sell-ready organization, a help type, a consented customer contact."""
    if not options.vendor:
        raise NotAllowed(options.vendor_reason or "The vendor cannot be invited.")
    if help_requested is HelpType.NONE:
        raise InvalidState("Choose the help you want from the vendor's sellers.")
    if contact is None:
        raise InvalidState(
            "Add the customer contact (name, phone and email) before inviting the vendor."
        )
    if not consent:
        raise InvalidState(
            "Confirm the customer agreed to share their contact with the vendor before inviting it."
        )


def check_partner_candidate(
    candidate: Organization, inviter: Organization, engaged_organization_ids: Iterable[int]
) -> None:
    """R-INV-3: ecosystem partners only, never your own or one already in the engagement."""
    if candidate.is_vendor:
        raise NotAllowed("Invite the vendor with the co-sell option, not as a partner.")
    if candidate.id == inviter.id:
        raise NotAllowed("You cannot invite your own organization.")
    if not candidate.in_ecosystem:
        raise NotAllowed(f"{candidate.name} is not active in the co-sell ecosystem.")
    if candidate.id in set(engaged_organization_ids):
        raise NotAllowed(
            f"{candidate.name} is already part of this deal, or declined or let it expire "
            "(a party cannot be invited twice)."
        )
