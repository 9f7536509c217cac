"""Every deal action end to end through the real app, asserting the database afterwards (issue 3).

Each test signs a demo user in, opens a deal from its list (or, for deals a list does not show
by default, straight by id), works the action's dialog with the keyboard as a user would, and
then reads the database: the state the services stored is what the user meant to do.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Select, SelectionList, Static, TextArea

from cosell_tui import services
from cosell_tui.app import CoSellApp
from cosell_tui.domain.enums import HelpType, LostReason, Stage
from cosell_tui.domain.errors import InvalidState
from cosell_tui.domain.models import EditForm, User
from cosell_tui.domain.registration import ReviewAction
from cosell_tui.screens.deal import DealScreen, InviteChoice
from cosell_tui.screens.dialog import ConfirmDialog
from cosell_tui.screens.dialogs.accept import AcceptDialog
from cosell_tui.screens.dialogs.close import LostDialog, WonDialog
from cosell_tui.screens.dialogs.comment import CommentDialog
from cosell_tui.screens.dialogs.edit import EditDialog
from cosell_tui.screens.dialogs.invite import InvitePartnersDialog, InviteVendorDialog
from cosell_tui.screens.dialogs.register import RegisterDialog
from cosell_tui.screens.dialogs.review import ReviewDialog
from cosell_tui.screens.dialogs.stage import StageDialog
from cosell_tui.store import queries
from cosell_tui.store.database import Database
from tests.ui.test_deal_flows import select_row, status_of
from tests.ui.test_main_screen import current, running, settle, sql

CONTOSO = "Contoso Analytics"
TAILSPIN = "Tailspin Security"
IN_NEW = "Adatum Corporation — Copilot rollout"  # Megan → Contoso Seattle, received
PRIVATE_OPEN = "Coho Winery — Data platform modernization"  # Contoso private, Qualified
PRIVATE_LOST = "VanArsdel — Supply chain forecasting"  # Contoso private, lost
COSELL_OPEN = "Humongous Insurance — Zero-trust security uplift"  # Contoso + vendor accepted
SA_OPEN = "Bellows College — Azure migration readiness"  # Contoso assessment, Collect data
TODAY = date(2026, 11, 27)  # the demo's frozen date (tests/conftest.py)

# --- helpers ------------------------------------------------------------------------------


def deal_id(db: Database, org_name: str, deal_name: str) -> str:
    rows = sql(
        db,
        "SELECT r.id FROM referrals r JOIN organizations o ON o.id = r.organization_id "
        "WHERE o.name = ? AND r.name = ?",
        org_name,
        deal_name,
    )
    assert len(rows) == 1, rows
    return str(rows[0][0])


def one(db: Database, statement: str, *args: object) -> tuple[object, ...]:
    rows = sql(db, statement, *args)
    assert len(rows) == 1, rows
    return rows[0]


async def open_from_list(app: CoSellApp, pilot: Pilot[None], tab: str, name: str) -> DealScreen:
    """Switch to tab `1`/`2`/`3`, put the cursor on `name` and press enter, as a user would."""
    await pilot.press(tab)
    await settle(app, pilot)
    await select_row(app, pilot, name)
    current(app).focus()
    await pilot.press("enter")
    await settle(app, pilot)
    return deal_screen(app, name)


async def open_by_id(app: CoSellApp, pilot: Pilot[None], referral_id: str) -> DealScreen:
    app.push_screen(DealScreen(referral_id))
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, DealScreen)
    return screen


def deal_screen(app: CoSellApp, name: str | None = None) -> DealScreen:
    screen = app.screen
    assert isinstance(screen, DealScreen), type(screen).__name__
    assert screen.view is not None
    if name is not None:
        assert screen.view.referral.name == name
    return screen


async def press(app: CoSellApp, pilot: Pilot[None], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(app, pilot)


async def confirm_final(app: CoSellApp, pilot: Pilot[None]) -> None:
    """R-LIFE-1: the move into a final state is asked first, and says it cannot be undone."""
    assert isinstance(app.screen, ConfirmDialog), type(app.screen).__name__
    assert "cannot be undone" in str(app.screen.query_one(".dialog-warning").render())
    await press(app, pilot, "y")


def errors_shown(app: CoSellApp) -> list[str]:
    return [n.message for n in app._notifications if n.severity == "error"]


# --- accept (R-LIFE-3) --------------------------------------------------------------------


async def test_accept_from_inbound_with_the_prefilled_dialog(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-LIFE-3: accepting moves the deal to Accepted (10 %) with the accepting user on its team;
    # R-NOTE-2: the sender (Megan) is told.
    dana, megan = people["Dana"], people["Megan"]
    received = deal_id(demo_db, CONTOSO, IN_NEW)
    told_before = sql(
        demo_db,
        "SELECT count(*) FROM notifications WHERE user_id = ? AND kind = 'invitation_accepted'",
        megan.id,
    )[0][0]
    async with running(demo_db, dana) as (app, pilot):
        screen = await open_from_list(app, pilot, "1", IN_NEW)
        assert screen.check_action("accept", ())
        await press(app, pilot, "a")
        assert isinstance(app.screen, AcceptDialog)
        assert app.screen.query_one("#name", Input).value == IN_NEW  # prefilled from the deal
        await press(app, pilot, "ctrl+s")
        screen = deal_screen(app)
        assert screen.view is not None and screen.view.referral.status.value == "accepted"
        assert not screen.check_action("accept", ())
        assert screen.check_action("stage", ())
    assert errors_shown(app) == []
    assert one(demo_db, "SELECT status, stage FROM referrals WHERE id = ?", received) == (
        "accepted",
        "accepted",
    )
    team = {
        str(r[0])
        for r in sql(
            demo_db,
            "SELECT email FROM team_members WHERE referral_id = ? AND organization_id = ?",
            received,
            dana.organization_id,
        )
    }
    assert team == {dana.email}
    sender = one(
        demo_db,
        "SELECT r.id FROM referrals r JOIN referrals me ON me.engagement_id = r.engagement_id "
        "WHERE me.id = ? AND r.organization_id = ?",
        received,
        megan.organization_id,
    )[0]
    told = sql(
        demo_db,
        "SELECT referral_id FROM notifications WHERE user_id = ? AND kind = 'invitation_accepted'",
        megan.id,
    )
    assert len(told) == int(str(told_before)) + 1
    assert (sender,) in told


# --- edit (R-LIFE-6) ----------------------------------------------------------------------


async def test_edit_renames_the_deal_and_logs_old_to_new(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-LIFE-6: the name is editable on an accepted deal; R-AUD-1: the change is logged old → new
    coho = deal_id(demo_db, CONTOSO, PRIVATE_OPEN)
    renamed = f"{PRIVATE_OPEN} II"
    async with running(demo_db, people["Dana"]) as (app, pilot):
        await open_from_list(app, pilot, "2", PRIVATE_OPEN)
        await press(app, pilot, "e")
        dialog = app.screen
        assert isinstance(dialog, EditDialog)
        name = dialog.query(Input).first()
        assert app.focused is name and name.value == PRIVATE_OPEN
        await pilot.press("end", "space", "I", "I")
        await press(app, pilot, "ctrl+s")
        screen = deal_screen(app, renamed)  # the screen reloads what was stored
        assert renamed in str(screen.query_one("#deal-title", Static).render())
    assert one(demo_db, "SELECT name FROM referrals WHERE id = ?", coho) == (renamed,)
    assert (PRIVATE_OPEN, renamed) in sql(
        demo_db,
        "SELECT old, new FROM activity WHERE referral_id = ? AND field = 'name'",
        coho,
    )


async def test_a_closed_deal_offers_no_edit_and_the_service_refuses_it(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-LIFE-1/6: a lost deal never changes: `e` is not offered, and the service refuses it
    dana = people["Dana"]
    lost = deal_id(demo_db, CONTOSO, PRIVATE_LOST)
    async with running(demo_db, dana) as (app, pilot):
        screen = await open_by_id(app, pilot, lost)
        assert screen.view is not None and screen.view.referral.status.value == "lost"
        assert screen.check_action("edit", ()) is False
        await press(app, pilot, "e")
        assert app.screen is screen  # no dialog opened
    with demo_db.reading() as session:
        ref = queries.referral(session, lost)
    form = EditForm(
        name="Changed",
        value=ref.value,
        currency=ref.currency,
        close_date=ref.close_date,
        notes=ref.notes,
        crm_id=ref.crm_id,
        campaign_id=ref.campaign_id,
    )
    with pytest.raises(InvalidState):
        services.edit(demo_db, dana, lost, form, ref.version)
    assert one(demo_db, "SELECT name, status FROM referrals WHERE id = ?", lost) == (
        PRIVATE_LOST,
        "lost",
    )


# --- stages (R-LIFE-7, R-LIFE-8) ----------------------------------------------------------


async def test_sa_deal_is_won_only_after_the_present_to_customer_stage(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-LIFE-8: an SA deal at "Collect data" cannot be won; the dialog says what it waits for.
    # R-LIFE-7: choosing a later stage marks the ones before it; then Won closes the deal.
    sa = deal_id(demo_db, CONTOSO, SA_OPEN)
    async with running(demo_db, people["Dana"]) as (app, pilot):
        await open_from_list(app, pilot, "2", SA_OPEN)
        await press(app, pilot, "w")
        blocked = app.screen
        assert isinstance(blocked, WonDialog)
        assert blocked.blocker is not None
        assert "Present to customer" in str(blocked.query_one(".won-blocker").render())
        assert not blocked.query("#save")  # no way to save: only Close
        assert blocked.check_action("save", ()) is False
        await press(app, pilot, "ctrl+s")
        assert app.screen is blocked
        assert status_of(demo_db, CONTOSO, SA_OPEN) == "accepted"
        await press(app, pilot, "escape")
        deal_screen(app)

        await press(app, pilot, "s")
        assert isinstance(app.screen, StageDialog)
        stages = app.screen.query_one("#stages", OptionList)
        target = next(
            i
            for i in range(stages.option_count)
            if str(stages.get_option_at_index(i).prompt).startswith("· Present to customer")
        )
        stages.highlighted = target
        await press(app, pilot, "enter")
        screen = deal_screen(app)
        assert screen.view is not None and screen.view.referral.stage is Stage.NEGOTIATED
        assert one(demo_db, "SELECT stage FROM referrals WHERE id = ?", sa) == ("negotiated",)
        marks = {
            str(r[0])
            for r in sql(demo_db, "SELECT stage FROM stage_marks WHERE referral_id = ?", sa)
        }
        assert {"qualified", "developed", "proposed", "negotiated"} <= marks

        await press(app, pilot, "w")
        won = app.screen
        assert isinstance(won, WonDialog) and won.blocker is None
        await press(app, pilot, "ctrl+s")
        assert not won.offers_registration  # SA deals are never registered (R-REG-1)
        await confirm_final(app, pilot)
        screen = deal_screen(app)
        assert screen.view is not None and screen.view.referral.status.value == "won"
    assert errors_shown(app) == []
    assert status_of(demo_db, CONTOSO, SA_OPEN) == "won"


# --- won, with registration offered (R-REG-1) ---------------------------------------------


async def test_won_co_sell_deal_offers_registration_and_opens_the_form(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-REG-1: a won co-sell deal with the vendor engaged and an incentive-eligible solution gets
    # an incomplete registration, and the app offers to register it at once.
    humongous = deal_id(demo_db, CONTOSO, COSELL_OPEN)
    async with running(demo_db, people["Dana"]) as (app, pilot):
        await open_from_list(app, pilot, "2", COSELL_OPEN)
        await press(app, pilot, "w")
        assert isinstance(app.screen, WonDialog) and app.screen.offers_registration
        await press(app, pilot, "ctrl+s")
        await confirm_final(app, pilot)
        assert status_of(demo_db, CONTOSO, COSELL_OPEN) == "won"
        assert one(
            demo_db, "SELECT status FROM registrations WHERE referral_id = ?", humongous
        ) == ("incomplete",)
        offer = app.screen
        assert isinstance(offer, ConfirmDialog), type(offer).__name__
        assert offer.question == "Register this deal now?"
        await press(app, pilot, "y")
        assert isinstance(app.screen, RegisterDialog)
        await press(app, pilot, "escape")
        screen = deal_screen(app)
        assert screen.view is not None and screen.view.referral.status.value == "won"
        assert screen.check_action("register", ())  # "Register now" stays available
    assert one(demo_db, "SELECT status FROM registrations WHERE referral_id = ?", humongous) == (
        "incomplete",
    )


# --- lost (R-LIFE-6) ----------------------------------------------------------------------


@pytest.mark.long
async def test_lost_with_a_reason_closes_the_deal(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-LIFE-6: Lost needs a reason, is confirmed as final, and stores the reason
    coho = deal_id(demo_db, CONTOSO, PRIVATE_OPEN)
    async with running(demo_db, people["Dana"]) as (app, pilot):
        await open_from_list(app, pilot, "2", PRIVATE_OPEN)
        await press(app, pilot, "l")
        dialog = app.screen
        assert isinstance(dialog, LostDialog)
        await press(app, pilot, "ctrl+s")  # no reason yet: refused inline, nothing asked
        assert app.screen is dialog
        dialog.query_one(Select).value = LostReason.LOST_TO_COMPETITOR
        await press(app, pilot, "ctrl+s")
        await confirm_final(app, pilot)
        screen = deal_screen(app)
        assert screen.view is not None and screen.view.referral.status.value == "lost"
        assert not screen.check_action("edit", ())
    assert one(demo_db, "SELECT status, closing_reason FROM referrals WHERE id = ?", coho) == (
        "lost",
        "lost_to_competitor",
    )


# --- invitations (R-INV-2, R-INV-3) -------------------------------------------------------


async def choose_invite(app: CoSellApp, pilot: Pilot[None], whom: str) -> None:
    """`i`; where both the vendor and partners may be invited, pick `whom` in the choice."""
    await press(app, pilot, "i")
    if isinstance(app.screen, InviteChoice):
        choice = app.screen.query_one("#invite-choice", OptionList)
        choice.highlighted = next(
            i for i in range(choice.option_count) if choice.get_option_at_index(i).id == whom
        )
        await press(app, pilot, "enter")


async def test_inviting_the_vendor_makes_the_deal_co_sell(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-INV-2: inviting the vendor's sellers (contact consented) makes the deal co-sell and
    # gives the vendor a received inbound referral
    coho = deal_id(demo_db, CONTOSO, PRIVATE_OPEN)
    async with running(demo_db, people["Dana"]) as (app, pilot):
        await open_from_list(app, pilot, "2", PRIVATE_OPEN)
        await choose_invite(app, pilot, "vendor")
        dialog = app.screen
        assert isinstance(dialog, InviteVendorDialog)
        dialog.query_one("#vendor-help", Select).value = HelpType.PROOF_OF_CONCEPT_OR_DEMO
        await press(app, pilot, "ctrl+s")
        screen = deal_screen(app)
        assert screen.view is not None
        assert screen.view.referral.deal_type.value == "co_sell"
    assert errors_shown(app) == []
    engagement = one(demo_db, "SELECT engagement_id FROM referrals WHERE id = ?", coho)[0]
    assert one(demo_db, "SELECT deal_type FROM engagements WHERE id = ?", engagement) == (
        "co_sell",
    )
    assert one(
        demo_db,
        "SELECT r.status, r.direction, r.help_requested FROM referrals r "
        "JOIN organizations o ON o.id = r.organization_id "
        "WHERE r.engagement_id = ? AND o.is_vendor",
        engagement,
    ) == ("received", "inbound", "proof_of_concept_or_demo")


def fill_tailspin_terms(dialog: InvitePartnersDialog) -> object:
    """Tailspin's Sydney location, a value and its first (own) solution; Sydney's id."""
    locations = dialog.query_one("#partner-location", Select)
    sydney = next(value for label, value in locations._options if str(label) == "Sydney, AU")
    locations.value = sydney
    dialog.query_one("#partner-value", Input).value = "40000"
    solutions: SelectionList[int] = dialog.query_one("#partner-solutions", SelectionList)
    solutions.select(solutions.get_option_at_index(0))  # its own solutions are listed first
    return sydney


async def open_partner_invite(
    app: CoSellApp, pilot: Pilot[None], db: Database
) -> tuple[InvitePartnersDialog, object, date]:
    """Coho Winery's partner invitation with Tailspin chosen and its terms filled in."""
    tailspin_id = one(db, "SELECT id FROM organizations WHERE name = ?", TAILSPIN)[0]
    screen = await open_from_list(app, pilot, "2", PRIVATE_OPEN)
    assert screen.view is not None
    close_date = screen.view.referral.close_date
    await choose_invite(app, pilot, "partners")
    dialog = app.screen
    assert isinstance(dialog, InvitePartnersDialog)
    # R-INV-3: the close date is pre-filled from the deal
    assert dialog.query_one("#partner-close-date", Input).value == close_date.isoformat()
    dialog.query_one("#partner", Select).value = tailspin_id
    await pilot.pause()
    sydney = fill_tailspin_terms(dialog)
    return dialog, sydney, close_date


