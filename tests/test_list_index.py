"""The list index (issue 6, R-UI-1, R-Q-4): lists, totals and palette searches read from
`deal_list` give exactly what the plain queries over the referrals give.

Generated data (hypothesis) goes straight into the tables — every status, deal type, stage and
role, names with accents, case-folding oddities and LIKE wildcards, many ties in every sort
key — and each list is compared, row for row, with the `_reference_*` queries (which are also
what PostgreSQL will use). Then the triggers: after random changes the index equals a copy
made afresh; the index heals; a bulk load and the migration fill it. No timings here.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from cosell_tui.clock import FixedClock
from cosell_tui.domain.enums import DealType, Role, Stage, Status
from cosell_tui.domain.listing import DealQuery, Show, SortKey, Tab
from cosell_tui.domain.models import User
from cosell_tui.store import database, lists, queries, search
from cosell_tui.store.database import Database, open_database
from tests.conftest import TODAY

SETTINGS = settings(
    max_examples=12,  # each example builds a database: the suite has 10 minutes
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Names that fold in unusual ways (ß, ligatures, the Kelvin sign, dotted İ), accents, LIKE's
# wildcards and escape, duplicates in any case: the filter and the Deal sort must not care
# where the rows come from.
NAMES = [
    "Contact center AI",
    "contact CENTER ai",
    "Copilot rollout",
    "Élan 100%_done",
    "élan",
    "Straße",
    "STRASSE",
    "ﬁne tuning",
    "\u212aelvin",
    "İstanbul",
    "a_b\\c",
    "Zeta",
    "zeta",
    "Ünïcode ✓",
]
CUSTOMERS = ["Woodgrove Bank", "woodgrove bank", "École 42", "Straße AG", "Fourth Coffee", "ß"]
TERMS = ["c", "co", "con", "ZE", "é", "É", "ss", "ß", "fi", "k", "i", "%", "_", "\\", " ", "00%_"]
STAGES = list(Stage)
DAY = datetime(2026, 11, 1, tzinfo=UTC)


# --- a database to fill ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def empty_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("list-index") / "empty.db"
    open_database(path, clock=FixedClock.on(TODAY)).dispose()
    return path


BULK_DEAL = (
    "INSERT INTO engagements (id, company_id, contact_consent, created_by_organization_id, "
    "is_assessment, deal_type, created_at) SELECT :id || '-e', company_id, 0, "
    "created_by_organization_id, 0, deal_type, created_at FROM engagements LIMIT 1",
    "INSERT INTO referrals (id, engagement_id, organization_id, location_id, name, value_cents, "
    "currency, close_date, help_requested, direction, status, stage, created_at, version) "
    "SELECT :id, :id || '-e', organization_id, location_id, 'Bulk deal', 5, currency, "
    "close_date, 'none', 'outbound', 'accepted', 'created', created_at, 1 FROM referrals LIMIT 1",
)


@contextmanager
def fresh(template: Path) -> Iterator[Database]:
    """A private copy of the empty, migrated database."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "lists.db"
        shutil.copyfile(template, path)
        db = open_database(path, clock=FixedClock.on(TODAY))
        try:
            yield db
        finally:
            db.dispose()


@dataclass(frozen=True)
class Deal:
    engagement: int
    organization: int
    name: int
    direction: str
    status: Status
    stage: Stage
    value: int
    currency: str
    close: int
    created: int
    deadline: int | None


@dataclass(frozen=True)
class World:
    companies: list[int]  # index into CUSTOMERS, one per engagement's company
    engagements: list[tuple[int, DealType]]  # company, type
    deals: list[Deal]
    team: list[tuple[int, int]]  # deal, user
    favorites: list[tuple[int, int]]  # user, deal


ORGANIZATIONS = 3  # 1 is the vendor
# (organization, role, scope: None, or the first or second location of the organization)
USERS = [
    (1, Role.SELLER, None),
    (1, Role.SELLER, 0),
    (1, Role.PARTNER_ADMIN, None),
    (2, Role.PARTNER_ADMIN, None),
    (2, Role.REFERRAL_ADMIN, 1),
    (2, Role.REFERRAL_USER, 0),
    (2, Role.REFERRAL_USER, None),
    (3, Role.REFERRAL_USER, 1),
    (2, Role.SELLER, None),
]


