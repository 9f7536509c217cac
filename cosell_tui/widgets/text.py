"""Showing stored text exactly as typed (R-Q-1) and numbers compactly."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from decimal import Decimal

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


def day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()
