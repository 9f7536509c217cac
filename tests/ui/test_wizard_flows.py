"""The creation wizard end to end, inside the real app (issue 4, R-UI-4, R-Q-2, R-ACL-2, §4).

Each test starts the app for a demo user at 80×24, opens the wizard with `n` and drives it
with the keyboard as a user would: typing into the focused field, `tab` between fields,
`enter` to open a select and type-to-search in it, `space` to tick, ctrl+n / ctrl+g to move,
ctrl+s to create. The database is checked afterwards. Demo facts used here: Dana is Contoso's
partner admin (co-sell ready, vetted), Marco a Contoso referral user, Megan one of the
vendor's sellers; Jonas and Mia are Fabrikam's and Tailspin's partner admins; the directory
holds two "Adatum Corporation, Seattle" told apart by D-U-N-S 150483782 and 150483790.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from textual import events
from textual.keys import _character_to_key
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Select, SelectionList, Static, TextArea
from textual.widgets._footer import FooterKey

from cosell_tui import services
from cosell_tui.app import CoSellApp, build_app
from cosell_tui.domain import rights
from cosell_tui.domain.enums import DealType, HelpType
from cosell_tui.domain.listing import DealQuery, Tab
from cosell_tui.domain.models import User
from cosell_tui.domain.wizard import (
    SELLER_INVITES,
    VENDOR_NEEDS_CONTACT,
    Draft,
    Step,
)
from cosell_tui.screens.deal import DealScreen
from cosell_tui.screens.dialog import Field
from cosell_tui.screens.dialogs.invite import InvitePartnersDialog
from cosell_tui.screens.main import MainScreen
from cosell_tui.screens.wizard.customer import CustomerStep
from cosell_tui.screens.wizard.screen import LeaveWizard, ResumeDraft, WizardScreen
from cosell_tui.screens.wizard.team import TeamStep
from cosell_tui.source import WizardSource
from cosell_tui.store import lists
from cosell_tui.store.database import Database

pytestmark = pytest.mark.long  # whole wizard walks: 5 to 15 s of CPU each

FIRST_ADATUM = "150483782"
SECOND_ADATUM = "150483790"
VENDOR_ID = 1  # Microsoft, the vendor
CONTOSO_SEATTLE, CONTOSO_LONDON = 6, 8
MICROSOFT_REDMOND = 1


# --- running the app --------------------------------------------------------------------------


@asynccontextmanager
async def running(db: Database, user: User) -> AsyncIterator[tuple[CoSellApp, Pilot[None]]]:
    app = build_app(db, user)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        yield app, pilot


async def settle(app: CoSellApp, pilot: Pilot[None]) -> None:
    """Let the workers (directory searches, draft saves, the deal's load) finish and show."""
    for _ in range(5):  # a worker's answer may start another one
        if all(worker.is_finished for worker in app.workers):
            return
        for _ in range(1000):  # without Pilot's costly wait for every widget on each turn
            await asyncio.sleep(0.005)
            if all(worker.is_finished for worker in app.workers):
                break
        await pilot.pause()


def wizard(app: CoSellApp) -> WizardScreen:
    screen = app.screen
    assert isinstance(screen, WizardScreen), f"expected the wizard, not {screen!r}"
    return screen


async def open_wizard(app: CoSellApp, pilot: Pilot[None]) -> WizardScreen:
    await pilot.press("n")
    await settle(app, pilot)
    return wizard(app)


async def type_text(pilot: Pilot[None], text: str) -> None:
    """Type `text` into the focused widget as a quick typist does.

    Real key events, queued without waiting for a repaint after each one: Pilot's `press`
    waits until the app is idle after every key, about 0.1 s on the wizard's screen, which
    would make this file far slower than its 60-second budget.
    """
    app = pilot.app
    for character in text:
        key = character if character.isalnum() else _character_to_key(character)
        event = events.Key(key, character)
        event.set_sender(app)
        app.post_message(event)
    await pilot.pause()


async def press(app: CoSellApp, pilot: Pilot[None], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(app, pilot)


def on_step(app: CoSellApp) -> Step:
    return wizard(app).draft.step


def field(app: CoSellApp, key: str) -> Field:
    """The field `key` of the step on show."""
    return next(f for f in wizard(app).current.query(Field) if f.key == key)


def error_under(app: CoSellApp, key: str) -> str:
    line = field(app, key).query_one(".field-error", Static)
    return str(line.render()) if line.display else ""


def wizard_error(app: CoSellApp) -> str:
    line = wizard(app).query_one("#wizard-error", Static)
    return str(line.render()) if line.display else ""


def value_of(app: CoSellApp, selector: str) -> Any:
    widget = wizard(app).query_one(selector)
    if isinstance(widget, TextArea):
        return widget.text
    assert isinstance(widget, Input | Select | Checkbox)
    return widget.value


# --- filling the steps with the keyboard --------------------------------------------------------


async def choose(app: CoSellApp, pilot: Pilot[None], typed: str) -> None:
    """On a focused Select: open it, type to find the option, take it."""
    await pilot.press("enter")
    await type_text(pilot, typed)
    await press(app, pilot, "enter")


async def pick_customer(
    app: CoSellApp, pilot: Pilot[None], name: str = "adatum", duns: str = FIRST_ADATUM
) -> None:
    """Step 1: type part of the name, move down into the suggestions to the D-U-N-S, enter."""
    assert on_step(app) is Step.CUSTOMER
    assert app.focused is wizard(app).query_one("#company-search")
    await type_text(pilot, name)
    await settle(app, pilot)
    step = wizard(app).query_one(CustomerStep)
    shown = step.suggestion_names()
    index = next(i for i, line in enumerate(shown) if f"D-U-N-S {duns}" in line)
    await press(app, pilot, "down", *["down"] * index, "enter")


async def fill_contact(app: CoSellApp, pilot: Pilot[None]) -> None:
    """Step 1, with the customer chosen: the cursor is in the contact's name; then consent."""
    assert app.focused is wizard(app).query_one("#contact-name")
    await type_text(pilot, "Ann Lee")
    await pilot.press("tab")
    await type_text(pilot, "+1 206 555 0100")
    await pilot.press("tab")
    await type_text(pilot, "ann@adatum.example")
    await pilot.press("tab", "space")
    await settle(app, pilot)


async def fill_details(
    app: CoSellApp,
    pilot: Pilot[None],
    name: str,
    *,
    location: str = "sea",
    close: str = "2027-03-31",
    value: str = "120000",
) -> None:
    """Step 2: name, location (type-to-search in the select), close date, value."""
    assert on_step(app) is Step.DETAILS
    assert app.focused is wizard(app).query_one("#deal-name")
    await type_text(pilot, name)
    await pilot.press("tab")
    await choose(app, pilot, location)
    await pilot.press("tab")
    await type_text(pilot, close)
    await pilot.press("tab")
    await type_text(pilot, value)
    await settle(app, pilot)


async def set_details(
    app: CoSellApp, pilot: Pilot[None], name: str, location: int = CONTOSO_SEATTLE
) -> None:
    """Step 2 filled by setting its fields, where the test is about another step.

    The private-deal and Back tests type step 2 key by key; repeating that everywhere would
    break this file's time budget (a focus change costs ~0.3 s of CPU on the wizard's screen).
    Setting the values sends the same Changed events the wizard saves its draft on.
    """
    assert on_step(app) is Step.DETAILS
    screen = wizard(app)
    screen.query_one("#deal-name", Input).value = name
    screen.query_one("#location", Select).value = location
    screen.query_one("#close-date", Input).value = "2027-03-31"
    screen.query_one("#value", Input).value = "120000"
    await settle(app, pilot)


async def tick_solution(app: CoSellApp, pilot: Pilot[None], search: str) -> None:
    """Step 4: type in the search, enter into the list, space ticks the first match."""
    assert on_step(app) is Step.SOLUTIONS
    await type_text(pilot, search)
    await press(app, pilot, "enter", "space")


async def steps_one_to_four(
    app: CoSellApp,
    pilot: Pilot[None],
    name: str,
    *,
    duns: str = FIRST_ADATUM,
    solution: str = "quick",
    typed: bool = False,
) -> None:
    """A customer, the deal's details, the creator as the team, one solution; on to step 5.

    `typed`: step 2 is typed key by key, else its fields are set (see `set_details`).
    """
    await pick_customer(app, pilot, duns=duns)
    await press(app, pilot, "ctrl+n")
    if typed:
        await fill_details(app, pilot, name)
    else:
        await set_details(app, pilot, name)
    await press(app, pilot, "ctrl+n")
    assert on_step(app) is Step.TEAM  # the creator is on the team already
    await press(app, pilot, "ctrl+n")
    await tick_solution(app, pilot, solution)
    await press(app, pilot, "ctrl+n")


async def create(app: CoSellApp, pilot: Pilot[None]) -> DealScreen:
    """On the review: ctrl+s creates, the wizard closes and the new deal opens."""
    assert on_step(app) is Step.REVIEW
    await press(app, pilot, "ctrl+s")
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, DealScreen), f"expected the new deal, not {screen!r}"
    return screen


# --- reading the database -------------------------------------------------------------------


def sql(db: Database, statement: str, *args: object) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in sql_rows(db, statement, *args)]


