"""Wizard step 1, Customer (R-UI-4, R-ORG-3, R-INV-2): where, who, and the customer contact.

The customer is found in the directory by place and name; the suggestions show address and
D-U-N-S number, because many companies share a name and a city. Directory reads run in
exclusive worker threads, and each result carries the serial number of the request it
answers, so a slow answer to an older keystroke never replaces the list of a newer one.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import TypeAdapter, ValidationError
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, OptionList, Select, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState, get_current_worker

from cosell_tui.domain.enums import CompanySize
from cosell_tui.domain.models import Company
from cosell_tui.domain.validation import Duns
from cosell_tui.domain.wizard import Draft, DraftCompany, Step
from cosell_tui.screens.dialog import Field
from cosell_tui.screens.wizard.base import WizardContext, WizardStep
from cosell_tui.widgets.text import literal

ADD_NEW = "add-new-company"
MORE = "more-companies"
ANY_CITY = ""
SUGGESTION_LIMIT = 20
GROUPS = ("wizard-company-search", "wizard-cities")
CONSENT_REMINDER = (
    "Get the customer's consent before you share their contact. The contact is optional, "
    "but it is required before the vendor can be invited."
)
CONSENT_LABEL = "The customer agreed to share this contact with the vendor"
_DUNS: TypeAdapter[str | None] = TypeAdapter(Duns)


def duns_text(company: Company) -> str:
    return f"D-U-N-S {company.duns}" if company.duns else "no D-U-N-S"


def company_label(company: Company) -> str:
    """'Adatum Corporation, Seattle · D-U-N-S 150483790': the draft's and review's words."""
    return f"{company.name}, {company.city} · {duns_text(company)}"


def suggestion(company: Company) -> Text:
    """Two lines: the name, then the address and D-U-N-S number that tell namesakes apart."""
    text = Text()
    text.append_text(literal(company.name, "bold"))
    text.append("\n")
    text.append_text(literal(company.address))
    text.append(" · ")
    text.append(duns_text(company), style="bold")
    return text


class CompanySearch(Input):
    """The customer-name input: down (or enter) moves into the suggestions below it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "down",
            "to_suggestions",
            "Suggestions",
            id="wizard.customer.suggestions",
            tooltip="Move into the list of matching companies",
            show=False,
        ),
    ]

    class ToSuggestions(Message):
        """The user wants to pick from the list."""

    def action_to_suggestions(self) -> None:
        self.post_message(self.ToSuggestions())


class Suggestions(OptionList):
    """The matching companies; up from the first one goes back to the name input."""

    class BackToSearch(Message):
        """The cursor left the top of the list."""

    def action_cursor_up(self) -> None:
        first = next((i for i, o in enumerate(self.options) if not o.disabled), None)
        if self.highlighted is None or self.highlighted == first:
            self.post_message(self.BackToSearch())
            return
        super().action_cursor_up()


def _select_value(select: Select[str]) -> str:
    value = select.value
    return value if isinstance(value, str) else ""


