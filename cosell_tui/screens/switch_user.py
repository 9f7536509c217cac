"""Switch user (`u`, R-UI-7). CONTRACT — helper H4 owns this file.

`SwitchUserScreen(current)`: pick a user of the database (name, organization, role, scope);
dismisses with the chosen `User`, or None.
"""

from __future__ import annotations

from textual.screen import ModalScreen

from cosell_tui.domain.models import User


class SwitchUserScreen(ModalScreen[User | None]):
    def __init__(self, current: User) -> None:
        super().__init__()
        self.current = current
