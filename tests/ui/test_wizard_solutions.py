"""Wizard step 4, Solutions (R-UI-4, R-WIZ-5, R-ORG-4), alone in the StepHarness.

Demo catalog: Contoso (Dana's organization, vetted for assessments) publishes Contoso Insight
Cloud (incentive eligible) and Contoso Data Quickstart; Microsoft the vendor products and
three assessments; Fabrikam (Jonas, not vetted) and others the third-party solutions.
"""

from __future__ import annotations

from typing import Any

from textual.widget import Widget
from textual.widgets import Input, Select, Static

from cosell_tui.domain.models import User
from cosell_tui.domain.wizard import PICK_ASSESSMENT_LOCATION, Draft, Step
from cosell_tui.screens.dialog import Field
from cosell_tui.screens.dialogs.solutions import SolutionPicker
from cosell_tui.screens.wizard.solutions import LOCATION_QUESTION, SolutionsStep
from cosell_tui.store.database import Database
from tests.ui.wizard_harness import StepHarness

OPENAI, FABRIC, MIGRATION, SECURITY, INSIGHT = 1, 3, 5, 6, 8


def harness(db: Database, user: User, draft: Draft | None = None) -> StepHarness:
    return StepHarness(SolutionsStep, db, user, draft)


def field(app: StepHarness, key: str) -> Field:
    return next(f for f in app.query(Field) if f.key == key)


def picker(app: StepHarness) -> SolutionPicker:
    return app.query_one(SolutionPicker)


def plain(widget: Static) -> str:
    visual: Any = widget.render()
    return str(getattr(visual, "plain", visual))


def error(app: StepHarness, key: str) -> str:
    line = field(app, key).query_one(".field-error", Static)
    return plain(line) if line.display else ""


def listed(app: StepHarness) -> list[str]:
    """The picker's rows: headings bare, solutions behind their box."""
    box = picker(app)
    rows = []
    for index in range(box.option_count):
        option = box.get_option_at_index(index)
        prompt = str(option.prompt)
        if option.disabled:
            rows.append(prompt)
        else:
            rows.append(("[x] " if option.value in box.selected else "[ ] ") + prompt)
    return rows


def headings(app: StepHarness) -> list[str]:
    box = picker(app)
    return [
        str(box.get_option_at_index(i).prompt)
        for i in range(box.option_count)
        if box.get_option_at_index(i).disabled
    ]


async def tick(pilot: Any, app: StepHarness, solution_id: int) -> None:
    """Move the picker's cursor to the solution and press space, as a user does."""
    box = picker(app)
    box.focus()
    box.highlighted = next(
        i for i in range(box.option_count) if box.get_option_at_index(i).value == solution_id
    )
    await pilot.press("space")
    await pilot.pause()


def shown(widget: Widget) -> bool:
    return all(node.display for node in widget.ancestors_with_self if isinstance(node, Widget))


def note(app: StepHarness) -> str:
    line = app.query_one("#exclusion-note", Static)
    return plain(line) if line.display else ""


async def test_next_without_a_solution_is_refused_under_the_list(
    demo_db: Database, people: dict[str, User]
) -> None:
    app = harness(demo_db, people["Dana"])
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.check() == {"solution_ids": "Choose at least one solution."}
        await pilot.pause()
        assert error(app, "solution_ids") == "Choose at least one solution."
        assert app.focused is picker(app)


async def test_typing_narrows_the_list_and_keeps_what_was_chosen(
    demo_db: Database, people: dict[str, User]
) -> None:
    app = harness(demo_db, people["Dana"])
    async with app.run_test(size=(80, 24)) as pilot:
        await tick(pilot, app, INSIGHT)
        await pilot.press("slash")  # back to the search box
        assert app.focused is field(app, "solution_search").control
        await pilot.press(*"fab")
        await pilot.pause()
        assert listed(app) == [
            "Vendor",
            "[ ] Microsoft Fabric",
            "Third party",
            "[ ] Fabrikam Landing Zone · incentive eligible",
            "[ ] Fabrikam Managed Ops",
        ]
        await pilot.press("enter")  # to the list, on its first solution
        assert app.focused is picker(app)
        await pilot.press("space")
        await pilot.pause()
        assert app.check() == {}
        # Contoso Insight Cloud was filtered out of sight, never unticked: it stays chosen.
        assert app.draft.solution_ids == [INSIGHT, FABRIC]
        assert app.draft.solution_search == "fab"


async def test_a_search_without_a_match_says_so(demo_db: Database, people: dict[str, User]) -> None:
    app = harness(demo_db, people["Dana"])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"[b]q")
        await pilot.pause()
        assert listed(app) == []
        assert plain(app.query_one("#no-match", Static)) == "No solution's name holds “[b]q”."


