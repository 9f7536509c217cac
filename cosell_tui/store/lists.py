"""The deal lists of the main screen (R-UI-1): filtered, sorted and paged in SQL.

A list never loads every row: the widget asks for the count, then for the pages it shows.

On SQLite the lists read `deal_list` (migration 0005): one row per referral holding what a list
shows, sorts and filters on — its customer's name and deal type too — kept current by triggers.
It is clustered by (organization, direction, status), so a tab's rows sit together and a filter
reads that range and no other table; each common sort has an index, so a page is a merge of one
ordered range per status that stops after the page; `deal_list_totals`, kept by triggers too,
holds the count and value per status, deal type, currency and stage, so an unfiltered count or
total reads a few dozen rows whatever the size. Where the index is missing (PostgreSQL, a later
issue) the same lists come from the referrals with joins (the `_reference_*` functions, which
the tests compare with it, row for row).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Date,
    Integer,
    LargeBinary,
    MetaData,
    Select,
    String,
    Table,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from cosell_tui.domain.enums import (
    ACTIVE_STATUSES,
    TERMINAL_STATUSES,
    DealType,
    Direction,
    Status,
)
from cosell_tui.domain.lifecycle import STAGE_PERCENT
from cosell_tui.domain.listing import DealQuery, Show, SortKey, Tab, Viewer
from cosell_tui.domain.models import DealRow, User, ValueTotal
from cosell_tui.store.queries import contains_pattern, folded, from_cents, visible_to
from cosell_tui.store.schema import (
    CompanyRow,
    EngagementRow,
    FavoriteRow,
    ReferralRow,
    TeamMemberRow,
    UTCDateTime,
)

_STATUSES = {
    Show.ACTIVE: sorted(ACTIVE_STATUSES),
    Show.CLOSED: sorted(TERMINAL_STATUSES),
    Show.ALL: list(Status),
}

_STAGE_PERCENT = case(
    *((ReferralRow.stage == stage.value, percent) for stage, percent in STAGE_PERCENT.items()),
    else_=0,
)
_PERCENT_OF = {stage.value: percent for stage, percent in STAGE_PERCENT.items()}
_FAR_FUTURE = datetime(9999, 1, 1)
_FAR_FUTURE_SQL = "'9999-01-01 00:00:00.000000'"  # _FAR_FUTURE as SQLAlchemy stores it


# --- the list index (SQLite) -----------------------------------------------------------------

LIST_TABLE = "deal_list"
TOTALS_TABLE = "deal_list_totals"
INSERT_TRIGGER = "deal_list_referral_insert"

# `deal_id`, not `referral_id`: like the search index, this is an index, not a referral's own
# data, so R-STORE-1 does not freeze it (a customer renamed later shows its new name). `urgency`
# and `name_key` are the Urgency and Deal sort keys, stored so that their indexes cover a page.
deal_list = Table(
    LIST_TABLE,
    MetaData(),
    Column("deal_id", String(36), primary_key=True),
    Column("organization_id", Integer),
    Column("direction", String(8)),
    Column("status", String(10)),
    Column("location_id", Integer),
    Column("name", String(200)),
    Column("name_key", String(200)),
    Column("customer", String(200)),
    Column("deal_type", String(24)),
    Column("stage", String(12)),
    Column("value_cents", BigInteger),
    Column("currency", String(3)),
    Column("close_date", Date),
    Column("created_at", UTCDateTime),
    Column("response_deadline", UTCDateTime),
    Column("urgency", String),
)
deal_list_totals = Table(
    TOTALS_TABLE,
    MetaData(),
    Column("organization_id", Integer),
    Column("direction", String(8)),
    Column("status", String(10)),
    Column("deal_type", String(24)),
    Column("currency", String(3)),
    Column("stage", String(12)),
    Column("deals", Integer),
    Column("value_cents", BigInteger),
)

_COLUMNS = (
    "deal_id, organization_id, direction, status, location_id, name, name_key, customer, "
    "deal_type, stage, value_cents, currency, close_date, created_at, response_deadline, urgency"
)


def _copy_of(r: str) -> str:
    """The SELECT list that copies referral `r` (its engagement e, its company c) into a row."""
    return (
        f"{r}.id, {r}.organization_id, {r}.direction, {r}.status, {r}.location_id, {r}.name, "
        f"lower({r}.name), c.name, e.deal_type, {r}.stage, {r}.value_cents, {r}.currency, "
        f"{r}.close_date, {r}.created_at, {r}.response_deadline, "
        f"CASE WHEN {r}.status = 'received' THEN {r}.response_deadline "
        f"ELSE {_FAR_FUTURE_SQL} END"
    )


def _copy_new(gone: str) -> str:
    """Trigger statements: the rows of the deals `gone` out, the new referral's row in. (Not
    INSERT OR REPLACE: that would drop a row without its delete trigger, and the totals would
    drift.)"""
    return (
        f"DELETE FROM {LIST_TABLE} WHERE deal_id IN ({gone}); "
        f"INSERT INTO {LIST_TABLE} ({_COLUMNS}) SELECT {_copy_of('new')} FROM engagements e "
        "JOIN companies c ON c.id = e.company_id WHERE e.id = new.engagement_id;"
    )


_GROUP = "organization_id, direction, status, deal_type, currency, stage"


def _count_in(row: str) -> str:
    return (
        f"INSERT INTO {TOTALS_TABLE} ({_GROUP}, deals, value_cents) VALUES ({row}.organization_id, "
        f"{row}.direction, {row}.status, {row}.deal_type, {row}.currency, {row}.stage, 1, "
        f"{row}.value_cents) ON CONFLICT ({_GROUP}) DO UPDATE SET deals = deals + 1, "
        "value_cents = value_cents + excluded.value_cents;"
    )


def _count_out(row: str) -> str:
    group = " AND ".join(f"{column} = {row}.{column}" for column in _GROUP.split(", "))
    return (
        f"UPDATE {TOTALS_TABLE} SET deals = deals - 1, value_cents = value_cents - "
        f"{row}.value_cents WHERE {group};"
    )


# A referral without its engagement or company is in no list (the lists join them), so it has
# no row either. Plain SQL only, so the triggers work from the sqlite3 shell too.
_TRIGGERS = {
    INSERT_TRIGGER: f"AFTER INSERT ON referrals BEGIN {_copy_new('new.id')} END",
    "deal_list_referral_update": (
        "AFTER UPDATE OF id, engagement_id, organization_id, location_id, name, value_cents, "
        "currency, close_date, direction, status, stage, created_at, response_deadline "
        f"ON referrals BEGIN {_copy_new('old.id, new.id')} END"
    ),
    "deal_list_referral_delete": (
        f"AFTER DELETE ON referrals BEGIN DELETE FROM {LIST_TABLE} WHERE deal_id = old.id; END"
    ),
    "deal_list_engagement_update": (
        "AFTER UPDATE OF deal_type, company_id ON engagements BEGIN "
        f"UPDATE {LIST_TABLE} SET deal_type = new.deal_type, "
        "customer = (SELECT name FROM companies WHERE id = new.company_id) "
        "WHERE deal_id IN (SELECT id FROM referrals WHERE engagement_id = new.id); END"
    ),
    "deal_list_company_rename": (
        "AFTER UPDATE OF name ON companies WHEN new.name IS NOT old.name BEGIN "
        f"UPDATE {LIST_TABLE} SET customer = new.name WHERE deal_id IN ("
        "SELECT r.id FROM engagements e JOIN referrals r ON r.engagement_id = e.id "
        "WHERE e.company_id = new.id); END"
    ),
    # the totals follow the rows
    "deal_list_totals_insert": f"AFTER INSERT ON {LIST_TABLE} BEGIN {_count_in('new')} END",
    "deal_list_totals_delete": f"AFTER DELETE ON {LIST_TABLE} BEGIN {_count_out('old')} END",
    "deal_list_totals_update": (
        f"AFTER UPDATE OF {_GROUP}, value_cents ON {LIST_TABLE} "
        f"BEGIN {_count_out('old')} {_count_in('new')} END"
    ),
}

# Each tab's rows are one range of the table (its primary key). A sort's index ends with the
# deal's id (the last sort key) and its deal type (what a seller may not see), so it covers
# the page's first step for every viewer.
_RANGE = "organization_id, direction, status"
_INDEXES = {
    "deal_list_id": f"UNIQUE INDEX deal_list_id ON {LIST_TABLE} (deal_id)",
    **{
        f"deal_list_{name}": (
            f"INDEX deal_list_{name} ON {LIST_TABLE} ({_RANGE}, {keys}, deal_id, deal_type)"
        )
        for name, keys in (
            ("urgency", "urgency, close_date"),  # Inbound's
            ("close", "close_date"),  # Outbound's
            ("name", "name_key"),  # Favorites'
            ("created", "created_at"),
            ("value", "currency, value_cents"),
        )
    },
}
LIST_OBJECTS = frozenset({LIST_TABLE, TOTALS_TABLE, *_TRIGGERS, *_INDEXES})


def _trigger(name: str) -> str:
    return f"CREATE TRIGGER IF NOT EXISTS {name} {_TRIGGERS[name]}"


def sqlite_list_ddl() -> list[str]:
    """The tables, filled from the referrals there are, their indexes and their triggers."""
    return [
        f"CREATE TABLE {LIST_TABLE} ("
        "deal_id VARCHAR(36) NOT NULL, organization_id INTEGER NOT NULL, "
        "direction VARCHAR(8) NOT NULL, status VARCHAR(10) NOT NULL, location_id INTEGER, "
        "name VARCHAR(200), name_key VARCHAR(200), customer VARCHAR(200), "
        "deal_type VARCHAR(24), stage VARCHAR(12), value_cents BIGINT, currency VARCHAR(3), "
        "close_date DATE, created_at DATETIME, response_deadline DATETIME, urgency DATETIME, "
        f"PRIMARY KEY ({_RANGE}, deal_id)) WITHOUT ROWID",
        f"CREATE TABLE {TOTALS_TABLE} ("
        "organization_id INTEGER NOT NULL, direction VARCHAR(8) NOT NULL, "
        "status VARCHAR(10) NOT NULL, deal_type VARCHAR(24) NOT NULL, "
        "currency VARCHAR(3) NOT NULL, stage VARCHAR(12) NOT NULL, "
        "deals INTEGER NOT NULL, value_cents BIGINT NOT NULL, "
        f"PRIMARY KEY ({_GROUP})) WITHOUT ROWID",
        sqlite_list_fill(missing_only=False),  # quicker before the indexes than through them
        f"INSERT INTO {TOTALS_TABLE} ({_GROUP}, deals, value_cents) "
        f"SELECT {_GROUP}, count(*), sum(value_cents) FROM {LIST_TABLE} GROUP BY {_GROUP}",
        *(f"CREATE {index}" for index in _INDEXES.values()),
        *(_trigger(name) for name in _TRIGGERS),
    ]


def sqlite_list_fill(*, missing_only: bool) -> str:
    """Copy every referral (or only those without a row) in one statement."""
    missing = (
        f" WHERE NOT EXISTS (SELECT 1 FROM {LIST_TABLE} d WHERE d.deal_id = r.id)"
        if missing_only
        else ""
    )
    return (
        f"INSERT INTO {LIST_TABLE} ({_COLUMNS}) SELECT {_copy_of('r')} FROM referrals r "
        f"JOIN engagements e ON e.id = r.engagement_id JOIN companies c ON c.id = e.company_id"
        f"{missing}"
    )


def sqlite_list_drop() -> list[str]:
    """The triggers and tables (with their indexes and their own triggers)."""
    return [
        *(f"DROP TRIGGER IF EXISTS {name}" for name in _TRIGGERS),
        f"DROP TABLE IF EXISTS {TOTALS_TABLE}",
        f"DROP TABLE IF EXISTS {LIST_TABLE}",
    ]


def list_repairs(present: Iterable[str]) -> list[str]:
    """What makes the list index whole again, given the names in the schema (nothing when all
    of it is there, the usual case; `search.heal` runs it on every open)."""
    have = set(present) & LIST_OBJECTS
    if have == LIST_OBJECTS:
        return []
    if have | {INSERT_TRIGGER} == LIST_OBJECTS:  # only new deals may be missing
        return [sqlite_list_fill(missing_only=True), _trigger(INSERT_TRIGGER)]
    return rebuild()  # anything may be stale (a bulk load killed halfway, say): afresh


def rebuild() -> list[str]:
    return [*sqlite_list_drop(), *sqlite_list_ddl()]


# A bulk load (the demo's deals) leaves the list index as it is while it runs, then builds it
# afresh in one transaction: three times quicker than through its indexes and triggers row by
# row. Meanwhile the lists show what was there before.
_FOLLOWING_THE_TABLES = [name for name in _TRIGGERS if not name.startswith("deal_list_totals")]


def bulk_load_started() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {name}" for name in _FOLLOWING_THE_TABLES]


def bulk_load_ended() -> list[str]:
    return rebuild()


def has_list_index(connection: Connection) -> bool:
    """Whether the lists can read `deal_list` here (else they join the referrals)."""
    if connection.dialect.name != "sqlite":
        return False
    found = connection.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (LIST_TABLE,)
    )
    return found.first() is not None


def reads_index(session: Session) -> bool:
    """Whether this session reads the lists from `deal_list` (`has_list_index`, remembered)."""
    # Asked once per pooled connection: every open makes the index whole (`search.heal`)
    # before the first list is read, and nothing drops it while the app runs.
    connection = session.connection()
    known = connection.info.get(LIST_TABLE)
    if known is None:
        known = connection.info[LIST_TABLE] = has_list_index(connection)
    return bool(known)


# --- the lists ---------------------------------------------------------------------------------


def count(session: Session, viewer: User, query: DealQuery) -> int:
    """How many rows the list has (unfiltered: from `deal_list_totals`, whatever the size)."""
    if not reads_index(session):
        return _reference_count(session, viewer, query)
    shape = _Shape.of(viewer, query)
    if shape.counted:
        return _summed(session, shape, _params(viewer, query))[0]
    return int(session.scalar(_count(shape), _params(viewer, query)) or 0)


def page(
    session: Session, viewer: User, query: DealQuery, offset: int, limit: int
) -> list[DealRow]:
    """Rows offset … offset+limit of the list, as the table shows them."""
    if not reads_index(session):
        return _reference_page(session, viewer, query, offset, limit)
    shape = _Shape.of(viewer, query)
    params = _params(viewer, query) | {"offset": offset, "limit": limit}
    if shape.counted and offset > 0:
        # Past the middle, the list read backwards reaches the page sooner.
        total = _summed(session, shape, params)[0]
        if offset >= total:
            return []
        if offset + limit / 2 > total / 2:
            rows = min(limit, total - offset)
            params |= {"offset": total - offset - rows, "limit": rows}
            found = session.execute(_page(replace(shape, backwards=True)), params)
            return [_deal_row(row) for row in reversed(found.all())]
    return [_deal_row(row) for row in session.execute(_page(shape), params)]


def position(session: Session, viewer: User, query: DealQuery, referral_id: str) -> int | None:
    """Where a deal sits in the list (to keep the cursor on it after a reload), or None."""
    if not reads_index(session):
        return _reference_position(session, viewer, query, referral_id)
    shape = _Shape.of(viewer, query)
    params = _params(viewer, query) | {"target": referral_id}
    if session.scalar(_member(shape), params) is None:
        return None
    return int(session.scalar(_before(shape), params) or 0)


def totals(session: Session, viewer: User, query: DealQuery) -> list[ValueTotal]:
    """The list's value and weighted value (value × stage %) per currency (R-UI-1)."""
    return summary(session, viewer, query)[1]


