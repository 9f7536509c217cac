"""Change an accepted deal's team (R-DEAL-2, R-LIFE-6, R-UI-5): add one person or remove one.

The dialog returns one change; the deal screen calls `services.add_team_member` or
`services.remove_team_member` with it. Only the organization's own people can be removed, and
never the last of them; another organization's people (P2P invitations) are listed with their
organization and stay.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from cosell_tui.domain.errors import InvalidInput
from cosell_tui.domain.models import Referral, TeamMember, TeamMemberForm
from cosell_tui.screens.dialog import Field, FormDialog
from cosell_tui.widgets.text import literal

LAST_MEMBER = "A deal keeps at least one team member; add someone else first."


@dataclass(frozen=True)
class TeamChange:
    """Exactly one of: a person to add, or the email of an own member to remove."""

    add: TeamMemberForm | None = None
    remove: str | None = None

    def __post_init__(self) -> None:
        if (self.add is None) == (self.remove is None):
            raise ValueError("A team change either adds one person or removes one.")


class TeamList(OptionList):
    """The current team; `delete` or `x` asks to remove the highlighted person."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "delete,x",
            "remove",
            "Remove",
            id="team.remove",
            tooltip="Remove the highlighted person of your organization from the team",
        ),
    ]

    class RemoveRequested(Message):
        def __init__(self, member: TeamMember) -> None:
            super().__init__()
            self.member = member

    def __init__(self, members: list[TeamMember], prompts: list[Text]) -> None:
        super().__init__(*(Option(p, id=f"m{i}") for i, p in enumerate(prompts)), id="team")
        self.members = members

    def action_remove(self) -> None:
        if self.highlighted is not None:
            self.post_message(self.RemoveRequested(self.members[self.highlighted]))


class TeamField(Field):
    """The team list as the dialog's first field, so it takes the focus and shows refusals."""

    def value(self) -> Any:
        return None

    def show_error(self, message: Text | str | None) -> None:
        error = self.query_one(".field-error", Static)
        error.update(message or "")
        error.display = bool(message)
        self.set_class(bool(message), "-invalid")


class TeamDialog(FormDialog[TeamChange]):
    """Returns a TeamChange, or None when cancelled."""

    title_text = "Deal team"
    save_label = "Add to team"

    def __init__(self, referral: Referral, organization_names: dict[int, str]) -> None:
        super().__init__()
        self.referral = referral
        self.organization_names = organization_names
        own = [m for m in referral.team if m.organization_id == referral.organization_id]
        others = [m for m in referral.team if m.organization_id != referral.organization_id]
        self.members = own + others  # own people first: they are the ones this list changes

    def _own(self, member: TeamMember) -> bool:
        return member.organization_id == self.referral.organization_id

    def _prompt(self, member: TeamMember) -> Text:
        line = Text.assemble(
            literal(member.full_name, "bold"),
            "  ",
            literal(member.email),
            "  ",
            literal(member.phone),
        )
        if not self._own(member):
            name = self.organization_names.get(member.organization_id, "another organization")
            line.append("\n    ")
            line.append_text(literal(name, "italic"))
            line.append(" · the inviting partner's contact", "italic")
        return line

    def compose_fields(self) -> Iterable[Widget]:
        yield TeamField(
            "On the team",
            TeamList(self.members, [self._prompt(m) for m in self.members]),
            "team",
            hint="x or delete removes the highlighted person of your organization.",
        )
        yield Label("Add a person", classes="team-add-title")
        yield Field("First name", Input(max_length=200), "first_name")
        yield Field("Last name", Input(max_length=200), "last_name")
        yield Field("Phone", Input(placeholder="e.g. +1 206 555 0100"), "phone")
        yield Field("Email", Input(placeholder="name@example.com"), "email")

    def values(self) -> dict[str, Any]:
        return {key: value for key, value in super().values().items() if key != "team"}

    def _show_team_error(self, message: Text | str | None) -> None:
        self.query_one(TeamField).show_error(message)

    @on(TeamList.RemoveRequested)
    def _remove(self, event: TeamList.RemoveRequested) -> None:
        member = event.member
        if not self._own(member):
            self._show_team_error(
                Text.assemble(
                    literal(member.email),
                    " is the inviting organization's contact and stays on the team.",
                )
            )
            return
        if sum(1 for m in self.members if self._own(m)) == 1:
            self._show_team_error(LAST_MEMBER)
            return
        self._show_team_error(None)
        self.dismiss(TeamChange(remove=member.email))

    def build(self, values: dict[str, Any]) -> TeamChange:
        member = TeamMemberForm.model_validate(values)
        if any(self._own(m) and m.email.lower() == member.email for m in self.members):
            raise InvalidInput(
                f"{member.email} is already on the team.", {"email": "Already on the team."}
            )
        return TeamChange(add=member)