async def test_solutions_are_grouped_and_only_vetted_organizations_see_assessments(
    demo_db: Database, people: dict[str, User]
) -> None:
    dana = harness(demo_db, people["Dana"])
    async with dana.run_test(size=(120, 40)):
        assert headings(dana) == [
            "My company's",
            "Vendor",
            "Third party",
            "Assessment · exactly one, instead of any other solution",
        ]
        rows = listed(dana)
        assert rows[:3] == [
            "My company's",
            "[ ] Contoso Data Quickstart",
            "[ ] Contoso Insight Cloud · incentive eligible",
        ]
        assert "[ ] Azure Migration Assessment" in rows
    jonas = harness(demo_db, people["Jonas"])
    async with jonas.run_test(size=(120, 40)):
        assert headings(jonas) == ["My company's", "Vendor", "Third party"]
        rows = listed(jonas)
        assert rows[1:3] == [
            "[ ] Fabrikam Landing Zone · incentive eligible",
            "[ ] Fabrikam Managed Ops",
        ]
        assert not any("Assessment" in row for row in rows)
        assert "[ ] Contoso Insight Cloud · incentive eligible" in rows  # third party for him


async def test_an_assessment_excludes_the_others_and_asks_its_location(
    demo_db: Database, people: dict[str, User]
) -> None:
    app = harness(demo_db, people["Dana"])
    async with app.run_test(size=(80, 24)) as pilot:
        location = field(app, "assessment_location_id")
        assert not shown(location)
        await tick(pilot, app, INSIGHT)
        await tick(pilot, app, FABRIC)
        await pilot.press("slash", *"assess")  # the two chosen ones are out of sight now
        await pilot.pause()
        await tick(pilot, app, MIGRATION)
        assert note(app) == (
            "Unticked Contoso Insight Cloud and Microsoft Fabric: "
            "an assessment excludes every other solution."
        )
        await pilot.press("slash", "ctrl+u")  # clear the search: only the assessment is ticked
        await pilot.pause()
        assert [row for row in listed(app) if row.startswith("[x]")] == [
            "[x] Azure Migration Assessment"
        ]
        assert shown(location)
        assert location.label == LOCATION_QUESTION
        assert "skips the selling step and takes no invitations" in plain(
            app.query_one("#assessment-note", Static)
        )
        select = location.control
        assert isinstance(select, Select)
        select.value = 7  # Toronto
        await pilot.pause()
        assert app.check() == {}
        assert app.draft.solution_ids == [MIGRATION]
        assert app.draft.assessment_location_id == 7
        assert Step.SELLING not in app.context.rules.steps(app.draft)

        # A second assessment replaces the first: still exactly one.
        await tick(pilot, app, SECURITY)
        assert note(app) == (
            "Unticked Azure Migration Assessment: an assessment excludes every other solution."
        )
        assert app.check() == {}
        assert app.draft.solution_ids == [SECURITY]

        # Ticking anything else unticks the assessment and its location question goes.
        await tick(pilot, app, OPENAI)
        assert app.check() == {}
        assert app.draft.solution_ids == [OPENAI]
        assert app.draft.assessment_location_id is None
        assert not shown(location)


async def test_an_assessment_without_its_location_is_refused_under_the_location(
    demo_db: Database, people: dict[str, User]
) -> None:
    app = harness(demo_db, people["Dana"])
    async with app.run_test(size=(80, 24)) as pilot:
        await tick(pilot, app, MIGRATION)
        assert app.check() == {"assessment_location_id": PICK_ASSESSMENT_LOCATION}
        await pilot.pause()
        assert error(app, "assessment_location_id") == PICK_ASSESSMENT_LOCATION
        assert app.focused is field(app, "assessment_location_id").control


async def test_the_deal_location_is_offered_for_the_assessment(
    demo_db: Database, people: dict[str, User]
) -> None:
    app = harness(demo_db, people["Dana"], Draft(location_id=8))
    async with app.run_test(size=(80, 24)) as pilot:
        await tick(pilot, app, SECURITY)
        assert app.check() == {}
        assert app.draft.assessment_location_id == 8  # London, the deal's location


async def test_dump_and_load_round_trip(demo_db: Database, people: dict[str, User]) -> None:
    draft = Draft(solution_ids=[INSIGHT, FABRIC], solution_search="co")
    app = harness(demo_db, people["Dana"], draft.model_copy(deep=True))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        search = field(app, "solution_search").control
        assert isinstance(search, Input)
        assert search.value == "co"
        assert listed(app) == [
            "My company's",
            "[ ] Contoso Data Quickstart",
            "[x] Contoso Insight Cloud · incentive eligible",
            "Vendor",
            "[ ] Microsoft 365 Copilot",
        ]
        again = Draft()
        app.step_widget.dump(again)
        assert (again.solution_ids, again.solution_search, again.assessment_location_id) == (
            [INSIGHT, FABRIC],
            "co",
            None,
        )


async def test_an_assessment_round_trips_with_its_location(
    demo_db: Database, people: dict[str, User]
) -> None:
    draft = Draft(solution_ids=[MIGRATION], assessment_location_id=6)
    app = harness(demo_db, people["Dana"], draft.model_copy(deep=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        location = field(app, "assessment_location_id")
        assert shown(location)
        assert location.control.value == 6
        again = Draft()
        app.step_widget.dump(again)
        assert (again.solution_ids, again.assessment_location_id) == ([MIGRATION], 6)
