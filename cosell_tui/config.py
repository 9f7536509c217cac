"""The config file (issue 5, STYLE rule 13): TOML in the user config directory, or COSELL_CONFIG.

- `Config` is the validated settings; `Config()` is the defaults. A plain frozen dataclass
  checked by `validate_config`: the file is read before the first frame, and pydantic's import
  alone would cost about 0.1 s there (issue 6).
- `config_path()` -> the file to read (COSELL_CONFIG, else platformdirs' user config dir).
- `load_config(path) -> tuple[Config, str | None]`: the config and, when the file is
  invalid, one sentence naming the line and setting (and then the defaults are returned).
  A missing file is the defaults, silently.
  A keymap found good is remembered in the user cache directory (`checked_keymap_file()`),
  so the next start skips importing every screen to check it.
- `save_theme(path, theme)`: persist a theme chosen in the app, keeping the rest of the file
  (its BOM and line ends too).
- `apply_to_app(app)`: date format, keymap (App.set_keymap) and theme on the running app;
  reports `app.config_problem` with app.notify, and saves the theme whenever the user
  changes it (ctrl+p → Change theme).
"""

from __future__ import annotations

import codecs
import difflib
import json
import os
import re
import tempfile
import threading
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from cosell_tui.widgets.text import date_format_problem

if TYPE_CHECKING:
    from textual.theme import Theme

    from cosell_tui.app import CoSellApp

STARTED_WITH_DEFAULTS = "started with the default settings."


