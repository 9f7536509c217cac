"""The deal-detail dialogs (R-UI-5): edit (R-LIFE-6), team (R-DEAL-2), solutions (R-DEAL-3,
R-WIZ-5, R-ORG-4) and comment (R-DEAL-9).

Each dialog is opened alone in DialogHarness with Referral / Solution / Location records built
here; tests drive it with the keyboard where that is what a user does, and assert what comes
back (`app.results`) and what the dialog shows inline when it refuses.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from textual.widget import Widget
from textual.widgets import Input, Select, Static, TextArea

from cosell_tui.domain.enums import (
    CompanySize,
    DealType,
    Direction,
    HelpType,
    SolutionKind,
    Stage,
    Status,
)
from cosell_tui.domain.models import (
    CommentForm,
    EditForm,
    Location,
    Referral,
    ReferralSolution,
    Solution,
    TeamMember,
    TeamMemberForm,
)
from cosell_tui.screens.dialog import Field, FormDialog
from cosell_tui.screens.dialogs.comment import CommentDialog
from cosell_tui.screens.dialogs.edit import EditDialog
from cosell_tui.screens.dialogs.solutions import SolutionChoice, SolutionPicker, SolutionsDialog
from cosell_tui.screens.dialogs.team import TeamChange, TeamDialog, TeamList
from tests.ui.dialog_harness import DialogHarness

MICROSOFT, CONTOSO, FABRIKAM = 1, 2, 3
ORGANIZATION_NAMES = {
    MICROSOFT: "Microsoft",
    CONTOSO: "Contoso Analytics",
    FABRIKAM: "Fabrikam Cloud Services",
}
SEATTLE, TORONTO, LONDON = 21, 22, 23
LOCATIONS = [
    Location(id=SEATTLE, organization_id=CONTOSO, city="Seattle", country="US"),
    Location(id=TORONTO, organization_id=CONTOSO, city="Toronto", country="CA"),
    Location(id=LONDON, organization_id=CONTOSO, city="London", country="GB"),
]


def _solution(
    sid: int, name: str, org: int, kind: SolutionKind, eligible: bool = False
) -> Solution:
    return Solution(id=sid, name=name, organization_id=org, kind=kind, incentive_eligible=eligible)


V, A, P = SolutionKind.VENDOR, SolutionKind.ASSESSMENT, SolutionKind.PARTNER
FABRIC = _solution(1, "Microsoft Fabric", MICROSOFT, V)
OPENAI = _solution(2, "Azure OpenAI Service", MICROSOFT, V)
MIGRATION = _solution(3, "Azure Migration Assessment", MICROSOFT, A)
SECURITY = _solution(4, "Security Posture Assessment", MICROSOFT, A)
INSIGHT = _solution(5, "Contoso Insight Cloud", CONTOSO, P, eligible=True)
QUICKSTART = _solution(6, "Contoso Data Quickstart", CONTOSO, P)
LANDING_ZONE = _solution(7, "Fabrikam Landing Zone", FABRIKAM, P, eligible=True)
MANAGED_OPS = _solution(8, "Fabrikam Managed Ops", FABRIKAM, P)
CATALOG = [FABRIC, OPENAI, MIGRATION, SECURITY, INSIGHT, QUICKSTART, LANDING_ZONE, MANAGED_OPS]

PRIYA = TeamMember(
    first_name="Priya",
    last_name="Patel",
    phone="+1 206 555 0101",
    email="priya@contoso.example",
    organization_id=CONTOSO,
)
MARCO = TeamMember(
    first_name="Marco",
    last_name="Rossi",
    phone="+1 206 555 0102",
    email="marco@contoso.example",
    organization_id=CONTOSO,
)
JONAS = TeamMember(  # the inviting partner's contact on a P2P deal: no rights here
    first_name="Jonas",
    last_name="Weber",
    phone="+49 30 5550 1000",
    email="jonas@fabrikam.example",
    organization_id=FABRIKAM,
)
DEAL_NAME = "[bold]Adatum[/bold] data platform"


def make_referral(
    *,
    team: tuple[TeamMember, ...] = (PRIYA, MARCO, JONAS),
    solutions: tuple[Solution, ...] = (FABRIC, INSIGHT),
    sa: bool = False,
    assessment_location_id: int | None = SEATTLE,
) -> Referral:
    """Contoso's accepted side of a deal, as queries.referral returns it."""
    return Referral(
        id="ref-1",
        engagement_id="eng-1",
        organization_id=CONTOSO,
        location_id=SEATTLE,
        name=DEAL_NAME,
        value=Decimal("480000.00"),
        currency="USD",
        close_date=date(2027, 3, 31),
        crm_id="CRM-0042",
        campaign_id=None,
        notes="Call back in May.\nBudget owner: CFO.",
        help_requested=HelpType.NONE,
        direction=Direction.OUTBOUND,
        status=Status.ACCEPTED,
        stage=Stage.QUALIFIED,
        deal_type=DealType.SOLUTION_ASSESSMENT if sa else DealType.PARTNER_TO_PARTNER,
        created_at=datetime(2026, 10, 1, 9, tzinfo=UTC),
        received_at=None,
        responded_at=None,
        closed_at=None,
        response_deadline=None,
        closing_reason=None,
        closing_notes=None,
        version=3,
        team=team,
        solutions=tuple(
            ReferralSolution(
                solution=s,
                assessment_location_id=assessment_location_id if s.kind is A else None,
            )
            for s in solutions
        ),
    )


