"""The Pipeline tab's figures (R-UI-1, issue 7), aggregated in SQL over the deals a user may see.

What the lists show decides what the pipeline counts: on SQLite it reads `deal_list` through
`lists.visible` (R-ACL-1, the lists' own rule), joined to the referrals only for the
timestamps a list does not keep; without that index (PostgreSQL) it reads the referrals
through `queries.visible_to`, as the lists do. Only sums, counts and a few named deals come
back, whatever the number of deals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from cosell_tui.domain.enums import ACTIVE_STATUSES, Direction, Stage, Status
from cosell_tui.domain.lifecycle import REMINDER_BEFORE, STAGE_PERCENT
from cosell_tui.domain.listing import Viewer
from cosell_tui.domain.models import User
from cosell_tui.store import lists
from cosell_tui.store.queries import from_cents, visible_to
from cosell_tui.store.schema import CompanyRow, EngagementRow, ReferralRow

RESULTS_DAYS = 90
"""Win rate and response time look back this far."""
CLOSING_DAYS = 30
"""Deals closing from today to today + this many days."""
NAMED = 5
"""How many closing and expiring deals are named (the most urgent first)."""

RECEIVED = "received"
"""The first step of the chart: received deals, not yet answered (they count 10 %)."""
STEPS: tuple[str, ...] = (
    RECEIVED,
    *(stage.value for stage in Stage if stage is not Stage.WON),
)
"""The chart's rows, in the order a deal climbs them."""
PERCENT = {RECEIVED: STAGE_PERCENT[Stage.ACCEPTED]} | {
    stage.value: percent for stage, percent in STAGE_PERCENT.items()
}

_ACTIVE = sorted(status.value for status in ACTIVE_STATUSES)
_DECIDED = (Status.WON.value, Status.LOST.value)
_ANSWERED = (Status.ACCEPTED.value, Status.WON.value, Status.LOST.value, Status.DECLINED.value)


@dataclass(frozen=True)
class StageFigure:
    """Active deals on one step of the chart in one currency."""

    currency: str
    step: str  # RECEIVED or a Stage value
    deals: int
    value: Decimal

    @property
    def percent(self) -> int:
        return PERCENT[self.step]

    @property
    def weighted(self) -> Decimal:
        return (self.value * self.percent / 100).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class CurrencyFigure:
    """Deals and their value in one currency."""

    currency: str
    deals: int
    value: Decimal


@dataclass(frozen=True)
class NamedDeal:
    """One deal named on the tab: a soon close date or a near response deadline."""

    id: str
    name: str
    customer: str
    value: Decimal
    currency: str
    close_date: date
    response_deadline: datetime | None


@dataclass(frozen=True)
class Pipeline:
    """Everything the Pipeline tab shows, read in one snapshot at `now`."""

    now: datetime
    stages: tuple[StageFigure, ...]
    won: int
    lost: int
    answered: int
    answer_days: float | None  # average days from received to accepted or declined
    closing: tuple[CurrencyFigure, ...]
    closing_deals: tuple[NamedDeal, ...]
    expiring: int
    expiring_deals: tuple[NamedDeal, ...]

    @property
    def win_rate(self) -> float | None:
        """won / (won + lost) over the last RESULTS_DAYS days; None when nothing was decided."""
        decided = self.won + self.lost
        return None if not decided else self.won / decided

    @property
    def active(self) -> int:
        return sum(figure.deals for figure in self.stages)

    @property
    def closing_count(self) -> int:
        return sum(figure.deals for figure in self.closing)

    def currencies(self) -> list[tuple[str, int, Decimal, Decimal]]:
        """(currency, deals, value, weighted) of the active deals, the largest value first."""
        sums: dict[str, tuple[int, Decimal, Decimal]] = {}
        for figure in self.stages:
            deals, value, weighted = sums.get(figure.currency, (0, Decimal(0), Decimal(0)))
            sums[figure.currency] = (
                deals + figure.deals,
                value + figure.value,
                weighted + figure.weighted,
            )
        ranked = sorted(sums.items(), key=lambda item: (-item[1][1], item[0]))
        return [(currency, *figures) for currency, figures in ranked]

    def steps_of(self, currency: str) -> list[StageFigure]:
        """The chart of one currency: every step in order, empty ones at zero."""
        found = {f.step: f for f in self.stages if f.currency == currency}
        return [found.get(step, StageFigure(currency, step, 0, Decimal(0))) for step in STEPS]


@dataclass(frozen=True)
class _Deals:
    """The visible deals as columns to aggregate: from `deal_list` or from the referrals."""

    source: Any  # the FROM clause
    timed: Any  # … joined to the referrals' timestamps
    visible: list[ColumnElement[bool]]
    params: dict[str, Any]
    id: Any
    name: Any
    customer: Any
    status: Any
    stage: Any
    currency: Any
    value_cents: Any
    close_date: Any
    direction: Any
    deadline: Any


