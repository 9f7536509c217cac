"""One exported referral, shaped like the vendor's Referrals API (SPEC §10, issue 7).

The vendor's field names (`id`, `engagementId`, `name`, `status`, `substatus`,
`customerProfile`, `details`, `team`, `inviteContext`, `externalReferenceId`, …) carry what
they carry in the API; this app's own fields (`dealType`, `salesStage`, `location`,
`parties`, `registration`, …) sit beside them. The same model validates what `import`
reads, so whatever `export` writes can be read back field for field; docs/exchange.md lists
every field.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
)
from pydantic.alias_generators import to_camel

from cosell_tui.domain.enums import (
    CompanySize,
    DealType,
    DeclineReason,
    Direction,
    HelpType,
    LostReason,
    RegistrationStatus,
    SolutionKind,
    Stage,
    Status,
)
from cosell_tui.domain.lifecycle import STAGE_NAMES, STAGE_PERCENT, first_stage
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
)

FORMAT = "cosell-tui referrals 1"

# R-LIFE-9 / issue 7: the API's status and substatus of each of our statuses.
API_STATUS = {
    Status.RECEIVED: ("New", "Received"),
    Status.ACCEPTED: ("Active", "Accepted"),
    Status.WON: ("Closed", "Won"),
    Status.LOST: ("Closed", "Lost"),
    Status.DECLINED: ("Closed", "Declined"),
    Status.EXPIRED: ("Closed", "Expired"),
}
_BY_SUBSTATUS = {sub.casefold(): status for status, (_, sub) in API_STATUS.items()}
API_DIRECTION = {Direction.INBOUND: "Incoming", Direction.OUTBOUND: "Outgoing"}
_BY_DIRECTION = {
    **{name.casefold(): direction for direction, name in API_DIRECTION.items()},
    **{direction.value: direction for direction in Direction},
}
# R-LIFE-8: the Referrals API's own stage names.
_API_STAGES = {
    "qualify": Stage.QUALIFIED,
    "develop": Stage.DEVELOPED,
    "propose": Stage.PROPOSED,
    "close": Stage.NEGOTIATED,
}
_STAGE_WORDS = {
    **{stage.value: stage for stage in Stage},
    **{STAGE_NAMES[stage].casefold(): stage for stage in Stage},
    **_API_STAGES,
}
_STAGES_BY_PERCENT = sorted(
    ((STAGE_PERCENT[s], s) for s in Stage if s not in (Stage.CREATED, Stage.ACCEPTED)),
    reverse=True,
)


def _moment(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# What a few validators made of each text they saw, up to a bound: a large file repeats its
# date-times, enum spellings and stages record after record (and shares the date-times made).
_SEEN_MAX = 65_536
_MOMENTS: dict[str, datetime] = {}
_ENUM_TEXTS: dict[str, str] = {}
_STAGES: dict[str, Stage] = {}


def _remember(seen: dict[str, Any], text: str, value: Any) -> Any:
    if len(seen) < _SEEN_MAX:
        seen[text] = value
    return value


def _aware(value: Any) -> Any:
    """ISO 8601 date-times; one without a zone is read as UTC, as the API writes them."""
    if isinstance(value, str):
        seen = _MOMENTS.get(value)
        if seen is not None:
            return seen
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(
                "Enter a date and time as ISO 8601, e.g. 2026-11-27T09:00:00Z."
            ) from None
        return _remember(_MOMENTS, value, moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    raise ValueError("Enter a date and time as ISO 8601, e.g. 2026-11-27T09:00:00Z.")


Moment = Annotated[
    datetime, BeforeValidator(_aware), PlainSerializer(_moment, return_type=str, when_used="json")
]


def _money(value: Decimal) -> int | float:
    """A JSON number: exact, as the value has at most two decimals (R-Q-1)."""
    return int(value) if value == value.to_integral_value() else float(value)


Money = Annotated[Amount, PlainSerializer(_money, when_used="json")]


def _enum_text(value: Any) -> Any:
    """Our enum values, however a CRM capitalises or spaces them ("Lost to competitor")."""
    if isinstance(value, str):
        seen = _ENUM_TEXTS.get(value)
        if seen is not None:
            return seen
        text = value.strip().casefold().replace(" ", "_").replace("-", "_")
        return _remember(_ENUM_TEXTS, value, text)
    return value


def _stage(value: Any) -> Any:
    """R-LIFE-8: our stage names, the API's Qualify/Develop/Propose/Close, or a percentage
    (the highest stage not above it)."""
    if isinstance(value, Stage):
        return value
    if isinstance(value, str) and value in _STAGES:
        return _STAGES[value]
    text = str(value).strip().casefold().removesuffix("%").strip()
    if text in _STAGE_WORDS:
        stage = _STAGE_WORDS[text]
        return _remember(_STAGES, value, stage) if isinstance(value, str) else stage
    try:
        percent = Decimal(text)
    except ArithmeticError:
        percent = None
    if percent is not None and 0 <= percent <= 100:
        for weight, stage in _STAGES_BY_PERCENT:
            if weight <= percent:
                return stage
        return Stage.ACCEPTED  # below 20 %: the bottom rung
    raise ValueError(
        "Use a sales stage (Qualified, Developed, Proposed, Negotiated, Won), the API's "
        "Qualify/Develop/Propose/Close, or a percentage."
    )


StageName = Annotated[
    Stage, BeforeValidator(_stage), PlainSerializer(lambda s: STAGE_NAMES[s], return_type=str)
]


ApiDirection = Annotated[
    Direction,
    BeforeValidator(lambda v: _BY_DIRECTION.get(_enum_text(v), v)),
    PlainSerializer(lambda d: API_DIRECTION[d], return_type=str),
]
Substatus = Annotated[
    Status,
    BeforeValidator(lambda v: _BY_SUBSTATUS.get(_enum_text(v), v)),
    PlainSerializer(lambda s: API_STATUS[s][1], return_type=str),
]


_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _uuid(value: Any) -> Any:
    """An id as export writes it (lower-case, hyphenated), or any spelling of a UUID."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and _CANONICAL_UUID.fullmatch(value):
        return value
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise ValueError("An id is a UUID, e.g. 3f2b8c1e-5d4a-4f6b-9a7e-2c1d0b9e8f7a.") from None