def summary(session: Session, viewer: User, query: DealQuery) -> tuple[int, list[ValueTotal]]:
    """The list's count and `totals`, in one pass over it (a filter keystroke needs both)."""
    if not reads_index(session):
        return (
            _reference_count(session, viewer, query),
            _reference_totals(session, viewer, query),
        )
    shape = _Shape.of(viewer, query)
    params = _params(viewer, query)
    if shape.counted:
        return _summed(session, shape, params)
    return _totalled(session.execute(_summary(shape), params))


def _summed(
    session: Session, shape: _Shape, params: dict[str, Any]
) -> tuple[int, list[ValueTotal]]:
    return _totalled(session.execute(_totals(shape), params))


def _totalled(groups: Iterable[Any]) -> tuple[int, list[ValueTotal]]:
    """Count and totals from (currency, stage, deals, cents) groups: the weights in Python."""
    rows = 0
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for currency, stage, deals, cents in groups:
        if not deals:
            continue  # a group whose last deal went (its row stays, at zero)
        rows += deals
        sums[currency][0] += int(cents)
        sums[currency][1] += int(cents) * _PERCENT_OF.get(stage, 0)
    ranked = sorted(sums.items(), key=lambda item: (-item[1][0], item[0]))
    return rows, [
        ValueTotal(
            currency=currency,
            total=from_cents(total),
            weighted=(Decimal(weighted) / 10000).quantize(Decimal("0.01")),
        )
        for currency, (total, weighted) in ranked
    ]


