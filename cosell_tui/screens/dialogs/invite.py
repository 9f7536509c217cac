"""Invite the vendor (R-INV-2) or partners (R-INV-3) to a deal: what the services take.

The dialogs only collect and validate; the deal screen calls `set_customer_contact` (when the
vendor invitation changed the contact), `invite_vendor` and `invite_partners`. The creation
wizard's selling step uses `InvitePartnersDialog` too, before any referral exists
(`InviteDefaults`), and keeps the result in its draft until the deal is created.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, TypeVar

from pydantic import ValidationError
from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, SelectionList, Static, TextArea

from cosell_tui.domain.enums import HelpType, SolutionKind
from cosell_tui.domain.errors import InvalidInput
from cosell_tui.domain.models import (
    CustomerContact,
    Engagement,
    Form,
    Organization,
    PartnerInviteForm,
    Referral,
    Solution,
    TeamMemberForm,
)
from cosell_tui.domain.validation import FORM_FIELD, LongText, field_messages
from cosell_tui.screens.dialog import Field, FormDialog
from cosell_tui.widgets.text import day, literal, money

T = TypeVar("T")

VENDOR_DECIDES = (
    "The vendor's sellers have 14 days to accept or decline. A request for help is no "
    "guarantee that a seller will take part."
)
PICK_HELP = "Choose the help you want from the vendor's sellers."
CONSENT_NEEDED = "Confirm the customer agreed to share their contact with the vendor."
PICK_PARTNER = "Choose a partner to invite."
PAST_CLOSE_DATE = "Choose today or a later date."  # the service's rule


# --- what the party dialogs share ----------------------------------------------------------


class ChoiceField(Field):
    """A `Field` around a SelectionList: its value is the list of selected values."""

    def value(self) -> Any:
        if isinstance(self.control, SelectionList):
            return list(self.control.selected)
        return super().value()


def refusal(
    error: ValidationError | None,
    extra: Mapping[str, str] | None = None,
    where: Mapping[str, str] | None = None,
) -> InvalidInput:
    """The pydantic refusal (plus `extra` messages) as per-field messages.

    Messages of the model's own validators (about the form as a whole) go under the field
    named by the first `where` phrase they contain, so they show next to what to fix.
    """
    fields = field_messages(error) if error is not None else {}
    whole = fields.pop(FORM_FIELD, None)
    if whole is not None:
        key = next((k for phrase, k in (where or {}).items() if phrase in whole), FORM_FIELD)
        fields[key] = whole
    fields.update(extra or {})
    return InvalidInput("Please correct the fields marked below.", fields)


class PartyDialog(FormDialog[T]):
    """A FormDialog that brings the first refused field into view, with the cursor in it."""

    def show_errors(self, messages: dict[str, str]) -> bool:
        refused = super().show_errors(messages)
        first = next((f for f in self.query(Field) if f.has_class("-invalid")), None)
        if first is not None:
            first.control.focus(scroll_visible=False)
            # after the error lines are laid out, so the whole field with its error shows
            self.call_after_refresh(self._reveal, first)
        return refused

    def _reveal(self, field: Field) -> None:
        self.query_one(".dialog-body").scroll_to_widget(field, animate=False)


def help_options(*, exclude_none: bool = True) -> list[tuple[str, HelpType]]:
    return [(h.label, h) for h in HelpType if not (exclude_none and h is HelpType.NONE)]


# --- the vendor (R-INV-2) -----------------------------------------------------------------


@dataclass(frozen=True)
class VendorInvite:
    """What inviting the vendor takes: the help, notes, and the consented customer contact."""

    help_requested: HelpType
    notes: str | None
    contact: CustomerContact | None
    consent: bool

    def changes_contact(self, engagement: Engagement) -> bool:
        """Whether `set_customer_contact` must run before `invite_vendor`."""
        return self.contact != engagement.contact or self.consent != engagement.contact_consent


class _VendorInviteForm(Form):
    help_requested: HelpType
    notes: LongText = None
    contact: CustomerContact
    consent: bool


class InviteVendorDialog(PartyDialog[VendorInvite]):
    """R-INV-2: the help wanted, notes, and — when missing — the customer contact and consent."""

    title_text = "Invite the vendor"
    save_label = "Invite"

    def __init__(
        self,
        referral: Referral,
        engagement: Engagement,
        can_edit_contact: bool,
        *,
        contact_owner: str | None = None,
    ) -> None:
        super().__init__()
        self.referral = referral
        self.engagement = engagement
        self.can_edit_contact = can_edit_contact
        self.contact_owner = contact_owner
        self.contact_ready = engagement.contact is not None and engagement.contact_consent
        self.asks_contact = not self.contact_ready and can_edit_contact
        self.blocked = not self.contact_ready and not can_edit_contact

    def compose_fields(self) -> Iterable[Widget]:
        if self.blocked:
            yield from self._blocked()
            return
        yield Static(VENDOR_DECIDES, classes="party-note")
        wanted = self.referral.help_requested
        yield Field(
            "Help wanted from the vendor",
            Select(
                help_options(),
                prompt="Choose the help wanted",
                value=wanted if wanted is not HelpType.NONE else Select.NULL,
                id="vendor-help",
            ),
            "help_requested",
        )
        yield Field("Notes for the vendor's sellers (optional)", TextArea(), "notes")
        if self.asks_contact:
            yield from self._contact_fields()
        else:
            contact = self.engagement.contact
            assert contact is not None
            yield Label("Customer contact (shared with the vendor)", classes="field-label")
            yield Static(
                Text.assemble(
                    literal(contact.name),
                    " · ",
                    literal(contact.phone),
                    " · ",
                    literal(contact.email),
                ),
                classes="party-facts",
            )

    def _contact_fields(self) -> Iterable[Widget]:
        contact = self.engagement.contact
        yield Static(
            "The vendor needs the customer contact (name, phone and email). Get the customer's "
            "consent before you share it.",
            classes="party-note party-heading",
        )
        yield Field(
            "Customer contact name",
            Input(contact.name if contact else "", id="contact-name"),
            "contact.name",
        )
        with Horizontal(classes="party-row"):
            yield Field(
                "Customer contact phone",
                Input(contact.phone if contact else "", id="contact-phone"),
                "contact.phone",
            )
            yield Field(
                "Customer contact email",
                Input(contact.email if contact else "", id="contact-email"),
                "contact.email",
            )
        yield Field(
            "Consent",
            Checkbox(
                "The customer agreed to share this contact with the vendor",
                self.engagement.contact_consent,
                id="contact-consent",
            ),
            "consent",
        )

    def _blocked(self) -> Iterable[Widget]:
        owner = (
            literal(self.contact_owner)
            if self.contact_owner
            else Text("the organization that created this deal")
        )
        missing = (
            "the customer contact (name, phone and email) and the customer's consent to share it"
            if self.engagement.contact is None
            else "the customer's consent to share the customer contact"
        )
        yield Static(
            Text.assemble(
                "The vendor can be invited only once the deal has ",
                missing,
                ". Only ",
                owner,
                " can add ",
                "them" if self.engagement.contact is None else "it",
                ": ask them to, then invite the vendor.",
            ),
            classes="dialog-warning",
            id="vendor-blocked",
        )

    def on_mount(self) -> None:
        # FormDialog's on_mount runs too (Textual calls each class's handler), after this one
        if self.blocked:
            self.query_one("#save", Button).display = False
            self.query_one("#cancel", Button).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action == "save" and self.blocked)

    def build(self, values: dict[str, Any]) -> VendorInvite:
        data: dict[str, Any] = {
            "help_requested": values.get("help_requested"),
            "notes": values.get("notes"),
        }
        if self.asks_contact:
            data["contact"] = {
                "name": values.get("contact.name"),
                "phone": values.get("contact.phone"),
                "email": values.get("contact.email"),
            }
            data["consent"] = values.get("consent")
        else:
            data["contact"] = self.engagement.contact
            data["consent"] = self.engagement.contact_consent
        extra: dict[str, str] = {}
        if data["help_requested"] in (None, HelpType.NONE):
            extra["help_requested"] = PICK_HELP
        if data["consent"] is not True:
            extra["consent"] = CONSENT_NEEDED
        try:
            form = _VendorInviteForm.model_validate(data)
        except ValidationError as error:
            raise refusal(error, extra) from None
        if extra:
            raise refusal(None, extra)
        return VendorInvite(form.help_requested, form.notes, form.contact, form.consent)


# --- partners (R-INV-3) -------------------------------------------------------------------


def _kind_tag(solution: Solution, partner_id: int | None, own_id: int) -> str:
    if solution.organization_id == partner_id:
        return "its own"
    if solution.organization_id == own_id:
        return "yours"
    if solution.kind is SolutionKind.VENDOR:
        return "vendor"
    return "third party"


@dataclass(frozen=True)
class InviteDefaults:
    """What a partner invitation starts from: who invites, and the deal's currency and date.

    The deal screen has a referral; the creation wizard has only what was typed so far.
    """

    organization_id: int
    currency: str = ""
    close_date: date | None = None

    @classmethod
    def of(cls, referral: Referral) -> InviteDefaults:
        return cls(referral.organization_id, referral.currency, referral.close_date)

    @property
    def close_date_text(self) -> str:
        return self.close_date.isoformat() if self.close_date else ""


class InvitePartnersDialog(PartyDialog[list[PartnerInviteForm]]):
    """R-INV-3: one or more ecosystem partners, each with its own terms; listed before sending."""

    title_text = "Invite partners"
    save_label = "Send invitations"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+n",
            "add_partner",
            "Add partner",
            id="invite.add_partner",
            tooltip="Check this partner's terms and add it to the list; then fill in the next",
        ),
    ]

    def __init__(
        self,
        deal: Referral | InviteDefaults,
        partners: Sequence[Organization],
        catalog: Sequence[Solution],
        my_team: Sequence[TeamMemberForm],
        *,
        today: date | None = None,
    ) -> None:
        super().__init__()
        self.defaults = deal if isinstance(deal, InviteDefaults) else InviteDefaults.of(deal)
        self.today = today  # when given, a past close date is refused here, as the service does
        self.partners = sorted(partners, key=lambda o: o.name.casefold())
        self.catalog = sorted(
            (s for s in catalog if s.kind is not SolutionKind.ASSESSMENT),
            key=lambda s: s.name.casefold(),
        )
        self.my_team = list(my_team)
        self.added: list[PartnerInviteForm] = []
        self.picked_location: dict[int, int] = {}  # kept while the partner list is re-filtered

    # layout

    def compose_fields(self) -> Iterable[Widget]:
        yield Static(
            "Each partner gets its own inbound deal and 14 days to answer. Once sent, you can "
            "no longer change its close date, value or team.",
            classes="party-note",
        )
        with Vertical(id="pending-invites", classes="party-pending"):
            yield Label("Partners to invite", classes="field-label")
            yield Static(self._nobody_yet(), classes="party-pending-empty")
        yield Field(
            "Find a partner by name",
            Input(placeholder="Type part of the name", id="partner-search"),
            "search",
        )
        yield Field(
            "Partner",
            Select(self._partner_options(""), prompt="Choose a partner", id="partner"),
            "organization_id",
        )
        yield Field(
            "Its location",
            Select[int]([], prompt="Choose the partner first", id="partner-location"),
            "location_id",
        )
        with Horizontal(classes="party-row"):
            yield Field("Its estimated value", Input(id="partner-value"), "value")
            yield Field(
                "Currency", Input(self.defaults.currency, id="partner-currency"), "currency"
            )
        yield Field(
            "Its estimated close date",
            Input(self.defaults.close_date_text, id="partner-close-date"),
            "close_date",
            hint="YYYY-MM-DD",
        )
        yield Field("Why you invite it (notes)", TextArea(id="partner-notes"), "notes")
        yield ChoiceField(
            "Team it will work with",
            SelectionList[int](*self._team_options(), id="partner-team"),
            "team",
            hint="Your deal's team; clear anyone who should not be on it. Fixed once sent.",
        )
        yield ChoiceField(
            "Solutions it should bring",
            SelectionList[int](*self._solution_options(None, set()), id="partner-solutions"),
            "solution_ids",
            hint="Its own published solutions are listed first.",
        )
        yield Field(
            "Help wanted from it",
            Select(
                help_options(),
                value=HelpType.GENERAL_OR_OTHER,
                allow_blank=False,
                id="partner-help",
            ),
            "help_requested",
        )
        yield Button("Add partner to the list (ctrl+n)", id="add-partner")

    def _nobody_yet(self) -> str:
        if not self.partners:
            return "No ecosystem partner is left to invite to this deal."
        return "None yet. Fill in a partner below and add it, or send just that one."

    def _available(self) -> list[Organization]:
        taken = {invite.organization_id for invite in self.added}
        return [p for p in self.partners if p.id not in taken]

    def _partner_options(self, search: str) -> list[tuple[Text, int]]:
        needle = search.strip().casefold()
        return [(literal(p.name), p.id) for p in self._available() if needle in p.name.casefold()]

    def _team_options(self) -> list[tuple[Text, int, bool]]:
        return [
            (
                Text.assemble(literal(f"{m.first_name} {m.last_name}"), " · ", literal(m.email)),
                index,
                True,
            )
            for index, m in enumerate(self.my_team)
        ]

    def _solution_options(
        self, partner_id: int | None, chosen: set[int]
    ) -> list[tuple[Text, int, bool]]:
        own = [s for s in self.catalog if s.organization_id == partner_id]
        rest = [s for s in self.catalog if s.organization_id != partner_id]
        mine = self.defaults.organization_id
        return [
            (
                Text.assemble(literal(s.name), (f" · {_kind_tag(s, partner_id, mine)}", "italic")),
                s.id,
                s.id in chosen,
            )
            for s in own + rest
        ]

    # reacting to choices

    def _partner(self, organization_id: object) -> Organization | None:
        return next((p for p in self.partners if p.id == organization_id), None)

    @on(Input.Changed, "#partner-search")
    def _search(self, event: Input.Changed) -> None:
        select: Select[int] = self.query_one("#partner", Select)
        current = select.value
        options = self._partner_options(event.value)
        select.set_options(options)
        values = [value for _, value in options]
        if current in values:
            select.value = current
        elif len(values) == 1:
            select.value = values[0]
        select.prompt = "Choose a partner" if options else "No partner matches that name"

    @on(Select.Changed, "#partner")
    def _partner_chosen(self, event: Select.Changed) -> None:
        partner = self._partner(event.value)
        locations: Select[int] = self.query_one("#partner-location", Select)
        current = locations.value
        options = [(literal(loc.label), loc.id) for loc in partner.locations] if partner else []
        locations.set_options(options)
        ids = [value for _, value in options]
        remembered = self.picked_location.get(partner.id) if partner else None
        if current in ids:
            locations.value = current
        elif remembered in ids:
            locations.value = remembered
        elif len(ids) == 1:
            locations.value = ids[0]
        locations.prompt = "Choose one of its locations" if partner else "Choose the partner first"
        solutions: SelectionList[int] = self.query_one("#partner-solutions", SelectionList)
        chosen = set(solutions.selected)
        solutions.clear_options()
        solutions.add_options(self._solution_options(partner.id if partner else None, chosen))
        if solutions.option_count:
            solutions.highlighted = 0  # space ticks at once when the list is reached by tab

    @on(Select.Changed, "#partner-location")
    def _location_chosen(self, event: Select.Changed) -> None:
        partner = self._partner(self.query_one("#partner", Select).value)
        if partner is not None and isinstance(event.value, int):
            self.picked_location[partner.id] = event.value

    # the current partner, the list, and the result

    def _current(self, values: dict[str, Any]) -> PartnerInviteForm:
        data = {
            "organization_id": values.get("organization_id"),
            "location_id": values.get("location_id"),
            "close_date": values.get("close_date"),
            "value": values.get("value"),
            "currency": values.get("currency"),
            "notes": values.get("notes"),
            "team": [self.my_team[i] for i in values.get("team") or []],
            "solution_ids": values.get("solution_ids") or [],
            "help_requested": values.get("help_requested"),
        }
        extra: dict[str, str] = {}
        if data["organization_id"] is None:
            extra["organization_id"] = PICK_PARTNER
        if data["location_id"] is None:
            extra["location_id"] = "Choose one of the partner's locations."
        if data["help_requested"] in (None, HelpType.NONE):
            extra["help_requested"] = "Choose the help you want from this partner."
        try:
            form = PartnerInviteForm.model_validate(data)
        except ValidationError as error:
            raise refusal(error, extra, {"team twice": "team"}) from None
        if self.today is not None and form.close_date < self.today:
            extra["close_date"] = PAST_CLOSE_DATE
        if extra:
            raise refusal(None, extra)
        return form

    def build(self, values: dict[str, Any]) -> list[PartnerInviteForm]:
        if values.get("organization_id") is None and self.added:
            return list(self.added)  # the form below is left empty: send the listed ones
        return [*self.added, self._current(values)]

    def action_add_partner(self) -> None:
        try:
            form = self._current(self.values())
        except InvalidInput as problem:
            self.show_errors(problem.fields or {FORM_FIELD: problem.message})
            return
        self.show_errors({})
        self.added.append(form)
        self._show_added()
        self._reset_partner()

    @on(Button.Pressed, "#add-partner")
    def _add_pressed(self) -> None:
        self.action_add_partner()

    @on(Button.Pressed, ".party-remove")
    def _remove_pressed(self, event: Button.Pressed) -> None:
        organization_id = int(event.button.name or 0)
        self.added = [i for i in self.added if i.organization_id != organization_id]
        self._show_added()
        search = self.query_one("#partner-search", Input)
        self._refilter(search.value)
        search.focus()

    def _refilter(self, text: str) -> None:
        select: Select[int] = self.query_one("#partner", Select)
        current = select.value
        options = self._partner_options(text)
        select.set_options(options)
        if current in [value for _, value in options]:
            select.value = current

    def _summary(self, invite: PartnerInviteForm) -> Text:
        partner = self._partner(invite.organization_id)
        location = partner.location(invite.location_id) if partner else None
        solutions = len(invite.solution_ids)
        return Text.assemble(
            (literal(partner.name if partner else f"#{invite.organization_id}")),
            " (",
            literal(location.label if location else "?"),
            ")\n",
            money(invite.value, invite.currency, compact=False),
            " by ",
            day(invite.close_date),
            f" · {solutions} solution{'s' if solutions != 1 else ''}",
            f" · team of {len(invite.team)}\n",
            f"Help wanted: {invite.help_requested.label}",
        )

    def _show_added(self) -> None:
        pending = self.query_one("#pending-invites", Vertical)
        for row in pending.query(".party-pending-row, .party-pending-empty"):
            row.remove()
        if not self.added:
            pending.mount(Static(self._nobody_yet(), classes="party-pending-empty"))
            return
        for invite in self.added:
            pending.mount(
                Horizontal(
                    Static(self._summary(invite), classes="party-pending-text"),
                    Button("Remove", name=str(invite.organization_id), classes="party-remove"),
                    classes="party-pending-row",
                )
            )

    def _reset_partner(self) -> None:
        """Empty the form for the next partner (the listed ones leave the partner choice)."""
        search = self.query_one("#partner-search", Input)
        search.value = ""
        self._refilter("")
        self.query_one("#partner", Select).clear()
        self.query_one("#partner-value", Input).value = ""
        self.query_one("#partner-currency", Input).value = self.defaults.currency
        self.query_one("#partner-close-date", Input).value = self.defaults.close_date_text
        self.query_one("#partner-notes", TextArea).text = ""
        team: SelectionList[int] = self.query_one("#partner-team", SelectionList)
        team.select_all()
        solutions: SelectionList[int] = self.query_one("#partner-solutions", SelectionList)
        solutions.deselect_all()
        self.query_one("#partner-help", Select).value = HelpType.GENERAL_OR_OTHER
        self.query_one(".dialog-body").scroll_home(animate=False)
        search.focus()