class SettingError(ValueError):
    """A setting's value is refused; `where` is its path in the file (for the line)."""

    def __init__(self, where: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message


DefaultTab = Literal["inbound", "outbound", "favorites"]
DefaultView = Literal["active", "closed", "all"]


@dataclass(frozen=True, slots=True)
class Config:
    theme: str = "textual-dark"
    """Any Textual theme (the app checks the name: themes are known only there)."""
    default_tab: DefaultTab = "inbound"
    default_view: DefaultView = "active"
    """What the lists show first (the `v` key cycles active, closed, all)."""
    date_format: str = "%Y-%m-%d"
    """strftime pattern for every date shown (inputs stay YYYY-MM-DD)."""
    keymap: dict[str, str] = field(default_factory=dict)
    """Binding id → comma-separated Textual key names; normalized ("?" → "question_mark")."""


SETTINGS = tuple(setting.name for setting in fields(Config))


def validate_config(data: Mapping[str, Any]) -> Config:
    """The settings in `data` (a TOML file's tables) as a Config, or SettingError for the
    first one refused: the settings in the order above, then a name that is no setting."""
    values = {name: check(data[name]) for name, check in _CHECKS.items() if name in data}
    unknown = next((name for name in data if name not in _CHECKS), None)
    if unknown is not None:
        names = ", ".join(n if n != "keymap" else "[keymap]" for n in SETTINGS)
        raise SettingError((unknown,), f'there is no setting "{unknown}" (the settings: {names})')
    return Config(**values)


def _text(setting: str, value: object) -> str:
    if not isinstance(value, str):
        raise SettingError((setting,), f"{setting} = {_shown(value)} must be text in quotes")
    return value


def _theme(value: object) -> str:
    theme = _text("theme", value)
    if not theme.strip():
        raise SettingError(("theme",), 'theme = "" names no theme')
    return theme


def _one_of(setting: str, choices: tuple[str, ...]) -> Callable[[object], str]:
    def check(value: object) -> str:
        if not isinstance(value, str) or value not in choices:
            quoted = [f'"{choice}"' for choice in choices]
            listed = ", ".join(quoted[:-1]) + f" or {quoted[-1]}"
            raise SettingError((setting,), f"{setting} = {_shown(value)} must be one of {listed}")
        return value

    return check


def _date_format(value: object) -> str:
    pattern = _text("date_format", value)
    problem = date_format_problem(pattern)
    if problem:
        raise SettingError(("date_format",), f"date_format = {_shown(pattern)} {problem}")
    return pattern


def _keymap(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise SettingError(
            ("keymap",),
            'keymap must be a table: a [keymap] line, then lines like "list.sort" = "s"',
        )
    keymap: dict[str, str] = {}
    for binding_id, written in value.items():
        if not isinstance(written, str):
            raise SettingError(
                ("keymap", str(binding_id)),
                f'keymap "{binding_id}" = {_shown(written)} must be keys in quotes, like "s"',
            )
        keymap[binding_id] = written
    if not keymap:
        return keymap
    stamp = _keymap_stamp(keymap)
    checked = _checked_before(stamp)
    if checked is not None:
        return checked
    normalized = _check_keymap(keymap)
    _remember_checked(stamp, normalized)
    return normalized


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "theme": _theme,
    "default_tab": _one_of("default_tab", get_args(DefaultTab)),
    "default_view": _one_of("default_view", get_args(DefaultView)),
    "date_format": _date_format,
    "keymap": _keymap,
}
"""Each setting's check, in the order a file's problems are looked for (Config's)."""
assert tuple(_CHECKS) == SETTINGS


def _check_keymap(keymap: dict[str, str]) -> dict[str, str]:
    """The keymap normalized, or SettingError: an unknown id, a bad key name, a clash."""
    from cosell_tui import keys  # noqa: PLC0415 - imports every screen: only when needed

    known = keys.binding_ids()
    normalized: dict[str, str] = {}
    for binding_id, value in keymap.items():
        where = ("keymap", binding_id)
        if binding_id not in known:
            close = difflib.get_close_matches(binding_id, list(known), n=1)
            hint = f'did you mean "{close[0]}"?' if close else "docs/config.md lists them"
            raise SettingError(where, f'keymap "{binding_id}" is not a binding id ({hint})')
        try:
            normalized[binding_id] = keys.normalize_keys(value)
        except ValueError as error:
            raise SettingError(
                where,
                f'keymap "{binding_id}" = {_shown(value)}: {error} (key names look like '
                "o, G, question_mark, ctrl+s, f5, escape; see docs/config.md)",
            ) from None
    clash = keys.find_clash(normalized)
    if clash is not None:
        raise SettingError(("keymap", clash.binding_id), clash.describe(keymap[clash.binding_id]))
    return normalized


# --- the keymap's verdict, cached ------------------------------------------------------------
# Checking a keymap imports every screen to see its bindings (about 0.2 s before the first
# frame); a keymap found good is remembered in the user cache directory with what
# App.set_keymap is given, under a hash of the keymap as written, this cosell-tui and
# Textual, and every source file of the app (size and time), so an edited file, an upgrade or
# an edited binding checks it again. Only good keymaps are remembered: a bad one is checked
# each time, and says why.

_CHECKED_FILE = "keymap-checked.json"
_effective: dict[str, dict[str, str]] = {}
"""Normalized keymap (JSON) → what App.set_keymap is given, for keymaps checked here."""


def checked_keymap_file() -> Path:
    from platformdirs import user_cache_path  # noqa: PLC0415

    return user_cache_path("cosell-tui", appauthor=False) / _CHECKED_FILE


def _keymap_stamp(keymap: Mapping[str, str]) -> str:
    import hashlib  # noqa: PLC0415
    import importlib.util  # noqa: PLC0415

    import cosell_tui  # noqa: PLC0415

    digest = hashlib.sha256()
    digest.update(json.dumps([cosell_tui.__version__, list(keymap.items())]).encode())
    textual = importlib.util.find_spec("textual")
    sources = [Path(textual.origin)] if textual and textual.origin else []
    for folder in cosell_tui.__path__:
        sources += sorted(Path(folder).rglob("*.py"))
    for source in sources:
        try:
            facts = source.stat()
        except OSError:
            continue
        digest.update(f"{source}\0{facts.st_size}\0{facts.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _checked_before(stamp: str) -> dict[str, str] | None:
    """The normalized keymap when this very keymap, with this very code, was found good."""
    try:
        saved = json.loads(checked_keymap_file().read_text(encoding="utf-8"))
        if saved["stamp"] != stamp:
            return None
        normalized, effective = saved["keymap"], saved["effective"]
        if not all(
            isinstance(table, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in table.items())
            for table in (normalized, effective)
        ):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None  # none yet, unreadable, or not ours: check the keymap
    _effective[json.dumps(normalized, sort_keys=True)] = effective
    return dict(normalized)


def _remember_checked(stamp: str, normalized: dict[str, str]) -> None:
    from cosell_tui import keys  # noqa: PLC0415

    effective = keys.effective_keymap(normalized)
    _effective[json.dumps(normalized, sort_keys=True)] = effective
    path = checked_keymap_file()
    saved = {"stamp": stamp, "keymap": normalized, "effective": effective}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".keymap-", suffix=".json")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(saved, out)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        pass  # a read-only home: the keymap is simply checked again next time


def effective_keymap(keymap: Mapping[str, str]) -> dict[str, str]:
    """What App.set_keymap is given for a checked keymap (keys.effective_keymap), without
    importing the screens when it was checked (or found in the cache) in this process."""
    known = _effective.get(json.dumps(dict(keymap), sort_keys=True))
    if known is not None:
        return dict(known)
    from cosell_tui import keys  # noqa: PLC0415

    return keys.effective_keymap(keymap)


# --- reading ---------------------------------------------------------------------------------


def config_path() -> Path:
    override = os.environ.get("COSELL_CONFIG")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_config_path  # noqa: PLC0415

    return user_config_path("cosell-tui", appauthor=False) / "config.toml"


def load_config(path: Path) -> tuple[Config, str | None]:
    """The settings in `path`; on any problem the defaults and one sentence saying it."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return Config(), None
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "it is not UTF-8 text"
        return Config(), f"{_name(path)} could not be read ({reason}); {STARTED_WITH_DEFAULTS}"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        return Config(), _toml_problem(path, text, str(error))
    data, twice = _flatten_keymap(data)
    if twice is not None:
        first, second = _line_of(text, ("keymap", twice)), _line_of(text, ("keymap", twice), 1)
        if first and second and second > first:  # else one is inline: name the first line
            at, also = f" line {second}", f" (first on line {first})"
        else:
            at, also = (f" line {first}" if first else ""), ""
        message = f'keymap "{twice}" is set twice{also}'
        return Config(), f"{_name(path)}{at}: {message}; {STARTED_WITH_DEFAULTS}"
    try:
        return validate_config(data), None
    except SettingError as error:
        return Config(), problem_sentence(path, error.where, error.message, text)


def _flatten_keymap(data: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """`list.sort = "s"` under [keymap] is a dotted key in TOML: read it as the id list.sort.

    Also returns the first binding id written twice (`"list.sort"` and `list.sort` are two
    different keys to TOML, one to us), or None.
    """
    keymap = data.get("keymap")
    if not isinstance(keymap, dict):
        return data, None
    flat: dict[str, Any] = {}
    twice: list[str] = []

    def walk(prefix: str, table: Mapping[str, Any]) -> None:
        for key, value in table.items():
            name = f"{prefix}.{key}" if prefix else key
            if isinstance(value, dict):
                walk(name, value)
            else:
                if name in flat:
                    twice.append(name)
                flat[name] = value

    walk("", keymap)
    return {**data, "keymap": flat}, (twice[0] if twice else None)


def _shown(value: object) -> str:
    """A value as the TOML file spells it."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return str(value)


def _name(path: Path | None) -> str:
    if path is None:
        return "The config file"
    home = Path.home()
    try:
        return "~/" + path.relative_to(home).as_posix()
    except ValueError:
        return str(path)


def problem_sentence(
    path: Path | None, where: tuple[str, ...], message: str, text: str | None = None
) -> str:
    """`<file> line 7: <message>; started with the default settings.`"""
    if text is None and path is not None:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            text = None
    line = _line_of(text, where) if text is not None else None
    at = f" line {line}" if line else ""
    return f"{_name(path)}{at}: {message}; {STARTED_WITH_DEFAULTS}"


def _toml_problem(path: Path, text: str, message: str) -> str:
    found = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    what = message[: found.start()] if found else message
    what = what[:1].lower() + what[1:]
    if not found:
        return f"{_name(path)}: not valid TOML ({what}); {STARTED_WITH_DEFAULTS}"
    line, column = int(found.group(1)), int(found.group(2))
    lines = text.split("\n")  # TOML's line ends (\r\n too), not str.splitlines' U+2028 etc.
    shown = lines[line - 1].strip() if line <= len(lines) else ""
    excerpt = f" ({_shown(shown[:40] + ('…' if len(shown) > 40 else ''))})" if shown else ""
    return (
        f"{_name(path)} line {line}{excerpt}: not valid TOML ({what}, column {column}); "
        f"{STARTED_WITH_DEFAULTS}"
    )


_KEY_PART = r'(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
_KEY = re.compile(rf"^\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*=")
_TABLE = re.compile(rf"^\s*\[\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*\]\s*(?:#.*)?$")


def _parts(dotted: str) -> list[str]:
    found = re.findall(_KEY_PART, dotted)
    return [json.loads(p) if p.startswith('"') else p.strip("'") for p in found]


def _line_of(text: str, where: tuple[str, ...], skip: int = 0) -> int | None:
    """The line (from 1) where the setting at `where` is written, or its table's; `skip`
    passes over that many earlier lines writing it (a setting written twice)."""
    wanted = ".".join(where)
    fallback = None
    table: list[str] = []
    for number, line in enumerate(text.split("\n"), 1):
        header = _TABLE.match(line)
        if header:
            table = _parts(header.group(1))
            if ".".join(table) == wanted or (where and ".".join(table) == where[0]):
                fallback = fallback or number
            continue
        key = _KEY.match(line)
        if key is None:
            continue
        full = ".".join([*table, *_parts(key.group(1))])
        if full == wanted:
            if not skip:
                return number
            skip -= 1
            continue
        if where and full == where[0] and not table:
            fallback = fallback or number  # keymap = { ... } inline
    return fallback


# --- saving the theme ------------------------------------------------------------------------

_saving = threading.Lock()
_THEME_LINE = re.compile(
    r"""^(\s*(?:theme|"theme"|'theme')\s*=\s*)("(?:[^"\\]|\\.)*"|'[^']*'|\S+)(.*)$"""
)


def save_theme(path: Path, theme: str) -> None:
    """Write `theme = "<theme>"` at the top level of `path`, keeping every other line.

    Creates the file (and its folder) when missing; replaces it atomically. Raises OSError.
    """
    with _saving:
        target = path.resolve() if path.is_symlink() else path  # a dotfiles link stays a link
        try:
            raw = target.read_bytes()
        except FileNotFoundError:
            raw = b""
        bom = raw.startswith(codecs.BOM_UTF8)
        text = raw.decode("utf-8-sig")  # UnicodeDecodeError (a ValueError) if not UTF-8
        # TOML ends lines with \n or \r\n only: split there (not on U+2028 in a comment), and
        # keep each line's \r so a Windows file stays one
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()
        eol = "\r" if lines and lines[0].endswith("\r") else ""
        if eol and not lines[-1].endswith("\r"):
            lines[-1] += eol  # the newline added at the end is the file's kind too
        new_line = f"theme = {json.dumps(theme)}{eol}"
        first_table = next(
            (i for i, line in enumerate(lines) if line.lstrip().startswith("[")), len(lines)
        )
        for index, line in enumerate(lines[:first_table]):
            found = _THEME_LINE.match(line)
            if found:
                lines[index] = f"{found.group(1)}{json.dumps(theme)}{found.group(3)}"
                break
        else:
            # after the last top-level line: above the first table, its own comments and the
            # blank lines before them
            at = first_table
            if at < len(lines):
                while at > 0 and lines[at - 1].lstrip().startswith("#"):
                    at -= 1
            while at > 0 and not lines[at - 1].strip():
                at -= 1
            gap = [eol] if at < len(lines) and lines[at].strip() else []
            lines[at:at] = [new_line, *gap]
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".config-", suffix=".toml")
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
                out.write(("\ufeff" if bom else "") + "\n".join(lines) + "\n")
                out.flush()
                os.fsync(out.fileno())
            if target.exists():
                os.chmod(temporary, target.stat().st_mode & 0o7777)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _save_in_background(app: CoSellApp, path: Path, theme: str) -> None:
    try:
        save_theme(path, theme)
    except (OSError, ValueError) as error:
        if isinstance(error, UnicodeDecodeError):
            reason = "it is not UTF-8 text"
        elif isinstance(error, OSError):
            reason = error.strerror or type(error).__name__
        else:
            reason = str(error) or type(error).__name__
        app.call_from_thread(
            app.notify,
            f"The theme could not be saved to {_name(path)} ({reason}); it lasts until you quit.",
            severity="warning",
            timeout=10,
            markup=False,
        )


