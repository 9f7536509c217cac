"""The entities of SPEC §2 as immutable pydantic models, plus the forms users fill in."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cosell_tui.domain.codes import COUNTRIES
from cosell_tui.domain.enums import (
    ADMIN_ROLES,
    CompanySize,
    ContractType,
    DealType,
    DeclineReason,
    DeployedOn,
    DeployedWhere,
    Direction,
    HelpType,
    LostReason,
    NotificationKind,
    RegistrationStatus,
    Role,
    SolutionKind,
    Stage,
    Status,
)
from cosell_tui.domain.validation import (
    Amount,
    CalendarDate,
    Country,
    Currency,
    Duns,
    Email,
    LongText,
    Name,
    OptionalName,
    PartnerId,
    Phone,
    RequiredText,
)


class Record(BaseModel):
    """An entity read from the store: frozen, so widgets can hold it safely."""

    # built on first use, not at import: the app imports every model after its first frame
    # and uses a few of them at once (issue 6)
    model_config = ConfigDict(frozen=True, defer_build=True)


class Form(BaseModel):
    """What a user typed; validation messages are written for them."""

    model_config = ConfigDict(str_strip_whitespace=False, extra="forbid", defer_build=True)


# --- organizations, people, directory, catalog (R-ORG-*) ---------------------------------


class Location(Record):
    id: int
    organization_id: int
    city: str
    country: str

    @property
    def label(self) -> str:
        return f"{self.city}, {self.country}"

    @property
    def country_name(self) -> str:
        return COUNTRIES.get(self.country, self.country)


class Organization(Record):
    id: int
    name: str
    partner_id: str | None
    is_vendor: bool
    co_sell_ready: bool
    in_ecosystem: bool
    vetted_for_assessments: bool
    locations: tuple[Location, ...] = ()

    def location(self, location_id: int) -> Location | None:
        return next((loc for loc in self.locations if loc.id == location_id), None)


class User(Record):
    id: int
    organization_id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    role: Role
    scope_location_id: int | None  # None: global scope
    email_notifications: bool

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def is_admin(self) -> bool:
        """Admins act on every referral of their organization (R-ACL-2)."""
        return self.role in ADMIN_ROLES

    def in_scope(self, location_id: int) -> bool:
        return self.scope_location_id is None or self.scope_location_id == location_id


class Company(Record):
    id: int
    name: str
    address_line: str
    city: str
    state: str | None
    postal_code: str | None
    country: str
    size: CompanySize | None
    duns: str | None

    @property
    def address(self) -> str:
        parts = [self.address_line, self.city, self.state, self.postal_code, self.country]
        return ", ".join(part for part in parts if part)


class Solution(Record):
    id: int
    name: str
    organization_id: int
    kind: SolutionKind
    incentive_eligible: bool


# --- deals ---------------------------------------------------------------------------------


class TeamMember(Record):
    first_name: str
    last_name: str
    phone: str
    email: str
    organization_id: int  # another organization's people hold no rights here (R-DEAL-2)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class ReferralSolution(Record):
    solution: Solution
    assessment_location_id: int | None = None  # R-WIZ-5: the location an assessment is for


class StageMark(Record):
    stage: Stage
    marked_at: datetime


class Invitation(Record):
    """Stored on the invited party's referral: who asked, what help, why (§4)."""

    from_organization_id: int
    from_referral_id: str | None
    from_user_id: int | None
    help_requested: HelpType
    notes: str | None
    sent_at: datetime


class CustomerContact(Form):
    name: Name
    phone: Phone
    email: Email


class Engagement(Record):
    id: str
    company: Company
    contact: CustomerContact | None
    contact_consent: bool
    created_by_organization_id: int
    deal_type: DealType
    created_at: datetime


