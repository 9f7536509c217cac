"""Help (`?`, f1, R-UI-6): the keys that work where the user is, and how co-selling works.

`HelpScreen(under)` reads the binding chain of the screen `under` as Textual dispatches keys
there — after the user's keymap, the focused widget first, then the screen, then the app (a
modal screen keeps only the app's priority keys) — so it lists exactly what pressing a key
would do, vim keys and digits included, merged with their siblings ("↓ j  Down").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from rich.cells import cell_len
from rich.console import Group as RichGroup
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Label, Static, TabbedContent, TabPane, TextArea

EVERYWHERE = "Everywhere"
ON_SCREEN = "On this screen"

# Textual's own bindings have no tooltips; a few of ours need a better title than the
# binding's short footer description.
TITLES = {
    "command_palette": "Command palette",
    "app.command_palette": "Command palette",
}
EXPLANATIONS = {
    "command_palette": "Find a deal by name or customer, or run any action by name",
}
# Where the focused widget is, in the user's words (by class name, nearest first).
FOCUS_NAMES = {
    "DealList": "In the list",
    "PipelineView": "In the pipeline",
    "FilterInput": "In the filter",
    "Input": "In this field",
    "TextArea": "In this text",
    "OptionList": "In this list",
    "SelectionList": "In this list",
    "Select": "In this choice",
    "SelectOverlay": "In this choice",
    "Checkbox": "On this checkbox",
    "Button": "On this button",
    "Tabs": "On the tabs",
    "VerticalScroll": "Scrolling",
}


@dataclass
class KeyRow:
    """One action and every key that runs it."""

    action: str
    title: str
    explanation: str
    keys: list[str] = field(default_factory=list)
    enabled: bool = True


@dataclass
class KeyGroup:
    heading: str
    rows: list[KeyRow] = field(default_factory=list)


def keys_in_force(under: Screen[object]) -> list[tuple[DOMNode, Binding, bool]]:
    """(namespace, binding, enabled) for each key a press would dispatch on `under`.

    Like `Screen.active_bindings`, but past a modal screen the app's priority bindings (f1,
    ctrl+p, ctrl+q) still count, as they do when keys are dispatched.
    """
    app = under.app
    by_key: dict[str, tuple[DOMNode, Binding, bool]] = {}
    past_modal = False
    for namespace, bindings in under._binding_chain:
        for key, binding in bindings:
            if binding.system or (past_modal and not binding.priority):
                continue
            state = app._check_action_state(binding.action, namespace)
            if state is False:  # the node hides it: it does nothing here
                continue
            found = by_key.get(key)
            if found is None or (binding.priority and not found[1].priority):
                by_key[key] = (namespace, binding, bool(state))
        if namespace.is_modal:
            past_modal = True
    return list(by_key.values())


def _heading(namespace: DOMNode) -> str:
    if isinstance(namespace, App):
        return EVERYWHERE
    if isinstance(namespace, Screen):
        return ON_SCREEN
    for cls in type(namespace).__mro__:
        if cls.__name__ in FOCUS_NAMES:
            return FOCUS_NAMES[cls.__name__]
    return "Where the cursor is"


def key_groups(under: Screen[object]) -> list[KeyGroup]:
    """The keys in force on `under`, grouped (the screen's, the focused widget's, the app's)
    and merged by action; in each group the footer's keys first, then the chain's order."""
    app = under.app
    groups: dict[str, KeyGroup] = {}
    rows: dict[tuple[str, str], KeyRow] = {}
    found = keys_in_force(under)
    # stable: footer keys first, then the rest of ours, then Textual's own (they have no id)
    found.sort(key=lambda item: (not item[1].show, item[1].id is None))
    for namespace, binding, enabled in found:
        heading = _heading(namespace)
        group = groups.setdefault(heading, KeyGroup(heading))
        action = binding.action.removeprefix("app.")
        row = rows.get((heading, action))
        if row is None:
            title = TITLES.get(binding.action) or binding.description or action.replace("_", " ")
            explanation = EXPLANATIONS.get(action) or binding.tooltip
            row = rows[(heading, action)] = KeyRow(action, title, explanation, enabled=enabled)
            group.rows.append(row)
        display = app.get_key_display(binding)
        if display not in row.keys:
            row.keys.append(display)
        row.enabled = row.enabled or enabled
    # the screen's own keys first: what the user came for (scrolling keys are rarely news)
    order = [ON_SCREEN, *(h for h in groups if h not in (ON_SCREEN, EVERYWHERE)), EVERYWHERE]
    return [groups[h] for h in order if h in groups]


def keys_table(groups: list[KeyGroup]) -> RenderableType:
    """One table per group, their columns equally wide so the groups line up."""
    rows = [row for group in groups for row in group.rows]
    keys_width = max((cell_len(" ".join(row.keys)) for row in rows), default=1)
    title_width = min(max((cell_len(row.title) for row in rows), default=1), 24)
    parts: list[RenderableType] = []
    for index, group in enumerate(groups):
        if index:
            parts.append(Text(""))
        parts.append(Text(group.heading, style="bold underline"))
        table = Table.grid(padding=(0, 2), expand=True)
        table.add_column(no_wrap=True, style="bold", width=keys_width)
        table.add_column(width=title_width)
        table.add_column(ratio=1, style="dim")
        for row in group.rows:
            # Text(...) never reads markup: a key or tooltip is shown as written
            keys = Text(" ".join(row.keys))
            title = Text(row.title)
            if not row.enabled:
                keys.stylize("dim")
                title = Text(f"{row.title} (not now)", style="dim")
            table.add_row(keys, title, Text(row.explanation))
        parts.append(table)
    return RichGroup(*parts)


# --- how co-selling works (SPEC §2-§5) ----------------------------------------------------------

GUIDE: list[tuple[str, list[str]]] = [
    (
        "Deals and their types",
        [
            "A deal is your organization's side of one opportunity with one customer. Every "
            "party (the vendor, other partners) has its own side, with its own name, team and "
            "notes; the customer, the discussion and each party's status are shared.",
            "The type follows from the parties; parties that declined or let their invitation "
            "expire no longer count:",
            "• Private — only you. The vendor's sellers never see it, and it can never be "
            "registered.",
            "• Co-sell — the vendor is a party: it sent you the deal, or you invited it.",
            "• Partner to partner (P2P) — other partners are parties, the vendor is not.",
            "• Solution assessment (SA) — its solution is an assessment: no invitations, and "
            "every stage up to 80 % must be marked before it can be won.",
        ],
    ),
    (
        "From received to won or lost",
        [
            "An invitation arrives as Received. Answer within 14 days (14 × 24 hours from its "
            "arrival): Accept it (name it, add your team) and it is Accepted at stage Accepted "
            "10 %; Decline it with a reason and it is Declined. Unanswered at the deadline it "
            "becomes Expired. The sender is told either way.",
            "A deal you create starts Accepted at stage Created 10 %.",
            "While accepted you edit it, invite parties and mark its sales stage: Qualified "
            "20 %, Developed 40 %, Proposed 60 %, Negotiated 80 %. Marking a stage marks the "
            "earlier ones, and a stage can be moved back. Weighted value = value × stage %.",
            "It ends as Won (100 %) or Lost, each confirmed first.",
        ],
    ),
    (
        "Final means final",
        [
            "Won, Lost, Declined and Expired are final: nothing about the deal can change any "
            "more — not its fields, team, solutions or stage. The database itself refuses. You "
            "can still open it, mark it as a favorite, write in the discussion while another "
            "party is still active, and register it when it was won.",
        ],
    ),
    (
        "Inviting",
        [
            "Only an accepted deal invites, never an SA deal. A private deal may invite the "
            "vendor (it becomes co-sell) and other partners (P2P). A co-sell deal invites more "
            "partners only if you created it. Each invited party gets its own Received deal "
            "and the same 14 days to answer.",
            "Inviting the vendor needs a co-sell-ready organization, the help you want, and "
            "the customer contact with consent to share it. Asking for help is no guarantee "
            "that a seller takes part.",
        ],
    ),
    (
        "Registration after a win",
        [
            "A won deal can be registered when the vendor was invited and accepted (or won its "
            "side) and the deal holds an incentive-eligible solution; private deals never "
            "can. Register at once or later (r). The vendor reviews it: In review, In "
            "validation, then Approved — or Action required (edit and resubmit) or Rejected. "
            "Approved and Rejected are final.",
        ],
    ),
]


def guide() -> RenderableType:
    parts: list[RenderableType] = []
    for heading, paragraphs in GUIDE:
        if parts:
            parts.append(Text(""))
        parts.append(Text(heading, style="bold underline"))
        for index, paragraph in enumerate(paragraphs):
            if paragraph.startswith("• "):  # a list: tight, with a hanging indent
                bullet = Table.grid(padding=(0, 1))
                bullet.add_column(no_wrap=True)
                bullet.add_column(ratio=1)
                bullet.add_row("•", Text(paragraph.removeprefix("• ")))
                parts.append(bullet)
                continue
            if index:
                parts.append(Text(""))
            parts.append(Text(paragraph))
    return RichGroup(*parts)


class HelpScreen(ModalScreen[None]):
    """The keys in force where the user is, and a page on how co-selling works (R-UI-6)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="help.close", tooltip="Close the help"),
        Binding(
            "question_mark",
            "close",
            "Close",
            show=False,
            id="help.close_question",
            tooltip="Close the help",
        ),
        Binding(
            "tab",
            "page(1)",
            "Next page",
            id="help.next_page",
            tooltip="Switch between the keys and how co-selling works",
        ),
        Binding(
            "shift+tab",
            "page(-1)",
            "Previous page",
            show=False,
            id="help.previous_page",
            tooltip="Switch between the keys and how co-selling works",
        ),
    ]

    PAGES = ("keys", "guide")

    def __init__(self, under: Screen[object]) -> None:
        super().__init__()
        self.under = under
        self.groups: list[KeyGroup] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="help") as frame:
            frame.border_title = "Help"
            frame.border_subtitle = "esc close"
            yield Label(self._hint(), id="help-hint")
            with TabbedContent(id="help-pages"):
                with (
                    TabPane("Keys here", id="keys"),
                    VerticalScroll(id="keys-scroll", classes="help-page"),
                ):
                    self.groups = key_groups(self.under)
                    yield Static(keys_table(self.groups), id="keys-table")
                with (
                    TabPane("How co-selling works", id="guide"),
                    VerticalScroll(id="guide-scroll", classes="help-page"),
                ):
                    yield Static(guide(), id="guide-text")

    def _hint(self) -> Text:
        typing = isinstance(self.under.focused, (Input, TextArea))
        where = "in this field" if typing else "here"
        return Text(
            f"Keys that work {where}, as your config sets them · tab: next page", style="dim"
        )

    def on_mount(self) -> None:
        self.query_one("#keys-scroll").focus()

    def action_page(self, step: int) -> None:
        pages = self.query_one(TabbedContent)
        index = self.PAGES.index(pages.active or "keys")
        page = self.PAGES[(index + step) % len(self.PAGES)]
        pages.active = page
        self.query_one(f"#{page}-scroll").focus()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        page = event.pane.id or "keys"
        self.query_one(f"#{page}-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)
