"""Use cases: one function per user action (STYLE: services).

Each takes the acting user, checks their rights (R-ACL-*), writes activity (R-AUD-1) and
notifications (§6), and runs in one transaction. A refusal is a `DomainError` whose text is the
sentence to show; database guards (R-STORE-1) and stale saves (R-STORE-2) become one too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from cosell_tui.domain import lifecycle, notify, parties, registration, rights
from cosell_tui.domain.enums import (
    DealType,
    Direction,
    HelpType,
    NotificationKind,
    RegistrationStatus,
    Role,
    SolutionKind,
    Stage,
    Status,
)
from cosell_tui.domain.errors import (
    Conflict,
    InvalidInput,
    InvalidState,
    NotAllowed,
    NotFound,
    Unavailable,
)
from cosell_tui.domain.models import (
    AcceptForm,
    Comment,
    CommentForm,
    CustomerContact,
    DeclineForm,
    EditForm,
    LostForm,
    NewCompanyForm,
    NewDealForm,
    Organization,
    OrganizationSetupForm,
    PartnerInviteForm,
    Referral,
    Registration,
    RegistrationForm,
    TeamMemberForm,
    User,
    WonForm,
)
from cosell_tui.domain.wizard import SELLER_INVITES, Draft
from cosell_tui.store import queries
from cosell_tui.store.cards import party_cards
from cosell_tui.store.database import Database, unreachable_reason
from cosell_tui.store.guards import guard_message
from cosell_tui.store.schema import (
    ActivityRow,
    CommentRow,
    CompanyRow,
    DraftRow,
    EngagementRow,
    FavoriteRow,
    InvitationRow,
    LocationRow,
    NotificationRow,
    OrganizationRow,
    OutboxRow,
    ReferralRow,
    ReferralSolutionRow,
    RegistrationRow,
    StageMarkRow,
    TeamMemberRow,
    UserRow,
)

P = ParamSpec("P")
T = TypeVar("T")

STALE = (
    "Someone else changed this deal since you opened it; reload it to see their change, "
    "then try again."
)


def action(func: Callable[P, T]) -> Callable[P, T]:
    """Turn database refusals into the user's sentence; everything else passes through."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return func(*args, **kwargs)
        except StaleDataError:
            raise Conflict(STALE) from None
        except IntegrityError as error:
            message = guard_message(str(error.orig))
            if message is None:
                raise
            raise InvalidState(message) from None
        except DBAPIError as error:
            lost = unreachable_reason(error)
            if lost is not None:
                raise Unavailable(
                    f"The database cannot be reached ({lost}); nothing was saved. "
                    "Try again in a moment."
                ) from None
            if not isinstance(error, OperationalError):
                raise
            text = str(error.orig)
            if "locked" in text or "busy" in text:
                raise Conflict(
                    "The database is busy (another cosell-tui is writing); try again in a moment."
                ) from None
            message = guard_message(text)
            if message is None:
                raise
            raise InvalidState(message) from None

    return wrapper


# --- small shared steps -------------------------------------------------------------------


def _actor(session: Session, actor: User) -> User:
    """Re-read the acting user so a role changed meanwhile is honoured."""
    return queries.user(session, actor.id)


def _load(
    session: Session, actor: User, referral_id: str, version: int | None, doing: str
) -> tuple[ReferralRow, Referral, User]:
    """The referral to act on, refused unless visible, actable and not stale."""
    user = _actor(session, actor)
    row = queries.referral_row(session, referral_id, for_update=True)
    current = queries.to_referral(row)
    if not rights.can_view(user, current):
        raise NotFound("That deal does not exist or you cannot see it.")
    rights.require_act(user, current, doing)
    if version is not None and row.version != version:
        raise Conflict(STALE)
    return row, current, user


def _bump(row: ReferralRow) -> None:
    row.version += 1


def _log(
    session: Session,
    now: datetime,
    user: User | None,
    row: ReferralRow | None,
    action_name: str,
    field_name: str | None = None,
    old: object = None,
    new: object = None,
    *,
    engagement_id: str | None = None,
    referral_id: str | None = None,
) -> None:
    """One activity entry, for `row` (or for `referral_id`, a row out of the session's
    reach) or for the engagement alone."""
    session.add(
        ActivityRow(
            referral_id=row.id if row is not None else referral_id,
            engagement_id=row.engagement_id if row is not None else engagement_id,
            user_id=user.id if user is not None else None,
            at=now,
            action=action_name,
            field=field_name,
            old=None if old is None else str(old),
            new=None if new is None else str(new),
        )
    )


def _set(
    session: Session, now: datetime, user: User, row: ReferralRow, name: str, value: Any
) -> bool:
    """Set one field, logging old → new when it changes."""
    old = getattr(row, name)
    if old == value:
        return False
    setattr(row, name, value)
    shown_old = queries.from_cents(old) if name == "value_cents" else old
    shown_new = queries.from_cents(value) if name == "value_cents" else value
    _log(session, now, user, row, "edited", name.removesuffix("_cents"), shown_old, shown_new)
    return True


def _set_terms(
    session: Session, now: datetime, user: User, row: ReferralRow, form: AcceptForm | EditForm
) -> bool:
    """The fields a party sets on accepting and edits later (R-LIFE-3, R-LIFE-6); logs each."""
    changed = False
    for name, value in (
        ("name", form.name),
        ("value_cents", queries.cents(form.value)),
        ("currency", form.currency),
        ("close_date", form.close_date),
        ("notes", form.notes),
        ("crm_id", form.crm_id),
        ("campaign_id", form.campaign_id),
    ):
        changed |= _set(session, now, user, row, name, value)
    return changed


def _notify(
    session: Session,
    now: datetime,
    recipients: Iterable[User],
    referral_id: str,
    kind: NotificationKind,
    message: str,
) -> None:
    """A notification in the app for each recipient, and e-mail for those who want it (§6)."""
    seen: set[int] = set()
    for user in recipients:
        if user.id in seen:
            continue
        seen.add(user.id)
        note = NotificationRow(
            user_id=user.id,
            referral_id=referral_id,
            kind=kind.value,
            message=message,
            created_at=now,
        )
        session.add(note)
        if user.email_notifications:
            session.flush()
            session.add(
                OutboxRow(
                    notification_id=note.id,
                    to_email=user.email,
                    subject=f"cosell-tui: {message[:200]}",
                    body=message,
                    created_at=now,
                )
            )


