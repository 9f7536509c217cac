"""The config file (issue 5, STYLE rule 13): TOML in the user config directory, or COSELL_CONFIG.

CONTRACT (helper H1 fills in the loading, validation, saving and `apply_to_app`):
- `Config` is the validated settings; `Config()` is the defaults.
- `config_path()` -> the file to read (COSELL_CONFIG, else platformdirs' user config dir).
- `load_config(path) -> tuple[Config, str | None]`: the config and, when the file is
  invalid, one sentence naming the line and setting (and then the defaults are returned).
- `save_theme(path, theme)`: persist a theme chosen in the app, keeping the rest of the file.
- `apply_to_app(app)`: keymap (App.set_keymap) and theme on the running app; reports
  `app.config_problem` with app.notify.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from cosell_tui.app import CoSellApp


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    theme: str = "textual-dark"
    default_tab: Literal["inbound", "outbound", "favorites"] = "inbound"
    default_view: Literal["active", "closed", "all"] = "active"
    date_format: str = "%Y-%m-%d"
    keymap: dict[str, str] = Field(default_factory=dict)


def apply_to_app(app: CoSellApp) -> None:
    if app.config.keymap:
        app.set_keymap(app.config.keymap)
    if app.config.theme != app.theme:
        app.theme = app.config.theme
    if app.config_problem:
        app.notify(app.config_problem, severity="warning", timeout=15)


def config_path() -> Path:
    override = os.environ.get("COSELL_CONFIG")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_config_path  # noqa: PLC0415

    return user_config_path("cosell-tui", appauthor=False) / "config.toml"


def load_config(path: Path) -> tuple[Config, str | None]:
    return Config(), None


def save_theme(path: Path, theme: str) -> None:
    pass