# --- helpers reading the dialog as a user does -----------------------------------------------


def field(app: DialogHarness, key: str) -> Field:
    return next(f for f in app.screen.query(Field) if f.key == key)


def control(app: DialogHarness, key: str) -> Any:
    return field(app, key).control


def plain(widget: Static) -> str:
    visual: Any = widget.render()
    return str(getattr(visual, "plain", visual))


def error(app: DialogHarness, key: str) -> str:
    """The message shown under the field, or '' when none is shown."""
    line = field(app, key).query_one(".field-error", Static)
    return plain(line) if line.display else ""


def shown_errors(app: DialogHarness) -> dict[str, str]:
    return {f.key: error(app, f.key) for f in app.screen.query(Field) if error(app, f.key)}


def on_screen(widget: Widget) -> str:
    """The characters the terminal shows where `widget` is."""
    strips = widget.app.screen._compositor.render_strips()
    region = widget.region
    return "\n".join(
        "".join(segment.text for segment in strip)[region.x : region.right].rstrip()
        for strip in strips[region.y : region.bottom]
    )


async def save(pilot: Any) -> None:
    await pilot.press("ctrl+s")
    await pilot.pause()


# --- edit (R-LIFE-6) ---------------------------------------------------------------------------


async def test_edit_is_prefilled_with_the_deal() -> None:
    app = DialogHarness(EditDialog(make_referral(), "Seattle, US"))
    async with app.run_test(size=(80, 24)):
        assert control(app, "name").value == DEAL_NAME  # markup-like text kept as typed
        assert control(app, "value").value == "480000.00"
        assert control(app, "currency").value == "USD"
        assert control(app, "close_date").value == "2027-03-31"
        assert control(app, "crm_id").value == "CRM-0042"
        assert control(app, "campaign_id").value == ""
        assert control(app, "notes").text == "Call back in May.\nBudget owner: CFO."
        assert app.screen.focused is control(app, "name")


async def test_edit_shows_the_location_but_offers_no_way_to_change_it() -> None:
    """R-DEAL-2: the location is never editable after creation; the dialog says so."""
    app = DialogHarness(EditDialog(make_referral(), "Seattle, US"))
    async with app.run_test(size=(80, 24)):
        line = app.screen.query_one("#location", Static)
        assert "Seattle, US" in on_screen(line)
        assert "never changes after creation" in on_screen(line)
        assert {f.key for f in app.screen.query(Field)} == {
            "name",
            "value",
            "currency",
            "close_date",
            "crm_id",
            "campaign_id",
            "notes",
        }
        assert not any("Seattle" in i.value for i in app.screen.query(Input))
        assert not app.screen.query(Select)


