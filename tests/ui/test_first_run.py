"""First run (R-UI-8): an empty database asks for the organization, its first location and
its first admin — or loads the demo — and then opens normally."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from cosell_tui import demo, services
from cosell_tui.app import CoSellApp, build_app
from cosell_tui.clock import FixedClock
from cosell_tui.domain.models import OrganizationSetupForm, User
from cosell_tui.screens import first_run
from cosell_tui.screens.dialog import Field
from cosell_tui.screens.first_run import TAKEN, FirstRunScreen
from cosell_tui.screens.main import MainScreen
from cosell_tui.source import load_demo
from cosell_tui.store.database import Database, open_database
from tests.ui.test_main_screen import settle, sql
from tests.ui.test_real_terminal import Terminal, app_command, new_socket

GOOD = {
    "organization": "Contoso Analytics",
    "city": "Seattle",
    "country": "us",
    "first-name": "Dana",
    "last-name": "Whitfield",
    "admin-email": "Dana.Whitfield@contoso.example",
    "phone": "+1 425 555 0100",
}


def users(db: Database) -> int:
    return int(sql(db, "SELECT count(*) FROM users")[0][0])  # type: ignore[call-overload]


def error_under(app: CoSellApp, key: str) -> str:
    field = next(f for f in app.screen.query(Field) if f.key == key)
    message = field.query_one(".field-error", Static)
    return str(message.render()) if message.display else ""


async def fill(app: CoSellApp, pilot: Pilot[None], values: dict[str, str]) -> None:
    """Put each value in its field (typing them all costs seconds; the form reads the same)."""
    for name, value in values.items():
        app.screen.query_one(f"#{name}", Input).value = value
    await pilot.pause()


async def until(app: CoSellApp, pilot: Pilot[None], done: object, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await pilot.pause(0.05)
        if callable(done) and done():
            break
    await settle(app, pilot)


async def test_the_form_checks_each_field_then_sets_up_and_opens_the_main_screen(
    db: Database,
) -> None:
    # R-UI-8, R-Q-1: messages under their fields, nothing written until the form is right
    assert users(db) == 0
    app = build_app(db, None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, FirstRunScreen)
        assert app.screen.focused is app.screen.query_one("#organization", Input)
        await fill(app, pilot, {"organization": "Contoso", "city": "Seattle"})
        app.screen.query_one("#country", Input).focus()
        await pilot.press(*"USA", "tab")
        # leaving a field shows its message at once (inline), before any save
        assert "two-letter ISO 3166" in error_under(app, "country")
        assert error_under(app, "city") == ""
        await fill(app, pilot, GOOD | {"country": "USA", "admin-email": "dana@", "phone": "12"})
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "valid email" in error_under(app, "admin_email")
        assert "7-15 digits" in error_under(app, "phone")
        assert error_under(app, "organization") == error_under(app, "city") == ""
        assert app.screen.focused is app.screen.query_one("#country", Input)
        assert users(db) == 0
        await fill(app, pilot, {k: GOOD[k] for k in ("country", "admin-email", "phone")})
        await pilot.press("ctrl+s")
        await until(app, pilot, lambda: isinstance(app.screen, MainScreen))
        assert isinstance(app.screen, MainScreen)
        assert app.user.email == "dana.whitfield@contoso.example"
        who = str(app.screen.query_one("#who", Static).render())
        assert who == "Dana Whitfield · Contoso Analytics"
    organizations = sql(db, "SELECT id, name, is_vendor FROM organizations")
    assert [tuple(row[1:]) for row in organizations] == [("Contoso Analytics", 0)]
    org_id = organizations[0][0]
    assert sql(db, "SELECT organization_id, city, country FROM locations") == [
        (org_id, "Seattle", "US")
    ]
    assert sql(db, "SELECT organization_id, email, role, scope_location_id FROM users") == [
        (org_id, "dana.whitfield@contoso.example", "partner_admin", None)
    ]


async def test_escape_quits_without_writing_and_a_taken_database_is_one_sentence(
    db: Database, tmp_path: Path
) -> None:
    # R-UI-8: someone else set the database up while the form was open
    app = build_app(db, None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await fill(app, pilot, GOOD)
        other = OrganizationSetupForm(
            organization="Fabrikam",
            city="Berlin",
            country="DE",
            admin_email="jonas@fabrikam.example",
            first_name="Jonas",
            last_name="Keller",
            phone="+49 30 555 0100",
        )
        services.initialize(db, other)
        await pilot.press("ctrl+s")
        await until(app, pilot, lambda: not app.screen.busy)  # type: ignore[attr-defined]
        assert isinstance(app.screen, FirstRunScreen)
        assert str(app.screen.query_one("#first-run-status", Static).render()) == TAKEN
        await pilot.press("escape")
        await pilot.pause()
        assert not app.is_running
    assert sql(db, "SELECT email FROM users") == [("jonas@fabrikam.example",)]


@pytest.mark.long
async def test_the_demo_is_built_here_and_opens_as_its_first_admin(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # R-UI-8: the second choice, with a visible state while it builds (a few seconds)
    checked = threading.Event()  # the build waits until the test has seen the building state

    def load_when_checked(target: Database) -> User:
        assert checked.wait(30)
        return load_demo(target)

    monkeypatch.setattr(first_run, "load_demo", load_when_checked)
    app = build_app(db, None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+l")
        await pilot.pause()
        status = app.screen.query_one("#first-run-status", Static)
        assert str(status.render()).startswith("Building the demo")
        await pilot.press("escape")  # refused while building: the demo must not be cut short
        await pilot.pause()
        assert app.is_running
        checked.set()
        await until(app, pilot, lambda: isinstance(app.screen, MainScreen))
        assert isinstance(app.screen, MainScreen)
        assert app.user.email == "dana.whitfield@contoso.example"  # the demo's first admin
        assert app.screen.current_list.total
    assert users(db) == 16


def test_an_empty_database_file_opens_the_form_in_a_real_terminal(tmp_path: Path) -> None:
    # R-UI-8 end to end: `cosell-tui --db EMPTY.db` in a terminal shows the form, escape quits
    empty = tmp_path / "empty.db"
    term = Terminal.start(new_socket(), "app", f"{app_command(empty)}; sleep 30", tmp_path)
    try:
        screen = term.wait_for(lambda s: "Load the demo ecosystem" in s, "the first-run form")
        assert "Welcome to cosell-tui" in screen and "Admin's email" in screen
        term.keys("Escape")
        term.wait_for(lambda s: "Welcome to cosell-tui" not in s, "the app to quit", timeout=10)
    finally:
        term.tmux("kill-server")
    assert sql_file(empty, "SELECT count(*) FROM users") == [(0,)]


def sql_file(path: Path, statement: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(statement).fetchall()


def test_the_demo_appears_whole_or_not_at_all(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # another terminal on the same file (its expiry sweep) never sees a half-built demo
    real = demo.build_demo
    seen_meanwhile: list[int] = []

    def build_and_look(target: Database, **options: object) -> object:
        built = real(target, **options)  # type: ignore[arg-type]
        seen_meanwhile.append(users(db))
        return built

    monkeypatch.setattr(demo, "build_demo", build_and_look)
    admin = load_demo(db)
    assert seen_meanwhile == [0]
    assert users(db) == 16 and admin.email == "dana.whitfield@contoso.example"


def test_a_failed_demo_build_leaves_the_database_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ...and a build that fails leaves it empty, so the first-run form is offered again

    db = open_database(tmp_path / "empty.db", clock=FixedClock.on(date(2026, 11, 27)))
    try:
        real = demo.build_demo

        def half(target: Database, **options: object) -> object:
            real(target, **options)  # type: ignore[arg-type]
            raise RuntimeError("halfway")

        monkeypatch.setattr(demo, "build_demo", half)
        with pytest.raises(RuntimeError):
            load_demo(db)
        assert users(db) == 0
        assert not list(tmp_path.glob(".cosell-demo-*"))  # the scratch file is gone too
    finally:
        db.dispose()
