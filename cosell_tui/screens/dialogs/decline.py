"""Decline a received deal (R-LIFE-3, R-LIFE-5): a reason, optional notes, then confirm."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.widget import Widget
from textual.widgets import Select, TextArea

from cosell_tui.domain.enums import DeclineReason
from cosell_tui.domain.models import DeclineForm
from cosell_tui.screens.dialog import Field, FormDialog


class DeclineDialog(FormDialog[DeclineForm]):
    title_text = "Decline this deal"
    save_label = "Decline"
    warning = "Declining is final: the sender is told, and this deal can never be reopened."

    def compose_fields(self) -> Iterable[Widget]:
        yield Field(
            "Reason",
            Select([(reason.label, reason) for reason in DeclineReason], prompt="Choose a reason"),
            "reason",
        )
        yield Field("Notes (optional)", TextArea(), "notes")

    def build(self, values: dict[str, Any]) -> DeclineForm:
        return DeclineForm.model_validate(values)
