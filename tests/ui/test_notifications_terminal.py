"""Notifications reach a running app from another app instance (issue 5, §6).

Sam, Northwind's referral admin (Chicago), has the installed app open in a real terminal
(tmux) on a demo database file. Dana, Contoso's partner admin, works in a second app instance
on the same file (this test's process, driven by Pilot): she invites Northwind's Chicago
office to a deal through the invite dialog. Without restarting, Sam's status bar count rises,
a toast tells him of the new deal, and it appears in his Inbound list.

The same on one PostgreSQL database (issue 8: two app instances see each other's changes).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from textual.widgets import Input, Select, SelectionList

from cosell_tui.app import build_app
from cosell_tui.domain.models import User
from cosell_tui.screens.dialogs.invite import InvitePartnersDialog
from cosell_tui.store.database import Database
from cosell_tui.store.schema import OrganizationRow
from tests.ui.test_action_flows import (
    CONTOSO,
    PRIVATE_OPEN,
    TODAY,
    choose_invite,
    deal_screen,
    open_from_list,
    press,
)
from tests.ui.test_main_screen import settle
from tests.ui.test_real_terminal import Terminal, app_command, new_socket

NORTHWIND = "Northwind Data"


pytestmark = [pytest.mark.long, pytest.mark.backends]


async def test_invited_partner_sees_the_count_rise_without_restarting(
    demo_db: Database, people: dict[str, User], tmp_path: Path
) -> None:
    sam, dana = people["Sam"], people["Dana"]
    target = demo_db.path or demo_db.engine.url.render_as_string(hide_password=False)
    command = f"{app_command(target, '--as', sam.email)}; sleep 60"
    term = Terminal.start(new_socket(), "sam", command, tmp_path)

    async def sam_sees(check: object, what: str, timeout: float) -> str:
        return await asyncio.to_thread(term.wait_for, check, what, timeout)  # type: ignore[arg-type]

    try:
        # his one unread notification, counted by the first poll (no toast for that)
        await sam_sees(lambda s: "Sam Okafor" in s and "✉ 1" in s, "Sam's main screen", 30)
        assert "Coho Winery" not in term.screen()

        with demo_db.reading() as session:
            northwind = session.scalars(
                select(OrganizationRow.id).where(OrganizationRow.name == NORTHWIND)
            ).one()
        app = build_app(demo_db, dana)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            await open_from_list(app, pilot, "2", PRIVATE_OPEN)
            await choose_invite(app, pilot, "partners")
            dialog = app.screen
            assert isinstance(dialog, InvitePartnersDialog)
            dialog.query_one("#partner", Select).value = northwind
            await pilot.pause()
            locations = dialog.query_one("#partner-location", Select)
            locations.value = next(
                v for label, v in locations._options if str(label) == "Chicago, US"
            )
            dialog.query_one("#partner-value", Input).value = "40000"
            solutions: SelectionList[int] = dialog.query_one("#partner-solutions", SelectionList)
            solutions.select(solutions.get_option_at_index(0))
            later = TODAY + timedelta(days=60)  # Coho Winery is overdue: a date ahead is needed
            dialog.query_one("#partner-close-date", Input).value = later.isoformat()
            await press(app, pilot, "ctrl+s")
            deal_screen(app)  # the invitation went out; Dana is back on her deal

        # the count (not hidden by the toast) and the toast, each seen on some screen
        seen: set[str] = set()

        def arrived(screen: str) -> bool:
            seen.update({"count"} if "✉ 2" in screen else set())
            seen.update({"toast"} if f"New deal from {CONTOSO}:" in screen else set())
            return seen == {"count", "toast"}

        await sam_sees(arrived, "the count to rise and the toast", 10)
        # and the new inbound deal is in his Inbound list, waiting for an answer
        await sam_sees(
            lambda s: any("Coho Winery" in row and "Received" in row for row in s.splitlines()),
            "the new deal's row",
            5,
        )
    finally:
        term.tmux("kill-server")
