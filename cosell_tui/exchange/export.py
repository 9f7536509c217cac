"""`cosell-tui export` and the lists' `x` (issue 7): the referrals a user may see, as
Referrals-API JSON or as CSV, written atomically.

Only what the user may see goes out (R-ACL-1, R-ACL-3): the referrals of `visible_to`, and of
the other parties only their cards (R-INV-4: organization, location, direction, status).
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from cosell_tui.domain.enums import Direction, Stage, Status
from cosell_tui.domain.errors import DomainError
from cosell_tui.domain.lifecycle import STAGE_PERCENT
from cosell_tui.domain.listing import DealQuery
from cosell_tui.domain.models import User
from cosell_tui.exchange import tabular
from cosell_tui.exchange.records import (
    API_STATUS,
    FORMAT,
    Address,
    Consent,
    Contact,
    CustomerIds,
    CustomerProfile,
    Details,
    InviteContext,
    OrganizationRef,
    PartyOut,
    Person,
    Place,
    ReferralRecord,
    RegistrationOut,
    Requirements,
    SalesStage,
    SolutionRef,
    StageMarkOut,
)
from cosell_tui.store import lists, queries
from cosell_tui.store.cards import party_cards_of
from cosell_tui.store.database import Database
from cosell_tui.store.schema import (
    CompanyRow,
    EngagementRow,
    InvitationRow,
    LocationRow,
    OrganizationRow,
    ReferralRow,
    ReferralSolutionRow,
    RegistrationRow,
    SolutionRow,
    UserRow,
)

Format = Literal["json", "csv"]
FORMATS: tuple[Format, ...] = ("json", "csv")
CHUNK = 500


class ExportError(DomainError):
    """The file could not be written; the text says why in one sentence."""


def format_of(path: str | Path | None, given: str | None) -> Format:
    """`--format` when given, else the file's extension, else JSON."""
    if given in FORMATS:
        return given
    if given:
        raise ExportError(f"Unknown format {given}; use json or csv.")
    suffix = Path(path).suffix.casefold().lstrip(".") if path else ""
    return "csv" if suffix == "csv" else "json"


@dataclass
class _Directory:
    """The organizations, locations, solutions and people a chunk of referrals refers to."""

    organizations: dict[int, OrganizationRow]
    locations: dict[int, LocationRow]
    solutions: dict[int, SolutionRow]
    emails: dict[int, str]

    @classmethod
    def read(cls, session: Session) -> _Directory:
        return cls(
            organizations={o.id: o for o in session.scalars(select(OrganizationRow))},
            locations={loc.id: loc for loc in session.scalars(select(LocationRow))},
            solutions={s.id: s for s in session.scalars(select(SolutionRow))},
            emails=dict(session.execute(select(UserRow.id, UserRow.email)).all()),
        )

    def organization(self, organization_id: int) -> OrganizationRef:
        row = self.organizations[organization_id]
        return OrganizationRef(name=row.name, partner_id=row.partner_id, is_vendor=row.is_vendor)

    def place(self, location_id: int) -> Place:
        row = self.locations[location_id]
        return Place(city=row.city, country=row.country)


def visible_ids(session: Session, viewer: User) -> list[str]:
    """Every referral the user may see, oldest first (a stable order for files and diffs)."""
    statement = (
        select(ReferralRow.id)
        .where(queries.visible_to(viewer))
        .order_by(ReferralRow.created_at, ReferralRow.id)
    )
    return list(session.scalars(statement))


def view_ids(session: Session, viewer: User, query: DealQuery) -> list[str]:
    """The ids of one list as the user has it — filter, sort and view (the lists' `x`)."""
    ids: list[str] = []
    while True:
        rows = lists.page(session, viewer, query, len(ids), 1000)
        ids += [row.id for row in rows]
        if len(rows) < 1000:
            return ids


