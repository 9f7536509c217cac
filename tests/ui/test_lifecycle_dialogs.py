"""Pilot tests of the accept, stage, won and lost dialogs (R-UI-5; R-LIFE-1/3/6/7/8, R-REG-1).

Each dialog runs alone in DialogHarness; `app.results` holds what it returned (None when
cancelled). Referrals are built directly, as the services leave them. Refusals must show
inline, next to the field, and return nothing (R-Q-1).

Confirmation (R-LIFE-1): Won and Lost ask "cannot be undone" after their form checks out.
Answering no closes only the question: the dialog stays open with what was typed, and nothing
is returned until the user confirms or cancels.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from textual.app import App
from textual.widgets import Button, Input, OptionList, Select, Static, TextArea

from cosell_tui.domain.enums import DealType, Direction, HelpType, LostReason, Role, Stage, Status
from cosell_tui.domain.lifecycle import first_stage, stage_rank, stages, won_blocker
from cosell_tui.domain.models import (
    AcceptForm,
    LostForm,
    Referral,
    StageMark,
    TeamMember,
    TeamMemberForm,
    User,
    WonForm,
)
from cosell_tui.screens.dialog import ConfirmDialog, Field
from cosell_tui.screens.dialogs.accept import AcceptDialog, AcceptTeamList
from cosell_tui.screens.dialogs.close import LostDialog, WonDialog
from cosell_tui.screens.dialogs.stage import StageDialog
from tests.ui.dialog_harness import DialogHarness

SENDER_ORG = 1
MY_ORG = 2
ARRIVED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
WEEK = timedelta(days=7)

ME = User(
    id=7,
    organization_id=MY_ORG,
    first_name="Priya",
    last_name="Patel",
    email="priya@contoso.example",
    phone="+1 206 555 0101",
    role=Role.REFERRAL_ADMIN,
    scope_location_id=None,
    email_notifications=True,
)
SENDER_CONTACT = TeamMember(
    first_name="Megan",
    last_name="Bowen",
    phone="+1 425 555 0100",
    email="megan@microsoft.example",
    organization_id=SENDER_ORG,
)
ME_ON_TEAM = TeamMemberForm(
    first_name="Priya", last_name="Patel", phone="+1 206 555 0101", email="priya@contoso.example"
)


def deal(
    status: Status = Status.RECEIVED,
    stage: Stage | None = None,
    *,
    direction: Direction = Direction.INBOUND,
    sa: bool = False,
    **changes: Any,
) -> Referral:
    """My organization's side of a deal the sender (SENDER_ORG) shared, stages marked to `stage`."""
    stage = stage or first_stage(direction)
    accepted = status is not Status.RECEIVED
    marks = tuple(
        StageMark(stage=step.stage, marked_at=ARRIVED + i * WEEK)
        for i, step in enumerate(stages(direction, sa))
        if accepted and stage_rank(step.stage) <= stage_rank(stage)
    )
    fields: dict[str, Any] = {
        "id": "ref-1",
        "engagement_id": "eng-1",
        "organization_id": MY_ORG,
        "location_id": 1,
        "name": "Contoso data platform",
        "value": Decimal("480000.00"),
        "currency": "USD",
        "close_date": date(2027, 3, 31),
        "crm_id": None,
        "campaign_id": None,
        "notes": None,
        "help_requested": HelpType.GENERAL_OR_OTHER,
        "direction": direction,
        "status": status,
        "stage": stage,
        "deal_type": DealType.SOLUTION_ASSESSMENT if sa else DealType.CO_SELL,
        "created_at": ARRIVED,
        "received_at": ARRIVED if direction is Direction.INBOUND else None,
        "responded_at": None if status is Status.RECEIVED else ARRIVED,
        "closed_at": None,
        "response_deadline": ARRIVED + 2 * WEEK if direction is Direction.INBOUND else None,
        "closing_reason": None,
        "closing_notes": None,
        "version": 3,
        "team": (SENDER_CONTACT,),
        "stage_marks": marks,
    }
    fields.update(changes)
    return Referral(**fields)


class ColourlessHarness(DialogHarness):
    """The harness as CoSellApp runs under NO_COLOR: the app carries the -no-color class."""

    def on_mount(self) -> None:
        self.add_class("-no-color")
        super().on_mount()


# --- reading the screen --------------------------------------------------------------------