def _check_close_date(value: date, today: date) -> None:
    if value < today:
        raise InvalidInput(
            f"The close date {value.isoformat()} is in the past; choose today or later.",
            {"close_date": "Choose today or a later date."},
        )


def _team_rows(
    referral_id: str, organization_id: int, team: Iterable[TeamMemberForm]
) -> list[TeamMemberRow]:
    return [
        TeamMemberRow(
            referral_id=referral_id,
            organization_id=organization_id,
            first_name=m.first_name,
            last_name=m.last_name,
            phone=m.phone,
            email=m.email,
        )
        for m in team
    ]


def _cards(session: Session, engagement_id: str) -> Any:
    """Every party's card with its organization's vendor flag (other organizations' rows are
    out of a member's reach on PostgreSQL, R-ACL-4: the cards are what a party may know)."""
    cards = party_cards(session.get_bind().dialect.name, engagement_id)
    return session.execute(
        select(cards, OrganizationRow.is_vendor)
        .join(OrganizationRow, OrganizationRow.id == cards.c.organization_id)
        .order_by(cards.c.created_at, cards.c.id)
    ).all()


def _party_states(session: Session, engagement_id: str) -> list[parties.PartyState]:
    statement = (
        select(ReferralRow.organization_id, OrganizationRow.is_vendor, ReferralRow.status)
        .join(OrganizationRow, OrganizationRow.id == ReferralRow.organization_id)
        .where(ReferralRow.engagement_id == engagement_id)
    )
    if session.get_bind().dialect.name == "postgresql":
        return [
            parties.PartyState(card.organization_id, bool(card.is_vendor), Status(card.status))
            for card in _cards(session, engagement_id)
        ]
    return [
        parties.PartyState(org_id, bool(is_vendor), Status(status))
        for org_id, is_vendor, status in session.execute(statement)
    ]


def _refresh_deal_type(
    session: Session, now: datetime, user: User | None, engagement_id: str
) -> DealType:
    """Keep the stored deal type equal to what the parties make it (R-DEAL-3)."""
    session.flush()
    engagement = session.get_one(EngagementRow, engagement_id)
    derived = parties.derive_deal_type(
        engagement.is_assessment, _party_states(session, engagement_id)
    )
    if engagement.deal_type != derived.value:
        _log(
            session,
            now,
            user,
            None,
            "deal_type",
            "deal_type",
            engagement.deal_type,
            derived.value,
            engagement_id=engagement_id,
        )
        engagement.deal_type = derived.value
    return derived


@dataclass(frozen=True)
class _Sender:
    id: str
    name: str
    organization_id: int


def _sender_team(session: Session, row: ReferralRow) -> tuple[list[User], _Sender | None]:
    """R-NOTE-2: the inviting party's team and referral, found through the invitation (on
    PostgreSQL through `cosell_sender`: the sender's row is another organization's)."""
    if row.invitation is None or row.invitation.from_referral_id is None:
        return [], None
    if session.get_bind().dialect.name == "postgresql":
        found = session.execute(
            select(text("id, name, organization_id")).select_from(
                func.cosell_sender(row.id).table_valued("id", "name", "organization_id")
            )
        ).first()
        sender = None if found is None else _Sender(found.id, found.name, found.organization_id)
    else:
        stored = session.get(ReferralRow, row.invitation.from_referral_id)
        sender = None if stored is None else _Sender(stored.id, stored.name, stored.organization_id)
    if sender is None:
        return [], None
    team = [
        queries.to_team_member(member)
        for member in session.scalars(
            select(TeamMemberRow)
            .where(TeamMemberRow.referral_id == sender.id)
            .order_by(TeamMemberRow.id)
        )
    ]
    return notify.team_recipients(queries.users_of(session, sender.organization_id), team), sender


def _tell_sender(
    session: Session,
    now: datetime,
    row: ReferralRow,
    kind: NotificationKind,
    what: str,
    reason: str | None = None,
) -> None:
    """R-NOTE-2: the sending party's team hears the answer, under its own name for the deal."""
    recipients, sender = _sender_team(session, row)
    if sender is None:
        return
    party = _organization_name(session, row.organization_id)
    suffix = f": {reason}" if reason else ""
    message = f"{party} {what.format(deal=f'“{sender.name}”')}{suffix}"
    _notify(session, now, recipients, sender.id, kind, message)


def _organization_name(session: Session, organization_id: int) -> str:
    return session.get_one(OrganizationRow, organization_id).name


def _open_registrations(session: Session, now: datetime, engagement_id: str) -> None:
    """R-REG-3: a registration row exists from the moment a won deal is eligible."""
    session.flush()
    cards = _cards(session, engagement_id)  # another party's deal may become eligible
    vendor_card = next((card for card in cards if card.is_vendor), None)
    for card in cards:
        if card is vendor_card or card.status != Status.WON.value:
            continue
        if session.scalars(
            select(RegistrationRow.id).where(RegistrationRow.referral_id == card.id)
        ).first():
            continue
        eligible = registration.is_eligible(
            status=Status(card.status),
            vendor_direction=Direction(vendor_card.direction) if vendor_card else None,
            vendor_status=Status(vendor_card.status) if vendor_card else None,
            incentive_eligible=(card.incentive_eligible,),
        )
        if eligible:
            session.add(
                RegistrationRow(
                    referral_id=card.id,
                    status=RegistrationStatus.INCOMPLETE.value,
                    created_at=now,
                    version=1,
                )
            )
            _log(
                session,
                now,
                None,
                None,
                "registration_opened",
                engagement_id=engagement_id,
                referral_id=card.id,
            )


# --- organizations and directory ------------------------------------------------------------


@action
def initialize(db: Database, form: OrganizationSetupForm) -> User:
    """`cosell-tui init` / first run (R-UI-8): one organization, its location, its first admin."""
    with db.transaction() as session:
        if session.scalars(select(UserRow.id)).first() is not None:
            raise InvalidState("This database already has users; `init` only sets up an empty one.")
        org = OrganizationRow(
            name=form.organization,
            partner_id=form.partner_id,
            is_vendor=False,
            co_sell_ready=False,
            in_ecosystem=True,
            vetted_for_assessments=False,
        )
        session.add(org)
        session.flush()
        session.add(LocationRow(organization_id=org.id, city=form.city, country=form.country))
        admin = UserRow(
            organization_id=org.id,
            first_name=form.first_name,
            last_name=form.last_name,
            email=form.admin_email,
            phone=form.phone,
            role=Role.PARTNER_ADMIN.value,
            scope_location_id=None,
            email_notifications=True,
        )
        session.add(admin)
        session.flush()
        return queries.to_user(admin)