@st.composite
def worlds(draw: st.DrawFn) -> World:
    companies = draw(st.lists(st.integers(0, len(CUSTOMERS) - 1), min_size=1, max_size=4))
    engagements = draw(
        st.lists(
            st.tuples(st.integers(0, len(companies) - 1), st.sampled_from(list(DealType))),
            min_size=1,
            max_size=12,
        )
    )
    deal = st.builds(
        Deal,
        engagement=st.integers(0, len(engagements) - 1),
        organization=st.integers(1, ORGANIZATIONS),
        name=st.integers(0, len(NAMES) - 1),
        direction=st.sampled_from(["inbound", "outbound"]),
        status=st.sampled_from(list(Status)),
        stage=st.sampled_from(STAGES),
        value=st.sampled_from([1, 250, 250, 99_999, 10**12]),
        currency=st.sampled_from(["EUR", "USD", "GBP"]),
        close=st.integers(0, 4),  # few days: ties
        created=st.integers(0, 3),
        deadline=st.none() | st.integers(0, 3),
    )
    deals = draw(st.lists(deal, max_size=30, unique_by=lambda d: (d.engagement, d.organization)))
    pairs = st.tuples(st.integers(0, max(len(deals) - 1, 0)), st.integers(0, len(USERS) - 1))
    team = draw(st.lists(pairs, max_size=20)) if deals else []
    favorites = draw(st.lists(pairs, max_size=12, unique=True)) if deals else []
    return World(companies, engagements, deals, team, [(u, d) for d, u in favorites])


def deal_id(n: int) -> str:
    return f"00000000-0000-0000-0000-{n:012d}"


def stamp(days: int) -> str:
    return (DAY + timedelta(days=days, hours=days % 2)).strftime("%Y-%m-%d %H:%M:%S.%f")


def fill(db: Database, world: World) -> list[User]:
    """The world in the tables, in plain SQL; the demo users it holds."""
    rows: list[tuple[str, dict[str, object]]] = []
    for org in range(1, ORGANIZATIONS + 1):
        rows.append(
            (
                "INSERT INTO organizations (id, name, is_vendor, co_sell_ready, in_ecosystem, "
                "vetted_for_assessments) VALUES (:id, :name, :vendor, 1, 1, 1)",
                {"id": org, "name": f"Org {org}", "vendor": org == 1},
            )
        )
        for place in range(2):
            rows.append(
                (
                    "INSERT INTO locations (id, organization_id, city, country) "
                    "VALUES (:id, :org, 'City', 'US')",
                    {"id": org * 10 + place, "org": org},
                )
            )
    for n, (org, role, scope) in enumerate(USERS):
        rows.append(
            (
                "INSERT INTO users (id, organization_id, first_name, last_name, email, phone, "
                "role, scope_location_id, email_notifications) VALUES (:id, :org, 'U', :last, "
                ":email, '1', :role, :scope, 0)",
                {
                    "id": n + 1,
                    "org": org,
                    "last": str(n),
                    "email": f"user{n}@example.com",
                    "role": role.value,
                    "scope": None if scope is None else org * 10 + scope,
                },
            )
        )
    for n, customer in enumerate(world.companies):
        rows.append(
            (
                "INSERT INTO companies (id, name, address_line, city, country) "
                "VALUES (:id, :name, 'Street', 'City', 'US')",
                {"id": n + 1, "name": CUSTOMERS[customer]},
            )
        )
    for n, (company, deal_type) in enumerate(world.engagements):
        rows.append(
            (
                "INSERT INTO engagements (id, company_id, contact_consent, "
                "created_by_organization_id, is_assessment, deal_type, created_at) "
                "VALUES (:id, :company, 0, 1, 0, :type, :at)",
                {"id": f"e{n}", "company": company + 1, "type": deal_type.value, "at": stamp(0)},
            )
        )
    for n, deal in enumerate(world.deals):
        rows.append(
            (
                "INSERT INTO referrals (id, engagement_id, organization_id, location_id, name, "
                "value_cents, currency, close_date, help_requested, direction, status, stage, "
                "created_at, response_deadline, version) VALUES (:id, :engagement, :org, "
                ":location, :name, :value, :currency, :close, 'none', :direction, 'accepted', "
                ":stage, :created, :deadline, 1)",
                {
                    "id": deal_id(n),
                    "engagement": f"e{deal.engagement}",
                    "org": deal.organization,
                    "location": deal.organization * 10 + n % 2,
                    "name": NAMES[deal.name],
                    "value": deal.value,
                    "currency": deal.currency,
                    "close": (TODAY + timedelta(days=deal.close)).isoformat(),
                    "direction": deal.direction,
                    "stage": deal.stage.value,
                    "created": stamp(deal.created),
                    "deadline": None if deal.deadline is None else stamp(deal.deadline),
                },
            )
        )
    for n, (deal, user) in enumerate(world.team):  # before the deals close (R-STORE-1)
        org, _, _ = USERS[user]
        rows.append(
            (
                "INSERT INTO team_members (id, referral_id, organization_id, first_name, "
                "last_name, phone, email) VALUES (:id, :deal, :org, 'T', 'M', '1', :email)",
                {
                    "id": n + 1,
                    "deal": deal_id(deal),
                    "org": org,
                    "email": f"user{user}@example.com",
                },
            )
        )
    for n, deal in enumerate(world.deals):
        rows.append(
            (
                "UPDATE referrals SET status = :status WHERE id = :id",
                {"status": deal.status.value, "id": deal_id(n)},
            )
        )
    for user, deal in world.favorites:
        rows.append(
            (
                "INSERT INTO favorites (user_id, referral_id, created_at) "
                "VALUES (:user, :deal, :at)",
                {"user": user + 1, "deal": deal_id(deal), "at": stamp(0)},
            )
        )
    with db.transaction() as session:
        for statement, params in rows:
            session.execute(text(statement), params)
    with db.reading() as session:
        return queries.users(session)


