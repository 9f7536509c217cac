"""The main screen answers a key in one go (issue 6): a tab switch shows the tab's counts and
totals and its footer keys at once (read with the list, not after it), and a filter keystroke
brings the rows and the status bar together."""

from __future__ import annotations

from textual.widgets import Static
from textual.widgets._footer import FooterKey

from cosell_tui.app import CoSellApp
from cosell_tui.domain.listing import DealQuery, Tab
from cosell_tui.domain.models import User
from cosell_tui.screens.main import MainScreen
from cosell_tui.source import DatabaseSource
from cosell_tui.store.database import Database
from tests.ui.test_main_screen import current, running, settle


def status(app: CoSellApp, part: str) -> str:
    return str(app.screen.query_one(f"#{part}", Static).render()).strip()


def footer_keys(app: CoSellApp) -> list[str]:
    """The footer's keys a user sees, in order."""
    return [key.key for key in app.screen.query(FooterKey) if key.display]


def expected(db: Database, user: User, query: DealQuery) -> tuple[str, int]:
    """The status bar's rows part for `query`, and the list's row count."""
    shown, unfiltered, _ = DatabaseSource(db, user).list_summary(query)
    return f"{shown}/{unfiltered}", shown


async def test_a_tab_switch_shows_its_counts_and_keys_at_once(
    demo_db: Database, people: dict[str, User]
) -> None:
    dana = people["Dana"]
    async with running(demo_db, dana) as (app, pilot):
        inbound_rows = status(app, "rows")
        inbound_keys = footer_keys(app)
        assert "a" in inbound_keys  # the first Inbound deal is an invitation
        await pilot.press("2")
        await pilot.pause()  # one turn: no worker has had to read anything
        assert isinstance(app.screen, MainScreen)
        rows, _ = expected(demo_db, dana, app.screen.queries[Tab.OUTBOUND])
        assert current(app).deal_query.tab is Tab.OUTBOUND
        assert status(app, "rows") == rows
        assert "a" not in footer_keys(app)  # (no invitation in Outbound)
        assert not any(worker.is_running for worker in app.workers if worker.group == "totals")
        await pilot.press("1")
        await pilot.pause()
        assert status(app, "rows") == inbound_rows
        assert footer_keys(app) == inbound_keys


async def test_a_filter_keystroke_brings_rows_and_totals_together(
    demo_db: Database, people: dict[str, User]
) -> None:
    dana = people["Dana"]
    async with running(demo_db, dana) as (app, pilot):
        await pilot.press("2", "slash", "c", "o", "h", "o")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        query = app.screen.queries[Tab.OUTBOUND]
        assert query.search == "coho"
        rows, shown = expected(demo_db, dana, query)
        assert current(app).total == shown == 1
        assert status(app, "rows") == rows
        assert status(app, "values")  # the one deal's value
        await pilot.press("escape")
        await settle(app, pilot)
        assert status(app, "rows") == expected(demo_db, dana, query.with_(search=""))[0]
