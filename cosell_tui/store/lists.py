"""The deal lists of the main screen (R-UI-1): filtered, sorted and paged in SQL.

A list never loads every row: the widget asks for the count, then for the pages it shows.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from cosell_tui.domain.enums import (
    ACTIVE_STATUSES,
    TERMINAL_STATUSES,
    DealType,
    Direction,
    Stage,
    Status,
)
from cosell_tui.domain.lifecycle import STAGE_PERCENT
from cosell_tui.domain.listing import DealQuery, Show, SortKey, Tab
from cosell_tui.domain.models import DealRow, User, ValueTotal
from cosell_tui.store.queries import contains_pattern, folded, from_cents, visible_to
from cosell_tui.store.schema import CompanyRow, EngagementRow, FavoriteRow, ReferralRow

_STATUSES = {
    Show.ACTIVE: sorted(ACTIVE_STATUSES),
    Show.CLOSED: sorted(TERMINAL_STATUSES),
    Show.ALL: list(Status),
}

_STAGE_PERCENT = case(
    *((ReferralRow.stage == stage.value, percent) for stage, percent in STAGE_PERCENT.items()),
    else_=0,
)
_FAR_FUTURE = datetime(9999, 1, 1)


def _where(viewer: User, query: DealQuery) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [
        visible_to(viewer),
        ReferralRow.status.in_([s.value for s in _STATUSES[query.show]]),
    ]
    if query.tab is Tab.INBOUND:
        clauses.append(ReferralRow.direction == Direction.INBOUND.value)
    elif query.tab is Tab.OUTBOUND:
        clauses.append(ReferralRow.direction == Direction.OUTBOUND.value)
    else:
        clauses.append(
            exists().where(
                FavoriteRow.referral_id == ReferralRow.id, FavoriteRow.user_id == viewer.id
            )
        )
    if query.search.strip():
        pattern = contains_pattern(query.search)
        clauses.append(
            or_(
                folded(ReferralRow.name).like(pattern, escape="\\"),
                folded(CompanyRow.name).like(pattern, escape="\\"),
            )
        )
    return clauses


SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])


def _joined(statement: SelectT) -> SelectT:
    return statement.join(EngagementRow, EngagementRow.id == ReferralRow.engagement_id).join(
        CompanyRow, CompanyRow.id == EngagementRow.company_id
    )


def _order(query: DealQuery) -> list[Any]:
    urgency = case(
        (ReferralRow.status == Status.RECEIVED.value, ReferralRow.response_deadline),
        else_=literal(_FAR_FUTURE),
    )
    keys: dict[SortKey, list[Any]] = {
        SortKey.URGENCY: [urgency, ReferralRow.close_date],
        SortKey.NAME: [func.lower(ReferralRow.name)],
        SortKey.CUSTOMER: [func.lower(CompanyRow.name)],
        SortKey.TYPE: [EngagementRow.deal_type],
        SortKey.STATUS: [ReferralRow.status],
        SortKey.STAGE: [_STAGE_PERCENT],
        SortKey.VALUE: [ReferralRow.currency, ReferralRow.value_cents],
        SortKey.CLOSE_DATE: [ReferralRow.close_date],
        SortKey.CREATED: [ReferralRow.created_at],
    }
    chosen = keys[query.sort]
    if query.descending:
        chosen = [key.desc() for key in chosen]
    return [*chosen, ReferralRow.id]  # a total order, so pages never overlap


def count(session: Session, viewer: User, query: DealQuery) -> int:
    statement = _joined(select(func.count()).select_from(ReferralRow)).where(*_where(viewer, query))
    return int(session.scalar(statement) or 0)


def page(
    session: Session, viewer: User, query: DealQuery, offset: int, limit: int
) -> list[DealRow]:
    """Rows offset … offset+limit of the list, as the table shows them."""
    favorite = exists().where(
        FavoriteRow.referral_id == ReferralRow.id, FavoriteRow.user_id == viewer.id
    )
    statement = (
        _joined(
            select(
                ReferralRow.id,
                ReferralRow.name,
                CompanyRow.name,
                EngagementRow.deal_type,
                ReferralRow.status,
                ReferralRow.stage,
                ReferralRow.value_cents,
                ReferralRow.currency,
                ReferralRow.close_date,
                ReferralRow.direction,
                ReferralRow.response_deadline,
                favorite,
            )
        )
        .where(*_where(viewer, query))
        .order_by(*_order(query))
        .offset(offset)
        .limit(limit)
    )
    return [
        DealRow(
            id=row[0],
            name=row[1],
            customer=row[2],
            deal_type=DealType(row[3]),
            status=Status(row[4]),
            stage=Stage(row[5]),
            value=from_cents(row[6]),
            currency=row[7],
            close_date=row[8],
            direction=Direction(row[9]),
            response_deadline=row[10],
            favorite=bool(row[11]),
        )
        for row in session.execute(statement)
    ]


def position(session: Session, viewer: User, query: DealQuery, referral_id: str) -> int | None:
    """Where a deal sits in the list (to keep the cursor on it after a reload), or None."""
    ranked = (
        _joined(
            select(
                ReferralRow.id.label("rid"),
                func.row_number().over(order_by=_order(query)).label("n"),
            )
        )
        .where(*_where(viewer, query))
        .subquery()
    )
    found = session.scalar(select(ranked.c.n).where(ranked.c.rid == referral_id))
    return None if found is None else int(found) - 1


def totals(session: Session, viewer: User, query: DealQuery) -> list[ValueTotal]:
    """The list's value and weighted value (value × stage %) per currency (R-UI-1)."""
    statement = (
        _joined(
            select(
                ReferralRow.currency,
                func.sum(ReferralRow.value_cents),
                func.sum(ReferralRow.value_cents * _STAGE_PERCENT),
            )
        )
        .where(*_where(viewer, query))
        .group_by(ReferralRow.currency)
        .order_by(func.sum(ReferralRow.value_cents).desc())
    )
    return [
        ValueTotal(
            currency=currency,
            total=from_cents(int(total)),
            weighted=(Decimal(int(weighted)) / 10000).quantize(Decimal("0.01")),
        )
        for currency, total, weighted in session.execute(statement)
    ]
