"""Where keys work: every place a user can be, the bindings active there, and clashes (issue 5).

A place is what Textual's binding chain holds at one moment: the focused widget, the
containers around it that carry bindings, the screen, then the app (a modal screen cuts the
app off, except its priority bindings; a text field eats printable keys before the screens
around it see them). The catalogue names classes as "module:Class" strings, imported only
when asked, so importing this module stays cheap.

The config file's `[keymap]` is checked against this catalogue: every binding id it names
must be one of ours, every key must be a key name Textual knows, and no remapped key may
land on another binding reachable in the same place (`find_clash`).
`python -m cosell_tui.keys --write docs/config.md` regenerates the binding table of the docs.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.binding import Binding
    from textual.dom import DOMNode

APP = "cosell_tui.app:CoSellApp"

# Textual's own focusable widgets that carry bindings (no ids: the user cannot remap them,
# but a remapped key of ours may land on one of theirs).
_INPUT = "textual.widgets:Input"
_TEXT_AREA = "textual.widgets:TextArea"
_SELECT = "textual.widgets:Select"
_SELECT_OVERLAY = "textual.widgets._select:SelectOverlay"
_CHECKBOX = "textual.widgets:Checkbox"
_BUTTON = "textual.widgets:Button"
_OPTION_LIST = "textual.widgets:OptionList"
_SCROLL = "textual.containers:VerticalScroll"
_TABS = "textual.widgets:Tabs"
_FORM = (_INPUT, _TEXT_AREA, _SELECT, _SELECT_OVERLAY, _CHECKBOX, _BUTTON)

_WIZARD = "cosell_tui.screens.wizard.screen:WizardScreen"


@dataclass(frozen=True)
class Place:
    """Somewhere the user can be: one of `focus` has the focus, inside `around` (inner to
    outer, the screen last); the app follows."""

    title: str  # in the docs' table: "Main screen"
    where: str  # in a sentence: "on the main screen"
    focus: tuple[str, ...]
    around: tuple[str, ...]


PLACES: tuple[Place, ...] = (
    Place(
        "Main screen",
        "on the main screen",
        (
            "cosell_tui.widgets.deal_list:DealList",
            "cosell_tui.widgets.pipeline:PipelineView",
            _TABS,
        ),
        ("cosell_tui.screens.main:MainScreen",),
    ),
    Place(
        "Main screen's filter",
        "in the main screen's filter",
        ("cosell_tui.screens.main:FilterInput",),
        ("cosell_tui.screens.main:MainScreen",),
    ),
    Place("Deal screen", "on the deal screen", (_SCROLL,), ("cosell_tui.screens.deal:DealScreen",)),
    Place(
        "Invite whom?",
        "in the invite-whom question",
        (_OPTION_LIST,),
        ("cosell_tui.screens.deal:InviteChoice",),
    ),
    Place(
        "Form dialogs (edit, won, lost, decline, comment, invite the vendor, register, review)",
        "in the form dialogs",
        _FORM,
        (_SCROLL, "cosell_tui.screens.dialog:FormDialog"),
    ),
    Place(
        "Accept dialog",
        "in the accept dialog",
        ("cosell_tui.screens.dialogs.accept:AcceptTeamList", *_FORM),
        (_SCROLL, "cosell_tui.screens.dialogs.accept:AcceptDialog"),
    ),
    Place(
        "Invite partners dialog",
        "in the invite partners dialog",
        _FORM,
        (_SCROLL, "cosell_tui.screens.dialogs.invite:InvitePartnersDialog"),
    ),
    Place(
        "Solutions dialog",
        "in the solutions dialog",
        ("cosell_tui.screens.dialogs.solutions:SolutionPicker", *_FORM),
        (_SCROLL, "cosell_tui.screens.dialogs.solutions:SolutionsDialog"),
    ),
    Place(
        "Team dialog",
        "in the team dialog",
        ("cosell_tui.screens.dialogs.team:TeamList", *_FORM),
        (_SCROLL, "cosell_tui.screens.dialogs.team:TeamDialog"),
    ),
    Place(
        "Stage dialog",
        "in the stage dialog",
        (_OPTION_LIST, _BUTTON),
        ("cosell_tui.screens.dialogs.stage:StageDialog",),
    ),
    Place(
        "Confirmations",
        "in confirmations",
        (_BUTTON,),
        ("cosell_tui.screens.dialog:ConfirmDialog",),
    ),
    Place(
        "Sort dialog",
        "in the sort dialog",
        (_OPTION_LIST,),
        ("cosell_tui.screens.sort:SortDialog",),
    ),
    Place(
        "Wizard: customer",
        "in the wizard's customer step",
        ("cosell_tui.screens.wizard.customer:CompanySearch", _OPTION_LIST, *_FORM),
        ("cosell_tui.screens.wizard.customer:CustomerStep", _WIZARD),
    ),
    Place(
        "Wizard: details",
        "in the wizard's details step",
        _FORM,
        ("cosell_tui.screens.wizard.details:DetailsStep", _WIZARD),
    ),
    Place(
        "Wizard: team",
        "in the wizard's team step",
        ("cosell_tui.screens.wizard.team:TeamMembers", _OPTION_LIST, *_FORM),
        ("cosell_tui.screens.wizard.team:TeamStep", _WIZARD),
    ),
    Place(
        "Wizard: solutions",
        "in the wizard's solutions step",
        ("cosell_tui.screens.dialogs.solutions:SolutionPicker", *_FORM),
        ("cosell_tui.screens.wizard.solutions:SolutionsStep", _WIZARD),
    ),
    Place(
        "Wizard: selling",
        "in the wizard's selling step",
        ("cosell_tui.screens.wizard.selling:InvitedPartners", *_FORM),
        ("cosell_tui.screens.wizard.selling:SellingStep", _WIZARD),
    ),
    Place(
        "Wizard: review",
        "in the wizard's review step",
        (_BUTTON,),
        ("cosell_tui.screens.wizard.review:ReviewStep", _WIZARD),
    ),
    Place(
        "Leave the wizard?",
        "in the leave-the-wizard question",
        (_BUTTON,),
        ("cosell_tui.screens.wizard.screen:LeaveWizard",),
    ),
    Place(
        "Resume the draft?",
        "in the resume-the-draft question",
        (_BUTTON,),
        ("cosell_tui.screens.wizard.screen:ResumeDraft",),
    ),
    Place("Help", "in help", (_SCROLL, _TABS), ("cosell_tui.screens.help:HelpScreen",)),
    Place(
        "Notifications",
        "in notifications",
        (_OPTION_LIST,),
        ("cosell_tui.screens.notifications:NotificationsScreen",),
    ),
    Place(
        "Switch user",
        "in switch user",
        (_INPUT, _OPTION_LIST),
        ("cosell_tui.screens.switch_user:SwitchUserScreen",),
    ),
    Place(
        "First run",
        "on the first-run form",
        _FORM,
        (_SCROLL, "cosell_tui.screens.first_run:FirstRunScreen"),
    ),
    Place(
        "Command palette",
        "in the command palette",
        ("textual.command:CommandInput",),
        ("textual.command:CommandPalette",),
    ),
)

FOLLOWS = {"main.new_deal_refused": "main.new_deal"}
"""Follower → leader: remapping the leader alone moves the follower with it. These share `n`
on purpose (check_action lets one act); Textual's keymap would drop the follower."""


