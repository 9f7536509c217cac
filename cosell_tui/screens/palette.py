"""The command palette (ctrl+p, R-UI-6): open any deal by name, run any action by name.

- `DealCommands` finds the deals the signed-in user may see by deal or customer name, from
  the indexed search (store/search.py) read in a thread, ranked with Textual's fuzzy matcher.
- `system_commands(app, screen)` offers every action available on the screen the user is
  on — its active, enabled bindings, so a received deal offers Accept and never Mark as won
  — plus the app's own (switch user, change theme, notifications, help, quit).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from textual.app import App, SystemCommand
from textual.command import Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import FuzzySearch
from textual.markup import escape
from textual.screen import Screen

from cosell_tui.screens.help import keys_in_force

if TYPE_CHECKING:
    from textual.binding import Binding
    from textual.dom import DOMNode
    from textual.style import Style

    from cosell_tui.app import CoSellApp
    from cosell_tui.store.search import DealHit

# What each action is called in the palette: a verb phrase (by binding id; the binding's own
# description is the fallback).
TITLES = {
    "list.open": "Open deal",
    "list.filter": "Filter the list",
    "list.sort": "Sort the list",
    "list.view": "Show active, closed or all deals",
    "list.favorite": "Mark or unmark as favorite",
    "list.accept": "Accept deal",
    "list.decline": "Decline deal",
    "list.copy": "Copy deal name and id",
    "main.inbound": "Go to Inbound",
    "main.outbound": "Go to Outbound",
    "main.favorites": "Go to Favorites",
    "main.new_deal": "New deal",
    "main.new_deal_refused": "New deal",
    "main.switch_user": "Switch user",
    "main.quit": "Quit",
    "deal.back": "Back to the list",
    "deal.accept": "Accept deal",
    "deal.decline": "Decline deal",
    "deal.edit": "Edit deal",
    "deal.stage": "Mark sales stage",
    "deal.won": "Mark as won",
    "deal.lost": "Mark as lost",
    "deal.invite": "Invite partners or the vendor",
    "deal.team": "Change the team",
    "deal.solutions": "Change solutions",
    "deal.register": "Register deal",
    "deal.review": "Review the registration",
    "deal.comment": "Write a comment",
    "deal.favorite": "Mark or unmark as favorite",
    "deal.copy": "Copy deal name and id",
}
# Moving around is what keys are for; the palette offers what changes something or goes
# somewhere.
MOVES = frozenset(
    {
        "cursor_up",
        "cursor_down",
        "cursor_left",
        "cursor_right",
        "page_up",
        "page_down",
        "page_left",
        "page_right",
        "first",
        "last",
        "scroll_up",
        "scroll_down",
        "scroll_left",
        "scroll_right",
        "scroll_home",
        "scroll_end",
        "focus_next",
        "focus_previous",
        "copy_text",
        "command_palette",
    }
)
# The app's own commands, offered on top of the screen's (action, title, explanation).
APP_COMMANDS = (
    ("switch_user", "Switch user", "Show the app as another user of this database"),
    ("change_theme", "Change theme", "Pick a colour theme (kept in your config file)"),
    ("notifications", "Notifications", "Your notifications, newest first"),
    ("help", "Help", "The keys that work here, and how co-selling works"),
    ("quit", "Quit", "Leave cosell-tui"),
)
MAX_DEALS = 40


def _keys(app: App[Any], bindings: list[Binding]) -> str:
    shown: list[str] = []
    for binding in bindings:
        display = app.get_key_display(binding)
        if display not in shown:
            shown.append(display)
    return " ".join(shown)


def system_commands(app: CoSellApp, screen: Screen[object]) -> Iterable[SystemCommand]:
    """Every action available on `screen` right now, by name, then the app's own."""
    screen_actions: dict[str, tuple[DOMNode, list[Binding]]] = {}
    app_keys: dict[str, list[Binding]] = {}
    for namespace, binding, enabled in keys_in_force(screen):
        action = binding.action
        name = action.split(".", 1)[1] if action.startswith(("app.", "screen.")) else action
        if not enabled or name in MOVES:
            continue
        if namespace is app or action.startswith("app."):
            app_keys.setdefault(name, []).append(binding)  # offered with the app's commands
        else:
            screen_actions.setdefault(action, (namespace, []))[1].append(binding)

    titles: set[str] = set()
    for action, (namespace, bindings) in screen_actions.items():
        first = bindings[0]
        title = TITLES.get(first.id or "", first.description)
        if title in titles:
            continue
        titles.add(title)
        yield SystemCommand(
            title,
            escape(f"{_keys(app, bindings)} · {first.tooltip or first.description}"),
            partial(_run, app, action, namespace),
        )

    from cosell_tui.screens.main import MainScreen  # noqa: PLC0415

    for action, title, explanation in APP_COMMANDS:
        if title in titles:
            continue
        if action == "switch_user" and not isinstance(screen, MainScreen):
            continue  # the whole app reloads: only from the main screen (R-UI-7)
        if action in ("switch_user", "notifications") and not app.signed_in:
            continue
        bindings = app_keys.get(action, [])
        keys = f"{_keys(app, bindings)} · " if bindings else ""
        yield SystemCommand(title, escape(f"{keys}{explanation}"), _app_action(app, action))