def _insert_company(session: Session, form: NewCompanyForm, field_prefix: str = "") -> int:
    """Add a customer to the directory; a known D-U-N-S number is refused (R-ORG-3).

    `field_prefix` names where the form sits in a larger one ("new_company." in the wizard's),
    so the refusal lands under the right field.
    """
    if form.duns is not None:
        clash = session.scalars(select(CompanyRow).where(CompanyRow.duns == form.duns)).first()
        if clash is not None:
            raise InvalidInput(
                f"D-U-N-S {form.duns} is already {clash.name}, {clash.city}; pick that "
                "company instead.",
                {f"{field_prefix}duns": "This D-U-N-S number is already in the directory."},
            )
    row = CompanyRow(**form.model_dump(mode="json"))
    session.add(row)
    session.flush()
    return row.id


@action
def add_company(db: Database, actor: User, form: NewCompanyForm) -> int:
    """Add a customer to the directory; a known D-U-N-S number is refused (R-ORG-3)."""
    with db.transaction() as session:
        _actor(session, actor)
        return _insert_company(session, form)


# --- wizard drafts (R-Q-2) -------------------------------------------------------------------


@action
def save_draft(db: Database, actor: User, draft: Draft) -> None:
    """Keep the user's half-filled wizard (one draft per user; a new save replaces it)."""
    now = db.clock.now()
    with db.transaction() as session:
        user = _actor(session, actor)
        data = draft.model_dump_json()
        customer = draft.customer()[:200]
        row = session.get(DraftRow, user.id)
        if row is None:
            session.add(
                DraftRow(
                    user_id=user.id,
                    data=data,
                    step=int(draft.step),
                    customer=customer,
                    updated_at=now,
                )
            )
        else:
            row.data = data
            row.step = int(draft.step)
            row.customer = customer
            row.updated_at = now


def _delete_draft(session: Session, user_id: int) -> None:
    session.execute(delete(DraftRow).where(DraftRow.user_id == user_id))


@action
def discard_draft(db: Database, actor: User) -> None:
    """Drop the user's draft; nothing happens when there is none."""
    with db.transaction() as session:
        _delete_draft(session, actor.id)


# --- creating deals and inviting (§4) -------------------------------------------------------


def _check_solutions(
    session: Session,
    organization: Organization,
    solution_ids: Sequence[int],
    assessment_location_id: int | None,
) -> bool:
    """R-WIZ-5: returns whether this is an assessment deal; refuses bad combinations."""
    chosen = [queries.solution(session, sid) for sid in solution_ids]
    assessments = [s for s in chosen if s.kind is SolutionKind.ASSESSMENT]
    if not assessments:
        if assessment_location_id is not None:
            raise InvalidInput("Only an assessment asks for the location it is for.")
        return False
    if len(chosen) != 1:
        raise InvalidInput(
            "An assessment excludes every other solution: choose exactly one assessment.",
            {"solution_ids": "Choose exactly one assessment, or no assessment."},
        )
    if not organization.vetted_for_assessments:
        raise NotAllowed("Only organizations vetted for assessments can choose an assessment.")
    if assessment_location_id is None or organization.location(assessment_location_id) is None:
        raise InvalidInput(
            "Choose which of your locations the assessment is for.",
            {"assessment_location_id": "Choose one of your organization's locations."},
        )
    return True


def _insert_solutions(
    session: Session,
    referral_id: str,
    solution_ids: Iterable[int],
    assessment_location_id: int | None = None,
) -> None:
    for sid in solution_ids:
        session.add(
            ReferralSolutionRow(
                referral_id=referral_id,
                solution_id=sid,
                assessment_location_id=assessment_location_id,
            )
        )


def _vendor_location(session: Session, vendor: Organization, engagement_id: str) -> int:
    """R-INV-2: the vendor location serving the customer's country, else its first."""
    engagement = session.get_one(EngagementRow, engagement_id)
    country = session.get_one(CompanyRow, engagement.company_id).country
    serving = next((loc for loc in vendor.locations if loc.country == country), None)
    return (serving or vendor.locations[0]).id


def _send_invitation(
    session: Session,
    db: Database,
    user: User,
    inviter: ReferralRow,
    *,
    organization: Organization,
    location_id: int,
    name: str,
    value_cents: int,
    currency: str,
    close_date: date,
    team: Iterable[TeamMemberForm] | Iterable[TeamMemberRow],
    solution_ids: Iterable[int],
    help_requested: HelpType,
    notes: str | None,
) -> ReferralRow:
    """Create the invited party's own inbound referral in the same engagement (§4)."""
    now = db.clock.now()
    invited = ReferralRow(
        id=db.new_id(),
        engagement_id=inviter.engagement_id,
        organization_id=organization.id,
        location_id=location_id,
        name=name,
        value_cents=value_cents,
        currency=currency,
        close_date=close_date,
        help_requested=help_requested.value,
        direction=Direction.INBOUND.value,
        status=Status.RECEIVED.value,
        stage=lifecycle.first_stage(Direction.INBOUND).value,
        created_at=now,
        received_at=now,
        response_deadline=lifecycle.response_deadline(now),
        version=1,
    )
    session.add(invited)
    session.flush()
    for member in team:
        session.add(
            TeamMemberRow(
                referral_id=invited.id,
                organization_id=inviter.organization_id,
                first_name=member.first_name,
                last_name=member.last_name,
                phone=member.phone,
                email=member.email,
            )
        )
    _insert_solutions(session, invited.id, solution_ids)
    session.add(
        InvitationRow(
            referral_id=invited.id,
            from_organization_id=inviter.organization_id,
            from_referral_id=inviter.id,
            from_user_id=user.id,
            help_requested=help_requested.value,
            notes=notes,
            sent_at=now,
        )
    )
    _log(session, now, user, inviter, "invited", "party", None, organization.name)
    _log(
        session,
        now,
        user,
        invited,
        "received",
        "from",
        None,
        _organization_name(session, inviter.organization_id),
    )
    recipients = notify.inbound_recipients(
        queries.users_of(session, organization.id), organization.id, location_id
    )
    _notify(
        session,
        now,
        recipients,
        invited.id,
        NotificationKind.NEW_INBOUND,
        f"New deal from {_organization_name(session, inviter.organization_id)}: {name}",
    )
    return invited


