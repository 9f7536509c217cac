"""The footer of the main and deal screens: `? Help` always in sight, even at 80×24 (R-UI-6).

Textual's Footer lists the focused widget's keys, then the screen's, then the app's: the app's
`? Help` came last and fell off the right edge of an 80-column footer, as did `q Quit`. Here
help leads, the palette key stays docked on the right, and when the keys do not fit the
less used ones are left out (help lists every key; the palette offers every action).
"""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from cosell_tui.widgets.watching import prune

HELP_ACTIONS = frozenset({"help", "app.help"})
# Left out first when the footer is too narrow, in this order.
LESS_USED = (
    "app.quit",
    "favorite",
    "view",
    "sort",
    "comment",
    "register",
    "review",
    "back",
)


def _width(key: FooterKey) -> int:
    """As FooterKey draws itself (not compact): ` k ` then `description `."""
    label = cell_len(key.key_display) + 2
    return label + cell_len(key.description) + 1 if key.description else label


Shown = tuple[object, ...]


class KeysFooter(Footer):
    _composed: Shown | None = None  # what the keys showing were made from
    _rebuilding = False

    def _shown(self) -> Shown:
        """What the footer would show: the screen's shown keys, enabled or not, and its width."""
        active = self.screen.active_bindings.values()
        keys = tuple(
            (b.key, b.description, b.action, on, tip) for _, b, on, tip in active if b.show
        )
        return (self.size.width, self.show_command_palette, keys)

    def bindings_changed(self, screen: Screen[object]) -> None:
        """Rebuild only when the keys shown change. Textual's footer rebuilds its key widgets
        (and restyles them) whenever any binding is refreshed: on every cursor move here, as
        `a` and `d` depend on the row; that was most of a key's frame time (issue 6)."""
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return
        if not self._rebuilding:  # several changes in one go (focus, then the row): one rebuild
            self._rebuilding = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuilding = False
        if self.is_attached and self._shown() != self._composed:
            await self.recompose()
            prune(self)  # the old keys' `compact` bindings

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._composed = self._shown()
        widgets: list[Widget] = list(super().compose())
        keys = [w for w in widgets if isinstance(w, FooterKey)]
        first = [k for k in keys if k.action in HELP_ACTIONS]
        shown = first + [w for w in widgets if w not in first]
        room = self._fitted_to = self.size.width
        if room:
            used = sum(_width(k) + (1 if k.has_class("-command-palette") else 0) for k in keys)
            for action in LESS_USED:
                if used <= room:
                    break
                for key in [k for k in keys if k.action == action and k in shown]:
                    shown.remove(key)
                    used -= _width(key)
        yield from shown

    _fitted_to = 0

    def on_resize(self, event: events.Resize) -> None:
        if self._bindings_ready and event.size.width != self._fitted_to:
            self.call_after_refresh(self._refit)

    async def _refit(self) -> None:
        await self.recompose()
        prune(self)
