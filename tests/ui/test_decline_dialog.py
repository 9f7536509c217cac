"""The decline dialog (R-LIFE-5, R-UI-5): a reason is required; the form comes back validated."""

from __future__ import annotations

from textual.widgets import Select

from cosell_tui.domain.enums import DeclineReason
from cosell_tui.domain.models import DeclineForm
from cosell_tui.screens.dialogs.decline import DeclineDialog
from tests.ui.dialog_harness import DialogHarness


async def test_decline_needs_a_reason_and_returns_the_form() -> None:
    app = DialogHarness(DeclineDialog())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.results == []  # refused: no reason chosen
        assert "Choose one of the listed values" in str(
            app.screen.query_one(".field.-invalid .field-error").render()
        )
        app.screen.query_one(Select).value = DeclineReason.TIMELINE_TOO_SHORT
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.results == [DeclineForm(reason=DeclineReason.TIMELINE_TOO_SHORT)]


async def test_escape_cancels() -> None:
    app = DialogHarness(DeclineDialog())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]
