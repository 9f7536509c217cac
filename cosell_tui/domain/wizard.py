"""The deal-creation wizard's rules (R-UI-4, R-WIZ-5, R-Q-1, R-Q-2), apart from any screen.

A `Draft` holds what the user typed, as typed: strings that may not be valid yet, so the
draft saved to the database (R-Q-2) and the fields on screen never lose a keystroke. Each
step is checked by `step_errors` with the same pydantic models the services use; `to_form`
turns a finished draft into the one `NewDealForm` that `services.create_deal` takes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import IntEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from cosell_tui.domain.enums import HelpType, SolutionKind
from cosell_tui.domain.errors import InvalidInput
from cosell_tui.domain.models import (
    CustomerContact,
    DealDetailsForm,
    NewCompanyForm,
    NewDealForm,
    Organization,
    PartnerInviteForm,
    Solution,
    TeamMemberForm,
)
from cosell_tui.domain.validation import FORM_FIELD, field_messages, invalid_input

DRAFT_VERSION = 1


class Step(IntEnum):
    CUSTOMER = 1
    DETAILS = 2
    TEAM = 3
    SOLUTIONS = 4
    SELLING = 5
    REVIEW = 6

    @property
    def title(self) -> str:
        return {
            Step.CUSTOMER: "Customer",
            Step.DETAILS: "Deal details",
            Step.TEAM: "Team",
            Step.SOLUTIONS: "Solutions",
            Step.SELLING: "Selling",
            Step.REVIEW: "Review",
        }[self]

    @property
    def indicator(self) -> str:
        """'2 of 6 · Deal details'."""
        return f"{self.value} of {len(Step)} · {self.title}"


PAST_CLOSE_DATE = "Choose today or a later date."
PICK_COMPANY = "Choose the customer from the suggestions, or add a new company."
CONTACT_INCOMPLETE = "Fill in the contact's name, phone and email, or leave all three empty."
CONSENT_WITHOUT_CONTACT = "Consent is about a contact: add the customer contact first."
VENDOR_NEEDS_CONTACT = (
    "Inviting the vendor needs the customer contact (name, phone, email) and the customer's "
    "consent to share it: add them on step 1, Customer."
)
NOT_CO_SELL_READY = "Only co-sell-ready organizations can invite the vendor."
PICK_LOCATION = "Choose one of your organization's locations."
PICK_ASSESSMENT_LOCATION = "Choose which of your locations the assessment is for."
ONE_ASSESSMENT = "An assessment excludes every other solution: choose exactly one assessment."
PRIVATE_NOT_REGISTERABLE = (
    "A private deal can never be registered: the incentive-eligible solutions on it earn "
    "nothing unless the vendor is invited."
)
SELLER_INVITES = (
    "Invite at least one partner: the vendor's deals are co-sell opportunities shared with "
    "partners (a deal without one would be private, and the vendor never sees private deals)."
)
MEMBER_NOT_ADDED = "Add this person to the team (enter or ctrl+t) or clear the fields."
PARTNER_TWICE = "A partner is invited twice; invite each partner once."
OWN_ORGANIZATION_INVITED = "Invite other partners; your own organization is already on the deal."


class Typed(BaseModel):
    """Raw values of a sub-form, as typed."""

    model_config = ConfigDict(extra="ignore")


class DraftMember(Typed):
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    email: str = ""

    def is_empty(self) -> bool:
        return not any(v.strip() for v in (self.first_name, self.last_name, self.phone, self.email))


class DraftCompany(Typed):
    """A customer that is not in the directory yet; added to it when the deal is created."""

    name: str = ""
    address_line: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""
    size: str | None = None
    duns: str = ""


class Draft(Typed):
    """Everything the wizard holds, as typed; saved as JSON (R-Q-2)."""

    version: int = DRAFT_VERSION
    step: Step = Step.CUSTOMER
    # 1. customer
    country: str = ""
    city: str = ""
    company_search: str = ""
    company_id: int | None = None
    company_label: str = ""  # "Fabrikam, Seattle · D-U-N-S 123456789", for the review and resume
    adding_company: bool = False
    new_company: DraftCompany = DraftCompany()
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    consent: bool = False
    # 2. details
    name: str = ""
    location_id: int | None = None
    value: str = ""
    currency: str = ""
    close_date: str = ""
    crm_id: str = ""
    campaign_id: str = ""
    notes: str = ""
    # 3. team
    team: list[DraftMember] = []
    member: DraftMember = DraftMember()  # the person being typed, not yet added
    # 4. solutions
    solution_search: str = ""
    solution_ids: list[int] = []
    assessment_location_id: int | None = None
    # 5. selling
    vendor_help: HelpType = HelpType.NONE
    partners: list[PartnerInviteForm] = []

    def customer(self) -> str:
        """Who the deal is for, in a few words (the resume question names it)."""
        if self.adding_company and self.new_company.name.strip():
            city = self.new_company.city.strip()
            return self.new_company.name.strip() + (f", {city}" if city else "")
        if self.company_id is not None and self.company_label:
            return self.company_label.split(" · ")[0]
        return "no customer chosen yet"


@dataclass(frozen=True)
class Rules:
    """What the checks need to know besides the draft."""

    today: date
    organization: Organization
    catalog: Mapping[int, Solution]

    def is_assessment(self, draft: Draft) -> bool:
        return any(
            (s := self.catalog.get(sid)) is not None and s.kind is SolutionKind.ASSESSMENT
            for sid in draft.solution_ids
        )

    def steps(self, draft: Draft) -> list[Step]:
        """The steps this draft goes through: SA deals have no selling step (R-UI-4)."""
        if self.is_assessment(draft):
            return [s for s in Step if s is not Step.SELLING]
        return list(Step)


def _messages(error: ValidationError, prefix: str = "") -> dict[str, str]:
    return {f"{prefix}{k}": v for k, v in field_messages(error).items()}


def _blank(value: str) -> str | None:
    return value if value.strip() else None


def contact(draft: Draft) -> CustomerContact | None:
    """The customer contact, or None when all three fields are empty (raises when partial)."""
    raw = {"name": draft.contact_name, "phone": draft.contact_phone, "email": draft.contact_email}
    if not any(v.strip() for v in raw.values()):
        return None
    return CustomerContact.model_validate(raw)


def new_company(draft: Draft) -> NewCompanyForm:
    c = draft.new_company
    return NewCompanyForm.model_validate(
        {
            "name": c.name,
            "address_line": c.address_line,
            "city": c.city,
            "state": _blank(c.state),
            "postal_code": _blank(c.postal_code),
            "country": c.country,
            "size": c.size or None,
            "duns": _blank(c.duns),
        }
    )


def details(draft: Draft) -> DealDetailsForm:
    return DealDetailsForm.model_validate(
        {
            "name": draft.name,
            "location_id": draft.location_id,
            "value": draft.value,
            "currency": draft.currency,
            "close_date": draft.close_date,
            "crm_id": _blank(draft.crm_id),
            "campaign_id": _blank(draft.campaign_id),
            "notes": _blank(draft.notes),
        }
    )


def member(raw: DraftMember) -> TeamMemberForm:
    return TeamMemberForm.model_validate(raw.model_dump())


def _customer_errors(draft: Draft) -> dict[str, str]:
    errors: dict[str, str] = {}
    if draft.adding_company:
        try:
            new_company(draft)
        except ValidationError as error:
            errors.update(_messages(error, "new_company."))
    elif draft.company_id is None:
        errors["company"] = PICK_COMPANY
    try:
        empty = contact(draft) is None
    except ValidationError as error:
        messages = field_messages(error)
        for key in ("name", "phone", "email"):
            if key in messages:
                errors[f"contact_{key}"] = messages[key]
        empty = False  # partly filled: reported above
    if empty and draft.consent:
        errors["consent"] = CONSENT_WITHOUT_CONTACT
    return errors


def _details_errors(draft: Draft, rules: Rules) -> dict[str, str]:
    errors: dict[str, str] = {}
    try:
        form = details(draft)
    except ValidationError as error:
        errors.update(_messages(error))
        form = None
    if draft.location_id is not None and rules.organization.location(draft.location_id) is None:
        errors["location_id"] = PICK_LOCATION
    if draft.location_id is None:
        errors["location_id"] = PICK_LOCATION
    # checked on its own, so a past date is reported with the other fields' mistakes
    day = form.close_date if form is not None else _day(draft.close_date)
    if "close_date" not in errors and day is not None and day < rules.today:
        errors["close_date"] = PAST_CLOSE_DATE
    return errors


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _team_errors(draft: Draft) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not draft.member.is_empty():
        errors[FORM_FIELD] = MEMBER_NOT_ADDED
        try:
            member(draft.member)
        except ValidationError as error:
            errors.update(_messages(error, "member."))
    if not draft.team:
        errors["team"] = "Add at least one team member."
    for added in draft.team:  # a list edited outside the form (a resumed draft) is checked too
        try:
            member(added)
        except ValidationError as error:
            field, message = next(iter(field_messages(error).items()))
            who = " ".join(f"{added.first_name} {added.last_name}".split()) or "A team member"
            errors["team"] = f"{who}: {field.replace('_', ' ')}: {message}"
            break
    emails = [m.email.strip().lower() for m in draft.team]
    twice = next((e for e in emails if emails.count(e) > 1), None)
    if twice:
        errors["team"] = f"{twice} is on the team twice; list each person once."
    return errors


def _solution_errors(draft: Draft, rules: Rules) -> dict[str, str]:
    errors: dict[str, str] = {}
    chosen = [rules.catalog[s] for s in draft.solution_ids if s in rules.catalog]
    if not chosen:
        return {"solution_ids": "Choose at least one solution."}
    assessments = [s for s in chosen if s.kind is SolutionKind.ASSESSMENT]
    if assessments:
        if not rules.organization.vetted_for_assessments:
            errors["solution_ids"] = (
                "Only organizations vetted for assessments can choose an assessment."
            )
        elif len(chosen) != 1:
            errors["solution_ids"] = ONE_ASSESSMENT
        loc = draft.assessment_location_id
        if loc is None or rules.organization.location(loc) is None:
            errors["assessment_location_id"] = PICK_ASSESSMENT_LOCATION
    return errors


def _selling_errors(draft: Draft, rules: Rules) -> dict[str, str]:
    if rules.organization.is_vendor:
        if draft.vendor_help is not HelpType.NONE:
            return {"vendor_help": "You are the vendor: invite partners instead."}
        return {} if draft.partners else {"partners": SELLER_INVITES}
    if draft.vendor_help is HelpType.NONE:
        return {}
    if not rules.organization.co_sell_ready:
        return {"vendor_help": NOT_CO_SELL_READY}
    try:
        found = contact(draft)
    except ValidationError:
        found = None
    if found is None or not draft.consent:
        return {"vendor_help": VENDOR_NEEDS_CONTACT}
    return {}


def _partner_errors(draft: Draft, rules: Rules) -> dict[str, str]:
    invited = [p.organization_id for p in draft.partners]
    if rules.organization.id in invited:
        return {"partners": OWN_ORGANIZATION_INVITED}
    if len(set(invited)) != len(invited):
        return {"partners": PARTNER_TWICE}
    return {}


def step_errors(draft: Draft, step: Step, rules: Rules) -> dict[str, str]:
    """Messages by field key for one step; empty when the step may be left by Next."""
    if step is Step.CUSTOMER:
        return _customer_errors(draft)
    if step is Step.DETAILS:
        return _details_errors(draft, rules)
    if step is Step.TEAM:
        return _team_errors(draft)
    if step is Step.SOLUTIONS:
        return _solution_errors(draft, rules)
    if step is Step.SELLING:
        if rules.is_assessment(draft):
            return {}
        return _selling_errors(draft, rules) | _partner_errors(draft, rules)
    return {}


def first_invalid_step(draft: Draft, rules: Rules) -> tuple[Step, dict[str, str]] | None:
    """The first step (of those this draft goes through) that does not pass, with its errors."""
    for step in rules.steps(draft):
        errors = step_errors(draft, step, rules)
        if errors:
            return step, errors
    return None


def warnings(draft: Draft, rules: Rules) -> list[str]:
    """What the review shows without blocking Create."""
    found: list[str] = []
    incentive = [
        s
        for sid in draft.solution_ids
        if (s := rules.catalog.get(sid)) is not None and s.incentive_eligible
    ]
    private = draft.vendor_help is HelpType.NONE and not draft.partners
    if rules.organization.is_vendor:
        return found  # the vendor's deals always have partners (SELLER_INVITES)
    if incentive and private and not rules.is_assessment(draft):
        found.append(PRIVATE_NOT_REGISTERABLE)
    return found


def to_form(draft: Draft, rules: Rules) -> NewDealForm:
    """The one form `create_deal` takes; raises InvalidInput naming the first bad step."""
    bad = first_invalid_step(draft, rules)
    if bad is not None:
        step, errors = bad
        raise InvalidInput(f"Step {step.value}, {step.title}, needs correcting.", errors)
    assessment = rules.is_assessment(draft)
    data: dict[str, Any] = {
        "company_id": None if draft.adding_company else draft.company_id,
        "new_company": new_company(draft) if draft.adding_company else None,
        "contact": contact(draft),
        "contact_consent": draft.consent,
        "details": details(draft),
        "team": [member(m) for m in draft.team],
        "solution_ids": list(draft.solution_ids),
        "assessment_location_id": draft.assessment_location_id if assessment else None,
        "vendor_help": HelpType.NONE if assessment else draft.vendor_help,
        "partners": [] if assessment else list(draft.partners),
    }
    try:
        return NewDealForm.model_validate(data)
    except ValidationError as error:  # the steps check all this; never let it escape raw
        raise invalid_input(error, "The deal cannot be created yet") from None
