"""Wizard step 2, Deal details (R-UI-4, R-DEAL-2, R-Q-1): every bad value gets its message.

The clock of the demo database is frozen on 2026-11-27, so 2026-11-26 is yesterday.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static, TextArea

from cosell_tui.domain.models import User
from cosell_tui.domain.wizard import PAST_CLOSE_DATE, PICK_LOCATION, Draft
from cosell_tui.screens.dialog import Field
from cosell_tui.screens.wizard.details import DetailsStep
from cosell_tui.store.database import Database
from tests.ui.wizard_harness import StepHarness

SIZE = (80, 24)
CONTROLS = {
    "name": "#deal-name",
    "value": "#value",
    "currency": "#currency",
    "close_date": "#close-date",
    "crm_id": "#crm-id",
    "campaign_id": "#campaign-id",
}
GOOD = {
    "name": "Adatum data platform",
    "value": "125000.50",
    "currency": "USD",
    "close_date": "2027-03-31",
    "crm_id": "CRM-4411",
    "campaign_id": "",
}


def field(app: StepHarness, key: str) -> Field:
    return next(f for f in app.query(Field) if f.key == key)


def error_under(app: StepHarness, key: str) -> str:
    line = field(app, key).query_one(".field-error", Static)
    return str(line.render()) if line.display else ""


def fill(app: StepHarness, values: dict[str, str], notes: str = "") -> None:
    for key, text in values.items():
        app.query_one(CONTROLS[key], Input).value = text
    app.query_one("#notes", TextArea).load_text(notes)


def seattle(app: StepHarness) -> int:
    return next(loc.id for loc in app.context.organization.locations if loc.city == "Seattle")


async def check(app: StepHarness, pilot: Pilot[None]) -> dict[str, str]:
    errors = app.check()
    await pilot.pause()
    return errors


async def test_good_values_pass(demo_db: Database, people: dict[str, User]) -> None:
    app = StepHarness(DetailsStep, demo_db, people["Dana"])
    async with app.run_test(size=SIZE) as pilot:
        # Dana's scope is global and Contoso has three locations: none is chosen for her
        assert app.query_one("#location", Select).is_blank()
        assert app.query_one("#currency", Input).value == "USD"
        app.query_one("#deal-name", Input).focus()
        await pilot.press(*"Adatum data platform")
        app.query_one("#location", Select).value = seattle(app)
        fill(app, GOOD, notes="Line one\nline two")
        assert await check(app, pilot) == {}
        assert app.draft.name == "Adatum data platform"
        assert app.draft.location_id == seattle(app)
        assert app.draft.notes == "Line one\nline two"
        assert all(error_under(app, key) == "" for key in (*CONTROLS, "location_id", "notes"))


async def test_the_location_is_preselected_when_there_is_one(
    demo_db: Database, people: dict[str, User]
) -> None:
    # Priya works for Contoso's Seattle location; Nora's Litware has a single location
    for who in ("Priya", "Nora"):
        app = StepHarness(DetailsStep, demo_db, people[who])
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            expected = people[who].scope_location_id or app.context.organization.locations[0].id
            assert app.query_one("#location", Select).value == expected


BAD = [
    ("name", "", "This field is required."),
    ("name", "a\x07b", "Remove the control characters or line breaks"),
    ("value", "0", "The amount must be greater than 0."),
    ("value", "-5", "The amount must be greater than 0."),
    ("value", "1e99", "The amount must not exceed 1,000,000,000,000."),
    ("value", "abc", "Enter an amount such as 125000 or 125000.50."),
    ("currency", "dollars", "Enter an ISO 4217 currency code"),
    ("close_date", "2026-11-26", PAST_CLOSE_DATE),
    ("close_date", "2026-02-30", "Enter a real calendar date as YYYY-MM-DD"),
]


@pytest.mark.parametrize(("key", "typed", "message"), BAD)
async def test_bad_value_is_refused_beside_its_field(
    demo_db: Database, people: dict[str, User], key: str, typed: str, message: str
) -> None:
    app = StepHarness(DetailsStep, demo_db, people["Priya"])
    async with app.run_test(size=SIZE) as pilot:
        fill(app, {**GOOD, key: typed})
        errors = await check(app, pilot)
        assert list(errors) == [key]
        assert errors[key].startswith(message)
        assert error_under(app, key) == errors[key]
        assert field(app, key).has_class("-invalid")
        assert app.query_one(CONTROLS[key], Input).has_focus
        # what was typed stays, as typed
        assert app.query_one(CONTROLS[key], Input).value == typed
        assert getattr(app.draft, key) == typed


async def test_ten_thousand_characters_of_notes(demo_db: Database, people: dict[str, User]) -> None:
    app = StepHarness(DetailsStep, demo_db, people["Priya"])
    async with app.run_test(size=SIZE) as pilot:
        fill(app, GOOD, notes="n" * 10_000)
        errors = await check(app, pilot)
        assert errors == {"notes": "Use at most 4000 characters (this has 10000)."}
        assert error_under(app, "notes") == errors["notes"]
        assert app.query_one("#notes", TextArea).has_focus
        assert len(app.draft.notes) == 10_000


async def test_first_wrong_field_has_focus(demo_db: Database, people: dict[str, User]) -> None:
    app = StepHarness(DetailsStep, demo_db, people["Dana"])
    async with app.run_test(size=SIZE) as pilot:
        fill(app, {**GOOD, "value": "abc", "close_date": "2026-02-30"})
        errors = await check(app, pilot)
        assert set(errors) == {"location_id", "value", "close_date"}
        assert error_under(app, "location_id") == PICK_LOCATION
        assert app.query_one("#location", Select).has_focus
        # then the close date, which sits beside the location, above the value
        app.query_one("#location", Select).value = seattle(app)
        errors = await check(app, pilot)
        assert set(errors) == {"value", "close_date"}
        assert app.query_one("#close-date", Input).has_focus
        assert error_under(app, "location_id") == ""


async def test_an_empty_step_names_every_required_field(
    demo_db: Database, people: dict[str, User]
) -> None:
    app = StepHarness(DetailsStep, demo_db, people["Dana"])
    async with app.run_test(size=SIZE) as pilot:
        errors = await check(app, pilot)
        assert set(errors) == {"name", "location_id", "value", "close_date"}
        assert app.query_one("#deal-name", Input).has_focus
        assert app.draft.currency == "USD"  # the default is kept


async def test_dump_and_load_keep_what_was_typed(
    demo_db: Database, people: dict[str, User]
) -> None:
    typed = {
        "name": "  Adatum [bold]x[/] ",
        "value": "1,25",
        "currency": "eur",
        "close_date": "31/03/2027",
        "crm_id": "CRM 1",
        "campaign_id": "spring\x07",
    }
    first = StepHarness(DetailsStep, demo_db, people["Dana"])
    async with first.run_test(size=SIZE) as pilot:
        fill(first, typed, notes="n" * 5000)
        first.query_one("#location", Select).value = seattle(first)
        await pilot.pause()
        first.step_widget.dump(first.draft)
    saved = Draft.model_validate_json(first.draft.model_dump_json())
    assert {key: getattr(saved, key) for key in typed} == typed
    assert len(saved.notes) == 5000

    again = StepHarness(DetailsStep, demo_db, people["Dana"], saved.model_copy(deep=True))
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for key, text in typed.items():
            assert again.query_one(CONTROLS[key], Input).value == text
        assert again.query_one("#location", Select).value == saved.location_id
        reloaded = Draft()
        again.step_widget.dump(reloaded)
        assert reloaded.model_dump(exclude={"step"}) == saved.model_dump(exclude={"step"})