def sql_rows(db: Database, statement: str, *args: object) -> list[sqlite3.Row]:
    assert db.path is not None
    connection = sqlite3.connect(db.path)
    connection.row_factory = sqlite3.Row
    try:
        return connection.execute(statement, args).fetchall()
    finally:
        connection.close()


def created(db: Database, name: str) -> dict[str, Any]:
    """The creator's referral named `name`, with its engagement's type, customer and contact."""
    rows = sql_rows(
        db,
        "SELECT r.id, r.organization_id, r.status, r.stage, r.value_cents, r.currency,"
        " r.close_date, r.location_id, e.id AS engagement_id, e.deal_type, e.company_id,"
        " e.contact_name, e.contact_email, e.contact_consent, e.is_assessment"
        " FROM referrals r JOIN engagements e ON e.id = r.engagement_id"
        " WHERE r.name = ? AND r.direction = 'outbound'",
        name,
    )
    assert len(rows) == 1, rows
    return dict(rows[0])


def invited(db: Database, engagement_id: str) -> dict[int, tuple[str, str, str]]:
    """The other parties' referrals: organization -> (direction, status, help requested)."""
    rows = sql(
        db,
        "SELECT organization_id, direction, status, help_requested FROM referrals"
        " WHERE engagement_id = ? AND direction = 'inbound'",
        engagement_id,
    )
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


