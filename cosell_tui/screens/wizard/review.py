"""Wizard step 6, Review (R-UI-4): everything typed, on one page, before Create.

Each section names the key that takes the user back to its step to fix it (the review has no
text inputs, so the digits are free). The deal type it will become and who gets invited are
spelled out; warnings that do not block Create — a private deal that can never be registered,
an open deal of the organization's for the same customer and solution — are listed first.
Create itself belongs to the wizard screen.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import ClassVar

from pydantic import ValidationError
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from cosell_tui.domain.enums import DealType, HelpType, SolutionKind
from cosell_tui.domain.models import Referral, Solution
from cosell_tui.domain.wizard import Draft, Step, contact, warnings
from cosell_tui.screens.wizard.base import WizardContext, WizardStep
from cosell_tui.screens.wizard.selling import (
    invite_line,
    partner_label,
    planned_type,
    typed_date,
)
from cosell_tui.widgets.text import day, literal, money

SECTIONS = (Step.CUSTOMER, Step.DETAILS, Step.TEAM, Step.SOLUTIONS, Step.SELLING)
DUPLICATE = "Your organization already has an open deal for this customer and solution: "
NOT_GIVEN = Text("—", style="dim")
NOTES_SHOWN = 300

_KEY_NAMES = {
    Step.CUSTOMER: "customer",
    Step.DETAILS: "details",
    Step.TEAM: "team",
    Step.SOLUTIONS: "solutions",
    Step.SELLING: "selling",
}


def _fix_binding(step: Step) -> Binding:
    return Binding(
        str(step.value),
        f"fix({step.value})",
        f"Change {step.title.lower()}",
        id=f"wizard.review.{_KEY_NAMES[step]}",
        tooltip=f"Go back to step {step.value}, {step.title}, to change it",
        show=False,
    )


def text(value: str | None) -> Text:
    """User text exactly as typed, wrapping, one line per typed line; a dash when empty."""
    if value is None or not value.strip():
        return NOT_GIVEN.copy()
    shown = Text("\n").join(literal(line) for line in value.strip().split("\n"))
    shown.no_wrap = False
    return shown


def facts(*rows: tuple[str, RenderableType]) -> Table:
    """Label / value pairs, the values wrapping in the room left."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(ratio=1, overflow="fold")  # a long unbroken word wraps too
    for label, value in rows:
        grid.add_row(label, value)
    return grid


class ReviewSection(Vertical):
    """A heading with its fix-it key, and the step's entries."""

    def __init__(self, step: Step) -> None:
        super().__init__(id=f"review-{_KEY_NAMES[step]}", classes="review-section")
        self.step = step

    def compose(self) -> ComposeResult:
        yield Static(
            Text.assemble(
                (f"{self.step.value} {self.step.title}", "bold"),
                (f"  (press {self.step.value} to change)", "dim"),
            ),
            classes="review-heading",
        )
        yield Static("", classes="review-body")

    def show(self, body: RenderableType) -> None:
        self.query_one(".review-body", Static).update(body)


