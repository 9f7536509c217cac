"""Wizard step 5, Selling (R-UI-4, R-INV-1..3, R-ACL-2): who else works the deal.

A new deal is private. Asking the vendor's sellers for help makes it co-sell (only a
co-sell-ready partner may, and only with the customer contact and consent of step 1);
inviting partners makes it partner to partner, or co-sell with the vendor. The vendor's own
sellers start co-sell opportunities by inviting partners. Invited partners are collected with
the deal screen's `InvitePartnersDialog` and kept in the draft until Create sends them.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import ValidationError
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Button, Select, Static
from textual.widgets.option_list import Option

from cosell_tui.domain.enums import DealType, HelpType, Status
from cosell_tui.domain.models import Organization, PartnerInviteForm, TeamMemberForm
from cosell_tui.domain.parties import PartyState, derive_deal_type
from cosell_tui.domain.wizard import (
    Draft,
    Rules,
    Step,
    member,
    step_errors,
    warnings,
)
from cosell_tui.screens.dialog import Field
from cosell_tui.screens.dialogs.invite import VENDOR_DECIDES, InviteDefaults, InvitePartnersDialog
from cosell_tui.screens.wizard.base import ListField, RemovableList, WizardContext, WizardStep
from cosell_tui.widgets.text import day, literal, money

INVITE_KEY = "ctrl+t"
KEEP_PRIVATE = "None — keep it private (or partners only)"


def help_choices() -> list[tuple[str, HelpType]]:
    """The vendor help select: 'none' first, worded as the private choice it is."""
    return [(KEEP_PRIVATE, HelpType.NONE)] + [
        (h.label, h) for h in HelpType if h is not HelpType.NONE
    ]


def planned_type(draft: Draft, rules: Rules) -> DealType:
    """The type the deal will have once created (R-DEAL-3), from who it invites."""
    own = rules.organization
    parties = [PartyState(own.id, own.is_vendor, Status.ACCEPTED)]
    if draft.vendor_help is not HelpType.NONE and not own.is_vendor:
        parties.append(PartyState(-1, True, Status.RECEIVED))
    parties += [PartyState(p.organization_id, False, Status.RECEIVED) for p in draft.partners]
    return derive_deal_type(rules.is_assessment(draft), parties)


def team_for_invites(draft: Draft) -> list[TeamMemberForm]:
    """The deal's team as the invitation offers it; people not typed correctly are left out."""
    team = []
    for person in draft.team:
        try:
            team.append(member(person))
        except ValidationError:
            continue
    return team


def typed_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def partner_label(invite: PartnerInviteForm, partners: list[Organization]) -> Text:
    """'Fabrikam (Berlin, DE)': the invited partner and the location it is invited at."""
    partner = next((p for p in partners if p.id == invite.organization_id), None)
    location = partner.location(invite.location_id) if partner else None
    return Text.assemble(
        literal(partner.name if partner else f"partner #{invite.organization_id}"),
        " (",
        literal(location.label if location else "?"),
        ")",
    )


def invite_line(invite: PartnerInviteForm, partners: list[Organization]) -> Text:
    """The partner, then its terms: value, close date, solutions and the help wanted."""
    count = len(invite.solution_ids)
    who = partner_label(invite, partners)
    who.stylize("bold")
    return Text.assemble(
        who,
        "\n  ",
        money(invite.value, invite.currency, compact=False),
        " by ",
        day(invite.close_date),
        f" · {count} solution{'s' if count != 1 else ''}",
        f" · help: {invite.help_requested.label}",
    )


class AddPartnersDialog(InvitePartnersDialog):
    """The deal screen's partner invitation; in the wizard nothing is sent before Create."""

    save_label = "Add to the deal"


