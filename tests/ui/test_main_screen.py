"""Pilot tests of the main screen (R-UI-1): tabs, filter, sort, view, favorites, opening a deal."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, TabbedContent

from cosell_tui.app import CoSellApp, build_app
from cosell_tui.domain.listing import Tab
from cosell_tui.domain.models import User
from cosell_tui.store.database import Database
from cosell_tui.widgets.deal_list import DealList

AppFactory = Callable[[User], CoSellApp]


@asynccontextmanager
async def running(
    db: Database, user: User, size: tuple[int, int] = (80, 24)
) -> AsyncIterator[tuple[CoSellApp, Pilot[None]]]:
    app = build_app(db, user)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        yield app, pilot


async def settle(app: CoSellApp, pilot: Pilot[None]) -> None:
    """Let the workers finish and the screen catch up."""
    for _ in range(200):
        await pilot.pause(0.02)
        if not any(worker.is_running for worker in app.workers):
            break
    await pilot.pause()


def current(app: CoSellApp) -> DealList:
    return app.screen.query_one("TabbedContent").query_one(
        f"#list-{app.screen.query_one('TabbedContent').active}", DealList
    )


def names(deal_list: DealList) -> list[str]:
    rows = deal_list._pages.get(0, [])
    return [row.name for row in rows]


def sql(db: Database, statement: str, *args: object) -> list[tuple[object, ...]]:
    assert db.path is not None
    connection = sqlite3.connect(db.path)
    try:
        return connection.execute(statement, args).fetchall()
    finally:
        connection.close()


def visible_ids(db: Database, user: User, direction: str, statuses: tuple[str, ...]) -> set[str]:
    marks = ",".join("?" for _ in statuses)
    rows = sql(
        db,
        f"SELECT id FROM referrals WHERE organization_id = ? AND direction = ? "
        f"AND status IN ({marks})",
        user.organization_id,
        direction,
        *statuses,
    )
    return {str(r[0]) for r in rows}


async def test_tabs_list_what_the_admin_may_see(demo_db: Database, people: dict[str, User]) -> None:
    # R-UI-1, R-ACL-1: an admin sees the organization's active inbound and outbound deals
    dana = people["Dana"]
    async with running(demo_db, dana) as (app, pilot):
        inbound = current(app)
        expected = visible_ids(demo_db, dana, "inbound", ("received", "accepted"))
        assert inbound.total == len(expected)
        assert {row.id for row in inbound._pages[0]} == expected
        await pilot.press("2")
        await settle(app, pilot)
        outbound = current(app)
        assert outbound.deal_query.tab.value == "outbound"
        assert outbound.total == len(
            visible_ids(demo_db, dana, "outbound", ("received", "accepted"))
        )
        await pilot.press("1")
        await settle(app, pilot)
        assert current(app) is inbound


async def test_inbound_is_sorted_most_urgent_first(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-UI-1: received deals by days left, the closest deadline first
    async with running(demo_db, people["Dana"]) as (app, _):
        rows = current(app)._pages[0]
        received = [r for r in rows if r.status.value == "received"]
        deadlines = [r.response_deadline for r in received]
        assert deadlines == sorted(d for d in deadlines if d is not None)
        assert rows[: len(received)] == received


async def test_filter_as_you_type_keeps_it_on_enter_and_clears_on_escape(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-UI-1, §9: `/` filters by deal or customer name, case-insensitively
    async with running(demo_db, people["Dana"]) as (app, pilot):
        await pilot.press("2")
        await settle(app, pilot)
        everything = current(app).total
        await pilot.press("slash", "C", "O", "H", "O")
        await settle(app, pilot)
        assert current(app).total == 1
        assert names(current(app)) == ["Coho Winery — Data platform modernization"]
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.focused is current(app)
        assert current(app).total == 1
        await pilot.press("slash", "escape")
        await settle(app, pilot)
        assert current(app).total == everything


async def test_sort_by_a_column_and_again_to_reverse(
    demo_db: Database, people: dict[str, User]
) -> None:
    # §9 `o`: choose a column; choosing it again reverses the order
    async with running(demo_db, people["Dana"]) as (app, pilot):
        await pilot.press("2")
        await settle(app, pilot)

        async def sort_by(title: str) -> None:
            await pilot.press("o")
            await pilot.pause()
            options = app.screen.query_one("#sort-options")
            index = next(
                i
                for i in range(options.option_count)  # type: ignore[attr-defined]
                if str(options.get_option_at_index(i).prompt).startswith(title)  # type: ignore[attr-defined]
            )
            options.highlighted = index  # type: ignore[attr-defined]
            await pilot.press("enter")
            await settle(app, pilot)

        await sort_by("Deal")
        ascending = names(current(app))
        assert ascending == sorted(ascending, key=str.lower)
        await sort_by("Deal")
        assert names(current(app)) == list(reversed(ascending))


async def test_view_cycles_active_closed_all(demo_db: Database, people: dict[str, User]) -> None:
    # R-UI-1, §9 `v`
    dana = people["Dana"]
    async with running(demo_db, dana) as (app, pilot):
        await pilot.press("2", "v")
        await settle(app, pilot)
        closed = visible_ids(demo_db, dana, "outbound", ("won", "lost", "declined", "expired"))
        assert {row.id for row in current(app)._pages[0]} == closed
        assert all(row.terminal for row in current(app)._pages[0])
        await pilot.press("v")
        await settle(app, pilot)
        assert current(app).total == len(
            visible_ids(
                demo_db,
                dana,
                "outbound",
                ("received", "accepted", "won", "lost", "declined", "expired"),
            )
        )


async def test_favorite_toggle_and_favorites_tab(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-FAV-1, §9 `f`
    dana = people["Dana"]
    async with running(demo_db, dana) as (app, pilot):
        await pilot.press("2")
        await settle(app, pilot)
        row = current(app).current
        assert row is not None and not row.favorite
        await pilot.press("f")
        await settle(app, pilot)
        stored = sql(
            demo_db,
            "SELECT count(*) FROM favorites WHERE user_id = ? AND referral_id = ?",
            dana.id,
            row.id,
        )
        assert stored == [(1,)]
        assert current(app).current is not None and current(app).current.favorite  # type: ignore[union-attr]
        await pilot.press("3")
        await settle(app, pilot)
        assert row.id in {r.id for r in current(app)._pages[0]}


async def test_enter_opens_the_deal_and_escape_comes_back(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-UI-2, §9 `enter` / `escape`
    from cosell_tui.screens.deal import DealScreen

    async with running(demo_db, people["Dana"]) as (app, pilot):
        row = current(app).current
        assert row is not None
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, DealScreen)
        assert app.screen.view is not None and app.screen.view.referral.id == row.id
        await pilot.press("escape")
        await settle(app, pilot)
        assert not isinstance(app.screen, DealScreen)
        assert current(app).current is not None and current(app).current.id == row.id  # type: ignore[union-attr]


async def test_referral_user_sees_only_deals_on_their_team(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-ACL-1: Marco (referral user, Seattle) sees deals he is on, at his location
    marco = people["Marco"]
    async with running(demo_db, marco) as (app, pilot):
        await pilot.press("2", "v", "v")
        await settle(app, pilot)
        shown = {row.id for row in current(app)._pages.get(0, [])}
        on_team = {
            str(r[0])
            for r in sql(
                demo_db,
                "SELECT r.id FROM referrals r JOIN team_members t ON t.referral_id = r.id "
                "WHERE t.email = ? AND t.organization_id = r.organization_id "
                "AND r.location_id = ? AND r.direction = 'outbound'",
                marco.email,
                marco.scope_location_id,
            )
        }
        assert shown == on_team
        assert shown, "the demo puts Marco on at least one outbound deal"


async def test_deal_names_are_shown_literally(demo_db: Database, people: dict[str, User]) -> None:
    # R-Q-1: markup in data is shown as typed; an escape character shows escaped
    assert demo_db.path is not None
    connection = sqlite3.connect(demo_db.path)
    connection.execute("UPDATE referrals SET name = '[red]x[/red]' WHERE name LIKE 'Coho Winery%'")
    connection.execute(
        "UPDATE referrals SET name = 'Bell' || char(27) || '[2Jows' WHERE name LIKE 'Bellows%'"
    )
    connection.commit()
    connection.close()
    async with running(demo_db, people["Dana"], size=(140, 40)) as (app, pilot):
        await pilot.press("2")
        await settle(app, pilot)
        screen = app.export_screenshot()
        assert "[red]x[/red]" in screen
        assert "Bell\\x1b[2Jows" in screen
        assert "\x1b[2J" not in "".join(c for c in screen)


async def test_a_filter_typed_in_one_burst_after_the_slash_is_all_kept(
    demo_db: Database, people: dict[str, User]
) -> None:
    """`/wood` typed (or pasted) faster than a frame: every letter reaches the field, none
    runs a list key (`o` is sort), and a `/` inside the filter is text."""
    app = build_app(demo_db, people["Dana"])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        for key, character in [("slash", "/"), *((c, c) for c in "wood"), ("slash", "/")]:
            app.post_message(events.Key(key, character))  # all queued before any is handled
        await settle(app, pilot)
        field = app.screen.query_one("#filter", Input)
        assert field.value == "wood/"
        assert app.screen.focused is field and len(app.screen_stack) == 2  # no sort dialog
        await pilot.press("escape")  # the filter cleared
        await settle(app, pilot)
        # a tab, then the filter: in the order typed, so Outbound is filtered, not Inbound
        for key, character in [("2", "2"), ("slash", "/"), *((c, c) for c in "wo2v")]:
            app.post_message(events.Key(key, character))
        await settle(app, pilot)
        assert app.screen.query_one(TabbedContent).active == "outbound"
        assert field.value == "wo2v"  # list keys typed in the field are text
        assert app.screen.queries[Tab.OUTBOUND].search == "wo2v"  # type: ignore[attr-defined]
        assert app.screen.queries[Tab.INBOUND].search == ""  # type: ignore[attr-defined]