class ReviewStep(WizardStep):
    step = Step.REVIEW

    BINDINGS: ClassVar[list[BindingType]] = [_fix_binding(s) for s in SECTIONS]

    def __init__(self, context: WizardContext) -> None:
        super().__init__(context)
        self.draft = Draft()
        self.duplicates: list[Referral] = []
        self._checked: tuple[int | None, tuple[int, ...]] | None = None
        self._solutions = {s.id: s for s in context.catalog}

    def compose(self) -> ComposeResult:
        yield Static("", id="review-type", classes="review-type")
        yield Static("", id="review-warnings", classes="review-warnings")
        for step in SECTIONS:
            yield ReviewSection(step)
        yield Static("", classes="step-error", markup=False)

    def on_mount(self) -> None:
        for line in self.query(".step-error").results(Static):
            line.display = False
        self._redraw()

    def focus_first(self) -> None:
        # No fields: the step itself takes the keys (digits, arrows to scroll).
        self.focus(scroll_visible=False)

    # the draft

    def load(self, draft: Draft) -> None:
        self.draft = draft
        key = (None if draft.adding_company else draft.company_id, tuple(draft.solution_ids))
        if key != self._checked:
            self.duplicates = []
            self._checked = key
            if key[0] is not None and key[1]:
                self._find_duplicates(key[0], list(key[1]))
        if self.is_mounted:
            self._redraw()

    # keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "fix" and parameters == (Step.SELLING.value,):
            return Step.SELLING in self.rules.steps(self.draft)
        return True

    def action_fix(self, number: int) -> None:
        step = Step(number)
        if step in self.rules.steps(self.draft):
            self.post_message(self.GoTo(step))

    # duplicates, read in a worker

    @work(thread=True, exclusive=True, exit_on_error=False, group="review-duplicates")
    def _find_duplicates(
        self, company_id: int, solution_ids: list[int]
    ) -> tuple[tuple[int | None, tuple[int, ...]], list[Referral]]:
        found = self.context.source.open_duplicates(company_id, solution_ids)
        return (company_id, tuple(solution_ids)), found

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "review-duplicates":
            return
        event.stop()
        if event.state is WorkerState.ERROR:
            self.notify(
                f"Could not look for open deals for this customer: {event.worker.error}",
                severity="warning",
            )
            return
        if event.state is not WorkerState.SUCCESS or event.worker.result is None:
            return
        key, found = event.worker.result
        if key == self._checked:
            self.duplicates = found
            if self.is_mounted:
                self._redraw()

    # what is shown

    def _redraw(self) -> None:
        draft = self.draft
        self.query_one("#review-type", Static).update(self._type_line())
        lines = [f"Warning: {w}" for w in warnings(draft, self.rules)]
        lines += [
            f"Warning: {DUPLICATE}{literal(d.name).plain} ({d.status.label.lower()})"
            for d in self.duplicates
        ]
        shown = self.query_one("#review-warnings", Static)
        shown.update(Text("\n".join(lines)))
        shown.display = bool(lines)
        sections = {s.step: s for s in self.query(ReviewSection)}
        sections[Step.CUSTOMER].show(self._customer())
        sections[Step.DETAILS].show(self._details())
        sections[Step.TEAM].show(self._team())
        sections[Step.SOLUTIONS].show(self._solutions_body())
        selling = sections[Step.SELLING]
        selling.display = Step.SELLING in self.rules.steps(draft)
        if selling.display:
            selling.show(self._selling())
        self.refresh_bindings()

    def _type_line(self) -> Text:
        kind = planned_type(self.draft, self.rules)
        head = Text.assemble("It will be created as a ", (kind.label, "bold"), " deal")
        if kind is DealType.SOLUTION_ASSESSMENT:
            return head.append(": assessments take no invitations.")
        invited = self._invited()
        if not invited:
            return head.append(": nobody is invited; only your organization sees it.")
        return Text.assemble(head, ". Invited: ", Text("; ").join(invited), ".")

    def _invited(self) -> list[Text]:
        who = []
        if self.draft.vendor_help is not HelpType.NONE and not self.context.organization.is_vendor:
            who.append(Text("the vendor's sellers"))
        who += [partner_label(invite, self.context.partners) for invite in self.draft.partners]
        return who

    def _customer(self) -> Table:
        draft = self.draft
        if draft.adding_company:
            c = draft.new_company
            country = self.context.countries.get(c.country.strip().upper(), c.country)
            place = ", ".join(
                part.strip()
                for part in (c.address_line, c.city, c.state, c.postal_code, country)
                if part and part.strip()
            )
            company = Text.assemble(
                text(c.name),
                " (new: added to the directory)\n",
                text(place),
                "\n",
                f"D-U-N-S {c.duns.strip()}" if c.duns.strip() else "no D-U-N-S number",
            )
        elif draft.company_id is not None:
            company = text(draft.company_label)
        else:
            company = Text("not chosen", style="bold")
        try:
            person = contact(draft)
        except ValidationError:
            person = None
            shown_contact: RenderableType = Text.assemble(
                text(draft.contact_name),
                " · ",
                text(draft.contact_phone),
                " · ",
                text(draft.contact_email),
                " (incomplete)",
            )
        else:
            shown_contact = (
                Text.assemble(
                    literal(person.name), " · ", literal(person.phone), " · ", literal(person.email)
                )
                if person
                else Text("none", style="dim")
            )
        consent = (
            "yes: the customer agreed to share the contact with the vendor"
            if draft.consent
            else "no"
        )
        return facts(("Company", company), ("Contact", shown_contact), ("Consent", consent))

    def _details(self) -> Table:
        draft = self.draft
        location = (
            self.context.organization.location(draft.location_id)
            if draft.location_id is not None
            else None
        )
        try:
            amount = Decimal(draft.value.strip())
            value: RenderableType = (
                money(amount, draft.currency.strip().upper(), compact=False)
                if amount.is_finite()
                else text(draft.value)
            )
        except InvalidOperation:
            value = Text.assemble(text(draft.value), " ", text(draft.currency))
        closes = typed_date(draft.close_date)
        return facts(
            ("Name", text(draft.name)),
            ("Location", literal(location.label) if location else NOT_GIVEN.copy()),
            ("Value", value),
            ("Close date", day(closes) if closes else text(draft.close_date)),
            ("CRM id", text(draft.crm_id)),
            ("Campaign id", text(draft.campaign_id)),
            ("Notes", self._notes()),
        )

    def _notes(self) -> Text:
        """The notes; long ones cut short so the sections after them stay in reach."""
        notes = self.draft.notes.strip()
        if len(notes) <= NOTES_SHOWN:
            return text(notes)
        shown = text(notes[:NOTES_SHOWN])
        more = len(notes) - NOTES_SHOWN
        shown.append(f" … and {more:,} more characters (press 2 to see them)", style="italic")
        return shown

    def _team(self) -> RenderableType:
        if not self.draft.team:
            return Text("nobody yet", style="bold")
        return Text("\n").join(
            Text.assemble(
                literal(f"{m.first_name.strip()} {m.last_name.strip()}", "bold"),
                " · ",
                literal(m.email.strip()),
                " · ",
                literal(m.phone.strip()),
            )
            for m in self.draft.team
        )

    def _kind(self, solution: Solution) -> str:
        if solution.kind is SolutionKind.ASSESSMENT:
            return "assessment"
        if solution.kind is SolutionKind.VENDOR:
            return "vendor"
        if solution.organization_id == self.context.organization.id:
            return "my company's"
        return "third party"

    def _solutions_body(self) -> RenderableType:
        lines = []
        for sid in self.draft.solution_ids:
            solution = self._solutions.get(sid)
            if solution is None:
                lines.append(Text(f"solution #{sid} (no longer in the catalog)"))
                continue
            line = Text.assemble(literal(solution.name, "bold"), f" · {self._kind(solution)}")
            if solution.incentive_eligible:
                line.append(" · incentive eligible")
            if solution.kind is SolutionKind.ASSESSMENT:
                loc_id = self.draft.assessment_location_id
                where = self.context.organization.location(loc_id) if loc_id is not None else None
                line.append_text(
                    Text.assemble(" · for ", literal(where.label) if where else "no location yet")
                )
            lines.append(line)
        if not lines:
            return Text("none chosen", style="bold")
        return Text("\n").join(lines)

    def _selling(self) -> Table:
        draft = self.draft
        if self.context.organization.is_vendor:
            vendor: RenderableType = Text("you are the vendor", style="dim")
        elif draft.vendor_help is HelpType.NONE:
            vendor = Text("none: the vendor is not invited", style="dim")
        else:
            vendor = Text(draft.vendor_help.label)
        partners: RenderableType = (
            Text("\n").join(invite_line(p, self.context.partners) for p in draft.partners)
            if draft.partners
            else Text("none", style="dim")
        )
        return facts(("Vendor's help", vendor), ("Partners", partners))
