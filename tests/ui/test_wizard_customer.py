"""Wizard step 1, Customer (R-UI-4, R-ORG-3, R-INV-2): find, choose or add the customer.

The step runs alone in `StepHarness` on the demo directory, which holds two "Adatum
Corporation, Seattle" told apart only by their D-U-N-S numbers (150483782 and 150483790).
"""

from __future__ import annotations

import time

from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, Input, OptionList, Select, Static

from cosell_tui.domain.models import Company, User
from cosell_tui.domain.wizard import CONSENT_WITHOUT_CONTACT, PICK_COMPANY, Draft, DraftCompany
from cosell_tui.screens.dialog import Field
from cosell_tui.screens.wizard.customer import CustomerStep
from cosell_tui.store.database import Database
from tests.ui.wizard_harness import StepHarness

SIZE = (80, 24)
ADD_NEW = "+ Add a new company…"


def field(app: StepHarness, key: str) -> Field:
    return next(f for f in app.query(Field) if f.key == key)


def error_under(app: StepHarness, key: str) -> str:
    """The message shown under a field ('' when none is shown)."""
    owner = field(app, key)
    line = owner.query_one(".field-error", Static)
    return str(line.render()) if line.display else ""


def step(app: StepHarness) -> CustomerStep:
    assert isinstance(app.step_widget, CustomerStep)
    return app.step_widget


async def check(app: StepHarness, pilot: Pilot[None]) -> dict[str, str]:
    """Next's test; then let the focus move to the first wrong field."""
    errors = app.check()
    await pilot.pause()
    return errors


async def settle(app: StepHarness, pilot: Pilot[None]) -> None:
    """Let the directory workers answer and their results reach the screen."""
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


async def choose_city(app: StepHarness, pilot: Pilot[None], city: str) -> None:
    """With the keyboard: open the city list, type the name, enter."""
    await settle(app, pilot)
    app.query_one("#city", Select).focus()
    await pilot.press("enter")
    await pilot.press(*city.lower())
    await pilot.press("enter")
    await settle(app, pilot)


async def search(app: StepHarness, pilot: Pilot[None], text: str) -> None:
    search_input = app.query_one("#company-search", Input)
    search_input.focus()
    search_input.value = ""
    await pilot.press(*text)
    await settle(app, pilot)


