"""What a deal list shows — tab, view, filter, sort — without the SQL (R-UI-1).

Light on purpose: the main screen imports it before its first frame (issue 6), while
`cosell_tui.store.lists` (SQLAlchemy) turns a `DealQuery` into SQL later, in a worker.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any


class Tab(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    FAVORITES = "favorites"


class Show(StrEnum):
    """Which deals a list shows (`v` cycles them)."""

    ACTIVE = "active"
    CLOSED = "closed"
    ALL = "all"

    def next(self) -> Show:
        members = list(Show)
        return members[(members.index(self) + 1) % len(members)]


class SortKey(StrEnum):
    URGENCY = "urgency"  # days left to respond, then close date (Inbound's default)
    NAME = "name"
    CUSTOMER = "customer"
    TYPE = "type"
    STATUS = "status"
    STAGE = "stage"
    VALUE = "value"
    CLOSE_DATE = "close_date"
    CREATED = "created"


@dataclass(frozen=True)
class DealQuery:
    """What one list shows: a tab, a view, a filter, a sort."""

    tab: Tab
    show: Show = Show.ACTIVE
    search: str = ""
    sort: SortKey = SortKey.CREATED
    descending: bool = False

    def with_(self, **changes: Any) -> DealQuery:
        return replace(self, **changes)
