"""Accept a received deal (R-LIFE-3, R-UI-5): name it, adjust its terms, and name your team.

The team starts with the accepting user. A small sub-form adds people (its Add button, or
`enter` in any of its inputs); in the team list `delete` (or `x`) removes the highlighted
person and `enter` moves them back into the sub-form to correct them. Whatever is typed in
the sub-form when the dialog is saved joins the team too, so nothing typed is lost (R-Q-1).
The sender's contacts are shown read-only: accepting keeps them on the team.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, ClassVar

from pydantic import ValidationError
from rich.text import Text
from textual import events, on
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Button, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from cosell_tui.domain.errors import InvalidInput
from cosell_tui.domain.models import AcceptForm, Referral, TeamMemberForm, User
from cosell_tui.domain.validation import FORM_FIELD, field_messages
from cosell_tui.screens.dialog import Field, FormDialog
from cosell_tui.screens.dialogs.close import focus_first_invalid
from cosell_tui.widgets.text import literal

MEMBER_FIELDS = ("first_name", "last_name", "phone", "email")
MEMBER_LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "phone": "Phone",
    "email": "Email",
}
NEW = "new."  # prefix of the sub-form's field keys: "new.email" is the new member's email
EMPTY_TEAM = "No one yet: add at least one member below."
PAST_CLOSE_DATE = "Choose today or a later date."  # the service's words (services.accept)

Member = dict[str, str]


def member_line(member: Member) -> Text:
    """One person as the lists show them, literally (R-Q-1)."""
    line = Text()
    line.append_text(literal(f"{member['first_name']} {member['last_name']}".strip(), "bold"))
    for part in (member["email"], member["phone"]):
        if part:
            line.append("  ·  ")
            line.append_text(literal(part))
    return line


def _who(member: Member, index: int) -> str:
    name = f"{member.get('first_name', '')} {member.get('last_name', '')}".strip()
    return name or member.get("email", "") or f"Member {index + 1}"


class AcceptTeamList(OptionList):
    """Your organization's people on the deal; the dialog keeps the list of members."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "delete,x",
            "remove_member",
            "Remove member",
            id="accept.team.remove",
            tooltip="Take the highlighted person off the team",
        ),
    ]

    class RemoveRequested(OptionList.OptionMessage):
        """The user asked to remove the highlighted member."""

    def action_remove_member(self) -> None:
        index = self.highlighted
        if index is None or self.get_option_at_index(index).disabled:
            return
        self.post_message(self.RemoveRequested(self, self.get_option_at_index(index), index))


class TeamField(Field):
    """The team as a Field: its value is the members (raw), its error line the team's."""

    def __init__(self, members: list[Member]) -> None:
        super().__init__(
            "Your team",
            AcceptTeamList(id="team-list"),
            "team",
            hint="delete/x: remove the highlighted person · enter: correct them below",
        )
        self.members = list(members)

    def on_mount(self) -> None:
        self.refresh_list()

    @property
    def team_list(self) -> AcceptTeamList:
        assert isinstance(self.control, AcceptTeamList)
        return self.control

    def refresh_list(self, highlight: int | None = None) -> None:
        options = self.team_list
        options.clear_options()
        if not self.members:
            options.add_option(Option(EMPTY_TEAM, disabled=True))
            return
        options.add_options(Option(member_line(member)) for member in self.members)
        # Always a highlighted person, so delete and enter act at once when the list is reached.
        options.highlighted = max(0, min(highlight or 0, len(self.members) - 1))

    def value(self) -> list[Member]:
        return [dict(member) for member in self.members]

    def show_error(self, message: str | None) -> None:
        """As Field's, but the message names people, so it is shown literally (R-Q-1)."""
        error = self.query_one(".field-error", Static)
        error.update(Text(message or ""))
        error.display = bool(message)
        self.set_class(bool(message), "-invalid")


