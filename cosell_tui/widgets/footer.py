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


Spec = tuple[str, str, str, str, str]  # key, its display, description, action, tooltip
Wanted = tuple[int, bool, tuple[tuple[Spec, bool], ...]]  # width, palette key, (key, enabled)


def _in_order(known: list[Spec], wanted: list[Spec]) -> bool:
    """Whether `known` holds the keys of `wanted` in the same order."""
    keys = set(wanted)
    return [spec for spec in known if spec in keys] == wanted


def _merged(known: list[Spec], wanted: list[Spec]) -> list[Spec]:
    """`known` with the keys of `wanted` it lacks, each after the key it follows there (just
    `wanted` if the two disagree on the order)."""
    merged = list(known)
    at = 0
    for spec in wanted:
        if spec in merged:
            at = merged.index(spec) + 1
        else:
            merged.insert(at, spec)
            at += 1
    return merged if _in_order(merged, wanted) else list(wanted)


class KeysFooter(Footer):
    """Keys are made once and then shown, hidden, enabled or disabled in place.

    Textual's footer rebuilds its key widgets (and restyles them) whenever any binding is
    refreshed: on every cursor move here, as `a` and `d` depend on the row. A rebuild took
    40-70 ms at 100 000 deals, a frame of its own after a tab switch (issue 6). So the footer
    keeps every key it has shown on its screen (hidden when not offered now) and rebuilds only
    when a key it has never shown is wanted, or the width changes."""

    _composed: Wanted | None = None  # what the keys showing were made for
    _rebuilding = False

    def __init__(self) -> None:
        super().__init__()
        self._known: list[Spec] = []  # every key shown so far, in the footer's order

    def _wanted(self) -> Wanted:
        """What the footer should show: the screen's shown keys (the first binding of each
        action, as Textual's footer), enabled or not, and its width."""
        keys: dict[str, tuple[Spec, bool]] = {}
        for _, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show and binding.action not in keys:
                display = self.app.get_key_display(binding)
                spec = (binding.key, display, binding.description, binding.action, tooltip)
                keys[binding.action] = (spec, enabled)
        wanted = list(keys.values())
        first = [key for key in wanted if key[0][3] in HELP_ACTIONS]  # help leads
        ordered = first + [key for key in wanted if key not in first]
        return (self.size.width, self.show_command_palette, tuple(ordered))

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return
        if not self._rebuilding:  # several changes in one go (focus, then the row): one look
            self._rebuilding = True
            self.call_next(self._rebuild)  # (before the next frame, not after it)

    async def _rebuild(self) -> None:
        self._rebuilding = False
        if self.is_attached and self.sync():
            await self.recompose()
            prune(self)  # the old keys' `compact` bindings

    def sync(self) -> bool:
        """Show the screen's keys as they are now, in place (no rebuild: no new widgets and
        no restyling, in the frame being made); True when the keys must be rebuilt (a key
        never shown before, a new width: `_rebuild` does it). Screens call it right after a
        change they want shown at once, such as a tab switch."""
        if not self._bindings_ready or not self.is_attached or not self.is_mounted:
            return False
        wanted = self._wanted()
        if wanted == self._composed:
            return False
        composed = self._composed
        specs = [spec for spec, _ in wanted[2]]
        if (
            composed is None
            or wanted[:2] != composed[:2]
            or not _in_order(self._known, specs)  # (a key never shown, or an order never seen)
        ):
            return True
        self._show(wanted, list(self.query_children(FooterKey)))
        self._composed = wanted
        return False

    def _show(self, wanted: Wanted, keys: list[FooterKey]) -> None:
        """Show the wanted keys (and hide the others), enabled or not; leave out the less
        used ones when they do not fit."""
        enabled = dict(wanted[2])
        shown = []
        for key in keys:
            spec = getattr(key, "_spec", None)
            if key.has_class("-command-palette"):
                shown.append(key)
            elif spec in enabled:
                key._disabled = not enabled[spec]  # (Textual's: a click on it rings the bell)
                key.set_class(key._disabled, "-disabled")
                shown.append(key)
        room = self.size.width
        if room:
            used = sum(_width(k) + (1 if k.has_class("-command-palette") else 0) for k in shown)
            for action in LESS_USED:
                if used <= room:
                    break
                for key in [k for k in shown if k.action == action]:
                    shown.remove(key)
                    used -= _width(key)
        for key in keys:
            key.display = key in shown

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        wanted = self._composed = self._wanted()
        self._fitted_to = wanted[0]
        self._known = _merged(self._known, [spec for spec, _ in wanted[2]])
        keys = []
        for spec in self._known:
            key, display, description, action, tooltip = spec
            widget = FooterKey(key, display, description, action, tooltip=tooltip)
            widget._spec = spec  # type: ignore[attr-defined]
            keys.append(widget.data_bind(compact=Footer.compact))
        palette = self._palette_key()
        if palette is not None:  # (as Textual's footer: last, docked on the right)
            keys.append(palette)
        self._show(wanted, keys)
        yield from keys

    def _palette_key(self) -> FooterKey | None:
        app = self.app
        if not (self.show_command_palette and app.ENABLE_COMMAND_PALETTE):
            return None
        found = self.screen.active_bindings.get(app.COMMAND_PALETTE_BINDING)
        if found is None:
            return None
        _, binding, enabled, _tooltip = found
        return FooterKey(
            binding.key,
            app.get_key_display(binding),
            binding.description,
            binding.action,
            classes="-command-palette",
            disabled=not enabled,
            tooltip=binding.tooltip or binding.description,
        )

    _fitted_to = 0

    def on_resize(self, event: events.Resize) -> None:
        if self._bindings_ready and event.size.width != self._fitted_to:
            self.call_after_refresh(self._refit)

    async def _refit(self) -> None:
        await self.recompose()
        prune(self)