def draft_rows(db: Database, user: User) -> list[tuple[Any, ...]]:
    return sql(db, "SELECT step, customer, data FROM drafts WHERE user_id = ?", user.id)


def saved_draft(db: Database, user: User) -> Draft:
    rows = draft_rows(db, user)
    assert len(rows) == 1, rows
    return Draft.model_validate(json.loads(rows[0][2]))


async def saved_once_closed(db: Database, user: User, name: str) -> Draft:
    """The draft the wizard saves as it closes, once written.

    The save runs in a thread worker of the wizard's screen; closing the screen cancels the
    worker (its thread still finishes the write), so the test cannot wait for the worker.
    """
    for _ in range(400):
        if (found := draft_rows(db, user)) and saved_draft(db, user).name == name:
            break
        await asyncio.sleep(0.005)
    assert found, "no draft was kept"
    return saved_draft(db, user)


# --- the four deal types ------------------------------------------------------------------------


async def test_a_private_deal_for_the_adatum_picked_by_its_duns(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-UI-4: every step typed; of the two "Adatum Corporation, Seattle" the second is meant
    dana = people["Dana"]
    async with running(demo_db, dana) as (app, pilot):
        await open_wizard(app, pilot)
        indicator = wizard(app).query_one("#wizard-indicator", Static)
        assert str(indicator.render()) == "New deal · 1 of 6 · Customer"
        await steps_one_to_four(app, pilot, "Adatum pilot", duns=SECOND_ADATUM, typed=True)
        assert on_step(app) is Step.SELLING
        assert value_of(app, "#vendor-help") is HelpType.NONE  # private by default
        await press(app, pilot, "ctrl+n")
        assert on_step(app) is Step.REVIEW
        assert len(draft_rows(demo_db, dana)) == 1  # kept while the wizard is open
        deal = await create(app, pilot)

        row = created(demo_db, "Adatum pilot")
        assert deal.referral_id == row["id"]
        assert "Adatum pilot" in str(deal.query_one("#deal-title", Static).render())
    assert row["organization_id"] == dana.organization_id
    assert (row["status"], row["stage"]) == ("accepted", "created")
    assert row["deal_type"] == DealType.PRIVATE.value
    assert (row["value_cents"], row["currency"]) == (12_000_000, "USD")
    assert (row["close_date"], row["location_id"]) == ("2027-03-31", CONTOSO_SEATTLE)
    assert invited(demo_db, row["engagement_id"]) == {}
    assert draft_rows(demo_db, dana) == []  # creating removed the draft
    company = sql(
        demo_db, "SELECT name, address_line, duns FROM companies WHERE id = ?", row["company_id"]
    )
    assert company == [("Adatum Corporation", "400 Pine Street", SECOND_ADATUM)]


async def test_a_co_sell_deal_needs_the_contact_and_consent_of_step_1(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-INV-2: asking the vendor for help needs the customer contact and consent
    async with running(demo_db, people["Dana"]) as (app, pilot):
        await open_wizard(app, pilot)
        await steps_one_to_four(app, pilot, "Adatum co-sell")  # no contact on step 1
        assert app.focused is wizard(app).query_one("#vendor-help")
        await choose(app, pilot, "proof")
        assert value_of(app, "#vendor-help") is HelpType.PROOF_OF_CONCEPT_OR_DEMO
        await press(app, pilot, "ctrl+n")
        assert on_step(app) is Step.SELLING  # refused
        assert error_under(app, "vendor_help") == VENDOR_NEEDS_CONTACT
        assert "on step 1, Customer" in VENDOR_NEEDS_CONTACT
        assert wizard_error(app) == "Please correct the fields marked on this step."

        await press(app, pilot, "ctrl+g", "ctrl+g", "ctrl+g", "ctrl+g")
        assert on_step(app) is Step.CUSTOMER
        await fill_contact(app, pilot)
        await press(app, pilot, "ctrl+n", "ctrl+n", "ctrl+n", "ctrl+n")
        assert on_step(app) is Step.SELLING
        assert value_of(app, "#vendor-help") is HelpType.PROOF_OF_CONCEPT_OR_DEMO  # kept
        assert error_under(app, "vendor_help") == ""
        await press(app, pilot, "ctrl+n")
        await create(app, pilot)

    row = created(demo_db, "Adatum co-sell")
    assert row["deal_type"] == DealType.CO_SELL.value
    assert (row["contact_name"], row["contact_email"], row["contact_consent"]) == (
        "Ann Lee",
        "ann@adatum.example",
        1,
    )
    assert invited(demo_db, row["engagement_id"]) == {
        VENDOR_ID: ("inbound", "received", HelpType.PROOF_OF_CONCEPT_OR_DEMO.value)
    }


async def invite_partner(
    app: CoSellApp,
    pilot: Pilot[None],
    search: str,
    location: str,
    value: str,
    close: str | None = None,
) -> None:
    """In the invite dialog: find the partner, its location, value, close date, its solution."""
    dialog = app.screen
    assert isinstance(dialog, InvitePartnersDialog)
    assert app.focused is dialog.query_one("#partner-search")
    await type_text(pilot, search)  # one match: the partner select takes it
    await press(app, pilot, "tab", "tab")  # over the partner, to its location
    assert app.focused is dialog.query_one("#partner-location")
    await choose(app, pilot, location)
    await press(app, pilot, "tab")
    await type_text(pilot, value)
    await press(app, pilot, "tab", "tab")  # the currency stays the deal's
    assert app.focused is dialog.query_one("#partner-close-date")
    if close is not None:  # pre-filled with the deal's close date
        await press(app, pilot, "home", "ctrl+k")
        await type_text(pilot, close)
    await press(app, pilot, "tab", "tab", "tab")  # over the notes and the team
    assert app.focused is dialog.query_one("#partner-solutions")
    # the list shows no cursor until an arrow key moves onto its first row: its own solution
    await press(app, pilot, "down", "space")
    solutions = dialog.query_one("#partner-solutions", SelectionList)
    assert len(solutions.selected) == 1


async def test_a_p2p_deal_reaches_both_invited_partners_with_their_own_terms(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-INV-3: each invited partner gets its own inbound deal, value and close date
    async with running(demo_db, people["Dana"]) as (app, pilot):
        await open_wizard(app, pilot)
        await steps_one_to_four(app, pilot, "Adatum P2P")
        await press(app, pilot, "ctrl+t")
        await invite_partner(app, pilot, "fab", "par", "40000", "2027-04-30")
        await press(app, pilot, "ctrl+n")  # the dialog's "add partner to the list"
        await invite_partner(app, pilot, "tail", "sing", "15000.50", "2027-05-15")
        await press(app, pilot, "ctrl+s")
        assert on_step(app) is Step.SELLING
        assert "Partner to partner deal: 2 partners invited" in str(
            wizard(app).query_one("#selling-type", Static).render()
        )
        await press(app, pilot, "ctrl+n")
        await create(app, pilot)

    row = created(demo_db, "Adatum P2P")
    assert row["deal_type"] == DealType.PARTNER_TO_PARTNER.value
    fabrikam, tailspin = people["Jonas"].organization_id, people["Mia"].organization_id
    assert set(invited(demo_db, row["engagement_id"])) == {fabrikam, tailspin}
    for who, value, close in (
        ("Jonas", Decimal("40000"), date(2027, 4, 30)),
        ("Mia", Decimal("15000.50"), date(2027, 5, 15)),
    ):
        with demo_db.reading() as session:
            inbound = lists.page(session, people[who], DealQuery(tab=Tab.INBOUND), 0, 500)
        mine = [r for r in inbound if r.name == "Adatum P2P"]
        assert len(mine) == 1, who
        assert (mine[0].status.value, mine[0].value, mine[0].close_date) == (
            "received",
            value,
            close,
        ), who
        assert mine[0].customer == "Adatum Corporation"


async def test_an_sa_deal_takes_one_assessment_its_location_and_skips_selling(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-WIZ-5: an assessment excludes every other solution; SA deals have no selling step
    async with running(demo_db, people["Dana"]) as (app, pilot):
        screen = await open_wizard(app, pilot)
        await pick_customer(app, pilot)
        await press(app, pilot, "ctrl+n")
        await set_details(app, pilot, "Adatum assessment")
        await press(app, pilot, "ctrl+n", "ctrl+n")
        await tick_solution(app, pilot, "quick")
        await press(app, pilot, "slash", "home", "ctrl+k")  # back to the search, emptied
        await type_text(pilot, "migration")
        await press(app, pilot, "enter", "space")
        note = str(screen.query_one("#exclusion-note", Static).render())
        assert note == (
            "Unticked Contoso Data Quickstart: an assessment excludes every other solution."
        )
        assert screen.query_one("#assessment").display  # the location it is for is asked
        assert value_of(app, "#assessment-location") == CONTOSO_SEATTLE  # the deal's, offered
        await press(app, pilot, "tab")
        await choose(app, pilot, "lon")
        await press(app, pilot, "ctrl+n")
        assert on_step(app) is Step.REVIEW  # no selling step
        indicator = str(screen.query_one("#wizard-indicator", Static).render())
        assert indicator == "New deal · 6 of 6 · Review"
        await create(app, pilot)

    row = created(demo_db, "Adatum assessment")
    assert row["deal_type"] == DealType.SOLUTION_ASSESSMENT.value == "solution_assessment"
    assert row["is_assessment"] == 1
    assert invited(demo_db, row["engagement_id"]) == {}
    solutions = sql(
        demo_db,
        "SELECT s.name, rs.assessment_location_id FROM referral_solutions rs"
        " JOIN solutions s ON s.id = rs.solution_id WHERE rs.referral_id = ?",
        row["id"],
    )
    assert solutions == [("Azure Migration Assessment", CONTOSO_LONDON)]


# --- the customer ----------------------------------------------------------------------------


async def test_a_new_company_is_added_and_a_known_duns_is_refused(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-ORG-3: a customer not in the directory is added with the deal
    before = sql(demo_db, "SELECT count(*) FROM companies")[0][0]
    async with running(demo_db, people["Dana"]) as (app, pilot):
        screen = await open_wizard(app, pilot)
        await type_text(pilot, "Zephyr Labs")
        await settle(app, pilot)
        assert screen.query_one(CustomerStep).suggestion_names() == ["+ Add a new company…"]
        await press(app, pilot, "down", "enter")
        assert app.focused is screen.query_one("#new-name")
        assert value_of(app, "#new-name") == "Zephyr Labs"  # from the search
        assert value_of(app, "#new-country") == "US"
        await press(app, pilot, "tab")
        await type_text(pilot, "1 Harbor Way")
        await press(app, pilot, "tab")
        await type_text(pilot, "Portland")
        # over the state, postal code, country and size, to the D-U-N-S number
        await press(app, pilot, *["tab"] * 5)
        assert app.focused is screen.query_one("#new-duns")
        await type_text(pilot, FIRST_ADATUM)
        await press(app, pilot, "ctrl+n")
        assert on_step(app) is Step.CUSTOMER  # refused: that number is Adatum's
        assert error_under(app, "new_company.duns") == (
            f"D-U-N-S {FIRST_ADATUM} is already Adatum Corporation, Seattle; "
            "pick that company instead."
        )
        assert app.focused is screen.query_one("#new-duns")
        await press(app, pilot, "home", "ctrl+k")
        await type_text(pilot, "987654321")
        await press(app, pilot, "ctrl+n")
        assert on_step(app) is Step.DETAILS
        await set_details(app, pilot, "Zephyr first deal")
        await press(app, pilot, "ctrl+n", "ctrl+n")
        await tick_solution(app, pilot, "quick")
        await press(app, pilot, "ctrl+n", "ctrl+n")
        await create(app, pilot)

    assert sql(demo_db, "SELECT count(*) FROM companies")[0][0] == before + 1
    added = sql(
        demo_db,
        "SELECT id, name, address_line, city, country FROM companies WHERE duns = '987654321'",
    )
    assert [a[1:] for a in added] == [("Zephyr Labs", "1 Harbor Way", "Portland", "US")]
    assert created(demo_db, "Zephyr first deal")["company_id"] == added[0][0]


# --- moving back and forth ----------------------------------------------------------------------


async def test_back_keeps_every_value_typed_even_an_invalid_one(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-UI-4: "Next never loses what was typed"; Back never checks, and loses nothing either
    async with running(demo_db, people["Dana"]) as (app, pilot):
        screen = await open_wizard(app, pilot)
        await press(app, pilot, "shift+tab")  # from the name back to the city
        await choose(app, pilot, "seattle")
        await press(app, pilot, "tab")
        await pick_customer(app, pilot, duns=SECOND_ADATUM)
        await fill_contact(app, pilot)
        await press(app, pilot, "ctrl+n")

        await fill_details(app, pilot, "Kept all", location="lon", value="99000.50")
        await press(app, pilot, "tab")
        await press(app, pilot, "home", "ctrl+k")
        await type_text(pilot, "EUR")
        await press(app, pilot, "tab")
        await type_text(pilot, "CRM-7")
        await press(app, pilot, "tab")
        await type_text(pilot, "CMP-9")
        await press(app, pilot, "tab")
        await type_text(pilot, "Met at the expo")
        await press(app, pilot, "ctrl+n")

        assert on_step(app) is Step.TEAM
        await type_text(pilot, "Lee")
        await press(app, pilot, "tab")
        await type_text(pilot, "Park")
        await press(app, pilot, "tab")
        await type_text(pilot, "+1 206 555 0111")
        await press(app, pilot, "tab")
        await type_text(pilot, "lee@contoso.example")
        await press(app, pilot, "enter")  # added to the team
        await type_text(pilot, "Kim")  # the next person, half typed, with a wrong email
        await press(app, pilot, "tab", "tab", "tab")
        await type_text(pilot, "a@")

        await press(app, pilot, "ctrl+g", "ctrl+g")  # Back checks nothing
        assert on_step(app) is Step.CUSTOMER

        assert value_of(app, "#country") == "US"
        assert value_of(app, "#city") == "Seattle"
        assert str(screen.query_one("#chosen-company", Static).render()) == (
            f"Customer: Adatum Corporation, Seattle · D-U-N-S {SECOND_ADATUM}"
        )
        assert [value_of(app, f"#contact-{k}") for k in ("name", "phone", "email")] == [
            "Ann Lee",
            "+1 206 555 0100",
            "ann@adatum.example",
        ]
        assert value_of(app, "#consent") is True

        await press(app, pilot, "ctrl+n")
        assert on_step(app) is Step.DETAILS
        assert {
            key: value_of(app, f"#{key}")
            for key in (
                "deal-name",
                "location",
                "close-date",
                "value",
                "currency",
                "crm-id",
                "campaign-id",
                "notes",
            )
        } == {
            "deal-name": "Kept all",
            "location": CONTOSO_LONDON,
            "close-date": "2027-03-31",
            "value": "99000.50",
            "currency": "EUR",
            "crm-id": "CRM-7",
            "campaign-id": "CMP-9",
            "notes": "Met at the expo",
        }
        await press(app, pilot, "ctrl+n")

        team = wizard(app).current
        assert isinstance(team, TeamStep)
        assert [m.email for m in team.members] == [
            "dana.whitfield@contoso.example",
            "lee@contoso.example",
        ]
        assert [value_of(app, f"#member-{k}") for k in ("first-name", "phone", "email")] == [
            "Kim",
            "",
            "a@",
        ]
        await press(app, pilot, "ctrl+n")
        assert on_step(app) is Step.TEAM  # the half-typed person is not dropped silently
        assert error_under(app, "member.email").startswith("Enter a valid email address")


# --- who may create -----------------------------------------------------------------------------


async def test_a_referral_user_cannot_open_the_wizard(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-ACL-2: Marco is a referral user; `n` is not offered, and pressing it says why
    async with running(demo_db, people["Marco"]) as (app, pilot):
        main = app.screen
        assert isinstance(main, MainScreen)
        bound = main.active_bindings["n"]
        assert bound.binding.action == "cannot_create" and not bound.binding.show
        shown = [key.description for key in main.query(FooterKey)]
        assert "Quit" in shown and "New deal" not in shown  # Dana's footer has "New deal"
        await press(app, pilot, "n")
        assert app.screen is main
        assert not any(isinstance(s, WizardScreen) for s in app.screen_stack)
        assert rights.CANNOT_CREATE in [n.message for n in app._notifications]
        assert draft_rows(demo_db, people["Marco"]) == []


async def test_a_seller_starts_a_co_sell_opportunity_by_inviting_a_partner(
    demo_db: Database, people: dict[str, User]
) -> None:
    # SPEC §4: the vendor's sellers use the same wizard and must invite a partner
    megan = people["Megan"]
    async with running(demo_db, megan) as (app, pilot):
        screen = await open_wizard(app, pilot)
        await pick_customer(app, pilot)
        await press(app, pilot, "ctrl+n")
        await set_details(app, pilot, "Adatum Copilot", location=MICROSOFT_REDMOND)
        await press(app, pilot, "ctrl+n", "ctrl+n")
        await tick_solution(app, pilot, "copilot")
        await press(app, pilot, "ctrl+n")
        assert on_step(app) is Step.SELLING
        assert not screen.query("#vendor-help")  # no vendor to ask: she is the vendor
        assert app.focused is screen.query_one("#selling-invite")
        await press(app, pilot, "ctrl+n")
        assert on_step(app) is Step.SELLING  # refused without a partner
        assert error_under(app, "partners") == SELLER_INVITES
        await press(app, pilot, "ctrl+t")
        await invite_partner(app, pilot, "fab", "ber", "50000")
        await press(app, pilot, "ctrl+s")
        await press(app, pilot, "ctrl+n")
        await create(app, pilot)

    row = created(demo_db, "Adatum Copilot")
    assert row["organization_id"] == megan.organization_id == VENDOR_ID
    assert row["deal_type"] == DealType.CO_SELL.value
    assert invited(demo_db, row["engagement_id"]) == {
        people["Jonas"].organization_id: ("inbound", "received", HelpType.GENERAL_OR_OTHER.value)
    }


# --- drafts (R-Q-2) -----------------------------------------------------------------------------


async def test_a_kept_draft_is_offered_on_n_and_discarded_with_d_untouched_leaves_none(
    demo_db: Database, people: dict[str, User]
) -> None:
    dana = people["Dana"]
    async with running(demo_db, dana) as (app, pilot):
        await open_wizard(app, pilot)
        await pick_customer(app, pilot)
        await press(app, pilot, "ctrl+n")
        rows = draft_rows(demo_db, dana)  # written at once on the step change
        assert [row[:2] for row in rows] == [(2, "Adatum Corporation, Seattle")]
        await type_text(pilot, "Half done")

        await press(app, pilot, "escape")
        assert isinstance(app.screen, LeaveWizard)
        await press(app, pilot, "k")
        assert isinstance(app.screen, MainScreen)
        kept = await saved_once_closed(demo_db, dana, "Half done")
        assert (kept.step, kept.name, kept.company_label) == (
            Step.DETAILS,
            "Half done",
            f"Adatum Corporation, Seattle · D-U-N-S {FIRST_ADATUM}",
        )

        await press(app, pilot, "n")
        question = app.screen
        assert isinstance(question, ResumeDraft)
        title = str(question.query_one(".dialog-title", Static).render())
        assert title == (
            "Resume the deal you were creating (Adatum Corporation, Seattle, "
            "step 2 of 6 · Deal details)?"
        )
        await press(app, pilot, "d")
        assert draft_rows(demo_db, dana) == []
        fresh = wizard(app)  # and a new deal starts afresh
        assert fresh.draft.step is Step.CUSTOMER
        assert fresh.draft.company_id is None
        assert value_of(app, "#company-search") == ""
        assert app.focused is fresh.query_one("#company-search")

        # left untouched, the wizard closes at once: no question, and no draft is kept
        await press(app, pilot, "escape")
        assert isinstance(app.screen, MainScreen)
        assert not any(isinstance(s, LeaveWizard | WizardScreen) for s in app.screen_stack)
        assert draft_rows(demo_db, dana) == []


async def test_a_draft_is_offered_at_start_to_its_user_only_and_r_resumes_it(
    demo_db: Database, people: dict[str, User]
) -> None:
    dana, priya = people["Dana"], people["Priya"]  # both of Contoso
    [(adatum,)] = sql(demo_db, "SELECT id FROM companies WHERE duns = ?", FIRST_ADATUM)
    label = f"Adatum Corporation, Seattle · D-U-N-S {FIRST_ADATUM}"
    draft = Draft(
        step=Step.DETAILS, country="US", company_id=adatum, company_label=label, name="Left behind"
    )
    services.save_draft(demo_db, dana, draft)

    async with running(demo_db, priya) as (app, pilot):
        assert isinstance(app.screen, MainScreen)  # not offered Dana's draft
        assert not any(isinstance(s, ResumeDraft | WizardScreen) for s in app.screen_stack)
        # `n` reads the draft the same way, through the signed-in user's source
        assert WizardSource(demo_db, priya).load_draft() is None

    async with running(demo_db, dana) as (app, pilot):
        assert isinstance(app.screen, ResumeDraft)  # at once, without a key
        await press(app, pilot, "escape")  # later: kept, and offered again on `n`
        assert isinstance(app.screen, MainScreen)
        assert len(draft_rows(demo_db, dana)) == 1
        await press(app, pilot, "n")
        assert isinstance(app.screen, ResumeDraft)
        await press(app, pilot, "r")
        assert on_step(app) is Step.DETAILS
        assert value_of(app, "#deal-name") == "Left behind"
        assert wizard(app).draft.company_label == label
        await press(app, pilot, "ctrl+g")
        assert str(wizard(app).query_one("#chosen-company", Static).render()) == (
            f"Customer: {label}"
        )


async def test_quitting_mid_wizard_keeps_what_was_typed_a_moment_before(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-Q-2: ctrl+q right after typing (inside the save delay) still writes the draft
    dana = people["Dana"]
    async with running(demo_db, dana) as (app, pilot):
        await open_wizard(app, pilot)
        await pick_customer(app, pilot)
        await press(app, pilot, "ctrl+n")
        await type_text(pilot, "Typed then quit")
        await pilot.press("ctrl+q")
    draft = saved_draft(demo_db, dana)
    assert (draft.step, draft.name) == (Step.DETAILS, "Typed then quit")


async def test_keys_pressed_while_a_resumed_wizard_opens_do_no_harm(
    demo_db: Database, people: dict[str, User]
) -> None:
    # escape or ctrl+n before the step is built wait for it instead of acting on nothing
    dana = people["Dana"]
    services.save_draft(demo_db, dana, Draft(step=Step.DETAILS, country="US", name="Kept"))
    async with running(demo_db, dana) as (app, pilot):
        assert isinstance(app.screen, ResumeDraft)
        await pilot.press("r", "ctrl+n", "escape")
        await settle(app, pilot)
        screen = next(s for s in app.screen_stack if isinstance(s, WizardScreen))
        assert screen.draft.step is Step.DETAILS  # Next was refused or waited: no value typed
        assert screen.query_one("#deal-name", Input).value == "Kept"
    assert saved_draft(demo_db, dana).name == "Kept"