def _deals(session: Session, viewer: User) -> _Deals:
    if lists.reads_index(session):
        d = lists.deal_list.c
        kind = Viewer.of(viewer.role, viewer.scope_location_id)
        return _Deals(
            lists.deal_list,
            lists.deal_list.join(ReferralRow, ReferralRow.id == d.deal_id),
            lists.visible(kind),
            lists.viewer_params(viewer),
            d.deal_id,
            d.name,
            d.customer,
            d.status,
            d.stage,
            d.currency,
            d.value_cents,
            d.close_date,
            d.direction,
            d.response_deadline,
        )
    r = ReferralRow
    joined = ReferralRow.__table__.join(EngagementRow, EngagementRow.id == r.engagement_id).join(
        CompanyRow, CompanyRow.id == EngagementRow.company_id
    )
    return _Deals(
        joined,
        joined,
        [visible_to(viewer)],
        {},
        r.id,
        r.name,
        CompanyRow.name,
        r.status,
        r.stage,
        r.currency,
        r.value_cents,
        r.close_date,
        r.direction,
        r.response_deadline,
    )


def _days_between(session: Session, start: Any, end: Any) -> Any:
    if session.get_bind().dialect.name == "sqlite":
        return func.julianday(end) - func.julianday(start)
    return func.extract("epoch", end - start) / 86400


def pipeline(session: Session, viewer: User, now: datetime) -> Pipeline:
    """The figures of the Pipeline tab for what `viewer` may see (R-ACL-1), at `now`."""
    deals = _deals(session, viewer)
    params = deals.params
    active = deals.status.in_(_ACTIVE)

    def run(statement: Any) -> Any:
        return session.execute(statement, params)

    # active deals by step and currency (a received deal sits on its own step)
    groups = run(
        select(
            deals.currency,
            deals.status,
            deals.stage,
            func.count(),
            func.sum(deals.value_cents),
        )
        .select_from(deals.source)
        .where(*deals.visible, active)
        .group_by(deals.currency, deals.status, deals.stage)
    )
    sums: dict[tuple[str, str], list[int]] = {}
    for currency, status, stage, count, cents in groups:
        key = (currency, RECEIVED if status == Status.RECEIVED.value else stage)
        sums.setdefault(key, [0, 0])
        sums[key][0] += int(count)
        sums[key][1] += int(cents or 0)
    stages = tuple(
        StageFigure(currency, step_name, count, from_cents(cents))
        for (currency, step_name), (count, cents) in sorted(
            sums.items(), key=lambda item: (item[0][0], STEPS.index(item[0][1]))
        )
        if step_name in PERCENT
    )

    # won and lost in the last RESULTS_DAYS days, by the day they closed
    since = now - timedelta(days=RESULTS_DAYS)
    decided = run(
        select(deals.status, func.count())
        .select_from(deals.timed)
        .where(*deals.visible, deals.status.in_(_DECIDED), ReferralRow.closed_at > since)
        .group_by(deals.status)
    )
    outcome = {status: int(count) for status, count in decided}

    # inbound deals answered (accepted or declined) in the last RESULTS_DAYS days
    answered, days = run(
        select(
            func.count(),
            func.avg(_days_between(session, ReferralRow.received_at, ReferralRow.responded_at)),
        )
        .select_from(deals.timed)
        .where(
            *deals.visible,
            deals.direction == Direction.INBOUND.value,
            deals.status.in_(_ANSWERED),
            ReferralRow.received_at.is_not(None),
            ReferralRow.responded_at > since,
        )
    ).one()

    # active deals closing from today to today + CLOSING_DAYS
    today = now.date()
    closing_where = and_(
        active, deals.close_date.between(today, today + timedelta(days=CLOSING_DAYS))
    )
    closing = run(
        select(deals.currency, func.count(), func.sum(deals.value_cents))
        .select_from(deals.source)
        .where(*deals.visible, closing_where)
        .group_by(deals.currency)
        .order_by(func.sum(deals.value_cents).desc(), deals.currency)
    )
    closing_figures = tuple(
        CurrencyFigure(currency, int(count), from_cents(int(cents or 0)))
        for currency, count, cents in closing
    )
    named = [
        deals.id,
        deals.name,
        deals.customer,
        deals.value_cents,
        deals.currency,
        deals.close_date,
        deals.deadline,
    ]
    closing_deals = run(
        select(*named)
        .select_from(deals.source)
        .where(*deals.visible, closing_where)
        .order_by(deals.close_date, deals.id)
        .limit(NAMED)
    )

    # received deals whose response deadline is near (R-NOTE-4's reminder)
    expiring_where = and_(
        deals.status == Status.RECEIVED.value,
        deals.direction == Direction.INBOUND.value,
        deals.deadline > now,
        deals.deadline <= now + REMINDER_BEFORE,
    )
    expiring = run(
        select(func.count()).select_from(deals.source).where(*deals.visible, expiring_where)
    ).scalar_one()
    expiring_deals = run(
        select(*named)
        .select_from(deals.source)
        .where(*deals.visible, expiring_where)
        .order_by(deals.deadline, deals.id)
        .limit(NAMED)
    )
    return Pipeline(
        now=now,
        stages=stages,
        won=outcome.get(Status.WON.value, 0),
        lost=outcome.get(Status.LOST.value, 0),
        answered=int(answered or 0),
        answer_days=None if days is None else float(days),
        closing=closing_figures,
        closing_deals=tuple(_named(row) for row in closing_deals),
        expiring=int(expiring or 0),
        expiring_deals=tuple(_named(row) for row in expiring_deals),
    )


def _named(row: Any) -> NamedDeal:
    return NamedDeal(
        id=row[0],
        name=row[1],
        customer=row[2],
        value=from_cents(int(row[3])),
        currency=row[4],
        close_date=row[5],
        response_deadline=row[6],
    )
