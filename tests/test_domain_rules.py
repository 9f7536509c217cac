"""Domain rules without a database: lifecycle, deal type, invitations, registration, rights,
notifications (R-LIFE-*, R-DEAL-3, R-INV-*, R-REG-*, R-ACL-*, R-NOTE-*)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from cosell_tui.domain import lifecycle, notify, parties, registration, rights
from cosell_tui.domain.enums import (
    DealType,
    Direction,
    HelpType,
    RegistrationStatus,
    Role,
    Stage,
    Status,
)
from cosell_tui.domain.errors import InvalidState, NotAllowed
from cosell_tui.domain.models import (
    CustomerContact,
    Location,
    Organization,
    Referral,
    TeamMember,
    User,
)
from cosell_tui.domain.parties import PartyState
from cosell_tui.domain.registration import Milestone, ReviewAction

RS = RegistrationStatus
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

# --- factories -------------------------------------------------------------------------------

VENDOR_ID, CONTOSO_ID, FABRIKAM_ID = 1, 2, 3
SEATTLE, LONDON = 21, 22


def organization(org_id: int = CONTOSO_ID, **changes: Any) -> Organization:
    data: dict[str, Any] = {
        "id": org_id,
        "name": f"Org {org_id}",
        "partner_id": None if org_id == VENDOR_ID else f"{org_id:07d}",
        "is_vendor": org_id == VENDOR_ID,
        "co_sell_ready": True,
        "in_ecosystem": org_id != VENDOR_ID,
        "vetted_for_assessments": True,
        "locations": (
            Location(id=org_id * 10 + 1, organization_id=org_id, city="Seattle", country="US"),
            Location(id=org_id * 10 + 2, organization_id=org_id, city="London", country="GB"),
        ),
    }
    data.update(changes)
    return Organization(**data)


_next_user_id = iter(range(100, 10_000))


def user(
    role: Role = Role.REFERRAL_USER,
    *,
    org: int = CONTOSO_ID,
    email: str | None = None,
    scope: int | None = None,
    **changes: Any,
) -> User:
    uid = next(_next_user_id)
    data: dict[str, Any] = {
        "id": uid,
        "organization_id": org,
        "first_name": "User",
        "last_name": str(uid),
        "email": email or f"user{uid}@org{org}.example.com",
        "phone": "+1 425 555 0100",
        "role": role,
        "scope_location_id": scope,
        "email_notifications": True,
    }
    data.update(changes)
    return User(**data)


def member_for(person: User, organization_id: int | None = None) -> TeamMember:
    return TeamMember(
        first_name=person.first_name,
        last_name=person.last_name,
        phone=person.phone,
        email=person.email,
        organization_id=person.organization_id if organization_id is None else organization_id,
    )


def referral(
    *,
    org: int = CONTOSO_ID,
    location: int = SEATTLE,
    team: tuple[TeamMember, ...] = (),
    **changes: Any,
) -> Referral:
    data: dict[str, Any] = {
        "id": "ref-1",
        "engagement_id": "eng-1",
        "organization_id": org,
        "location_id": location,
        "name": "Fabric rollout",
        "value": Decimal("125000.00"),
        "currency": "USD",
        "close_date": NOW.date() + timedelta(days=60),
        "crm_id": None,
        "campaign_id": None,
        "notes": None,
        "help_requested": HelpType.NONE,
        "direction": Direction.OUTBOUND,
        "status": Status.ACCEPTED,
        "stage": Stage.CREATED,
        "deal_type": DealType.PRIVATE,
        "created_at": NOW,
        "received_at": None,
        "responded_at": None,
        "closed_at": None,
        "response_deadline": None,
        "closing_reason": None,
        "closing_notes": None,
        "version": 1,
        "team": team,
    }
    data.update(changes)
    return Referral(**data)


def me(status: Status = Status.ACCEPTED, org: int = CONTOSO_ID) -> PartyState:
    return PartyState(org, org == VENDOR_ID, status)


def vendor(status: Status) -> PartyState:
    return PartyState(VENDOR_ID, True, status)


def partner(status: Status, org: int = FABRIKAM_ID) -> PartyState:
    return PartyState(org, False, status)


CONTACT = CustomerContact(name="Pat Lee", phone="+1 206 555 0199", email="pat@fourth.com")
TERMINAL = [Status.WON, Status.LOST, Status.DECLINED, Status.EXPIRED]


def assert_sentence(text: str | None) -> None:
    assert text, "a refusal must say why"
    assert text[0].isupper(), text
    assert text.rstrip().endswith("."), text


# --- lifecycle: stages (R-LIFE-2, R-LIFE-7, R-LIFE-8) -----------------------------------------


def test_stage_percentages() -> None:
    # R-LIFE-7
    assert {stage: lifecycle.STAGE_PERCENT[stage] for stage in Stage} == {
        Stage.CREATED: 10,
        Stage.ACCEPTED: 10,
        Stage.QUALIFIED: 20,
        Stage.DEVELOPED: 40,
        Stage.PROPOSED: 60,
        Stage.NEGOTIATED: 80,
        Stage.WON: 100,
    }


def test_outbound_deals_start_at_created_and_inbound_at_accepted() -> None:
    # R-LIFE-2, R-LIFE-3
    assert lifecycle.first_stage(Direction.OUTBOUND) is Stage.CREATED
    assert lifecycle.first_stage(Direction.INBOUND) is Stage.ACCEPTED
    outbound = lifecycle.stages(Direction.OUTBOUND, is_sa=False)
    inbound = lifecycle.stages(Direction.INBOUND, is_sa=False)
    assert [(s.name, s.percent) for s in outbound] == [
        ("Created", 10),
        ("Qualified", 20),
        ("Developed", 40),
        ("Proposed", 60),
        ("Negotiated", 80),
        ("Won", 100),
    ]
    assert inbound[0].name == "Accepted"
    assert Stage.CREATED not in [s.stage for s in inbound]


def test_sa_deals_name_their_stages_after_the_assessment() -> None:
    # R-LIFE-8
    ladder = lifecycle.stages(Direction.OUTBOUND, is_sa=True)
    assert [(s.name, s.percent) for s in ladder] == [
        ("Created", 10),
        ("Secure customer letter of engagement", 20),
        ("Collect data", 40),
        ("Prepare assessment report", 60),
        ("Present to customer", 80),
        ("Won", 100),
    ]
    assert lifecycle.stage_name(Stage.NEGOTIATED, is_sa=True) == "Present to customer"
    assert lifecycle.stage_name(Stage.NEGOTIATED, is_sa=False) == "Negotiated"


@pytest.mark.parametrize("status", [Status.RECEIVED, *TERMINAL])
def test_stage_cannot_move_unless_accepted(status: Status) -> None:
    # R-LIFE-1, R-LIFE-7: stages move only while the deal is active and accepted.
    with pytest.raises(InvalidState) as caught:
        lifecycle.check_stage_move(status, Direction.INBOUND, Stage.ACCEPTED, Stage.QUALIFIED)
    assert_sentence(caught.value.message)


def test_won_is_not_a_stage_to_mark_by_hand() -> None:
    # R-LIFE-7/8: Won is reached through the Won action only.
    with pytest.raises(InvalidState) as caught:
        lifecycle.check_stage_move(Status.ACCEPTED, Direction.OUTBOUND, Stage.NEGOTIATED, Stage.WON)
    assert "Won" in caught.value.message


def test_stages_move_forward_and_back_while_accepted() -> None:
    # R-LIFE-7: "a stage may be moved back while the deal is active".
    move = lifecycle.check_stage_move
    assert move(Status.ACCEPTED, Direction.OUTBOUND, Stage.CREATED, Stage.NEGOTIATED) is None
    assert move(Status.ACCEPTED, Direction.OUTBOUND, Stage.NEGOTIATED, Stage.QUALIFIED) is None
    assert move(Status.ACCEPTED, Direction.OUTBOUND, Stage.PROPOSED, Stage.CREATED) is None
    assert move(Status.ACCEPTED, Direction.INBOUND, Stage.DEVELOPED, Stage.ACCEPTED) is None


def test_an_inbound_deal_has_no_created_stage() -> None:
    # R-LIFE-2/3: Created belongs to outbound deals.
    with pytest.raises(InvalidState):
        lifecycle.check_stage_move(
            Status.ACCEPTED, Direction.INBOUND, Stage.QUALIFIED, Stage.CREATED
        )


@pytest.mark.parametrize("stage", [s for s in Stage if s is not Stage.WON])
def test_ordinary_deals_can_be_won_at_any_stage(stage: Stage) -> None:
    # R-LIFE-7: marking stages is optional for ordinary deals.
    assert lifecycle.won_blocker(Status.ACCEPTED, stage, is_sa=False) is None


@pytest.mark.parametrize(
    "stage", [Stage.CREATED, Stage.ACCEPTED, Stage.QUALIFIED, Stage.DEVELOPED, Stage.PROPOSED]
)
def test_sa_deals_cannot_be_won_before_present_to_customer(stage: Stage) -> None:
    # R-LIFE-8: Won is shown but unavailable, saying why.
    blocker = lifecycle.won_blocker(Status.ACCEPTED, stage, is_sa=True)
    assert_sentence(blocker)
    assert "Present to customer" in (blocker or "")


def test_sa_deals_can_be_won_once_present_to_customer_is_marked() -> None:
    # R-LIFE-8
    assert lifecycle.won_blocker(Status.ACCEPTED, Stage.NEGOTIATED, is_sa=True) is None


@pytest.mark.parametrize("status", [Status.RECEIVED, *TERMINAL])
def test_won_is_blocked_unless_accepted(status: Status) -> None:
    # R-LIFE-1, R-LIFE-3
    assert_sentence(lifecycle.won_blocker(status, Stage.NEGOTIATED, is_sa=False))


# --- lifecycle: the response window (R-LIFE-3, R-LIFE-4, R-NOTE-4) -----------------------------


def test_response_deadline_is_exactly_fourteen_days_of_24_hours() -> None:
    # R-LIFE-3
    arrived = datetime(2026, 3, 20, 17, 45, 12, tzinfo=UTC)  # spans the European DST change
    deadline = lifecycle.response_deadline(arrived)
    assert deadline == datetime(2026, 4, 3, 17, 45, 12, tzinfo=UTC)
    assert (deadline - arrived).total_seconds() == 14 * 24 * 3600


def test_expired_exactly_when_the_clock_reaches_the_deadline() -> None:
    # R-LIFE-4: "expired when the clock reaches it".
    deadline = lifecycle.response_deadline(NOW)
    assert not lifecycle.is_past_deadline(deadline, deadline - timedelta(seconds=1))
    assert lifecycle.is_past_deadline(deadline, deadline)
    assert lifecycle.is_past_deadline(deadline, deadline + timedelta(days=3))
    assert not lifecycle.is_past_deadline(None, deadline)


def test_reminder_is_due_only_in_the_last_two_days() -> None:
    # R-NOTE-4: two days before an inbound referral expires.
    deadline = NOW + timedelta(days=14)
    due = lifecycle.reminder_due
    assert not due(deadline, NOW)
    assert not due(deadline, deadline - timedelta(days=2, seconds=1))
    assert due(deadline, deadline - timedelta(days=2))
    assert due(deadline, deadline - timedelta(hours=1))
    assert not due(deadline, deadline)  # expired, not reminded
    assert not due(None, NOW)


# --- lifecycle: stages from other systems (R-LIFE-7) ------------------------------------------


@pytest.mark.parametrize(
    ("value", "stage"),
    [
        ("Qualify", Stage.QUALIFIED),
        ("Develop", Stage.DEVELOPED),
        ("Propose", Stage.PROPOSED),
        ("Close", Stage.NEGOTIATED),
        ("  close ", Stage.NEGOTIATED),
        (35, Stage.QUALIFIED),
        (60, Stage.PROPOSED),
        (79.5, Stage.PROPOSED),
        (80, Stage.NEGOTIATED),
        ("40%", Stage.DEVELOPED),
        (20, Stage.QUALIFIED),
    ],
)
def test_external_stages_map_to_ours(value: str | int | float, stage: Stage) -> None:
    # R-LIFE-7: API names, and a bare percentage → the highest stage not above it.
    assert lifecycle.stage_from_external(value, Direction.OUTBOUND) is stage


@pytest.mark.parametrize(
    ("direction", "first"),
    [(Direction.OUTBOUND, Stage.CREATED), (Direction.INBOUND, Stage.ACCEPTED)],
)
def test_small_percentages_map_to_the_first_stage(direction: Direction, first: Stage) -> None:
    # R-LIFE-7: 5 % is below every stage; the deal sits on its first one.
    assert lifecycle.stage_from_external(5, direction) is first
    assert lifecycle.stage_from_external(10, direction) is first
    assert lifecycle.stage_from_external(0, direction) is first


def test_unknown_external_stage_is_refused() -> None:
    # R-Q-1: an import names the bad value rather than guessing.
    with pytest.raises(ValueError, match="Banana"):
        lifecycle.stage_from_external("Banana", Direction.OUTBOUND)


# --- deal type (R-DEAL-3) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("assessment", "party_list", "expected"),
    [
        (False, [me()], DealType.PRIVATE),
        (False, [me(), vendor(Status.RECEIVED)], DealType.CO_SELL),
        (False, [me(), vendor(Status.ACCEPTED), partner(Status.ACCEPTED)], DealType.CO_SELL),
        (
            False,
            [me(Status.RECEIVED), PartyState(VENDOR_ID, True, Status.ACCEPTED)],
            DealType.CO_SELL,
        ),
        (False, [me(), partner(Status.RECEIVED)], DealType.PARTNER_TO_PARTNER),
        (False, [me(), partner(Status.WON), partner(Status.LOST, 4)], DealType.PARTNER_TO_PARTNER),
        # Parties that declined or expired no longer count.
        (False, [me(), vendor(Status.DECLINED)], DealType.PRIVATE),
        (False, [me(), vendor(Status.EXPIRED)], DealType.PRIVATE),
        (
            False,
            [me(), vendor(Status.DECLINED), partner(Status.ACCEPTED)],
            DealType.PARTNER_TO_PARTNER,
        ),
        (False, [me(), partner(Status.DECLINED), partner(Status.EXPIRED, 4)], DealType.PRIVATE),
        (False, [me(), vendor(Status.WON)], DealType.CO_SELL),
        # SA wins over everything.
        (True, [me()], DealType.SOLUTION_ASSESSMENT),
        (
            True,
            [me(), vendor(Status.ACCEPTED), partner(Status.ACCEPTED)],
            DealType.SOLUTION_ASSESSMENT,
        ),
    ],
)
def test_deal_type_follows_the_parties(
    assessment: bool, party_list: list[PartyState], expected: DealType
) -> None:
    # R-DEAL-3
    assert parties.derive_deal_type(assessment, party_list) is expected


# --- invitations (R-INV-1, R-INV-2, R-INV-3) -------------------------------------------------


def options(
    deal_type: DealType,
    party_list: list[PartyState],
    *,
    status: Status = Status.ACCEPTED,
    direction: Direction = Direction.OUTBOUND,
    org: Organization | None = None,
) -> parties.InviteOptions:
    return parties.invite_options(
        deal_type=deal_type,
        status=status,
        direction=direction,
        organization=org or organization(),
        parties=party_list,
    )


@pytest.mark.parametrize(
    ("deal_type", "direction", "party_list", "vendor_ok", "partners_ok"),
    [
        # Private: the vendor and/or partners.
        (DealType.PRIVATE, Direction.OUTBOUND, [me()], True, True),
        # Co-sell: partners only, and only from the side that created the engagement.
        (DealType.CO_SELL, Direction.OUTBOUND, [me(), vendor(Status.ACCEPTED)], False, True),
        (DealType.CO_SELL, Direction.OUTBOUND, [me(), vendor(Status.RECEIVED)], False, True),
        (DealType.CO_SELL, Direction.INBOUND, [vendor(Status.ACCEPTED), me()], False, False),
        # P2P without the vendor: the vendor (→ co-sell) and other partners (stays P2P).
        (
            DealType.PARTNER_TO_PARTNER,
            Direction.OUTBOUND,
            [me(), partner(Status.ACCEPTED)],
            True,
            True,
        ),
        (
            DealType.PARTNER_TO_PARTNER,
            Direction.INBOUND,
            [partner(Status.ACCEPTED), me()],
            True,
            True,
        ),
    ],
)
def test_who_may_be_invited_by_deal_type(
    deal_type: DealType,
    direction: Direction,
    party_list: list[PartyState],
    vendor_ok: bool,
    partners_ok: bool,
) -> None:
    # R-INV-1: the table of SPEC §4.
    got = options(deal_type, party_list, direction=direction)
    assert (got.vendor, got.partners) == (vendor_ok, partners_ok)
    assert (got.vendor_reason is None) == vendor_ok
    assert (got.partners_reason is None) == partners_ok
    for reason in (got.vendor_reason, got.partners_reason):
        if reason is not None:
            assert_sentence(reason)


@pytest.mark.parametrize("direction", list(Direction))
def test_sa_deals_take_no_invitations(direction: Direction) -> None:
    # R-INV-1, R-DEAL-3
    got = options(DealType.SOLUTION_ASSESSMENT, [me()], direction=direction)
    assert (got.vendor, got.partners) == (False, False)
    assert_sentence(got.vendor_reason)
    assert_sentence(got.partners_reason)


@pytest.mark.parametrize("status", [Status.RECEIVED, *TERMINAL])
@pytest.mark.parametrize("deal_type", [DealType.PRIVATE, DealType.PARTNER_TO_PARTNER])
def test_nobody_is_invited_while_received_or_once_closed(
    status: Status, deal_type: DealType
) -> None:
    # R-INV-1: only while the inviting referral is accepted.
    got = options(deal_type, [partner(Status.ACCEPTED), me(status)], status=status)
    assert (got.vendor, got.partners) == (False, False)
    assert_sentence(got.vendor_reason)


@pytest.mark.parametrize("answer", [Status.DECLINED, Status.EXPIRED])
def test_a_vendor_that_declined_or_expired_cannot_be_invited_again(answer: Status) -> None:
    # R-DEAL-3: "A party that declined or expired cannot be invited again".
    got = options(DealType.PRIVATE, [me(), vendor(answer)])
    assert not got.vendor
    assert got.partners  # the deal is private again: partners may still be invited
    assert "again" in (got.vendor_reason or "")


def test_an_organization_that_is_not_co_sell_ready_cannot_invite_the_vendor() -> None:
    # R-INV-2, R-ACL-2
    got = options(DealType.PRIVATE, [me()], org=organization(co_sell_ready=False))
    assert not got.vendor
    assert got.partners
    assert "co-sell-ready" in (got.vendor_reason or "")


def test_the_vendor_does_not_invite_itself_but_invites_partners() -> None:
    # §4: the vendor's sellers start co-sell deals and invite partners.
    got = options(
        DealType.CO_SELL,
        [PartyState(VENDOR_ID, True, Status.ACCEPTED)],
        org=organization(VENDOR_ID),
    )
    assert not got.vendor
    assert got.partners


def test_inviting_the_vendor_needs_help_contact_and_consent() -> None:
    # R-INV-2
    ok = options(DealType.PRIVATE, [me()])
    assert parties.check_vendor_invite(ok, HelpType.PROOF_OF_CONCEPT_OR_DEMO, CONTACT, True) is None
    with pytest.raises(InvalidState, match="help"):
        parties.check_vendor_invite(ok, HelpType.NONE, CONTACT, True)
    with pytest.raises(InvalidState, match="contact"):
        parties.check_vendor_invite(ok, HelpType.GENERAL_OR_OTHER, None, True)
    with pytest.raises(InvalidState, match="agreed"):
        parties.check_vendor_invite(ok, HelpType.GENERAL_OR_OTHER, CONTACT, False)


def test_inviting_the_vendor_is_refused_when_the_options_say_no() -> None:
    # R-INV-2: a non-co-sell-ready organization is told why even with everything filled in.
    no = options(DealType.PRIVATE, [me()], org=organization(co_sell_ready=False))
    with pytest.raises(NotAllowed) as caught:
        parties.check_vendor_invite(no, HelpType.GENERAL_OR_OTHER, CONTACT, True)
    assert caught.value.message == no.vendor_reason


def test_partner_candidates() -> None:
    # R-INV-3: ecosystem partners only; never the vendor, your own, or one already engaged.
    contoso = organization(CONTOSO_ID)
    fabrikam = organization(FABRIKAM_ID)
    assert parties.check_partner_candidate(fabrikam, contoso, [CONTOSO_ID]) is None
    refused = [
        (organization(VENDOR_ID), contoso, [CONTOSO_ID]),
        (contoso, contoso, [CONTOSO_ID]),
        (organization(FABRIKAM_ID, in_ecosystem=False), contoso, [CONTOSO_ID]),
        (fabrikam, contoso, [CONTOSO_ID, FABRIKAM_ID]),
    ]
    for candidate, inviter, engaged in refused:
        with pytest.raises(NotAllowed) as caught:
            parties.check_partner_candidate(candidate, inviter, engaged)
        assert_sentence(caught.value.message)


# --- registration (R-REG-1, R-REG-3, §5) ------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "vendor_direction", "vendor_status", "solutions", "eligible"),
    [
        # Private: no vendor at all.
        (Status.WON, None, None, [True], False),
        # The vendor created the deal: it was not invited (R-REG-1 a).
        (Status.WON, Direction.OUTBOUND, Status.ACCEPTED, [True], False),
        (Status.WON, Direction.OUTBOUND, Status.WON, [True], False),
        # Invited, but has not accepted.
        (Status.WON, Direction.INBOUND, Status.RECEIVED, [True], False),
        (Status.WON, Direction.INBOUND, Status.DECLINED, [True], False),
        (Status.WON, Direction.INBOUND, Status.EXPIRED, [True], False),
        # Invited and accepted (or marked its side won).
        (Status.WON, Direction.INBOUND, Status.ACCEPTED, [True], True),
        (Status.WON, Direction.INBOUND, Status.WON, [True], True),
        (Status.WON, Direction.INBOUND, Status.ACCEPTED, [False, True], True),
        # No incentive-eligible solution (R-REG-1 c).
        (Status.WON, Direction.INBOUND, Status.ACCEPTED, [False, False], False),
        (Status.WON, Direction.INBOUND, Status.ACCEPTED, [], False),
        # Only won deals.
        (Status.ACCEPTED, Direction.INBOUND, Status.ACCEPTED, [True], False),
        (Status.LOST, Direction.INBOUND, Status.ACCEPTED, [True], False),
    ],
)
def test_registration_eligibility(
    status: Status,
    vendor_direction: Direction | None,
    vendor_status: Status | None,
    solutions: list[bool],
    eligible: bool,
) -> None:
    # R-REG-1
    assert (
        registration.is_eligible(
            status=status,
            vendor_direction=vendor_direction,
            vendor_status=vendor_status,
            incentive_eligible=solutions,
        )
        is eligible
    )


@pytest.mark.parametrize("current", [RS.INCOMPLETE, RS.ACTION_REQUIRED])
def test_submitting_puts_a_registration_in_review(current: RegistrationStatus) -> None:
    # R-REG-3: submit, or resubmit after changes were asked for.
    assert registration.after_submit(current) is RS.IN_REVIEW


@pytest.mark.parametrize("current", [RS.IN_REVIEW, RS.IN_VALIDATION, RS.APPROVED, RS.REJECTED])
def test_a_registration_with_the_vendor_or_final_cannot_be_submitted(
    current: RegistrationStatus,
) -> None:
    # R-REG-3
    with pytest.raises(InvalidState) as caught:
        registration.after_submit(current)
    assert_sentence(caught.value.message)


def test_review_path_to_approval() -> None:
    # R-REG-3: in_review → in_validation → approved.
    step = registration.after_review(RS.IN_REVIEW, ReviewAction.APPROVE)
    assert step is RS.IN_VALIDATION
    assert registration.after_review(step, ReviewAction.APPROVE) is RS.APPROVED


@pytest.mark.parametrize("current", [RS.IN_REVIEW, RS.IN_VALIDATION])
def test_review_may_ask_for_changes_or_reject(current: RegistrationStatus) -> None:
    # R-REG-3: from review or validation.
    assert registration.after_review(current, ReviewAction.REQUEST_CHANGES) is RS.ACTION_REQUIRED
    assert registration.after_review(current, ReviewAction.REJECT) is RS.REJECTED


@pytest.mark.parametrize("current", [RS.INCOMPLETE, RS.ACTION_REQUIRED, RS.APPROVED, RS.REJECTED])
@pytest.mark.parametrize("action", list(ReviewAction))
def test_only_submitted_registrations_are_reviewed(
    current: RegistrationStatus, action: ReviewAction
) -> None:
    # R-REG-3: approved and rejected are final; incomplete/action required are the partner's.
    with pytest.raises(InvalidState) as caught:
        registration.after_review(current, action)
    assert_sentence(caught.value.message)


@pytest.mark.parametrize(
    ("status", "reached"),
    [
        (RS.INCOMPLETE, set()),
        (RS.IN_REVIEW, {Milestone.SUBMITTED}),
        (RS.IN_VALIDATION, {Milestone.SUBMITTED, Milestone.REVIEW}),
        (RS.APPROVED, set(Milestone)),
        (RS.REJECTED, set(Milestone)),
    ],
)
def test_registration_milestones(status: RegistrationStatus, reached: set[Milestone]) -> None:
    # R-UI-3: submitted, review, approved/rejected, closed.
    assert registration.milestones_reached(status) == reached


def test_action_required_means_it_was_submitted_but_is_not_decided() -> None:
    # R-REG-3
    reached = registration.milestones_reached(RS.ACTION_REQUIRED)
    assert Milestone.SUBMITTED in reached
    assert not reached & {Milestone.DECIDED, Milestone.CLOSED}


@pytest.mark.parametrize(
    ("status", "eligible", "reg", "closed"),
    [
        # Lost, declined and expired close at once.
        (Status.LOST, False, None, True),
        (Status.DECLINED, False, None, True),
        (Status.EXPIRED, False, None, True),
        # A won deal that is not eligible closes at once.
        (Status.WON, False, None, True),
        # An eligible won deal closes when its registration is final.
        (Status.WON, True, RS.INCOMPLETE, False),
        (Status.WON, True, RS.IN_REVIEW, False),
        (Status.WON, True, RS.IN_VALIDATION, False),
        (Status.WON, True, RS.ACTION_REQUIRED, False),
        (Status.WON, True, RS.APPROVED, True),
        (Status.WON, True, RS.REJECTED, True),
        # Active deals are not closed.
        (Status.RECEIVED, False, None, False),
        (Status.ACCEPTED, False, None, False),
    ],
)
def test_lifecycle_closed_milestone(
    status: Status, eligible: bool, reg: RegistrationStatus | None, closed: bool
) -> None:
    # SPEC §5, last paragraph.
    assert registration.lifecycle_closed(status, eligible, reg) is closed


# --- rights (R-ACL-1, R-ACL-2) ---------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.PARTNER_ADMIN, Role.REFERRAL_ADMIN])
@pytest.mark.parametrize("scope", [None, SEATTLE, LONDON])
def test_admins_see_and_act_on_all_their_organizations_referrals(
    role: Role, scope: int | None
) -> None:
    # R-ACL-1: whatever their own location scope; R-ACL-2: admins act.
    admin = user(role, scope=scope)
    deal = referral(location=SEATTLE)
    assert rights.can_view(admin, deal)
    assert rights.can_act(admin, deal)


def test_sellers_see_the_vendors_referrals() -> None:
    # R-ACL-1
    seller = user(Role.SELLER, org=VENDOR_ID, scope=LONDON)
    co_sell = DealType.CO_SELL
    assert rights.can_view(seller, referral(org=VENDOR_ID, location=SEATTLE, deal_type=co_sell))
    assert not rights.can_view(seller, referral(org=CONTOSO_ID, deal_type=co_sell))


def test_sellers_never_see_a_private_deal() -> None:
    # R-DEAL-3: not even the vendor's own side once every partner declined or expired
    seller = user(Role.SELLER, org=VENDOR_ID)
    private = referral(org=VENDOR_ID, deal_type=DealType.PRIVATE, status=Status.DECLINED)
    assert not rights.can_view(seller, private)
    assert not rights.can_act(seller, private)


def test_referral_users_need_the_team_and_the_scope() -> None:
    # R-ACL-1: on its team AND at their scope's location.
    marco = user(Role.REFERRAL_USER, scope=SEATTLE)
    on_team = referral(location=SEATTLE, team=(member_for(marco),))
    assert rights.can_view(marco, on_team)
    assert rights.can_act(marco, on_team)
    assert not rights.can_view(marco, referral(location=SEATTLE))  # not on the team
    assert not rights.can_act(marco, referral(location=SEATTLE))
    wrong_place = referral(location=LONDON, team=(member_for(marco),))
    assert not rights.can_view(marco, wrong_place)  # on the team, out of scope
    global_user = user(Role.REFERRAL_USER, scope=None)
    assert rights.can_view(global_user, referral(location=LONDON, team=(member_for(global_user),)))


def test_nobody_sees_another_organizations_referral() -> None:
    # R-ACL-1: even an admin, even with a team member carrying their email.
    outsider = user(Role.PARTNER_ADMIN, org=FABRIKAM_ID)
    deal = referral(org=CONTOSO_ID, team=(member_for(outsider),))
    assert not rights.can_view(outsider, deal)
    assert not rights.can_act(outsider, deal)
    with pytest.raises(NotAllowed):
        rights.require_act(outsider, deal, "edit this deal")


def test_inviting_organizations_people_on_the_team_hold_no_rights() -> None:
    # R-DEAL-2: P2P teams may list the inviter's people; they hold no rights here.
    contoso_user = user(Role.REFERRAL_USER, scope=None)
    # Listed with the inviting organization's id, yet sharing this user's email.
    listed_as_inviter = member_for(contoso_user, organization_id=FABRIKAM_ID)
    deal = referral(team=(listed_as_inviter,))
    assert not deal.on_team(contoso_user)
    assert not rights.can_view(contoso_user, deal)
    assert not rights.can_act(contoso_user, deal)


def test_a_referral_user_on_the_team_may_act_and_others_are_told_why_not() -> None:
    # R-ACL-2
    marco = user(Role.REFERRAL_USER, scope=SEATTLE)
    chloe = user(Role.REFERRAL_USER, scope=SEATTLE)
    deal = referral(team=(member_for(marco),))
    assert rights.require_act(marco, deal, "edit this deal") is None
    with pytest.raises(NotAllowed) as caught:
        rights.require_act(chloe, deal, "edit this deal")
    assert_sentence(caught.value.message)
    assert "edit this deal" in caught.value.message


@pytest.mark.parametrize("role", [Role.PARTNER_ADMIN, Role.REFERRAL_ADMIN])
def test_admins_create_deals(role: Role) -> None:
    # R-ACL-2
    assert rights.check_create(user(role), organization(), assessment=False) is None
    assert rights.check_create(user(role), organization(), assessment=True) is None


def test_sellers_create_deals() -> None:
    # R-ACL-2
    seller = user(Role.SELLER, org=VENDOR_ID)
    assert rights.check_create(seller, organization(VENDOR_ID), assessment=False) is None


def test_referral_users_do_not_create_deals() -> None:
    # R-ACL-2
    with pytest.raises(NotAllowed) as caught:
        rights.check_create(user(Role.REFERRAL_USER), organization(), assessment=False)
    assert_sentence(caught.value.message)


def test_assessments_need_a_vetted_organization() -> None:
    # R-ACL-2, R-UI-4 step 4
    unvetted = organization(vetted_for_assessments=False)
    admin = user(Role.PARTNER_ADMIN)
    assert rights.check_create(admin, unvetted, assessment=False) is None
    with pytest.raises(NotAllowed, match="vetted"):
        rights.check_create(admin, unvetted, assessment=True)


def test_only_the_vendors_sellers_review_registrations() -> None:
    # R-REG-3
    vendor_org = organization(VENDOR_ID)
    assert rights.can_review_registrations(user(Role.SELLER, org=VENDOR_ID), vendor_org)
    for role in (Role.PARTNER_ADMIN, Role.REFERRAL_ADMIN, Role.REFERRAL_USER):
        assert not rights.can_review_registrations(user(role), organization())


# --- notifications (R-NOTE-1..4) -------------------------------------------------------------


def test_inbound_recipients_are_admins_in_scope() -> None:
    # R-NOTE-1 (and R-NOTE-4's reminder goes to the same people).
    dana = user(Role.PARTNER_ADMIN, scope=None)
    priya = user(Role.REFERRAL_ADMIN, scope=SEATTLE)
    owen = user(Role.REFERRAL_ADMIN, scope=LONDON)
    marco = user(Role.REFERRAL_USER, scope=SEATTLE)
    stranger = user(Role.PARTNER_ADMIN, org=FABRIKAM_ID, scope=None)
    everyone = [dana, priya, owen, marco, stranger]
    got = notify.inbound_recipients(everyone, CONTOSO_ID, SEATTLE)
    assert [u.id for u in got] == [dana.id, priya.id]
    london = notify.inbound_recipients(everyone, CONTOSO_ID, LONDON)
    assert [u.id for u in london] == [dana.id, owen.id]


def test_inbound_recipients_for_the_vendor_are_its_sellers_in_scope() -> None:
    # R-NOTE-1: "for the vendor, its sellers with that scope".
    megan = user(Role.SELLER, org=VENDOR_ID, scope=None)
    adele = user(Role.SELLER, org=VENDOR_ID, scope=VENDOR_ID * 10 + 2)
    alex = user(Role.SELLER, org=VENDOR_ID, scope=VENDOR_ID * 10 + 1)
    got = notify.inbound_recipients([megan, adele, alex], VENDOR_ID, VENDOR_ID * 10 + 1)
    assert [u.id for u in got] == [megan.id, alex.id]


def test_team_recipients_match_email_and_organization() -> None:
    # R-NOTE-2
    marco = user(Role.REFERRAL_USER)
    chloe = user(Role.REFERRAL_USER)
    namesake = user(Role.PARTNER_ADMIN, org=FABRIKAM_ID, email=marco.email)
    outside = TeamMember(
        first_name="Ext",
        last_name="Person",
        phone="+1 206 555 0100",
        email="ext@fabrikam.example.com",
        organization_id=FABRIKAM_ID,
    )
    team = (member_for(marco), outside)
    got = notify.team_recipients([marco, chloe, namesake], team)
    assert [u.id for u in got] == [marco.id]


def test_registration_recipients_add_the_contact_once() -> None:
    # R-NOTE-3: the registration contact and the team, nobody twice.
    marco = user(Role.REFERRAL_USER)
    priya = user(Role.REFERRAL_ADMIN)
    other_org = user(Role.PARTNER_ADMIN, org=FABRIKAM_ID, email=priya.email)
    users = [marco, priya, other_org]
    team = (member_for(marco),)
    got = notify.registration_recipients(users, team, priya.email, CONTOSO_ID)
    assert sorted(u.id for u in got) == sorted([marco.id, priya.id])
    again = notify.registration_recipients(users, team, marco.email, CONTOSO_ID)
    assert [u.id for u in again] == [marco.id]
    none = notify.registration_recipients(users, team, None, CONTOSO_ID)
    assert [u.id for u in none] == [marco.id]