# --- reading deal_list -------------------------------------------------------------------------
#
# A list's statements depend on its shape only (tab, view, sort, the kind of viewer, whether it
# filters); the viewer and the filter are parameters, so each shape's statements are built once.


@dataclass(frozen=True)
class _Shape:
    viewer: Viewer
    tab: Tab
    show: Show
    sort: SortKey
    descending: bool
    filtered: bool
    backwards: bool = False  # the list's order reversed (ids too)

    @classmethod
    def of(cls, viewer: User, query: DealQuery) -> _Shape:
        return cls(
            Viewer.of(viewer.role, viewer.scope_location_id),
            query.tab,
            query.show,
            query.sort,
            query.descending,
            bool(query.search.strip()),
        )

    @property
    def driven(self) -> bool:
        """Lists of a few chosen deals — favorites, a referral user's teams — start from them."""
        return self.tab is Tab.FAVORITES or self.viewer in (Viewer.TEAM, Viewer.TEAM_SCOPED)

    @property
    def counted(self) -> bool:
        """Whether `deal_list_totals` holds the list's count and totals."""
        return not (self.driven or self.filtered)


def viewer_params(viewer: User) -> dict[str, Any]:
    """The parameters of `visible` (and of a favorites list)."""
    return {
        "organization": viewer.organization_id,
        "user": viewer.id,
        "email": viewer.email,
        "scope": viewer.scope_location_id,
    }