class Referral(Record):
    """One organization's side of an engagement — the UI's 'deal' (R-DEAL-2)."""

    id: str
    engagement_id: str
    organization_id: int
    location_id: int
    name: str
    value: Decimal
    currency: str
    close_date: date
    crm_id: str | None
    campaign_id: str | None
    notes: str | None
    help_requested: HelpType
    direction: Direction
    status: Status
    stage: Stage
    deal_type: DealType
    created_at: datetime
    received_at: datetime | None
    responded_at: datetime | None
    closed_at: datetime | None
    response_deadline: datetime | None
    closing_reason: str | None
    closing_notes: str | None
    version: int
    team: tuple[TeamMember, ...] = ()
    solutions: tuple[ReferralSolution, ...] = ()
    stage_marks: tuple[StageMark, ...] = ()
    invitation: Invitation | None = None

    @property
    def terminal(self) -> bool:
        return self.status.terminal

    @property
    def is_sa(self) -> bool:
        return self.deal_type is DealType.SOLUTION_ASSESSMENT

    def on_team(self, user: User) -> bool:
        """R-ORG-2: a user is on the team when a member of its own organization has its email."""
        return any(
            m.email == user.email and m.organization_id == user.organization_id for m in self.team
        )


class Party(Record):
    """What one party of an engagement may show the others (R-INV-4): never notes or CRM ids."""

    referral_id: str
    organization_id: int
    organization_name: str
    is_vendor: bool
    location_label: str
    direction: Direction
    status: Status
    invited_by_organization_id: int | None
    help_requested: HelpType


class Comment(Record):
    id: int
    engagement_id: str
    author_user_id: int
    author_name: str
    organization_name: str
    body: str
    created_at: datetime


class ActivityEntry(Record):
    id: int
    referral_id: str | None
    engagement_id: str | None
    user_id: int | None
    at: datetime
    action: str
    field: str | None
    old: str | None
    new: str | None


class Notification(Record):
    id: int
    user_id: int
    referral_id: str
    kind: NotificationKind
    message: str
    created_at: datetime
    read_at: datetime | None


class Registration(Record):
    id: int
    referral_id: str
    status: RegistrationStatus
    form: RegistrationForm | None
    message: str | None  # the vendor's request for changes, or the rejection reason
    submitted_at: datetime | None
    decided_at: datetime | None
    version: int


# --- forms ---------------------------------------------------------------------------------


class TeamMemberForm(Form):
    first_name: Name
    last_name: Name
    phone: Phone
    email: Email


class NewCompanyForm(Form):
    name: Name
    address_line: Name
    city: Name
    state: OptionalName = None
    postal_code: OptionalName = None
    country: Country
    size: CompanySize | None = None
    duns: Duns = None


class DealDetailsForm(Form):
    name: Name
    location_id: int
    value: Amount
    currency: Currency
    close_date: CalendarDate
    crm_id: OptionalName = None
    campaign_id: OptionalName = None
    notes: LongText = None


def _unique_team(team: list[TeamMemberForm]) -> None:
    emails = [member.email for member in team]
    duplicate = next((e for e in emails if emails.count(e) > 1), None)
    if duplicate:
        raise ValueError(f"{duplicate} is on the team twice; list each person once.")


class PartnerInviteForm(Form):
    """One invited partner's terms (R-INV-3)."""

    organization_id: int
    location_id: int
    close_date: CalendarDate
    value: Amount
    currency: Currency
    notes: LongText = None
    team: list[TeamMemberForm] = Field(min_length=1)
    solution_ids: list[int] = Field(min_length=1)
    help_requested: HelpType = HelpType.GENERAL_OR_OTHER

    @model_validator(mode="after")
    def _team_once(self) -> Self:
        _unique_team(self.team)
        return self


class NewDealForm(Form):
    """Everything the creation wizard collects (R-UI-4); one service call creates it all."""

    company_id: int | None = None  # a directory company, or
    new_company: NewCompanyForm | None = None  # one added to the directory with the deal
    contact: CustomerContact | None = None
    contact_consent: bool = False
    details: DealDetailsForm
    team: list[TeamMemberForm] = Field(min_length=1)
    solution_ids: list[int] = Field(min_length=1)
    assessment_location_id: int | None = None
    vendor_help: HelpType = HelpType.NONE  # anything but none invites the vendor
    partners: list[PartnerInviteForm] = []

    @model_validator(mode="after")
    def _checks(self) -> Self:
        if (self.company_id is None) == (self.new_company is None):
            raise ValueError("Choose the customer from the directory, or add a new company.")
        _unique_team(self.team)
        if len(set(self.solution_ids)) != len(self.solution_ids):
            raise ValueError("A solution is listed twice; choose each solution once.")
        invited = [p.organization_id for p in self.partners]
        if len(set(invited)) != len(invited):
            raise ValueError("A partner is invited twice; invite each partner once.")
        return self