def records(session: Session, viewer: User, ids: Sequence[str]) -> Iterator[ReferralRecord]:
    """The records of these referrals, in this order; ids the user may not see are skipped."""
    directory = _Directory.read(session)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = {
            row.id: row
            for row in session.scalars(
                select(ReferralRow)
                .where(ReferralRow.id.in_(chunk), queries.visible_to(viewer))
                .options(
                    selectinload(ReferralRow.team),
                    selectinload(ReferralRow.solutions).selectinload(ReferralSolutionRow.solution),
                    selectinload(ReferralRow.stage_marks),
                    selectinload(ReferralRow.invitation),
                )
            )
        }
        engagement_ids = {row.engagement_id for row in rows.values()}
        engagements = {
            engagement.id: (engagement, company)
            for engagement, company in session.execute(
                select(EngagementRow, CompanyRow)
                .join(CompanyRow, CompanyRow.id == EngagementRow.company_id)
                .where(EngagementRow.id.in_(engagement_ids))
            )
        }
        parties: dict[str, list[Any]] = defaultdict(list)
        # the cards: on PostgreSQL the other parties' rows are out of a member's reach (R-ACL-4)
        cards = party_cards_of(session.get_bind().dialect.name, list(engagement_ids))
        for party in session.execute(
            select(
                cards.c.id,
                cards.c.engagement_id,
                cards.c.organization_id,
                cards.c.location_id,
                cards.c.direction,
                cards.c.status,
                cards.c.help_requested,
                cards.c.created_at,
                InvitationRow.from_organization_id,
            )
            .join(OrganizationRow, OrganizationRow.id == cards.c.organization_id)
            .outerjoin(InvitationRow, InvitationRow.referral_id == cards.c.id)
            .order_by(OrganizationRow.is_vendor.desc(), cards.c.created_at, cards.c.id)
        ):
            parties[party.engagement_id].append(party)
        registrations = {
            row.referral_id: row
            for row in session.scalars(
                select(RegistrationRow).where(RegistrationRow.referral_id.in_(list(rows)))
            )
        }
        for referral_id in chunk:
            row = rows.get(referral_id)
            if row is None:
                continue
            engagement, company = engagements[row.engagement_id]
            yield _record(
                row,
                engagement,
                company,
                [p for p in parties[row.engagement_id] if p.id != row.id],
                registrations.get(row.id),
                directory,
            )


def _contact(engagement: EngagementRow) -> list[Contact]:
    if not (engagement.contact_name and engagement.contact_phone and engagement.contact_email):
        return []
    first, _, last = engagement.contact_name.rpartition(" ")
    return [
        Contact(
            first_name=first or last,
            last_name=last if first else None,
            phone_number=engagement.contact_phone,
            email=engagement.contact_email,
        )
    ]


def _record(
    row: ReferralRow,
    engagement: EngagementRow,
    company: CompanyRow,
    others: Iterable[Any],
    registration: RegistrationRow | None,
    directory: _Directory,
) -> ReferralRecord:
    status = Status(row.status)
    invitation = row.invitation
    stage = Stage(row.stage)
    return ReferralRecord(
        id=row.id,
        engagement_id=row.engagement_id,
        name=row.name,
        status=API_STATUS[status][0],
        substatus=status,
        status_reason=row.closing_reason,
        closing_notes=row.closing_notes,
        direction=Direction(row.direction),
        external_reference_id=row.crm_id,
        created_date_time=row.created_at,
        received_date_time=row.received_at,
        responded_date_time=row.responded_at,
        closed_date_time=row.closed_at,
        expiration_date_time=row.response_deadline,
        customer_profile=CustomerProfile(
            name=company.name,
            address=Address(
                address_line1=company.address_line,
                city=company.city,
                state=company.state,
                postal_code=company.postal_code,
                country=company.country,
            ),
            size=company.size,
            ids=CustomerIds(duns=company.duns),
            team=_contact(engagement),
        ),
        consent=Consent(
            consent_to_share_referral_with_microsoft_sellers=engagement.contact_consent
        ),
        details=Details(
            deal_value=queries.from_cents(row.value_cents),
            currency=row.currency,
            closing_date_time=row.close_date,
            notes=row.notes,
            campaign_id=row.campaign_id,
            help_requested=row.help_requested,
            requirements=Requirements(
                solutions=[
                    SolutionRef(
                        id=part.solution_id,
                        name=part.solution.name,
                        publisher=directory.organization(part.solution.organization_id),
                        kind=part.solution.kind,
                        incentive_eligible=part.solution.incentive_eligible,
                        assessment_location=None
                        if part.assessment_location_id is None
                        else directory.place(part.assessment_location_id),
                    )
                    for part in row.solutions
                ]
            ),
        ),
        team=[
            Person(
                first_name=member.first_name,
                last_name=member.last_name,
                phone_number=member.phone,
                email=member.email,
                organization=None
                if member.organization_id == row.organization_id
                else directory.organization(member.organization_id),
            )
            for member in row.team
        ],
        invite_context=None
        if invitation is None
        else InviteContext(
            invited_by=directory.organization(invitation.from_organization_id),
            invited_by_user=directory.emails.get(invitation.from_user_id or -1),
            notes=invitation.notes,
            help_requested=invitation.help_requested,
            sent_date_time=invitation.sent_at,
        ),
        deal_type=engagement.deal_type,
        sales_stage=SalesStage(
            stage=stage,
            percent=STAGE_PERCENT[stage],
            marks=[
                StageMarkOut(stage=mark.stage, marked_date_time=mark.marked_at)
                for mark in row.stage_marks
            ],
        ),
        location=directory.place(row.location_id),
        parties=[
            PartyOut(
                id=party.id,
                organization=directory.organization(party.organization_id),
                location=directory.place(party.location_id),
                created_date_time=party.created_at,
                direction=party.direction,
                status=party.status,
                invited_by=None
                if party.from_organization_id is None
                else directory.organization(party.from_organization_id),
                help_requested=party.help_requested,
            )
            for party in others
        ],
        registration=None
        if registration is None
        else RegistrationOut(
            status=registration.status,
            form=json.loads(registration.form_json) if registration.form_json else None,
            message=registration.message,
            created_date_time=registration.created_at,
            submitted_date_time=registration.submitted_at,
            decided_date_time=registration.decided_at,
        ),
    )