def _params(viewer: User, query: DealQuery) -> dict[str, Any]:
    return viewer_params(viewer) | {"pattern": contains_pattern(query.search)}


_ORGANIZATION = ORGANIZATION = bindparam("organization", type_=Integer)
_USER = bindparam("user", type_=Integer)
_EMAIL = bindparam("email", type_=String)
_SCOPE = bindparam("scope", type_=Integer)
_PATTERN = bindparam("pattern", type_=String)
_TARGET = bindparam("target", type_=String)


def visible(viewer: Viewer, organization: Any = None) -> list[ColumnElement[bool]]:
    """R-ACL-1 on `deal_list` (what `queries.visible_to` says of the referrals), for the
    parameters `organization`, `email` and `scope` (`viewer_params`)."""
    d = deal_list.c
    clauses: list[ColumnElement[bool]] = [
        (d.organization_id if organization is None else organization) == _ORGANIZATION
    ]
    if viewer is Viewer.SELLER:
        clauses.append(d.deal_type != DealType.PRIVATE.value)
    elif viewer is not Viewer.ADMIN:
        clauses.append(
            d.location_id == _SCOPE if viewer is Viewer.TEAM_SCOPED else d.location_id.is_not(None)
        )
        clauses.append(d.deal_id.in_(team_deals()))
    return clauses