def _invite_vendor(
    session: Session,
    db: Database,
    user: User,
    inviter: ReferralRow,
    organization: Organization,
    help_requested: HelpType,
    notes: str | None,
) -> ReferralRow:
    lifecycle.require_status(Status(inviter.status), Status.ACCEPTED, "invite anyone")
    options = parties.invite_options(
        deal_type=DealType(inviter.engagement.deal_type),
        status=Status(inviter.status),
        direction=Direction(inviter.direction),
        organization=organization,
        parties=_party_states(session, inviter.engagement_id),
    )
    contact = queries.engagement(session, inviter.engagement_id).contact
    creator = inviter.engagement.created_by_organization_id
    if options.vendor and contact is None and creator != inviter.organization_id:
        raise InvalidState(
            "The vendor needs the customer contact, and only "
            f"{_organization_name(session, creator)}, who created the deal, can add it."
        )
    parties.check_vendor_invite(
        options, help_requested, contact, inviter.engagement.contact_consent
    )
    vendor = queries.vendor(session)
    if vendor is None:
        raise InvalidState("This database has no vendor organization to invite.")
    session.flush()
    inviter_team = session.scalars(
        select(TeamMemberRow).where(
            TeamMemberRow.referral_id == inviter.id,
            TeamMemberRow.organization_id == inviter.organization_id,
        )
    ).all()
    return _send_invitation(
        session,
        db,
        user,
        inviter,
        organization=vendor,
        location_id=_vendor_location(session, vendor, inviter.engagement_id),
        name=inviter.name,
        value_cents=inviter.value_cents,
        currency=inviter.currency,
        close_date=inviter.close_date,
        team=list(inviter_team),
        solution_ids=[s.solution_id for s in inviter.solutions] or [],
        help_requested=help_requested,
        notes=notes,
    )


def _invite_partners(
    session: Session,
    db: Database,
    user: User,
    inviter: ReferralRow,
    organization: Organization,
    invites: Sequence[PartnerInviteForm],
) -> list[ReferralRow]:
    lifecycle.require_status(Status(inviter.status), Status.ACCEPTED, "invite anyone")
    options = parties.invite_options(
        deal_type=DealType(inviter.engagement.deal_type),
        status=Status(inviter.status),
        direction=Direction(inviter.direction),
        organization=organization,
        parties=_party_states(session, inviter.engagement_id),
    )
    if not options.partners:
        raise NotAllowed(options.partners_reason or "Partners cannot be invited to this deal.")
    if not invites:
        raise InvalidInput("Choose at least one partner to invite.")
    today = db.clock.now().date()
    sent = []
    for invite in invites:
        engaged = {p.organization_id for p in _party_states(session, inviter.engagement_id)}
        candidate = queries.organization(session, invite.organization_id)
        parties.check_partner_candidate(candidate, organization, engaged)
        if candidate.location(invite.location_id) is None:
            raise InvalidInput(
                f"Choose one of {candidate.name}'s locations.",
                {"location_id": "Not a location of the invited partner."},
            )
        _check_close_date(invite.close_date, today)
        for sid in invite.solution_ids:
            if queries.solution(session, sid).kind is SolutionKind.ASSESSMENT:
                raise InvalidInput("An invited partner cannot be asked for an assessment.")
        sent.append(
            _send_invitation(
                session,
                db,
                user,
                inviter,
                organization=candidate,
                location_id=invite.location_id,
                name=inviter.name,
                value_cents=queries.cents(invite.value),
                currency=invite.currency,
                close_date=invite.close_date,
                team=invite.team,
                solution_ids=invite.solution_ids,
                help_requested=invite.help_requested,
                notes=invite.notes,
            )
        )
    return sent


@action
def create_deal(db: Database, actor: User, form: NewDealForm) -> Referral:
    """The wizard's Create (R-UI-4): the engagement, the creator's referral, every invitation."""
    now = db.clock.now()
    with db.transaction() as session:
        user = _actor(session, actor)
        organization = queries.organization(session, user.organization_id)
        is_assessment = _check_solutions(
            session, organization, form.solution_ids, form.assessment_location_id
        )
        rights.check_create(user, organization, is_assessment)
        details = form.details
        if organization.location(details.location_id) is None:
            raise InvalidInput(
                "Choose one of your organization's locations for the deal.",
                {"details.location_id": "Not one of your organization's locations."},
            )
        _check_close_date(details.close_date, now.date())
        if form.new_company is not None:
            company_id = _insert_company(session, form.new_company, "new_company.")
        elif form.company_id is not None:
            company_id = queries.company(session, form.company_id).id
        else:  # NewDealForm's own check makes this unreachable unless it was bypassed
            raise InvalidInput(
                "Choose the customer from the directory, or add a new company.",
                {"company": "Choose the customer."},
            )
        if is_assessment and (form.partners or form.vendor_help is not HelpType.NONE):
            raise InvalidInput("Solution-assessment deals have no selling step and no invitations.")
        if organization.is_vendor and form.vendor_help is not HelpType.NONE:
            raise InvalidInput("You are the vendor: invite partners instead.")
        if organization.is_vendor and not form.partners:
            raise InvalidInput(SELLER_INVITES, {"partners": SELLER_INVITES})
        if form.contact_consent and form.contact is None:
            raise InvalidInput("Add the customer contact you have consent to share.")

        engagement = EngagementRow(
            id=db.new_id(),
            company_id=company_id,
            contact_name=form.contact.name if form.contact else None,
            contact_phone=form.contact.phone if form.contact else None,
            contact_email=form.contact.email if form.contact else None,
            contact_consent=form.contact_consent,
            created_by_organization_id=organization.id,
            is_assessment=is_assessment,
            deal_type=parties.derive_deal_type(
                is_assessment,
                [parties.PartyState(organization.id, organization.is_vendor, Status.ACCEPTED)],
            ).value,
            created_at=now,
        )
        session.add(engagement)
        row = ReferralRow(
            id=db.new_id(),
            engagement_id=engagement.id,
            organization_id=organization.id,
            location_id=details.location_id,
            name=details.name,
            value_cents=queries.cents(details.value),
            currency=details.currency,
            close_date=details.close_date,
            crm_id=details.crm_id,
            campaign_id=details.campaign_id,
            notes=details.notes,
            help_requested=form.vendor_help.value,
            direction=Direction.OUTBOUND.value,
            status=Status.ACCEPTED.value,  # R-LIFE-2
            stage=Stage.CREATED.value,
            created_at=now,
            responded_at=now,
            version=1,
        )
        session.add(row)
        session.flush()
        session.add_all(_team_rows(row.id, organization.id, form.team))
        _insert_solutions(session, row.id, form.solution_ids, form.assessment_location_id)
        session.add(
            StageMarkRow(
                referral_id=row.id,
                stage=Stage.CREATED.value,
                marked_at=now,
                marked_by_user_id=user.id,
            )
        )
        _log(session, now, user, row, "created", "status", None, Status.ACCEPTED.value)
        session.flush()
        session.refresh(row)
        if form.vendor_help is not HelpType.NONE:
            _invite_vendor(session, db, user, row, organization, form.vendor_help, None)
            _refresh_deal_type(session, now, user, engagement.id)
        if form.partners:
            _invite_partners(session, db, user, row, organization, form.partners)
        _refresh_deal_type(session, now, user, engagement.id)
        _delete_draft(session, user.id)  # R-Q-2: creating the deal removes the draft
        session.flush()
        return queries.referral(session, row.id)


