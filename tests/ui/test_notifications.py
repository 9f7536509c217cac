"""Pilot tests of notifications (`N`, §6): the list, opening and marking read, new ones arriving."""

from __future__ import annotations

import sqlite3

import pytest
from textual.content import Content
from textual.widgets import OptionList, Static

from cosell_tui import services
from cosell_tui.app import CoSellApp
from cosell_tui.domain.models import User
from cosell_tui.screens import notifications
from cosell_tui.screens.deal import DealScreen
from cosell_tui.screens.notifications import (
    READ,
    UNREAD,
    Indented,
    NotificationsScreen,
)
from cosell_tui.store.database import Database
from tests.test_services import CONTOSO, NORTHWIND, PRIVATE_OPEN, find, partner_invite
from tests.ui.test_main_screen import current, running, settle, sql

LIMIT = 12  # the list's cap, made small here: Dana has 20 notifications


def status_count(app: CoSellApp) -> str:
    return str(app.screen_stack[1].query_one("#unread", Static).render())


def cells(screen: NotificationsScreen, index: int) -> tuple[Content, Content]:
    """A row's glyph and text."""
    prompt = screen.query_one(OptionList).get_option_at_index(index).prompt
    assert isinstance(prompt, Indented)
    return prompt.glyph, prompt.body


def bold(content: Content) -> bool:
    return any(span.start == 0 and span.style == "bold" for span in content.spans)


def shown(screen: NotificationsScreen) -> list[tuple[str, str]]:
    """Each row's glyph and first line, as on screen."""
    count = screen.query_one(OptionList).option_count
    return [
        (glyph.plain, body.plain.split("\n")[0])
        for glyph, body in (cells(screen, i) for i in range(count))
    ]


async def test_list_open_and_mark_read(
    demo_db: Database, people: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    # §6: newest first, unread marked; enter opens the deal and marks it read; m marks all
    monkeypatch.setattr(notifications, "LIMIT", LIMIT)  # fewer rows than Dana has
    dana = people["Dana"]
    total = sql(demo_db, "SELECT count(*) FROM notifications WHERE user_id = ?", dana.id)[0][0]
    second = sql(
        demo_db,
        "SELECT referral_id FROM notifications WHERE user_id = ? ORDER BY id DESC LIMIT 1, 1",
        dana.id,
    )[0][0]
    # a deal she can no longer see (as after a team change): another organization's
    hidden = sql(
        demo_db, "SELECT id FROM referrals WHERE organization_id != ?", dana.organization_id
    )
    assert total > LIMIT and hidden
    assert demo_db.path is not None
    with sqlite3.connect(demo_db.path) as connection:
        connection.execute(
            "INSERT INTO notifications (user_id, referral_id, kind, message, created_at) "
            "VALUES (?, ?, 'new_inbound', 'Hidden now', '2026-11-27 09:00:00.000000')",
            (dana.id, hidden[0][0]),
        )
    # the newest (hidden), then the demo's newest (read), then its second newest
    ids = [
        r[0]
        for r in sql(
            demo_db, "SELECT id FROM notifications WHERE user_id = ? ORDER BY id DESC", dana.id
        )
    ]
    assert sql(demo_db, "SELECT referral_id FROM notifications WHERE id = ?", ids[2]) == [(second,)]
    services.mark_notifications_read(demo_db, dana, [ids[1]])
    read_at = "SELECT read_at FROM notifications WHERE id = ?"

    async with running(demo_db, dana) as (app, pilot):
        app.refresh_unread()
        await settle(app, pilot)
        assert status_count(app) == f"✉ {total}"
        await pilot.press("N")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, NotificationsScreen)
        assert [line.notification.id for line in screen.lines] == ids[:LIMIT]
        rows = shown(screen)
        assert [glyph for glyph, _ in rows[:3]] == [UNREAD, READ, UNREAD]
        assert [bold(cell) for cell in (*cells(screen, 2), *cells(screen, 1))] == [
            True,
            True,
            False,
            False,
        ]
        more = str(screen.query_one("#notifications-more", Static).render())
        assert f"newest {LIMIT} of {total + 1}" in more

        # the deal she may no longer see: marked in the list; enter says so, marks it read
        # and stays on the list
        assert "no longer open" in rows[0][1]
        hidden_name = sql(demo_db, "SELECT name FROM referrals WHERE id = ?", hidden[0][0])[0][0]
        assert str(hidden_name) not in rows[0][1]  # not even its name now (R-ACL-1)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is screen
        assert any("You can no longer open" in n.message for n in app._notifications)
        assert sql(demo_db, read_at, ids[0])[0][0] is not None
        assert status_count(app) == f"✉ {total - 1}"

        # enter: the deal opens, the notification is read, the status bar count drops
        await pilot.press("j", "j", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, DealScreen)
        assert app.screen.referral_id == second
        assert sql(demo_db, read_at, ids[2])[0][0] is not None
        assert status_count(app) == f"✉ {total - 2}"
        # §6: the count is in sight on the deal screen too
        assert str(app.screen.query_one("#deal-unread", Static).render()) == f"✉ {total - 2}"
        depth = len(app.screen_stack)
        await pilot.press("N")  # N from that deal goes back to this list, not to a second one
        await settle(app, pilot)
        assert app.screen is screen and len(app.screen_stack) == depth - 1
        assert [glyph for glyph, _ in shown(screen)[:3]] == [READ, READ, READ]

        # m: every notification read, older ones not shown included
        await pilot.press("m")
        await settle(app, pilot)
        unread = "SELECT count(*) FROM notifications WHERE user_id = ? AND read_at IS NULL"
        assert sql(demo_db, unread, dana.id) == [(0,)]
        assert status_count(app) == "✉ 0"
        assert {glyph for glyph, _ in shown(screen)} == {READ}
        await pilot.press("escape")
        await settle(app, pilot)
        assert not isinstance(app.screen, NotificationsScreen)


async def test_new_notification_toasts_and_lists_the_deal(
    demo_db: Database, people: dict[str, User]
) -> None:
    # §6: another process invites Northwind; Sam's count rises, a toast says so and the new
    # inbound deal appears in his list without restarting
    sam, dana = people["Sam"], people["Dana"]
    async with running(demo_db, sam, size=(120, 40)) as (app, pilot):
        app.refresh_unread()
        await settle(app, pilot)
        assert status_count(app) == "✉ 1"
        assert not app._notifications  # the count at start is no news
        coho = find(demo_db, CONTOSO, PRIVATE_OPEN)
        assert coho.name not in [row.name for row in current(app)._pages.get(0, [])]

        invite = partner_invite(demo_db, NORTHWIND, "Chicago", ("Contoso Data Quickstart",), [dana])
        services.invite_partners(demo_db, dana, coho.id, [invite])
        app.refresh_unread()
        await settle(app, pilot)
        await settle(app, pilot)

        assert status_count(app) == "✉ 2"
        messages = [n.message for n in app._notifications]
        assert messages == [f"New deal from {CONTOSO}: {coho.name}"]
        assert coho.name in [row.name for row in current(app)._pages.get(0, [])]
