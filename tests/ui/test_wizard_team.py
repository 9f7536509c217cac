"""Wizard step 3, Team (R-UI-4, R-DEAL-2), alone in the StepHarness on the demo database.

Dana (Contoso partner admin) has recent contacts from her earlier deals: Owen Tremblay and
Priya Natarajan. Tests type and press keys as a user does and read what the step shows.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, OptionList, Static

from cosell_tui.domain.models import User
from cosell_tui.domain.wizard import MEMBER_NOT_ADDED, Draft, DraftMember
from cosell_tui.screens.dialog import Field
from cosell_tui.screens.wizard.base import WizardStep
from cosell_tui.screens.wizard.team import TeamMembers, TeamStep
from cosell_tui.store.database import Database
from tests.ui.wizard_harness import StepHarness

DANA = DraftMember(
    first_name="Dana",
    last_name="Whitfield",
    phone="+1 206-555-0135",
    email="dana.whitfield@contoso.example",
)
ANN = DraftMember(
    first_name="Ann", last_name="Lee", phone="+1 206 555 0199", email="ann@lee.example"
)


class Harness(StepHarness):
    """Counts the step's Changed messages: the wizard saves the draft on each."""

    def __init__(self, db: Database, user: User, draft: Draft | None = None) -> None:
        super().__init__(TeamStep, db, user, draft)
        self.changes = 0

    def on_wizard_step_changed(self, _: WizardStep.Changed) -> None:
        self.changes += 1


def field(app: Harness, key: str) -> Field:
    return next(f for f in app.query(Field) if f.key == key)


def box(app: Harness, key: str) -> Input:
    control = field(app, f"member.{key}").control
    assert isinstance(control, Input)
    return control


def plain(widget: Static) -> str:
    visual: Any = widget.render()
    return str(getattr(visual, "plain", visual))


def shown_errors(app: Harness) -> dict[str, str]:
    """Messages under fields, and the step-wide line under "form"."""
    shown = {}
    for each in app.query(Field):
        line = each.query_one(".field-error", Static)
        if line.display and plain(line):
            shown[each.key] = plain(line)
    step_line = app.query_one(".step-error", Static)
    if step_line.display and plain(step_line):
        shown["form"] = plain(step_line)
    return shown


def team_shown(app: Harness) -> list[str]:
    team = app.query_one(TeamMembers)
    return [str(team.get_option_at_index(i).prompt) for i in range(team.option_count)]


def recent_shown(app: Harness) -> list[str]:
    recent = app.query_one("#recent-contacts", OptionList)
    return [str(recent.get_option_at_index(i).prompt) for i in range(recent.option_count)]


async def type_member(pilot: Any, app: Harness, *values: str) -> None:
    """Type first name, last name, phone and email, moving with tab, as a user does."""
    box(app, "first_name").focus()
    await pilot.pause()
    for i, value in enumerate(values):
        if i:
            await pilot.press("tab")
        await pilot.press(*value)
    await pilot.pause()


def dumped(app: Harness) -> Draft:
    draft = Draft()
    app.step_widget.dump(draft)
    return draft


async def test_a_fresh_draft_starts_with_the_signed_in_user_on_the_team(
    demo_db: Database, people: dict[str, User]
) -> None:
    app = Harness(demo_db, people["Dana"])
    async with app.run_test(size=(80, 24)):
        assert team_shown(app) == [
            "Dana Whitfield · dana.whitfield@contoso.example · +1 206-555-0135"
        ]
        assert app.focused is box(app, "first_name")
        assert app.check() == {}
        assert app.draft.team == [DANA]


async def test_a_bad_phone_and_email_are_refused_inline_and_nobody_is_added(
    demo_db: Database, people: dict[str, User]
) -> None:
    app = Harness(demo_db, people["Dana"])
    async with app.run_test(size=(80, 24)) as pilot:
        await type_member(pilot, app, "Ann", "Lee", "12", "a@")
        await pilot.press("enter")
        await pilot.pause()
        errors = shown_errors(app)
        assert set(errors) == {"member.phone", "member.email"}
        assert errors["member.phone"].startswith("Enter a phone number of 7-15 digits")
        assert errors["member.email"].startswith("Enter a valid email address")
        assert app.focused is box(app, "phone")  # the first wrong field
        assert len(team_shown(app)) == 1
        assert box(app, "email").value == "a@"  # nothing typed is lost
        assert app.changes == 0


