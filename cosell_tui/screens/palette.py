"""The command palette (ctrl+p, R-UI-6). CONTRACT — helper H2 owns this file.

- `DealCommands`: a textual.command.Provider that finds any deal the signed-in user may see
  by name or customer and opens it.
- `system_commands(app, screen)`: every action available on `screen`, by name, plus the
  app's (switch user, change theme, notifications, help, quit).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual.app import App, SystemCommand
from textual.command import Hits, Provider

if TYPE_CHECKING:
    from textual.screen import Screen

    from cosell_tui.app import CoSellApp


class DealCommands(Provider):
    async def search(self, query: str) -> Hits:
        return
        yield


def system_commands(app: CoSellApp, screen: Screen[object]) -> Iterable[SystemCommand]:
    yield from App.get_system_commands(app, screen)