def team_deals() -> Select[str]:
    """The deals whose team the user is on (parameters `email` and `organization`)."""
    return select(TeamMemberRow.referral_id).where(
        TeamMemberRow.email == _EMAIL, TeamMemberRow.organization_id == _ORGANIZATION
    )


def _where(shape: _Shape, status: Status | None = None) -> list[ColumnElement[bool]]:
    """What the user may see, the tab, the view (or one status of it) and the filter."""
    d = deal_list.c
    organization: Any = d.organization_id
    direction: Any = d.direction
    state: Any = d.status
    if shape.driven:
        # SQLite (without statistics, and SQLAlchemy without its index hints) would rather
        # scan the organization's range than look up the chosen ids: these terms, turned into
        # expressions, cannot lead it there.
        organization, direction, state = organization + 0, direction + "", state + ""
    clauses = visible(shape.viewer, organization)
    if status is None:
        clauses.append(state.in_([s.value for s in _STATUSES[shape.show]]))
    else:
        clauses.append(state == status.value)
    if shape.tab is Tab.INBOUND:
        clauses.append(direction == Direction.INBOUND.value)
    elif shape.tab is Tab.OUTBOUND:
        clauses.append(direction == Direction.OUTBOUND.value)
    else:
        favorites = select(FavoriteRow.referral_id).where(FavoriteRow.user_id == _USER)
        clauses.append(d.deal_id.in_(favorites))
    if shape.filtered:
        clauses.append(or_(_matches(d.name), _matches(d.customer)))
    return clauses