class AcceptForm(Form):
    """R-LIFE-3: the receiver names its side and may adjust value, date and notes."""

    name: Name
    value: Amount
    currency: Currency
    close_date: CalendarDate
    notes: LongText = None
    crm_id: OptionalName = None
    campaign_id: OptionalName = None
    team: list[TeamMemberForm] = Field(min_length=1)

    @model_validator(mode="after")
    def _team_once(self) -> Self:
        _unique_team(self.team)
        return self


class DeclineForm(Form):
    reason: DeclineReason
    notes: LongText = None


class EditForm(Form):
    """R-LIFE-6: what an accepted referral's party may edit (never the location)."""

    name: Name
    value: Amount
    currency: Currency
    close_date: CalendarDate
    notes: LongText = None
    crm_id: OptionalName = None
    campaign_id: OptionalName = None


class LostForm(Form):
    reason: LostReason
    notes: LongText = None

    @model_validator(mode="after")
    def _other_needs_notes(self) -> Self:
        if self.reason is LostReason.OTHER and not self.notes:
            raise ValueError("Say why the deal was lost when the reason is Other.")
        return self


class WonForm(Form):
    notes: LongText = None


class CommentForm(Form):
    body: RequiredText


class RegistrationForm(Form):
    """R-REG-2: all fields required; dates consistent (signed ≤ start ≤ end)."""

    customer_name: Name
    country: Country
    city: Name
    state: Name
    solution_id: int
    contract_type: ContractType
    total_value: Amount
    currency: Currency
    solution_value: Amount
    deployed_on: DeployedOn
    deployed_where: DeployedWhere
    contract_start: CalendarDate
    contract_end: CalendarDate | None = None
    perpetual: bool = False
    signed_on: CalendarDate
    contact_first_name: Name
    contact_last_name: Name
    contact_phone: Phone
    contact_email: Email
    named_in_contract: bool

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.solution_value > self.total_value:
            raise ValueError("The solution value cannot exceed the total contract value.")
        if self.perpetual and self.contract_end is not None:
            raise ValueError("A perpetual contract has no end date; clear one of the two.")
        if not self.perpetual and self.contract_end is None:
            raise ValueError("Enter the contract end date, or mark the contract perpetual.")
        if self.signed_on > self.contract_start:
            raise ValueError("The contract must be signed on or before its start date.")
        if self.contract_end is not None and self.contract_end < self.contract_start:
            raise ValueError("The contract end date must be on or after its start date.")
        if not self.named_in_contract:
            raise ValueError(
                "Confirm that your company and the solution are named in the customer contract."
            )
        return self


class ReviewDecision(Form):
    """The vendor's review of a registration (R-REG-3)."""

    message: LongText = None


class OrganizationSetupForm(Form):
    """`cosell-tui init` and the first-run form (R-UI-8)."""

    organization: Name
    partner_id: PartnerId = None
    city: Name
    country: Country
    admin_email: Email
    first_name: Name
    last_name: Name
    phone: Phone


class DealRow(Record):
    """One line of a deal list (R-UI-1): only what the table shows."""

    id: str
    name: str
    customer: str
    deal_type: DealType
    status: Status
    stage: Stage
    value: Decimal
    currency: str
    close_date: date
    direction: Direction
    response_deadline: datetime | None
    favorite: bool

    @property
    def terminal(self) -> bool:
        return self.status.terminal

    def overdue(self, today: date) -> bool:
        """R-UI-1: an active deal whose close date has passed."""
        return not self.terminal and self.close_date < today


class Favorite(Record):
    """R-FAV-1: one user's mark on one referral."""

    user_id: int
    referral_id: str
    created_at: datetime


class ValueTotal(Record):
    """A tab's value and weighted value in one currency (never summed across currencies)."""

    currency: str
    total: Decimal
    weighted: Decimal
