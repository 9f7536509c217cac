"""The command palette (ctrl+p, R-UI-6): open any visible deal by name, run actions by name."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.command import CommandInput, CommandList, CommandPalette
from textual.pilot import Pilot
from textual.screen import Screen

from cosell_tui.app import CoSellApp, build_app
from cosell_tui.domain.models import User
from cosell_tui.screens.deal import DealScreen
from cosell_tui.screens.dialogs.close import WonDialog
from cosell_tui.screens.main import MainScreen
from cosell_tui.screens.notifications import NotificationsScreen
from cosell_tui.screens.palette import system_commands
from cosell_tui.store.database import Database
from tests.ui.test_app_snapshots import contoso_deal
from tests.ui.test_main_screen import settle

WON_ETC = {"Mark as won", "Mark as lost", "Mark sales stage", "Edit deal", "Invite partners"}


async def until(pilot: Pilot[None], condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("timed out")


def palette_ready(app: CoSellApp) -> bool:
    """The palette is up and its input has the focus (keys typed before that are lost)."""
    return isinstance(app.screen, CommandPalette) and app.screen.focused is not None


def offered(app: CoSellApp) -> list[str]:
    """The prompts the palette lists, once it has finished searching (first line of each)."""
    if any(w.is_running and w.group == CommandPalette._GATHER_COMMANDS_GROUP for w in app.workers):
        return []
    options = app.screen.query_one(CommandList).options
    return [str(option.prompt).split("\n")[0] for option in options]


def titles(app: CoSellApp) -> set[str]:
    return {command.title for command in system_commands(app, app.screen)}


async def open_deal(app: CoSellApp, pilot: Pilot[None], referral_id: str) -> None:
    while not isinstance(app.screen, MainScreen):
        app.pop_screen()
    app.push_screen(DealScreen(referral_id))
    await settle(app, pilot)


@pytest.mark.long
async def test_typing_part_of_a_deal_name_offers_it_and_enter_opens_it(
    demo_db: Database, people: dict[str, User]
) -> None:
    coho = contoso_deal(demo_db, "Coho Winery — Data platform modernization")
    app = build_app(demo_db, people["Dana"])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert {"Switch user", "Change theme", "New deal", "Help", "Quit"} <= titles(app)
        await pilot.press("ctrl+p")
        await until(pilot, lambda: palette_ready(app))
        await pilot.press(*"coho wine")
        name = "Coho Winery — Data platform modernization"
        await until(pilot, lambda: offered(app)[:1] == [name])  # the best match first
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DealScreen))
        assert isinstance(app.screen, DealScreen) and app.screen.referral_id == coho
        await settle(app, pilot)
        # an accepted deal offers its actions by name, and they run
        accepted = titles(app)
        assert WON_ETC - {"Invite partners"} <= accepted
        assert "Accept deal" not in accepted and "Switch user" not in accepted
        await pilot.press("ctrl+p")
        await until(pilot, lambda: palette_ready(app))
        await pilot.press(*"mark as won")
        await until(pilot, lambda: offered(app)[:1] == ["Mark as won"])
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, WonDialog))
        await pilot.press("escape")

        # a received deal offers Accept and Decline, never Mark as won
        await open_deal(app, pilot, contoso_deal(demo_db, "Adatum Corporation — Copilot rollout"))
        received = titles(app)
        assert {"Accept deal", "Decline deal", "Write a comment"} <= received
        assert not WON_ETC & received
        # a won (final) deal: none of those
        await open_deal(app, pilot, contoso_deal(demo_db, "Relecloud — Analytics lakehouse"))
        won = titles(app)
        assert not (WON_ETC | {"Accept deal", "Decline deal"}) & won
        assert {"Back to the list", "Mark or unmark as favorite", "Help"} <= won


@pytest.mark.long
async def test_a_deal_opened_from_the_palette_replaces_the_deal_screen_on_top(
    demo_db: Database, people: dict[str, User]
) -> None:
    """Deal screens never stack: the one on top closes (what is under it reads afresh) and the
    found deal takes its place; over the notifications too, which read afresh after it."""
    coho = contoso_deal(demo_db, "Coho Winery — Data platform modernization")
    proseware = contoso_deal(demo_db, "Proseware — Data platform modernization")
    app = build_app(demo_db, people["Dana"])

    def calls(screen: Screen[object], method: str) -> list[None]:
        seen: list[None] = []
        original = getattr(screen, method)

        def counting(*args: object, **kwargs: object) -> object:
            seen.append(None)
            return original(*args, **kwargs)

        setattr(screen, method, counting)
        return seen

    async def find(typed: str, referral_id: str) -> None:
        await pilot.press("ctrl+p")
        await until(pilot, lambda: palette_ready(app))
        app.screen.query_one(CommandInput).value = typed  # quicker than a key per letter
        await until(pilot, lambda: bool(offered(app)) and typed in offered(app)[0].lower())
        await pilot.press("enter")
        await until(
            pilot,
            lambda: isinstance(app.screen, DealScreen) and app.screen.referral_id == referral_id,
        )

    def stack() -> list[str]:
        return [type(screen).__name__ for screen in app.screen_stack[1:]]

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main_reloads = calls(main.current_list, "reload")
        main._push_deal(coho)  # as enter on a list row
        await until(pilot, lambda: isinstance(app.screen, DealScreen))
        await find("proseware", proseware)
        assert stack() == ["MainScreen", "DealScreen"]
        assert len(main_reloads) == 1  # Coho closed: the lists read afresh
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is main)
        assert len(main_reloads) == 2

        app.action_notifications()
        await until(pilot, lambda: isinstance(app.screen, NotificationsScreen))
        notifications = app.screen
        await settle(app, pilot)  # read once mounted
        notification_reloads = calls(notifications, "reload")
        await find("coho", coho)
        await find("proseware", proseware)
        assert stack() == ["MainScreen", "NotificationsScreen", "DealScreen"]
        assert len(notification_reloads) == 1
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is notifications)
        assert len(notification_reloads) == 2