# --- writing -----------------------------------------------------------------------------------


def render(
    found: Iterable[ReferralRecord], form: Format, *, exported_by: User, organization: str
) -> Iterator[str]:
    """The file's text, piece by piece (a large export never sits whole in memory)."""
    if form == "csv":
        yield from tabular.csv_lines(found)
        return
    head = {
        "format": FORMAT,
        "exportedBy": exported_by.email,
        "organization": organization,
    }
    yield json.dumps(head, ensure_ascii=False, indent=2)[:-2] + ',\n  "value": ['
    first = True
    for record in found:
        text = record.model_dump_json(by_alias=True, indent=2, exclude_none=False)
        yield ("\n" if first else ",\n") + _indented(text, "    ")
        first = False
    yield "\n  ]\n}\n" if not first else "]\n}\n"


def _indented(text: str, prefix: str) -> str:
    return prefix + text.replace("\n", "\n" + prefix)  # JSON strings hold no raw line break


def write_atomically(path: Path, pieces: Iterable[str]) -> None:
    """Write next to the target, then rename over it: a reader never sees half a file, and a
    failed export leaves any earlier file as it was."""
    target = path.expanduser()
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".part", dir=target.parent
        )
    except OSError as error:
        raise ExportError(f"Cannot write {path}: {_why(error)}.") from None
    try:
        os.chmod(temporary, _mode(target))
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            for piece in pieces:
                file.write(piece)
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise ExportError(f"Cannot write {path}: {_why(error)}.") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _mode(target: Path) -> int:
    """The permissions a replaced file had, else those a new file gets (mkstemp's are 0600)."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def _why(error: OSError) -> str:
    if isinstance(error, NotADirectoryError):
        return "a part of that path is a file, not a folder"
    if isinstance(error, FileNotFoundError):
        return "that folder does not exist"
    if isinstance(error, IsADirectoryError):
        return "that is a folder"
    if isinstance(error, PermissionError):
        return "permission denied"
    return (error.strerror or str(error)).rstrip(".").lower()


@dataclass(frozen=True)
class Exported:
    count: int
    path: Path | None


def export(
    db: Database,
    viewer: User,
    *,
    form: Format,
    out: Path | None,
    query: DealQuery | None = None,
    write: Callable[[str], object] | None = None,
) -> Exported:
    """Export what `viewer` sees (or one of their lists, `query`) to `out`, else to `write`."""
    counted = 0

    def counting(found: Iterable[ReferralRecord]) -> Iterator[ReferralRecord]:
        nonlocal counted
        for record in found:
            counted += 1
            yield record

    with db.reading() as session:
        ids = visible_ids(session, viewer) if query is None else view_ids(session, viewer, query)
        organization = queries.organization(session, viewer.organization_id).name
        pieces = render(
            counting(records(session, viewer, ids)),
            form,
            exported_by=viewer,
            organization=organization,
        )
        if out is not None:
            write_atomically(out, pieces)
        else:
            assert write is not None
            for piece in pieces:
                write(piece)
    return Exported(counted, out)
