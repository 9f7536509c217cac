"""`y` copies a deal's name and id through OSC 52, which works over SSH (issue 5, §9).

tmux with `set-clipboard on` takes the OSC 52 sequence the app writes into a paste buffer,
as a terminal on the far side of an SSH connection would take it into its clipboard.
"""

from __future__ import annotations

import re
from pathlib import Path

from cosell_tui.store.database import Database
from tests.ui.test_main_screen import sql
from tests.ui.test_real_terminal import Terminal, app_command, new_socket

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def test_y_copies_the_deal_name_and_id_into_the_terminal_clipboard(
    demo_db: Database, tmp_path: Path
) -> None:
    assert demo_db.path is not None
    demo_db.dispose()
    term = Terminal.start(new_socket(), "app", f"{app_command(demo_db.path)}; sleep 30", tmp_path)
    try:
        term.tmux("set-option", "-g", "set-clipboard", "on")
        term.wait_for(lambda s: "1 Inbound" in s and "Dana Whitfield" in s, "the main screen")
        term.keys("y")  # on the first Inbound row
        term.wait_for(lambda s: "Copied" in s, "the copy notice")
        copied = term.tmux("show-buffer")
        match = re.fullmatch(rf"(.+) \(({UUID})\)", copied)
        assert match, copied
        name, referral_id = match.groups()
        assert sql(demo_db, "SELECT name FROM referrals WHERE id = ?", referral_id) == [(name,)]
        assert name[:9] in term.screen()  # the row the cursor is on (the column truncates)

        # on the deal screen too, for the deal it shows
        term.keys("Down", "Enter")
        screen = term.wait_for(lambda s: "D-U-N-S" in s, "the deal screen")
        term.keys("y")
        term.wait_for(lambda s: term.tmux("show-buffer") != copied, "a second copy")
        second = term.tmux("show-buffer")
        match = re.fullmatch(rf"(.+) \(({UUID})\)", second)
        assert match, second
        assert match.group(2) != referral_id
        assert match.group(1)[:9] in screen
    finally:
        term.tmux("kill-server")