async def test_location_is_preselected_and_city_lists_the_directory(
    demo_db: Database, people: dict[str, User]
) -> None:
    app = StepHarness(CustomerStep, demo_db, people["Dana"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        # Contoso's first location is Seattle, US
        assert app.query_one("#country", Select).value == "US"
        city = app.query_one("#city", Select)
        assert city.value == ""  # any city
        await choose_city(app, pilot, "Seattle")
        assert city.value == "Seattle"
        app.check()
        assert (app.draft.country, app.draft.city) == ("US", "Seattle")


async def test_scope_location_gives_the_country(demo_db: Database, people: dict[str, User]) -> None:
    # Owen is Contoso's referral admin for Toronto
    app = StepHarness(CustomerStep, demo_db, people["Owen"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.query_one("#country", Select).value == "CA"


async def test_namesakes_are_told_apart_by_duns(demo_db: Database, people: dict[str, User]) -> None:
    app = StepHarness(CustomerStep, demo_db, people["Dana"])
    async with app.run_test(size=SIZE) as pilot:
        await choose_city(app, pilot, "Seattle")
        await search(app, pilot, "adatum")
        shown = step(app).suggestion_names()
        assert len(shown) == 3
        assert shown[-1] == ADD_NEW
        assert all(line.startswith("Adatum Corporation\n") for line in shown[:2])
        assert "1 Microsoft Way, Seattle, WA, 98101, US · D-U-N-S 150483782" in shown[0]
        assert "400 Pine Street, Seattle, WA, 98101, US · D-U-N-S 150483790" in shown[1]

        # down from the name moves into the list; the second Adatum is the one
        await pilot.press("down")
        suggestions = app.query_one("#suggestions", OptionList)
        assert suggestions.has_focus and suggestions.highlighted == 0
        await pilot.press("down", "enter")
        await pilot.pause()
        errors = await check(app, pilot)
        assert "company" not in errors
        wanted = app.context.source.company_with_duns("150483790")
        assert wanted is not None
        assert app.draft.company_id == wanted.id
        assert app.draft.company_label == "Adatum Corporation, Seattle · D-U-N-S 150483790"
        chosen = app.query_one("#chosen-company", Static)
        assert chosen.display
        assert str(chosen.render()) == "Customer: Adatum Corporation, Seattle · D-U-N-S 150483790"
        assert not app.query_one("#company-choose").display

        # choosing moves on to the contact; Change (one tab back) brings the search back
        assert app.query_one("#contact-name", Input).has_focus
        await pilot.press("shift+tab", "enter")
        await settle(app, pilot)
        assert app.query_one("#company-search", Input).has_focus
        assert app.query_one("#company-search", Input).value == "adatum"
        app.check()
        assert app.draft.company_id is None


async def test_up_from_the_first_suggestion_returns_to_the_name(
    demo_db: Database, people: dict[str, User]
) -> None:
    app = StepHarness(CustomerStep, demo_db, people["Dana"])
    async with app.run_test(size=SIZE) as pilot:
        await search(app, pilot, "adatum")
        await pilot.press("down", "up")
        assert app.query_one("#company-search", Input).has_focus


async def test_no_match_offers_only_a_new_company(
    demo_db: Database, people: dict[str, User]
) -> None:
    app = StepHarness(CustomerStep, demo_db, people["Dana"])
    async with app.run_test(size=SIZE) as pilot:
        await search(app, pilot, "zzqx no such company")
        assert step(app).suggestion_names() == [ADD_NEW]
        errors = await check(app, pilot)
        assert errors["company"] == PICK_COMPANY
        assert error_under(app, "company") == PICK_COMPANY
        assert app.query_one("#company-search", Input).has_focus


async def test_a_slow_old_answer_never_replaces_a_newer_one(
    demo_db: Database, people: dict[str, User]
) -> None:
    app = StepHarness(CustomerStep, demo_db, people["Dana"])
    source = app.context.source
    quick = source.find_companies

    def slow_for_one_letter(country: str, city: str, text: str, limit: int = 20) -> list[Company]:
        if text == "a":
            time.sleep(0.5)  # the first keystroke's query is the slow one
        return quick(country, city, text, limit)

    source.find_companies = slow_for_one_letter  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.query_one("#company-search", Input).focus()
        await pilot.press("a", "z", "q")
        await settle(app, pilot)
        assert step(app).suggestion_names() == [ADD_NEW]


async def add_new_company(app: StepHarness, pilot: Pilot[None], duns: str) -> None:
    """Search, pick "Add a new company…" with the keyboard, fill in the sub-form."""
    await choose_city(app, pilot, "Seattle")
    await search(app, pilot, "Adatum Labs")
    assert step(app).suggestion_names() == [ADD_NEW]
    await pilot.press("down", "enter")
    await pilot.pause()
    # the name comes from the search, the city and country from the place
    assert app.query_one("#new-name", Input).value == "Adatum Labs"
    assert app.query_one("#new-name", Input).has_focus
    assert app.query_one("#new-city", Input).value == "Seattle"
    assert app.query_one("#new-country", Select).value == "US"
    await pilot.press("tab", *"12 Main Street")
    app.query_one("#new-duns", Input).value = duns


async def test_new_company_with_a_malformed_duns(
    demo_db: Database, people: dict[str, User]
) -> None:
    app = StepHarness(CustomerStep, demo_db, people["Dana"])
    async with app.run_test(size=SIZE) as pilot:
        await add_new_company(app, pilot, "12345678")
        errors = await check(app, pilot)
        message = "A D-U-N-S number is exactly 9 digits, e.g. 150483782."
        assert errors == {"new_company.duns": message}
        assert error_under(app, "new_company.duns") == message
        assert app.query_one("#new-duns", Input).has_focus
        assert app.draft.adding_company


async def test_new_company_with_a_known_duns(demo_db: Database, people: dict[str, User]) -> None:
    app = StepHarness(CustomerStep, demo_db, people["Dana"])
    async with app.run_test(size=SIZE) as pilot:
        await add_new_company(app, pilot, "150483782")
        errors = await check(app, pilot)
        message = (
            "D-U-N-S 150483782 is already Adatum Corporation, Seattle; pick that company instead."
        )
        assert errors == {"new_company.duns": message}
        assert error_under(app, "new_company.duns") == message


async def test_valid_new_company_passes(demo_db: Database, people: dict[str, User]) -> None:
    app = StepHarness(CustomerStep, demo_db, people["Dana"])
    async with app.run_test(size=SIZE) as pilot:
        await add_new_company(app, pilot, "123-456-789")
        assert app.check() == {}
        assert app.draft.adding_company and app.draft.company_id is None
        assert app.draft.new_company == DraftCompany(
            name="Adatum Labs",
            address_line="12 Main Street",
            city="Seattle",
            country="US",
            duns="123-456-789",
        )
        # and back to the directory
        app.query_one("#back-to-directory", Button).press()
        await settle(app, pilot)
        assert app.query_one("#company-search", Input).has_focus
        assert app.check() == {"company": PICK_COMPANY}


async def test_new_company_fields_are_required(demo_db: Database, people: dict[str, User]) -> None:
    app = StepHarness(CustomerStep, demo_db, people["Dana"])
    async with app.run_test(size=SIZE) as pilot:
        await search(app, pilot, "")
        await pilot.press("down", "end", "enter")
        await pilot.pause()
        assert app.query_one("#new-company").display
        errors = await check(app, pilot)
        assert set(errors) == {"new_company.name", "new_company.address_line", "new_company.city"}
        assert app.query_one("#new-name", Input).has_focus


async def choose_adatum(app: StepHarness, pilot: Pilot[None]) -> None:
    await search(app, pilot, "adatum")
    await pilot.press("down", "enter")
    await pilot.pause()


async def test_contact_email_and_phone_are_checked(
    demo_db: Database, people: dict[str, User]
) -> None:
    app = StepHarness(CustomerStep, demo_db, people["Dana"])
    async with app.run_test(size=SIZE) as pilot:
        await choose_adatum(app, pilot)
        app.query_one("#contact-name", Input).value = "Rosa Diaz"
        app.query_one("#contact-phone", Input).value = "12"
        app.query_one("#contact-email", Input).value = "a@"
        errors = await check(app, pilot)
        assert set(errors) == {"contact_phone", "contact_email"}
        assert error_under(app, "contact_phone").startswith("Enter a phone number of 7-15 digits")
        assert error_under(app, "contact_email").startswith("Enter a valid email address")
        assert app.query_one("#contact-phone", Input).has_focus

        app.query_one("#contact-phone", Input).value = "+1 206 555 0100"
        app.query_one("#contact-email", Input).value = "rosa@adatum.example"
        app.query_one("#consent", Checkbox).value = True
        assert app.check() == {}
        assert error_under(app, "contact_email") == ""


async def test_consent_without_a_contact(demo_db: Database, people: dict[str, User]) -> None:
    app = StepHarness(CustomerStep, demo_db, people["Dana"])
    async with app.run_test(size=SIZE) as pilot:
        await choose_adatum(app, pilot)
        app.query_one("#consent", Checkbox).focus()
        await pilot.press("space")
        errors = await check(app, pilot)
        assert errors == {"consent": CONSENT_WITHOUT_CONTACT}
        assert error_under(app, "consent") == CONSENT_WITHOUT_CONTACT
        assert app.query_one("#consent", Checkbox).has_focus


async def reloaded(app: StepHarness, pilot: Pilot[None]) -> Draft:
    """What the step holds after loading: dumped into an empty draft."""
    await settle(app, pilot)
    again = Draft()
    app.step_widget.dump(again)
    return again


async def test_resume_with_a_chosen_company(demo_db: Database, people: dict[str, User]) -> None:
    first = StepHarness(CustomerStep, demo_db, people["Dana"])
    async with first.run_test(size=SIZE) as pilot:
        await choose_city(first, pilot, "Seattle")
        await choose_adatum(first, pilot)
        first.query_one("#contact-name", Input).value = "Rosa Diaz"
        first.query_one("#contact-phone", Input).value = "+1 206 555 0100"
        first.query_one("#contact-email", Input).value = "rosa@"  # half typed
        first.query_one("#consent", Checkbox).value = True
        first.check()
    saved = Draft.model_validate_json(first.draft.model_dump_json())
    assert saved.company_id is not None and saved.city == "Seattle"

    app = StepHarness(CustomerStep, demo_db, people["Dana"], saved.model_copy(deep=True))
    async with app.run_test(size=SIZE) as pilot:
        again = await reloaded(app, pilot)
        assert again.model_dump(exclude={"step"}) == saved.model_dump(exclude={"step"})
        assert app.query_one("#city", Select).value == "Seattle"
        assert str(app.query_one("#chosen-company", Static).render()) == (
            "Customer: Adatum Corporation, Seattle · D-U-N-S 150483782"
        )
        assert app.query_one("#contact-email", Input).value == "rosa@"
        assert app.query_one("#consent", Checkbox).value


async def test_resume_with_a_half_typed_new_company(
    demo_db: Database, people: dict[str, User]
) -> None:
    saved = Draft(
        country="CA",
        city="Kingston",  # not in the directory: kept as typed
        company_search="Northern Lights",
        adding_company=True,
        new_company=DraftCompany(
            name="Northern Lights Ltd",
            address_line="5 Princess St",
            city="Kingston",
            state="ON",
            postal_code="",
            country="CA",
            size="50-999",
            duns="2015",
        ),
        contact_name="Jean Tremblay",
    )
    app = StepHarness(CustomerStep, demo_db, people["Dana"], saved.model_copy(deep=True))
    async with app.run_test(size=SIZE) as pilot:
        again = await reloaded(app, pilot)
        assert again.model_dump(exclude={"step"}) == saved.model_dump(exclude={"step"})
        assert app.query_one("#new-company").display
        assert not app.query_one("#company-choose").display
        assert app.query_one("#country", Select).value == "CA"
        assert app.query_one("#city", Select).value == "Kingston"
        assert app.query_one("#new-name", Input).value == "Northern Lights Ltd"
        assert app.query_one("#new-size", Select).value == "50-999"
        assert app.query_one("#new-duns", Input).value == "2015"
        assert app.query_one("#contact-name", Input).value == "Jean Tremblay"
        errors = await check(app, pilot)
        assert set(errors) == {"new_company.duns", "contact_phone", "contact_email"}
