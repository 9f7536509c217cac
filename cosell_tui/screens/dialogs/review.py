"""The vendor's review of a registration (R-REG-3): approve a step, ask for changes, reject."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Select, Static, TextArea

from cosell_tui.domain.enums import RegistrationStatus
from cosell_tui.domain.models import Registration, RegistrationForm, ReviewDecision
from cosell_tui.domain.registration import ReviewAction
from cosell_tui.screens.dialog import ConfirmDialog, Field
from cosell_tui.screens.dialogs.invite import PartyDialog, refusal
from cosell_tui.widgets.text import day, literal, money

R = RegistrationStatus

STEPS = {
    R.IN_REVIEW: (
        "Step 1 of 2, deal review: approving sends the registration on to final validation."
    ),
    R.IN_VALIDATION: (
        "Step 2 of 2, final validation: approving approves the registration, which is final."
    ),
}
NEEDS_MESSAGE = {
    ReviewAction.REQUEST_CHANGES: "Say what the partner must change.",
    ReviewAction.REJECT: "Give the reason for rejecting; the partner reads it.",
}


@dataclass(frozen=True)
class ReviewResult:
    """What `review_registration` takes: the decision and its message (None when approving)."""

    action: ReviewAction
    message: str | None


def registration_facts(form: RegistrationForm, solution_name: str | None = None) -> Table:
    """The submitted form's key facts, read-only, every value shown literally."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()

    def row(label: str, *parts: str | Text) -> None:
        grid.add_row(
            label, Text.assemble(*(literal(p) if isinstance(p, str) else p for p in parts))
        )

    place = ", ".join(part for part in (form.city, form.state, form.country) if part)
    row("Customer", form.customer_name, Text(" — "), place)
    row("Solution", solution_name if solution_name else f"solution #{form.solution_id}")
    row("Contract type", form.contract_type.value.capitalize())
    row("Total value", money(form.total_value, form.currency, compact=False))
    row("Solution value", money(form.solution_value, form.currency, compact=False))
    row(
        "Deployed",
        "Azure" if form.deployed_on.value == "azure" else "Other",
        Text(", "),
        form.deployed_where.value.replace("_", " "),
    )
    end = "perpetual" if form.perpetual else day(form.contract_end)
    row("Contract", day(form.contract_start), Text(" to "), end)
    row("Signed on", day(form.signed_on))
    row("Contact", f"{form.contact_first_name} {form.contact_last_name}")
    row("", form.contact_phone, Text(" · "), form.contact_email)
    row("Named in contract", "confirmed" if form.named_in_contract else "not confirmed")
    return grid


class ReviewDialog(PartyDialog[ReviewResult]):
    """R-REG-3: the submitted facts, then approve, ask for changes (message) or reject (reason)."""

    title_text = "Review the registration"
    save_label = "Send decision"

    def __init__(
        self, registration: Registration, deal_name: str, *, solution_name: str | None = None
    ) -> None:
        super().__init__()
        self.registration = registration
        self.deal_name = deal_name
        self.solution_name = solution_name
        self.reviewable = registration.status in STEPS

    def compose_fields(self) -> Iterable[Widget]:
        status = self.registration.status
        yield Static(
            Text.assemble(("Deal: ", "bold"), literal(self.deal_name)), classes="party-note"
        )
        if not self.reviewable:
            yield Static(
                f"This registration is {status.label.lower()}; only registrations in review "
                "or validation can be reviewed.",
                classes="dialog-warning",
                id="review-blocked",
            )
            return
        yield Static(STEPS[status], classes="party-note", id="review-step")
        form = self.registration.form
        yield Static(
            registration_facts(form, self.solution_name)
            if form is not None
            else Text("No form was submitted."),
            classes="party-facts",
            id="review-facts",
        )
        approve = "Approve (to final validation)" if status is R.IN_REVIEW else "Approve (final)"
        yield Field(
            "Decision",
            Select(
                [
                    (approve, ReviewAction.APPROVE),
                    ("Ask for changes", ReviewAction.REQUEST_CHANGES),
                    ("Reject (final)", ReviewAction.REJECT),
                ],
                prompt="Choose a decision",
                id="review-action",
            ),
            "action",
        )
        yield Field(
            "Message to the partner",
            TextArea(id="review-message"),
            "message",
            hint="Required to ask for changes or to reject; not sent when approving.",
        )

    def on_mount(self) -> None:
        # FormDialog's on_mount runs too (Textual calls each class's handler), after this one
        if not self.reviewable:
            self.query_one("#save", Button).display = False
            self.query_one("#cancel", Button).focus()
            return
        # read the facts first: the body takes the keys (arrows scroll), tab goes to Decision
        self.call_after_refresh(self._read_first)

    def _read_first(self) -> None:
        body = self.query_one(".dialog-body", VerticalScroll)
        body.focus(scroll_visible=False)
        body.scroll_home(animate=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action == "save" and not self.reviewable)

    def build(self, values: dict[str, Any]) -> ReviewResult:
        action = values.get("action")
        extra: dict[str, str] = {}
        if not isinstance(action, ReviewAction):
            extra["action"] = "Choose approve, ask for changes or reject."
        try:
            decision = ReviewDecision.model_validate({"message": values.get("message")})
        except ValidationError as error:
            raise refusal(error, extra) from None
        if isinstance(action, ReviewAction) and action in NEEDS_MESSAGE and not decision.message:
            extra["message"] = NEEDS_MESSAGE[action]
        if extra or not isinstance(action, ReviewAction):
            raise refusal(None, extra)
        message = None if action is ReviewAction.APPROVE else decision.message
        return ReviewResult(action, message)

    def _final(self, result: ReviewResult) -> bool:
        approving_last = (
            result.action is ReviewAction.APPROVE and self.registration.status is R.IN_VALIDATION
        )
        return result.action is ReviewAction.REJECT or approving_last

    def action_save(self) -> None:
        result = self.check()
        if result is None:
            return
        if not self._final(result):
            self.dismiss(result)
            return
        rejecting = result.action is ReviewAction.REJECT
        outcome = "rejected" if rejecting else "approved"

        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss(result)

        self.app.push_screen(
            ConfirmDialog(
                "Reject this registration?" if rejecting else "Approve this registration?",
                f"This cannot be undone: once {outcome}, the registration is final and can "
                "never change again.",
                yes="Reject" if rejecting else "Approve",
            ),
            answered,
        )
