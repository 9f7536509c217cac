"""Change an accepted deal's solutions (R-DEAL-3, R-LIFE-6, R-WIZ-5, R-UI-5).

The catalog is grouped as the user sees it (R-ORG-4): my company's partner solutions, the
vendor's, other partners' (third party) and assessments. A deal that is not a solution
assessment can never gain an assessment, and an SA deal's assessment can only be replaced by
another one, so each deal is offered only what it may hold; what it already holds is always
listed, so nothing chosen is hidden. Returns a SolutionChoice for `services.set_solutions`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Input, OptionList, Select, SelectionList, Static
from textual.widgets.option_list import OptionDoesNotExist
from textual.widgets.selection_list import Selection

from cosell_tui.domain.enums import SolutionKind
from cosell_tui.domain.errors import InvalidInput
from cosell_tui.domain.models import Location, Referral, Solution
from cosell_tui.screens.dialog import Field, FormDialog
from cosell_tui.widgets.text import literal

MINE, VENDOR, THIRD_PARTY, ASSESSMENT = "My company's", "Vendor", "Third party", "Assessment"
GROUPS = (MINE, VENDOR, THIRD_PARTY, ASSESSMENT)

AT_LEAST_ONE = "Choose at least one solution."
ONLY_ONE_ASSESSMENT = "An assessment excludes every other solution: choose exactly one assessment."
SA_KEEPS_ASSESSMENT = "An assessment deal's assessment can only be replaced by another assessment."
NO_NEW_ASSESSMENT = "A deal that is not an assessment can never gain one."
NOT_VETTED = "Only organizations vetted for assessments can choose an assessment."
WHICH_LOCATION = "Choose which of your locations the assessment is for."


@dataclass(frozen=True)
class SolutionChoice:
    """What `services.set_solutions` takes: the solutions, and an assessment's location."""

    solution_ids: list[int]
    assessment_location_id: int | None = None


def group_of(solution: Solution, my_organization_id: int) -> str:
    """The solution's kind as the signed-in user's organization sees it (R-ORG-4)."""
    if solution.kind is SolutionKind.ASSESSMENT:
        return ASSESSMENT
    if solution.kind is SolutionKind.VENDOR:
        return VENDOR
    return MINE if solution.organization_id == my_organization_id else THIRD_PARTY


