"""What every wizard step shares: the context it reads, and how it shows its errors (R-UI-4).

A step is a container of `Field`s (from `screens.dialog`) whose keys are `Draft` field names
(`"name"`, `"contact_email"`, `"new_company.duns"`, `"member.phone"`, ...). The screen owns
the `Draft`: it calls `load` when the step is shown, `dump` after every change and before it
checks the step with `domain.wizard.step_errors`, and `show_errors` with what that returned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import OptionList, Static

from cosell_tui.domain.models import Organization, Solution, TeamMemberForm, User
from cosell_tui.domain.wizard import Draft, Rules, Step
from cosell_tui.screens.dialog import Field
from cosell_tui.source import WizardSource


@dataclass(frozen=True)
class WizardContext:
    """Read once when the wizard opens (in a worker); the steps only read it."""

    user: User
    organization: Organization
    rules: Rules
    catalog: list[Solution]  # every solution, assessments included (steps filter)
    partners: list[Organization]  # ecosystem partners the deal may invite (never the user's own)
    recent_contacts: list[TeamMemberForm]  # from the user's earlier deals, newest first
    source: WizardSource  # directory searches and draft storage; call from worker threads
    countries: Mapping[str, str] = field(default_factory=dict)  # ISO code -> name


class WizardStep(VerticalScroll):
    """One step of the wizard. Subclasses set `step` and implement `load` and `dump`."""

    step: ClassVar[Step]

    class Changed(Message):
        """Something not seen by Input/Select/Checkbox/TextArea events changed (a list)."""

    class GoTo(Message):
        """Ask the screen to show another step (the review's 'fix this' keys)."""

        def __init__(self, step: Step) -> None:
            super().__init__()
            self.step = step

    def __init__(self, context: WizardContext) -> None:
        super().__init__(id=f"step-{self.step.value}", classes="wizard-step")
        self.context = context

    @property
    def rules(self) -> Rules:
        return self.context.rules

    def load(self, draft: Draft) -> None:
        """Fill the widgets from the draft (on resume, and whenever the step is shown)."""

    def dump(self, draft: Draft) -> None:
        """Write what is on screen into the draft (never validating: typed is kept as typed)."""

    def extra_errors(self, draft: Draft) -> dict[str, str]:
        """Checks the domain cannot make alone (the directory's D-U-N-S numbers); fast."""
        return {}

    def show_errors(self, messages: dict[str, str]) -> None:
        """Each message under its field; the rest on the step's error line; focus the first."""
        fields = {f.key: f for f in self.query(Field)}
        for each in fields.values():
            each.show_error(None)
        leftover: list[str] = []
        for key, message in messages.items():
            if key in fields:
                fields[key].show_error(message)
            else:
                leftover.append(message)
        for line in self.query(".step-error").results(Static):
            line.update("\n".join(leftover))
            line.display = bool(leftover)
        first = next((f for f in fields.values() if f.has_class("-invalid")), None)
        if first is not None:
            first.control.focus(scroll_visible=False)
            self.call_after_refresh(self.scroll_to_widget, first, animate=False)

    def focus_first(self) -> None:
        """Put the cursor in the step's first field (when the step is shown)."""
        first = next(iter(self.query(Field)), None)
        if first is not None:
            first.control.focus(scroll_visible=False)  # the step was just scrolled home


class RemovableList(OptionList):
    """A list the step edits (team members, invited partners); subclasses bind `remove`."""

    class RemoveRequested(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def action_remove(self) -> None:
        if self.highlighted is not None:
            self.post_message(self.RemoveRequested(self.highlighted))


class ListField(Field):
    """A list as a field, so a message about the whole list shows under it."""

    def value(self) -> Any:
        return None