def _matches(column: Any) -> ColumnElement[bool]:
    """`folded(column) LIKE pattern`, without the Python function for ASCII text (most names):
    there SQLite's LIKE, which ignores ASCII case, gives the same answer. (A text is ASCII when
    its length in characters is its length in bytes.)"""
    ascii_only = func.length(column) == func.length(cast(column, LargeBinary))
    return case(
        (ascii_only, column.like(_PATTERN, escape="\\")),
        else_=folded(column).like(_PATTERN, escape="\\"),
    )


def ascii_folded(column: Any) -> Any:
    """`folded(column)`, the same text, but without the Python function for ASCII text: there
    SQLite's lower() folds alike."""
    ascii_only = func.length(column) == func.length(cast(column, LargeBinary))
    return case((ascii_only, func.lower(column)), else_=folded(column))


def _keys(sort: SortKey, table: Any = deal_list) -> list[Any]:
    """The sort key's columns, as `_reference_order` sorts (ties: the deal's id, ascending)."""
    d = table.c
    if sort is SortKey.URGENCY:
        return [d.urgency, d.close_date]
    if sort is SortKey.NAME:
        return [d.name_key]
    if sort is SortKey.CUSTOMER:
        return [func.lower(d.customer)]
    if sort is SortKey.TYPE:
        return [d.deal_type]
    if sort is SortKey.STATUS:
        return [d.status]
    if sort is SortKey.STAGE:
        stages = ((d.stage == stage, percent) for stage, percent in _PERCENT_OF.items())
        return [case(*stages, else_=0)]
    if sort is SortKey.VALUE:
        return [d.currency, d.value_cents]
    if sort is SortKey.CLOSE_DATE:
        return [d.close_date]
    return [d.created_at]


def _ordered(keys: list[Any], deal_id: Any, shape: _Shape) -> list[Any]:
    """ORDER BY the keys (descending if asked), then the id going up; all reversed if
    `backwards`."""
    keys_down = shape.descending != shape.backwards
    return [
        *(key.desc() if keys_down else key for key in keys),
        deal_id.desc() if shape.backwards else deal_id,
    ]


@cache
def _count(shape: _Shape) -> Select[int]:
    return select(func.count()).select_from(deal_list).where(*_where(shape))


@cache
def _summary(shape: _Shape) -> Select[str, str, int, int]:
    d = deal_list.c
    statement = select(d.currency, d.stage, func.count(), func.sum(d.value_cents))
    return statement.where(*_where(shape)).group_by(d.currency, d.stage)


@cache
def _totals(shape: _Shape) -> Select[str, str, int, int]:
    """The unfiltered list's groups, from `deal_list_totals`."""
    t = deal_list_totals.c
    clauses = [
        t.organization_id == _ORGANIZATION,
        t.direction
        == (Direction.INBOUND if shape.tab is Tab.INBOUND else Direction.OUTBOUND).value,
        t.status.in_([s.value for s in _STATUSES[shape.show]]),
    ]
    if shape.viewer is Viewer.SELLER:
        clauses.append(t.deal_type != DealType.PRIVATE.value)
    statement = select(t.currency, t.stage, func.sum(t.deals), func.sum(t.value_cents))
    return statement.where(*clauses).group_by(t.currency, t.stage)