async def test_edit_saved_unchanged_returns_the_current_details() -> None:
    app = DialogHarness(EditDialog(make_referral(), "Seattle, US"))
    async with app.run_test(size=(80, 24)) as pilot:
        await save(pilot)
    assert app.results == [
        EditForm(
            name=DEAL_NAME,
            value=Decimal("480000.00"),
            currency="USD",
            close_date=date(2027, 3, 31),
            crm_id="CRM-0042",
            campaign_id=None,
            notes="Call back in May.\nBudget owner: CFO.",
        )
    ]


async def test_edit_returns_what_was_typed_normalized_by_the_domain() -> None:
    app = DialogHarness(EditDialog(make_referral(), "Seattle, US"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"Adatum phase 2")  # the name is selected on focus: typing replaces it
        control(app, "value").value = "1,250,000.50"
        control(app, "currency").value = "eur"
        control(app, "close_date").value = "2027-06-30"
        control(app, "crm_id").value = ""
        control(app, "campaign_id").value = "SPRING-27"
        control(app, "notes").text = ""
        await save(pilot)
    assert app.results == [
        EditForm(
            name="Adatum phase 2",
            value=Decimal("1250000.50"),
            currency="EUR",
            close_date=date(2027, 6, 30),
            crm_id=None,
            campaign_id="SPRING-27",
            notes=None,
        )
    ]


async def test_edit_refuses_an_impossible_date_and_a_zero_amount_inline() -> None:
    """R-Q-1: a real calendar date and an amount > 0, each message under its field."""
    app = DialogHarness(EditDialog(make_referral(), "Seattle, US"))
    async with app.run_test(size=(80, 24)) as pilot:
        control(app, "close_date").value = "2026-02-30"
        control(app, "value").value = "0"
        await save(pilot)
        assert app.results == []
        assert shown_errors(app) == {
            "close_date": "Enter a real calendar date as YYYY-MM-DD, e.g. 2026-12-31.",
            "value": "The amount must be greater than 0.",
        }
        assert field(app, "close_date").has_class("-invalid")
        control(app, "close_date").value = "2027-02-28"
        control(app, "value").value = "125000"
        await save(pilot)
    assert len(app.results) == 1
    assert app.results[0].close_date == date(2027, 2, 28)
    assert app.results[0].value == Decimal("125000.00")


async def test_edit_refuses_a_blank_name_and_a_bad_currency() -> None:
    app = DialogHarness(EditDialog(make_referral(), "Seattle, US"))
    async with app.run_test(size=(80, 24)) as pilot:
        control(app, "name").value = "   "
        control(app, "currency").value = "XX"
        await save(pilot)
        assert app.results == []
        assert shown_errors(app) == {
            "name": "This field is required.",
            "currency": "Enter an ISO 4217 currency code such as USD, EUR or JPY.",
        }


async def test_edit_escape_cancels() -> None:
    app = DialogHarness(EditDialog(make_referral(), "Seattle, US"))
    async with app.run_test(size=(80, 24)) as pilot:
        control(app, "name").value = "Changed my mind"
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


# --- team (R-DEAL-2) ---------------------------------------------------------------------------


def team_list(app: DialogHarness) -> TeamList:
    return app.screen.query_one(TeamList)


async def test_team_lists_own_people_first_and_the_other_organizations_with_their_name() -> None:
    app = DialogHarness(TeamDialog(make_referral(team=(JONAS, PRIYA, MARCO)), ORGANIZATION_NAMES))
    async with app.run_test(size=(100, 30)):
        listing = on_screen(team_list(app))
        lines = listing.splitlines()
        assert "Priya Patel" in lines[0] and "priya@contoso.example" in lines[0]
        assert "Marco Rossi" in lines[1]
        assert "Jonas Weber" in lines[2]
        assert "Fabrikam Cloud Services" in listing
        assert "Contoso Analytics" not in listing  # own people need no organization
        assert app.screen.focused is team_list(app)


async def test_team_remove_returns_the_highlighted_own_member() -> None:
    app = DialogHarness(TeamDialog(make_referral(), ORGANIZATION_NAMES))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("down", "x")
        await pilot.pause()
    assert app.results == [TeamChange(remove="marco@contoso.example")]


async def test_team_delete_key_removes_too() -> None:
    app = DialogHarness(TeamDialog(make_referral(), ORGANIZATION_NAMES))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("delete")
        await pilot.pause()
    assert app.results == [TeamChange(remove="priya@contoso.example")]


async def test_team_refuses_to_remove_the_other_organizations_contact() -> None:
    app = DialogHarness(TeamDialog(make_referral(), ORGANIZATION_NAMES))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("end", "x")
        await pilot.pause()
        assert app.results == []
        assert error(app, "team") == (
            "jonas@fabrikam.example is the inviting organization's contact and stays on the team."
        )


async def test_team_refuses_to_remove_the_last_own_member_with_the_domain_sentence() -> None:
    app = DialogHarness(TeamDialog(make_referral(team=(PRIYA, JONAS)), ORGANIZATION_NAMES))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("x")
        await pilot.pause()
        assert app.results == []
        assert error(app, "team") == (
            "A deal keeps at least one team member; add someone else first."
        )
        assert on_screen(field(app, "team").query_one(".field-error", Static)).startswith(
            "A deal keeps at least one team member"
        )


async def test_team_typing_x_in_the_form_types_an_x_and_removes_nobody() -> None:
    app = DialogHarness(TeamDialog(make_referral(), ORGANIZATION_NAMES))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("tab", *"Xavier")
        await pilot.pause()
        assert control(app, "first_name").value == "Xavier"
        assert app.results == []


async def test_team_add_returns_the_validated_member() -> None:
    app = DialogHarness(TeamDialog(make_referral(), ORGANIZATION_NAMES))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("tab", *"Chloe", "tab")  # from the list into the form, then on
        assert app.screen.focused is control(app, "last_name")
        control(app, "last_name").value = "Martin"
        control(app, "phone").value = "+44 20 7946 0958"
        control(app, "email").value = "Chloe.Martin@Contoso.example"
        await save(pilot)
    assert app.results == [
        TeamChange(
            add=TeamMemberForm(
                first_name="Chloe",
                last_name="Martin",
                phone="+44 20 7946 0958",
                email="chloe.martin@contoso.example",
            )
        )
    ]


async def test_team_add_refuses_a_bad_email_and_phone_inline() -> None:
    app = DialogHarness(TeamDialog(make_referral(), ORGANIZATION_NAMES))
    async with app.run_test(size=(80, 24)) as pilot:
        control(app, "first_name").value = "Chloe"
        control(app, "last_name").value = "Martin"
        control(app, "phone").value = "12"
        control(app, "email").value = "chloe at contoso"
        await save(pilot)
        assert app.results == []
        errors = shown_errors(app)
        assert set(errors) == {"phone", "email"}
        assert errors["email"].startswith("Enter a valid email address")
        assert errors["phone"].startswith("Enter a phone number of 7-15 digits")


async def test_team_add_refuses_someone_already_on_the_team() -> None:
    app = DialogHarness(TeamDialog(make_referral(), ORGANIZATION_NAMES))
    async with app.run_test(size=(80, 24)) as pilot:
        control(app, "first_name").value = "Marco"
        control(app, "last_name").value = "Rossi"
        control(app, "phone").value = "+1 206 555 0102"
        control(app, "email").value = "MARCO@contoso.example"
        await save(pilot)
        assert app.results == []
        assert shown_errors(app) == {"email": "Already on the team."}


async def test_team_escape_cancels() -> None:
    app = DialogHarness(TeamDialog(make_referral(), ORGANIZATION_NAMES))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


def test_a_team_change_is_either_an_addition_or_a_removal() -> None:
    member = TeamMemberForm(
        first_name="A", last_name="B", phone="+1 206 555 0100", email="a@b.example"
    )
    for bad in ({}, {"add": member, "remove": "a@b.example"}):
        try:
            TeamChange(**bad)  # type: ignore[arg-type]
        except ValueError:
            continue
        raise AssertionError(f"TeamChange({bad}) was accepted")


# --- solutions (R-DEAL-3, R-WIZ-5, R-ORG-4) ---------------------------------------------------


def picker(app: DialogHarness) -> SolutionPicker:
    return app.screen.query_one(SolutionPicker)


def listed(app: DialogHarness) -> list[str]:
    """The picker's rows as it draws them: headings bare, solutions behind their box (the
    list scrolls inside the dialog, so this reads every row, not only those in view)."""
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


def solutions_dialog(referral: Referral | None = None, vetted: bool = True) -> SolutionsDialog:
    return SolutionsDialog(referral or make_referral(), CATALOG, CONTOSO, vetted, LOCATIONS)


async def tick(pilot: Any, app: DialogHarness, solution: Solution) -> None:
    """Move the picker's cursor to `solution` and press space, as a user does."""
    box = picker(app)
    box.focus()
    index = next(
        i for i in range(box.option_count) if box.get_option_at_index(i).value == solution.id
    )
    box.highlighted = index
    await pilot.press("space")
    await pilot.pause()


async def test_solutions_are_grouped_relative_to_me_and_preselected() -> None:
    """R-ORG-4: my company's, vendor, third party; a non-SA deal is offered no assessment."""
    app = DialogHarness(solutions_dialog())
    async with app.run_test(size=(100, 40)):
        assert listed(app) == [
            "My company's",
            "[ ] Contoso Data Quickstart",
            "[x] Contoso Insight Cloud · incentive eligible",
            "Vendor",
            "[ ] Azure OpenAI Service",
            "[x] Microsoft Fabric",
            "Third party",
            "[ ] Fabrikam Landing Zone · incentive eligible",
            "[ ] Fabrikam Managed Ops",
        ]
        assert not field(app, "assessment_location_id").display
        assert app.screen.focused is control(app, "search")
        # drawn with a box that reads without colour (R-Q-3)
        drawn = on_screen(picker(app)).splitlines()
        assert drawn[:3] == [
            "My company's",
            "[ ] Contoso Data Quickstart",
            "[x] Contoso Insight Cloud · incentive eligible",
        ]


async def test_solutions_saved_unchanged_return_the_current_ones() -> None:
    app = DialogHarness(solutions_dialog())
    async with app.run_test(size=(80, 24)) as pilot:
        await save(pilot)
    # in list order: my company's first, then the vendor's
    assert app.results == [SolutionChoice(solution_ids=[INSIGHT.id, FABRIC.id])]


async def test_solutions_ticking_and_unticking_with_space() -> None:
    app = DialogHarness(solutions_dialog())
    async with app.run_test(size=(80, 24)) as pilot:
        await tick(pilot, app, FABRIC)  # off
        await tick(pilot, app, LANDING_ZONE)  # on
        await save(pilot)
    assert app.results == [SolutionChoice(solution_ids=[INSIGHT.id, LANDING_ZONE.id])]


async def test_solutions_need_at_least_one() -> None:
    app = DialogHarness(solutions_dialog())
    async with app.run_test(size=(80, 24)) as pilot:
        await tick(pilot, app, FABRIC)
        await tick(pilot, app, INSIGHT)
        await save(pilot)
        assert app.results == []
        assert shown_errors(app) == {"solution_ids": "Choose at least one solution."}


async def test_typing_in_search_filters_the_list_and_keeps_hidden_choices() -> None:
    app = DialogHarness(solutions_dialog())
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press(*"FAB")
        await pilot.pause()
        assert listed(app) == [
            "Vendor",
            "[x] Microsoft Fabric",
            "Third party",
            "[ ] Fabrikam Landing Zone · incentive eligible",
            "[ ] Fabrikam Managed Ops",
        ]
        await pilot.press("enter")  # to the list, on its first solution
        assert app.screen.focused is picker(app)
        await pilot.press("down", "space")  # Fabrikam Landing Zone
        await pilot.press("slash")  # back to the search box
        assert app.screen.focused is control(app, "search")
        await save(pilot)
    # Contoso Insight Cloud was filtered out of sight, never unticked: it stays chosen.
    assert app.results == [SolutionChoice(solution_ids=[INSIGHT.id, FABRIC.id, LANDING_ZONE.id])]


async def test_search_without_a_match_says_so_and_clearing_it_lists_everything() -> None:
    app = DialogHarness(solutions_dialog())
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press(*"[b]q")
        await pilot.pause()
        assert listed(app) == []
        note = app.screen.query_one("#no-match", Static)
        assert note.display
        assert plain(note) == "No solution's name holds “[b]q”."  # typed text shown literally
        control(app, "search").value = ""
        await pilot.pause()
        assert not note.display
        assert len([row for row in listed(app) if row.startswith("[")]) == 6


async def test_an_sa_deal_is_offered_only_assessments_and_asks_their_location() -> None:
    """R-DEAL-3: an SA deal's assessment can only be replaced by another assessment."""
    referral = make_referral(solutions=(MIGRATION,), sa=True)
    app = DialogHarness(solutions_dialog(referral))
    async with app.run_test(size=(100, 40)) as pilot:
        assert listed(app) == [
            "Assessment",
            "[x] Azure Migration Assessment",
            "[ ] Security Posture Assessment",
        ]
        location = field(app, "assessment_location_id")
        assert location.display
        assert control(app, "assessment_location_id").value == SEATTLE
        await tick(pilot, app, MIGRATION)
        await tick(pilot, app, SECURITY)
        control(app, "assessment_location_id").value = TORONTO
        await save(pilot)
    assert app.results == [
        SolutionChoice(solution_ids=[SECURITY.id], assessment_location_id=TORONTO)
    ]


async def test_two_assessments_are_refused() -> None:
    """R-WIZ-5: exactly one assessment."""
    app = DialogHarness(solutions_dialog(make_referral(solutions=(MIGRATION,), sa=True)))
    async with app.run_test(size=(80, 24)) as pilot:
        await tick(pilot, app, SECURITY)
        await save(pilot)
        assert app.results == []
        assert shown_errors(app) == {
            "solution_ids": (
                "An assessment excludes every other solution: choose exactly one assessment."
            )
        }


async def test_an_assessment_with_a_vendor_solution_is_refused() -> None:
    """R-WIZ-5: an assessment excludes every other solution. A deal holding both (data from
    before the rule) shows both ticked, so the user sees what must go, and cannot save it."""
    referral = make_referral(solutions=(MIGRATION, FABRIC), sa=True)
    app = DialogHarness(solutions_dialog(referral))
    async with app.run_test(size=(100, 40)) as pilot:
        assert "[x] Microsoft Fabric" in listed(app)
        await save(pilot)
        assert app.results == []
        assert shown_errors(app) == {
            "solution_ids": (
                "An assessment excludes every other solution: choose exactly one assessment."
            )
        }
        await tick(pilot, app, FABRIC)
        await save(pilot)
    assert app.results == [
        SolutionChoice(solution_ids=[MIGRATION.id], assessment_location_id=SEATTLE)
    ]


async def test_an_sa_deal_cannot_drop_its_assessment_for_nothing() -> None:
    app = DialogHarness(solutions_dialog(make_referral(solutions=(MIGRATION,), sa=True)))
    async with app.run_test(size=(80, 24)) as pilot:
        await tick(pilot, app, MIGRATION)
        await save(pilot)
        assert app.results == []
        assert shown_errors(app) == {"solution_ids": "Choose at least one solution."}


async def test_an_assessment_needs_its_location() -> None:
    """R-WIZ-5: the assessment asks which location it is for; none chosen is refused inline."""
    referral = make_referral(solutions=(MIGRATION,), sa=True, assessment_location_id=None)
    app = DialogHarness(solutions_dialog(referral))
    async with app.run_test(size=(80, 24)) as pilot:
        await save(pilot)
        assert app.results == []
        assert shown_errors(app) == {
            "assessment_location_id": "Choose which of your locations the assessment is for."
        }
        control(app, "assessment_location_id").value = LONDON
        await save(pilot)
    assert app.results == [
        SolutionChoice(solution_ids=[MIGRATION.id], assessment_location_id=LONDON)
    ]


async def test_a_non_vetted_organization_is_never_offered_an_assessment() -> None:
    app = DialogHarness(solutions_dialog(vetted=False))
    async with app.run_test(size=(100, 40)):
        assert not any("Assessment" in row for row in listed(app))
        assert not app.screen.query(".solutions-note")  # no talk of assessments at all


async def test_solutions_escape_cancels() -> None:
    app = DialogHarness(solutions_dialog())
    async with app.run_test(size=(80, 24)) as pilot:
        await tick(pilot, app, FABRIC)
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


# --- comment (R-DEAL-9) ------------------------------------------------------------------------


async def test_comment_names_the_deal_literally_and_says_every_party_reads_it() -> None:
    app = DialogHarness(CommentDialog(DEAL_NAME))
    async with app.run_test(size=(80, 24)):
        assert f"Deal  {DEAL_NAME}" in on_screen(app.screen.query_one(".comment-deal", Static))
        assert "Every party of this deal sees the discussion" in plain(
            field(app, "body").query_one(".field-hint", Static)
        )
        assert app.screen.focused is control(app, "body")


async def test_comment_returns_the_typed_text_over_several_lines() -> None:
    app = DialogHarness(CommentDialog(DEAL_NAME))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"Demo", "enter", *"Friday")
        await save(pilot)
    assert app.results == [CommentForm(body="Demo\nFriday")]


