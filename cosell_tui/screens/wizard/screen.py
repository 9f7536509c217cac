"""The wizard's screen (R-UI-4): a step indicator, the six steps, Back / Next, the draft (R-Q-2).

The screen owns the `Draft`. Every change on a step is written into it at once and saved to
the database shortly after (debounced), and at once on every step change, so a dropped SSH
connection loses at most the last moment's typing. Next checks the step with the domain's
rules; Create builds the one `NewDealForm` and calls the service once.
"""

from __future__ import annotations

import threading
from time import monotonic
from typing import TYPE_CHECKING, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import (
    Button,
    Checkbox,
    ContentSwitcher,
    Footer,
    Input,
    Label,
    Select,
    SelectionList,
    Static,
    TextArea,
)
from textual.worker import Worker, WorkerState

from cosell_tui.domain.errors import DomainError, InvalidInput
from cosell_tui.domain.models import NewDealForm, Referral
from cosell_tui.domain.validation import FORM_FIELD
from cosell_tui.domain.wizard import Draft, Step, first_invalid_step, step_errors, to_form
from cosell_tui.screens.wizard.base import WizardContext, WizardStep
from cosell_tui.screens.wizard.customer import CustomerStep
from cosell_tui.screens.wizard.details import DetailsStep
from cosell_tui.screens.wizard.review import ReviewStep
from cosell_tui.screens.wizard.selling import SellingStep
from cosell_tui.screens.wizard.solutions import SolutionsStep
from cosell_tui.screens.wizard.team import TeamStep
from cosell_tui.widgets.text import literal

if TYPE_CHECKING:
    from cosell_tui.app import CoSellApp

SAVE_DELAY = 0.5  # seconds after the last keystroke before the draft is written
SAVE_AT_MOST = 2.0  # ... but typing without a pause is saved at least this often
STEP_CLASSES: tuple[type[WizardStep], ...] = (
    CustomerStep,
    DetailsStep,
    TeamStep,
    SolutionsStep,
    SellingStep,
    ReviewStep,
)


class DraftSaver:
    """Writes drafts from worker threads in order: an older snapshot never overwrites a newer."""

    def __init__(self, context: WizardContext) -> None:
        self.context = context
        self._lock = threading.Lock()
        self._issued = 0
        self._written = 0
        self.closed = False

    def ticket(self) -> int:
        self._issued += 1
        return self._issued

    def write(self, ticket: int, draft: Draft, untouched: bool) -> None:
        with self._lock:
            if ticket <= self._written or self.closed:
                return
            if untouched:
                self.context.source.discard_draft()
            else:
                self.context.source.save_draft(draft)
            self._written = ticket

    def discard(self) -> None:
        with self._lock:
            self.closed = True
            self.context.source.discard_draft()

    def create(self, form: NewDealForm) -> Referral:
        """Create the deal; no save in flight can bring the draft back afterwards."""
        with self._lock:
            self.closed = True
            try:
                return self.context.source.create(form)
            except BaseException:
                self.closed = False
                raise


class LeaveWizard(ModalScreen[str]):
    """Escape on the wizard: keep the draft for later, discard it, or stay."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "answer('stay')", "Stay", id="leave.stay", tooltip="Go on with the deal"),
        Binding("k", "answer('keep')", "Keep", id="leave.keep", tooltip="Leave, keep the draft"),
        Binding("d", "answer('discard')", "Discard", id="leave.discard", tooltip="Throw it away"),
    ]

    def __init__(self, customer: str) -> None:
        super().__init__()
        self.customer = customer

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog confirm-dialog"):
            yield Label("Leave the new deal?", classes="dialog-title")
            yield Static(
                literal(
                    f"What you typed ({self.customer}) is kept as a draft and offered again "
                    "when you start a new deal, unless you discard it."
                ),
                classes="dialog-text",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Keep draft (k)", variant="primary", id="keep")
                yield Button("Discard (d)", variant="error", id="discard")
                yield Button("Stay (esc)", id="stay")

    def on_mount(self) -> None:
        self.query_one("#stay", Button).focus()

    def action_answer(self, answer: str) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "stay")


class ResumeDraft(ModalScreen[str]):
    """At start, or on `n`: the user's unfinished deal (R-Q-2)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "answer('resume')", "Resume", id="resume.resume", tooltip="Go on with it"),
        Binding("d", "answer('discard')", "Discard", id="resume.discard", tooltip="Throw it away"),
        Binding(
            "escape", "answer('later')", "Later", id="resume.later", tooltip="Keep it for later"
        ),
    ]

    def __init__(self, draft: Draft, *, starting_new: bool = False) -> None:
        super().__init__()
        self.draft = draft
        self.starting_new = starting_new

    def compose(self) -> ComposeResult:
        later = "Cancel (esc)" if self.starting_new else "Later (esc)"
        with Vertical(classes="dialog confirm-dialog"):
            yield Static(
                literal(
                    f"Resume the deal you were creating ({self.draft.customer()}, step "
                    f"{self.draft.step.indicator})?"
                ),
                classes="dialog-title",
            )
            yield Static(
                "Discarding it starts afresh; its typed values are lost."
                if self.starting_new
                else "Later keeps the draft: n offers it again.",
                classes="dialog-text",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Resume (r)", variant="primary", id="resume")
                yield Button("Discard (d)", variant="error", id="discard")
                yield Button(later, id="later")

    def on_mount(self) -> None:
        self.query_one("#resume", Button).focus()

    def action_answer(self, answer: str) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "later")