async def test_a_valid_member_is_added_and_the_form_cleared(
    demo_db: Database, people: dict[str, User]
) -> None:
    app = Harness(demo_db, people["Dana"])
    async with app.run_test(size=(80, 24)) as pilot:
        await type_member(pilot, app, "Ann", "Lee", "+1 206 555 0199", "Ann@Lee.example")
        await pilot.press("enter")
        await pilot.pause()
        assert team_shown(app)[1] == "Ann Lee · ann@lee.example · +1 206 555 0199"
        assert [box(app, k).value for k in ("first_name", "last_name", "phone", "email")] == [
            "",
            "",
            "",
            "",
        ]
        assert app.focused is box(app, "first_name")  # ready for the next person
        assert shown_errors(app) == {}
        assert app.changes >= 1
        assert app.check() == {}
        assert app.draft.team == [DANA, ANN]
        assert app.draft.member.is_empty()


async def test_the_add_key_and_button_add_too(demo_db: Database, people: dict[str, User]) -> None:
    app = Harness(demo_db, people["Dana"])
    async with app.run_test(size=(80, 24)) as pilot:
        await type_member(pilot, app, "Ann", "Lee", "+1 206 555 0199", "ann@lee.example")
        box(app, "first_name").focus()  # not in the last field: the key works anywhere
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert len(team_shown(app)) == 2
        await type_member(pilot, app, "Bo", "Ek", "+46 8 555 0100", "bo@ek.example")
        await pilot.click("#member-add")
        await pilot.pause()
        assert [m.first_name for m in dumped(app).team] == ["Dana", "Ann", "Bo"]


async def test_the_same_email_twice_is_refused(demo_db: Database, people: dict[str, User]) -> None:
    app = Harness(demo_db, people["Dana"])
    async with app.run_test(size=(80, 24)) as pilot:
        await type_member(pilot, app, "D", "W", "+1 206 555 0100", "DANA.Whitfield@contoso.example")
        await pilot.press("enter")
        await pilot.pause()
        assert shown_errors(app) == {
            "member.email": "dana.whitfield@contoso.example is already on the team."
        }
        assert len(team_shown(app)) == 1


async def test_one_key_adds_a_recent_contact_which_is_then_marked(
    demo_db: Database, people: dict[str, User]
) -> None:
    app = Harness(demo_db, people["Dana"])
    async with app.run_test(size=(80, 24)) as pilot:
        recent = app.query_one("#recent-contacts", OptionList)
        assert recent_shown(app) == [
            "Owen Tremblay · owen.tremblay@contoso.example\n  +1 206-555-0163",
            "Priya Natarajan · priya.natarajan@contoso.example\n  +1 206-555-0142",
        ]
        recent.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert team_shown(app)[1] == (
            "Owen Tremblay · owen.tremblay@contoso.example · +1 206-555-0163"
        )
        assert recent_shown(app)[0] == (
            "✓ Owen Tremblay · on the team\n  owen.tremblay@contoso.example"
        )
        assert recent.highlighted == 1  # the cursor moved on to someone who can be added
        await pilot.press("up")  # the cursor skips whoever is on the team already
        assert recent.highlighted == 1
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("enter")  # everyone listed is on the team: nobody is added twice
        await pilot.pause()
        assert [m.first_name for m in dumped(app).team] == ["Dana", "Owen", "Priya"]
        assert all(row.startswith("✓ ") for row in recent_shown(app))
        assert app.changes >= 2