async def test_an_empty_comment_is_refused() -> None:
    app = DialogHarness(CommentDialog(DEAL_NAME))
    async with app.run_test(size=(80, 24)) as pilot:
        await save(pilot)
        assert shown_errors(app) == {"body": "This field is required."}
        await pilot.press("space", "enter", "space")  # only blanks
        await save(pilot)
        assert shown_errors(app) == {"body": "This field is required."}
    assert app.results == []


async def test_a_comment_over_4000_characters_is_refused_with_the_domain_message() -> None:
    app = DialogHarness(CommentDialog(DEAL_NAME))
    async with app.run_test(size=(80, 24)) as pilot:
        body: TextArea = control(app, "body")
        body.text = "x" * 4001
        await save(pilot)
        assert app.results == []
        assert shown_errors(app) == {"body": "Use at most 4000 characters (this has 4001)."}
        body.text = "x" * 4000
        await save(pilot)
    assert app.results == [CommentForm(body="x" * 4000)]


async def test_comment_escape_cancels() -> None:
    app = DialogHarness(CommentDialog(DEAL_NAME))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"half a thought")
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


# --- the shared dialog base, as these dialogs found it -----------------------------------------


class _SizeForm(BaseModel):
    size: CompanySize | None = None


class _OptionalChoiceDialog(FormDialog[_SizeForm]):
    def compose_fields(self) -> Any:
        yield Field(
            "Company size (optional)",
            Select([(s.value, s) for s in CompanySize], prompt="Not known"),
            "size",
        )

    def build(self, values: dict[str, Any]) -> _SizeForm:
        return _SizeForm.model_validate(values)


