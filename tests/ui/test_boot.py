"""Start-up as the CLI does it (issue 6): the main screen first, the database after.

The app draws its main screen, then opens the database in a worker (the opener the CLI gives
it); the lists show "Opening the database…" until then, and a failed open ends the app with
the sentence the CLI prints. A real-terminal check of the CLI's part is in test_real_terminal.
"""

from __future__ import annotations

import threading

from textual.widgets import Static

from cosell_tui.app import CoSellApp, Opened
from cosell_tui.cli import UserError
from cosell_tui.clock import FixedClock
from cosell_tui.config import Config
from cosell_tui.domain.listing import Tab, first_query
from cosell_tui.domain.models import User
from cosell_tui.screens.deal import DealScreen
from cosell_tui.screens.first_run import FirstRunScreen
from cosell_tui.screens.main import MainScreen
from cosell_tui.source import DatabaseSource
from cosell_tui.store import early, lists, queries
from cosell_tui.store.database import Database, sqlite_path
from cosell_tui.widgets.deal_list import DealList
from tests.ui.test_main_screen import settle, visible_ids


def _screen_text(app: CoSellApp) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def test_main_screen_shows_before_the_database_opens(
    demo_db: Database, people: dict[str, User]
) -> None:
    dana = people["Dana"]
    release = threading.Event()

    def opener() -> Opened:
        assert release.wait(10), "the test never let the database open"
        with demo_db.reading() as session:
            organization = queries.organization(session, dana.organization_id)
        return Opened(demo_db, dana, organization)

    app = CoSellApp(None, None, None, opener=opener)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(100):  # the footer draws its keys a moment after the screen
            await pilot.pause(0.05)
            text = _screen_text(app)
            if "palette" in text.splitlines()[-1]:
                break
        assert isinstance(app.screen, MainScreen)
        assert "1 Inbound" in text and "palette" in text.splitlines()[-1]
        assert "Opening the database…" in text
        assert not app.signed_in
        assert app.screen.check_action("new_deal", ()) is False  # the role is not known yet
        await pilot.press("slash", "a", "d", "a")  # a filter typed while it opens is kept
        await pilot.press("enter")
        release.set()
        await settle(app, pilot)
        assert app.signed_in and app.user.id == dana.id
        inbound = app.screen.query_one("#list-inbound", DealList)
        assert inbound.deal_query.search == "ada"
        with demo_db.reading() as session:
            total = lists.count(session, dana, inbound.deal_query)
            assert 0 < total < len(visible_ids(demo_db, dana, "inbound", ("received", "accepted")))
            first = lists.page(session, dana, inbound.deal_query, 0, 100)
        assert inbound.total == total
        assert inbound._pages[0] == first
        who = app.screen.query_one("#who", Static).render()
        assert "Dana" in str(who)
        for tab in ("outbound", "favorites"):  # the other lists read once the first showed
            assert app.screen.query_one(f"#list-{tab}", DealList).total is not None


async def test_a_failed_open_ends_the_app_with_its_sentence() -> None:
    problem = UserError(
        "No user nobody@example.com in this database; `cosell-tui users` lists who is there."
    )

    def opener() -> Opened:
        raise problem

    app = CoSellApp(None, None, None, opener=opener)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
    assert app.return_code == 1
    assert app.open_error is problem


async def test_an_empty_database_opens_the_first_run_form(db: Database) -> None:
    app = CoSellApp(None, None, None, opener=lambda: Opened(db, None, None))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, FirstRunScreen)
        assert not app.signed_in


