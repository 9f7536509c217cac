"""Drafts survive a killed app (issue 4, R-Q-2): the installed cosell-tui in tmux, `kill -9`.

Dana starts a deal at 80x24, gets to step 4 and types a solution search; the app process is
killed with SIGKILL (what a dropped SSH session or a crash amounts to). The next start offers
the draft; resumed, the wizard is where she was, and the deal she then creates holds every
value typed before the kill.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cosell_tui.domain.models import User
from cosell_tui.store.database import Database
from tests.ui.test_real_terminal import Terminal, app_command, new_socket

ADATUM_DUNS = "150483790"  # the second "Adatum Corporation, Seattle" (400 Pine Street)
DEAL = "Adatum Seattle — lakehouse pilot"
CONTACT = ("Ana Ruiz", "+1 206 555 0142", "ana.ruiz@adatum.example")
MEMBER = ("Omar", "Haddad", "+1 416 555 0199", "omar.haddad@contoso.example")
VALUE = "187500.50"
CURRENCY = "CAD"
CLOSE = "2027-03-31"  # the clock is frozen on 2026-11-27
CRM_ID = "CRM-48213"
NOTES = ("Pilot in Q1, budget approved.", "Call Ana first.")
SEARCH = "fabric"
SOLUTION = "Microsoft Fabric"


@pytest.fixture
def socket() -> Iterator[str]:
    """A tmux server of the test's own; both runs of the app use it, one after the other."""
    name = new_socket()
    try:
        yield name
    finally:
        subprocess.run(["tmux", "-L", name, "kill-server"], capture_output=True, check=False)


def start(socket: str, session: str, db: Path, dana: User, home: Path) -> Terminal:
    """The app as Dana; `exec` makes the pane's process the app itself, not a shell."""
    command = "exec " + app_command(db, "--as", dana.email)
    terminal = Terminal.start(socket, session, command, home)
    terminal.wait_for(lambda s: "Dana Whitfield" in s, "the app to start as Dana")
    return terminal


ANSI = re.compile(r"\x1b\[[0-9;:?]*[A-Za-z]")


