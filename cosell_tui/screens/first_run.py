"""First run (R-UI-8): an empty database asks for an organization, or loads the demo.

`FirstRunScreen()` is a full screen with the fields of `cosell-tui init` — organization, its
first location (city, country) and its first admin (email, name, phone) — checked by the
domain's `OrganizationSetupForm` with each message under its field; `ctrl+s` creates them.
`ctrl+l` (or its button) builds the demo ecosystem in this database instead. Either way the
screen dismisses with the admin to sign in as; `escape` or `ctrl+q` dismisses with None (the
app quits) without writing anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from pydantic import ValidationError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Static
from textual.worker import Worker, WorkerState

from cosell_tui import services
from cosell_tui.domain.errors import DomainError, InvalidState
from cosell_tui.domain.models import OrganizationSetupForm, User
from cosell_tui.domain.validation import field_messages
from cosell_tui.screens.dialog import Field
from cosell_tui.source import load_demo
from cosell_tui.widgets.reporting import ReportsWorkerErrors

if TYPE_CHECKING:
    from cosell_tui.app import CoSellApp

INTRO = (
    "This database has no users yet. Set up your organization, its first location and its "
    "first admin (you), or load the demo ecosystem to look around."
)
TAKEN = (
    "Someone set this database up meanwhile; press escape and start cosell-tui again to sign in."
)
BUSY = {
    "create": "Setting up your organization…",
    "demo": "Building the demo… (a few seconds)",
}


class FirstRunScreen(ReportsWorkerErrors, Screen[User | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+s",
            "create",
            "Create",
            id="first_run.create",
            tooltip="Check the form and set up the organization",
        ),
        Binding(
            "ctrl+l",
            "demo",
            "Load the demo",
            id="first_run.demo",
            tooltip="Build the demo ecosystem in this database instead",
        ),
        Binding("escape", "leave", "Quit", id="first_run.quit", tooltip="Leave without writing"),
        # the app's ctrl+q, caught here so that it cannot cut a demo build in half
        Binding(
            "ctrl+q",
            "leave",
            "Quit",
            show=False,
            id="first_run.quit_app",
            tooltip="Leave without writing",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.busy: str | None = None  # "create" or "demo" while a worker writes

    @property
    def cosell(self) -> CoSellApp:
        return cast("CoSellApp", self.app)

    def compose(self) -> ComposeResult:
        yield Static("Welcome to cosell-tui · first run", id="first-run-title")
        with Vertical(id="first-run"):
            yield Static(INTRO, id="first-run-intro")
            with VerticalScroll(id="first-run-form"):
                yield Field(
                    "Organization",
                    Input(placeholder="Your organization's name", id="organization"),
                    "organization",
                )
                with Horizontal(classes="field-row"):
                    yield Field("City", Input(placeholder="Seattle", id="city"), "city")
                    yield Field(
                        "Country",
                        Input(placeholder="US (two letters, ISO 3166)", id="country"),
                        "country",
                    )
                with Horizontal(classes="field-row"):
                    yield Field("Admin's first name", Input(id="first-name"), "first_name")
                    yield Field("Last name", Input(id="last-name"), "last_name")
                with Horizontal(classes="field-row"):
                    yield Field(
                        "Admin's email",
                        Input(placeholder="you@example.com", id="admin-email"),
                        "admin_email",
                    )
                    yield Field("Phone", Input(placeholder="+1 425 555 0100", id="phone"), "phone")
            yield Static("", id="first-run-status", markup=False)
            with Horizontal(id="first-run-buttons"):
                yield Button("Load the demo ecosystem", id="demo")
                yield Button("Create", variant="primary", id="create")
        yield Footer()

    def on_mount(self) -> None:
        for field in self.query(Field):
            field.show_error(None)
        self._say("")
        self.query_one("#organization", Input).focus()

    # --- the form ----------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        return {field.key: field.value() for field in self.query(Field)}

    def _say(self, message: str, *, error: bool = False) -> None:
        status = self.query_one("#first-run-status", Static)
        status.update(message)
        status.display = bool(message)
        status.set_class(error, "-error")

    def show_errors(self, messages: dict[str, str]) -> None:
        """Each message under its field; one the form has no field for on the status line."""
        fields = {field.key: field for field in self.query(Field)}
        for key, field in fields.items():
            field.show_error(messages.get(key))
        rest = [m for k, m in messages.items() if k not in fields]
        marked = [field.label for key, field in fields.items() if key in messages]
        if marked:  # at 80x24 some messages are scrolled away: name every field to correct
            rest.insert(0, f"Please correct: {', '.join(marked)}.")
        self._say(" ".join(rest), error=True)

    def check(self) -> OrganizationSetupForm | None:
        try:
            form = OrganizationSetupForm(**self.values())
        except ValidationError as problem:
            messages = field_messages(problem)
            self.show_errors(messages)
            first = next((f for f in self.query(Field) if f.key in messages), None)
            if first is not None:
                first.control.focus()
            return None
        self.show_errors({})
        return form

    @on(Input.Blurred)
    def _validate_as_you_go(self, event: Input.Blurred) -> None:
        """When a field is left, show its own message (or clear it)."""
        if self.busy:
            return
        owner = next((f for f in event.input.ancestors if isinstance(f, Field)), None)
        if owner is None:
            return
        try:
            OrganizationSetupForm(**self.values())
        except ValidationError as problem:
            owner.show_error(field_messages(problem).get(owner.key))
            return
        owner.show_error(None)

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        """`enter` moves to the next field, and in the last one creates."""
        if event.input.id == "phone":
            self.action_create()
        else:
            self.focus_next()

    # --- acting ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("create", "demo"):
            return self.busy is None
        return True

    def action_create(self) -> None:
        form = self.check()
        if form is not None and self._start("create"):
            self._initialize(form)

    def action_demo(self) -> None:
        if self._start("demo"):
            self.show_errors({})
            self._say(BUSY["demo"])
            self._build_demo()

    def action_leave(self) -> None:
        if self.busy == "demo":
            self.notify("The demo is being built; it is ready in a few seconds.", timeout=3)
            return
        if self.busy is None:
            self.dismiss(None)

    def _start(self, what: str) -> bool:
        if self.busy is not None:
            return False
        self.busy = what
        self._say(BUSY[what])
        self.query_one("#first-run-form").disabled = True
        for button in self.query(Button):
            button.disabled = True
        self.refresh_bindings()
        return True

    def _stop(self, message: str) -> None:
        self.busy = None
        self.query_one("#first-run-form").disabled = False
        for button in self.query(Button):
            button.disabled = False
        self.refresh_bindings()
        self._say(message, error=bool(message))

    @work(thread=True, exclusive=True, exit_on_error=False, group="first-run")
    def _initialize(self, form: OrganizationSetupForm) -> None:
        try:
            admin = services.initialize(self.cosell.db, form)
        except InvalidState:
            self.app.call_from_thread(self._stop, TAKEN)
            return
        except DomainError as error:
            self.app.call_from_thread(self._stop, error.message)
            return
        self.app.call_from_thread(self._done, admin)

    @work(thread=True, exclusive=True, exit_on_error=False, group="first-run")
    def _build_demo(self) -> None:
        try:
            admin = load_demo(self.cosell.db)
        except InvalidState:
            self.app.call_from_thread(self._stop, TAKEN)
            return
        self.app.call_from_thread(self._done, admin)

    def _done(self, admin: User) -> None:
        if self.busy == "demo":
            self.cosell.sweep()  # as `cosell-tui --demo` does at start (R-LIFE-4)
        self.busy = None
        while self.app.screen is not self:  # help (f1) may be open over the form
            self.app.pop_screen()
        self.dismiss(admin)

    @on(Worker.StateChanged)
    def _failed(self, event: Worker.StateChanged) -> None:
        # the app turns the error into a notice; the form must not stay locked
        if event.worker.group == "first-run" and event.state is WorkerState.ERROR:
            self._stop("That did not work; nothing is signed in. Try again, or press escape.")

    @on(Button.Pressed, "#create")
    def _create_pressed(self) -> None:
        self.action_create()

    @on(Button.Pressed, "#demo")
    def _demo_pressed(self) -> None:
        self.action_demo()