class CustomerStep(WizardStep):
    """Step 1: the customer's place, the customer (from the directory or new), the contact."""

    step = Step.CUSTOMER

    def __init__(self, context: WizardContext) -> None:
        super().__init__(context)
        self._country_options = [
            (f"{code}  {name}", code) for code, name in sorted(context.countries.items())
        ]
        self._cities_for: str | None = None  # the country whose cities the city Select lists
        self._city_names: list[str] = []
        self._search_serial = 0
        self._found: dict[int, Company] = {}
        self._company_id: int | None = None
        self._company_label = ""
        self._adding = False

    # layout

    def compose(self) -> ComposeResult:
        yield Static("Where is the customer?", classes="step-section")
        with Horizontal(classes="field-row"):
            yield Field(
                "Country",
                Select(self._country_options, allow_blank=False, id="country"),
                "country",
            )
            yield Field(
                "City",
                Select([("Any city", ANY_CITY)], allow_blank=False, id="city"),
                "city",
            )
        with Vertical(id="company-choose"):
            yield Field(
                "Customer name",
                CompanySearch(placeholder="Type part of the name", id="company-search"),
                "company",
                hint="↓ moves into the matching companies; enter chooses one.",
            )
            yield Suggestions(id="suggestions")
        with Horizontal(id="company-chosen"):
            yield Static("", id="chosen-company", markup=False)
            yield Button("Change", id="change-company")
        with Vertical(id="new-company"):
            with Horizontal(classes="new-company-title"):
                yield Static("New company (added to the directory)", classes="step-section")
                yield Button("Pick from the directory", id="back-to-directory")
            yield Field("Company name", Input(id="new-name"), "new_company.name")
            yield Field("Address", Input(id="new-address"), "new_company.address_line")
            with Horizontal(classes="field-row"):
                yield Field("City", Input(id="new-city"), "new_company.city")
                yield Field(
                    "State or region (optional)", Input(id="new-state"), "new_company.state"
                )
            with Horizontal(classes="field-row"):
                yield Field(
                    "Postal code (optional)", Input(id="new-postal"), "new_company.postal_code"
                )
                yield Field(
                    "Country",
                    Select(self._country_options, prompt="Choose the country", id="new-country"),
                    "new_company.country",
                )
            with Horizontal(classes="field-row"):
                yield Field(
                    "Size (optional)",
                    Select(
                        [(f"{size.value} employees", size.value) for size in CompanySize],
                        prompt="Not known",
                        id="new-size",
                    ),
                    "new_company.size",
                )
                yield Field(
                    "D-U-N-S (optional)",
                    Input(placeholder="9 digits", id="new-duns"),
                    "new_company.duns",
                )
        yield Static("Customer contact", classes="step-section")
        yield Static(CONSENT_REMINDER, classes="step-note")
        yield Field("Contact name", Input(id="contact-name"), "contact_name")
        with Horizontal(classes="field-row"):
            yield Field("Phone", Input(id="contact-phone"), "contact_phone")
            yield Field("Email", Input(id="contact-email"), "contact_email")
        yield Field("Consent", Checkbox(CONSENT_LABEL, id="consent"), "consent")
        yield Static("", classes="step-error", markup=False)

    def on_mount(self) -> None:
        self.show_errors({})
        self._show_mode()

    def focus_first(self) -> None:
        """The place is pre-selected: the cursor goes where the user types next."""
        if self._adding:
            target = "#new-name"
        elif self._company_id is not None:
            target = "#contact-name"
        else:
            target = "#company-search"
        self.query_one(target).focus(scroll_visible=False)

    # the draft

    def load(self, draft: Draft) -> None:
        country = draft.country.strip() or self._default_country()
        self._set_country(self.query_one("#country", Select), country)
        if self._cities_for != country:
            # until the directory answers, list the draft's city so its value stays legal
            self._city_names = []
            self._reload_cities(country, draft.city)
        self._set_cities(self._city_names, draft.city)
        self._company_id = draft.company_id
        self._company_label = draft.company_label
        self._adding = draft.adding_company
        self.query_one("#company-search", Input).value = draft.company_search
        new = draft.new_company
        self.query_one("#new-name", Input).value = new.name
        self.query_one("#new-address", Input).value = new.address_line
        self.query_one("#new-city", Input).value = new.city
        self.query_one("#new-state", Input).value = new.state
        self.query_one("#new-postal", Input).value = new.postal_code
        self._set_country(self.query_one("#new-country", Select), new.country)
        size = self.query_one("#new-size", Select)
        if new.size in {s.value for s in CompanySize}:
            size.value = new.size
        else:
            size.clear()
        self.query_one("#new-duns", Input).value = new.duns
        self.query_one("#contact-name", Input).value = draft.contact_name
        self.query_one("#contact-phone", Input).value = draft.contact_phone
        self.query_one("#contact-email", Input).value = draft.contact_email
        self.query_one("#consent", Checkbox).value = draft.consent
        self._show_mode()
        self._search()

    def dump(self, draft: Draft) -> None:
        draft.country = _select_value(self.query_one("#country", Select))
        draft.city = _select_value(self.query_one("#city", Select))
        draft.company_search = self.query_one("#company-search", Input).value
        draft.company_id = self._company_id
        draft.company_label = self._company_label if self._company_id is not None else ""
        draft.adding_company = self._adding
        size = self.query_one("#new-size", Select).value
        draft.new_company = DraftCompany(
            name=self.query_one("#new-name", Input).value,
            address_line=self.query_one("#new-address", Input).value,
            city=self.query_one("#new-city", Input).value,
            state=self.query_one("#new-state", Input).value,
            postal_code=self.query_one("#new-postal", Input).value,
            country=_select_value(self.query_one("#new-country", Select)),
            size=size if isinstance(size, str) else None,
            duns=self.query_one("#new-duns", Input).value,
        )
        draft.contact_name = self.query_one("#contact-name", Input).value
        draft.contact_phone = self.query_one("#contact-phone", Input).value
        draft.contact_email = self.query_one("#contact-email", Input).value
        draft.consent = self.query_one("#consent", Checkbox).value

    def extra_errors(self, draft: Draft) -> dict[str, str]:
        """A new company must not take a D-U-N-S number the directory already holds."""
        if not draft.adding_company:
            return {}
        try:
            duns = _DUNS.validate_python(draft.new_company.duns)
        except ValidationError:
            return {}  # the domain's check reports the malformed number
        if duns is None:
            return {}
        known = self.context.source.company_with_duns(duns)
        if known is None:
            return {}
        return {
            "new_company.duns": (
                f"D-U-N-S {duns} is already {known.name}, {known.city}; pick that company instead."
            )
        }

    # defaults

    def _default_country(self) -> str:
        organization = self.context.organization
        scope = self.context.user.scope_location_id
        location = organization.location(scope) if scope is not None else None
        if location is None and organization.locations:
            location = organization.locations[0]
        return location.country if location is not None else "US"

    def _set_country(self, select: Select[str], code: str) -> None:
        """Show `code`; a hand-edited draft may hold one we do not know: keep it, as typed."""
        if not code:
            select.clear()
            return
        if code not in self.context.countries:
            select.set_options([*self._country_options, (literal(code), code)])
        select.value = code

    def _set_cities(self, names: list[str], current: str) -> None:
        """List `names` (plus `current` when the directory does not know it) and show `current`."""
        listed = list(names)
        if current and current not in listed:
            listed.append(current)  # as typed or saved: never dropped
        select = self.query_one("#city", Select)
        select.set_options([("Any city", ANY_CITY)] + [(literal(name), name) for name in listed])
        select.value = current

    # which part shows: the search, the chosen company, or the new-company form

    def _show_mode(self) -> None:
        chosen = self._company_id is not None and not self._adding
        self.query_one("#company-choose").display = not chosen and not self._adding
        self.query_one("#company-chosen").display = chosen
        self.query_one("#new-company").display = self._adding
        if chosen:
            label = self._company_label or f"directory company #{self._company_id}"
            self.query_one("#chosen-company", Static).update(literal(f"Customer: {label}", "bold"))

    def _choose(self, company: Company) -> None:
        self._company_id = company.id
        self._company_label = company_label(company)
        self._adding = False
        self._show_mode()
        self.post_message(self.Changed())
        self.query_one("#contact-name", Input).focus()  # next: the contact

    def _start_new_company(self) -> None:
        self._adding = True
        self._company_id = None
        self._company_label = ""
        name = self.query_one("#new-name", Input)
        if not name.value.strip():
            name.value = self.query_one("#company-search", Input).value.strip()
        city = self.query_one("#new-city", Input)
        if not city.value.strip():
            city.value = _select_value(self.query_one("#city", Select))
        new_country = self.query_one("#new-country", Select)
        country = _select_value(self.query_one("#country", Select))
        if new_country.is_blank() and country:
            self._set_country(new_country, country)
        self._show_mode()
        self.post_message(self.Changed())
        name.focus()

    @on(Button.Pressed, "#change-company")
    def _change(self, event: Button.Pressed) -> None:
        event.stop()
        self._company_id = None
        self._company_label = ""
        self._show_mode()
        self.post_message(self.Changed())
        self.query_one("#company-search", Input).focus()
        self._search()

    @on(Button.Pressed, "#back-to-directory")
    def _back_to_directory(self, event: Button.Pressed) -> None:
        event.stop()
        self._adding = False
        self._show_mode()
        self.post_message(self.Changed())
        self.query_one("#company-search", Input).focus()
        self._search()

    # place

    @on(Select.Changed, "#country")
    def _country_changed(self) -> None:
        country = _select_value(self.query_one("#country", Select))
        if country != self._cities_for:
            self._city_names = []
            self._set_cities([], "")
            self._reload_cities(country, "")
        self._search()

    @on(Select.Changed, "#city")
    def _city_changed(self) -> None:
        self._search()

    def _reload_cities(self, country: str, keep: str) -> None:
        self._cities_for = country
        self._load_cities(country, keep)

    @work(thread=True, exclusive=True, exit_on_error=False, group="wizard-cities")
    def _load_cities(self, country: str, keep: str) -> None:
        found = self.context.source.cities(country)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_cities, country, found, keep)

    def _show_cities(self, country: str, cities: list[str], keep: str) -> None:
        if country != self._cities_for:
            return  # the user moved on to another country
        self._city_names = cities
        self._set_cities(cities, _select_value(self.query_one("#city", Select)) or keep)

    # the suggestions

    @on(Input.Changed, "#company-search")
    def _search_changed(self) -> None:
        self._search()

    def _search(self) -> None:
        if self._company_id is not None or self._adding:
            return
        self._search_serial += 1
        self._find(
            self._search_serial,
            _select_value(self.query_one("#country", Select)),
            _select_value(self.query_one("#city", Select)),
            self.query_one("#company-search", Input).value,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="wizard-company-search")
    def _find(self, serial: int, country: str, city: str, text: str) -> None:
        found = self.context.source.find_companies(country, city, text, SUGGESTION_LIMIT)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_suggestions, serial, found)

    def _show_suggestions(self, serial: int, companies: list[Company]) -> None:
        if serial != self._search_serial:
            return  # an answer to an older keystroke
        self._found = {c.id: c for c in companies}
        options = [Option(suggestion(c), id=f"company-{c.id}") for c in companies]
        if len(companies) >= SUGGESTION_LIMIT:
            options.append(
                Option(
                    f"Only the first {SUGGESTION_LIMIT} are listed: type more of the name.",
                    id=MORE,
                    disabled=True,
                )
            )
        options.append(Option(Text("+ Add a new company…", style="bold"), id=ADD_NEW))
        suggestions = self.query_one(Suggestions)
        suggestions.set_options(options)
        suggestions.highlighted = 0 if suggestions.has_focus else None

    def suggestion_names(self) -> list[str]:
        """The suggestions' plain text, in order (for tests and the review)."""
        names = []
        for option in self.query_one(Suggestions).options:
            prompt = option.prompt
            names.append(prompt.plain if isinstance(prompt, Text) else str(prompt))
        return names

    @on(CompanySearch.ToSuggestions)
    @on(Input.Submitted, "#company-search")
    def _into_suggestions(self, event: Message) -> None:
        event.stop()
        suggestions = self.query_one(Suggestions)
        suggestions.focus()
        if suggestions.highlighted is None and suggestions.option_count:
            suggestions.highlighted = 0

    @on(Suggestions.BackToSearch)
    def _back_to_search(self, event: Suggestions.BackToSearch) -> None:
        event.stop()
        self.query_one(Suggestions).highlighted = None
        self.query_one("#company-search", Input).focus()

    @on(OptionList.OptionSelected, "#suggestions")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        option_id = event.option.id or ""
        if option_id == ADD_NEW:
            self._start_new_company()
            return
        if option_id.startswith("company-"):
            company = self._found.get(int(option_id.removeprefix("company-")))
            if company is not None:
                self._choose(company)

    # directory errors become a notice, never a crash (STYLE rule 4)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.worker.group not in GROUPS:
            return
        event.stop()
        if event.state is WorkerState.ERROR:
            self.notify(
                f"Could not read the customer directory: {event.worker.error}",
                title="Directory",
                severity="error",
            )
