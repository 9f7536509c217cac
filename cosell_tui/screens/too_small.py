"""Shown instead of the app while the terminal is smaller than 80×24 (R-Q-3)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static


class TooSmallScreen(Screen[None]):
    DEFAULT_CSS = """
    TooSmallScreen {
        align: center middle;
    }
    TooSmallScreen > Static {
        width: auto;
        height: auto;
        text-align: center;
    }
    """

    def __init__(self, width: int, height: int) -> None:
        super().__init__()
        self.width, self.height = width, height

    def compose(self) -> ComposeResult:
        yield Static(self.message(self.width, self.height), id="too-small")

    @staticmethod
    def message(width: int, height: int) -> str:
        return (
            f"The terminal is too small ({width}×{height}).\n"
            "cosell-tui needs at least 80×24; enlarge the window to go on."
        )

    def update_size(self, width: int, height: int) -> None:
        self.query_one("#too-small", Static).update(self.message(width, height))
