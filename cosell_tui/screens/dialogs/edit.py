"""Edit an accepted deal's details (R-LIFE-6, R-UI-5): everything but the location."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from rich.text import Text
from textual.widget import Widget
from textual.widgets import Input, Static, TextArea

from cosell_tui.domain.errors import InvalidInput
from cosell_tui.domain.models import EditForm, Referral
from cosell_tui.screens.dialog import Field, FormDialog
from cosell_tui.widgets.text import literal

LOCATION_NOTE = "A deal's location never changes after creation."


class EditDialog(FormDialog[EditForm]):
    """Returns the EditForm for `services.edit`, or None when cancelled."""

    title_text = "Edit this deal"
    save_label = "Save"

    def __init__(
        self, referral: Referral, location_label: str, *, today: date | None = None
    ) -> None:
        super().__init__()
        self.referral = referral
        self.location_label = location_label
        self.today = today  # when given, a new close date in the past is refused here

    def compose_fields(self) -> Iterable[Widget]:
        deal = self.referral
        # Shown, never an input: R-DEAL-2 fixes the location at creation.
        yield Static(
            Text.assemble(
                ("Location  ", "bold"),
                literal(self.location_label),
                "\n",
                (LOCATION_NOTE, "italic"),
            ),
            id="location",
            classes="read-only-line",
        )
        yield Field("Deal name", Input(deal.name, max_length=200), "name")
        yield Field(
            "Estimated value",
            Input(f"{deal.value:f}", placeholder="e.g. 125000 or 125000.50"),
            "value",
        )
        yield Field(
            "Currency",
            Input(deal.currency, placeholder="ISO code, e.g. USD", max_length=3),
            "currency",
        )
        yield Field(
            "Estimated close date",
            Input(deal.close_date.isoformat(), placeholder="YYYY-MM-DD"),
            "close_date",
        )
        yield Field("CRM id (optional)", Input(deal.crm_id or ""), "crm_id")
        yield Field("Campaign id (optional)", Input(deal.campaign_id or ""), "campaign_id")
        notes = TextArea(deal.notes or "")
        yield Field(
            "Notes (optional)",
            notes,
            "notes",
            hint="Notes stay inside your organization; the other parties never see them.",
        )

    def build(self, values: dict[str, Any]) -> EditForm:
        form = EditForm.model_validate(values)
        moved = form.close_date != self.referral.close_date
        if self.today is not None and moved and form.close_date < self.today:
            raise InvalidInput(
                "The close date is in the past.", {"close_date": "Choose today or a later date."}
            )
        return form