@action
def invite_vendor(
    db: Database,
    actor: User,
    referral_id: str,
    help_requested: HelpType,
    notes: str | None = None,
    version: int | None = None,
) -> Referral:
    """R-INV-2: ask the vendor's sellers for help; returns the vendor's new referral."""
    now = db.clock.now()
    with db.transaction() as session:
        row, _, user = _load(session, actor, referral_id, version, "invite the vendor")
        organization = queries.organization(session, row.organization_id)
        invited = _invite_vendor(session, db, user, row, organization, help_requested, notes)
        if row.direction == Direction.OUTBOUND.value:
            # an invited party's field holds what its inviter asked of it: leave that alone
            _set(session, now, user, row, "help_requested", help_requested.value)
        _bump(row)
        _refresh_deal_type(session, now, user, row.engagement_id)
        return queries.referral(session, invited.id)


@action
def invite_partners(
    db: Database,
    actor: User,
    referral_id: str,
    invites: Sequence[PartnerInviteForm],
    version: int | None = None,
) -> list[Referral]:
    """R-INV-3: invite one or more ecosystem partners; returns their new referrals."""
    now = db.clock.now()
    with db.transaction() as session:
        row, _, user = _load(session, actor, referral_id, version, "invite partners")
        organization = queries.organization(session, row.organization_id)
        sent = _invite_partners(session, db, user, row, organization, invites)
        _bump(row)
        _refresh_deal_type(session, now, user, row.engagement_id)
        return [queries.referral(session, r.id) for r in sent]


@action
def set_customer_contact(
    db: Database,
    actor: User,
    referral_id: str,
    contact: CustomerContact | None,
    consent: bool,
    version: int | None = None,
) -> Referral:
    """R-DEAL-1: the creating organization edits the contact and consent while active."""
    now = db.clock.now()
    with db.transaction() as session:
        row, current, user = _load(
            session, actor, referral_id, version, "edit the customer contact"
        )
        if current.terminal:
            raise InvalidState(f"This deal is {current.status.value}, a final state.")
        engagement = row.engagement
        if engagement.created_by_organization_id != row.organization_id:
            raise NotAllowed(
                "Only the organization that created the deal edits its customer contact."
            )
        if consent and contact is None:
            raise InvalidInput("Add the customer contact you have consent to share.")
        values = {
            "contact_name": contact.name if contact else None,
            "contact_phone": contact.phone if contact else None,
            "contact_email": contact.email if contact else None,
            "contact_consent": consent,
        }
        changed = False
        for name, value in values.items():
            if getattr(engagement, name) != value:
                _log(session, now, user, row, "edited", name, getattr(engagement, name), value)
                setattr(engagement, name, value)
                changed = True
        if changed:
            _bump(row)
        session.flush()
        return queries.referral(session, row.id)


# --- answering an invitation (R-LIFE-3..5) -------------------------------------------------


def _check_not_expired(row: ReferralRow, now: datetime) -> None:
    if lifecycle.is_past_deadline(row.response_deadline, now):
        assert row.response_deadline is not None
        raise InvalidState(
            "The 14 days to answer this invitation ran out on "
            f"{row.response_deadline:%Y-%m-%d %H:%M} UTC; it has expired."
        )


@action
def accept(
    db: Database, actor: User, referral_id: str, form: AcceptForm, version: int | None = None
) -> Referral:
    """R-LIFE-3 Accept: name the deal, adjust terms, add the team; stage Accepted (10 %)."""
    now = db.clock.now()
    with db.transaction() as session:
        row, current, user = _load(session, actor, referral_id, version, "accept this deal")
        lifecycle.require_status(current.status, Status.RECEIVED, "accept it")
        _check_not_expired(row, now)
        _check_close_date(form.close_date, now.date())
        _set_terms(session, now, user, row, form)
        old_team = sorted(m.email for m in row.team if m.organization_id == row.organization_id)
        new_team = sorted(m.email for m in form.team)
        if old_team != new_team:
            _log(
                session,
                now,
                user,
                row,
                "edited",
                "team",
                ", ".join(old_team) or None,
                ", ".join(new_team),
            )
        session.execute(
            delete(TeamMemberRow).where(
                TeamMemberRow.referral_id == row.id,
                TeamMemberRow.organization_id == row.organization_id,
            )
        )
        session.add_all(_team_rows(row.id, row.organization_id, form.team))
        session.add(
            StageMarkRow(
                referral_id=row.id,
                stage=Stage.ACCEPTED.value,
                marked_at=now,
                marked_by_user_id=user.id,
            )
        )
        row.status = Status.ACCEPTED.value
        row.stage = Stage.ACCEPTED.value
        row.responded_at = now
        _bump(row)
        _log(
            session,
            now,
            user,
            row,
            "accepted",
            "status",
            Status.RECEIVED.value,
            Status.ACCEPTED.value,
        )
        _tell_sender(session, now, row, NotificationKind.INVITATION_ACCEPTED, "accepted {deal}")
        _open_registrations(session, now, row.engagement_id)
        session.flush()
        return queries.referral(session, row.id)