# --- key names -----------------------------------------------------------------------------

_MODIFIERS = ("alt", "ctrl", "hyper", "meta", "shift", "super")  # Textual sorts them so
_NAMED = {
    "escape",
    "enter",
    "tab",
    "backspace",
    "delete",
    "insert",
    "home",
    "end",
    "pageup",
    "pagedown",
    "up",
    "down",
    "left",
    "right",
    "space",
    *(f"f{n}" for n in range(1, 25)),
}


def normalize_key(key: str) -> str:
    """The name Textual gives a key press (`?` → `question_mark`); ValueError if none."""
    from textual.keys import _character_to_key  # noqa: PLC0415

    text = key.strip()
    if not text:
        raise ValueError("a key name is missing")
    *modifiers, base = text.split("+") if len(text) > 1 else [text]
    if not base:  # "ctrl++" and the like
        raise ValueError(f'"{text}" is not a key name')
    modifiers = [m.lower() for m in modifiers]
    if any(m not in _MODIFIERS for m in modifiers) or len(set(modifiers)) != len(modifiers):
        raise ValueError(f'"{text}" is not a key name')
    if len(base) == 1:
        if not base.isprintable():
            raise ValueError(f'"{text}" is not a key name')
        if modifiers == ["shift"] and base.isalpha():
            modifiers, base = [], base.upper()  # Textual reports shift+g as "G"
        elif modifiers and base.isalpha():
            base = base.lower()  # ctrl+S is written for ctrl+s
        base = _character_to_key(base)
    elif base.lower() in _NAMED:
        base = base.lower()
    else:
        character = _character(base)
        if character is None or _character_to_key(character) != base:
            raise ValueError(f'"{text}" is not a key name')
    return "+".join([*sorted(modifiers), base])


