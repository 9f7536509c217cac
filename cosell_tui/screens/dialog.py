"""What every dialog shares (R-UI-5): a modal form with inline errors, and a confirmation.

A dialog returns the domain's form object (validated by the same pydantic model the services
use, so the rules live once) or None when cancelled; the screen that opened it calls the
service. Field errors appear under their field, in words from the domain.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea

from cosell_tui.domain.errors import InvalidInput
from cosell_tui.domain.validation import FORM_FIELD, field_messages

T = TypeVar("T")
F = TypeVar("F", bound=BaseModel)


class Field(Vertical):
    """A labelled input with its error line; `key` is the form field it fills."""

    def __init__(self, label: str, control: Widget, key: str, *, hint: str = "") -> None:
        super().__init__(classes="field")
        self.key = key
        self.label = label
        self.control = control
        self.hint = hint

    def compose(self) -> ComposeResult:
        yield Label(self.label, classes="field-label")
        yield self.control
        if self.hint:
            yield Static(self.hint, classes="field-hint")
        yield Static("", classes="field-error", markup=False)

    def show_error(self, message: str | None) -> None:
        error = self.query_one(".field-error", Static)
        error.update(message or "")
        error.display = bool(message)
        self.set_class(bool(message), "-invalid")

    def value(self) -> Any:
        control = self.control
        if isinstance(control, Input):
            return control.value
        if isinstance(control, TextArea):
            return control.text
        if isinstance(control, Checkbox):
            return control.value
        if isinstance(control, Select):
            return None if control.value is Select.NULL else control.value
        raise TypeError(f"no value for {type(control).__name__}")


class FormDialog(ModalScreen[T | None], Generic[T]):
    """A modal form: `escape` cancels, `ctrl+s` or the primary button saves."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel", tooltip="Close without saving"),
        Binding("ctrl+s", "save", "Save", id="dialog.save", tooltip="Check the form and save"),
    ]

    title_text: ClassVar[str] = ""
    save_label: ClassVar[str] = "Save"
    warning: ClassVar[str] = ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form-dialog"):
            yield Label(self.title_text, classes="dialog-title")
            if self.warning:
                yield Static(self.warning, classes="dialog-warning")
            with VerticalScroll(classes="dialog-body"):
                yield from self.compose_fields()
            yield Static("", classes="dialog-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.save_label, variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    def compose_fields(self) -> Iterable[Widget]:
        """The dialog's fields (usually `Field`s)."""
        return ()

    def values(self) -> dict[str, Any]:
        """The fields' raw values by key (before validation)."""
        return {field.key: field.value() for field in self.query(Field)}

    def build(self, values: dict[str, Any]) -> T:
        """Turn raw values into the result; raise ValidationError or InvalidInput to refuse."""
        raise NotImplementedError

    def on_mount(self) -> None:
        for field in self.query(Field):
            field.show_error(None)
        self.query_one(".dialog-error", Static).display = False
        first = next(iter(self.query(Field)), None)
        if first is not None:
            first.control.focus()

    def show_errors(self, messages: dict[str, str]) -> bool:
        """Put each message under its field; the rest in the dialog's error line."""
        fields = {field.key: field for field in self.query(Field)}
        leftover = []
        for field in fields.values():
            field.show_error(None)
        for key, message in messages.items():
            base = key.split(".")[-1] if key not in fields else key
            if key in fields:
                fields[key].show_error(message)
            elif base in fields:
                fields[base].show_error(message)
            else:
                leftover.append(message if key == FORM_FIELD else f"{key}: {message}")
        error = self.query_one(".dialog-error", Static)
        error.update("\n".join(leftover))
        error.display = bool(leftover)
        return bool(messages)

    def check(self) -> T | None:
        try:
            result = self.build(self.values())
        except ValidationError as problem:
            self.show_errors(field_messages(problem))
            return None
        except InvalidInput as problem:
            self.show_errors(problem.fields or {FORM_FIELD: problem.message})
            return None
        self.show_errors({})
        return result

    @on(Input.Blurred)
    def _validate_as_you_go(self, event: Input.Blurred) -> None:
        """Inline validation: when a field is left, show its own error (or clear it)."""
        owner = next((f for f in event.input.ancestors if isinstance(f, Field)), None)
        if owner is None:
            return
        try:
            self.build(self.values())
        except ValidationError as problem:
            owner.show_error(field_messages(problem).get(owner.key))
            return
        except InvalidInput as problem:
            owner.show_error(problem.fields.get(owner.key))
            return
        owner.show_error(None)

    def action_save(self) -> None:
        result = self.check()
        if result is not None:
            self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()


class ConfirmDialog(ModalScreen[bool]):
    """Yes or no, for what cannot be undone (R-LIFE-1: moving into a final state)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "answer(False)", "Cancel", id="confirm.cancel", tooltip="Do nothing"),
        Binding("y", "answer(True)", "Yes", id="confirm.yes", tooltip="Go ahead"),
        Binding("n", "answer(False)", "No", id="confirm.no", tooltip="Do nothing"),
    ]

    def __init__(self, question: str, consequence: str, yes: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.consequence = consequence
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog confirm-dialog"):
            yield Label(self.question, classes="dialog-title")
            yield Static(self.consequence, classes="dialog-warning")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", variant="error", id="yes")
                yield Button("No (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


FINAL_WARNING = "This cannot be undone: a {status} deal can never change again."