async def test_the_first_rows_show_early_and_keys_on_them_wait_for_the_store(
    demo_db: Database, people: dict[str, User], clock: FixedClock
) -> None:
    """The early read (store/early.py) fills the list while the store still loads; what would
    write (a favorite, an answer) is off until then, and `enter` opens the deal once it can."""
    dana = people["Dana"]
    release = threading.Event()
    path = sqlite_path(demo_db.engine.url)
    assert path is not None

    def opener() -> Opened:
        assert release.wait(10), "the test never let the database open"
        with demo_db.reading() as session:
            organization = queries.organization(session, dana.organization_id)
        return Opened(demo_db, dana, organization)

    app = CoSellApp(
        None, None, None, opener=opener, peeker=lambda: early.peek(str(path), dana.email, clock)
    )
    inbound_query = first_query(Tab.INBOUND)
    with demo_db.reading() as session:
        total = lists.count(session, dana, inbound_query)
        first = lists.page(session, dana, inbound_query, 0, 100)
    async with app.run_test(size=(80, 24)) as pilot:
        inbound = app.screen.query_one("#list-inbound", DealList)
        for _ in range(100):
            await pilot.pause(0.05)
            if inbound.total is not None:
                break
        assert not app.signed_in
        assert inbound.total == total
        assert [row.id for row in inbound._pages[0]] == [row.id for row in first]
        assert first[0].name[:10] in _screen_text(app)
        assert "Opening the database…" not in _screen_text(app)
        assert app.screen.check_action("favorite", ()) is False
        assert app.screen.check_action("answer", ("accept",)) is False
        await pilot.press("down", "enter")  # the second deal, opened once the store is open
        await pilot.pause(0.2)
        assert isinstance(app.screen, MainScreen)
        release.set()
        for _ in range(200):
            await pilot.pause(0.05)
            if isinstance(app.screen, DealScreen):
                break
        assert isinstance(app.screen, DealScreen) and app.screen.referral_id == first[1].id
        await settle(app, pilot)
        app.pop_screen()
        await settle(app, pilot)
        assert isinstance(inbound.source, DatabaseSource)  # handed over
        assert inbound.current is not None and inbound.current.id == first[1].id


async def test_quitting_before_the_store_opens_leaves_no_list_waiting(
    demo_db: Database, people: dict[str, User], clock: FixedClock
) -> None:
    """A view chosen while the store loads waits for it; quitting then must not hang."""
    dana = people["Dana"]
    release = threading.Event()
    path = sqlite_path(demo_db.engine.url)
    assert path is not None

    def opener() -> Opened:
        release.wait(10)
        raise UserError("never opened")

    sources: list[early.EarlySource] = []

    def peeker() -> early.EarlySource | None:
        source = early.peek(str(path), dana.email, clock)
        assert source is not None
        sources.append(source)
        return source

    app = CoSellApp(None, None, None, opener=opener, peeker=peeker)
    async with app.run_test(size=(80, 24)) as pilot:
        inbound = app.screen.query_one("#list-inbound", DealList)
        for _ in range(100):
            await pilot.pause(0.05)
            if inbound.total is not None:
                break
        await pilot.press("v")  # closed deals: not an early list, its worker waits for the store
        await pilot.pause(0.2)
        app.exit()
        await pilot.pause(0.2)
    # what waited for the store is let go (a parked thread kept the process from ending)
    answered: list[BaseException] = []

    def ask() -> None:
        try:
            sources[0].count(inbound.deal_query)
        except early.Closed as error:
            answered.append(error)

    asking = threading.Thread(target=ask, daemon=True)
    asking.start()
    asking.join(2)
    release.set()
    assert answered, "a list reading the early source would wait for ever"


async def test_no_early_rows_for_a_list_that_starts_on_another_view(
    demo_db: Database, people: dict[str, User], clock: FixedClock
) -> None:
    """With `default_view = "closed"` the early read has nothing to show: the list says the
    database is opening until the store brings its rows."""
    dana = people["Dana"]
    release = threading.Event()
    path = sqlite_path(demo_db.engine.url)
    assert path is not None
    peeked = threading.Event()

    def peeker() -> early.EarlySource | None:
        source = early.peek(str(path), dana.email, clock)
        peeked.set()
        return source

    def opener() -> Opened:
        assert release.wait(10)
        with demo_db.reading() as session:
            organization = queries.organization(session, dana.organization_id)
        return Opened(demo_db, dana, organization)

    config = Config(default_view="closed")
    app = CoSellApp(None, None, None, config, opener=opener, peeker=peeker)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(100):
            await pilot.pause(0.05)
            if peeked.is_set():
                break
        await pilot.pause(0.3)
        inbound = app.screen.query_one("#list-inbound", DealList)
        inbound.refresh()  # (a list left waiting on the early read draws nothing at all)
        await pilot.pause()
        assert "Opening the database…" in _screen_text(app)
        release.set()
        await settle(app, pilot)
        with demo_db.reading() as session:
            assert inbound.total == lists.count(session, dana, inbound.deal_query)
