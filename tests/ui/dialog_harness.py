"""A tiny app that opens one dialog and keeps what it returned, for dialog tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from textual.app import App
from textual.screen import ModalScreen

STYLES = Path(__file__).parents[2] / "cosell_tui" / "styles"


class DialogHarness(App[None]):
    CSS_PATH: ClassVar[list[str | Path]] = sorted(STYLES.glob("*.tcss"))  # type: ignore[assignment]

    def __init__(self, dialog: ModalScreen[Any]) -> None:
        super().__init__()
        self.dialog = dialog
        self.results: list[Any] = []

    def on_mount(self) -> None:
        self.push_screen(self.dialog, self.results.append)
