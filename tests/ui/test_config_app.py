"""The config file in the running app (issue 5): a bad file starts it with the defaults and one
sentence; a good one sets the tab, the view, the date format, the keys and the theme, and a
theme chosen in the app is written back to the file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input, TabbedContent

from cosell_tui import config as config_module
from cosell_tui.app import CoSellApp, build_app
from cosell_tui.config import Config, load_config
from cosell_tui.domain.listing import Show
from cosell_tui.domain.models import User
from cosell_tui.screens.help import HelpScreen
from cosell_tui.store.database import Database
from cosell_tui.widgets import text
from cosell_tui.widgets.deal_list import DealList
from tests.ui.test_main_screen import settle


@pytest.fixture(autouse=True)
def default_date_format() -> Iterator[None]:
    """The date format is one setting for the process: leave it as found for other tests."""
    yield
    text.set_date_format(text.DEFAULT_DATE_FORMAT)


@pytest.fixture(autouse=True)
def checked_keymaps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Good keymaps are remembered in the user cache directory: here, in the test's folder."""
    saved = tmp_path / "cache" / "keymap-checked.json"
    monkeypatch.setattr(config_module, "checked_keymap_file", lambda: saved)


def notices(app: CoSellApp) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


def screen_text(app: CoSellApp) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def start(db: Database, user: User, path: Path) -> CoSellApp:
    config, problem = load_config(path)
    return build_app(db, user, config, problem, path)


@pytest.mark.parametrize(
    ("text_", "expected"),
    [
        pytest.param(
            '[keymap]\n"list.view" = "V"\n"list.sort" = "f"\n',
            'line 3: keymap "list.sort" = "f" clashes with "list.favorite" (Fav) on the main '
            "screen; started with the default settings.",
            id="clash",
        ),
        pytest.param(
            'default_tab = "outbound"\n[keymap]\n"list.sortt" = "s"\n',
            'line 3: keymap "list.sortt" is not a binding id (did you mean "list.sort"?)',
            id="unknown-binding",
        ),
        pytest.param(
            'default_tab = "outbound"\n[keymap]]\n',
            'line 2 ("[keymap]]"): not valid TOML (',
            id="bad-toml",
        ),
        pytest.param(
            'default_tab = "outbound"\ntheme = "no-such-theme"\n',
            'line 2: theme = "no-such-theme" is not a theme here',
            id="unknown-theme",  # known only in the app
        ),
    ],
)
async def test_a_bad_config_starts_with_the_defaults_and_says_so(
    demo_db: Database, people: dict[str, User], tmp_path: Path, text_: str, expected: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text_)
    app = start(demo_db, people["Megan"], path)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(app, pilot)
        assert app.config == Config()
        assert app.theme == "textual-dark"
        assert app.screen.query_one(TabbedContent).active == "inbound"  # not the file's "outbound"
        sentence = [n for n in notices(app) if str(path) in n]
        assert len(sentence) == 1 and expected in sentence[0], notices(app)
        assert sentence[0].endswith("; started with the default settings.")
        shown = screen_text(app)
        assert "settings." in shown  # the toast (its lines wrap at spaces)
        if "[keymap]]" in text_:
            assert '("[keymap]]")' in shown  # as written: never read as markup
        assert app._keymap == {}  # no binding moved
    assert path.read_text() == text_  # nothing written


async def test_the_config_sets_tab_view_dates_keys_and_the_theme_is_saved(
    demo_db: Database, people: dict[str, User], tmp_path: Path
) -> None:
    path = tmp_path / "config.toml"
    written = (
        '# mine\ntheme = "dracula"\ndefault_tab = "outbound"\ndefault_view = "all"\n'
        'date_format = "%d.%m.%Y"\n\n[keymap]\n"list.view" = "V"  # shift+v\n'
    )
    path.write_text(written)
    app = start(demo_db, people["Dana"], path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert notices(app) == []
        assert app.theme == "dracula"
        assert path.read_text() == written  # the theme set from the file is not saved again

        assert app.screen.query_one(TabbedContent).active == "outbound"
        deal_list = app.screen.query_one("#list-outbound", DealList)
        assert deal_list.deal_query.show is Show.ALL
        rows = [deal_list.render_line(y).text for y in range(1, 4)]
        assert all(re.search(r"[ !]\d\d\.\d\d\.2\d{3}\b", row) for row in rows), rows

        await pilot.press("v")  # no longer the view key
        await settle(app, pilot)
        assert deal_list.deal_query.show is Show.ALL
        await pilot.press("V")
        await settle(app, pilot)
        assert deal_list.deal_query.show is Show.ALL.next()

        app.theme = "nord"  # what ctrl+p → "Change theme" does
        for _ in range(100):
            await pilot.pause(0.02)
            if 'theme = "nord"' in path.read_text():
                break
        assert path.read_text() == written.replace('"dracula"', '"nord"')
        assert app.config.theme == "nord"
        assert notices(app) == ["Showing active deals"]  # the view; nothing about the config


async def test_help_lists_a_remapped_key_and_a_field_still_types_it(
    demo_db: Database, people: dict[str, User], tmp_path: Path
) -> None:
    """A printable key on an ordinary binding is typed in a text field; on a priority
    binding (app.help, f1) Textual would run the binding instead, which is why the config
    refuses that (tests/test_config.py, priority-binding-on-a-typed-key)."""
    path = tmp_path / "config.toml"
    path.write_text('[keymap]\n"list.sort" = "S"\n"app.help_question" = "h"\n')
    app = start(demo_db, people["Megan"], path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("h")
        await settle(app, pilot)
        assert isinstance(app.screen, HelpScreen)
        frame = app.screen.query_one("#help").region
        lines = app.screen._compositor.render_strips()[frame.y : frame.bottom]
        shown = [strip.crop(frame.x, frame.right).text for strip in lines]
        sort_line = next(line for line in shown if "Sort by a column" in line)  # the tooltip
        assert re.search(r"\bS\b", sort_line) and not re.search(r"\bo\b", sort_line), shown
        assert any(re.search(r"\bh\b.*Help", line) for line in shown), shown

        await pilot.press("escape", "slash", "h")
        await settle(app, pilot)
        field = app.screen.query_one("#filter", Input)
        assert field.has_focus and field.value == "h"  # typed: app.help_question has no priority
        app.set_keymap({**app._keymap, "app.help": "h"})  # what the config refuses
        await pilot.press("h")
        await settle(app, pilot)
        assert isinstance(app.screen, HelpScreen) and field.value == "h"  # the field lost it