class SolutionPicker(SelectionList[int]):
    """The grouped catalog with a check box per solution; filtering keeps what was chosen.

    Group headings are disabled rows (negative values) that the cursor skips. The boxes read
    `[x]` / `[ ]` so the choice shows without colour (R-Q-3).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "slash",
            "search",
            "Search",
            id="solutions.search",
            tooltip="Type to filter the solutions",
        ),
    ]

    def __init__(self, groups: list[tuple[str, list[Solution]]], chosen: Iterable[int]) -> None:
        self.groups = groups
        self.catalog = [s for _, solutions in groups for s in solutions]
        self._chosen = set(chosen)
        self._listed: set[int] = set()  # the solutions the filter lets through
        self.matches = 0
        super().__init__(*self._rows(""), id="solution-picker")

    def chosen_ids(self) -> list[int]:
        """Chosen solutions in list order, counting those the filter hides."""
        picked = set(self.selected)
        return [
            s.id
            for s in self.catalog
            if s.id in picked or (s.id not in self._listed and s.id in self._chosen)
        ]

    def _rows(self, query: str) -> list[Selection[int]]:
        needle = query.strip().casefold()
        rows: list[Selection[int]] = []
        self._listed = set()
        for number, (group, solutions) in enumerate(self.groups, start=1):
            hits = [s for s in solutions if needle in s.name.casefold()]
            if not hits:
                continue
            rows.append(Selection(Text(group, style="bold underline"), -number, disabled=True))
            for solution in hits:
                prompt = literal(solution.name)
                if solution.incentive_eligible:
                    prompt = Text.assemble(prompt, (" · incentive eligible", "italic"))
                rows.append(Selection(prompt, solution.id, solution.id in self._chosen))
            self._listed.update(s.id for s in hits)
        self.matches = len(self._listed)
        return rows

    def show(self, query: str) -> None:
        """List only solutions whose name holds `query` (any case), keeping every choice."""
        self.choose(self.chosen_ids(), query)

    def choose(self, chosen: Iterable[int], query: str = "") -> None:
        """Tick exactly `chosen` (listed or not) and list what `query` lets through."""
        self._chosen = set(chosen)
        rows = self._rows(query)
        self.clear_options()
        self.add_options(rows)
        self.highlighted = next((i for i, row in enumerate(rows) if not row.disabled), None)

    def keep_only(self, keep: Iterable[int]) -> None:
        """Untick every solution not in `keep`, those the filter hides included."""
        kept = set(keep)
        self._chosen &= kept
        for value in list(self.selected):
            if value not in kept:
                self.deselect(value)

    def on_mount(self) -> None:
        self.highlighted = next((i for i, row in enumerate(self.options) if not row.disabled), None)

    def action_search(self) -> None:
        # The nearest search box: a screen may hold several pickers (one per wizard form).
        for ancestor in self.ancestors:
            found = ancestor.query("#solution-search").results(Input)
            box = next(iter(found), None)
            if box is not None:
                box.focus()
                return

    def render_line(self, y: int) -> Strip:
        # OptionList's line (the prompt), with our own box in front instead of the toggle.
        line = OptionList.render_line(self, y)
        index = self.scroll_offset.y + y
        try:
            option = self.get_option_at_index(index)
        except OptionDoesNotExist:
            return line
        width = self.scrollable_content_region.width
        base = next(iter(line)).style if line.cell_length else None
        if option.disabled:  # a group heading: flush left, no box
            return line.extend_cell_length(width, base)
        selected = option.value in self.selected
        component = "selection-list--button"
        if selected:
            component += "-selected"
        if self.highlighted == index:
            component += "-highlighted"
        meta = Style(meta={"option": index})
        box = self.get_component_rich_style(component) + meta
        return Strip(
            [
                Segment("[x]" if selected else "[ ]", box),
                Segment(" ", (base or self.rich_style) + meta),
                *line,
            ]
        ).extend_cell_length(width, base)


class PickerField(Field):
    def value(self) -> Any:
        return cast(SolutionPicker, self.control).chosen_ids()


class SolutionsDialog(FormDialog[SolutionChoice]):
    """Returns a SolutionChoice, or None when cancelled."""

    title_text = "Solutions"
    save_label = "Save"

    def __init__(
        self,
        referral: Referral,
        catalog: list[Solution],
        my_organization_id: int,
        vetted: bool,
        locations: list[Location],
    ) -> None:
        super().__init__()
        self.referral = referral
        self.my_organization_id = my_organization_id
        self.vetted = vetted
        self.locations = locations
        self.by_id = {s.id: s for s in catalog}
        current = [rs.solution for rs in referral.solutions]
        for solution in current:
            self.by_id.setdefault(solution.id, solution)
        self.current_ids = [s.id for s in current]
        self.current_location = next(
            (rs.assessment_location_id for rs in referral.solutions if rs.assessment_location_id),
            None,
        )
        offered = [s for s in self.by_id.values() if self._offered(s) or s.id in self.current_ids]
        self.groups = [
            (
                group,
                sorted(
                    (s for s in offered if group_of(s, my_organization_id) == group),
                    key=lambda s: s.name.casefold(),
                ),
            )
            for group in GROUPS
        ]
        self.groups = [(group, solutions) for group, solutions in self.groups if solutions]

    def _offered(self, solution: Solution) -> bool:
        if solution.kind is SolutionKind.ASSESSMENT:
            return self.referral.is_sa and self.vetted
        return not self.referral.is_sa

    def compose_fields(self) -> Iterable[Widget]:
        if self.referral.is_sa:
            yield Static(
                "This is a solution-assessment deal: its assessment can only be replaced by "
                "another assessment.",
                classes="field-hint solutions-note",
            )
        elif self.vetted:
            yield Static(
                "Assessments are not offered: a deal that is not an assessment can never gain one.",
                classes="field-hint solutions-note",
            )
        yield Field(
            "Search",
            Input(placeholder="Type part of a name; enter goes to the list", id="solution-search"),
            "search",
        )
        yield PickerField(
            "Solutions (space ticks the highlighted one; at least one)",
            SolutionPicker(self.groups, self.current_ids),
            "solution_ids",
        )
        yield Static("", id="no-match", classes="field-hint")
        own_locations = [
            loc for loc in self.locations if loc.organization_id == self.referral.organization_id
        ] or self.locations
        yield Field(
            "Location the assessment is for",
            Select(
                [(literal(loc.label), loc.id) for loc in own_locations],
                prompt="Choose a location",
                value=self.current_location
                if any(loc.id == self.current_location for loc in own_locations)
                else Select.NULL,
                id="assessment-location",
            ),
            "assessment_location_id",
        )

    def on_mount(self) -> None:  # FormDialog.on_mount runs too (Textual calls each class's)
        self._update_location()
        self._update_no_match()

    def _picker(self) -> SolutionPicker:
        return self.query_one(SolutionPicker)

    def _location_field(self) -> Field:
        return next(f for f in self.query(Field) if f.key == "assessment_location_id")

    def _update_location(self) -> None:
        """The location is asked only when an assessment is (or may be) chosen."""
        chosen = self._picker().chosen_ids()
        needed = self.referral.is_sa or any(
            self.by_id[sid].kind is SolutionKind.ASSESSMENT for sid in chosen
        )
        self._location_field().display = needed

    def _update_no_match(self) -> None:
        picker = self._picker()
        note = self.query_one("#no-match", Static)
        query = self.query_one("#solution-search", Input).value.strip()
        if picker.matches or not query:
            note.display = False
            return
        note.update(Text.assemble("No solution's name holds “", literal(query), "”."))
        note.display = True

    @on(Input.Changed, "#solution-search")
    def _filter(self, event: Input.Changed) -> None:
        self._picker().show(event.value)
        self._update_no_match()

    @on(Input.Submitted, "#solution-search")
    def _to_list(self) -> None:
        self._picker().focus()

    @on(SelectionList.SelectedChanged)
    def _selection_changed(self) -> None:
        self._update_location()

    def build(self, values: dict[str, Any]) -> SolutionChoice:
        ids: list[int] = values["solution_ids"]
        if not ids:
            raise InvalidInput(AT_LEAST_ONE, {"solution_ids": AT_LEAST_ONE})
        assessments = [sid for sid in ids if self.by_id[sid].kind is SolutionKind.ASSESSMENT]
        if self.referral.is_sa and not assessments:
            raise InvalidInput(SA_KEEPS_ASSESSMENT, {"solution_ids": SA_KEEPS_ASSESSMENT})
        if not self.referral.is_sa and assessments:
            raise InvalidInput(NO_NEW_ASSESSMENT, {"solution_ids": NO_NEW_ASSESSMENT})
        if not assessments:
            return SolutionChoice(solution_ids=ids)
        if len(ids) != 1:
            raise InvalidInput(ONLY_ONE_ASSESSMENT, {"solution_ids": ONLY_ONE_ASSESSMENT})
        if not self.vetted:
            raise InvalidInput(NOT_VETTED, {"solution_ids": NOT_VETTED})
        location = values["assessment_location_id"]
        if not isinstance(location, int):  # nothing chosen (Select.NULL or None)
            raise InvalidInput(WHICH_LOCATION, {"assessment_location_id": WHICH_LOCATION})
        return SolutionChoice(solution_ids=ids, assessment_location_id=location)
