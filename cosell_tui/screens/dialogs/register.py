"""Register a won deal, or resubmit it after the vendor asked for changes (R-REG-2, R-REG-3)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError
from rich.text import Text
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from cosell_tui.domain.enums import ContractType, DeployedOn, DeployedWhere, RegistrationStatus
from cosell_tui.domain.models import Company, Referral, Registration, RegistrationForm, User
from cosell_tui.screens.dialog import Field
from cosell_tui.screens.dialogs.invite import PartyDialog, refusal
from cosell_tui.widgets.text import literal

CONTRACT_TYPES = [("New", ContractType.NEW), ("Renewal", ContractType.RENEWAL)]
DEPLOYED_ON = [("Azure", DeployedOn.AZURE), ("Other", DeployedOn.OTHER)]
DEPLOYED_WHERE = [
    ("Customer tenant", DeployedWhere.CUSTOMER_TENANT),
    ("Partner tenant", DeployedWhere.PARTNER_TENANT),
]

# Where each of RegistrationForm's whole-form refusals is shown: next to the field to fix.
WHOLE_FORM_FIELD = {
    "solution value": "solution_value",
    "perpetual": "contract_end",
    "signed": "signed_on",
    "end date": "contract_end",
    "named in the customer contract": "named_in_contract",
}


def _text(value: object) -> str:
    return "" if value is None else str(value)


class RegisterDialog(PartyDialog[RegistrationForm]):
    """R-REG-2: every field of the registration, pre-filled; all required, dates consistent."""

    def __init__(
        self, referral: Referral, company: Company, registration: Registration, me: User
    ) -> None:
        super().__init__()
        self.referral = referral
        self.company = company
        self.registration = registration
        self.me = me
        self.resubmitting = registration.form is not None
        self.eligible = [s.solution for s in referral.solutions if s.solution.incentive_eligible]

    title_text = "Register this deal"
    save_label = "Submit"

    def on_mount(self) -> None:
        # FormDialog's on_mount runs too (Textual calls each class's handler), after this one
        if self.resubmitting:
            self.query_one(".dialog-title", Label).update("Resubmit the registration")
            self.query_one("#save", Button).label = "Resubmit"

    def _prefill(self) -> dict[str, Any]:
        form = self.registration.form
        if form is not None:
            return form.model_dump()
        company, me = self.company, self.me
        only = self.eligible[0].id if len(self.eligible) == 1 else None
        return {
            "customer_name": company.name,
            "country": company.country,
            "city": company.city,
            "state": company.state,
            "solution_id": only,
            "currency": self.referral.currency,
            "contact_first_name": me.first_name,
            "contact_last_name": me.last_name,
            "contact_phone": me.phone,
            "contact_email": me.email,
        }

    def compose_fields(self) -> Iterable[Widget]:
        known = self._prefill()

        def text(label: str, key: str, hint: str = "", placeholder: str = "") -> Field:
            control = Input(_text(known.get(key)), placeholder=placeholder, id=f"reg-{key}")
            return Field(label, control, key, hint=hint)

        def choice(label: str, key: str, options: list[tuple[Any, Any]], hint: str = "") -> Field:
            value = known.get(key)
            legal = [v for _, v in options]
            select: Select[Any] = Select(
                options,
                prompt="Choose one",
                value=value if value in legal else Select.NULL,
                id=f"reg-{key}",
            )
            return Field(label, select, key, hint=hint)

        message = self.registration.message
        if message and self.registration.status is RegistrationStatus.ACTION_REQUIRED:
            yield Static(
                Text.assemble(("The vendor asked for changes:\n", "bold"), literal(message)),
                classes="party-vendor-message",
                id="vendor-message",
            )
        elif self.resubmitting:
            yield Static("Correct what the vendor asked for and resubmit.", classes="party-note")
        yield text("Customer company name", "customer_name")
        with Horizontal(classes="party-row"):
            yield text("Country", "country", "Two-letter code")
            yield text("City", "city")
            yield text("State or region", "state")
        yield choice(
            "Solution",
            "solution_id",
            [(literal(s.name), s.id) for s in self.eligible],
            "One of the deal's incentive-eligible solutions.",
        )
        yield choice("Contract type", "contract_type", CONTRACT_TYPES)
        with Horizontal(classes="party-row"):
            yield text(
                "Total contract value", "total_value", "Software and services, not hardware."
            )
            yield text("Currency", "currency")
        yield text(
            "Solution value", "solution_value", "This solution's part of the total (at most it)."
        )
        with Horizontal(classes="party-row"):
            yield choice("Deployed on", "deployed_on", DEPLOYED_ON)
            yield choice("Deployed where", "deployed_where", DEPLOYED_WHERE)
        with Horizontal(classes="party-row"):
            yield text("Contract start", "contract_start", placeholder="YYYY-MM-DD")
            yield text("Contract end", "contract_end", placeholder="YYYY-MM-DD")
        yield Field(
            "Perpetual contract",
            Checkbox("No end date (perpetual)", bool(known.get("perpetual")), id="reg-perpetual"),
            "perpetual",
            hint="Either an end date or perpetual, not both.",
        )
        yield text(
            "Contract signed on", "signed_on", "On or before the contract start.", "YYYY-MM-DD"
        )
        with Horizontal(classes="party-row"):
            yield text("Contact first name", "contact_first_name")
            yield text("Contact last name", "contact_last_name")
        with Horizontal(classes="party-row"):
            yield text("Contact phone", "contact_phone")
            yield text("Contact email", "contact_email")
        yield Field(
            "Customer contract",
            Checkbox(
                "Our company name and the solution are named in it",
                bool(known.get("named_in_contract")),
                id="reg-named_in_contract",
            ),
            "named_in_contract",
        )

    def build(self, values: dict[str, Any]) -> RegistrationForm:
        data = dict(values)
        end = data.get("contract_end")
        if isinstance(end, str) and not end.strip():
            data["contract_end"] = None
        try:
            return RegistrationForm.model_validate(data)
        except ValidationError as error:
            raise refusal(error, where=WHOLE_FORM_FIELD) from None
