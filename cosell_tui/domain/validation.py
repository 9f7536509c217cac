"""Field rules of R-Q-1 as pydantic types, each failing with a sentence a user can act on."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationError

from cosell_tui.domain.codes import COUNTRIES, CURRENCIES
from cosell_tui.domain.errors import InvalidInput

NAME_MAX = 200
TEXT_MAX = 4000
AMOUNT_MAX = Decimal(10) ** 12
PHONE_DIGITS = (7, 15)

_PHONE_CHARS = re.compile(r"^\+?[0-9 ().\-]+$")
_DUNS_SEPARATORS = re.compile(r"[\s\-]")
# Commas only between digit groups (1,250,000.50 or 1,00,000), never as a decimal mark.
_GROUPED_AMOUNT = re.compile(r"^[+-]?\d{1,3}(?:,\d{2,3})*,\d{3}(?:\.\d*)?$")
_AT_LEAST_ONE = {
    "team": "Add at least one team member.",
    "solution_ids": "Choose at least one solution.",
}
FORM_FIELD = "form"  # key of refusals about the form as a whole (model validators)


def _control_characters(value: str, allow_newlines: bool) -> bool:
    # printable ASCII holds none (Cf characters are all outside ASCII): most text, at once
    if value.isascii() and (value.replace("\n", "") if allow_newlines else value).isprintable():
        return False
    allowed = {"\n"} if allow_newlines else set()
    return any(
        unicodedata.category(ch) in ("Cc", "Cf") and ch not in allowed and ch != "\u200d"
        for ch in value
    )


def _text(value: Any, *, limit: int, multiline: bool, required: bool) -> Any:
    if value is None:
        if required:
            raise ValueError("This field is required.")
        return None
    if not isinstance(value, str):
        raise ValueError("Enter text.")
    cleaned = value.strip()
    if multiline:
        cleaned = cleaned.replace("\r\n", "\n").replace("\r", "\n")
    if not cleaned:
        if required:
            raise ValueError("This field is required.")
        return None
    if _control_characters(cleaned, allow_newlines=multiline):
        what = "control characters" if multiline else "control characters or line breaks"
        raise ValueError(f"Remove the {what}; only printable text is accepted.")
    if len(cleaned) > limit:
        raise ValueError(f"Use at most {limit} characters (this has {len(cleaned)}).")
    return cleaned


def _name(value: Any) -> Any:
    return _text(value, limit=NAME_MAX, multiline=False, required=True)


def _optional_name(value: Any) -> Any:
    return _text(value, limit=NAME_MAX, multiline=False, required=False)


def _long_text(value: Any) -> Any:
    return _text(value, limit=TEXT_MAX, multiline=True, required=False)


def _required_long_text(value: Any) -> Any:
    return _text(value, limit=TEXT_MAX, multiline=True, required=True)


def _email(value: Any) -> Any:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("Enter an email address.")
    return _checked_email(value.strip())


@lru_cache(maxsize=4096)  # an import repeats the same team members on many deals
def _checked_email(value: str) -> str:
    from email_validator import EmailNotValidError, validate_email  # noqa: PLC0415 (50 ms)

    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(f"Enter a valid email address ({str(error).rstrip('.')}).") from None
    return checked.normalized.lower()


def _phone(value: Any) -> Any:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("Enter a phone number.")
    cleaned = value.strip()
    digits = sum(ch.isdigit() for ch in cleaned)
    low, high = PHONE_DIGITS
    if not _PHONE_CHARS.match(cleaned) or not low <= digits <= high:
        raise ValueError(
            f"Enter a phone number of {low}-{high} digits; "
            "a leading +, spaces, dashes, dots and parentheses are allowed."
        )
    return cleaned


def _duns(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = _DUNS_SEPARATORS.sub("", str(value))
    if not (len(text) == 9 and text.isascii() and text.isdigit()):
        raise ValueError("A D-U-N-S number is exactly 9 digits, e.g. 150483782.")
    return text


def _currency(value: Any) -> Any:
    code = str(value).strip().upper() if value is not None else ""
    if code not in CURRENCIES:
        raise ValueError("Enter an ISO 4217 currency code such as USD, EUR or JPY.")
    return code


def _country(value: Any) -> Any:
    code = str(value).strip().upper() if value is not None else ""
    if code not in COUNTRIES:
        raise ValueError("Enter a two-letter ISO 3166 country code such as US, DE or IN.")
    return code


def _amount(value: Any) -> Any:
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, str):
        value = value.strip().replace("_", "")
        if "," in value:
            if not _GROUPED_AMOUNT.match(value):
                raise ValueError(
                    "Use a point for decimals and commas only between groups of digits, "
                    "e.g. 1,250,000.50."
                )
            value = value.replace(",", "")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError("Enter an amount such as 125000 or 125000.50.") from None
    if not amount.is_finite():
        raise ValueError("Enter an amount such as 125000 or 125000.50.")
    if amount <= 0:
        raise ValueError("The amount must be greater than 0.")
    if amount > AMOUNT_MAX:
        raise ValueError("The amount must not exceed 1,000,000,000,000.")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise ValueError("Use at most 2 decimal places.")
    return amount.quantize(Decimal("0.01"))


def _date(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError("Enter a real calendar date as YYYY-MM-DD, e.g. 2026-12-31.")


def _mpn_id(value: Any) -> Any:
    if value is None:
        return None
    text = str(value).strip()
    if not (len(text) == 7 and text.isascii() and text.isdigit()):
        raise ValueError("A partner (MPN) id is exactly 7 digits.")
    return text


Name = Annotated[str, BeforeValidator(_name)]
OptionalName = Annotated[str | None, BeforeValidator(_optional_name)]
LongText = Annotated[str | None, BeforeValidator(_long_text)]
RequiredText = Annotated[str, BeforeValidator(_required_long_text)]
Email = Annotated[str, BeforeValidator(_email)]
Phone = Annotated[str, BeforeValidator(_phone)]
Duns = Annotated[str | None, BeforeValidator(_duns)]
Currency = Annotated[str, BeforeValidator(_currency)]
Country = Annotated[str, BeforeValidator(_country)]
Amount = Annotated[Decimal, BeforeValidator(_amount)]
CalendarDate = Annotated[date, BeforeValidator(_date)]
PartnerId = Annotated[str | None, BeforeValidator(_mpn_id)]


def field_messages(error: ValidationError) -> dict[str, str]:
    """Turn pydantic's report into {dotted field: sentence}, dropping pydantic's prefixes."""
    messages: dict[str, str] = {}
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or FORM_FIELD
        text = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            text = "This field is required."
        elif item["type"] == "too_short":
            text = _AT_LEAST_ONE.get(str(item["loc"][-1]), "Add at least one entry.")
        elif item["type"] in ("int_parsing", "int_type", "bool_parsing", "bool_type"):
            text = "Choose one of the offered values."
        elif item["type"] in ("enum", "literal_error"):
            text = "Choose one of the listed values."
        messages.setdefault(field, text)
    return messages


def invalid_input(error: ValidationError, title: str = "Please correct the form") -> InvalidInput:
    """A ValidationError as one user-facing sentence plus per-field messages."""
    fields = field_messages(error)
    first_field, first_message = next(iter(fields.items()))
    label = "" if first_field == FORM_FIELD else first_field.replace("_", " ") + ": "
    more = f" (and {len(fields) - 1} more)" if len(fields) > 1 else ""
    return InvalidInput(f"{title}: {label}{first_message}{more}", fields)
