"""Notifications reach a running app from another process (issue 5, §6), in a real terminal.

Sam, Northwind's referral admin (Chicago), has the installed app open in tmux on a demo
database file. Contoso's partner admin invites Northwind's Chicago office to a deal — from
this test's process, through `services`, which is another process writing the same file, as
a second terminal would. Without restarting, Sam's status bar count rises and a toast tells
the new deal.
"""

from __future__ import annotations

from pathlib import Path

from cosell_tui import services
from cosell_tui.domain.models import User
from cosell_tui.store.database import Database
from tests.test_services import CONTOSO, NORTHWIND, PRIVATE_OPEN, find, partner_invite
from tests.ui.test_real_terminal import Terminal, app_command, new_socket


def test_invited_partner_sees_the_count_rise_without_restarting(
    demo_db: Database, people: dict[str, User], tmp_path: Path
) -> None:
    sam, dana = people["Sam"], people["Dana"]
    coho = find(demo_db, CONTOSO, PRIVATE_OPEN)
    invite = partner_invite(demo_db, NORTHWIND, "Chicago", ("Contoso Data Quickstart",), [dana])
    assert demo_db.path is not None
    command = f"{app_command(demo_db.path, '--as', sam.email)}; sleep 30"
    term = Terminal.start(new_socket(), "sam", command, tmp_path)
    try:
        # his one unread notification, counted by the first poll (no toast for that)
        term.wait_for(lambda s: "Sam Okafor" in s and "✉ 1" in s, "Sam's main screen")
        assert "Coho Winery" not in term.screen()

        services.invite_partners(demo_db, dana, coho.id, [invite])

        # the count (not hidden by the toast) and the toast, each seen on some screen
        seen: set[str] = set()

        def arrived(screen: str) -> bool:
            seen.update({"count"} if "✉ 2" in screen else set())
            seen.update({"toast"} if f"New deal from {CONTOSO}:" in screen else set())
            return seen == {"count", "toast"}

        term.wait_for(arrived, "the count to rise and the toast", timeout=10)
        # and the new inbound deal is in his Inbound list, waiting for an answer
        term.wait_for(
            lambda s: any("Coho Winery" in row and "Received" in row for row in s.splitlines()),
            "the new deal's row",
            timeout=5,
        )
    finally:
        term.tmux("kill-server")
