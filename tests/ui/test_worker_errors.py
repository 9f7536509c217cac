"""A failed read in a screen's or a list's worker is said, never silent (STYLE rule 4).

Textual's worker messages do not bubble, so each screen hands its failures to the app.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from cosell_tui.app import build_app
from cosell_tui.domain.models import User
from cosell_tui.source import DatabaseSource
from cosell_tui.store.database import Database
from tests.ui.test_main_screen import settle


def messages(app: object) -> list[str]:
    return [str(n.message) for n in app._notifications]  # type: ignore[attr-defined]


async def test_a_busy_database_and_a_bug_in_a_list_worker_are_each_one_notice(
    demo_db: Database,
    people: dict[str, User],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))  # where the bug log goes
    app = build_app(demo_db, people["Dana"])
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(app, pilot)

        def locked(*_: object) -> int:
            raise OperationalError("SELECT", {}, Exception("database is locked"))

        # (a list reads its count with its totals, `list_summary`; `count` without them)
        monkeypatch.setattr(DatabaseSource, "count", locked)
        monkeypatch.setattr(DatabaseSource, "list_summary", locked)
        await pilot.press("2")  # the Outbound list counts its rows in a worker
        app.screen.reload_all()  # type: ignore[attr-defined]
        await pilot.pause(0.3)
        busy = [m for m in messages(app) if "busy" in m]
        assert busy and busy[0].startswith("The database is busy (another program")

        def broken(*_: object) -> int:
            raise ZeroDivisionError

        monkeypatch.setattr(DatabaseSource, "count", broken)
        monkeypatch.setattr(DatabaseSource, "list_summary", broken)
        app.screen.reload_all()  # type: ignore[attr-defined]
        await pilot.pause(0.3)
        bugs = [m for m in messages(app) if "ZeroDivisionError" in m]
        assert bugs and "details are in" in bugs[0]
        assert app.is_running