# --- the running app -------------------------------------------------------------------------


def apply_to_app(app: CoSellApp) -> None:
    """Date format, keymap and theme from `app.config`; the problem, if any, as a notice."""
    from cosell_tui.widgets.text import set_date_format  # noqa: PLC0415

    if app.config_problem is None and app.config.theme not in app.available_themes:
        app.config_problem = problem_sentence(
            app.config_path,
            ("theme",),
            f"theme = {_shown(app.config.theme)} is not a theme here "
            '(ctrl+p, then "Change theme", lists them)',
        )
        app.config = Config()
    config = app.config
    set_date_format(config.date_format)  # always: an earlier app in this process may have set it
    if config.keymap:
        app.set_keymap(effective_keymap(config.keymap))
    if config.theme != app.theme:
        app.theme = config.theme
    saved = [config.theme]

    def theme_changed(theme: Theme) -> None:
        if theme.name == saved[0]:
            return  # the theme the config set at start (published after this), or unchanged
        saved[0] = theme.name
        app.config = replace(app.config, theme=theme.name)
        path = app.config_path
        if path is not None:
            app.run_worker(
                lambda: _save_in_background(app, path, theme.name),
                thread=True,
                group="config-save",
                exit_on_error=False,
            )

    app.theme_changed_signal.subscribe(app, theme_changed)
    if app.config_problem:
        # markup=False: the sentence quotes the file ("[keymap") and must show it as written
        app.notify(app.config_problem, severity="warning", timeout=15, markup=False)