class AcceptDialog(FormDialog[AcceptForm]):
    """Returns the AcceptForm for services.accept, or None when cancelled."""

    title_text = "Accept this deal"
    save_label = "Accept"

    def __init__(
        self,
        referral: Referral,
        me: User,
        team_default: list[TeamMemberForm] | None = None,
        *,
        today: date | None = None,
    ) -> None:
        super().__init__()
        self.referral = referral
        self.me = me
        self.today = today  # when given, a past close date is refused here, as the service does
        if team_default:
            self.initial_team = [
                {key: getattr(member, key) for key in MEMBER_FIELDS} for member in team_default
            ]
        else:
            self.initial_team = [{key: getattr(me, key) for key in MEMBER_FIELDS}]

    # --- layout -----------------------------------------------------------------------------

    BODY_AT_80X24 = 16  # the shared dialog body height, which just fits 24 rows
    CHROME = 8  # border, title and buttons around the body

    def on_mount(self) -> None:
        # FormDialog's own on_mount runs too (Textual calls each class's handler in the MRO).
        self._fit_body(self.app.size.height)

    def on_resize(self, event: events.Resize) -> None:
        self._fit_body(event.size.height)

    def _fit_body(self, rows: int) -> None:
        """The form is long: on a taller terminal show more of it than the shared 16 rows."""
        body = self.query_one(".dialog-body")
        body.styles.max_height = max(self.BODY_AT_80X24, rows - self.CHROME)

    def compose_fields(self) -> Iterable[Widget]:
        ref = self.referral
        yield Field("Deal name", Input(ref.name, id="name"), "name")
        with Horizontal(classes="field-row"):
            yield Field("Estimated value", Input(f"{ref.value:f}", id="value"), "value")
            yield Field("Currency", Input(ref.currency, id="currency"), "currency")
            yield Field(
                "Close date",
                Input(ref.close_date.isoformat(), placeholder="YYYY-MM-DD", id="close-date"),
                "close_date",
                hint="YYYY-MM-DD",
            )
        yield Field("Notes (optional)", TextArea(ref.notes or "", id="notes"), "notes")
        with Horizontal(classes="field-row"):
            yield Field("CRM id (optional)", Input(ref.crm_id or "", id="crm-id"), "crm_id")
            yield Field(
                "Campaign id (optional)",
                Input(ref.campaign_id or "", id="campaign-id"),
                "campaign_id",
            )
        yield TeamField(self.initial_team)
        yield from self._sender_contacts()
        yield Label("Add a team member", classes="field-label new-member-title")
        with Horizontal(classes="field-row"):
            yield Field("First name", Input(id="new-first-name"), f"{NEW}first_name")
            yield Field("Last name", Input(id="new-last-name"), f"{NEW}last_name")
        with Horizontal(classes="field-row"):
            yield Field("Phone", Input(id="new-phone"), f"{NEW}phone")
            yield Field("Email", Input(id="new-email"), f"{NEW}email")
        with Horizontal(classes="new-member-buttons"):
            yield Button("Add member", id="add-member")

    def _sender_contacts(self) -> Iterable[Widget]:
        ref = self.referral
        theirs = [m for m in ref.team if m.organization_id != ref.organization_id]
        if not theirs:
            return
        yield Label("The sender's contacts", classes="field-label sender-title")
        lines = Text("They stay on the team; only their own organization changes them.\n")
        for member in theirs:
            lines.append("  ")
            lines.append_text(
                member_line(
                    {
                        "first_name": member.first_name,
                        "last_name": member.last_name,
                        "phone": member.phone,
                        "email": member.email,
                    }
                )
            )
            lines.append("\n")
        lines.rstrip()
        yield Static(lines, classes="sender-contacts")

    # --- the team -----------------------------------------------------------------------------

    @property
    def team_field(self) -> TeamField:
        return self.query_one(TeamField)

    def _new_inputs(self) -> dict[str, Input]:
        return {
            key: self.query_one(f"#new-{key.replace('_', '-')}", Input) for key in MEMBER_FIELDS
        }

    def _new_fields(self) -> dict[str, Field]:
        return {
            field.key.removeprefix(NEW): field
            for field in self.query(Field)
            if field.key.startswith(NEW)
        }

    def _show_new_errors(self, messages: dict[str, str]) -> None:
        for key, field in self._new_fields().items():
            field.show_error(messages.get(key))

    def action_add_member(self) -> None:
        """Check the sub-form's person; add them to the list, or say what is wrong."""
        raw = {key: box.value for key, box in self._new_inputs().items()}
        try:
            member = TeamMemberForm.model_validate(raw)
        except ValidationError as problem:
            self._show_new_errors(field_messages(problem))
            self._focus_first_new_error()
            return
        listed = {m["email"].strip().lower() for m in self.team_field.members}
        if member.email in listed:
            self._show_new_errors({"email": "Already on the team."})
            self._new_inputs()["email"].focus()
            return
        self._show_new_errors({})
        team = self.team_field
        team.members.append(member.model_dump())
        team.refresh_list(highlight=len(team.members) - 1)
        team.show_error(None)
        inputs = self._new_inputs()
        for box in inputs.values():
            box.value = ""
        inputs["first_name"].focus()

    def _focus_first_new_error(self) -> None:
        fields = self._new_fields()
        for key, box in self._new_inputs().items():
            if fields[key].has_class("-invalid"):
                box.focus()
                return

    @on(Button.Pressed, "#add-member")
    def _add_pressed(self) -> None:
        self.action_add_member()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.input.id is not None and event.input.id.startswith("new-"):
            event.stop()
            self.action_add_member()

    @on(AcceptTeamList.RemoveRequested)
    def _remove(self, event: AcceptTeamList.RemoveRequested) -> None:
        team = self.team_field
        del team.members[event.option_index]
        team.refresh_list(highlight=event.option_index)
        team.show_error(None)

    @on(OptionList.OptionSelected, "#team-list")
    def _edit(self, event: OptionList.OptionSelected) -> None:
        """Move the chosen person into the sub-form, unless something is typed there."""
        inputs = self._new_inputs()
        team = self.team_field
        if any(box.value.strip() for box in inputs.values()):
            team.show_error("Add or clear the person in the fields below first.")
            return
        member = team.members.pop(event.option_index)
        team.refresh_list(highlight=event.option_index)
        team.show_error(None)
        for key, box in inputs.items():
            box.value = member.get(key, "")
        inputs["first_name"].focus()

    # --- the result -----------------------------------------------------------------------------

    def check(self) -> AcceptForm | None:
        result = super().check()
        if result is None:
            focus_first_invalid(self)
        return result

    def build(self, values: dict[str, Any]) -> AcceptForm:
        pending = {key: values.pop(f"{NEW}{key}") for key in MEMBER_FIELDS}
        listed: list[Member] = values.pop("team")
        team: list[Member] = list(listed)
        started = any(str(value).strip() for value in pending.values())
        if started:
            team.append(pending)
        messages: dict[str, str] = {}
        try:
            form = AcceptForm.model_validate({**values, "team": team})
        except ValidationError as problem:
            messages = field_messages(problem)
        else:
            if not self._past(form.close_date):
                return form
        if "close_date" not in messages and self._past(values.get("close_date")):
            messages["close_date"] = PAST_CLOSE_DATE
        placed = self._place(messages, listed, pending if started else None)
        raise InvalidInput("Please correct the form.", placed)

    def _past(self, value: object) -> bool:
        """Whether `value` (a date or its text) is before `today` (the service refuses it)."""
        if self.today is None:
            return False
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value.strip())
            except ValueError:
                return False
        return isinstance(value, date) and value < self.today

    @staticmethod
    def _place(
        messages: dict[str, str], listed: list[Member], pending: Member | None
    ) -> dict[str, str]:
        """Route team errors: the new person's under the sub-form, a listed one's under the list."""
        placed: dict[str, str] = {}
        about_team: list[str] = []
        for key, message in messages.items():
            parts = key.split(".")
            if parts[0] != "team" or len(parts) < 2 or not parts[1].isdigit():
                placed.setdefault(key, message)
                continue
            index = int(parts[1])
            field = parts[2] if len(parts) > 2 else ""
            if index >= len(listed):
                placed.setdefault(f"{NEW}{field}" if field else "team", message)
            else:
                label = MEMBER_LABELS.get(field, field.replace("_", " "))
                about_team.append(f"{_who(listed[index], index)}, {label}: {message}")
        if pending is not None and FORM_FIELD in placed:
            emails = {m.get("email", "").strip().lower() for m in listed}
            if pending.get("email", "").strip().lower() in emails:
                placed.pop(FORM_FIELD)  # the duplicate is the new person: say so there
                placed.setdefault(f"{NEW}email", "Already on the team.")
        if about_team:
            about_team.append("Highlight the person and press enter to correct them.")
            if "team" in placed:
                about_team.insert(0, placed["team"])
            placed["team"] = "\n".join(about_team)
        return placed