Uuid = Annotated[str | None, BeforeValidator(_uuid)]


class Part(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )


class WidePart(Part):
    """A part of many fields, one (or more) per record: with every field given (what export
    writes), it shares one set of their names with the others of its kind. Pydantic gives
    each model a set of its own: 2 KB for a record's 24 fields, 3.6 of the 8 KB a record
    took. Parts are frozen, so nothing changes the set."""

    def model_post_init(self, context: Any, /) -> None:
        given = self.__pydantic_fields_set__
        every = _EVERY_FIELD.get(type(self))
        if every is None:
            every = _EVERY_FIELD[type(self)] = set(type(self).model_fields)
        if given is not every and len(given) == len(every):
            object.__setattr__(self, "__pydantic_fields_set__", every)


_EVERY_FIELD: dict[type[WidePart], set[str]] = {}


_SHARED: dict[tuple[type, str], Any] = {}
_SHARED_MAX = 20_000


def _once(model: type[Part]) -> WrapValidator:
    """A part many records repeat (a customer, a team member, a solution, an organization):
    validated once per distinct value, the frozen result shared — quicker and smaller for a
    large import, where the same few hundred of them come back on every record."""

    def validate(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        if not isinstance(value, dict):
            return handler(value)
        key = (model, repr(value))  # the same exporter writes the same order: a miss otherwise
        found = _SHARED.get(key)
        if found is None:
            found = handler(value)
            if len(_SHARED) < _SHARED_MAX:
                _SHARED[key] = found
        return found

    return WrapValidator(validate)


class Place(Part):
    city: Name
    country: Country


class OrganizationRef(Part):
    name: Name
    partner_id: PartnerId = None
    is_vendor: bool = False


SharedPlace = Annotated[Place, _once(Place)]
SharedOrganization = Annotated[OrganizationRef, _once(OrganizationRef)]


class Person(Part):
    first_name: Name
    last_name: Name
    phone_number: Phone
    email: Email
    # set for the inviting organization's people on an invited party's team (R-DEAL-2)
    organization: SharedOrganization | None = None


class Contact(Part):
    """The customer contact: our one name field as the API's first and last name."""

    first_name: Name
    last_name: OptionalName = None
    phone_number: Phone
    email: Email


class Address(Part):
    address_line1: Name
    city: Name
    state: OptionalName = None
    postal_code: OptionalName = None
    country: Country


class CustomerIds(Part):
    duns: Duns = None


class CustomerProfile(Part):
    name: Name
    address: Address
    size: Annotated[CompanySize | None, BeforeValidator(lambda v: v or None)] = None
    ids: CustomerIds = CustomerIds()
    team: list[Annotated[Contact, _once(Contact)]] = Field(default_factory=list, max_length=1)


class Consent(Part):
    consent_to_share_referral_with_microsoft_sellers: bool = False


class SolutionRef(Part):
    id: int | None = None
    name: Name
    publisher: SharedOrganization
    kind: Annotated[SolutionKind, BeforeValidator(_enum_text)] = SolutionKind.PARTNER
    incentive_eligible: bool = False
    assessment_location: SharedPlace | None = None


class Requirements(Part):
    solutions: list[Annotated[SolutionRef, _once(SolutionRef)]] = Field(min_length=1)


class Details(WidePart):
    deal_value: Money
    currency: Currency
    closing_date_time: CalendarDate
    notes: LongText = None
    campaign_id: OptionalName = None
    help_requested: Annotated[HelpType, BeforeValidator(_enum_text)] = HelpType.NONE
    requirements: Requirements

    @field_validator("closing_date_time", mode="before")
    @classmethod
    def _date_part(cls, value: Any) -> Any:
        """The API writes the close date as a date-time; we keep its date."""
        if isinstance(value, str) and "T" in value:
            return value.split("T", 1)[0]
        return value


class InviteContext(WidePart):
    invited_by: SharedOrganization
    invited_by_user: Email | None = None
    notes: LongText = None
    help_requested: Annotated[HelpType, BeforeValidator(_enum_text)] = HelpType.NONE
    sent_date_time: Moment | None = None


class StageMarkOut(Part):
    stage: StageName
    marked_date_time: Moment


class SalesStage(Part):
    stage: StageName
    percent: int | None = None  # written for people reading the file; the stage decides
    marks: list[StageMarkOut] = Field(default_factory=list)


class PartyOut(WidePart):
    """Another party's card (R-INV-4): who it is, where, and its answer — nothing private."""

    id: Uuid = None  # its referral's
    organization: SharedOrganization
    location: SharedPlace | None = None
    created_date_time: Moment | None = None
    direction: ApiDirection
    status: Annotated[Status, BeforeValidator(_enum_text)]
    invited_by: SharedOrganization | None = None
    help_requested: Annotated[HelpType, BeforeValidator(_enum_text)] = HelpType.NONE


class RegistrationOut(Part):
    status: Annotated[RegistrationStatus, BeforeValidator(_enum_text)]
    form: dict[str, Any] | None = None
    message: LongText = None
    created_date_time: Moment | None = None
    submitted_date_time: Moment | None = None
    decided_date_time: Moment | None = None


_LOST_REASONS = {r.value: None for r in LostReason}  # in order, for the message
_DECLINE_REASONS = {r.value: None for r in DeclineReason}


class ReferralRecord(WidePart):
    """One referral: the API's fields, then ours."""

    id: Uuid = None
    engagement_id: Uuid = None
    name: Name
    status: Literal["New", "Active", "Closed"] | None = None
    substatus: Substatus
    status_reason: Annotated[str | None, BeforeValidator(_enum_text)] = None
    closing_notes: LongText = None
    direction: ApiDirection
    external_reference_id: OptionalName = None
    created_date_time: Moment | None = None
    received_date_time: Moment | None = None
    responded_date_time: Moment | None = None
    closed_date_time: Moment | None = None
    expiration_date_time: Moment | None = None
    customer_profile: Annotated[CustomerProfile, _once(CustomerProfile)]
    consent: Consent = Consent()
    details: Details
    team: list[Annotated[Person, _once(Person)]] = Field(default_factory=list)
    invite_context: InviteContext | None = None
    # --- this app's own fields
    deal_type: Annotated[DealType | None, BeforeValidator(_enum_text)] = None
    sales_stage: SalesStage | None = None
    location: SharedPlace
    parties: list[PartyOut] = Field(default_factory=list)
    registration: RegistrationOut | None = None

    def problems(self) -> list[tuple[str, str]]:
        """What does not hold together, by field (the model checks each field alone)."""
        found: list[tuple[str, str]] = []
        status = self.substatus
        if self.status is not None and self.status != API_STATUS[status][0]:
            found.append(
                ("status", f"{self.status} does not go with substatus {API_STATUS[status][1]}.")
            )
        if self.direction is Direction.OUTBOUND and status in (
            Status.RECEIVED,
            Status.DECLINED,
            Status.EXPIRED,
        ):
            found.append(
                (
                    "direction",
                    f"A {status.value} deal is an invitation: an incoming one (Incoming).",
                )
            )
        if self.direction is Direction.INBOUND and self.invite_context is None:
            found.append(("inviteContext", "An incoming deal needs who invited it."))
        reason = self.status_reason
        if status is Status.LOST:
            if reason not in _LOST_REASONS:
                found.append(("statusReason", "Use one of " + ", ".join(_LOST_REASONS) + "."))
            elif reason == LostReason.OTHER and not self.closing_notes:
                found.append(("closingNotes", "A deal lost for reason other needs notes."))
        elif status is Status.DECLINED:
            if reason not in _DECLINE_REASONS:
                found.append(("statusReason", "Use one of " + ", ".join(_DECLINE_REASONS) + "."))
        elif reason is not None:
            found.append(("statusReason", "Only lost and declined deals carry a reason."))
        if self.registration is not None and status is not Status.WON:
            found.append(("registration", "Only a won deal carries a registration."))
        return found

    @property
    def stage(self) -> Stage:
        if self.substatus is Status.WON:
            return Stage.WON
        bottom = first_stage(self.direction)
        if self.substatus in (Status.RECEIVED, Status.DECLINED, Status.EXPIRED):
            return bottom  # never accepted: the bottom rung, whatever a file says
        if self.sales_stage is None or self.sales_stage.stage in (Stage.CREATED, Stage.ACCEPTED):
            return bottom
        return self.sales_stage.stage
