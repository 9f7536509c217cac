"""Field validation (R-Q-1) and form rules (R-DEAL-2, R-LIFE-6, R-REG-2), no database."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from cosell_tui.domain.enums import ContractType, DeployedOn, DeployedWhere, LostReason
from cosell_tui.domain.errors import InvalidInput
from cosell_tui.domain.models import (
    AcceptForm,
    CommentForm,
    CustomerContact,
    DealDetailsForm,
    LostForm,
    NewCompanyForm,
    NewDealForm,
    PartnerInviteForm,
    RegistrationForm,
    TeamMemberForm,
)
from cosell_tui.domain.validation import field_messages, invalid_input

# --- helpers ---------------------------------------------------------------------------------

JARGON = re.compile(
    r"Value error|Input should|validation error|pydantic|List should|String should"
    r"|type=|\[type|after validation",
    re.IGNORECASE,
)


def member(**changes: Any) -> dict[str, Any]:
    data = {
        "first_name": "Dana",
        "last_name": "Whitley",
        "phone": "+1 425 555 0100",
        "email": "dana@contoso.example.com",
    }
    data.update(changes)
    return data


def details(**changes: Any) -> dict[str, Any]:
    data = {
        "name": "Fabric rollout",
        "location_id": 1,
        "value": "125000",
        "currency": "USD",
        "close_date": "2026-12-31",
    }
    data.update(changes)
    return data


def company(**changes: Any) -> dict[str, Any]:
    data = {
        "name": "Fourth Coffee",
        "address_line": "1 Main Street",
        "city": "Seattle",
        "country": "US",
    }
    data.update(changes)
    return data


def new_deal(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "company_id": 1,
        "details": details(),
        "team": [member()],
        "solution_ids": [10],
    }
    data.update(changes)
    return data


def partner_invite(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "organization_id": 3,
        "location_id": 30,
        "close_date": "2026-12-31",
        "value": "5000",
        "currency": "EUR",
        "team": [member()],
        "solution_ids": [20],
    }
    data.update(changes)
    return data


def registration(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "customer_name": "Fourth Coffee",
        "country": "US",
        "city": "Seattle",
        "state": "WA",
        "solution_id": 10,
        "contract_type": ContractType.NEW,
        "total_value": "100000",
        "currency": "USD",
        "solution_value": "60000",
        "deployed_on": DeployedOn.AZURE,
        "deployed_where": DeployedWhere.CUSTOMER_TENANT,
        "contract_start": "2026-12-01",
        "contract_end": "2027-11-30",
        "perpetual": False,
        "signed_on": "2026-11-20",
        "contact_first_name": "Dana",
        "contact_last_name": "Whitley",
        "contact_phone": "+1 425 555 0100",
        "contact_email": "dana@contoso.example.com",
        "named_in_contract": True,
    }
    data.update(changes)
    return data


def refusal(form: type[BaseModel], **data: Any) -> dict[str, str]:
    """The per-field messages a refused form shows; fails the test if the form is accepted."""
    with pytest.raises(ValidationError) as caught:
        form(**data)
    messages = field_messages(caught.value)
    assert messages, "a refusal must name at least one problem"
    for text in messages.values():
        assert_user_sentence(text)
    return messages


def assert_user_sentence(text: str) -> None:
    """R-Q-1: a message a user can act on — a capitalised sentence, no library jargon."""
    assert text, "empty message"
    # A sentence may open with the address it is about ("a@b.com is on the team twice; …").
    opening = re.sub(r"^\S+@\S+ ", "", text)
    assert opening[0].isupper() or opening != text, f"not a sentence: {text!r}"
    assert text.rstrip().endswith((".", "!", ")")), f"not a sentence: {text!r}"
    assert not JARGON.search(text), f"library jargon shown to the user: {text!r}"


# --- email (R-Q-1) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("dana@contoso.com", "dana@contoso.com"),
        ("Dana.Whitley+deals@Mail.Contoso.co.uk", "dana.whitley+deals@mail.contoso.co.uk"),
        ("  DANA@CONTOSO.COM  ", "dana@contoso.com"),
    ],
)
def test_email_accepts_rfc_addresses_and_lowercases_them(typed: str, stored: str) -> None:
    # R-Q-1: RFC syntax, plus-addressing and subdomains accepted; stored lowercase.
    assert TeamMemberForm(**member(email=typed)).email == stored


@pytest.mark.parametrize(
    "typed",
    ["dana.contoso.com", "dana whitley@contoso.com", "dana..whitley@contoso.com", "", "   "],
)
def test_email_refuses_malformed_addresses_with_a_sentence(typed: str) -> None:
    # R-Q-1: missing @, spaces, double dots, empty.
    messages = refusal(TeamMemberForm, **member(email=typed))
    assert set(messages) == {"email"}
    assert "email" in messages["email"].lower()


# --- phone (R-Q-1) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "+1 (425) 555-0100",
        "+44 20.7946.0958",
        "1234567",  # 7 digits: the lower edge
        "+123456789012345",  # 15 digits: the upper edge
        "(030) 1234-5678",
    ],
)
def test_phone_accepts_7_to_15_digits_with_separators(typed: str) -> None:
    # R-Q-1: optional +, spaces, dashes, dots and parentheses.
    assert TeamMemberForm(**member(phone=typed)).phone == typed


@pytest.mark.parametrize(
    "typed",
    [
        "123456",  # 6 digits
        "+1234567890123456",  # 16 digits
        "425-555-CALL",  # letters
        "+1 425 555 0100 ext 12",  # letters
        "1+4255550100",  # + only at the start
        "",
    ],
)
def test_phone_refuses_wrong_digit_counts_and_letters(typed: str) -> None:
    # R-Q-1
    messages = refusal(TeamMemberForm, **member(phone=typed))
    assert set(messages) == {"phone"}
    assert "phone" in messages["phone"].lower()


# --- D-U-N-S (R-Q-1, R-ORG-3) ------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["150483782", "15-048-3782", "15 048 3782", " 150483782 "])
def test_duns_is_nine_digits_with_separators_normalised(typed: str) -> None:
    # R-Q-1: dashes and spaces are dropped so the same company is found however it is typed.
    assert NewCompanyForm(**company(duns=typed)).duns == "150483782"


def test_duns_is_optional() -> None:
    # R-ORG-3: D-U-N-S is unique "when present".
    assert NewCompanyForm(**company()).duns is None
    assert NewCompanyForm(**company(duns="")).duns is None


@pytest.mark.parametrize("typed", ["15048378", "1504837821", "15048378A", "ABCDEFGHI"])
def test_duns_refuses_eight_or_ten_digits_and_letters(typed: str) -> None:
    # R-Q-1
    messages = refusal(NewCompanyForm, **company(duns=typed))
    assert set(messages) == {"duns"}
    assert "9 digits" in messages["duns"]


# --- currency and country (R-Q-1) ------------------------------------------------------------


@pytest.mark.parametrize(("typed", "stored"), [("usd", "USD"), (" eur ", "EUR"), ("JPY", "JPY")])
def test_currency_is_an_iso_4217_code_uppercased(typed: str, stored: str) -> None:
    # R-Q-1
    assert DealDetailsForm(**details(currency=typed)).currency == stored


@pytest.mark.parametrize("typed", ["XXX", "ABC", "US", "dollars", ""])
def test_currency_refuses_codes_outside_iso_4217(typed: str) -> None:
    # R-Q-1: XXX is the ISO "no currency" code, never a deal currency.
    messages = refusal(DealDetailsForm, **details(currency=typed))
    assert set(messages) == {"currency"}
    assert "ISO 4217" in messages["currency"]


@pytest.mark.parametrize(("typed", "stored"), [("gb", "GB"), ("US", "US"), (" de ", "DE")])
def test_country_is_an_iso_3166_alpha2_code_uppercased(typed: str, stored: str) -> None:
    # R-Q-1
    assert NewCompanyForm(**company(country=typed)).country == stored


@pytest.mark.parametrize("typed", ["UK", "XX", "GBR", "England", ""])
def test_country_refuses_codes_outside_iso_3166(typed: str) -> None:
    # R-Q-1: "UK" is the usual mistake for GB.
    messages = refusal(NewCompanyForm, **company(country=typed))
    assert set(messages) == {"country"}
    assert "ISO 3166" in messages["country"]


# --- amounts (R-Q-1) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("1,250,000.50", "1250000.50"),
        ("125000", "125000.00"),
        ("0.01", "0.01"),
        ("1000000000000", "1000000000000.00"),  # exactly 10^12: the upper edge
        (Decimal("99.9"), "99.90"),
        (42, "42.00"),
    ],
)
def test_amount_accepts_positive_values_up_to_a_trillion(typed: object, stored: str) -> None:
    # R-Q-1: amounts are decimals (never floats), kept to the cent.
    value = DealDetailsForm(**details(value=typed)).value
    assert isinstance(value, Decimal)
    assert value == Decimal(stored)
    assert str(value) == stored


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        ("0", "greater than 0"),
        ("-1", "greater than 0"),
        ("1000000000000.01", "exceed"),
        ("1.005", "2 decimal"),
        ("lots", "amount"),
        ("", "amount"),
        ("NaN", "amount"),
        ("Infinity", "amount"),
    ],
)
def test_amount_refuses_zero_negative_too_large_and_sub_cent(typed: str, hint: str) -> None:
    # R-Q-1: > 0, ≤ 10^12, at most 2 decimals.
    messages = refusal(DealDetailsForm, **details(value=typed))
    assert set(messages) == {"value"}
    assert hint in messages["value"]


@pytest.mark.parametrize("typed", ["12,50", "1,5"])
def test_amount_never_reads_a_decimal_comma_as_a_thousands_separator(typed: str) -> None:
    # R-Q-1 "bad input never loses data": "12,50" (twelve euros fifty, as typed in much of
    # Europe) must not be stored as 1250.00 — refuse it, or read the comma as the decimal mark.
    try:
        value = DealDetailsForm(**details(value=typed)).value
    except ValidationError as error:
        assert_user_sentence(field_messages(error)["value"])
        return
    assert value == Decimal(typed.replace(",", ".")), f"{typed!r} was stored as {value}"


@pytest.mark.parametrize("typed", ["1,2,3", "12,5000"])
def test_amount_refuses_commas_that_are_not_thousands_separators(typed: str) -> None:
    # R-Q-1: "1,250,000.50" groups digits by three; anything else is a typo, not a number.
    messages = refusal(DealDetailsForm, **details(value=typed))
    assert set(messages) == {"value"}


# --- dates (R-Q-1) ---------------------------------------------------------------------------


def test_dates_are_real_calendar_dates() -> None:
    # R-Q-1: 2028 is a leap year, 2026 is not.
    assert DealDetailsForm(**details(close_date="2028-02-29")).close_date == date(2028, 2, 29)
    assert DealDetailsForm(**details(close_date=date(2027, 1, 31))).close_date == date(2027, 1, 31)


@pytest.mark.parametrize("typed", ["2026-02-29", "2026-13-01", "2026-04-31", "next friday", ""])
def test_impossible_dates_are_refused(typed: str) -> None:
    # R-Q-1
    messages = refusal(DealDetailsForm, **details(close_date=typed))
    assert set(messages) == {"close_date"}
    assert "date" in messages["close_date"]


# --- names, notes and control characters (R-Q-1) --------------------------------------------


def test_names_hold_up_to_200_characters() -> None:
    # R-Q-1
    assert DealDetailsForm(**details(name="n" * 200)).name == "n" * 200
    messages = refusal(DealDetailsForm, **details(name="n" * 201))
    assert "200" in messages["name"]


def test_a_name_is_required() -> None:
    # R-DEAL-2: name is required; blanks do not count.
    for typed in ("", "   "):
        assert "required" in refusal(DealDetailsForm, **details(name=typed))["name"]


def test_notes_hold_up_to_4000_characters() -> None:
    # R-Q-1
    assert DealDetailsForm(**details(notes="x" * 4000)).notes == "x" * 4000
    messages = refusal(DealDetailsForm, **details(notes="x" * 4001))
    assert "4000" in messages["notes"]


def test_comments_hold_up_to_4000_characters_and_are_required() -> None:
    # R-Q-1 (comments), R-DEAL-9
    assert CommentForm(body="y" * 4000).body == "y" * 4000
    assert "4000" in refusal(CommentForm, body="y" * 4001)["body"]
    assert "required" in refusal(CommentForm, body="  ")["body"]


@pytest.mark.parametrize("bad", ["\x1b[31mred\x1b[0m", "nul\x00byte", "bell\x07", "tab\there"])
def test_control_characters_are_refused_in_names_and_notes(bad: str) -> None:
    # R-Q-1: escape sequences and other control characters never reach the screen.
    assert "control" in refusal(TeamMemberForm, **member(first_name=bad))["first_name"]
    assert "control" in refusal(DealDetailsForm, **details(name=bad))["name"]
    assert "control" in refusal(DealDetailsForm, **details(notes=bad))["notes"]
    assert "control" in refusal(CommentForm, body=bad)["body"]


def test_newlines_are_allowed_in_notes_but_not_in_names() -> None:
    # R-Q-1: notes are multi-line text; a name is one line.
    notes = DealDetailsForm(**details(notes="first line\r\nsecond line\nthird")).notes
    assert notes == "first line\nsecond line\nthird"
    assert "line break" in refusal(DealDetailsForm, **details(name="two\nlines"))["name"]
    assert "line break" in refusal(TeamMemberForm, **member(last_name="a\rb"))["last_name"]


@pytest.mark.parametrize("typed", ["[bold]x[/]", "[red]Contoso[/red] & <b>Co</b>", "Zoë 'O'Brien'"])
def test_markup_like_text_is_kept_exactly_as_typed(typed: str) -> None:
    # R-Q-1: text is shown exactly as typed, never interpreted or escaped at input.
    assert TeamMemberForm(**member(first_name=typed)).first_name == typed
    assert DealDetailsForm(**details(name=typed, notes=typed)).notes == typed
    assert NewCompanyForm(**company(name=typed)).name == typed


def test_customer_contact_fields_are_all_validated() -> None:
    # R-DEAL-1, R-Q-1: name, phone and email of the customer contact.
    contact = CustomerContact(name="Pat Lee", phone="+1 206 555 0199", email="Pat@Fourth.COM")
    assert contact.email == "pat@fourth.com"
    messages = refusal(CustomerContact, name="", phone="12", email="pat")
    assert set(messages) == {"name", "phone", "email"}


# --- messages users can act on (R-Q-1) -------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "data", "field"),
    [
        (TeamMemberForm, member(email="no-at-sign"), "email"),
        (TeamMemberForm, member(phone="call me"), "phone"),
        (TeamMemberForm, member(first_name="\x1b[2J"), "first_name"),
        (DealDetailsForm, details(value="-5"), "value"),
        (DealDetailsForm, details(currency="XXX"), "currency"),
        (DealDetailsForm, details(close_date="2026-02-30"), "close_date"),
        (DealDetailsForm, details(name="x" * 300), "name"),
        (NewCompanyForm, company(country="UK"), "country"),
        (NewCompanyForm, company(duns="12345"), "duns"),
        (LostForm, {"reason": "bored"}, "reason"),
    ],
)
def test_every_refusal_is_a_sentence_next_to_its_field(
    form: type[BaseModel], data: dict[str, Any], field: str
) -> None:
    # R-Q-1: "every field is validated with a message next to it".
    with pytest.raises(ValidationError) as caught:
        form(**data)
    messages = field_messages(caught.value)
    assert list(messages) == [field]
    assert_user_sentence(messages[field])
    error = invalid_input(caught.value)
    assert isinstance(error, InvalidInput)
    assert error.fields == messages
    assert messages[field] in str(error)
    assert not JARGON.search(str(error))


def test_a_missing_field_reads_as_required() -> None:
    # R-Q-1
    data = member()
    del data["phone"]
    assert refusal(TeamMemberForm, **data) == {"phone": "This field is required."}


def test_invalid_input_counts_the_other_problems() -> None:
    # R-Q-1: the summary names the first problem and says how many more there are.
    with pytest.raises(ValidationError) as caught:
        TeamMemberForm(first_name="", last_name="", phone="x", email="y")
    error = invalid_input(caught.value, title="Check the team member")
    assert set(error.fields) == {"first_name", "last_name", "phone", "email"}
    assert str(error).startswith("Check the team member: first name: ")
    assert "(and 3 more)" in str(error)


@pytest.mark.parametrize(
    ("form", "data"),
    [
        (NewDealForm, new_deal(team=[])),
        (NewDealForm, new_deal(solution_ids=[])),
        (AcceptForm, {**details(), "team": []}),
        (PartnerInviteForm, partner_invite(team=[])),
        (PartnerInviteForm, partner_invite(solution_ids=[])),
    ],
)
def test_an_empty_team_or_solution_list_is_refused_in_plain_words(
    form: type[BaseModel], data: dict[str, Any]
) -> None:
    # R-DEAL-2 (≥1 team member, ≥1 solution) refused with an R-Q-1 sentence, not pydantic's
    # "List should have at least 1 item after validation, not 0".
    data = {k: v for k, v in data.items() if k in form.model_fields}
    refusal(form, **data)


def test_form_wide_refusals_are_not_shown_beside_the_value_field() -> None:
    # R-Q-1 "a message next to it": AcceptForm has an estimated `value` field; a duplicate
    # team member must not be reported as a problem with the value.
    data = {k: v for k, v in details().items() if k in AcceptForm.model_fields}
    with pytest.raises(ValidationError) as caught:
        AcceptForm(**data, team=[member(), member()])
    messages = field_messages(caught.value)
    assert any("twice" in text for text in messages.values())
    assert "value" not in messages, messages
    assert "value:" not in str(invalid_input(caught.value))


# --- form rules ------------------------------------------------------------------------------


def test_lost_with_reason_other_needs_notes() -> None:
    # R-LIFE-6: notes required for "other" only.
    assert LostForm(reason=LostReason.PRICE).notes is None
    assert LostForm(reason=LostReason.OTHER, notes="Customer merged").notes == "Customer merged"
    with pytest.raises(ValidationError) as caught:
        LostForm(reason=LostReason.OTHER, notes="   ")
    (message,) = field_messages(caught.value).values()
    assert_user_sentence(message)
    assert "Other" in message


def test_a_complete_registration_is_accepted() -> None:
    # R-REG-2
    form = RegistrationForm(**registration())
    assert form.total_value == Decimal("100000.00")
    assert form.contact_email == "dana@contoso.example.com"


def test_a_perpetual_registration_has_no_end_date() -> None:
    # R-REG-2: contract end date *or* perpetual.
    form = RegistrationForm(**registration(contract_end=None, perpetual=True))
    assert form.contract_end is None


def test_solution_value_may_equal_but_not_exceed_the_total() -> None:
    # R-REG-2: solution value ≤ total.
    assert RegistrationForm(**registration(solution_value="100000")).solution_value == Decimal(
        "100000"
    )
    messages = refusal(RegistrationForm, **registration(solution_value="100000.01"))
    assert "exceed" in next(iter(messages.values()))


@pytest.mark.parametrize(
    ("changes", "hint"),
    [
        ({"signed_on": "2026-12-02"}, "signed"),  # signed after start
        ({"contract_end": "2026-11-30"}, "end date"),  # end before start
        ({"contract_end": None, "perpetual": False}, "end date"),  # neither end nor perpetual
        ({"contract_end": "2027-11-30", "perpetual": True}, "perpetual"),  # both
        ({"named_in_contract": False}, "Confirm"),
    ],
)
def test_registration_dates_and_confirmation_must_be_consistent(
    changes: dict[str, Any], hint: str
) -> None:
    # R-REG-2: signed ≤ start ≤ end; perpetual xor end date; confirmation required.
    messages = refusal(RegistrationForm, **registration(**changes))
    assert hint in " ".join(messages.values())


def test_registration_date_edges_are_inclusive() -> None:
    # R-REG-2: signed = start = end is consistent.
    form = RegistrationForm(
        **registration(
            signed_on="2026-12-01", contract_start="2026-12-01", contract_end="2026-12-01"
        )
    )
    assert form.signed_on == form.contract_start == form.contract_end


def test_registration_fields_are_all_required() -> None:
    # R-REG-2: "All required".
    messages = refusal(RegistrationForm, **registration(state="", contact_phone=""))
    assert set(messages) == {"state", "contact_phone"}
    with pytest.raises(ValidationError) as caught:
        RegistrationForm()  # type: ignore[call-arg]
    required = field_messages(caught.value)
    assert "named_in_contract" in required
    assert "contract_end" not in required  # optional when perpetual
    assert set(required.values()) == {"This field is required."}


def test_a_valid_new_deal_form_is_accepted() -> None:
    # R-UI-4, R-DEAL-2
    form = NewDealForm(
        **new_deal(
            team=[member(), member(email="marco@contoso.example.com")],
            solution_ids=[10, 11],
            partners=[partner_invite(), partner_invite(organization_id=4, location_id=40)],
        )
    )
    assert len(form.team) == 2
    assert form.details.value == Decimal("125000.00")


@pytest.mark.parametrize(
    ("changes", "hint"),
    [
        ({"solution_ids": [10, 11, 10]}, "solution"),
        ({"partners": [partner_invite(), partner_invite()]}, "partner"),
        ({"team": [member(), member(email="DANA@Contoso.example.com")]}, "twice"),
    ],
)
def test_new_deal_refuses_duplicates(changes: dict[str, Any], hint: str) -> None:
    # R-UI-4: each solution once, each partner invited once, each person on the team once
    # (emails compare case-insensitively, as they are stored lowercase).
    messages = refusal(NewDealForm, **new_deal(**changes))
    assert hint in " ".join(messages.values())


def test_an_invited_partners_team_lists_each_person_once() -> None:
    # R-INV-3
    messages = refusal(PartnerInviteForm, **partner_invite(team=[member(), member()]))
    assert "twice" in " ".join(messages.values())


def test_forms_refuse_unknown_fields() -> None:
    # A misspelt field in a caller must never be silently dropped (R-Q-1: never loses data).
    with pytest.raises(ValidationError):
        TeamMemberForm(**member(mobile="+1 425 555 0101"))
