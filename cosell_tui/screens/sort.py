"""Choose the column a list is sorted by (`o`); the current column again reverses it."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from cosell_tui.domain.listing import SortKey

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from cosell_tui.widgets.deal_list import Column

TITLES = {SortKey.URGENCY: "Days left to respond", SortKey.CREATED: "Newest first"}


class SortDialog(ModalScreen[SortKey | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Back", id="dialog.cancel", tooltip="Keep the current order"),
    ]

    def __init__(self, columns: list[Column], current: SortKey, descending: bool) -> None:
        super().__init__()
        self.columns = columns
        self.current = current
        self.descending = descending

    def compose(self) -> ComposeResult:
        keys = [c.key for c in self.columns if c.key is not None]
        if SortKey.CREATED not in keys:
            keys.append(SortKey.CREATED)
        titles = {c.key: c.title for c in self.columns if c.key is not None} | TITLES
        options = []
        for key in keys:
            mark = ""
            if key is self.current:
                mark = "  ▼ (again: ▲)" if self.descending else "  ▲ (again: ▼)"
            options.append(Option(titles[key] + mark, id=key.value))
        with Vertical(classes="dialog"):
            yield Label("Sort by", classes="dialog-title")
            yield OptionList(*options, id="sort-options")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = options.get_option_index(self.current.value)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(SortKey(event.option.id or SortKey.CREATED.value))

    def action_cancel(self) -> None:
        self.dismiss(None)
