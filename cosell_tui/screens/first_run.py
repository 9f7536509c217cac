"""First run (R-UI-8). CONTRACT — helper H4 owns this file.

`FirstRunScreen()`: on an empty database, a form for the organization, its first location
and the first admin (the fields of `cosell-tui init`), or loading the demo ecosystem;
dismisses with the user to sign in as, or None when the user quits.
"""

from __future__ import annotations

from textual.screen import Screen

from cosell_tui.domain.models import User


class FirstRunScreen(Screen[User | None]):
    pass