async def test_an_optional_choice_left_blank_is_saved_as_nothing() -> None:
    """R-Q-1 / R-UI-5: leaving an optional Select blank must not be refused. Fails today:
    Field.value() compares with `Select.BLANK` (Widget.BLANK, i.e. False) instead of
    `Select.NULL`, so a blank Select yields Select.NULL and the form is refused with "Choose
    one of the listed values." (see the report for the one-line fix in screens/dialog.py)."""
    app = DialogHarness(_OptionalChoiceDialog())
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.screen.query_one(Select).value is Select.NULL
        await save(pilot)
    assert app.results == [_SizeForm(size=None)]


async def test_edit_refuses_a_new_close_date_in_the_past_inside_the_dialog() -> None:
    """R-UI-5: the dialog refuses it before closing, so nothing typed is lost."""
    app = DialogHarness(EditDialog(make_referral(), "Seattle, US", today=date(2026, 11, 27)))
    async with app.run_test(size=(80, 24)) as pilot:
        control(app, "close_date").value = "2026-11-01"
        await save(pilot)
        assert app.results == []
        assert "today or a later date" in error(app, "close_date")
        control(app, "close_date").value = "2026-12-01"
        await save(pilot)
    assert len(app.results) == 1 and app.results[0].close_date == date(2026, 12, 1)