def normalize_keys(value: str) -> str:
    """A comma-separated list of keys, each normalized; ValueError names the bad one."""
    keys: list[str] = []
    for part in value.split(","):
        key = normalize_key(part)
        if key not in keys:
            keys.append(key)
    return ",".join(keys)


def _character(key: str) -> str | None:
    """The character a key name types (`slash` → `/`), None for keys that type none."""
    import unicodedata  # noqa: PLC0415

    from textual.keys import KEY_TO_UNICODE_NAME, REPLACED_KEYS  # noqa: PLC0415

    if "+" in key[1:]:
        return None  # with a modifier (Textual's key_to_character says the same)
    if len(key) == 1:
        return key
    name = REPLACED_KEYS.get(key, key)  # Textual's friendlier names: slash is SOLIDUS
    try:
        character = unicodedata.lookup(KEY_TO_UNICODE_NAME.get(name, name.replace("_", " ")))
    except KeyError:
        return None
    return character if len(character) == 1 else None


def _printable(key: str) -> bool:
    character = _character(key)
    return character is not None and character.isprintable()


# --- the catalogue, imported --------------------------------------------------------------


def load(reference: str) -> type[DOMNode]:
    module, _, name = reference.partition(":")
    cls: type[DOMNode] = getattr(importlib.import_module(module), name)
    return cls


@cache
def _bindings_of(reference: str) -> tuple[Binding, ...]:
    """What Textual merges for the class (its bases' bindings included), one key each."""
    from textual.binding import Binding  # noqa: PLC0415

    cls = load(reference)
    bindings = [binding for _, binding in cls._merge_bindings()]
    if reference == APP and not any("command_palette" in b.action for b in bindings):
        # App.__init__ adds it to every instance
        bindings.append(Binding("ctrl+p", "command_palette", "palette", priority=True))
    return tuple(bindings)


@dataclass(frozen=True)
class Reached:
    """One binding a key reaches in a place, in the class `owner` of the chain."""

    owner: str
    binding: Binding

    @property
    def identity(self) -> str:
        return self.binding.id or f"{self.owner}/{self.binding.action}"

    @property
    def action(self) -> str:
        """The action with its namespace, so `main.quit` (app.quit) equals `app.quit`."""
        action = self.binding.action
        if action.split(".", 1)[0] in ("app", "screen", "focused"):
            return action
        return f"{'app' if self.owner == APP else self.owner}.{action}"


def chains(place: Place) -> Iterator[tuple[str, ...]]:
    for focused in place.focus:
        yield (focused, *place.around, APP)


def reachable(chain: tuple[str, ...], keymap: Mapping[str, str]) -> dict[str, list[Reached]]:
    """Key → the bindings it reaches along `chain` once `keymap` (normalized) applies."""
    from textual.screen import ModalScreen  # noqa: PLC0415

    reached: dict[str, list[Reached]] = {}
    typing = modal = False
    for owner in chain:
        for binding in _bindings_of(owner):
            if modal and not binding.priority:
                continue
            if typing and _printable(binding.key):
                continue  # Screen._binding_chain drops it (by its default key) under a field
            remapped = keymap.get(binding.id) if binding.id else None
            keys = remapped.split(",") if remapped else [binding.key]
            for key in keys:
                if typing and _printable(key) and not binding.priority:
                    continue  # the text field takes it first; a priority binding goes first
                reached.setdefault(key, []).append(Reached(owner, binding))
        typing = typing or _types_text(owner)
        modal = modal or issubclass(load(owner), ModalScreen)
    return reached


def _types_text(reference: str) -> bool:
    """Whether the widget types printable keys (check_consume_key): text fields, and a
    Select's open list, which jumps to the option typed."""
    from textual.widgets import Input, TextArea  # noqa: PLC0415
    from textual.widgets._select import SelectOverlay  # noqa: PLC0415

    return issubclass(load(reference), Input | TextArea | SelectOverlay)


