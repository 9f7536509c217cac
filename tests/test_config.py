"""The config file (issue 5): loading and its one-sentence problems, saving the theme, the
keymap catalogue (every binding class in a place, clashes) and the docs' binding table."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import tomllib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from textual.dom import DOMNode

import cosell_tui
from cosell_tui import config as config_module
from cosell_tui import keys
from cosell_tui.config import Config, _save_in_background, config_path, load_config, save_theme

DOCS = Path(__file__).parent.parent / "docs" / "config.md"


@pytest.fixture(autouse=True)
def checked_keymaps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Good keymaps are remembered in the user cache directory: here, in the test's folder."""
    saved = tmp_path / "cache" / "keymap-checked.json"
    monkeypatch.setattr(config_module, "checked_keymap_file", lambda: saved)
    return saved


GOOD = """\
# mine
theme = "nord"
default_tab = "outbound"
default_view = "all"
date_format = "%d.%m.%Y"

[keymap]
"list.sort" = "s"
list.view = "V, F6"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_is_read_and_a_missing_one_is_the_defaults(tmp_path: Path) -> None:
    config, problem = load_config(write(tmp_path, GOOD))
    assert problem is None
    assert config == Config(
        theme="nord",
        default_tab="outbound",
        default_view="all",
        date_format="%d.%m.%Y",
        keymap={"list.sort": "s", "list.view": "V,f6"},  # dotted key, normalized
    )
    assert load_config(tmp_path / "nowhere" / "config.toml") == (Config(), None)


def test_the_docs_example_is_a_good_file(tmp_path: Path) -> None:
    example = re.search(r"## Example\n\n```toml\n(.*?)```", DOCS.read_text(), re.S)
    assert example is not None
    assert load_config(write(tmp_path, example.group(1)))[1] is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            'theme = "nord"\n\n[keymap\n',
            'line 3 ("[keymap"): not valid TOML (expected',
            id="bad-toml",
        ),
        pytest.param(
            "# c\ndefault_view = 3\n",
            'line 2: default_view = 3 must be one of "active", "closed" or "all"',
            id="wrong-type",
        ),
        pytest.param(
            'theme = "nord"\ncolour = "red"\n',
            'line 2: there is no setting "colour"',
            id="unknown-setting",
        ),
        pytest.param(
            '[keymap]\n"list.sort" = "s"\n"list.srot" = "o"\n',
            'line 3: keymap "list.srot" is not a binding id (did you mean "list.sort"?)',
            id="unknown-binding",
        ),
        pytest.param(
            '[keymap]\n"list.sort" = "ctrl+shft+s"\n',
            'line 2: keymap "list.sort" = "ctrl+shft+s": "ctrl+shft+s" is not a key name',
            id="bad-key-name",
        ),
        pytest.param(
            'theme = "nord"\n\n[keymap]\n# sorting\n"list.view" = "V"\n"list.sort" = "f"\n',
            'line 6: keymap "list.sort" = "f" clashes with "list.favorite" (Fav) on the main '
            "screen; started with the default settings.",
            id="clash",
        ),
        pytest.param(
            '[keymap]\n"list.open" = "tab"\n',
            'line 2: keymap "list.open" = "tab" clashes with Textual\'s own "Focus Next" key',
            id="clash-with-textual",
        ),
        pytest.param(
            '[keymap]\n"filter.clear" = "x"\n',
            "would be typed as text in the main screen's filter",
            id="typed-in-a-field",
        ),
        pytest.param(
            '[keymap]\n"list.view" = "V"\n"app.help" = "f2, h"\n',
            'line 3: keymap "app.help" = "f2, h": this binding acts before text fields, so "h" '
            "could never be typed in the main screen's filter (give it a key that types "
            "nothing, like f2)",
            id="priority-binding-on-a-typed-key",  # f1's binding has priority=True
        ),
        pytest.param(
            '[keymap]\n"list.sort" = "s"\n# again\nlist.sort = "t"\n',
            'line 4: keymap "list.sort" is set twice (first on line 2)',
            id="set-twice",  # two keys to TOML, one binding id
        ),
        pytest.param(
            '[keymap]\n"list.view" = "V"\n\n[keymap.list]\nview = "W"\n',
            'line 5: keymap "list.view" is set twice (first on line 2)',
            id="set-twice-in-a-table",
        ),
        pytest.param(
            'date_format = "%B %d, %Y"\n',
            'line 1: date_format = "%B %d, %Y" shows up to 18 characters',
            id="date-too-wide",
        ),
        pytest.param(
            'date_format = "%b %Y"\n',
            "must show the year, the month and the day",
            id="date-without-day",
        ),
    ],
)
def test_an_invalid_file_gives_the_defaults_and_one_sentence(
    tmp_path: Path, text: str, expected: str
) -> None:
    config, problem = load_config(write(tmp_path, text))
    assert config == Config()
    assert problem is not None
    assert problem.startswith(f"{tmp_path / 'config.toml'} line ")
    assert expected in problem
    assert problem.endswith("; started with the default settings.")
    assert problem.count(". ") == 0  # one sentence


def test_shared_default_keys_and_swaps_are_no_clash() -> None:
    assert keys.find_clash({"list.sort": "f", "list.favorite": "o"}) is None  # a swap
    assert keys.find_clash({"main.new_deal": "m"}) is None  # main.new_deal_refused follows
    assert keys.effective_keymap({"main.new_deal": "m"})["main.new_deal_refused"] == "m"
    # Textual's keymap drops every binding on a remapped one's old key: keep the other there
    assert keys.effective_keymap({"main.new_deal_refused": "m"})["main.new_deal"] == "n"
    assert keys.find_clash({"app.help_question": "f1"}) is None  # the same action
    assert keys.find_clash({"app.help": "f2"}) is None  # priority, but types nothing
    assert keys.find_clash({"notifications.open": "o"}) is None  # priority, no field there
    clash = keys.find_clash({"app.help": "a"})  # priority: it would beat Accept in lists
    assert clash is not None and clash.binding_id == "app.help"


def test_cosell_config_overrides_the_user_config_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COSELL_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_path() == tmp_path / "xdg" / "cosell-tui" / "config.toml"
    monkeypatch.setenv("COSELL_CONFIG", str(tmp_path / "elsewhere.toml"))
    assert config_path() == tmp_path / "elsewhere.toml"


def test_save_theme_keeps_every_other_line_and_creates_what_is_missing(tmp_path: Path) -> None:
    text = '# my settings\ntheme = "nord"  # dark\ndate_format = "%d.%m.%Y"\n\n[keymap]\n'
    path = write(tmp_path, text + '"list.sort" = "s"  # s for sort\n')
    save_theme(path, "dracula")
    assert path.read_text() == text.replace('"nord"', '"dracula"') + (
        '"list.sort" = "s"  # s for sort\n'
    )

    path.write_text('# keys only\n\n[keymap]\ntheme = "not this one"\n')
    save_theme(path, "gruvbox")
    assert path.read_text() == (
        '# keys only\ntheme = "gruvbox"\n\n[keymap]\ntheme = "not this one"\n'
    )

    fresh = tmp_path / "new" / "folder" / "config.toml"
    save_theme(fresh, "nord")
    assert tomllib.loads(fresh.read_text()) == {"theme": "nord"}
    assert [p.name for p in fresh.parent.iterdir()] == ["config.toml"]  # no temporary left


def test_save_theme_keeps_a_bom_windows_line_ends_and_unicode_line_breaks(
    tmp_path: Path,
) -> None:
    path = tmp_path / "config.toml"
    # U+2028 and U+0085 are no line breaks to TOML: in a comment and a string they stay put
    text = (
        '\ufefftheme = "nord"\r\n# mine\u2028still mine\r\ndate_format = "%d.%m.%Y"\r\n'
        '\r\n[keymap]\r\n"list.sort" = "s"  # s\x85ort\r\n'
    )
    path.write_bytes(text.encode())
    save_theme(path, "dracula")
    assert path.read_bytes() == text.replace('"nord"', '"dracula"').encode()
    assert load_config(path) == (
        Config(theme="dracula", date_format="%d.%m.%Y", keymap={"list.sort": "s"}),
        None,
    )

    path.write_bytes('\ufeffdate_format = "%d.%m.%Y"\r\n[keymap]\r\n"list.sort" = "s"'.encode())
    save_theme(path, "nord")  # added, with the file's own line ends
    saved = (
        '\ufeffdate_format = "%d.%m.%Y"\r\ntheme = "nord"\r\n\r\n[keymap]\r\n"list.sort" = "s"\r\n'
    )
    assert path.read_bytes() == saved.encode()
    assert load_config(path)[0].theme == "nord"


def test_a_theme_that_cannot_be_saved_is_one_sentence(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")  # tests run as root: a path under a regular file is unwritable
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes('# Müller\ntheme = "nord"\n'.encode("latin-1"))
    notices: list[str] = []
    app: Any = SimpleNamespace(
        call_from_thread=lambda f, *a, **k: f(*a, **k), notify=lambda m, **k: notices.append(m)
    )
    _save_in_background(app, blocker / "config.toml", "nord")
    _save_in_background(app, latin1, "dracula")
    assert notices == [
        f"The theme could not be saved to {blocker / 'config.toml'} (Not a directory); "
        "it lasts until you quit.",
        f"The theme could not be saved to {latin1} (it is not UTF-8 text); "
        "it lasts until you quit.",
    ]
    assert latin1.read_bytes() == '# Müller\ntheme = "nord"\n'.encode("latin-1")


def test_a_good_keymap_is_checked_once_until_it_or_the_app_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, checked_keymaps: Path
) -> None:
    checked: list[dict[str, str]] = []
    check = config_module._check_keymap
    monkeypatch.setattr(
        config_module, "_check_keymap", lambda keymap: checked.append(keymap) or check(keymap)
    )
    good = '[keymap]\n"list.sort" = "s"\n"app.help" = "f1,f2"\n'
    path = write(tmp_path, good)
    expected = Config(keymap={"list.sort": "s", "app.help": "f1,f2"}), None
    assert load_config(path) == expected
    assert load_config(path) == expected  # remembered: the screens are not looked at again
    assert len(checked) == 1 and checked_keymaps.exists()
    assert config_module.effective_keymap(expected[0].keymap) == keys.effective_keymap(
        expected[0].keymap
    )

    path.write_text(good.replace('"s"', '"f"'))  # the file changed: a clash now
    assert "clashes with" in (load_config(path)[1] or "")
    path.write_text(good)  # the good one again: still remembered (a bad one never is)
    assert load_config(path) == expected
    assert len(checked) == 2

    monkeypatch.setattr(cosell_tui, "__version__", "99.0")  # another cosell-tui: again
    assert load_config(path) == expected
    checked_keymaps.write_text("{not json")  # a damaged cache is checked again, then mended
    assert load_config(path) == expected
    assert load_config(path) == expected
    assert len(checked) == 4


def test_every_class_with_bindings_is_in_a_place() -> None:
    placed = [
        keys.load(ref) for place in keys.PLACES for chain in keys.chains(place) for ref in chain
    ]
    missing = []
    for info in pkgutil.walk_packages(cosell_tui.__path__, "cosell_tui."):
        if ".migrations" in info.name:
            continue
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, DOMNode) or cls.__module__ != module.__name__:
                continue
            if cls.__dict__.get("BINDINGS") and not any(issubclass(p, cls) for p in placed):
                missing.append(f"{cls.__module__}:{cls.__qualname__}")
    assert not missing, f"add these to a Place in cosell_tui/keys.py: {missing}"


def test_the_docs_list_every_binding_id() -> None:
    assert keys.documented_table(DOCS) == keys.reference_table(), (
        "docs/config.md's binding table is out of date: run "
        "`.venv/bin/python -m cosell_tui.keys --write docs/config.md` and check the diff"
    )
