"""Wizard step 3, Team (R-UI-4, R-DEAL-2): who of the organization works the deal.

The creator is on the team from the start (as when a deal is accepted) and may remove
themself. People are added by typing them into the member form (checked by the same
`TeamMemberForm` the services use) or, with one key, from the recent contacts of the user's
earlier deals. A person half-typed into the form is kept in the draft as typed, and Next
refuses to go on until it is added or cleared, so nobody is silently dropped.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import ValidationError
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from cosell_tui.domain.models import TeamMemberForm
from cosell_tui.domain.validation import field_messages
from cosell_tui.domain.wizard import MEMBER_NOT_ADDED, Draft, DraftMember, Step, member
from cosell_tui.screens.dialog import Field
from cosell_tui.screens.wizard.base import ListField, RemovableList, WizardContext, WizardStep
from cosell_tui.widgets.text import literal

WIDE = 100  # columns from which the recent contacts sit beside the member form
MEMBER_KEYS = ("first_name", "last_name", "phone", "email")
ADD_KEY = "ctrl+t"


def _email(person: DraftMember | TeamMemberForm) -> str:
    return person.email.strip().casefold()


def _name(person: DraftMember | TeamMemberForm) -> str:
    return f"{person.first_name.strip()} {person.last_name.strip()}".strip()


class TeamMembers(RemovableList):
    """The team so far; `delete` or `backspace` removes the highlighted person."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "delete,backspace",
            "remove",
            "Remove",
            id="wizard.team.remove",
            tooltip="Take the highlighted person off the team",
        ),
    ]