@cache
def _page(shape: _Shape) -> Select[*tuple[Any, ...]]:
    """The page's rows, parameters `offset` and `limit`: their ids and sort keys first (from
    an index alone), then what the table shows of those."""
    d = deal_list.c
    keys = _keys(shape.sort)
    labelled = [d.deal_id.label("id"), *(key.label(f"k{i}") for i, key in enumerate(keys))]
    chosen: Any
    if shape.driven:  # a few rows: sort them
        chosen = select(*labelled).where(*_where(shape)).order_by(*_ordered(keys, d.deal_id, shape))
    else:  # one ordered index range per status, merged: SQLite reads offset + limit rows
        merged = union_all(
            *(select(*labelled).where(*_where(shape, status)) for status in _STATUSES[shape.show])
        )
        columns = merged.selected_columns
        merged_keys = [columns[f"k{i}"] for i in range(len(keys))]
        chosen = merged.order_by(*_ordered(merged_keys, columns.id, shape))
    offset, limit = bindparam("offset", type_=Integer), bindparam("limit", type_=Integer)
    rows = chosen.offset(offset).limit(limit).subquery("chosen")
    favorite = exists().where(FavoriteRow.referral_id == d.deal_id, FavoriteRow.user_id == _USER)
    row_keys = [rows.c[f"k{i}"] for i in range(len(keys))]
    return (
        select(
            d.deal_id,
            d.name,
            d.customer,
            d.deal_type,
            d.status,
            d.stage,
            d.value_cents,
            d.currency,
            d.close_date,
            d.direction,
            d.response_deadline,
            favorite,
        )
        .select_from(rows)
        .join(deal_list, d.deal_id == rows.c.id)
        .order_by(*_ordered(row_keys, rows.c.id, shape))
    )


def _deal_row(row: Any) -> DealRow:
    # pydantic turns the stored strings into the enums (quicker than calling them here)
    return DealRow(
        id=row[0],
        name=row[1],
        customer=row[2],
        deal_type=row[3],
        status=row[4],
        stage=row[5],
        value=from_cents(row[6]),
        currency=row[7],
        close_date=row[8],
        direction=row[9],
        response_deadline=row[10],
        favorite=row[11],
    )


@cache
def _member(shape: _Shape) -> Select[str]:
    d = deal_list.c
    return select(d.deal_id).where(d.deal_id == _TARGET, *_where(shape))


@cache
def _before(shape: _Shape) -> Select[int]:
    """How many rows of the list sort before the deal `target`: a sum of counts, each an
    index range (rows with a smaller first key; an equal first key and a smaller second; …;
    all keys equal and a smaller id), so it reads about as many rows as come before."""
    target = deal_list.alias("target")
    marks = [
        select(key).where(target.c.deal_id == _TARGET).scalar_subquery()
        for key in _keys(shape.sort, target)
    ]
    keys = _keys(shape.sort)
    d = deal_list.c
    parts: list[list[ColumnElement[bool]]] = []
    equal: list[ColumnElement[bool]] = []
    for key, mark in zip(keys, marks, strict=True):
        # SQLite's order: NULL first going up, last going down
        if shape.descending:
            parts += [[*equal, key > mark], [*equal, key.is_not(None), mark.is_(None)]]
        else:
            parts += [[*equal, key < mark], [*equal, key.is_(None), mark.is_not(None)]]
        equal.append(key.is_(mark))
    parts.append([*equal, d.deal_id < _TARGET])
    where = _where(shape)
    counts = [
        select(func.count()).select_from(deal_list).where(*where, *part).scalar_subquery()
        for part in parts
    ]
    total: Any = counts[0]
    for part_count in counts[1:]:
        total = total + part_count
    return select(total)


# --- the same lists joined from the referrals (PostgreSQL; the tests' reference) ---------------


def _reference_where(viewer: User, query: DealQuery) -> list[ColumnElement[bool]]:
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


def _reference_order(query: DealQuery) -> list[Any]:
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


def _reference_count(session: Session, viewer: User, query: DealQuery) -> int:
    statement = _joined(select(func.count()).select_from(ReferralRow)).where(
        *_reference_where(viewer, query)
    )
    return int(session.scalar(statement) or 0)


def _reference_page(
    session: Session, viewer: User, query: DealQuery, offset: int, limit: int
) -> list[DealRow]:
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
        .where(*_reference_where(viewer, query))
        .order_by(*_reference_order(query))
        .offset(offset)
        .limit(limit)
    )
    return [_deal_row(row) for row in session.execute(statement)]


