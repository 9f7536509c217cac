"""The installed cosell-tui in a real terminal (tmux, 80×24), read back with capture-pane."""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cosell_tui.store.database import Database

CLI = Path(sys.executable).parent / "cosell-tui"
COHO = "Coho Winery — Data platform modernization"


def app_command(db: Path | str, *args: str) -> str:
    """The installed CLI on `db` (a file or a URL), its clock frozen on the demo's day (a shell
    command line)."""
    return shlex.join([str(CLI), "--db", str(db), "--today", "2026-11-27", *args])


def new_socket() -> str:
    """A tmux server of the test's own, apart from any the user runs."""
    return f"cosell-{uuid.uuid4().hex[:8]}"


class Terminal:
    def __init__(self, socket: str, session: str) -> None:
        self.socket = socket
        self.session = session

    @classmethod
    def start(cls, socket: str, session: str, command: str, home: Path) -> Terminal:
        """Run `command` in a new 80x24 tmux session on server `socket`, HOME at `home`."""
        assert shutil.which("tmux"), "tmux is installed by `make test` (see the Makefile)"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("COSELL_", "TMUX"))}
        env |= {"TERM": "xterm-256color", "HOME": str(home), "XDG_STATE_HOME": str(home)}
        # never the developer's own config file: one of the test's (missing: the defaults)
        env["COSELL_CONFIG"] = str(home / "config.toml")
        size = ["-x", "80", "-y", "24"]
        subprocess.run(
            ["tmux", "-L", socket, "new-session", "-d", *size, "-s", session, command],
            env=env,
            check=True,
        )
        return cls(socket, session)

    def tmux(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=False
        ).stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.session)

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.tmux("send-keys", "-t", self.session, key)
            time.sleep(0.15)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", self.session, "-l", text)

    def wait_for(self, check: Callable[[str], bool], what: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if check(screen):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}; the screen was:\n{screen}")

    def alive(self) -> bool:
        return self.session in self.tmux("list-sessions", "-F", "#{session_name}")


@pytest.fixture
def terminal(demo_db: Database, tmp_path: Path) -> Iterator[Terminal]:
    assert demo_db.path is not None
    demo_db.dispose()
    command = f"{app_command(demo_db.path)}; sleep 30"
    term = Terminal.start(new_socket(), "app", command, tmp_path)
    try:
        yield term
    finally:
        term.tmux("kill-server")


def test_open_switch_filter_open_act_and_quit(terminal: Terminal, demo_db: Database) -> None:
    # issue 3: a newcomer works a deal with the keyboard alone at 80x24
    # the tabs, and the status bar naming the signed-in user
    terminal.wait_for(lambda s: "2 Outbound" in s and "Dana Whitfield" in s, "the main screen")
    terminal.keys("2")
    terminal.wait_for(lambda s: "Alpine Ski" in s, "the Outbound rows")
    terminal.keys("/")
    terminal.wait_for(lambda s: "Filter: deal or customer name" in s, "the filter field")
    time.sleep(0.3)
    terminal.type("coho")
    terminal.wait_for(lambda s: "Alpine Ski" not in s and "Coho Winery" in s, "filter")
    terminal.keys("Enter")
    terminal.keys("Enter")
    terminal.wait_for(lambda s: "D-U-N-S" in s, "the deal screen")
    terminal.wait_for(lambda s: "▶ Qualified 20%" in s, "the lifecycle at Qualified")
    terminal.keys("f")
    terminal.wait_for(lambda s: "♥ Coho Winery" in s, "the heart")
    assert demo_db.path is not None
    with sqlite3.connect(demo_db.path) as connection:
        hearts = connection.execute(
            "SELECT count(*) FROM favorites f JOIN referrals r ON r.id = f.referral_id "
            "WHERE r.name = ?",
            (COHO,),
        ).fetchone()
    assert hearts == (1,)
    terminal.keys("s")  # mark the next sales stage: Developed
    terminal.wait_for(lambda s: "Developed 40%" in s and "Qualified 20%" in s, "the stages")
    terminal.keys("Enter")
    terminal.wait_for(lambda s: "▶ Developed 40%" in s, "the deal at Developed")
    with sqlite3.connect(demo_db.path) as connection:
        stage = connection.execute("SELECT stage FROM referrals WHERE name = ?", (COHO,)).fetchone()
    assert stage == ("developed",)
    terminal.keys("Escape")
    terminal.wait_for(lambda s: "Filter" in s or "Sort" in s, "the list again")
    terminal.keys("Escape")
    # a key right after escape can be read as alt+key (the escape-sequence wait); a loaded
    # machine delays the app's reading enough for that, so let the escape land first
    time.sleep(0.6)
    terminal.keys("q")
    terminal.wait_for(lambda s: "Inbound" not in s, "the app to quit", timeout=10)