class WizardScreen(Screen[str | None]):
    """Returns the created deal's id, or None when the user left."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "next", "Next", id="wizard.next", tooltip="Check this step and go on"),
        Binding(
            "ctrl+g", "back", "Back", id="wizard.back", tooltip="The previous step; keeps it all"
        ),
        Binding("ctrl+s", "create", "Create", id="wizard.create", tooltip="Create the deal"),
        Binding("escape", "leave", "Leave", id="wizard.leave", tooltip="Keep or discard the draft"),
    ]

    def __init__(self, context: WizardContext, draft: Draft | None = None) -> None:
        super().__init__()
        self.context = context
        self.resumed = draft is not None
        self.draft = draft.model_copy(deep=True) if draft is not None else Draft()
        self.pristine = Draft()
        self._steps: dict[Step, WizardStep] = {}
        self.saver = DraftSaver(context)
        self._save_timer: Timer | None = None
        self._loading = False
        self._creating = False
        self._busy = True  # a step is being built or shown: keys wait (no half-built step)
        self._unsaved_since: float | None = None

    @property
    def cosell(self) -> CoSellApp:
        return cast("CoSellApp", self.app)

    # layout

    def compose(self) -> ComposeResult:
        with Vertical(id="wizard"):
            with Horizontal(id="wizard-top"):
                yield Static(id="wizard-indicator")
                yield Static(id="wizard-keys")
            yield ContentSwitcher(id="wizard-steps")  # steps are mounted when first shown
            yield Static("", id="wizard-error", markup=False)
            with Horizontal(id="wizard-buttons"):
                yield Button("Back", id="wizard-back")
                yield Button("Next", variant="primary", id="wizard-next")
        yield Footer()

    async def on_mount(self) -> None:
        self.query_one("#wizard-error", Static).display = False
        await self.show(self.draft.step)

    def on_unmount(self) -> None:
        """Leaving by any way (ctrl+q too): what was typed since the last save is written."""
        if self._save_timer is not None and not self.saver.closed and not self._creating:
            self._save_timer.stop()
            draft = self.draft.model_copy(deep=True)
            self.saver.write(self.saver.ticket(), draft, self.is_untouched(draft))

    def is_untouched(self, draft: Draft | None = None) -> bool:
        """Nothing typed or chosen beyond what the wizard fills in by itself."""
        skip = {"step", "version"}
        return (draft or self.draft).model_dump(exclude=skip) == self.pristine.model_dump(
            exclude=skip
        )

    # which step

    def step_widget(self, step: Step) -> WizardStep:
        """A step already shown once (steps are built on first use: opening stays quick)."""
        return self._steps[step]

    @property
    def current(self) -> WizardStep:
        return self.step_widget(self.draft.step)

    async def _mounted(self, step: Step) -> WizardStep:
        widget = self._steps.get(step)
        if widget is not None:
            return widget
        widget = STEP_CLASSES[step.value - 1](self.context)
        widget.display = False
        await self.query_one(ContentSwitcher).mount(widget)
        self._loading = True
        # what an untouched wizard holds (the step pre-fills the country, the currency, the
        # creator on the team, ...): leaving with only that loses nothing, so it is no draft
        pristine = self.pristine.model_copy(deep=True)
        widget.load(pristine)
        widget.dump(pristine)
        self.pristine = pristine
        widget.load(self.draft)
        widget.dump(self.draft)  # the step's own defaults join the draft; typed values stay
        self._loading = False
        self._steps[step] = widget
        return widget

    async def show(self, step: Step) -> None:
        """Show `step`, refreshed from the draft (the review and selling depend on others)."""
        if step not in self.context.rules.steps(self.draft):
            step = Step.REVIEW if step is Step.SELLING else step
        self.draft.step = step
        self._busy = True
        try:
            widget = await self._mounted(step)
        finally:
            self._busy = False
        self._loading = True
        widget.load(self.draft)
        self._loading = False
        self.query_one(ContentSwitcher).current = widget.id
        steps = self.context.rules.steps(self.draft)
        self.query_one("#wizard-indicator", Static).update(
            f"New deal · {step.value} of {len(Step)} · {step.title}"
        )
        self.query_one("#wizard-keys", Static).update(
            "ctrl+n next · ctrl+g back · esc leave"
            if step is not Step.REVIEW
            else "ctrl+s create · ctrl+g back · esc leave"
        )
        back = self.query_one("#wizard-back", Button)
        back.disabled = step is steps[0]
        self.query_one("#wizard-next", Button).label = (
            "Create deal" if step is Step.REVIEW else "Next"
        )
        self._error(None)
        widget.show_errors({})
        widget.scroll_home(animate=False)
        widget.focus_first()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self._busy or self._creating:
            return False  # nothing acts on a half-built step or on a deal being created
        if action == "create":
            return self.draft.step is Step.REVIEW
        if action == "next":
            return self.draft.step is not Step.REVIEW
        if action == "back":
            return self.draft.step is not self.context.rules.steps(self.draft)[0]
        return True

    def _error(self, message: str | None) -> None:
        line = self.query_one("#wizard-error", Static)
        line.update(message or "")
        line.display = bool(message)

    # moving

    async def action_next(self) -> None:
        if self._busy or self._creating:
            return
        if self.draft.step is Step.REVIEW:
            await self.action_create()
            return
        widget = self.current
        widget.dump(self.draft)
        errors = step_errors(self.draft, widget.step, self.context.rules)
        errors.update(widget.extra_errors(self.draft))
        if errors:
            widget.show_errors(errors)
            self._error("Please correct the fields marked on this step.")
            return
        steps = self.context.rules.steps(self.draft)
        self.draft.step = steps[steps.index(widget.step) + 1]
        self.save_now()
        await self.show(self.draft.step)

    async def action_back(self) -> None:
        if self._busy or self._creating:
            return
        widget = self.current
        widget.dump(self.draft)
        steps = self.context.rules.steps(self.draft)
        here = steps.index(widget.step) if widget.step in steps else len(steps) - 1
        if here == 0:
            return
        self.draft.step = steps[here - 1]
        self.save_now()
        await self.show(self.draft.step)

    @on(WizardStep.GoTo)
    async def _go_to(self, event: WizardStep.GoTo) -> None:
        event.stop()
        if self._busy or self._creating:
            return
        self.current.dump(self.draft)
        self.draft.step = event.step
        self.save_now()
        await self.show(event.step)

    @on(Button.Pressed, "#wizard-next")
    async def _next_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        await self.action_next()

    @on(Button.Pressed, "#wizard-back")
    async def _back_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        await self.action_back()

    # the draft (R-Q-2)

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    @on(TextArea.Changed)
    @on(SelectionList.SelectedChanged)
    @on(WizardStep.Changed)
    def _changed(self) -> None:
        if self._loading or self._busy or self._creating or self.draft.step not in self._steps:
            return
        self.current.dump(self.draft)
        if self._save_timer is not None:
            self._save_timer.stop()
        now = monotonic()
        if self._unsaved_since is None:
            self._unsaved_since = now
        if now - self._unsaved_since >= SAVE_AT_MOST:
            self.save_now()
        else:
            self._save_timer = self.set_timer(SAVE_DELAY, self.save_now)

    def save_now(self) -> None:
        self._unsaved_since = None
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        if self._creating:
            return
        self._write(self.saver.ticket(), self.draft.model_copy(deep=True))

    @work(thread=True, group="wizard-draft", exit_on_error=False)
    def _write(self, ticket: int, draft: Draft) -> None:
        self.saver.write(ticket, draft, self.is_untouched(draft))

    # leaving

    def action_leave(self) -> None:
        if self._busy or self._creating:
            return
        self.current.dump(self.draft)
        if self.is_untouched():
            self._discard_and_close()
            return

        def answered(answer: str | None) -> None:
            if answer == "keep":
                self.save_now()
                self.dismiss(None)
            elif answer == "discard":
                self._discard_and_close()

        self.app.push_screen(LeaveWizard(self.draft.customer()), answered)

    def _discard_and_close(self) -> None:
        if self._save_timer is not None:
            self._save_timer.stop()
        self._discard()
        self.dismiss(None)

    @work(thread=True, group="wizard-draft", exit_on_error=False)
    def _discard(self) -> None:
        self.saver.discard()

    # creating

    async def action_create(self) -> None:
        if self._creating or self._busy:
            return
        self.current.dump(self.draft)
        bad = first_invalid_step(self.draft, self.context.rules)
        customer = self._steps.get(Step.CUSTOMER)
        if bad is None and customer is not None:
            # (a resumed draft's step 1 may never have been shown: the service checks it too)
            extra = customer.extra_errors(self.draft)
            bad = (Step.CUSTOMER, extra) if extra else None
        if bad is not None:
            await self._send_back(*bad)
            return
        try:
            form = to_form(self.draft, self.context.rules)
        except InvalidInput as problem:
            self._error(problem.message)
            return
        self._creating = True
        if self._save_timer is not None:
            self._save_timer.stop()
        self._error(None)
        self.query_one("#wizard-next", Button).disabled = True
        self._create(form)

    async def _send_back(self, step: Step, errors: dict[str, str]) -> None:
        await self.show(step)
        self.step_widget(step).show_errors(errors)
        self._error(
            f"Step {step.value}, {step.title}, needs correcting before the deal is created."
        )

    @work(thread=True, group="wizard-create", exit_on_error=False)
    def _create(self, form: NewDealForm) -> None:
        try:
            referral = self.saver.create(form)
        except DomainError as error:
            self.app.call_from_thread(self.call_next, self._refused, error)
            return
        self.app.call_from_thread(self._created, referral)

    async def _refused(self, error: DomainError) -> None:
        self._creating = False
        self.query_one("#wizard-next", Button).disabled = False
        fields = {
            key.removeprefix("details."): message
            for key, message in (error.fields if isinstance(error, InvalidInput) else {}).items()
        }
        if fields:
            step = _step_of(next(iter(fields)))
            if step is not None and step is not self.draft.step:
                await self.show(step)
            self.current.show_errors({k: v for k, v in fields.items() if k != FORM_FIELD})
        self._error(error.message)
        self.notify(error.message, severity="error")
        self.save_now()

    def _created(self, referral: Referral) -> None:
        self.notify(f"Created the deal {referral.name}.", timeout=3)
        while self.app.screen is not self:  # a dialog opened meanwhile goes first
            self.app.pop_screen()
        self.dismiss(referral.id)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed save or create is said, never silent (worker errors stay on this screen)."""
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        if event.worker.group == "wizard-create":
            self._creating = False
            self.query_one("#wizard-next", Button).disabled = False
            self.refresh_bindings()
        what = "The draft could not be saved" if event.worker.group == "wizard-draft" else None
        self.cosell.report_worker_error(error, what)


def _step_of(key: str) -> Step | None:
    """Which step shows the field a service refusal names."""
    head = key.split(".", maxsplit=1)[0]
    if head in ("company", "new_company", "country", "city") or head.startswith("contact"):
        return Step.CUSTOMER
    if head in ("consent",):
        return Step.CUSTOMER
    if head == "details" or head in ("name", "location_id", "value", "currency", "close_date"):
        return Step.DETAILS
    if head in ("team", "member"):
        return Step.TEAM
    if head in ("solution_ids", "assessment_location_id"):
        return Step.SOLUTIONS
    if head in ("vendor_help", "partners"):
        return Step.SELLING
    return None
