"""`x` in a list: export the view as it is — tab, view, filter, sort (issue 7)."""

from __future__ import annotations

import csv
import json
import threading
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from cosell_tui.app import CoSellApp
from cosell_tui.domain.models import User
from cosell_tui.screens.dialogs.export import ExportDialog
from cosell_tui.store.database import Database
from tests.ui.test_main_screen import current, running, settle


async def _export_to(pilot: Pilot[None], app: CoSellApp, path: Path) -> None:
    await pilot.press("x")
    await pilot.pause()
    dialog = app.screen
    assert isinstance(dialog, ExportDialog)
    dialog.query_one("#export-path", Input).value = str(path)
    await pilot.press("enter")
    await settle(app, pilot)


async def test_x_exports_the_filtered_sorted_list_in_its_order(
    demo_db: Database, people: dict[str, User], tmp_path: Path
) -> None:
    async with running(demo_db, people["Dana"]) as (app, pilot):
        await pilot.press("2", "slash", *"co", "enter")  # Outbound, filtered
        await settle(app, pilot)
        deal_list = current(app)
        shown = [row.name for row in deal_list._pages.get(0, [])]
        assert 1 < len(shown) < 24
        await _export_to(pilot, app, tmp_path / "view.csv")
        assert not isinstance(app.screen, ExportDialog)
        with (tmp_path / "view.csv").open(encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
        assert [row["name"] for row in rows] == shown
        assert all(row["direction"] == "Outgoing" for row in rows)
        assert any("Exported" in str(n.message) for n in app._notifications)


async def test_an_unwritable_path_keeps_the_dialog_with_one_sentence(
    demo_db: Database, people: dict[str, User], tmp_path: Path
) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    async with running(demo_db, people["Dana"]) as (app, pilot):
        await _export_to(pilot, app, blocker / "deals.json")
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)  # still open, the path kept to fix
        assert dialog.query_one("#export-path", Input).value == str(blocker / "deals.json")
        error = str(dialog.query_one(".field-error").render())
        assert "a part of that path is a file, not a folder" in error
        # fixed: it goes through
        dialog.query_one("#export-path", Input).value = str(tmp_path / "deals.json")
        await pilot.press("enter")
        await settle(app, pilot)
        assert json.loads((tmp_path / "deals.json").read_text())["value"]


async def test_x_needs_a_csv_or_json_name(
    demo_db: Database, people: dict[str, User], tmp_path: Path
) -> None:
    async with running(demo_db, people["Dana"]) as (app, pilot):
        await _export_to(pilot, app, tmp_path / "deals.xlsx")
        assert isinstance(app.screen, ExportDialog)
        assert "End the file name in .csv or .json." in str(
            app.screen.query_one(".field-error").render()
        )
        assert not (tmp_path / "deals.xlsx").exists()


async def test_x_does_nothing_on_the_pipeline(demo_db: Database, people: dict[str, User]) -> None:
    async with running(demo_db, people["Dana"]) as (app, pilot):
        await pilot.press("4", "x")
        await pilot.pause()
        assert not isinstance(app.screen, ExportDialog)


async def test_escape_while_a_large_export_writes_lets_it_finish(
    demo_db: Database, people: dict[str, User], tmp_path: Path
) -> None:
    # the dialog closes at once; the file is written and told about (no crash on a closed
    # dialog)
    async with running(demo_db, people["Dana"]) as (app, pilot):
        source = app.source
        release = threading.Event()
        real = source.export_view

        def slow(*args: object) -> int:
            release.wait(5)
            return real(*args)  # type: ignore[arg-type]

        source.export_view = slow  # type: ignore[method-assign]
        await pilot.press("x")
        await pilot.pause()
        app.screen.query_one("#export-path", Input).value = str(tmp_path / "late.csv")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ExportDialog)
        release.set()
        await settle(app, pilot)
        assert (tmp_path / "late.csv").exists()
        assert any("Exported" in str(n.message) for n in app._notifications)
        assert app.is_running