def _reference_position(
    session: Session, viewer: User, query: DealQuery, referral_id: str
) -> int | None:
    ranked = (
        _joined(
            select(
                ReferralRow.id.label("rid"),
                func.row_number().over(order_by=_reference_order(query)).label("n"),
            )
        )
        .where(*_reference_where(viewer, query))
        .subquery()
    )
    found = session.scalar(select(ranked.c.n).where(ranked.c.rid == referral_id))
    return None if found is None else int(found) - 1


def _reference_totals(session: Session, viewer: User, query: DealQuery) -> list[ValueTotal]:
    statement = (
        _joined(
            select(
                ReferralRow.currency,
                func.sum(ReferralRow.value_cents),
                func.sum(ReferralRow.value_cents * _STAGE_PERCENT),
            )
        )
        .where(*_reference_where(viewer, query))
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


# --- the first page before SQLAlchemy ----------------------------------------------------------
#
# `cosell_tui.store.early` reads the list in view at launch with the stdlib's sqlite3, while
# SQLAlchemy, the models and the store still load (about a second, issue 6). It runs these very
# statements, compiled here and kept in `cosell_tui.store.early_sql` (tests check they match).

_RUNTIME = {"organization", "user", "email", "scope", "pattern", "offset", "limit"}


def _sqlite_text(statement: Any) -> tuple[str, dict[str, str | int]]:
    """A statement as SQLite text with named parameters, and the values it fixes itself."""
    from sqlalchemy.dialects import sqlite  # noqa: PLC0415

    compiled = statement.compile(dialect=sqlite.dialect(paramstyle="named"))
    expanded = compiled.construct_expanded_state(dict.fromkeys(_RUNTIME, 0))
    fixed: dict[str, str | int] = {}
    for name, given in expanded.parameters.items():
        if name in _RUNTIME:
            continue
        value = expanded.processors[name](given) if name in expanded.processors else given
        if isinstance(value, StrEnum):
            value = value.value
        if not isinstance(value, str | int):
            raise TypeError(f"{name}: {value!r} has no plain SQLite form here")
        fixed[name] = value
    return expanded.statement, fixed


def early_statements(
    default_sort: dict[Tab, SortKey],
) -> dict[str, tuple[str, dict[str, str | int]]]:
    """Each tab's first list (active deals, its default sort, no filter) for each kind of
    viewer: `viewer/tab/count` (from `deal_list_totals` when counted there: groups whose
    deals add up to the count) and `viewer/tab/page` (parameters offset and limit)."""
    statements: dict[str, tuple[str, dict[str, str | int]]] = {}
    for viewer in Viewer:
        for tab in Tab:
            shape = _Shape(viewer, tab, Show.ACTIVE, default_sort[tab], False, False)
            counting = _totals(shape) if shape.counted else _count(shape)
            statements[f"{viewer}/{tab}/count"] = _sqlite_text(counting)
            statements[f"{viewer}/{tab}/page"] = _sqlite_text(_page(shape))
    return statements


def early_sql_module() -> str:
    """The text of `cosell_tui/store/early_sql.py` (before `ruff format`)."""
    from pprint import pformat  # noqa: PLC0415

    from cosell_tui.domain.listing import DEFAULT_SORT  # noqa: PLC0415
    from cosell_tui.store.database import SCHEMA_HEAD  # noqa: PLC0415

    return (
        '"""What `cosell_tui.store.early` runs: generated by `python -m cosell_tui.store.lists`\n'
        "from `cosell_tui.store.lists` (tests/test_early.py checks it is current). Do not edit.\n"
        '"""\n\n'
        f"SCHEMA_HEAD = {SCHEMA_HEAD!r}\n"
        f"LIST_OBJECTS = {pformat(sorted(LIST_OBJECTS), width=96)}\n"
        "STATEMENTS: dict[str, tuple[str, dict[str, str | int]]] = "
        f"{pformat(early_statements(DEFAULT_SORT), width=96)}\n"
    )


if __name__ == "__main__":
    import subprocess
    import sys
    from pathlib import Path

    target = Path(__file__).with_name("early_sql.py")
    target.write_text(early_sql_module())
    subprocess.run([Path(sys.executable).with_name("ruff"), "format", "-q", target], check=True)
    sys.stdout.write(f"wrote {target}\n")
