"""Memory a user would notice over a day's work (issue 6): the deal screens they close are freed
(each held about 1.1 MB), and the footer's rebuilt keys do not pile up."""

from __future__ import annotations

import gc
import weakref

import pytest
from textual.widgets._footer import FooterKey

from cosell_tui.app import build_app
from cosell_tui.domain.models import User
from cosell_tui.screens.deal import DealScreen
from cosell_tui.screens.main import MainScreen
from cosell_tui.store.database import Database
from tests.ui.test_main_screen import settle
from tests.ui.test_palette import until


@pytest.mark.long
async def test_closed_deal_screens_and_old_footer_keys_are_freed(
    demo_db: Database, people: dict[str, User]
) -> None:
    app = build_app(demo_db, people["Dana"])
    closed: list[weakref.ref[DealScreen]] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        for _ in range(3):
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, DealScreen))
            await settle(app, pilot)
            assert isinstance(app.screen, DealScreen)
            closed.append(weakref.ref(app.screen))
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, MainScreen))
            await pilot.press("down")  # another row, other keys in the footer
            await settle(app, pilot)
        gc.collect()
        assert sum(ref() is not None for ref in closed) == 0, "closed deal screens in memory"
        # the footers rebuilt their keys as the screens and rows changed; only the shown remain
        keys = [o for o in gc.get_objects() if isinstance(o, FooterKey)]
        assert keys and all(key.is_attached for key in keys), sum(not k.is_attached for k in keys)