# --- the same lists, both ways ----------------------------------------------------------------

queries_ = st.builds(
    DealQuery,
    tab=st.sampled_from(list(Tab)),
    show=st.sampled_from(list(Show)),
    search=st.sampled_from(["", "", *TERMS]),
    sort=st.sampled_from(list(SortKey)),
    descending=st.booleans(),
)


def check_list(db: Database, user: User, query: DealQuery) -> None:
    where = f"{user.email} {user.role} {query}"
    with db.reading() as session:
        assert lists.reads_index(session)
        expected = lists._reference_page(session, user, query, 0, 1000)
        total = lists._reference_count(session, user, query)
        expected_totals = lists._reference_totals(session, user, query)
        assert total == len(expected)
        assert lists.count(session, user, query) == total, where
        assert lists.page(session, user, query, 0, 1000) == expected, where
        for start, limit in ((0, 3), (1, 2), (total // 2, 3), (total - 2, 5), (total + 1, 3)):
            offset = max(start, 0)
            window = expected[offset : offset + limit]
            assert lists.page(session, user, query, offset, limit) == window, (where, offset)
        step = max(len(expected) // 12, 1)  # every row of a short list, a dozen of a long one
        for at in [*range(0, len(expected), step), len(expected) - 1][: 13 if expected else 0]:
            assert lists.position(session, user, query, expected[at].id) == at, (where, at)
        assert lists.position(session, user, query, "not-a-deal") is None
        # totals: the same sums per currency; the order only where the totals differ
        got = lists.totals(session, user, query)
        by_currency = sorted(expected_totals, key=lambda t: t.currency)
        assert sorted(got, key=lambda t: t.currency) == by_currency, where
        assert [t.total for t in got] == sorted((t.total for t in got), reverse=True)
        assert lists.summary(session, user, query) == (total, got)


@pytest.mark.long
@SETTINGS
@given(world=worlds(), picks=st.lists(st.tuples(st.integers(0, 99), queries_), min_size=6))
def test_lists_from_the_index_are_the_lists_from_the_referrals(
    empty_template: Path, world: World, picks: list[tuple[int, DealQuery]]
) -> None:
    with fresh(empty_template) as db:
        users = fill(db, world)
        for pick, query in picks[:12]:
            check_list(db, users[pick % len(users)], query)


@pytest.mark.long
def test_every_list_of_the_demo_is_the_same_both_ways(
    demo_db: Database, people: dict[str, User]
) -> None:
    for user in people.values():
        every_sort = user.first_name in ("Dana", "Megan", "Marco")
        for tab in Tab:
            for show in Show:
                for sort in SortKey if every_sort else [SortKey.URGENCY, SortKey.NAME]:
                    query = DealQuery(
                        tab=tab, show=show, sort=sort, descending=sort is SortKey.VALUE
                    )
                    check_list(demo_db, user, query)
        check_list(demo_db, user, DealQuery(tab=Tab.INBOUND, search="co", sort=SortKey.URGENCY))


@SETTINGS
@given(
    world=worlds(),
    typed=st.lists(st.sampled_from([*TERMS, "wood", "woodgrve", "ÉC", "straße", "zeta cen"])),
)
@pytest.mark.long
def test_the_palette_finds_the_same_deals_from_the_index(
    empty_template: Path, world: World, typed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with fresh(empty_template) as db:
        users = fill(db, world)
        for user in (users[n] for n in (0, 3, 5, 6)):  # seller, admin, scoped and not
            for words in typed[:4]:
                with db.reading() as session:
                    fast = search.find_deals(session, user, words)
                with monkeypatch.context() as patched, db.reading() as session:
                    patched.setattr(lists, "reads_index", lambda session: False)
                    plain = search.find_deals(session, user, words)
                assert fast == plain, (user.email, words)


# --- the triggers keep it current --------------------------------------------------------------


def copy_afresh(db: Database) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """The index as it is, and as a fill from scratch would make it; the totals likewise."""
    columns = lists._COLUMNS
    with db.reading() as session:
        connection = session.connection()
        held = connection.exec_driver_sql(f"SELECT {columns} FROM deal_list ORDER BY deal_id")
        rows = held.all()
        connection.exec_driver_sql("CREATE TEMP TABLE afresh AS SELECT * FROM deal_list LIMIT 0")
        fill = lists.sqlite_list_fill(missing_only=False).replace(
            "INSERT INTO deal_list", "INSERT INTO temp.afresh"
        )
        connection.exec_driver_sql(fill)
        made = connection.exec_driver_sql(f"SELECT {columns} FROM temp.afresh ORDER BY deal_id")
        afresh = made.all()
        group = lists._GROUP
        totals = connection.exec_driver_sql(
            f"SELECT {group}, deals, value_cents FROM deal_list_totals WHERE deals != 0 "
            f"ORDER BY {group}"
        ).all()
        summed = connection.exec_driver_sql(
            f"SELECT {group}, count(*), sum(value_cents) FROM deal_list GROUP BY {group} "
            f"ORDER BY {group}"
        ).all()
        connection.exec_driver_sql("DROP TABLE temp.afresh")
    assert rows == afresh
    assert totals == summed
    return rows, totals


CHANGES = [
    "UPDATE referrals SET status = 'won' WHERE id = :deal AND status = 'accepted'",
    "UPDATE referrals SET status = 'accepted', response_deadline = NULL WHERE id = :deal "
    "AND status = 'received'",
    "UPDATE referrals SET name = :name WHERE id = :deal AND status IN ('received', 'accepted')",
    "UPDATE referrals SET stage = 'proposed', value_cents = value_cents + 1 WHERE id = :deal "
    "AND status IN ('received', 'accepted')",
    "UPDATE referrals SET close_date = '2027-01-01', currency = 'SGD' WHERE id = :deal "
    "AND status IN ('received', 'accepted')",
    "UPDATE engagements SET deal_type = 'private' WHERE id = (SELECT engagement_id FROM "
    "referrals WHERE id = :deal)",
    "UPDATE engagements SET company_id = (SELECT max(id) FROM companies) WHERE id = "
    "(SELECT engagement_id FROM referrals WHERE id = :deal)",
    "UPDATE companies SET name = :name WHERE id = (SELECT e.company_id FROM engagements e "
    "JOIN referrals r ON r.engagement_id = e.id WHERE r.id = :deal)",
    "DELETE FROM referrals WHERE id = :deal AND status IN ('received', 'accepted') "
    "AND NOT EXISTS (SELECT 1 FROM team_members WHERE referral_id = :deal)",
    "INSERT INTO referrals (id, engagement_id, organization_id, location_id, name, value_cents, "
    "currency, close_date, help_requested, direction, status, stage, created_at, version) "
    "SELECT :new, engagement_id, 3, 30, :name, 7, 'EUR', '2026-12-01', 'none', 'inbound', "
    "'received', 'created', '2026-11-20 00:00:00.000000', 1 FROM referrals WHERE id = :deal "
    "AND NOT EXISTS (SELECT 1 FROM referrals r2 WHERE r2.engagement_id = referrals.engagement_id "
    "AND r2.organization_id = 3)",
]


@SETTINGS
@given(
    world=worlds(),
    changes=st.lists(
        st.tuples(
            st.integers(0, len(CHANGES) - 1), st.integers(0, 29), st.integers(0, len(NAMES) - 1)
        ),
        max_size=15,
    ),
)
@pytest.mark.long
def test_the_triggers_keep_the_index_and_its_totals_as_a_fresh_fill_would(
    empty_template: Path, world: World, changes: list[tuple[int, int, int]]
) -> None:
    with fresh(empty_template) as db:
        users = fill(db, world)
        copy_afresh(db)
        for n, (change, deal, name) in enumerate(changes):
            params = {"deal": deal_id(deal), "name": NAMES[name], "new": deal_id(1000 + n)}
            with db.transaction() as session:
                session.execute(text(CHANGES[change]), params)
            copy_afresh(db)
        for user in users[:4]:
            check_list(db, user, DealQuery(tab=Tab.OUTBOUND, show=Show.ALL, sort=SortKey.URGENCY))


# --- healing, bulk loads, the migration ---------------------------------------------------------


def names_in_schema(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as connection:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}


def test_an_open_heals_a_damaged_index(demo_db: Database, people: dict[str, User]) -> None:
    path = demo_db.path
    assert path is not None
    before = copy_afresh(demo_db)
    with demo_db.transaction() as session:
        session.execute(text("DROP TRIGGER deal_list_totals_update"))
        session.execute(text("DELETE FROM deal_list WHERE status = 'won'"))
    demo_db.dispose()
    healed = open_database(path, clock=FixedClock.on(TODAY))
    try:
        assert names_in_schema(path) >= lists.LIST_OBJECTS
        assert copy_afresh(healed) == before
        check_list(healed, people["Dana"], DealQuery(tab=Tab.OUTBOUND, show=Show.ALL))
    finally:
        healed.dispose()


def test_a_killed_bulk_load_is_indexed_at_the_next_open(
    demo_db: Database, people: dict[str, User]
) -> None:
    path = demo_db.path
    assert path is not None
    with demo_db.transaction() as session:  # what a bulk load killed halfway leaves
        for statement in lists.bulk_load_started():
            session.execute(text(statement))
        for statement in BULK_DEAL:
            session.execute(text(statement), {"id": "bulk-1"})
        session.execute(text("UPDATE companies SET name = 'Renamed meanwhile' WHERE id = 1"))
    demo_db.dispose()
    assert lists.INSERT_TRIGGER not in names_in_schema(path)
    healed = open_database(path, clock=FixedClock.on(TODAY))
    try:
        assert lists.INSERT_TRIGGER in names_in_schema(path)
        rows, _ = copy_afresh(healed)
        assert "bulk-1" in {row[0] for row in rows}
    finally:
        healed.dispose()


def test_a_new_deal_missed_by_the_index_is_added_at_the_next_open(
    demo_db: Database, people: dict[str, User]
) -> None:
    path = demo_db.path
    assert path is not None
    with demo_db.transaction() as session:
        session.execute(text(f"DROP TRIGGER {lists.INSERT_TRIGGER}"))
        for statement in BULK_DEAL:
            session.execute(text(statement), {"id": "bulk-3"})
    demo_db.dispose()
    healed = open_database(path, clock=FixedClock.on(TODAY))
    try:
        rows, _ = copy_afresh(healed)
        assert "bulk-3" in {row[0] for row in rows}
    finally:
        healed.dispose()


def test_a_bulk_load_indexes_its_deals_at_the_end(
    demo_db: Database, people: dict[str, User]
) -> None:
    path = demo_db.path
    assert path is not None
    with search.bulk_loading(demo_db):
        assert lists.INSERT_TRIGGER not in names_in_schema(path)
        with demo_db.transaction() as session:
            for statement in BULK_DEAL:
                session.execute(text(statement), {"id": "bulk-2"})
    assert lists.INSERT_TRIGGER in names_in_schema(path)
    rows, _ = copy_afresh(demo_db)
    assert "bulk-2" in {row[0] for row in rows}


def test_the_migration_indexes_an_existing_database_and_goes_back(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    engine = database.make_engine(database.to_url(path))
    database.upgrade(engine, "0004")
    engine.dispose()
    old = Database(database.make_engine(database.to_url(path)), FixedClock.on(TODAY))
    with old.engine.connect() as connection:
        assert not lists.has_list_index(connection)
    world = World(
        [0, 2],
        [(0, DealType.CO_SELL), (1, DealType.PRIVATE)],
        [
            Deal(0, 1, 0, "inbound", Status.RECEIVED, Stage.CREATED, 5, "EUR", 1, 1, 2),
            Deal(1, 2, 3, "outbound", Status.WON, Stage.WON, 7, "USD", 2, 0, None),
        ],
        [(1, 3)],
        [(3, 1)],
    )
    users = fill(old, world)
    old.dispose()
    db = open_database(path, clock=FixedClock.on(TODAY))  # 0004 → head
    try:
        rows, totals = copy_afresh(db)
        assert len(rows) == 2 and len(totals) == 2
        for user in users:
            check_list(db, user, DealQuery(tab=Tab.OUTBOUND, show=Show.ALL))
        with db.engine.connect() as connection:
            command.downgrade(database._alembic_config(connection), "0004")
            connection.commit()
    finally:
        db.dispose()
    schema = names_in_schema(path)
    assert not {name for name in schema if name.startswith("deal_list")}
    assert {"ix_engagements_company_id", "ix_referrals_engagement_id"} <= schema