def _close(
    session: Session,
    now: datetime,
    user: User | None,
    row: ReferralRow,
    status: Status,
    reason: str | None,
    notes: str | None,
    closed_at: datetime | None = None,
) -> None:
    """Move into a terminal state; everything else about the referral must be written first."""
    session.flush()
    old = row.status
    row.status = status.value
    row.closed_at = closed_at or now
    row.closing_reason = reason
    row.closing_notes = notes
    if status is Status.WON:
        row.stage = Stage.WON.value
    _bump(row)
    _log(session, now, user, row, status.value, "status", old, status.value)
    if reason:
        _log(session, now, user, row, status.value, "reason", None, reason.replace("_", " "))
    session.flush()


@action
def decline(
    db: Database, actor: User, referral_id: str, form: DeclineForm, version: int | None = None
) -> Referral:
    """R-LIFE-3 Decline with a reason (R-LIFE-5); final; the sender is told (R-NOTE-2)."""
    now = db.clock.now()
    with db.transaction() as session:
        row, current, user = _load(session, actor, referral_id, version, "decline this deal")
        lifecycle.require_status(current.status, Status.RECEIVED, "decline it")
        _check_not_expired(row, now)
        row.responded_at = now
        _close(session, now, user, row, Status.DECLINED, form.reason.value, form.notes)
        _tell_sender(
            session,
            now,
            row,
            NotificationKind.INVITATION_DECLINED,
            "declined {deal}",
            form.reason.label,
        )
        _refresh_deal_type(session, now, user, row.engagement_id)
        return queries.referral(session, row.id)


# --- working an accepted deal (R-LIFE-6..8) -----------------------------------------------


@action
def edit(
    db: Database, actor: User, referral_id: str, form: EditForm, version: int | None = None
) -> Referral:
    """R-LIFE-6: edit name, close date, value, notes, CRM and campaign ids (never the location)."""
    now = db.clock.now()
    with db.transaction() as session:
        row, current, user = _load(session, actor, referral_id, version, "edit this deal")
        lifecycle.require_status(current.status, Status.ACCEPTED, "edit it")
        if form.close_date != row.close_date:
            _check_close_date(form.close_date, now.date())
        if _set_terms(session, now, user, row, form):
            _bump(row)
        session.flush()
        return queries.referral(session, row.id)


@action
def add_team_member(
    db: Database, actor: User, referral_id: str, member: TeamMemberForm, version: int | None = None
) -> Referral:
    now = db.clock.now()
    with db.transaction() as session:
        row, current, user = _load(session, actor, referral_id, version, "change the team")
        lifecycle.require_status(current.status, Status.ACCEPTED, "change the team")
        if any(
            m.email == member.email and m.organization_id == row.organization_id for m in row.team
        ):
            raise InvalidInput(
                f"{member.email} is already on the team.", {"email": "Already on the team."}
            )
        session.add_all(_team_rows(row.id, row.organization_id, [member]))
        _log(session, now, user, row, "team_added", "team", None, member.email)
        _bump(row)
        session.flush()
        return queries.referral(session, row.id)


@action
def remove_team_member(
    db: Database, actor: User, referral_id: str, email: str, version: int | None = None
) -> Referral:
    """Remove one of the organization's own people; at least one stays (R-DEAL-2)."""
    now = db.clock.now()
    email = email.strip().lower()
    with db.transaction() as session:
        row, current, user = _load(session, actor, referral_id, version, "change the team")
        lifecycle.require_status(current.status, Status.ACCEPTED, "change the team")
        own = [m for m in row.team if m.organization_id == row.organization_id]
        target = next((m for m in own if m.email == email), None)
        if target is None and any(m.email == email for m in row.team):
            raise InvalidState(
                f"{email} is the inviting organization's contact and stays on the team."
            )
        if target is None:
            raise NotFound(f"{email} is not on this deal's team.")
        if len(own) == 1:
            raise InvalidState("A deal keeps at least one team member; add someone else first.")
        session.delete(target)
        _log(session, now, user, row, "team_removed", "team", email, None)
        _bump(row)
        session.flush()
        return queries.referral(session, row.id)


@action
def set_solutions(
    db: Database,
    actor: User,
    referral_id: str,
    solution_ids: Sequence[int],
    version: int | None = None,
    assessment_location_id: int | None = None,
) -> Referral:
    """Replace the solutions (≥1); an SA deal keeps exactly one assessment (R-DEAL-3, R-WIZ-5)."""
    now = db.clock.now()
    with db.transaction() as session:
        row, current, user = _load(session, actor, referral_id, version, "change the solutions")
        lifecycle.require_status(current.status, Status.ACCEPTED, "change the solutions")
        if not solution_ids or len(set(solution_ids)) != len(solution_ids):
            raise InvalidInput("Choose at least one solution, each once.")
        organization = queries.organization(session, row.organization_id)
        if row.engagement.is_assessment:
            kinds = {queries.solution(session, sid).kind for sid in solution_ids}
            if SolutionKind.ASSESSMENT not in kinds:
                raise InvalidInput(
                    "An assessment deal's assessment can only be replaced by another assessment."
                )
            if assessment_location_id is None:
                assessment_location_id = current.solutions[0].assessment_location_id
            if not _check_solutions(session, organization, solution_ids, assessment_location_id):
                raise InvalidInput(
                    "An assessment deal's assessment can only be replaced by another assessment."
                )
        else:
            for sid in solution_ids:
                if queries.solution(session, sid).kind is SolutionKind.ASSESSMENT:
                    raise InvalidInput("A deal that is not an assessment can never gain one.")
            assessment_location_id = None
        old = sorted(s.solution.id for s in current.solutions)
        if old == sorted(solution_ids) and all(
            s.assessment_location_id == assessment_location_id for s in current.solutions
        ):
            return current  # nothing changed: no log entry, no version bump
        names = {sid: queries.solution(session, sid).name for sid in {*old, *solution_ids}}
        session.execute(
            delete(ReferralSolutionRow).where(ReferralSolutionRow.referral_id == row.id)
        )
        session.flush()
        _insert_solutions(session, row.id, solution_ids, assessment_location_id)
        _log(
            session,
            now,
            user,
            row,
            "edited",
            "solutions",
            ", ".join(names[sid] for sid in old),
            ", ".join(names[sid] for sid in solution_ids),
        )
        _bump(row)
        session.flush()
        session.expire(row, ["solutions"])
        return queries.referral(session, row.id)


