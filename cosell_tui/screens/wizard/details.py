"""Wizard step 2, Deal details (R-UI-4, R-DEAL-2, R-Q-1): this organization's side of the deal.

Every value is kept exactly as typed, valid or not; the domain's `DealDetailsForm` judges them
when the user presses Next.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Select, Static, TextArea

from cosell_tui.domain.models import Location
from cosell_tui.domain.wizard import Draft, Step
from cosell_tui.screens.dialog import Field
from cosell_tui.screens.wizard.base import WizardContext, WizardStep
from cosell_tui.widgets.text import literal

DEFAULT_CURRENCY = "USD"  # codes.py maps no country to its currency


def location_label(location: Location) -> str:
    return f"{location.city}, {location.country_name}"


class DetailsStep(WizardStep):
    """Step 2: name, location, value and currency, close date, CRM and campaign ids, notes."""

    step = Step.DETAILS

    def __init__(self, context: WizardContext) -> None:
        super().__init__(context)
        self._locations = list(context.organization.locations)

    def compose(self) -> ComposeResult:
        yield Field(
            "Deal name",
            Input(placeholder="How your organization calls this deal", id="deal-name"),
            "name",
        )
        with Horizontal(classes="field-row"):
            yield Field(
                "Location",
                Select(
                    [(literal(location_label(loc)), loc.id) for loc in self._locations],
                    prompt="Choose the location",
                    id="location",
                ),
                "location_id",
                hint="Your location that owns the deal.",
            )
            yield Field(
                "Close date",
                Input(placeholder="YYYY-MM-DD", id="close-date"),
                "close_date",
                hint="YYYY-MM-DD, today or later.",
            )
        with Horizontal(classes="field-row"):
            yield Field(
                "Estimated value",
                Input(placeholder="125000.00", id="value"),
                "value",
                hint="Greater than 0, at most 2 decimals.",
            )
            yield Field(
                "Currency",
                Input(placeholder=DEFAULT_CURRENCY, id="currency"),
                "currency",
                hint="ISO 4217 code, e.g. USD, EUR.",
            )
        with Horizontal(classes="field-row"):
            yield Field("CRM id (optional)", Input(id="crm-id"), "crm_id")
            yield Field("Campaign id (optional)", Input(id="campaign-id"), "campaign_id")
        yield Field(
            "Notes (optional)",
            TextArea(id="notes", soft_wrap=True),
            "notes",
            hint="Seen only inside your organization; at most 4 000 characters.",
        )
        yield Static("", classes="step-error", markup=False)

    def on_mount(self) -> None:
        self.show_errors({})

    def load(self, draft: Draft) -> None:
        self.query_one("#deal-name", Input).value = draft.name
        location = self.query_one("#location", Select)
        wanted = self._location_for(draft)
        if wanted is None:
            location.clear()
        else:
            location.value = wanted
        self.query_one("#value", Input).value = draft.value
        self.query_one("#currency", Input).value = draft.currency or DEFAULT_CURRENCY
        self.query_one("#close-date", Input).value = draft.close_date
        self.query_one("#crm-id", Input).value = draft.crm_id
        self.query_one("#campaign-id", Input).value = draft.campaign_id
        notes = self.query_one("#notes", TextArea)
        if notes.text != draft.notes:
            notes.load_text(draft.notes)

    def dump(self, draft: Draft) -> None:
        draft.name = self.query_one("#deal-name", Input).value
        location = self.query_one("#location", Select).value
        draft.location_id = location if isinstance(location, int) else None
        draft.value = self.query_one("#value", Input).value
        draft.currency = self.query_one("#currency", Input).value
        draft.close_date = self.query_one("#close-date", Input).value
        draft.crm_id = self.query_one("#crm-id", Input).value
        draft.campaign_id = self.query_one("#campaign-id", Input).value
        draft.notes = self.query_one("#notes", TextArea).text

    def _location_for(self, draft: Draft) -> int | None:
        """The draft's location; else the user's own (scope) location, or the only one."""
        ids = [loc.id for loc in self._locations]
        if draft.location_id in ids:
            return draft.location_id
        scope = self.context.user.scope_location_id
        if scope in ids:
            return scope
        return ids[0] if len(ids) == 1 else None
