"""Showing stored text exactly as typed (R-Q-1), numbers compactly, dates as configured."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal

from rich.cells import cell_len
from rich.text import Text

_VISIBLE_ESCAPES = {"\n": "⏎", "\t": "⇥"}


def literal(value: str | None, style: str = "") -> Text:
    """A Text that shows `value` exactly: never markup, control characters made visible.

    Validation refuses control characters, but a hand-edited database may hold them; they are
    shown as `\\x1b`-style escapes so nothing reaches the terminal raw.
    """
    if not value:
        return Text("", style=style)
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in value):
        value = "".join(
            _VISIBLE_ESCAPES.get(
                ch, f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"
            )
            if unicodedata.category(ch) in ("Cc", "Cf") and ch != "\u200d"
            else ch
            for ch in value
        )
    return Text(value, style=style, no_wrap=True, end="")


def money(value: Decimal, currency: str, *, compact: bool = True) -> str:
    """`480k USD`, `1.25M CAD` in tables; `1,250,000.00 CAD` where there is room."""
    if not compact:
        return f"{value:,.2f} {currency}"
    amount = float(value)
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if amount >= limit:
            scaled = amount / limit
            digits = 0 if scaled >= 100 else 1 if scaled >= 10 else 2
            text = f"{scaled:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{scaled:.0f}"
            return f"{text}{suffix} {currency}"
    return f"{amount:,.0f} {currency}"


# --- dates: one format for every date shown (the config's date_format; inputs stay ISO) ---

DEFAULT_DATE_FORMAT = "%Y-%m-%d"
DATE_WIDTH_LIMIT = 11
"""The widest date a format may show: the list's Close column, with its overdue mark, fits
it at 80 columns (the default shows 10)."""

_LEAP_YEAR = [date(2028, 1, 1) + timedelta(days=n) for n in range(366)]
_YEARS = [date(year, 3, 14) for year in range(2000, 2100)]

_date_format = DEFAULT_DATE_FORMAT
_date_width = 10


def date_format_problem(pattern: str) -> str | None:
    """Why `pattern` (strftime) cannot show the app's dates, or None when it can.

    It must tell every day apart (year, month and day: no two days of a year alike, no two
    years alike), stay on one line and show at most DATE_WIDTH_LIMIT characters.
    """
    try:
        shown = [moment.strftime(pattern) for moment in _LEAP_YEAR]
        years = [moment.strftime(pattern) for moment in _YEARS]
    except (ValueError, OverflowError):
        return "is not a date format (strftime codes, like %Y-%m-%d or %d.%m.%Y)"
    if not all(text.isprintable() for text in shown):
        return "must stay on one line"
    if len(set(shown)) < len(shown) or len(set(years)) < len(years):
        return "must show the year, the month and the day (like %Y-%m-%d or %d.%m.%Y)"
    width = max(cell_len(text) for text in shown + years)
    if width > DATE_WIDTH_LIMIT:
        return (
            f"shows up to {width} characters; the list's Close column holds "
            f"{DATE_WIDTH_LIMIT}, as %d %b %Y shows"
        )
    return None


def set_date_format(pattern: str) -> None:
    """Every date shown from now on uses `pattern` (checked by date_format_problem)."""
    global _date_format, _date_width  # noqa: PLW0603 - one setting for the whole process
    _date_format = pattern
    _date_width = max(cell_len(moment.strftime(pattern)) for moment in _LEAP_YEAR + _YEARS)


def date_width() -> int:
    """How wide the widest date shown is, for columns."""
    return _date_width


def day(value: date | datetime | None) -> str:
    """A date (or a moment: its date and time) the way the config's date_format says."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value.strftime(_date_format)} {value:%H:%M}"
    return value.strftime(_date_format)
