"""`cosell-tui import FILE` (issue 7): what `export` writes, JSON or CSV, as the acting
user's organization.

Every record is checked before anything is written, and every problem is reported by record
number (1-based) and field; then the whole file goes in one transaction, or nothing does.
Customers, organizations and solutions are matched by D-U-N-S number, partner id and
solution id (then by name) and created when missing. A record whose id (or CRM id) is already
in the database is skipped, so the same file imported twice adds nothing the second time.

A record carries its organization's side of an engagement. When the engagement is new, its
other parties are created from their cards (organization, location, direction, status: what
the export shows of them, R-INV-4), so the deal type and the party cards read as they did.
Terminal deals are written active and then closed, through the same R-STORE-1 triggers as
the services' (SPEC §3), and are frozen from then on.
"""

from __future__ import annotations

import gc
import json
import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cosell_tui.domain.enums import (
    ADMIN_ROLES,
    DealType,
    Direction,
    SolutionKind,
    Stage,
    Status,
)
from cosell_tui.domain.errors import DomainError, InvalidInput, NotAllowed
from cosell_tui.domain.lifecycle import RESPONSE_WINDOW, STAGE_PERCENT, first_stage
from cosell_tui.domain.models import RegistrationForm, User
from cosell_tui.domain.parties import PartyState, derive_deal_type
from cosell_tui.domain.validation import field_messages
from cosell_tui.exchange import tabular
from cosell_tui.exchange.records import (
    OrganizationRef,
    Part,
    Place,
    ReferralRecord,
)
from cosell_tui.store import search
from cosell_tui.store.bulk import BackgroundWriter, Batch, large_cache, stored
from cosell_tui.store.database import Database
from cosell_tui.store.guards import guard_message
from cosell_tui.store.schema import (
    CompanyRow,
    EngagementRow,
    LocationRow,
    OrganizationRow,
    ReferralRow,
    SolutionRow,
    UserRow,
)

PROGRESS_FROM = 300  # records: below this an import is over before a bar would help
BULK_FROM = 2000  # records: above this the search and list indexes are rebuilt once
SHOWN_PROBLEMS = 50
WRITE_EVERY = 5000  # records per batch of rows


@dataclass(frozen=True)
class Problem:
    record: int  # 1-based; 0 for the file as a whole
    field: str
    message: str

    def __str__(self) -> str:
        return f"record {self.record}, {self.field}: {self.message}"


class ImportRefused(InvalidInput):
    """Bad records: nothing was written. The message lists them all (up to a screenful)."""

    def __init__(self, problems: Sequence[Problem], total: int) -> None:
        records = sorted({p.record for p in problems})
        head = (
            f"Nothing was imported: {len(records)} of {total} record(s) have problems "
            f"(records {', '.join(map(str, records[:20]))}{', …' if len(records) > 20 else ''})."
        )
        lines = [f"  {problem}" for problem in problems[:SHOWN_PROBLEMS]]
        if len(problems) > SHOWN_PROBLEMS:
            lines.append(f"  … and {len(problems) - SHOWN_PROBLEMS} more.")
        super().__init__("\n".join([head, *lines]))
        self.problems = list(problems)


@dataclass(frozen=True)
class Imported:
    added: int
    skipped: int
    created: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        made = ", ".join(f"{n} {what}" for what, n in sorted(self.created.items()) if n)
        return (
            f"Imported {self.added} deal(s); skipped {self.skipped} already in the database"
            + (f"; created {made}" if made else "")
            + "."
        )


# --- reading the file ----------------------------------------------------------------------------


@dataclass
class Parsed:
    """A file's records, checked each on its own: None where a record is unreadable."""

    records: list[ReferralRecord | None]
    problems: list[Problem]

    @property
    def total(self) -> int:
        return len(self.records)


class _File(Part):
    value: list[ReferralRecord]


_LIST = TypeAdapter(list[ReferralRecord])
_A_LIST = re.compile(r"\s*\[")


