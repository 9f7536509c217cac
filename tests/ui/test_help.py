"""Help (`?`, f1, R-UI-6): the keys in force where the user is, and how co-selling works."""

from __future__ import annotations

from textual.widgets import TabbedContent

from cosell_tui.app import CoSellApp, build_app
from cosell_tui.domain.models import User
from cosell_tui.screens.deal import DealScreen
from cosell_tui.screens.dialogs.comment import CommentDialog
from cosell_tui.screens.help import EVERYWHERE, ON_SCREEN, HelpScreen
from cosell_tui.screens.main import MainScreen
from cosell_tui.store.database import Database
from tests.ui.test_main_screen import settle


def shown(app: CoSellApp) -> dict[str, dict[str, list[str]]]:
    """Heading → title → keys, as the help screen on top lists them."""
    screen = app.screen
    assert isinstance(screen, HelpScreen), screen
    return {g.heading: {row.title: row.keys for row in g.rows} for g in screen.groups}


async def test_help_lists_the_keys_in_force_where_the_user_is(
    demo_db: Database, people: dict[str, User]
) -> None:
    app = build_app(demo_db, people["Dana"])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.set_keymap({"list.sort": "O"})  # as a config's [keymap] does
        await pilot.press("question_mark")
        main = shown(app)
        assert main["In the list"]["Down"] == ["↓", "j"]  # vim keys merged with the arrows
        assert main[ON_SCREEN]["Sort"] == ["O"]  # the key in force, not the default
        assert {"Filter", "New deal", "Accept", "Inbound", "Switch user"} <= set(main[ON_SCREEN])
        assert main[EVERYWHERE]["Help"] == ["?", "f1"]
        assert main[EVERYWHERE]["Command palette"] == ["^p"]
        # the second page, then close with ?
        await pilot.press("tab")
        assert app.screen.query_one(TabbedContent).active == "guide"
        await pilot.press("question_mark")
        assert isinstance(app.screen, MainScreen)

        await pilot.press("enter")  # the first inbound deal: received
        await settle(app, pilot)
        assert isinstance(app.screen, DealScreen)
        await pilot.press("f1")
        deal = shown(app)
        assert {"Back", "Accept", "Decline", "Comment"} <= set(deal[ON_SCREEN])
        assert "Filter" not in deal[ON_SCREEN] and "Won" not in deal[ON_SCREEN]
        assert "Scrolling" in deal
        await pilot.press("f1")  # f1 again closes it
        assert isinstance(app.screen, DealScreen)

        # inside a dialog f1 still works, and lists the dialog's keys, not the screen's
        await pilot.press("c")
        await settle(app, pilot)
        assert isinstance(app.screen, CommentDialog)
        await pilot.press("f1")
        dialog = shown(app)
        assert "Accept" not in dialog.get(ON_SCREEN, {})
        assert set(dialog[EVERYWHERE]) == {"Help", "Command palette"}  # only priority keys
        await pilot.press("escape")
        assert isinstance(app.screen, CommentDialog)
