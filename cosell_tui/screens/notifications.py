"""Notifications (`N`, §6). CONTRACT — helper H3 owns this file.

- `NotificationsScreen()`: the signed-in user's notifications, newest first, unread marked;
  `enter` opens the deal and marks it read; `m` marks all read.
- `unread_rose(app, before, now)`: called when the polled unread count rises.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import ModalScreen

if TYPE_CHECKING:
    from cosell_tui.app import CoSellApp


class NotificationsScreen(ModalScreen[None]):
    pass


def unread_rose(app: CoSellApp, before: int, now: int) -> None:
    pass