def effective_keymap(keymap: Mapping[str, str]) -> dict[str, str]:
    """What to give App.set_keymap for the user's keymap (binding id → normalized keys).

    Textual's keymap drops every binding on a remapped binding's old key in that class, so a
    binding sharing a key with a remapped one is given keys too: the leader's when it follows
    one (FOLLOWS), else its own default keys.
    """
    result = dict(keymap)
    if not keymap:
        return result
    for follower, leader in FOLLOWS.items():
        if leader in keymap and follower not in keymap:
            result[follower] = keymap[leader]
    defaults: dict[str, list[str]] = {}
    for binding_id, owned in binding_ids().items():
        for _, binding in owned:
            keys = defaults.setdefault(binding_id, [])
            keys += [k.strip() for k in binding.key.split(",") if k.strip() not in keys]
    for owner in {owner for owned in binding_ids().values() for owner, _ in owned}:
        sharing: dict[str, set[str]] = {}
        for binding in _bindings_of(owner):
            if binding.id:
                sharing.setdefault(binding.key, set()).add(binding.id)
        for ids in sharing.values():
            if len(ids) > 1 and ids & set(keymap):
                for binding_id in ids - set(result):
                    result[binding_id] = ",".join(defaults[binding_id])
    return result


def binding_ids() -> dict[str, list[tuple[str, Binding]]]:
    """Every binding id of the app → (owner class, binding), in the catalogue's order and
    each class's own order (its bases' bindings first)."""
    ids: dict[str, list[tuple[str, Binding]]] = {}
    seen: set[str] = set()
    for place in PLACES:
        for chain in chains(place):
            for owner in chain:
                if owner in seen:
                    continue
                seen.add(owner)
                merged = {binding.id for binding in _bindings_of(owner) if binding.id}
                for base in reversed(load(owner).__mro__):
                    for binding in base.__dict__.get("BINDINGS", []):
                        binding_id = getattr(binding, "id", None)
                        if binding_id in merged:
                            ids.setdefault(binding_id, []).append((owner, binding))
    return ids


@dataclass(frozen=True)
class Clash:
    """A remapped binding (`binding_id` on `key`) lands on `other` in `place`."""

    binding_id: str
    key: str
    other: Reached | None  # None: a text field types the key instead (or loses it: below)
    place: Place
    takes_from_field: bool = False
    """A priority binding on a printable key: it acts before the text field, which then can
    never type that key (Textual checks priority bindings before the focused widget)."""

    def describe(self, value: str) -> str:
        """`keymap "list.sort" = "f" clashes with "list.favorite" (Fav) on the main screen`"""
        lead = f'keymap "{self.binding_id}" = "{value}"'
        if self.takes_from_field:
            typed = json.dumps(_character(self.key) or self.key, ensure_ascii=False)
            return (
                f"{lead}: this binding acts before text fields, so {typed} could never be typed "
                f"{self.place.where} (give it a key that types nothing, like f2)"
            )
        if "," in value:
            lead += f": {self.key}"
        if self.other is None:
            return f"{lead} would be typed as text {self.place.where}, never reaching the binding"
        binding = self.other.binding
        if binding.id:
            name = f'"{binding.id}"' + (f" ({binding.description})" if binding.description else "")
        else:
            what = binding.description or binding.action.split(".")[-1].replace("_", " ")
            name = f'Textual\'s own "{what}" key'
        return f"{lead} clashes with {name} {self.place.where}"


