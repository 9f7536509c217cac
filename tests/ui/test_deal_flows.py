"""End-to-end flows through the deal screen, asserting the database afterwards (issue 3)."""

from __future__ import annotations

from cosell_tui.app import build_app
from cosell_tui.domain.models import User
from cosell_tui.screens.deal import DealScreen
from cosell_tui.screens.dialog import ConfirmDialog
from cosell_tui.screens.too_small import TooSmallScreen
from cosell_tui.store.database import Database
from tests.ui.test_main_screen import current, running, settle, sql

IN_NEW = "Adatum Corporation — Copilot rollout"


def status_of(db: Database, org_name: str, deal_name: str) -> str:
    rows = sql(
        db,
        "SELECT r.status FROM referrals r JOIN organizations o ON o.id = r.organization_id "
        "WHERE o.name = ? AND r.name = ?",
        org_name,
        deal_name,
    )
    assert len(rows) == 1, rows
    return str(rows[0][0])


async def select_row(app: object, pilot: object, name: str) -> None:
    deal_list = current(app)  # type: ignore[arg-type]
    rows = deal_list._pages[0]
    index = next(i for i, row in enumerate(rows) if row.name == name)
    deal_list.cursor = index
    await settle(app, pilot)  # type: ignore[arg-type]


async def test_decline_from_the_list_asks_then_declines(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-LIFE-3/5, §9 `d` on a received row; R-LIFE-1: the final move is confirmed first
    async with running(demo_db, people["Dana"]) as (app, pilot):
        await select_row(app, pilot, IN_NEW)
        await pilot.press("d")
        await settle(app, pilot)
        assert isinstance(app.screen_stack[-2], DealScreen)
        from textual.widgets import Select

        from cosell_tui.domain.enums import DeclineReason

        app.screen.query_one(Select).value = DeclineReason.CUSTOMER_CHOSE_ANOTHER_VENDOR
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "cannot be undone" in str(app.screen.query_one(".dialog-warning").render())
        assert status_of(demo_db, "Contoso Analytics", IN_NEW) == "received"
        await pilot.press("y")
        await settle(app, pilot)
        assert status_of(demo_db, "Contoso Analytics", IN_NEW) == "declined"
        assert isinstance(app.screen, DealScreen)
        assert app.screen.view is not None and app.screen.view.referral.status.value == "declined"
        assert not app.screen.check_action("decline", ())


async def test_saying_no_to_the_confirmation_changes_nothing(
    demo_db: Database, people: dict[str, User]
) -> None:
    async with running(demo_db, people["Dana"]) as (app, pilot):
        await select_row(app, pilot, IN_NEW)
        await pilot.press("d")
        await settle(app, pilot)
        from textual.widgets import Select

        from cosell_tui.domain.enums import DeclineReason

        app.screen.query_one(Select).value = DeclineReason.OTHER
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await pilot.press("n")
        await settle(app, pilot)
        assert status_of(demo_db, "Contoso Analytics", IN_NEW) == "received"


async def test_a_referral_user_who_may_not_act_is_refused(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-ACL-1/2/3: Chloe (referral user, London, not on the team) cannot open or act on it
    deal_id = str(
        sql(
            demo_db,
            "SELECT r.id FROM referrals r JOIN organizations o ON o.id = r.organization_id "
            "WHERE o.name = 'Contoso Analytics' AND r.name = ?",
            IN_NEW,
        )[0][0]
    )
    async with running(demo_db, people["Chloe"]) as (app, pilot):
        assert deal_id not in {row.id for row in current(app)._pages.get(0, [])}
        app.push_screen(DealScreen(deal_id, then="decline"))
        await settle(app, pilot)
        assert not isinstance(app.screen, DealScreen)
        assert any("cannot see it" in n.message for n in app._notifications)
    assert status_of(demo_db, "Contoso Analytics", IN_NEW) == "received"


async def test_a_terminal_that_is_too_small_says_so(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-Q-3: below 80x24 the app says the terminal is too small
    app = build_app(demo_db, people["Dana"])
    async with app.run_test(size=(70, 20)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen)
        assert "too small" in str(app.screen.query_one("#too-small").render())
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert not isinstance(app.screen, TooSmallScreen)


async def test_the_app_expires_overdue_invitations_when_it_starts(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-LIFE-4, issue 3 item 7: the sweep runs at start (and every minute) on the frozen date
    from datetime import timedelta

    due = sql(
        demo_db,
        "SELECT id FROM referrals WHERE status = 'received' "
        "AND response_deadline <= '2026-11-30 09:00:00'",
    )
    assert due
    clock = demo_db.clock
    clock.advance(timedelta(days=3))  # type: ignore[attr-defined]
    async with running(demo_db, people["Dana"]) as (app, pilot):
        await settle(app, pilot)
        names = {row.name for row in current(app)._pages.get(0, [])}
    statuses = {
        str(r[0])
        for r in sql(
            demo_db,
            f"SELECT status FROM referrals WHERE id IN ({','.join('?' for _ in due)})",
            *[d[0] for d in due],
        )
    }
    assert statuses == {"expired"}
    assert "Adatum Corporation — Analytics lakehouse" not in names  # expired: not active


async def test_deal_text_is_shown_literally(demo_db: Database, people: dict[str, User]) -> None:
    # R-Q-1: notes and comments holding markup or escape sequences appear exactly as typed
    deal_id = str(
        sql(
            demo_db,
            "SELECT r.id FROM referrals r JOIN organizations o ON o.id = r.organization_id "
            "WHERE o.name = 'Contoso Analytics' AND r.name = ?",
            "Coho Winery — Data platform modernization",
        )[0][0]
    )
    assert demo_db.path is not None
    import sqlite3

    with sqlite3.connect(demo_db.path) as connection:
        connection.execute(
            "UPDATE referrals SET notes = '[bold]x[/] and ' || char(27) || '[31mred' WHERE id = ?",
            (deal_id,),
        )
    async with running(demo_db, people["Dana"], size=(120, 40)) as (app, pilot):
        app.push_screen(DealScreen(deal_id))
        await settle(app, pilot)
        screen = app.export_screenshot()
    assert "[bold]x[/] and \\x1b[31mred" in screen.replace("&#160;", " ")


async def test_markup_in_names_and_cities_is_shown_not_parsed(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-Q-1: a user's or a location's name holding markup neither crashes nor styles anything
    import sqlite3

    assert demo_db.path is not None
    with sqlite3.connect(demo_db.path) as connection:
        connection.execute("UPDATE users SET last_name = 'Whit[/]field' WHERE first_name = 'Dana'")
        connection.execute("UPDATE locations SET city = 'Seattle [/x]' WHERE city = 'Seattle'")
    dana = people["Dana"].model_copy(update={"last_name": "Whit[/]field"})
    async with running(demo_db, dana, size=(120, 40)) as (app, pilot):
        assert "Whit[/]field" in app.export_screenshot()
        await pilot.press("2")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, DealScreen)
        assert "Seattle [/x]" in app.export_screenshot().replace("&#160;", " ")


async def test_the_cursor_stays_on_its_deal_when_the_list_reloads(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-UI-1: a reload (the sweep, a favorite, coming back from a deal) keeps the user's place
    async with running(demo_db, people["Dana"]) as (app, pilot):
        await pilot.press("2", "down", "down", "down")
        await settle(app, pilot)
        before = current(app).current
        assert before is not None and current(app).cursor == 3
        current(app).reload()
        await settle(app, pilot)
        assert current(app).current is not None and current(app).current.id == before.id  # type: ignore[union-attr]
