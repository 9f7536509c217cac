"""Close a deal as Won or Lost (R-LIFE-1, R-LIFE-6, R-LIFE-8, R-REG-1): final, so confirmed.

Both dialogs check their form first, then ask "cannot be undone" in a ConfirmDialog; only a
yes returns the form. A no closes the question and leaves the dialog open with what was
typed, so the user can change it or cancel. Won, when `won_blocker` gives a reason (an SA deal
short of its 80 % stage), shows that reason and offers nothing but closing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ValidationError
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Label, Select, Static, TextArea

from cosell_tui.domain.enums import LostReason
from cosell_tui.domain.errors import InvalidInput
from cosell_tui.domain.lifecycle import STAGE_PERCENT, stage_name
from cosell_tui.domain.models import LostForm, Referral, WonForm
from cosell_tui.domain.validation import FORM_FIELD, field_messages
from cosell_tui.screens.dialog import FINAL_WARNING, ConfirmDialog, Field, FormDialog

T = TypeVar("T", bound=BaseModel)

REGISTRATION_NEXT = (
    "This deal can be registered with the vendor (deal registration): "
    "you will be offered to register it next."
)


def focus_first_invalid(dialog: FormDialog[Any]) -> None:
    """After a refused save, put the cursor where the first correction is needed."""
    invalid = next(iter(dialog.query(".field.-invalid").results(Field)), None)
    if invalid is not None:
        invalid.control.focus()


class FinalDialog(FormDialog[T]):
    """A form that moves the deal into a final state: Save asks for confirmation first."""

    final_status: ClassVar[str] = ""
    question: ClassVar[str] = ""
    yes_label: ClassVar[str] = "Yes"

    def __init__(self) -> None:
        super().__init__()
        self.asking = False

    def consequence(self, result: T) -> str:
        return FINAL_WARNING.format(status=self.final_status)

    def check(self) -> T | None:
        result = super().check()
        if result is None:
            focus_first_invalid(self)
        return result

    def action_save(self) -> None:
        if self.asking:
            return
        result = self.check()
        if result is None:
            return

        def answered(yes: bool | None) -> None:
            self.asking = False
            if yes:
                self.dismiss(result)

        self.asking = True
        self.app.push_screen(
            ConfirmDialog(self.question, self.consequence(result), yes=self.yes_label), answered
        )


class WonDialog(FinalDialog[WonForm]):
    """Returns the WonForm for services.mark_won (after a yes), or None."""

    title_text = "Mark this deal won"
    save_label = "Mark won…"
    warning = FINAL_WARNING.format(status="won")
    final_status = "won"
    question = "Mark this deal as won?"
    yes_label = "Mark won"

    def __init__(self, referral: Referral, blocker: str | None, offers_registration: bool) -> None:
        super().__init__()
        self.referral = referral
        self.blocker = blocker
        self.offers_registration = offers_registration

    def compose(self) -> ComposeResult:
        if self.blocker is None:
            yield from super().compose()
            return
        with Vertical(classes="dialog form-dialog won-blocked"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(Text(self.blocker), classes="dialog-warning won-blocker")
            now = self.referral.stage
            yield Static(
                Text(
                    f"This deal is at “{stage_name(now, self.referral.is_sa)}” "
                    f"({STAGE_PERCENT[now]} %). Mark the missing stages with Sales stage "
                    "first; then Won becomes available."
                ),
                classes="field-hint",
            )
            yield Static("", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", id="cancel")

    def on_mount(self) -> None:
        # FormDialog's own on_mount runs too (Textual calls each class's handler in the MRO).
        if self.blocker is not None:
            self.query_one("#cancel", Button).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action == "save" and self.blocker is not None)

    def compose_fields(self) -> Iterable[Widget]:
        if self.offers_registration:
            yield Static(REGISTRATION_NEXT, classes="won-registration")
        yield Field("Notes (optional)", TextArea(id="notes"), "notes")

    def consequence(self, result: WonForm) -> str:
        text = super().consequence(result)
        if self.offers_registration:
            text += " You will be offered to register it next."
        return text

    def action_save(self) -> None:
        if self.blocker is None:
            super().action_save()

    def build(self, values: dict[str, Any]) -> WonForm:
        return WonForm.model_validate(values)


class LostDialog(FinalDialog[LostForm]):
    """Returns the LostForm for services.mark_lost (after a yes), or None."""

    title_text = "Mark this deal lost"
    save_label = "Mark lost…"
    warning = FINAL_WARNING.format(status="lost")
    final_status = "lost"
    question = "Mark this deal as lost?"
    yes_label = "Mark lost"

    def __init__(self, referral: Referral) -> None:
        super().__init__()
        self.referral = referral

    def compose_fields(self) -> Iterable[Widget]:
        yield Field(
            "Reason",
            Select([(reason.label, reason) for reason in LostReason], prompt="Choose a reason"),
            "reason",
        )
        yield Field(
            "Notes",
            TextArea(id="notes"),
            "notes",
            hint="Required when the reason is Other; optional otherwise.",
        )

    def consequence(self, result: LostForm) -> str:
        return f"Reason: {result.reason.label}. {super().consequence(result)}"

    def build(self, values: dict[str, Any]) -> LostForm:
        try:
            return LostForm.model_validate(values)
        except ValidationError as problem:
            messages = field_messages(problem)
        if values.get("reason") is LostReason.OTHER and FORM_FIELD in messages:
            # The form-wide rule is about the notes: say it under them.
            messages.setdefault("notes", messages.pop(FORM_FIELD))
        raise InvalidInput("Please correct the form.", messages)