def tailspin_side(db: Database, coho: str) -> list[tuple[object, ...]]:
    return sql(
        db,
        "SELECT r.id, r.status, r.direction, r.location_id, r.close_date FROM referrals r "
        "JOIN referrals me ON me.engagement_id = r.engagement_id "
        "JOIN organizations o ON o.id = r.organization_id WHERE me.id = ? AND o.name = ?",
        coho,
        TAILSPIN,
    )


async def test_invited_partner_sees_the_deal_in_its_inbound_list(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-INV-3: Tailspin gets its own received inbound deal; its admin, Mia, then finds it in
    # her Inbound tab
    coho = deal_id(demo_db, CONTOSO, PRIVATE_OPEN)
    later = TODAY + timedelta(days=60)
    async with running(demo_db, people["Dana"]) as (app, pilot):
        dialog, sydney, _ = await open_partner_invite(app, pilot, demo_db)
        # Coho Winery is overdue (its close date has passed): the partner's must be today or later
        dialog.query_one("#partner-close-date", Input).value = later.isoformat()
        await press(app, pilot, "ctrl+s")
        deal_screen(app)
    assert errors_shown(app) == []
    [invited] = tailspin_side(demo_db, coho)
    assert invited[1:] == ("received", "inbound", sydney, later.isoformat())

    async with running(demo_db, people["Mia"]) as (app, pilot):
        inbound = current(app)
        assert inbound.deal_query.tab.value == "inbound"
        assert invited[0] in {row.id for row in inbound._pages.get(0, [])}


async def test_a_past_partner_close_date_is_refused_inside_the_dialog(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-UI-5: inline validation. The close date pre-filled from an overdue deal is in the past,
    # which the service refuses; the dialog must say so under the field and keep what was typed,
    # not close and lose the whole invitation to an error notice.
    coho = deal_id(demo_db, CONTOSO, PRIVATE_OPEN)
    async with running(demo_db, people["Dana"]) as (app, pilot):
        dialog, _, close_date = await open_partner_invite(app, pilot, demo_db)
        assert close_date < TODAY  # the demo's Coho Winery deal is overdue
        await press(app, pilot, "ctrl+s")
        assert app.screen is dialog, "the dialog closed; the service refused it afterwards"
        field = dialog.query_one("#partner-close-date", Input).parent
        assert field is not None and field.has_class("-invalid")
    assert tailspin_side(demo_db, coho) == []


# --- the seller's review of a registration (R-REG-3) --------------------------------------


async def test_seller_approves_the_review_step(demo_db: Database, people: dict[str, User]) -> None:
    # R-REG-3: the vendor's seller approves step 1; the registration moves to final validation
    megan = people["Megan"]
    registration_id, vendor_side, name = one(
        demo_db,
        "SELECT g.id, v.id, v.name FROM registrations g "
        "JOIN referrals p ON p.id = g.referral_id "
        "JOIN referrals v ON v.engagement_id = p.engagement_id AND v.id != p.id "
        "JOIN organizations o ON o.id = v.organization_id "
        "WHERE g.status = 'in_review' AND o.is_vendor",
    )
    async with running(demo_db, megan) as (app, pilot):
        # the vendor's side of a won partner deal is still active for the vendor (Inbound)
        screen = await open_from_list(app, pilot, "1", str(name))
        assert screen.referral_id == vendor_side
        assert screen.check_action("review", ())
        await press(app, pilot, "R")
        dialog = app.screen
        assert isinstance(dialog, ReviewDialog)
        assert app.focused is dialog.query_one(".dialog-body")  # the facts are read first
        dialog.query_one("#review-action", Select).value = ReviewAction.APPROVE
        await press(app, pilot, "ctrl+s")
        deal_screen(app)
    assert errors_shown(app) == []
    assert one(demo_db, "SELECT status FROM registrations WHERE id = ?", registration_id) == (
        "in_validation",
    )


# --- comments (R-DEAL-9, R-Q-1) -----------------------------------------------------------


async def test_a_comment_is_stored_and_shown_exactly_as_typed(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-DEAL-9: a comment joins the deal's discussion; R-Q-1: markup in it is shown literally
    body = "Call [bold]x[/] on Monday"
    coho = deal_id(demo_db, CONTOSO, PRIVATE_OPEN)
    engagement = one(demo_db, "SELECT engagement_id FROM referrals WHERE id = ?", coho)[0]
    async with running(demo_db, people["Dana"], size=(120, 40)) as (app, pilot):
        await open_from_list(app, pilot, "2", PRIVATE_OPEN)
        await press(app, pilot, "c")
        dialog = app.screen
        assert isinstance(dialog, CommentDialog)
        assert app.focused is dialog.query_one(TextArea)
        await pilot.press(*body)
        await press(app, pilot, "ctrl+s")
        screen = deal_screen(app)
        discussion = screen.query_one("#discussion", Static)
        assert body in str(discussion.render())
        discussion.scroll_visible(animate=False)
        await pilot.pause()
        shown = app.export_screenshot().replace("&#160;", " ")
    assert body in shown
    assert (body, people["Dana"].id) in sql(
        demo_db, "SELECT body, author_user_id FROM comments WHERE engagement_id = ?", engagement
    )