def field(app: App[Any], key: str) -> Field:
    return next(f for f in app.screen.query(Field) if f.key == key)


def error_under(app: App[Any], key: str) -> str:
    """The error shown under a field ('' when none is shown)."""
    line = field(app, key).query_one(".field-error", Static)
    return str(line.render()) if line.display else ""


def dialog_error(app: App[Any]) -> str:
    line = app.screen.query_one(".dialog-error", Static)
    return str(line.render()) if line.display else ""


def screen_text(app: App[Any]) -> str:
    """Every line of the screen as the user reads it."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip).rstrip() for strip in strips)


def style_on_screen(app: App[Any], words: str) -> Any:
    """The style the screen draws `words` in."""
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            if words in segment.text:
                return segment.style
    raise AssertionError(f"{words!r} not shown")


def flat(text: str) -> str:
    """Text with the dialog's borders and line wrapping removed, to search sentences."""
    return " ".join(text.replace("│", " ").replace("▏", " ").replace("▕", " ").split())


def team_rows(app: App[Any]) -> list[str]:
    options = app.screen.query_one(AcceptTeamList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def type_into(pilot: Any, box: Input, text: str) -> None:
    box.focus()
    box.value = ""
    await pilot.press(*text)


async def fill_new_member(pilot: Any, first: str, last: str, phone: str, email: str) -> None:
    app = pilot.app
    for key, text in zip(
        ("first-name", "last-name", "phone", "email"), (first, last, phone, email), strict=True
    ):
        app.screen.query_one(f"#new-{key}", Input).value = text


# --- accept (R-LIFE-3) ---------------------------------------------------------------------


async def test_accept_is_prefilled_and_returns_the_form_the_service_takes() -> None:
    """R-LIFE-3: the referral's terms and the accepting user are pre-filled; Accept returns them."""
    referral = deal(notes="Migrate the warehouse", crm_id="CRM-42", campaign_id="FY27-Q1")
    app = DialogHarness(AcceptDialog(referral, ME))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.query_one("#name", Input).value == "Contoso data platform"
        assert screen.query_one("#value", Input).value == "480000.00"
        assert screen.query_one("#currency", Input).value == "USD"
        assert screen.query_one("#close-date", Input).value == "2027-03-31"
        assert screen.query_one("#notes", TextArea).text == "Migrate the warehouse"
        assert screen.query_one("#crm-id", Input).value == "CRM-42"
        assert screen.query_one("#campaign-id", Input).value == "FY27-Q1"
        rows = team_rows(app)
        assert len(rows) == 1
        assert rows[0].startswith("Priya Patel")
        assert "priya@contoso.example" in rows[0] and "+1 206 555 0101" in rows[0]
        assert app.focused is screen.query_one("#name", Input)  # typing starts at the name
        assert screen.query_one(AcceptTeamList).highlighted == 0  # delete/enter act at once
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.results == [
        AcceptForm(
            name="Contoso data platform",
            value=Decimal("480000.00"),
            currency="USD",
            close_date=date(2027, 3, 31),
            notes="Migrate the warehouse",
            crm_id="CRM-42",
            campaign_id="FY27-Q1",
            team=[ME_ON_TEAM],
        )
    ]


async def test_accept_returns_what_was_typed() -> None:
    """R-LIFE-3: the receiver names the deal and may change value, date, notes and ids."""
    app = DialogHarness(AcceptDialog(deal(), ME))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await type_into(pilot, screen.query_one("#name", Input), "Lakehouse")  # keys, as a user
        screen.query_one("#value", Input).value = "1,250,000.50"
        screen.query_one("#currency", Input).value = "eur"
        screen.query_one("#close-date", Input).value = "2027-06-30"
        screen.query_one("#notes", TextArea).text = "Two phases"
        screen.query_one("#crm-id", Input).value = "OPP-7"
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.results == [
        AcceptForm(
            name="Lakehouse",
            value=Decimal("1250000.50"),
            currency="EUR",
            close_date=date(2027, 6, 30),
            notes="Two phases",
            crm_id="OPP-7",
            team=[ME_ON_TEAM],
        )
    ]


async def test_accept_team_default_replaces_me() -> None:
    """The screen may pass the team to start from (e.g. people the sender already named)."""
    team = [
        TeamMemberForm(first_name="Marco", last_name="Rossi", phone="2065550102", email="m@c.io"),
        ME_ON_TEAM,
    ]
    app = DialogHarness(AcceptDialog(deal(), ME, team_default=team))
    async with app.run_test(size=(80, 24)) as pilot:
        assert [row.split("  ·  ")[0] for row in team_rows(app)] == ["Marco Rossi", "Priya Patel"]
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert len(app.results) == 1
    assert app.results[0].team == team


async def test_accept_shows_the_senders_contacts_read_only_and_keeps_them_out_of_the_form() -> None:
    """R-DEAL-2: the sender's people stay on the team; accepting names only our own people."""
    app = DialogHarness(AcceptDialog(deal(), ME))
    async with app.run_test(size=(80, 24)) as pilot:
        contacts = app.screen.query_one(".sender-contacts", Static)
        shown = str(contacts.render())
        assert "They stay on the team" in shown
        assert "Megan Bowen" in shown and "megan@microsoft.example" in shown
        assert not any("Megan" in row for row in team_rows(app))
        assert not contacts.can_focus  # read-only: nothing to edit there
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert [m.email for m in app.results[0].team] == ["priya@contoso.example"]


async def test_accept_without_sender_contacts_shows_no_such_section() -> None:
    app = DialogHarness(AcceptDialog(deal(team=()), ME))
    async with app.run_test(size=(80, 24)):
        assert not app.screen.query(".sender-contacts")


async def test_add_a_member_with_enter_then_remove_one_with_delete() -> None:
    """R-LIFE-3: the team grows by the sub-form and shrinks from the list, by keyboard."""
    app = DialogHarness(AcceptDialog(deal(), ME))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await fill_new_member(pilot, "Marco", "Rossi", "+1 206 555 0102", "Marco@Contoso.example")
        screen.query_one("#new-email", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        rows = team_rows(app)
        assert len(rows) == 2 and rows[1].startswith("Marco Rossi")
        assert "marco@contoso.example" in rows[1]
        # The sub-form is empty again, ready for the next person.
        assert all(
            screen.query_one(f"#new-{k}", Input).value == ""
            for k in ("first-name", "last-name", "phone", "email")
        )
        assert app.focused is screen.query_one("#new-first-name", Input)
        # The newcomer is highlighted in the list; go up to Priya and remove her.
        team = screen.query_one(AcceptTeamList)
        assert team.highlighted == 1
        team.focus()
        await pilot.press("up", "delete")
        await pilot.pause()
        assert [row.split("  ·  ")[0] for row in team_rows(app)] == ["Marco Rossi"]
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.results[0].team == [
        TeamMemberForm(
            first_name="Marco",
            last_name="Rossi",
            phone="+1 206 555 0102",
            email="marco@contoso.example",
        )
    ]


async def test_add_member_button_and_x_key() -> None:
    app = DialogHarness(AcceptDialog(deal(), ME))
    async with app.run_test(size=(80, 24)) as pilot:
        await fill_new_member(pilot, "Chloe", "Martin", "+44 20 7946 0001", "chloe@contoso.example")
        button = app.screen.query_one("#add-member", Button)
        button.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert len(team_rows(app)) == 2
        team = app.screen.query_one(AcceptTeamList)
        team.focus()
        assert team.highlighted == 1  # the person just added
        await pilot.press("x")
        await pilot.pause()
        assert len(team_rows(app)) == 1 and team_rows(app)[0].startswith("Priya")


async def test_enter_on_a_member_moves_them_into_the_sub_form_to_correct() -> None:
    app = DialogHarness(AcceptDialog(deal(), ME))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        team = screen.query_one(AcceptTeamList)
        team.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert screen.query_one("#new-email", Input).value == "priya@contoso.example"
        assert screen.query_one("#new-phone", Input).value == "+1 206 555 0101"
        assert "No one yet" in team_rows(app)[0]
        assert app.focused is screen.query_one("#new-first-name", Input)
        screen.query_one("#new-phone", Input).value = "+1 206 555 0199"
        await pilot.press("enter")  # in the sub-form: adds the corrected person
        await pilot.pause()
        assert "+1 206 555 0199" in team_rows(app)[0]


async def test_enter_on_a_member_refuses_while_the_sub_form_holds_someone() -> None:
    """Nothing typed is thrown away (R-Q-1): the user is told to add or clear it first."""
    app = DialogHarness(AcceptDialog(deal(), ME))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        screen.query_one("#new-first-name", Input).value = "Half typed"
        team = screen.query_one(AcceptTeamList)
        team.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert "Add or clear" in error_under(app, "team")
        assert screen.query_one("#new-first-name", Input).value == "Half typed"
        assert team_rows(app)[0].startswith("Priya Patel")


async def test_add_refuses_a_bad_email_under_the_new_members_email() -> None:
    """R-Q-1: the error is next to the field; the list is unchanged."""
    app = DialogHarness(AcceptDialog(deal(), ME))
    async with app.run_test(size=(80, 24)) as pilot:
        await fill_new_member(pilot, "Marco", "Rossi", "+1 206 555 0102", "marco@")
        app.screen.query_one("#add-member", Button).press()
        await pilot.pause()
        assert "Enter a valid email address" in error_under(app, "new.email")
        assert field(app, "new.email").has_class("-invalid")
        assert error_under(app, "new.first_name") == ""
        assert len(team_rows(app)) == 1
        assert app.focused is app.screen.query_one("#new-email", Input)


async def test_add_refuses_someone_already_on_the_team() -> None:
    app = DialogHarness(AcceptDialog(deal(), ME))
    async with app.run_test(size=(80, 24)) as pilot:
        await fill_new_member(pilot, "P", "Patel", "+1 206 555 0101", "PRIYA@contoso.example")
        app.screen.query_one("#add-member", Button).press()
        await pilot.pause()
        assert error_under(app, "new.email") == "Already on the team."
        assert len(team_rows(app)) == 1


async def test_saving_with_a_bad_email_in_the_sub_form_refuses_inline() -> None:
    """What is typed in the sub-form joins the team on save, so it is checked there too."""
    app = DialogHarness(AcceptDialog(deal(), ME))
    async with app.run_test(size=(80, 24)) as pilot:
        await fill_new_member(pilot, "Marco", "Rossi", "+1 206 555 0102", "not-an-email")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.results == []
        assert app.screen.is_current  # still open
        assert "Enter a valid email address" in error_under(app, "new.email")
        assert dialog_error(app) == ""  # not as a raw "team.1.email" line
        assert app.focused is app.screen.query_one("#new-email", Input)
        # Corrected, the typed person is saved with the team.
        app.screen.query_one("#new-email", Input).value = "marco@contoso.example"
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert [m.email for m in app.results[0].team] == [
        "priya@contoso.example",
        "marco@contoso.example",
    ]


async def test_a_listed_member_with_bad_data_is_named_under_the_team_literally() -> None:
    """A stored phone that fails today's rules: the refusal says who, readably (not team.0.phone).

    The name holds markup characters; they are shown as typed, never interpreted (R-Q-1).
    """
    me = ME.model_copy(update={"first_name": "[/]Priya", "phone": "12"})
    app = DialogHarness(AcceptDialog(deal(), me))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.results == []
        message = error_under(app, "team")
        assert "[/]Priya Patel, Phone: Enter a phone number of 7-15 digits" in message
        assert "press enter to correct" in message
        assert "team.0" not in message and "team.0" not in dialog_error(app)


async def test_empty_name_is_refused_under_the_name() -> None:
    app = DialogHarness(AcceptDialog(deal(), ME))
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.query_one("#name", Input).value = "   "
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.results == []
        assert error_under(app, "name") == "This field is required."
        assert field(app, "name").has_class("-invalid")
        assert app.focused is app.screen.query_one("#name", Input)


async def test_impossible_close_date_is_refused_under_the_date() -> None:
    """R-Q-1: 2026-02-30 is not a calendar date."""
    app = DialogHarness(AcceptDialog(deal(), ME))
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.query_one("#close-date", Input).value = "2026-02-30"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.results == []
        assert "real calendar date as YYYY-MM-DD" in error_under(app, "close_date")
        assert error_under(app, "name") == ""
        assert app.focused is app.screen.query_one("#close-date", Input)


async def test_a_past_close_date_is_refused_inline_when_today_is_given() -> None:
    """services.accept refuses a past close date; with `today` the dialog says so in place,
    so nothing typed is lost to a refusal after the dialog closed (R-Q-1)."""
    referral = deal(close_date=date(2026, 11, 1))  # the sender's date has passed meanwhile
    app = DialogHarness(AcceptDialog(referral, ME, today=date(2026, 11, 27)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.results == []
        assert error_under(app, "close_date") == "Choose today or a later date."
        app.screen.query_one("#close-date", Input).value = "2026-11-27"  # today is fine
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.results[0].close_date == date(2026, 11, 27)


async def test_leaving_a_field_shows_its_error_at_once() -> None:
    """Inline validation as the user goes: tab out of a bad value, its error appears."""
    app = DialogHarness(AcceptDialog(deal(), ME))
    async with app.run_test(size=(80, 24)) as pilot:
        await type_into(pilot, app.screen.query_one("#currency", Input), "EURO")
        assert error_under(app, "currency") == ""  # not while typing
        await pilot.press("tab")
        await pilot.pause()
        assert "ISO 4217" in error_under(app, "currency")
        assert app.results == []


async def test_an_empty_team_is_refused_under_the_team() -> None:
    app = DialogHarness(AcceptDialog(deal(), ME))
    async with app.run_test(size=(80, 24)) as pilot:
        team = app.screen.query_one(AcceptTeamList)
        team.focus()
        await pilot.press("delete")
        await pilot.pause()
        assert "No one yet" in team_rows(app)[0]
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.results == []
        assert error_under(app, "team") == "Add at least one team member."


async def test_team_cursor_shows_without_colour() -> None:
    """R-Q-3 / NO_COLOR: the highlighted person is underlined, so delete's target is visible."""
    team = [
        ME_ON_TEAM,
        TeamMemberForm(first_name="Marco", last_name="Rossi", phone="2065550102", email="m@c.io"),
    ]
    app = ColourlessHarness(AcceptDialog(deal(), ME, team_default=team))
    async with app.run_test(size=(120, 40)) as pilot:
        team_list = app.screen.query_one(AcceptTeamList)
        team_list.focus()
        team_list.highlighted = 1
        await pilot.pause()
        assert style_on_screen(app, "Marco Rossi").underline
        assert not style_on_screen(app, "Priya Patel").underline


async def test_accept_escape_cancels() -> None:
    app = DialogHarness(AcceptDialog(deal(), ME))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


async def test_accept_every_control_is_reachable_with_tab() -> None:
    """Keyboard only at 80×24: tab walks the form in reading order to the buttons."""
    app = DialogHarness(AcceptDialog(deal(), ME))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        order = [w.id for w in app.screen.focus_chain]
        expected = [
            "name",
            "value",
            "currency",
            "close-date",
            "notes",
            "crm-id",
            "campaign-id",
            "team-list",
            "new-first-name",
            "new-last-name",
            "new-phone",
            "new-email",
            "add-member",
            "save",
            "cancel",
        ]
        assert [i for i in order if i in expected] == expected
        app.screen.query_one("#campaign-id", Input).focus()
        await pilot.press("tab")
        assert app.screen.query_one(AcceptTeamList).has_focus
        await pilot.press("shift+tab")
        assert app.screen.query_one("#campaign-id", Input).has_focus


# --- stage (R-LIFE-7, R-LIFE-8) ------------------------------------------------------------


def ladder(app: App[Any]) -> list[str]:
    options = app.screen.query_one("#stages", OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


def effect(app: App[Any]) -> str:
    return str(app.screen.query_one("#stage-effect", Static).render())


async def test_stage_dialog_lists_sa_names_with_percentages_and_marks_the_current_one() -> None:
    """R-LIFE-8: an SA deal shows the assessment's names; Won is not set here."""
    app = DialogHarness(StageDialog(deal(Status.ACCEPTED, Stage.DEVELOPED, sa=True)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert ladder(app) == [
            "✓ Accepted 10%",
            "✓ Secure customer letter of engagement 20%",
            "▶ Collect data 40% (now)",
            "· Prepare assessment report 60%",
            "· Present to customer 80%",
        ]
        shown = flat(screen_text(app))
        assert "use Won" in shown
        assert "every stage up to “Present to customer” (80 %) is marked" in shown
        # The next stage is highlighted, and the dialog says what choosing it does.
        assert app.screen.query_one("#stages", OptionList).highlighted == 3
        assert effect(app) == "Marks “Prepare assessment report” (60 %) as reached."


async def test_choosing_a_later_stage_says_it_marks_the_earlier_ones_and_returns_it() -> None:
    """R-LIFE-7: marking a stage marks the earlier ones."""
    app = DialogHarness(StageDialog(deal(Status.ACCEPTED, direction=Direction.OUTBOUND)))
    async with app.run_test(size=(80, 24)) as pilot:
        assert ladder(app)[0] == "▶ Created 10% (now)"
        await pilot.press("down", "down")  # Qualified is highlighted first; on to Proposed
        await pilot.pause()
        assert effect(app) == (
            "Marks “Proposed” (60 %) as reached. "
            "The stages before it are marked too (Qualified, Developed)."
        )
        await pilot.press("enter")
        await pilot.pause()
    assert app.results == [Stage.PROPOSED]


async def test_choosing_an_earlier_stage_says_it_moves_back_and_returns_it() -> None:
    """R-LIFE-7: a stage may be moved back while the deal is active."""
    app = DialogHarness(StageDialog(deal(Status.ACCEPTED, Stage.NEGOTIATED)))
    async with app.run_test(size=(80, 24)) as pilot:
        assert ladder(app)[-1] == "▶ Negotiated 80% (now)"
        # At the top of the ladder the stage below is highlighted.
        assert effect(app) == (
            "Moves the deal back to “Proposed” (60 %); the later marks are removed (Negotiated)."
        )
        await pilot.press("up", "up")
        await pilot.pause()
        assert effect(app) == (
            "Moves the deal back to “Qualified” (20 %); "
            "the later marks are removed (Developed, Proposed, Negotiated)."
        )
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.results == [Stage.QUALIFIED]


async def test_choosing_the_current_stage_is_refused_and_the_dialog_stays() -> None:
    app = DialogHarness(StageDialog(deal(Status.ACCEPTED, Stage.DEVELOPED)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("up")  # from Proposed to Developed, the current stage
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == []
        assert effect(app) == "The deal is already at “Developed” (40 %); choose another stage."
        assert app.screen.query_one("#stage-effect").has_class("-refused")
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


async def test_stage_cursor_and_current_stage_are_told_apart_without_colour() -> None:
    """R-Q-3 / NO_COLOR: the cursor is underlined; the current stage is marked by ▶ and text."""
    app = ColourlessHarness(StageDialog(deal(Status.ACCEPTED, Stage.DEVELOPED)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert style_on_screen(app, "Proposed 60%").underline  # highlighted: the cursor
        # The current stage is told by ▶ and "(now)", not by looking like a second cursor.
        assert not style_on_screen(app, "Developed 40%").underline
        assert "▶ Developed 40% (now)" in screen_text(app)


async def test_stage_button_sets_the_highlighted_stage() -> None:
    app = DialogHarness(StageDialog(deal(Status.ACCEPTED)))
    async with app.run_test(size=(80, 24)) as pilot:
        assert ladder(app)[0] == "▶ Accepted 10% (now)"  # an inbound deal starts at Accepted
        app.screen.query_one("#save", Button).press()
        await pilot.pause()
    assert app.results == [Stage.QUALIFIED]


# --- won (R-LIFE-1, R-LIFE-8, R-REG-1) -------------------------------------------------------


async def test_won_is_blocked_for_an_sa_deal_below_present_to_customer() -> None:
    """R-LIFE-8: shown but unavailable, saying why; no way to save, only to close."""
    referral = deal(Status.ACCEPTED, Stage.PROPOSED, sa=True)
    blocker = won_blocker(referral.status, referral.stage, referral.is_sa)
    assert blocker is not None
    app = DialogHarness(WonDialog(referral, blocker, offers_registration=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        shown = flat(screen_text(app))
        assert "every stage up to “Present to customer” (80 %) is marked" in shown
        assert [button.id for button in app.screen.query(Button)] == ["cancel"]
        assert not app.screen.query(TextArea)
        assert app.focused is app.screen.query_one("#cancel", Button)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.results == []
        assert not isinstance(app.screen, ConfirmDialog)
        await pilot.press("enter")  # Close
        await pilot.pause()
    assert app.results == [None]


async def test_won_warns_it_is_final_offers_registration_and_needs_a_yes() -> None:
    """R-LIFE-1: final, confirmed knowing it cannot be undone; R-REG-1: registration next."""
    referral = deal(Status.ACCEPTED, Stage.NEGOTIATED, sa=True)
    assert won_blocker(referral.status, referral.stage, referral.is_sa) is None
    app = DialogHarness(WonDialog(referral, None, offers_registration=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        shown = flat(screen_text(app))
        assert "This cannot be undone: a won deal can never change again." in shown
        assert "you will be offered to register it next" in shown
        app.screen.query_one("#notes", TextArea).text = "Signed on the 20th"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert app.results == []
        asked = flat(screen_text(app))
        assert "Mark this deal as won?" in asked
        assert "cannot be undone" in asked and "register it next" in asked
        await pilot.press("y")
        await pilot.pause()
    assert app.results == [WonForm(notes="Signed on the 20th")]


async def test_won_declining_the_confirmation_leaves_the_dialog_open() -> None:
    app = DialogHarness(WonDialog(deal(Status.ACCEPTED), None, offers_registration=False))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "register" not in flat(screen_text(app))  # nothing to offer here
        app.screen.query_one("#notes", TextArea).text = "kept"
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert app.results == []
        assert isinstance(app.screen, WonDialog)
        assert app.screen.query_one("#notes", TextArea).text == "kept"
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


async def test_won_without_notes_returns_an_empty_form_after_yes() -> None:
    app = DialogHarness(WonDialog(deal(Status.ACCEPTED), None, offers_registration=False))
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.query_one("#save", Button).press()
        await pilot.pause()
        app.screen.query_one("#yes", Button).press()
        await pilot.pause()
    assert app.results == [WonForm()]


async def test_won_escape_cancels() -> None:
    app = DialogHarness(WonDialog(deal(Status.ACCEPTED), None, offers_registration=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


# --- lost (R-LIFE-1, R-LIFE-6) ---------------------------------------------------------------


async def test_lost_offers_the_six_reasons_and_warns_it_is_final() -> None:
    app = DialogHarness(LostDialog(deal(Status.ACCEPTED)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        select = app.screen.query_one(Select)
        assert [str(prompt) for prompt, _ in select._options[1:]] == [
            "Price",
            "Lost to a competitor",
            "No decision or project cancelled",
            "Customer requirement not met",
            "Timeline",
            "Other",
        ]
        assert "This cannot be undone: a lost deal can never change again." in flat(
            screen_text(app)
        )


async def test_lost_needs_a_reason() -> None:
    app = DialogHarness(LostDialog(deal(Status.ACCEPTED)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.results == []
        assert not isinstance(app.screen, ConfirmDialog)
        assert error_under(app, "reason") == "Choose one of the listed values."


async def test_lost_other_without_notes_is_refused_under_the_notes() -> None:
    """R-LIFE-6: notes are required for Other; the refusal is next to the notes."""
    app = DialogHarness(LostDialog(deal(Status.ACCEPTED)))
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.query_one(Select).value = LostReason.OTHER
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.results == []
        assert not isinstance(app.screen, ConfirmDialog)  # refused before any question
        assert error_under(app, "notes") == "Say why the deal was lost when the reason is Other."
        assert field(app, "notes").has_class("-invalid")
        assert app.focused is app.screen.query_one("#notes", TextArea)  # where to type next
        assert dialog_error(app) == ""
        app.screen.query_one("#notes", TextArea).text = "Customer merged with a rival"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await pilot.pause()
    assert app.results == [LostForm(reason=LostReason.OTHER, notes="Customer merged with a rival")]


async def test_lost_confirmation_names_the_reason_and_yes_returns_the_form() -> None:
    app = DialogHarness(LostDialog(deal(Status.ACCEPTED)))
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.query_one(Select).value = LostReason.LOST_TO_COMPETITOR
        await pilot.press("ctrl+s")
        await pilot.pause()
        asked = flat(screen_text(app))
        assert "Mark this deal as lost?" in asked
        assert "Reason: Lost to a competitor." in asked and "cannot be undone" in asked
        assert app.results == []
        await pilot.press("y")
        await pilot.pause()
    assert app.results == [LostForm(reason=LostReason.LOST_TO_COMPETITOR)]


async def test_lost_declining_the_confirmation_returns_nothing_and_keeps_the_dialog() -> None:
    app = DialogHarness(LostDialog(deal(Status.ACCEPTED)))
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.query_one(Select).value = LostReason.PRICE
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("escape")  # escape answers no, as n does
        await pilot.pause()
        assert app.results == []
        assert isinstance(app.screen, LostDialog)
        assert app.screen.query_one(Select).value is LostReason.PRICE
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]