@action
def set_stage(
    db: Database, actor: User, referral_id: str, stage: Stage, version: int | None = None
) -> Referral:
    """R-LIFE-7: mark a stage (and every earlier one) or move back while active."""
    now = db.clock.now()
    with db.transaction() as session:
        row, current, user = _load(session, actor, referral_id, version, "change the sales stage")
        direction = Direction(row.direction)
        lifecycle.check_stage_move(
            current.status, direction, Stage(row.stage), stage, current.is_sa
        )
        wanted = {
            s
            for s in lifecycle.markable_stages(direction)
            if lifecycle.stage_rank(s) <= lifecycle.stage_rank(stage)
        }
        marked = {Stage(m.stage): m for m in row.stage_marks}
        for gone in set(marked) - wanted:
            session.delete(marked[gone])
        for new in sorted(wanted - set(marked), key=lifecycle.stage_rank):
            session.add(
                StageMarkRow(
                    referral_id=row.id, stage=new.value, marked_at=now, marked_by_user_id=user.id
                )
            )
        _log(session, now, user, row, "stage", "stage", row.stage, stage.value)
        row.stage = stage.value
        _bump(row)
        session.flush()
        session.expire(row, ["stage_marks"])
        return queries.referral(session, row.id)


@action
def mark_won(
    db: Database,
    actor: User,
    referral_id: str,
    form: WonForm | None = None,
    version: int | None = None,
) -> Referral:
    """Close as won (final); SA deals first need every stage to 80 % (R-LIFE-8)."""
    now = db.clock.now()
    with db.transaction() as session:
        row, current, user = _load(session, actor, referral_id, version, "mark this deal won")
        blocker = lifecycle.won_blocker(current.status, current.stage, current.is_sa)
        if blocker:
            raise InvalidState(blocker)
        marked = {m.stage for m in row.stage_marks}
        for step in lifecycle.stages(Direction(row.direction), current.is_sa):
            if step.stage.value not in marked:
                session.add(
                    StageMarkRow(
                        referral_id=row.id,
                        stage=step.stage.value,
                        marked_at=now,
                        marked_by_user_id=user.id,
                    )
                )
        _close(session, now, user, row, Status.WON, None, form.notes if form else None)
        _open_registrations(session, now, row.engagement_id)
        session.flush()
        return queries.referral(session, row.id)


@action
def mark_lost(
    db: Database, actor: User, referral_id: str, form: LostForm, version: int | None = None
) -> Referral:
    """Close as lost with a reason (R-LIFE-6); final."""
    now = db.clock.now()
    with db.transaction() as session:
        row, current, user = _load(session, actor, referral_id, version, "mark this deal lost")
        lifecycle.require_status(current.status, Status.ACCEPTED, "mark it as lost")
        _close(session, now, user, row, Status.LOST, form.reason.value, form.notes)
        return queries.referral(session, row.id)


# --- shared discussion, favorites, notifications ----------------------------------------


@action
def comment(db: Database, actor: User, referral_id: str, form: CommentForm) -> Comment:
    """R-DEAL-9: any party adds to the discussion while one party's referral is still active."""
    now = db.clock.now()
    with db.transaction() as session:
        user = _actor(session, actor)
        current = queries.referral(session, referral_id)
        if not rights.can_view(user, current):
            raise NotFound("That deal does not exist or you cannot see it.")
        states = _party_states(session, current.engagement_id)
        if all(state.status.terminal for state in states):
            raise InvalidState("Every party has closed this deal; the discussion is over.")
        row = CommentRow(
            engagement_id=current.engagement_id,
            author_user_id=user.id,
            organization_id=user.organization_id,
            body=form.body,
            created_at=now,
        )
        session.add(row)
        session.flush()
        _log(session, now, user, None, "commented", engagement_id=current.engagement_id)
        return next(c for c in queries.comments(session, current.engagement_id) if c.id == row.id)


@action
def toggle_favorite(db: Database, actor: User, referral_id: str) -> bool:
    """R-FAV-1: a per-user mark, allowed on closed deals too; returns the new state."""
    now = db.clock.now()
    with db.transaction() as session:
        user = _actor(session, actor)
        if not rights.can_view(user, queries.referral(session, referral_id)):
            raise NotFound("That deal does not exist or you cannot see it.")
        existing = session.get(FavoriteRow, (user.id, referral_id))
        if existing is not None:
            session.delete(existing)
            return False
        session.add(FavoriteRow(user_id=user.id, referral_id=referral_id, created_at=now))
        return True


@action
def mark_notifications_read(db: Database, actor: User, ids: Iterable[int] | None = None) -> int:
    """Mark some (or all) of the user's unread notifications read; returns how many."""
    now = db.clock.now()
    with db.transaction() as session:
        statement = update(NotificationRow).where(
            NotificationRow.user_id == actor.id, NotificationRow.read_at.is_(None)
        )
        if ids is not None:
            statement = statement.where(NotificationRow.id.in_(list(ids)))
        result = session.execute(statement.values(read_at=now))
        return int(getattr(result, "rowcount", 0) or 0)


# --- the expiry sweep (R-LIFE-4, R-NOTE-4) -------------------------------------------------


@dataclass
class SweepResult:
    expired: list[str] = field(default_factory=list)
    reminded: list[str] = field(default_factory=list)


# Every app instance sweeps (issue 8): on PostgreSQL they take turns on this advisory lock, held
# to the end of the sweep's transaction, and the one that waited reads what the other wrote, so
# nothing expires twice and no reminder goes out twice. SQLite's writers take turns already.
SWEEP_LOCK = 0x636F73656C6C  # "cosell"


def _one_sweep_at_a_time(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(SWEEP_LOCK)))