def until(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def cursor(terminal: Terminal) -> str:
    """Where the terminal's cursor is: Textual puts it in the focused text field."""
    return terminal.tmux("display", "-p", "-t", terminal.session, "#{cursor_x},#{cursor_y}")


def styled(terminal: Terminal, text: str) -> list[str]:
    """The lines showing `text`, with their colours (a focused widget is drawn differently)."""
    screen = terminal.tmux("capture-pane", "-e", "-p", "-t", terminal.session)
    return [line for line in screen.splitlines() if text in ANSI.sub("", line)]


def move_focus(terminal: Terminal, key: str, *, onto: str | None = None) -> None:
    """Press `key`, which moves the focus, and wait until it has moved.

    A key that a binding handles (tab, enter, down, ctrl+n) travels up from the focused
    widget before it acts, while typed text goes straight to the focused field: on a busy
    machine, text typed 0.15 s after a tab can reach the field the tab was leaving. So wait:
    for the cursor to leave for the next text field, or for the line showing `onto` (a
    check box, a list row) to be drawn focused.
    """
    if onto is None:
        before = cursor(terminal)
        terminal.keys(key)
        until(lambda: cursor(terminal) != before, f"{key} to move the cursor")
    else:
        was = styled(terminal, onto)
        assert was, f"{onto!r} is not on the screen"
        terminal.keys(key)
        until(lambda: styled(terminal, onto) != was, f"{key} to focus {onto!r}")


def next_step(terminal: Terminal, indicator: str) -> None:
    """ctrl+n, then wait for the step and for the cursor in its first field."""
    before = cursor(terminal)
    terminal.keys("C-n")
    terminal.wait_for(lambda s: indicator in s, indicator)
    until(lambda: cursor(terminal) != before, f"the cursor on {indicator}")


def enter(terminal: Terminal, text: str) -> None:
    """Type `text` and wait until the terminal shows it, before any key moves the focus."""
    terminal.type(text)
    terminal.wait_for(lambda s: text in s, f"{text!r} on the screen")


def settle(terminal: Terminal, quiet: float = 0.5) -> str:
    """Wait until the screen stops changing: a busy app may move the focus late."""
    deadline = time.monotonic() + 10
    screen, since = terminal.screen(), time.monotonic()
    while time.monotonic() - since < quiet:
        assert time.monotonic() < deadline, f"the screen kept changing:\n{screen}"
        time.sleep(0.1)
        now = terminal.screen()
        if now != screen:
            screen, since = now, time.monotonic()
    return screen


def app_pid(terminal: Terminal) -> int:
    pid = int(terminal.tmux("display", "-p", "-t", terminal.session, "#{pane_pid}").strip())
    command = subprocess.run(
        ["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True, check=False
    ).stdout
    assert "cosell-tui" in command, f"the pane runs {command!r}, not the app"
    return pid


def footer(screen: str) -> str:
    lines = screen.rstrip("\n").splitlines()
    return lines[-1] if lines else ""


def dialog_text(screen: str) -> str:
    """The words inside a dialog's box, its wrapped lines joined."""
    inside = [part for line in screen.splitlines() for part in re.findall(r"│(.*?)│", line)]
    return " ".join(" ".join(inside).split())


@pytest.mark.long
def test_a_killed_app_loses_no_typed_value_of_the_draft(
    socket: str, demo_db: Database, people: dict[str, User], tmp_path: Path
) -> None:
    assert demo_db.path is not None
    db = demo_db.path
    dana = people["Dana"]
    demo_db.dispose()  # the app owns the file from here on
    term = start(socket, "app", db, dana, tmp_path)

    # step 1: the customer, told apart from its namesake by D-U-N-S, and the contact
    term.keys("n")
    term.wait_for(lambda s: "1 of 6 · Customer" in s, "the wizard's first step")
    term.type("adatum")
    term.wait_for(
        lambda s: ADATUM_DUNS in s and "150483782" in s and "Blue Yonder" not in s,
        "the two Adatum Corporations in the suggestions",
    )
    move_focus(term, "Down", onto="D-U-N-S 150483782")  # into the list: the first Adatum
    move_focus(term, "Down", onto=f"D-U-N-S {ADATUM_DUNS}")  # the second, by its number
    move_focus(term, "Enter")  # chosen: the cursor goes to the contact
    term.wait_for(lambda s: "Customer name" not in s and "Contact name" in s, "the contact")
    enter(term, CONTACT[0])
    move_focus(term, "Tab")
    enter(term, CONTACT[1])
    move_focus(term, "Tab")
    enter(term, CONTACT[2])
    move_focus(term, "Tab", onto="The customer agreed")
    term.keys("Space")  # tick the consent
    next_step(term, "2 of 6 · Deal details")

    # step 2: the deal details
    enter(term, DEAL)
    move_focus(term, "Tab", onto="Choose the location")
    term.keys("Enter")  # open the location list
    term.wait_for(lambda s: "London, United Kingdom" in s, "the locations")
    term.keys("Down", "Down", "Enter")  # past the prompt and Seattle: Toronto
    term.wait_for(
        lambda s: "Toronto, Canada" in s and "London, United Kingdom" not in s, "Toronto chosen"
    )
    move_focus(term, "Tab")
    enter(term, CLOSE)
    move_focus(term, "Tab")
    enter(term, VALUE)
    move_focus(term, "Tab")  # the currency, pre-filled USD, selected on focus: typing replaces it
    enter(term, CURRENCY)
    move_focus(term, "Tab")
    enter(term, CRM_ID)
    move_focus(term, "Tab")  # the campaign id stays empty
    move_focus(term, "Tab")  # the notes
    enter(term, NOTES[0])
    term.keys("Enter")
    enter(term, NOTES[1])
    next_step(term, "3 of 6 · Team")

    # step 3: one more member besides Dana
    for i, part in enumerate(MEMBER):
        if i:
            move_focus(term, "Tab")
        enter(term, part)
    term.keys("C-t")
    term.wait_for(lambda s: "Omar Haddad · omar.haddad@contoso.example" in s, "Omar on the team")
    next_step(term, "4 of 6 · Solutions")

    # step 4: a search typed, saved by the debounce only (no step change after it)
    enter(term, SEARCH)
    term.wait_for(lambda s: SOLUTION in s and "Azure OpenAI" not in s, "the filtered catalog")
    time.sleep(1.5)  # the draft is written 0.5 s after the last change

    os.kill(app_pid(term), signal.SIGKILL)
    deadline = time.monotonic() + 10
    while term.alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not term.alive(), "the killed app's tmux session is still there"

    # the next start offers the draft, naming the customer and the step
    again = start(socket, "again", db, dana, tmp_path)
    question = (
        "Resume the deal you were creating (Adatum Corporation, Seattle, step 4 of 6 · Solutions)?"
    )
    again.wait_for(lambda s: question in dialog_text(s), "the offer to resume")
    again.keys("r")
    again.wait_for(lambda s: "New deal · 4 of 6 · Solutions" in s, "the wizard on step 4")
    screen = settle(again)  # the wizard has just been built: let its focus land
    assert SEARCH in screen and "Azure OpenAI" not in screen, f"no search typed:\n{screen}"
    assert f"[ ] {SOLUTION}" in screen

    # finish: choose the solution, keep it private, review, create
    again.keys("Enter")  # from the search into the list, once the list has the focus:
    again.wait_for(lambda s: "/ Search" in footer(s), "the list's keys in the footer")
    again.keys("Space")  # tick the one match
    again.wait_for(lambda s: f"[x] {SOLUTION}" in s, "the solution ticked")
    again.keys("C-n")
    again.wait_for(lambda s: "5 of 6 · Selling" in s and "Private deal" in s, "step 5")
    again.keys("C-n")
    on_review = (
        "New deal · 6 of 6 · Review",
        f"Adatum Corporation, Seattle · D-U-N-S {ADATUM_DUNS}",
        " · ".join(CONTACT),
        "Consent  yes",
        DEAL,
        "Toronto, CA",
        f"187,500.50 {CURRENCY}",
        CLOSE,
        CRM_ID,
        *NOTES,
    )
    again.wait_for(lambda s: all(shown in s for shown in on_review), "the review, every value")
    again.keys("C-s")
    again.wait_for(lambda s: DEAL in s and "Accepted · Private" in s, "the new deal's screen")

    # the database holds every value typed before the kill, and no draft
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT r.id, r.organization_id, l.city, r.value_cents, r.currency, r.close_date,"
            " r.crm_id, r.campaign_id, r.notes, c.duns, e.contact_name, e.contact_phone,"
            " e.contact_email, e.contact_consent, e.deal_type"
            " FROM referrals r JOIN engagements e ON e.id = r.engagement_id"
            " JOIN companies c ON c.id = e.company_id JOIN locations l ON l.id = r.location_id"
            " WHERE r.name = ?",
            (DEAL,),
        ).fetchall()
        assert len(rows) == 1
        referral_id, organization_id, *deal = rows[0]
        team = connection.execute(
            "SELECT first_name, last_name, phone, email FROM team_members WHERE referral_id = ?",
            (referral_id,),
        ).fetchall()
        solutions = connection.execute(
            "SELECT s.name, rs.assessment_location_id FROM referral_solutions rs"
            " JOIN solutions s ON s.id = rs.solution_id WHERE rs.referral_id = ?",
            (referral_id,),
        ).fetchall()
        drafts = connection.execute("SELECT count(*) FROM drafts").fetchone()
    assert organization_id == dana.organization_id
    assert deal == [
        "Toronto",
        18750050,
        CURRENCY,
        CLOSE,
        CRM_ID,
        None,
        "\n".join(NOTES),
        ADATUM_DUNS,
        *CONTACT,
        1,
        "private",
    ]
    assert sorted(team) == sorted(
        [(dana.first_name, dana.last_name, dana.phone, dana.email), MEMBER]
    )
    assert solutions == [(SOLUTION, None)]
    assert drafts == (0,)
