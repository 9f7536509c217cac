"""Deal registration after a win (SPEC §5): eligibility and the review state machine."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from cosell_tui.domain.enums import Direction, RegistrationStatus, Status
from cosell_tui.domain.errors import InvalidState

R = RegistrationStatus


def vendor_engaged(vendor_direction: Direction | None, vendor_status: Status | None) -> bool:
    """R-REG-1 (a)+(b): the vendor was invited and accepted (or went on to win or lose)."""
    return vendor_direction is Direction.INBOUND and vendor_status in (
        Status.ACCEPTED,
        Status.WON,
        Status.LOST,
    )


def is_eligible(
    *,
    status: Status,
    vendor_direction: Direction | None,
    vendor_status: Status | None,
    incentive_eligible: Iterable[bool],
) -> bool:
    """R-REG-1: won, the vendor invited and engaged, an incentive-eligible solution."""
    return (
        status is Status.WON
        and vendor_engaged(vendor_direction, vendor_status)
        and any(incentive_eligible)
    )


class ReviewAction(StrEnum):
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"


def after_submit(current: RegistrationStatus) -> RegistrationStatus:
    """The partner submits (incomplete) or resubmits (action required): into review."""
    if current in (R.INCOMPLETE, R.ACTION_REQUIRED):
        return R.IN_REVIEW
    if current.final:
        raise InvalidState(f"This registration is {current.label.lower()}, a final state.")
    raise InvalidState("This registration is with the vendor for review; wait for its answer.")


def after_review(current: RegistrationStatus, action: ReviewAction) -> RegistrationStatus:
    """R-REG-3: review → validation → approved; changes or rejection from either step."""
    if current not in (R.IN_REVIEW, R.IN_VALIDATION):
        raise InvalidState(
            f"Only registrations in review or validation can be reviewed; this one is "
            f"{current.label.lower()}."
        )
    if action is ReviewAction.APPROVE:
        return R.IN_VALIDATION if current is R.IN_REVIEW else R.APPROVED
    if action is ReviewAction.REQUEST_CHANGES:
        return R.ACTION_REQUIRED
    return R.REJECTED


class Milestone(StrEnum):
    SUBMITTED = "submitted"
    REVIEW = "review"
    DECIDED = "decided"
    CLOSED = "closed"


def milestones_reached(status: RegistrationStatus) -> frozenset[Milestone]:
    """Registration milestones of the lifecycle widget (R-UI-3)."""
    reached: set[Milestone] = set()
    if status is not R.INCOMPLETE:
        reached.add(Milestone.SUBMITTED)
    if status in (R.IN_VALIDATION, R.APPROVED, R.REJECTED):
        reached.add(Milestone.REVIEW)
    if status.final:
        reached |= {Milestone.REVIEW, Milestone.DECIDED, Milestone.CLOSED}
    return frozenset(reached)


def lifecycle_closed(
    status: Status, eligible: bool, registration: RegistrationStatus | None
) -> bool:
    """§5: the last milestone, Closed, and when a referral reaches it."""
    if status in (Status.LOST, Status.DECLINED, Status.EXPIRED):
        return True
    if status is Status.WON:
        return not eligible or (registration is not None and registration.final)
    return False