def find_clash(keymap: Mapping[str, str]) -> Clash | None:
    """The first clash the user's keymap (binding id → normalized keys) causes, if any.

    A clash: in one place, one key reaches two different bindings and at least one of them
    was remapped by the user. Our own defaults that share a key on purpose (`n`: new deal or
    why not, guarded by check_action) are no clash; neither are two bindings of one action.
    A remapped printable key on a text field's own binding is one too: the field types it;
    and one on a priority binding where a text field has the focus: the field loses it.
    """
    if not keymap:
        return None
    effective = effective_keymap(keymap)
    order = {binding_id: index for index, binding_id in enumerate(keymap)}
    unranked = len(order)

    def who(hit: Reached) -> str:
        """The binding id the user wrote (a follower is reported as its leader)."""
        binding_id = hit.binding.id or ""
        return binding_id if binding_id in keymap else FOLLOWS.get(binding_id, binding_id)

    def rank(hit: Reached) -> int:
        return order.get(who(hit), unranked) if hit.binding.id in effective else unranked

    pairs = {frozenset(pair) for pair in FOLLOWS.items()}
    best: tuple[int, Clash] | None = None
    for place in PLACES:
        for chain in chains(place):
            typing = _types_text(chain[0])
            for key, hits in reachable(chain, effective).items():
                found: list[tuple[int, Clash]] = []
                for index, hit in enumerate(hits):
                    if typing and _printable(key) and rank(hit) < unranked:
                        if hit.binding.priority:
                            clash = Clash(who(hit), key, None, place, takes_from_field=True)
                            found.append((rank(hit), clash))
                        elif hit.owner == chain[0]:
                            found.append((rank(hit), Clash(who(hit), key, None, place)))
                    for other in hits[index + 1 :]:
                        if (
                            other.identity == hit.identity
                            or other.action == hit.action
                            or frozenset((hit.identity, other.identity)) in pairs
                        ):
                            continue
                        first, second = sorted((hit, other), key=rank)
                        if rank(first) < unranked:
                            found.append((rank(first), Clash(who(first), key, second, place)))
                for candidate in found:
                    if best is None or candidate[0] < best[0]:
                        best = candidate
    return None if best is None else best[1]


# --- the docs' table ----------------------------------------------------------------------

TABLE_START = (
    "<!-- binding table: generated by `python -m cosell_tui.keys --write docs/config.md` -->"
)
TABLE_END = "<!-- end of the binding table -->"


def reference_table() -> str:
    """A Markdown table of every binding id: default keys, where it works, what it does."""
    where: dict[str, list[str]] = {}
    for place in PLACES:
        for chain in chains(place):
            for hits in reachable(chain, {}).values():
                for hit in hits:
                    if hit.binding.id:
                        titles = where.setdefault(hit.binding.id, [])
                        if place.title not in titles:
                            titles.append(place.title)
    lines = [
        "| binding id | default keys | where | what it does |",
        "|---|---|---|---|",
    ]
    for binding_id, owned in binding_ids().items():
        owner, binding = owned[0]
        keys: list[str] = []
        for _, each in owned:
            keys += [k.strip() for k in each.key.split(",") if k.strip() not in keys]
        if owner == APP:
            works = "everywhere, dialogs too" if binding.priority else "every screen, not dialogs"
        else:
            works = ", ".join(_collapse(where.get(binding_id, [])))
        what = binding.tooltip or binding.description
        shown = ", ".join(f"`{key}`" for key in keys)
        lines.append(f"| `{binding_id}` | {shown} | {works} | {what} |")
    return "\n".join(lines) + "\n"


def _collapse(titles: list[str]) -> list[str]:
    """ "Wizard: customer", …, "Wizard: review" (all its steps) → "Wizard: every step"."""
    result: list[str] = []
    for title in titles:
        group, colon, _ = title.partition(": ")
        members = [p.title for p in PLACES if p.title.startswith(group + ": ")]
        shown = title
        if colon and len(members) > 1 and all(m in titles for m in members):
            shown = f"{group}: every step"
        if shown not in result:
            result.append(shown)
    return result


def write_table(path: Path) -> bool:
    """Put the current table between the markers in `path`; True when it changed."""
    text = path.read_text(encoding="utf-8")
    head, start, rest = text.partition(TABLE_START)
    _, end, tail = rest.partition(TABLE_END)
    if not start or not end:
        raise SystemExit(f"{path} has no binding table markers ({TABLE_START} … {TABLE_END})")
    new = f"{head}{TABLE_START}\n\n{reference_table()}\n{TABLE_END}{tail}"
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def documented_table(path: Path) -> str:
    """The table as it stands in `path` (between the markers)."""
    text = path.read_text(encoding="utf-8")
    _, _, rest = text.partition(TABLE_START)
    table, _, _ = rest.partition(TABLE_END)
    return table.strip() + "\n"


if __name__ == "__main__":
    if sys.argv[1:2] == ["--write"] and len(sys.argv) == 3:
        changed = write_table(Path(sys.argv[2]))
        sys.stdout.write(f"{sys.argv[2]}: {'updated' if changed else 'already up to date'}\n")
    else:
        sys.stdout.write(reference_table())
