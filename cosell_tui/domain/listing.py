"""What a deal list shows — tab, view, filter, sort — without the SQL (R-UI-1).

Light on purpose: the main screen imports it before its first frame (issue 6), while
`cosell_tui.store.lists` (SQLAlchemy) turns a `DealQuery` into SQL later, in a worker.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from cosell_tui.domain.enums import ADMIN_ROLES, DealType, Direction, Role, Stage, Status


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


class Viewer(StrEnum):
    """Which deals of the organization a user's lists hold (R-ACL-1)."""

    SELLER = "seller"  # the organization's deals, not private ones (R-DEAL-3)
    ADMIN = "admin"  # the organization's deals
    TEAM = "team"  # the deals whose team they are on, anywhere
    TEAM_SCOPED = "team_scoped"  # … at their location

    @classmethod
    def of(cls, role: str, scope_location_id: int | None) -> Viewer:
        """From the user's role and scope (as the store holds them, or a `User`'s)."""
        if role == Role.SELLER:
            return cls.SELLER
        if role in ADMIN_ROLES:
            return cls.ADMIN
        return cls.TEAM if scope_location_id is None else cls.TEAM_SCOPED


DEFAULT_SORT = {
    Tab.INBOUND: SortKey.URGENCY,
    Tab.OUTBOUND: SortKey.CLOSE_DATE,
    Tab.FAVORITES: SortKey.NAME,
}


def first_query(tab: Tab) -> DealQuery:
    """What a tab's list shows when the app opens: active deals, the tab's sort, no filter."""
    return DealQuery(tab=tab, sort=DEFAULT_SORT[tab])


@dataclass(frozen=True)
class ListRow:
    """One line of a deal list as the early read gives it (`cosell_tui.store.early`): what
    `models.DealRow` holds, without pydantic (the same attributes, the same values)."""

    id: str
    name: str
    customer: str
    deal_type: DealType
    status: Status
    stage: Stage
    value: Decimal
    currency: str
    close_date: date
    direction: Direction
    response_deadline: datetime | None
    favorite: bool

    @property
    def terminal(self) -> bool:
        return self.status.terminal

    def overdue(self, today: date) -> bool:
        """R-UI-1: an active deal whose close date has passed."""
        return not self.terminal and self.close_date < today