class InvitedPartners(RemovableList):
    """The partners invited so far; `delete` or `backspace` takes the highlighted one off."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "delete,backspace",
            "remove",
            "Remove",
            id="wizard.selling.remove",
            tooltip="Take the highlighted partner off the list (nothing is sent before Create)",
        ),
    ]


class SellingStep(WizardStep):
    step = Step.SELLING

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            INVITE_KEY,
            "invite_partner",
            "Invite partner",
            id="wizard.selling.invite",
            tooltip="Choose an ecosystem partner and its terms; sent when the deal is created",
        ),
    ]

    def __init__(self, context: WizardContext) -> None:
        super().__init__(context)
        self.partners: list[PartnerInviteForm] = []
        self._draft = Draft()  # the screen's draft, as last loaded: steps 1-3 are read from it

    @property
    def organization(self) -> Organization:
        return self.context.organization

    @property
    def may_ask_vendor(self) -> bool:
        return not self.organization.is_vendor and self.organization.co_sell_ready

    # layout

    def compose(self) -> ComposeResult:
        yield Static("", id="selling-type", classes="selling-type")
        yield Static("", id="selling-warning", classes="selling-warning", markup=False)
        if self.organization.is_vendor:
            yield Static(
                "You are the vendor: you start a co-sell opportunity by inviting partners. "
                "Each gets its own inbound deal and 14 days to answer.",
                id="selling-vendor-self",
                classes="selling-note",
            )
        elif not self.organization.co_sell_ready:
            yield Static(
                Text.assemble(
                    "The vendor cannot be invited: ",
                    literal(self.organization.name),
                    " is not co-sell ready (it has no commercially ready solution), and only "
                    "co-sell-ready organizations may ask the vendor's sellers for help. You can "
                    "still invite partners.",
                ),
                id="selling-not-ready",
                classes="selling-note",
            )
        else:
            yield Field(
                "Help wanted from the vendor",
                Select(
                    help_choices(),
                    value=HelpType.NONE,
                    allow_blank=False,
                    id="vendor-help",
                ),
                "vendor_help",
                hint="Anything but none invites the vendor's sellers: co-sell. " + VENDOR_DECIDES,
            )
        yield ListField(
            "Partners to invite",
            InvitedPartners(id="selling-partners"),
            "partners",
            hint="delete or backspace takes the highlighted partner off the list.",
        )
        yield Button(f"Invite partner ({INVITE_KEY})", id="selling-invite")
        yield Static("", classes="step-error", markup=False)

    def on_mount(self) -> None:
        for each in self.query(Field):
            each.show_error(None)
        for line in self.query(".step-error").results(Static):
            line.display = False
        self._show_partners()
        self._refresh()

    def focus_first(self) -> None:
        if self.may_ask_vendor:
            self.query_one("#vendor-help", Select).focus(scroll_visible=False)
        else:
            self.query_one("#selling-invite", Button).focus(scroll_visible=False)

    def show_errors(self, messages: dict[str, str]) -> None:
        super().show_errors(messages)
        if "partners" in messages and not self.partners:
            # an empty list has nothing to act on: the cursor goes where the fix starts
            self.query_one("#selling-invite", Button).focus(scroll_visible=False)

    # the draft

    def load(self, draft: Draft) -> None:
        self._draft = draft
        self.partners = [p.model_copy() for p in draft.partners]
        if self.may_ask_vendor:
            select: Select[HelpType] = self.query_one("#vendor-help", Select)
            if select.value != draft.vendor_help:
                select.value = draft.vendor_help
        if self.is_mounted:
            self._show_partners()
            self._refresh()
            # again once the screen has cleared the step's errors, so the live message stays
            self.call_after_refresh(self._refresh)

    def dump(self, draft: Draft) -> None:
        draft.vendor_help = self._help()
        draft.partners = [p.model_copy() for p in self.partners]

    def _help(self) -> HelpType:
        if not self.may_ask_vendor:
            return HelpType.NONE  # no such choice here: a stale draft must not invite the vendor
        value = self.query_one("#vendor-help", Select).value
        return value if isinstance(value, HelpType) else HelpType.NONE

    def _probe(self) -> Draft:
        """The draft as it would be with what is on this step now."""
        return self._draft.model_copy(
            update={"vendor_help": self._help(), "partners": list(self.partners)}
        )

    # live feedback

    def _refresh(self) -> None:
        """The deal type, the private-deal warning and the vendor's needs, as choices change."""
        probe = self._probe()
        self.query_one("#selling-type", Static).update(self._type_text(probe))
        warning = self.query_one("#selling-warning", Static)
        found = warnings(probe, self.rules)
        warning.update("\n".join(f"Warning: {w}" for w in found))
        warning.display = bool(found)
        if self.may_ask_vendor:
            problem = step_errors(probe, Step.SELLING, self.rules).get("vendor_help")
            field = next(f for f in self.query(Field) if f.key == "vendor_help")
            field.show_error(problem)

    def _type_text(self, probe: Draft) -> Text:
        kind = planned_type(probe, self.rules)
        count = len(probe.partners)
        partners = f"{count} partner{'s' if count != 1 else ''}"
        if kind is DealType.PRIVATE:
            rest = (
                "only your organization sees it until you invite partners."
                if self.organization.is_vendor
                else "only your organization sees it. Ask the vendor for help or invite "
                "partners to share it."
            )
            return Text.assemble(("Private", "bold"), " deal: ", rest)
        if kind is DealType.CO_SELL and self.organization.is_vendor:
            return Text.assemble(
                ("Co-sell", "bold"),
                " opportunity: " + (f"{partners} invited." if count else "no partner invited yet."),
            )
        if kind is DealType.CO_SELL:
            return Text.assemble(
                ("Co-sell", "bold"),
                " deal: the vendor's sellers are invited"
                + (f", and {partners}." if count else "."),
            )
        if kind is DealType.PARTNER_TO_PARTNER:
            return Text.assemble(
                ("Partner to partner", "bold"), f" deal: {partners} invited, not the vendor."
            )
        return Text.assemble((kind.label, "bold"), " deal: it takes no invitations.")

    @on(Select.Changed, "#vendor-help")
    def _help_changed(self) -> None:
        self._refresh()

    # partners

    def _show_partners(self) -> None:
        listing = self.query_one("#selling-partners", InvitedPartners)
        keep = listing.highlighted
        listing.clear_options()
        if not self.partners:
            listing.add_option(
                Option("None yet: press the button below or " + INVITE_KEY, disabled=True)
            )
            return
        everyone = self.context.partners
        listing.add_options([Option(invite_line(p, everyone)) for p in self.partners])
        listing.highlighted = min(keep or 0, len(self.partners) - 1)

    def _candidates(self) -> list[Organization]:
        taken = {p.organization_id for p in self.partners}
        return [o for o in self.context.partners if o.id not in taken]

    def action_invite_partner(self) -> None:
        draft = self._draft
        dialog = AddPartnersDialog(
            InviteDefaults(
                organization_id=self.organization.id,
                currency=draft.currency.strip(),
                close_date=typed_date(draft.close_date),
            ),
            self._candidates(),
            self.context.catalog,
            team_for_invites(draft),
            today=self.rules.today,
        )
        self.app.push_screen(dialog, self._invited)

    def _invited(self, invites: list[PartnerInviteForm] | None) -> None:
        if not invites:
            return
        taken = {p.organization_id for p in self.partners}
        self.partners += [i for i in invites if i.organization_id not in taken]
        self._show_partners()
        self._refresh()
        self.post_message(self.Changed())
        self.query_one("#selling-partners", InvitedPartners).focus()

    @on(Button.Pressed, "#selling-invite")
    def _invite_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_invite_partner()

    @on(InvitedPartners.RemoveRequested)
    def _remove(self, event: InvitedPartners.RemoveRequested) -> None:
        event.stop()
        if not 0 <= event.index < len(self.partners):
            return
        del self.partners[event.index]
        self._show_partners()
        self._refresh()
        self.post_message(self.Changed())
        if not self.partners:
            self.query_one("#selling-invite", Button).focus()