async def test_removing_the_last_member_then_next_asks_for_at_least_one(
    demo_db: Database, people: dict[str, User]
) -> None:
    app = Harness(demo_db, people["Dana"])
    async with app.run_test(size=(80, 24)) as pilot:
        app.query_one(TeamMembers).focus()
        await pilot.press("delete")
        await pilot.pause()
        assert team_shown(app) == []
        assert app.changes == 1
        assert app.check() == {"team": "Add at least one team member."}
        assert shown_errors(app) == {"team": "Add at least one team member."}
        # Showing the step again (Back, then Next) does not put the creator back.
        app.step_widget.load(app.draft)
        await pilot.pause()
        assert team_shown(app) == []


async def test_backspace_removes_the_highlighted_member(
    demo_db: Database, people: dict[str, User]
) -> None:
    draft = Draft(team=[DANA, ANN])
    app = Harness(demo_db, people["Dana"], draft)
    async with app.run_test(size=(80, 24)) as pilot:
        app.query_one(TeamMembers).focus()
        await pilot.press("down", "backspace")
        await pilot.pause()
        assert dumped(app).team == [DANA]


async def test_a_half_typed_member_blocks_next(demo_db: Database, people: dict[str, User]) -> None:
    app = Harness(demo_db, people["Dana"])
    async with app.run_test(size=(80, 24)) as pilot:
        await type_member(pilot, app, "Ann", "Lee")
        errors = app.check()
        assert errors["form"] == MEMBER_NOT_ADDED
        assert "enter or ctrl+t" in MEMBER_NOT_ADDED
        shown = shown_errors(app)
        assert shown["form"] == MEMBER_NOT_ADDED
        assert set(shown) == {"form", "member.phone", "member.email"}
        assert app.draft.member == DraftMember(first_name="Ann", last_name="Lee")
        # once cleared, Next passes
        for key in ("first_name", "last_name"):
            box(app, key).value = ""
        await pilot.pause()
        assert app.check() == {}
        assert shown_errors(app) == {}


async def test_a_valid_but_unadded_member_takes_the_user_to_the_form(
    demo_db: Database, people: dict[str, User]
) -> None:
    app = Harness(demo_db, people["Dana"])
    async with app.run_test(size=(80, 24)) as pilot:
        await type_member(pilot, app, "Ann", "Lee", "+1 206 555 0199", "ann@lee.example")
        app.query_one(TeamMembers).focus()
        assert app.check() == {"form": MEMBER_NOT_ADDED}
        await pilot.pause()
        assert app.focused is box(app, "first_name")


async def test_dump_and_load_round_trip(demo_db: Database, people: dict[str, User]) -> None:
    draft = Draft(team=[ANN, DANA], member=DraftMember(first_name="Half", email="typ@"))
    app = Harness(demo_db, people["Dana"], draft.model_copy(deep=True))
    async with app.run_test(size=(120, 40)):
        assert team_shown(app) == [
            "Ann Lee · ann@lee.example · +1 206 555 0199",
            "Dana Whitfield · dana.whitfield@contoso.example · +1 206-555-0135",
        ]
        assert box(app, "first_name").value == "Half"
        assert box(app, "email").value == "typ@"
        again = dumped(app)
        assert again.team == draft.team
        assert again.member == draft.member


async def test_recent_contacts_sit_beside_the_form_when_wide_and_below_at_80(
    demo_db: Database, people: dict[str, User]
) -> None:
    for size, beside in (((120, 40), True), ((80, 24), False)):
        app = Harness(demo_db, people["Dana"])
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            form = app.query_one("#member-form").region
            recent = app.query_one("#recent").region
            if beside:
                assert recent.x >= form.right and recent.y == form.y
            else:
                assert recent.y >= form.bottom and recent.x == form.x


async def test_jonas_without_earlier_deals_is_told_where_contacts_come_from(
    demo_db: Database, people: dict[str, User]
) -> None:
    app = Harness(demo_db, people["Jonas"])
    async with app.run_test(size=(80, 24)):
        assert recent_shown(app) == []
        assert not app.query_one("#recent-contacts").display
        hint = plain(app.query_one("#recent-hint", Static))
        assert hint == "People on your earlier deals will be listed here."
