"""The baseline of `make bench`: a bare Textual app, the least a Textual screen like ours costs.

Header, TabbedContent with three tabs of DataTables and Footer, nothing else. By default the
tables are empty (the launch baseline); `--rows 40` fills the first one with 40 rows, the
baseline for key → frame figures (cursor down, page down); `1`-`3` switch tabs (not a
baseline: Textual's own cost of a tab switch, printed for scale). `COSELL_FRAME_LOG=FILE` logs keys
and frames through the same hook as cosell-tui (cosell_tui/frames.py). Usage:
`python bench/bare_app.py [--rows N]`.
"""

from __future__ import annotations

import argparse
import os
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, TabbedContent, TabPane

TABS = ("Inbound", "Outbound", "Favorites")
COLUMNS = ("Deal", "Customer", "Type", "Status", "Stage", "Value", "Close")


class BareApp(App[None]):
    """Header, three tabs of tables, Footer."""

    BINDINGS: ClassVar[list[BindingType]] = [
        ("q", "quit", "Quit"),
        # (not in the footer: the launch baseline's footer stays as it was)
        *(
            Binding(str(n), f"tab('{name.lower()}')", name, show=False)
            for n, name in enumerate(TABS, 1)
        ),
    ]

    def __init__(self, rows: int) -> None:
        super().__init__()
        self.rows = rows
        self.animation_level = "none"  # as cosell-tui: no sliding tab underline
        if os.environ.get("COSELL_FRAME_LOG"):  # as in cosell-tui: the hook only imports textual
            from cosell_tui.frames import install_if_asked  # noqa: PLC0415

            install_if_asked(self)

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent():
            for name in TABS:
                with TabPane(name, id=name.lower()):
                    yield DataTable(cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        for table in self.query(DataTable):
            table.add_columns(*COLUMNS)
        first = self.query(DataTable).first()
        first.add_rows(
            (f"Deal {n}", f"Customer {n}", "Co-sell", "Received", "10%", "1.2M USD", "2026-12-01")
            for n in range(self.rows)
        )
        if self.rows:
            first.focus()  # as cosell-tui focuses its list (else the tabs have the keys)

    def action_tab(self, tab: str) -> None:
        """`1`-`3` switch tabs as in cosell-tui: Textual's own cost of a tab switch."""
        self.query_one(TabbedContent).active = tab


def main() -> None:
    parser = argparse.ArgumentParser(prog="bare_app")
    parser.add_argument("--rows", type=int, default=0, help="rows in the first table (0: empty)")
    BareApp(parser.parse_args().rows).run()


if __name__ == "__main__":
    main()