def _app_action(app: CoSellApp, action: str) -> Callable[[], object]:
    if action == "change_theme":
        return app.action_change_theme
    return partial(_run, app, action, app)


async def _run(app: App[Any], action: str, namespace: DOMNode) -> None:
    await app.run_action(action, namespace)


# --- deals ---------------------------------------------------------------------------------------


class DealCommands(Provider):
    """Open any deal the user may see, found by deal or customer name (R-UI-6)."""

    @property
    def cosell(self) -> CoSellApp:
        return cast("CoSellApp", self.app)

    async def search(self, query: str) -> Hits:
        from cosell_tui.screens.notifications import NotificationsScreen  # noqa: PLC0415

        app = self.cosell
        if not app.signed_in:
            return
        if self.screen.is_modal and not isinstance(self.screen, NotificationsScreen):
            return  # in a dialog the palette offers the dialog's actions, not other deals
        source = app.source
        found = await asyncio.to_thread(source.find_deals, query, MAX_DEALS)
        matcher = self.matcher(query)
        fuzzy = FuzzySearch()
        for deal in found:
            score, display = _rank(fuzzy, matcher.match_style, query, deal)
            yield Hit(
                score,
                display,
                partial(self._open, deal.referral_id),
                text=deal.name,
                help=escape(" · ".join(_about(deal))),
            )

    def _open(self, referral_id: str) -> None:
        open_deal(self.cosell, referral_id)


def open_deal(app: CoSellApp, referral_id: str) -> None:
    """Open a deal found in the palette where the user is, never stacking deal screens.

    A deal screen on top is replaced: it closes first (so what lies under it reads afresh,
    as when the user leaves it), then the new deal opens from the screen now on top. From the
    main screen the lists read afresh when the deal closes (`_push_deal`); from the
    notifications, they and the lists do, as when a notification opens its deal.
    """
    from cosell_tui.screens.deal import DealScreen  # noqa: PLC0415
    from cosell_tui.screens.main import MainScreen  # noqa: PLC0415
    from cosell_tui.screens.notifications import NotificationsScreen  # noqa: PLC0415

    screen = app.screen
    if isinstance(screen, DealScreen):
        screen.dismiss(None)  # its own callback refreshes what was under it
        screen = app.screen
    if isinstance(screen, MainScreen):
        screen._push_deal(referral_id)  # the lists read afresh when the deal closes
    elif isinstance(screen, NotificationsScreen):
        notifications = screen

        def closed(_: object) -> None:
            app.data_changed()
            notifications.reload()

        app.push_screen(DealScreen(referral_id), closed)
    else:
        app.push_screen(DealScreen(referral_id))


def _about(deal: DealHit) -> list[str]:
    return [
        deal.customer,
        deal.status.label,
        deal.direction.value.capitalize(),
        deal.deal_type.label,
    ]


def _rank(fuzzy: FuzzySearch, style: Style, query: str, deal: DealHit) -> tuple[float, Content]:
    """The fuzzy score (name, customer, or both together) and the name, matches highlighted.

    A deal found only by forgiving a typo scores by the trigrams it shares, below the others.
    """
    typed = query.strip()
    if len(typed) > 32:  # the matcher tries every alignment: keep long input cheap
        typed = typed[:32]
    name_score, offsets = fuzzy.match(typed, deal.name)
    customer_score, _ = fuzzy.match(typed, deal.customer)
    both_score, _ = fuzzy.match(typed, f"{deal.name} {deal.customer}")
    score = max(name_score, customer_score * 0.9, both_score * 0.8)
    display = Content(deal.name)  # never markup: a name is shown as typed (R-Q-1)
    if name_score:
        for offset in offsets:
            if offset < len(deal.name) and not deal.name[offset].isspace():
                display = display.stylize(style, offset, offset + 1)
    if not score:
        score = 0.1 * deal.shared
    return score, display