class TeamStep(WizardStep):
    step = Step.TEAM

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            ADD_KEY,
            "add_member",
            "Add to team",
            id="wizard.team.add",
            tooltip="Add the person typed in the form to the team (enter in the form does too)",
        ),
    ]

    def __init__(self, context: WizardContext) -> None:
        super().__init__(context)
        self.members: list[DraftMember] = []
        # Once the user empties the team themself, showing the step again must not put the
        # creator back behind their back.
        self._emptied = False

    # layout

    def compose(self) -> ComposeResult:
        yield ListField(
            "On the team",
            TeamMembers(id="team-list"),
            "team",
            hint="delete or backspace takes the highlighted person off the team.",
        )
        with Horizontal(id="team-add"):
            with Vertical(id="member-form"):
                yield Label("Add a person", classes="team-section")
                with Horizontal(classes="member-row"):
                    yield Field("First name", self._input("first_name"), "member.first_name")
                    yield Field("Last name", self._input("last_name"), "member.last_name")
                with Horizontal(classes="member-row"):
                    yield Field(
                        "Phone",
                        self._input("phone", "e.g. +1 206 555 0100"),
                        "member.phone",
                    )
                    yield Field(
                        "Email",
                        self._input("email", "name@example.com"),
                        "member.email",
                    )
                yield Static("", classes="step-error", markup=False)
                yield Button(f"Add to team ({ADD_KEY})", id="member-add")
            with Vertical(id="recent"):
                yield Label("Recent contacts", classes="team-section")
                yield Static("", classes="field-hint", id="recent-hint")
                yield OptionList(id="recent-contacts")

    @staticmethod
    def _input(key: str, placeholder: str = "") -> Input:
        return Input(placeholder=placeholder, id=f"member-{key.replace('_', '-')}")

    def on_mount(self) -> None:
        for each in self.query(Field):
            each.show_error(None)
        for line in self.query(".step-error").results(Static):
            line.display = False
        self._refresh_lists()

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width >= WIDE, "-wide")

    def focus_first(self) -> None:
        # Typing the next person is the usual thing to do here; the list is one tab back.
        self._member_input("first_name").focus(scroll_visible=False)

    # the draft

    def load(self, draft: Draft) -> None:
        self.members = [m.model_copy() for m in draft.team]
        fresh = not draft.team and draft.member.is_empty()
        if fresh and not self._emptied:
            user = self.context.user
            self.members = [
                DraftMember(
                    first_name=user.first_name,
                    last_name=user.last_name,
                    phone=user.phone,
                    email=user.email,
                )
            ]
        for key in MEMBER_KEYS:
            box = self._member_input(key)
            value = getattr(draft.member, key)
            if box.value != value:
                box.value = value
        if self.is_mounted:
            self._refresh_lists()

    def dump(self, draft: Draft) -> None:
        draft.team = [m.model_copy() for m in self.members]
        draft.member = self._typed()

    def show_errors(self, messages: dict[str, str]) -> None:
        super().show_errors(messages)
        if any(f.has_class("-invalid") for f in self.query(Field)):
            return
        if MEMBER_NOT_ADDED in messages.values():
            # Only the half-typed person is wrong: take the user to it.
            self._member_input("first_name").focus(scroll_visible=False)
            self.call_after_refresh(
                self.scroll_to_widget, self.query_one("#member-form"), animate=False
            )

    # widgets

    def _member_input(self, key: str) -> Input:
        return self.query_one(f"#member-{key.replace('_', '-')}", Input)

    def _typed(self) -> DraftMember:
        return DraftMember(**{key: self._member_input(key).value for key in MEMBER_KEYS})

    def _team_list(self) -> TeamMembers:
        return self.query_one("#team-list", TeamMembers)

    def _recent_list(self) -> OptionList:
        return self.query_one("#recent-contacts", OptionList)

    def _refresh_lists(self) -> None:
        team = self._team_list()
        keep = team.highlighted
        team.clear_options()
        team.add_options([Option(self._member_line(m)) for m in self.members])
        if self.members:
            team.highlighted = min(keep or 0, len(self.members) - 1)
        self._refresh_recent()

    def _refresh_recent(self) -> None:
        recent = self._recent_list()
        contacts = self.context.recent_contacts
        keep = recent.highlighted
        on_team = {_email(m) for m in self.members}
        recent.clear_options()
        recent.add_options(
            [
                Option(
                    self._contact_lines(c, _email(c) in on_team),
                    id=f"recent-{i}",
                    disabled=_email(c) in on_team,
                )
                for i, c in enumerate(contacts)
            ]
        )
        recent.display = bool(contacts)
        self.query_one("#recent-hint", Static).update(
            "From your earlier deals · enter adds one."
            if contacts
            else "People on your earlier deals will be listed here."
        )
        if contacts:
            free = [i for i, c in enumerate(contacts) if _email(c) not in on_team]
            if keep is not None and keep in free:
                recent.highlighted = keep
            else:
                after = [i for i in free if keep is None or i >= keep]
                recent.highlighted = next(iter(after or free), None)
        if recent.has_focus:  # the team above grew: keep the whole list in view
            self.call_after_refresh(recent.scroll_visible, animate=False)

    @staticmethod
    def _member_line(person: DraftMember) -> Text:
        return Text.assemble(
            literal(_name(person), "bold"),
            " · ",
            literal(person.email.strip()),
            " · ",
            literal(person.phone.strip()),
        )

    @staticmethod
    def _contact_lines(person: TeamMemberForm, on_team: bool) -> Text:
        if on_team:
            return Text.assemble(
                "✓ ", literal(_name(person)), " · on the team\n  ", literal(person.email)
            )
        return Text.assemble(
            literal(_name(person), "bold"),
            " · ",
            literal(person.email),
            "\n  ",
            literal(person.phone),
        )

    # adding and removing

    def action_add_member(self) -> None:
        typed = self._typed()
        if typed.is_empty():
            self.show_errors({"member.first_name": "Type the person to add first."})
            return
        try:
            valid = member(typed)
        except ValidationError as error:
            self.show_errors({f"member.{k}": v for k, v in field_messages(error).items()})
            return
        if any(_email(m) == valid.email.casefold() for m in self.members):
            self.show_errors({"member.email": f"{valid.email} is already on the team."})
            return
        self._add(DraftMember(**valid.model_dump()))
        for key in MEMBER_KEYS:
            self._member_input(key).value = ""
        self.show_errors({})
        self._member_input("first_name").focus()

    def _add(self, person: DraftMember) -> None:
        self.members.append(person)
        self._emptied = False
        self._refresh_lists()
        team = self._team_list()
        team.highlighted = len(self.members) - 1
        self.query_one(ListField).show_error(None)
        self.post_message(self.Changed())

    @on(Button.Pressed, "#member-add")
    def _add_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_add_member()

    @on(Input.Submitted, "#member-form Input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not self._typed().is_empty():
            self.action_add_member()

    @on(OptionList.OptionSelected, "#recent-contacts")
    def _recent_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        contact = self.context.recent_contacts[event.option_index]
        if any(_email(m) == _email(contact) for m in self.members):
            return  # marked as on the team already (and disabled)
        self._add(DraftMember(**contact.model_dump()))

    @on(TeamMembers.RemoveRequested)
    def _remove(self, event: TeamMembers.RemoveRequested) -> None:
        event.stop()
        if not 0 <= event.index < len(self.members):
            return
        del self.members[event.index]
        self._emptied = not self.members
        self._refresh_lists()
        self.post_message(self.Changed())
