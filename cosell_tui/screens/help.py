"""Help (`?`, f1, R-UI-6). CONTRACT — helper H2 owns this file.

`HelpScreen(under)`: a modal listing the keys that work on the screen `under` (its focused
widget's, the screen's, the app's) as in force after the keymap, and a page on how
co-selling works here.
"""

from __future__ import annotations

from textual.screen import ModalScreen, Screen


class HelpScreen(ModalScreen[None]):
    def __init__(self, under: Screen[object]) -> None:
        super().__init__()
        self.under = under
