"""Wizard step 4, Solutions (R-UI-4, R-WIZ-5, R-ORG-4): what the deal is about.

The catalog is grouped as the user's organization sees it (my company's, vendor, third party,
and assessments for vetted organizations only) and filtered by typing in the search box.
An assessment excludes every other solution: ticking one unticks the rest (and ticking
anything else unticks the assessment), saying so under the list, so the choice is always
valid and never changes out of sight. With an assessment chosen the step asks which of the
organization's locations it is for.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.events import Resize
from textual.widgets import Input, Select, SelectionList, Static

from cosell_tui.domain.enums import SolutionKind
from cosell_tui.domain.models import Solution
from cosell_tui.domain.wizard import Draft, Step
from cosell_tui.screens.dialog import Field
from cosell_tui.screens.dialogs.solutions import (
    ASSESSMENT,
    GROUPS,
    PickerField,
    SolutionPicker,
    group_of,
)
from cosell_tui.screens.wizard.base import WizardContext, WizardStep
from cosell_tui.widgets.text import literal

TALL = 30  # rows from which the picker may grow to list the whole demo catalog
HEADINGS = {ASSESSMENT: "Assessment · exactly one, instead of any other solution"}
LOCATION_QUESTION = "Which of your locations is the assessment for?"
ASSESSMENT_NOTE = (
    "An assessment deal skips the selling step and takes no invitations: "
    "neither the vendor nor other partners are invited to it."
)


class SolutionsStep(WizardStep):
    step = Step.SOLUTIONS

    def __init__(self, context: WizardContext) -> None:
        super().__init__(context)
        self.by_id = {s.id: s for s in context.catalog}
        vetted = context.organization.vetted_for_assessments
        mine = context.organization.id
        offered = [s for s in context.catalog if vetted or s.kind is not SolutionKind.ASSESSMENT]
        groups: list[tuple[str, list[Solution]]] = []
        for group in GROUPS:
            members = sorted(
                (s for s in offered if group_of(s, mine) == group),
                key=lambda s: s.name.casefold(),
            )
            if members:
                groups.append((HEADINGS.get(group, group), members))
        self.groups = groups
        self._deal_location: int | None = None

    # layout

    def compose(self) -> ComposeResult:
        yield Field(
            "Search",
            Input(placeholder="Type part of a name; enter goes to the list", id="solution-search"),
            "solution_search",
        )
        yield PickerField(
            "Solutions · at least one; space ticks, / goes back to the search",
            SolutionPicker(self.groups, ()),
            "solution_ids",
        )
        yield Static("", id="no-match", classes="field-hint")
        yield Static("", id="exclusion-note", markup=False)
        with Vertical(id="assessment"):
            yield Static(ASSESSMENT_NOTE, id="assessment-note", classes="field-hint")
            locations = self.context.organization.locations
            yield Field(
                LOCATION_QUESTION,
                Select(
                    [(literal(loc.label), loc.id) for loc in locations],
                    prompt="Choose a location",
                    id="assessment-location",
                ),
                "assessment_location_id",
            )
        yield Static("", classes="step-error", markup=False)

    def on_mount(self) -> None:
        for each in self.query(Field):
            each.show_error(None)
        for line in self.query(".step-error").results(Static):
            line.display = False
        self._note(None)
        self._update()

    def on_resize(self, event: Resize) -> None:
        # A tall terminal shows the whole catalog without scrolling inside the list.
        self.set_class(event.size.height >= TALL, "-tall")

    # the draft

    def load(self, draft: Draft) -> None:
        self._deal_location = draft.location_id
        search = self._search()
        if search.value != draft.solution_search:
            search.value = draft.solution_search
        self._picker().choose(
            [sid for sid in draft.solution_ids if sid in self.by_id], draft.solution_search
        )
        location = self._location()
        wanted = draft.assessment_location_id
        if wanted is not None and self.context.organization.location(wanted) is not None:
            if location.value != wanted:
                location.value = wanted
        elif location.value is not Select.NULL:
            location.clear()
        self._note(None)
        self._update()

    def dump(self, draft: Draft) -> None:
        draft.solution_ids = self._picker().chosen_ids()
        draft.solution_search = self._search().value
        value = self._location().value
        draft.assessment_location_id = (
            value if self._has_assessment() and isinstance(value, int) else None
        )

    # widgets

    def _picker(self) -> SolutionPicker:
        return self.query_one(SolutionPicker)

    def _search(self) -> Input:
        return self.query_one("#solution-search", Input)

    def _location(self) -> Select[int]:
        return self.query_one("#assessment-location", Select)

    def _is_assessment(self, solution_id: int) -> bool:
        found = self.by_id.get(solution_id)
        return found is not None and found.kind is SolutionKind.ASSESSMENT

    def _has_assessment(self) -> bool:
        return any(self._is_assessment(sid) for sid in self._picker().chosen_ids())

    def _update(self) -> None:
        """Show the location question only with an assessment; say when nothing matches."""
        self.query_one("#assessment", Vertical).display = self._has_assessment()
        picker = self._picker()
        note = self.query_one("#no-match", Static)
        query = self._search().value.strip()
        if picker.matches or not query:
            note.display = False
        else:
            note.update(Text.assemble("No solution's name holds “", literal(query), "”."))
            note.display = True

    def _note(self, text: Text | None) -> None:
        note = self.query_one("#exclusion-note", Static)
        note.update(text or "")
        note.display = text is not None

    # events

    @on(Input.Changed, "#solution-search")
    def _filter(self, event: Input.Changed) -> None:
        self._picker().show(event.value)
        self._update()

    @on(Input.Submitted, "#solution-search")
    def _to_list(self, event: Input.Submitted) -> None:
        event.stop()
        self._picker().focus()

    @on(SelectionList.SelectionToggled, "#solution-picker")
    def _toggled(self, event: SelectionList.SelectionToggled[int]) -> None:
        """Keep the choice valid: an assessment alone, or no assessment (R-WIZ-5)."""
        picker = self._picker()
        ticked = event.selection.value
        chosen = picker.chosen_ids()
        if ticked not in picker.selected:
            self._note(None)
            self._update()
            return
        if self._is_assessment(ticked):
            dropped = [sid for sid in chosen if sid != ticked]
        else:
            dropped = [sid for sid in chosen if self._is_assessment(sid)]
        if dropped:
            picker.keep_only(sid for sid in chosen if sid not in dropped)
            names = [self.by_id[sid].name for sid in dropped]
            text = Text("Unticked ")
            for i, name in enumerate(names):
                if i:
                    text.append(" and " if i == len(names) - 1 else ", ")
                text.append_text(literal(name))
            text.append(": an assessment excludes every other solution.")
            self._note(text)
            self.post_message(self.Changed())  # hidden choices change without an event
        else:
            self._note(None)
        if self._is_assessment(ticked) and self._location().value is Select.NULL:
            # The deal's own location (step 2) is the likely answer; the user sees it asked.
            deal = self._deal_location
            if deal is not None and self.context.organization.location(deal) is not None:
                self._location().value = deal
        self._update()
        # What changed below the list must be seen: the note, and the location question.
        shown = "#assessment" if self._is_assessment(ticked) else "#exclusion-note"
        if dropped or self._is_assessment(ticked):
            self.call_after_refresh(self.scroll_to_widget, self.query_one(shown), animate=False)

    @on(SelectionList.SelectedChanged, "#solution-picker")
    def _selected(self) -> None:
        self._update()