def read(path: Path, form: str | None) -> Parsed:
    """The file's records, each through the model and its own consistency checks."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DomainError(f"There is no file {path}.") from None
    except IsADirectoryError:
        raise DomainError(f"{path} is a folder, not a file.") from None
    except OSError as error:
        raise DomainError(f"Cannot read {path}: {error.strerror or error}.") from None
    if b"\0" in raw:
        raise DomainError(f"{path} is not a text file; import takes JSON or CSV.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(f"{path} is not UTF-8 text; import takes JSON or CSV.") from None
    del raw  # a large file: keep one copy of it (and no stripped copies of it below)
    if not text or text.isspace():
        raise DomainError(f"{path} is empty.")
    kind = form or ("csv" if path.suffix.casefold() == ".csv" else "json")
    if kind == "csv":
        try:
            return validate(tabular.read_rows(text))
        except tabular.CsvShapeError as error:
            raise DomainError(f"{path}: {error}") from None
    # A good file is validated straight from its bytes, without Python's JSON objects
    # (several times quicker and smaller); a file with problems goes record by record.
    try:
        if _A_LIST.match(text):
            records = _LIST.validate_json(text)
        else:
            records = _File.model_validate_json(text).value
    except ValidationError:
        return validate(_json_rows(path, text))
    return Parsed(
        list(records),
        [
            Problem(number, name, message)
            for number, record in enumerate(records, 1)
            for name, message in record.problems()
        ],
    )


def _json_rows(path: Path, text: str) -> list[tuple[dict[str, Any], dict[str, str]]]:
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise DomainError(
            f"{path} is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})."
        ) from None
    if isinstance(data, dict) and isinstance(data.get("value"), list):
        data = data["value"]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise DomainError(
            f"{path} holds no referral records: expected a list of them, or an object with "
            "a `value` list, as export writes."
        )
    return [(item, {}) for item in data]


# the API's words, not our stored values, for the fields the API names (records.py)
_API_WORDS = {
    "substatus": "Use Received, Accepted, Won, Lost, Declined or Expired.",
    "direction": "Use Incoming or Outgoing.",
    "status": "Use New, Active or Closed.",
}


def _field(location: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in location) or "record"


def validate(rows: Sequence[tuple[dict[str, Any], dict[str, str]]]) -> Parsed:
    """Each record through the model, then its own consistency; every problem is kept."""
    found: list[ReferralRecord | None] = []
    problems: list[Problem] = []
    for number, (data, unreadable) in enumerate(rows, 1):
        problems += [Problem(number, name, text) for name, text in unreadable.items()]
        try:
            record = ReferralRecord.model_validate(data)
        except ValidationError as error:
            for item in error.errors():
                text = item["msg"].removeprefix("Value error, ")
                if item["type"] == "missing":
                    text = "This field is required."
                elif item["type"] in ("enum", "literal_error"):
                    text = text.replace("Input should be", "Use")
                name = _field(item["loc"])
                key = "direction" if name.endswith("direction") else name  # a card's too
                text = _API_WORDS.get(key, text) if text.startswith("Use") else text
                problems.append(Problem(number, name, text if text.endswith(".") else text + "."))
            found.append(None)
            continue
        problems += [Problem(number, name, text) for name, text in record.problems()]
        found.append(record)
    return Parsed(found, problems)


# --- matching what records refer to --------------------------------------------------------------


def _key(text: str) -> str:
    return text.strip().casefold()


@dataclass(frozen=True, slots=True)
class _Org:
    """An organization as the import reads it: plain values, not an ORM row (whose every
    attribute read goes through SQLAlchemy, a million times in a large import)."""

    id: int
    name: str
    partner_id: str | None
    is_vendor: bool
    co_sell_ready: bool
    in_ecosystem: bool
    vetted_for_assessments: bool

    @classmethod
    def of(cls, row: OrganizationRow) -> _Org:
        return cls(
            row.id,
            row.name,
            row.partner_id,
            row.is_vendor,
            row.co_sell_ready,
            row.in_ecosystem,
            row.vetted_for_assessments,
        )


@dataclass(frozen=True, slots=True)
class _Location:
    id: int
    city: str
    country: str


@dataclass(frozen=True, slots=True)
class _Solution:
    id: int
    name_key: str
    kind: str


@dataclass
class _World:
    """What the database holds that records refer to, and what this import adds to it."""

    session: Session
    me: _Org
    created: Counter[str] = field(default_factory=Counter)
    _by_partner_id: dict[str, _Org] = field(default_factory=dict)
    _by_name: dict[str, _Org] = field(default_factory=dict)
    _vendor: _Org | None = None
    _locations: dict[int, list[_Location]] = field(default_factory=dict)
    # (organization id, city key, country) → the first such location, as a scan would find it
    _location_at: dict[tuple[int, str, str], _Location] = field(default_factory=dict)
    _solutions: dict[int, _Solution] = field(default_factory=dict)
    _solutions_by_name: dict[tuple[str, int], _Solution] = field(default_factory=dict)
    _companies: dict[str, int] = field(default_factory=dict)
    _companies_by_place: dict[tuple[str, str, str], int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    # waits until the background writer is idle, before this uses the session (bulk.py)
    quiet: Callable[[], None] = field(default=lambda: None)

    @classmethod
    def read(cls, session: Session, me: OrganizationRow) -> _World:
        world = cls(session, _Org.of(me))
        for org in session.scalars(select(OrganizationRow)):
            world._remember(_Org.of(org))
        for location in session.scalars(select(LocationRow).order_by(LocationRow.id)):
            world._remember_location(location.organization_id, location)
        for solution in session.scalars(select(SolutionRow)):
            world._remember_solution(solution)
        for company in session.scalars(select(CompanyRow)):
            world._remember_company(company)
        world.users = dict(session.execute(select(UserRow.email, UserRow.id)).all())
        return world

    def _remember(self, org: _Org) -> None:
        if org.is_vendor:
            self._vendor = org
        elif org.partner_id:
            self._by_partner_id[org.partner_id] = org
        self._by_name.setdefault(_key(org.name), org)

    def _remember_location(self, org_id: int, row: LocationRow) -> _Location:
        location = _Location(row.id, row.city, row.country)
        self._locations.setdefault(org_id, []).append(location)
        self._location_at.setdefault((org_id, _key(location.city), location.country), location)
        return location

    def _remember_solution(self, row: SolutionRow) -> _Solution:
        solution = _Solution(row.id, _key(row.name), row.kind)
        self._solutions[solution.id] = solution
        self._solutions_by_name[(solution.name_key, row.organization_id)] = solution
        return solution

    def _remember_company(self, company: CompanyRow) -> None:
        if company.duns:
            self._companies[company.duns] = company.id
        self._companies_by_place.setdefault(
            (_key(company.name), _key(company.city), company.country), company.id
        )

    def find(self, ref: OrganizationRef) -> _Org | None:
        """By partner id (the vendor: the database's vendor), else by name."""
        if ref.is_vendor:
            return self._vendor
        if ref.partner_id:
            return self._by_partner_id.get(ref.partner_id)
        found = self._by_name.get(_key(ref.name))
        return None if found is not None and found.is_vendor else found

    def organization(self, ref: OrganizationRef) -> _Org:
        """The organization a record names; a new one when missing."""
        found = self.find(ref)
        if found is None:
            row = OrganizationRow(
                name=ref.name,
                partner_id=ref.partner_id,
                is_vendor=ref.is_vendor,
                co_sell_ready=ref.is_vendor,
                in_ecosystem=True,
                vetted_for_assessments=False,
            )
            self.quiet()  # the connection is free: no batch is being written
            self.session.add(row)
            self.session.flush()
            found = _Org.of(row)
            self._remember(found)
            self.created["organization(s)"] += 1
        return found

    def location(self, org: _Org, place: Place | None, *, create: bool) -> _Location:
        if place is None:
            known = self._locations.get(org.id)
            if known:
                return known[0]
        else:
            found = self._location_at.get((org.id, _key(place.city), place.country))
            if found is not None:
                return found
        if not create or place is None:
            raise LookupError(org.name)
        row = LocationRow(organization_id=org.id, city=place.city, country=place.country)
        self.quiet()
        self.session.add(row)
        self.session.flush()
        self.created["location(s)"] += 1
        return self._remember_location(org.id, row)

    def own_location(self, place: Place) -> _Location | None:
        return self._location_at.get((self.me.id, _key(place.city), place.country))

    def places(self) -> str:
        return "; ".join(
            f"{loc.city}, {loc.country}" for loc in self._locations.get(self.me.id, [])
        )

    def company(self, record: ReferralRecord) -> int:
        """The id of the record's customer; a new one when missing."""
        profile = record.customer_profile
        address = profile.address
        found = None
        if profile.ids.duns:
            found = self._companies.get(profile.ids.duns)
        else:
            found = self._companies_by_place.get(
                (_key(profile.name), _key(address.city), address.country)
            )
        if found is None:
            row = CompanyRow(
                name=profile.name,
                address_line=address.address_line1,
                city=address.city,
                state=address.state,
                postal_code=address.postal_code,
                country=address.country,
                size=profile.size.value if profile.size else None,
                duns=profile.ids.duns,
            )
            self.quiet()  # the connection is free: no batch is being written
            self.session.add(row)
            self.session.flush()
            self._remember_company(row)
            self.created["customer(s)"] += 1
            found = row.id
        return found

    def solution(self, ref: Any) -> _Solution:
        """By id when that id is the same solution (same name), else by name and publisher."""
        known = self._solutions.get(ref.id) if ref.id is not None else None
        if known is not None and known.name_key == _key(ref.name):
            return known
        publisher = self.organization(ref.publisher)
        found = self._solutions_by_name.get((_key(ref.name), publisher.id))
        if found is None:
            row = SolutionRow(
                name=ref.name,
                organization_id=publisher.id,
                kind=ref.kind.value,
                incentive_eligible=ref.incentive_eligible and ref.kind is SolutionKind.PARTNER,
            )
            self.quiet()  # the connection is free: no batch is being written
            self.session.add(row)
            self.session.flush()
            found = self._remember_solution(row)
            self.created["solution(s)"] += 1
        return found


# --- checking records against the database -------------------------------------------------------


def _check(
    records: Sequence[ReferralRecord | None], world: _World, session: Session
) -> tuple[list[Problem], set[int]]:
    """Problems that need the database, and the records already in it (to skip)."""
    problems: list[Problem] = []
    skip: set[int] = set()
    me = world.me
    ids = [r.id for r in records if r is not None and r.id]
    existing: dict[str, int] = {}
    for chunk in _chunks(session, ids):
        existing |= dict(
            session.execute(
                select(ReferralRow.id, ReferralRow.organization_id).where(ReferralRow.id.in_(chunk))
            ).all()
        )
    crm_ids = set(
        session.scalars(
            select(ReferralRow.crm_id).where(
                ReferralRow.organization_id == me.id, ReferralRow.crm_id.is_not(None)
            )
        )
    )
    engagement_ids = [r.engagement_id for r in records if r is not None and r.engagement_id]
    present = _present(session, EngagementRow.id, engagement_ids)
    mine = _present(
        session, ReferralRow.engagement_id, engagement_ids, ReferralRow.organization_id == me.id
    )
    seen_ids: dict[str, int] = {}
    seen_engagements: dict[str, int] = {}
    seen_crm: dict[str, int] = {}
    seen_cards: dict[str, int] = {}
    for number, record in enumerate(records, 1):
        if record is None:
            continue

        def problem(name: str, text: str, number: int = number) -> None:
            problems.append(Problem(number, name, text))

        if record.id and record.id in seen_ids:
            problem("id", f"The same id as record {seen_ids[record.id]}.")
            continue
        if record.id:
            seen_ids[record.id] = number
        if record.id in existing or (
            record.external_reference_id and record.external_reference_id in crm_ids
        ):
            if record.id in existing and existing[record.id] != me.id:
                problem("id", "This id belongs to another organization's deal.")
            else:
                skip.add(number)
            continue
        crm = record.external_reference_id
        if crm and crm in seen_crm:
            problem("externalReferenceId", f"The same CRM id as record {seen_crm[crm]}.")
        elif crm:
            seen_crm[crm] = number
        if record.engagement_id:
            if record.engagement_id in mine:
                problem("engagementId", f"{me.name} already has a deal in this engagement.")
            elif record.engagement_id in present:
                # R-INV-*: another organization's deal is joined by invitation, not by a file
                problem(
                    "engagementId",
                    "This engagement is other organizations' deal; a party joins one only "
                    "when invited.",
                )
            elif record.engagement_id in seen_engagements:
                problem(
                    "engagementId",
                    f"Record {seen_engagements[record.engagement_id]} is {me.name}'s deal in "
                    "this engagement already.",
                )
            seen_engagements[record.engagement_id] = number
        if world.own_location(record.location) is None:
            problem(
                "location",
                f"{record.location.city}, {record.location.country} is not a location of "
                f"{me.name} ({world.places()}).",
            )
        solutions = record.details.requirements.solutions
        for index, solution in enumerate(solutions):
            place = solution.assessment_location
            if place is not None and world.own_location(place) is None:
                problem(
                    f"details.requirements.solutions.{index}.assessmentLocation",
                    f"{place.city}, {place.country} is not a location of {me.name}.",
                )
        assessments = [s for s in solutions if s.kind is SolutionKind.ASSESSMENT]
        if assessments and len(solutions) > 1:
            problem(
                "details.requirements.solutions",
                "An assessment is the deal's only solution (R-WIZ-5).",
            )
        if assessments and record.direction is Direction.OUTBOUND and not me.vetted_for_assessments:
            problem(
                "details.requirements.solutions",
                f"{me.name} is not vetted for solution assessments.",
            )
        if assessments and record.parties:
            problem("parties", "A solution-assessment deal has no other parties.")
        for name, text in _cards(record, world):
            problem(name, text)
        for index, party in enumerate(record.parties):
            if party.id and (party.id in seen_cards or party.id in seen_ids):
                problem(f"parties.{index}.id", "The same id as another deal in this file.")
            elif party.id:
                seen_cards[party.id] = number
        if record.invite_context is not None and _same(record.invite_context.invited_by, me):
            problem("inviteContext.invitedBy", f"{me.name} cannot have invited itself.")
        own_team = [m for m in record.team if m.organization is None or _same(m.organization, me)]
        if record.substatus in _ANSWERED and not own_team:
            problem("team", f"Add at least one person of {me.name} (an accepted deal has a team).")
        registration = record.registration
        if registration is not None and registration.form is not None:
            try:
                RegistrationForm.model_validate(registration.form)
            except ValidationError as error:
                for name, text in field_messages(error).items():
                    problem(f"registration.form.{name}", text)
    return problems, skip


def _cards(record: ReferralRecord, world: _World) -> list[tuple[str, str]]:
    """The other parties a file names follow the invitation rules (R-INV-1..3): each once,
    never the importing organization, and those this organization invited as it could have."""
    me = world.me
    found: list[tuple[str, str]] = []
    named: list[OrganizationRef] = []
    for index, party in enumerate(record.parties):
        field_name = f"parties.{index}.organization"
        ref = party.organization
        if _same(ref, me):
            found.append((field_name, f"{me.name} is the importing party."))
            continue
        if any(_same(ref, other) for other in named):
            found.append((field_name, f"{ref.name} is named twice."))
            continue
        named.append(ref)
        invited_by_me = party.direction is Direction.INBOUND and (
            party.invited_by is None or _same(party.invited_by, me)
        )
        if not invited_by_me:
            continue
        known = world.find(ref)
        if ref.is_vendor:  # R-INV-2
            if not me.co_sell_ready:
                found.append(
                    (field_name, f"{me.name} is not co-sell ready: it cannot invite the vendor.")
                )
            if party.help_requested.value == "none":
                found.append(
                    (
                        f"parties.{index}.helpRequested",
                        "Inviting the vendor asks for help: name it.",
                    )
                )
            if not record.customer_profile.team or not (
                record.consent.consent_to_share_referral_with_microsoft_sellers
            ):
                found.append(
                    (
                        "customerProfile.team",
                        "Inviting the vendor needs the customer contact and consent to share it.",
                    )
                )
        elif known is not None and not known.in_ecosystem:  # R-INV-3
            found.append((field_name, f"{known.name} is not in the co-sell ecosystem."))
    return found


def _same(one: OrganizationRef | _Org, other: OrganizationRef | _Org) -> bool:
    """The same organization, as a file names it or as the database holds it."""
    if one.is_vendor or other.is_vendor:
        return one.is_vendor and other.is_vendor
    if one.partner_id and other.partner_id:
        return one.partner_id == other.partner_id
    return _key(one.name) == _key(other.name)


# --- writing -------------------------------------------------------------------------------------


# An enum member's `_value_` is its value without the `value` property's descriptor call: the
# rows below read a million of them in a large import.


@dataclass
class _Writer:
    world: _World
    user: User
    now: datetime
    new_id: Callable[[], str]
    batch: Batch = field(init=False)
    taken: set[str] = field(default_factory=set)  # party ids already in the database

    def __post_init__(self) -> None:
        self.batch = self._fresh()

    def _fresh(self) -> Batch:
        return Batch(leading=self.user.organization_id)  # its own referrals first (bulk.py)

    def take(self) -> Batch:
        """The rows added so far; the next ones go into a new batch."""
        done, self.batch = self.batch, self._fresh()
        return done

    def referral(
        self,
        *,
        rid: str,
        engagement_id: str,
        org_id: int,
        location_id: int,
        record: ReferralRecord,
        direction: Direction,
        status: Status,
        stage: Stage,
        help_requested: str,
        own: bool,
        created: datetime | None = None,
    ) -> None:
        created = created or record.created_date_time or self.now
        inbound = direction is Direction.INBOUND
        received = (record.received_date_time or created) if inbound else None
        if not own:
            received = created if inbound else None
        answered = status is not Status.RECEIVED and not (
            inbound and status in (Status.DECLINED, Status.EXPIRED)
        )
        responded = None
        if status is not Status.RECEIVED and status is not Status.EXPIRED:
            responded = (record.responded_date_time if own else None) or created
        details = record.details
        self.batch.referrals.append(
            {
                "id": rid,
                "engagement_id": engagement_id,
                "organization_id": org_id,
                "location_id": location_id,
                "name": record.name,
                "value_cents": int(details.deal_value * 100),
                "currency": details.currency,
                "close_date": details.closing_date_time.isoformat(),
                "crm_id": record.external_reference_id if own else None,
                "campaign_id": details.campaign_id if own else None,
                "notes": details.notes if own else None,
                "help_requested": help_requested,
                "direction": direction._value_,
                "status": (Status.ACCEPTED if answered else Status.RECEIVED)._value_,
                "stage": (stage if status is not Status.WON else first_stage(direction))._value_,
                "created_at": stored(created),
                "received_at": stored(received) if received else None,
                "responded_at": stored(responded) if responded else None,
                "closed_at": None,
                "response_deadline": stored(received + RESPONSE_WINDOW) if received else None,
                "reminder_sent_at": None,
                "closing_reason": None,
                "closing_notes": None,
                "version": 1,
            }
        )
        self.batch.activity.append(
            {
                "referral_id": rid,
                "engagement_id": engagement_id,
                "user_id": self.user.id,
                "at": stored(self.now),
                "action": "imported",
                "field": "status",
                "old": None,
                "new": status._value_,
            }
        )
        if status.terminal:
            closed = (record.closed_date_time if own else None) or self.now
            self.batch.closing.append(
                {
                    "rid": rid,
                    "status": status._value_,
                    "stage": stage._value_,
                    "closed_at": stored(closed),
                    "reason": record.status_reason if own else None,
                    "notes": record.closing_notes if own else None,
                }
            )

    def add(self, record: ReferralRecord) -> None:
        world = self.world
        me = world.me
        rid = record.id or self.new_id()
        engagement_id = record.engagement_id or self.new_id()
        # always a new engagement (_check refuses joining one): its parties come from the cards
        parties: list[tuple[_Org, Any]] = [
            (world.organization(party.organization), party) for party in record.parties
        ]
        solutions = [
            (world.solution(ref), ref.assessment_location)
            for ref in record.details.requirements.solutions
        ]
        is_assessment = any(s.kind == SolutionKind.ASSESSMENT._value_ for s, _ in solutions)
        party_ids: dict[int, str] = {}
        creator = me.id
        if record.direction is Direction.INBOUND:
            outbound = [org for org, party in parties if party.direction is Direction.OUTBOUND]
            assert record.invite_context is not None
            creator = (
                outbound[0] if outbound else world.organization(record.invite_context.invited_by)
            ).id
        company_id = world.company(record)
        contact = record.customer_profile.team[0] if record.customer_profile.team else None
        engagement_row: dict[str, Any] = {
            "id": engagement_id,
            "company_id": company_id,
            "contact_name": None
            if contact is None
            else " ".join(p for p in (contact.first_name, contact.last_name) if p),
            "contact_phone": None if contact is None else contact.phone_number,
            "contact_email": None if contact is None else contact.email,
            "contact_consent": bool(
                record.consent.consent_to_share_referral_with_microsoft_sellers
            ),
            "created_by_organization_id": creator,
            "is_assessment": bool(is_assessment),
            "deal_type": DealType.PRIVATE._value_,  # set below, from the parties
            "created_at": stored(record.created_date_time or self.now),
        }
        self.batch.engagements.append(engagement_row)
        states = {me.id: (me.is_vendor, record.substatus)}
        for org, party in parties:
            party_id = party.id if party.id and party.id not in self.taken else self.new_id()
            party_ids[org.id] = party_id
            states[org.id] = (org.is_vendor, party.status)
            location = world.location(org, party.location, create=True)
            self.referral(
                rid=party_id,
                engagement_id=engagement_id,
                org_id=org.id,
                location_id=location.id,
                record=record,
                direction=party.direction,
                status=party.status,
                stage=Stage.WON if party.status is Status.WON else first_stage(party.direction),
                help_requested=party.help_requested._value_,
                own=False,
                created=party.created_date_time,
            )
        deal_type = derive_deal_type(
            is_assessment,
            [PartyState(org_id, vendor, status) for org_id, (vendor, status) in states.items()],
        )._value_
        engagement_row["deal_type"] = deal_type
        own_location = world.own_location(record.location)
        assert own_location is not None  # checked before anything was written
        self.referral(
            rid=rid,
            engagement_id=engagement_id,
            org_id=me.id,
            location_id=own_location.id,
            record=record,
            direction=record.direction,
            status=record.substatus,
            stage=record.stage,
            help_requested=record.details.help_requested._value_,
            own=True,
        )
        self._parts(record, rid, solutions)
        self._invitations(record, rid, engagement_id, parties, party_ids)

    def _parts(
        self, record: ReferralRecord, rid: str, solutions: list[tuple[_Solution, Place | None]]
    ) -> None:
        world = self.world
        for member in record.team:
            org = (
                world.me if member.organization is None else world.organization(member.organization)
            )
            self.batch.team.append(
                {
                    "referral_id": rid,
                    "organization_id": org.id,
                    "first_name": member.first_name,
                    "last_name": member.last_name,
                    "phone": member.phone_number,
                    "email": member.email,
                }
            )
        for solution, place in solutions:
            location = None if place is None else world.own_location(place)
            self.batch.solutions.append(
                {
                    "referral_id": rid,
                    "solution_id": solution.id,
                    "assessment_location_id": None if location is None else location.id,
                }
            )
        given = record.sales_stage is not None and "marks" in record.sales_stage.model_fields_set
        marks = record.sales_stage.marks if record.sales_stage else []
        if record.substatus is Status.RECEIVED:
            marks = []  # not accepted yet: no stage of its own (decisions, issue 2)
        if not given and record.substatus in _ANSWERED:
            # a CRM's file names the stage only: marking it marks the earlier ones (R-LIFE-7)
            bottom = first_stage(record.direction)
            reached = STAGE_PERCENT[record.stage]
            at = record.responded_date_time or record.created_date_time or self.now
            stages = [bottom] + [
                s for s in _RUNGS if STAGE_PERCENT[s] <= reached and s is not Stage.WON
            ]
            marks_made = [(stage, at) for stage in stages]
        else:
            marks_made = [(mark.stage, mark.marked_date_time) for mark in marks]
        for stage, at in marks_made:
            self.batch.marks.append(
                {
                    "referral_id": rid,
                    "stage": stage._value_,
                    "marked_at": stored(at),
                    "marked_by_user_id": self.user.id,
                }
            )
        registration = record.registration
        if registration is not None:
            form = dict(registration.form) if registration.form is not None else None
            if form is not None and "solution_id" in form:
                exported = {
                    ref.id: made.id
                    for ref, (made, _) in zip(
                        record.details.requirements.solutions, solutions, strict=True
                    )
                }
                form["solution_id"] = exported.get(form["solution_id"], form["solution_id"])
            created = registration.created_date_time or record.closed_date_time or self.now
            self.batch.registrations.append(
                {
                    "referral_id": rid,
                    "status": registration.status.value,
                    "form_json": None if form is None else json.dumps(form),
                    "message": registration.message,
                    "submitted_at": _when(registration.submitted_date_time),
                    "decided_at": _when(registration.decided_date_time),
                    "created_at": stored(created),
                    "version": 1,
                }
            )

    def _invitations(
        self,
        record: ReferralRecord,
        rid: str,
        engagement_id: str,
        parties: list[tuple[_Org, Any]],
        party_ids: dict[int, str],
    ) -> None:
        world = self.world
        sent_default = record.created_date_time or self.now
        context = record.invite_context
        if context is not None:
            inviter = world.organization(context.invited_by)
            self.batch.invitations.append(
                {
                    "referral_id": rid,
                    "from_organization_id": inviter.id,
                    "from_referral_id": party_ids.get(inviter.id),
                    "from_user_id": world.users.get(context.invited_by_user or ""),
                    "help_requested": context.help_requested._value_,
                    "notes": context.notes,
                    "sent_at": stored(context.sent_date_time or sent_default),
                }
            )
        for org, party in parties:
            if party.direction is not Direction.INBOUND or org.id not in party_ids:
                continue
            inviter = world.me if party.invited_by is None else world.organization(party.invited_by)
            self.batch.invitations.append(
                {
                    "referral_id": party_ids[org.id],
                    "from_organization_id": inviter.id,
                    "from_referral_id": rid
                    if inviter.id == world.me.id
                    else party_ids.get(inviter.id),
                    "from_user_id": None,
                    "help_requested": party.help_requested._value_,
                    "notes": None,
                    "sent_at": stored(sent_default),
                }
            )


def _chunks(session: Session, values: Sequence[str]) -> Iterator[Any]:
    """The values in as few IN lists as the database takes: on SQLite one JSON array read by
    `json_each`, however many (no statement of 900 bound values to build per 900); elsewhere
    900 at a time, SQLite's old limit of bound parameters in one statement."""
    if not values:
        return
    if session.get_bind().dialect.name == "sqlite":
        each = func.json_each(json.dumps(list(values))).table_valued("value")
        yield select(each.c.value).scalar_subquery()
        return
    for start in range(0, len(values), 900):
        yield values[start : start + 900]


def _present(session: Session, column: Any, values: Sequence[str], *where: Any) -> set[str]:
    """Which of these values the column holds (in rows matching `where` too)."""
    found: set[str] = set()
    for chunk in _chunks(session, values):
        found |= set(session.scalars(select(column).where(column.in_(chunk), *where)))
    return found


def _taken(session: Session, records: Sequence[ReferralRecord | None]) -> set[str]:
    """Ids a party's card cannot reuse: already in the database, or a record's own."""
    own = {r.id for r in records if r is not None and r.id}
    cards = [p.id for r in records if r is not None for p in r.parties if p.id]
    return own | _present(session, ReferralRow.id, cards)


_ANSWERED = (Status.ACCEPTED, Status.WON, Status.LOST)  # accepted once: a team (R-DEAL-2)
_RUNGS = [Stage.QUALIFIED, Stage.DEVELOPED, Stage.PROPOSED, Stage.NEGOTIATED, Stage.WON]


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else stored(moment)


# --- the whole import ----------------------------------------------------------------------------


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused: an import makes millions of objects and keeps them
    (records, rows), no cycles, and each full collection walks them all again — half the
    time of validating 100 000 records. Back as it was afterwards."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def import_records(
    db: Database,
    user: User,
    parsed: Parsed,
    *,
    progress: Callable[[str, int], None] | None = None,
) -> Imported:
    if user.role not in ADMIN_ROLES:
        raise NotAllowed(
            "Only partner admins, referral admins and sellers import deals "
            f"({user.email} is a {user.role.label.lower()})."
        )
    records, problems, total = parsed.records, list(parsed.problems), parsed.total
    if not records:
        return Imported(0, 0)
    bulk = total >= BULK_FROM
    lift = bulk and db.engine.dialect.name == "sqlite"  # the schema's parts a load lifts
    context = search.bulk_loading(db) if bulk else nullcontext()
    with _without_cycle_collection(), large_cache(db.engine), context, db.transaction() as session:
        me = session.get_one(OrganizationRow, user.organization_id)
        world = _World.read(session, me)
        found, skip = _check(records, world, session)
        problems += found
        if problems:
            problems.sort(key=lambda p: p.record)
            raise ImportRefused(problems, total)
        writer = _Writer(world, user, db.clock.now(), db.new_id)
        writer.taken = _taken(session, records)
        # indexes built again at the end beat row by row when the deals at least double
        to_write = sum(1 for r in records if r is not None) - len(skip)
        present = session.scalar(select(func.count()).select_from(ReferralRow)) or 0
        background = BackgroundWriter(
            session, lift_guards=lift, lift_indexes=lift and present <= to_write
        )
        world.quiet = background.wait
        added = 0
        try:  # a clash no check foresaw (R-STORE-1, a unique key): one sentence, nothing kept
            for number, record in enumerate(records, 1):
                if record is None or number in skip:
                    continue
                writer.add(record)
                added += 1
                if added % WRITE_EVERY == 0:  # bounded batches, in one transaction still
                    background.put(writer.take())
                    if progress:
                        progress("written", number)
            background.put(writer.take())
            background.close()
        except (sqlite3.IntegrityError, IntegrityError) as error:
            background.close_quietly()
            reason = guard_message(str(error)) or str(error).splitlines()[0]
            raise DomainError(
                f"Nothing was imported: the database refused a row ({reason})."
            ) from None
        except BaseException:
            background.close_quietly()
            raise
        if progress:
            progress("written", total)
    return Imported(added, len(skip), world.created)


def import_file(
    db: Database, user: User, path: Path, *, form: str | None, progress: IO[str] | None = None
) -> Imported:
    with _without_cycle_collection():
        return _import_file(db, user, path, form=form, progress=progress)


def _import_file(
    db: Database, user: User, path: Path, *, form: str | None, progress: IO[str] | None
) -> Imported:
    if progress is None or not progress.isatty():
        return import_records(db, user, read(path, form))
    from rich.console import Console  # noqa: PLC0415
    from rich.progress import Progress  # noqa: PLC0415

    console = Console(file=progress)
    with console.status(f"Reading {path.name}…"):
        parsed = read(path, form)
    if parsed.total < PROGRESS_FROM:
        return import_records(db, user, parsed)
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(f"Importing {path.name}", total=parsed.total)

        def step(_stage: str, done: int) -> None:
            bar.update(task, completed=done)

        return import_records(db, user, parsed, progress=step)