@action
def expire_overdue(db: Database) -> SweepResult:
    """Expire unanswered invitations at their deadline; remind two days before (R-NOTE-4)."""
    now = db.clock.now()
    result = SweepResult()
    with db.transaction() as session:
        _one_sweep_at_a_time(session)
        due = session.scalars(
            select(ReferralRow)
            .where(
                ReferralRow.status == Status.RECEIVED.value, ReferralRow.response_deadline <= now
            )
            .order_by(ReferralRow.response_deadline, ReferralRow.id)
        ).all()
        for row in due:
            # it expired when the clock reached the deadline, however late the sweep ran
            _close(session, now, None, row, Status.EXPIRED, None, None, row.response_deadline)
            _tell_sender(
                session,
                now,
                row,
                NotificationKind.INVITATION_EXPIRED,
                "let {deal} expire unanswered",
            )
            _refresh_deal_type(session, now, None, row.engagement_id)
            result.expired.append(row.id)
        soon = session.scalars(
            select(ReferralRow)
            .where(
                ReferralRow.status == Status.RECEIVED.value,
                ReferralRow.reminder_sent_at.is_(None),
                ReferralRow.response_deadline <= now + lifecycle.REMINDER_BEFORE,
            )
            .order_by(ReferralRow.response_deadline, ReferralRow.id)
        ).all()
        for row in soon:
            if not lifecycle.reminder_due(row.response_deadline, now):
                continue
            recipients = notify.inbound_recipients(
                queries.users_of(session, row.organization_id), row.organization_id, row.location_id
            )
            _notify(
                session,
                now,
                recipients,
                row.id,
                NotificationKind.EXPIRY_REMINDER,
                f"{row.name} expires in under two days unless you accept or decline it",
            )
            # not a user's edit: no version bump, so nobody's open form goes stale
            session.execute(
                update(ReferralRow)
                .where(ReferralRow.id == row.id)
                .values(reminder_sent_at=now)
                .execution_options(synchronize_session=False)
            )
            result.reminded.append(row.id)
    return result


# --- deal registration (§5) ----------------------------------------------------------------


def _registration_row(session: Session, referral_id: str) -> RegistrationRow:
    row = session.scalars(
        select(RegistrationRow).where(RegistrationRow.referral_id == referral_id)
    ).first()
    if row is None:
        raise InvalidState(
            "This deal cannot be registered: registration needs a won deal with an "
            "incentive-eligible solution whose vendor invitation was accepted by the vendor."
        )
    return row


@action
def register(
    db: Database,
    actor: User,
    referral_id: str,
    form: RegistrationForm,
    version: int | None = None,
) -> Registration:
    """Submit (or resubmit after the vendor asked for changes) a won deal's registration."""
    now = db.clock.now()
    with db.transaction() as session:
        user = _actor(session, actor)
        current = queries.referral(session, referral_id)
        if not rights.can_view(user, current):
            raise NotFound("That deal does not exist or you cannot see it.")
        rights.require_act(user, current, "register this deal")
        row = _registration_row(session, referral_id)
        if version is not None and row.version != version:
            raise Conflict("Someone else changed this registration; reload it and try again.")
        eligible_ids = {s.solution.id for s in current.solutions if s.solution.incentive_eligible}
        if form.solution_id not in eligible_ids:
            raise InvalidInput(
                "Choose one of the deal's incentive-eligible solutions.",
                {"solution_id": "Not an eligible solution of this deal."},
            )
        old = row.status
        new = registration.after_submit(RegistrationStatus(row.status))
        row.form_json = form.model_dump_json()
        row.status = new.value
        row.submitted_at = now
        row.message = None
        row.version += 1
        session.add(
            ActivityRow(
                referral_id=referral_id,
                engagement_id=current.engagement_id,
                user_id=user.id,
                at=now,
                action="registration",
                field="registration",
                old=old,
                new=new.value,
            )
        )
        session.flush()
        return queries.to_registration(row)


@action
def review_registration(
    db: Database,
    actor: User,
    referral_id: str,
    decision: registration.ReviewAction,
    message: str | None = None,
    version: int | None = None,
) -> Registration:
    """The vendor's review (R-REG-3): approve a step, ask for changes, or reject."""
    now = db.clock.now()
    with db.transaction() as session:
        user = _actor(session, actor)
        organization = queries.organization(session, user.organization_id)
        if not rights.can_review_registrations(user, organization):
            raise NotAllowed("Only the vendor's sellers review registrations.")
        current = queries.referral(session, referral_id)
        states = _party_states(session, current.engagement_id)
        if not any(s.is_vendor for s in states):
            raise NotFound("That registration does not exist or you cannot see it.")
        row = _registration_row(session, referral_id)
        if version is not None and row.version != version:
            raise Conflict("Someone else reviewed this registration; reload it and try again.")
        needs_message = decision is not registration.ReviewAction.APPROVE
        text = (message or "").strip() or None
        if needs_message and text is None:
            raise InvalidInput(
                "Say what must change, or why the registration is rejected.",
                {"message": "A message is required."},
            )
        old = row.status
        new = registration.after_review(RegistrationStatus(row.status), decision)
        row.status = new.value
        row.message = text if needs_message else None
        if new.final:
            row.decided_at = now
        row.version += 1
        session.add(
            ActivityRow(
                referral_id=referral_id,
                engagement_id=current.engagement_id,
                user_id=user.id,
                at=now,
                action="registration",
                field="registration",
                old=old,
                new=new.value,
            )
        )
        kinds = {
            RegistrationStatus.ACTION_REQUIRED: NotificationKind.REGISTRATION_ACTION_REQUIRED,
            RegistrationStatus.APPROVED: NotificationKind.REGISTRATION_APPROVED,
            RegistrationStatus.REJECTED: NotificationKind.REGISTRATION_REJECTED,
        }
        if new in kinds:
            contact = (
                RegistrationForm.model_validate_json(row.form_json).contact_email
                if row.form_json
                else None
            )
            recipients = notify.registration_recipients(
                queries.users_of(session, current.organization_id),
                current.team,
                contact,
                current.organization_id,
            )
            suffix = f": {text}" if text else ""
            _notify(
                session,
                now,
                recipients,
                referral_id,
                kinds[new],
                f"Registration of {current.name} is {new.label.lower()}{suffix}",
            )
        session.flush()
        return queries.to_registration(row)
