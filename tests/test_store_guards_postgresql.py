"""R-STORE-1 and R-STORE-2 on PostgreSQL (R-STORE-4, issue 8), from a raw psycopg connection.

The contract of tests/test_store_guards.py, checked the way a user of `psql` reaches the
database: an autocommit psycopg connection, the tables of a referral's own data discovered
from information_schema, rows named by their primary key. Every refused statement raises
psycopg's IntegrityError (SQLSTATE 23000) with the guard's sentence and leaves nothing changed;
every allowed one changes what it should. Only PostgreSQL has: TRUNCATE (row triggers never
see it), and concurrent writers (a close racing a write to the same deal).

Speed: a copy of the demo costs about a second on a busy machine, so each worker copies it
once. Tests whose statements are all refused run on that copy in autocommit (a statement the
guard fails to refuse would stay, and the test says so; their setup may close an open deal when
the demo has none in the status needed, which stays too and no other test minds, as every test
looks its rows up by status). Tests that change data run on the same
copy inside one transaction rolled back at the end, with every constraint checked at once
(SET CONSTRAINTS ALL IMMEDIATE) so nothing waits for a commit the test never makes; their
refused statements run in a savepoint. Races and the services (R-STORE-2) commit, so they get a
copy each.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row

import tests.test_store_guards as on_sqlite
from cosell_tui import services
from cosell_tui.clock import FixedClock
from cosell_tui.domain.errors import Conflict
from cosell_tui.store import guards, queries
from cosell_tui.store.database import Database, open_database
from tests import postgres
from tests.conftest import PG_DEMO
from tests.test_store_guards import (
    ACTIVE,
    CASE_IDS,
    CASES,
    FINAL_REGISTRATION,
    KNOWN_OWN_DATA,
    OPEN_REGISTRATION,
    OWN_DATA,
    SPEC_EXCEPTIONS,
    TERMINAL,
    Attempt,
)

Conn = psycopg.Connection[tuple[Any, ...]]
Key = tuple[Any, ...]

GUARD_SQLSTATE = "23000"
OPEN = "('accepted','received')"
NOW = "timestamp '2026-11-27 09:00:00'"
LOCK_WAIT = 60  # seconds: a guard against a hung test, never a speed limit


# --- databases -----------------------------------------------------------------------------

_copies = itertools.count(1)


@contextmanager
def demo_copy(server: postgres.Server) -> Iterator[str]:
    """A private copy of the demo database (no app engine needed); its DSN. Dropped after."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"guards_{worker}_{os.getpid()}_{next(_copies)}"
    postgres.copy_database(server, PG_DEMO, name)
    try:
        yield server.dsn(name)
    finally:
        postgres.drop_database(server, name)


@pytest.fixture(scope="module")
def shared(postgres_server: postgres.Server) -> Iterator[Conn]:
    """One copy of the demo for this worker's tests, on an autocommit connection (as psql)."""
    with demo_copy(postgres_server) as dsn, psycopg.connect(dsn, autocommit=True) as connection:
        yield connection


@pytest.fixture
def pg(shared: Conn) -> Iterator[Conn]:
    """The shared copy, for tests whose statements are all refused (they change nothing)."""
    yield shared
    assert shared.info.transaction_status == TransactionStatus.IDLE


@pytest.fixture
def tx(shared: Conn) -> Iterator[Conn]:
    """The shared copy inside a transaction rolled back after the test: for tests that change
    data. Deferrable constraints are checked at each statement, as a commit would."""
    with shared.transaction(force_rollback=True):
        shared.execute("SET CONSTRAINTS ALL IMMEDIATE")
        yield shared


@pytest.fixture
def private_dsn(postgres_server: postgres.Server) -> Iterator[str]:
    """A copy of the demo of the test's own, for tests that commit from several connections."""
    with demo_copy(postgres_server) as dsn:
        yield dsn


# --- what the database holds ---------------------------------------------------------------


def _scalar(connection: Conn, sql: str, *params: object) -> Any:
    found = connection.execute(sql, params).fetchone()
    return None if found is None else found[0]


def referral_tables(connection: Conn) -> set[str]:
    """Every table of the schema with a `referral_id` column, from information_schema."""
    rows = connection.execute(
        "SELECT table_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND column_name = 'referral_id'"
    ).fetchall()
    return {str(name) for (name,) in rows}


def _columns(connection: Conn, table: str) -> list[tuple[str, str, int | None, bool]]:
    """(name, type, maximum length, filled by the database) for each column, in order."""
    rows = connection.execute(
        "SELECT column_name, data_type, character_maximum_length, "
        "coalesce(column_default LIKE 'nextval(%%', false) OR is_identity = 'YES' "
        "FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = %s ORDER BY ordinal_position",
        (table,),
    ).fetchall()
    return [(str(name), str(kind), size, bool(serial)) for name, kind, size, serial in rows]


def _index_columns(connection: Conn, table: str, which: str) -> list[tuple[str, ...]]:
    rows = connection.execute(
        "SELECT array_agg(a.attname::text ORDER BY k.n) FROM pg_index i "
        "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
        f"WHERE i.indrelid = %s::regclass AND {which} GROUP BY i.indexrelid ORDER BY i.indexrelid",
        (f'"{table}"',),
    ).fetchall()
    return [tuple(names) for (names,) in rows]


def _primary_key(connection: Conn, table: str) -> tuple[str, ...]:
    (key,) = _index_columns(connection, table, "i.indisprimary")
    return key


def _unique_sets(connection: Conn, table: str) -> list[tuple[str, ...]]:
    """Unique keys a copied row must not repeat (a key the database fills is left out)."""
    filled = {name for name, _kind, _size, serial in _columns(connection, table) if serial}
    return [
        columns
        for columns in _index_columns(connection, table, "i.indisunique")
        if not set(columns) <= filled
    ]


def _foreign_key_columns(connection: Conn, table: str) -> set[str]:
    rows = connection.execute(
        "SELECT a.attname::text FROM pg_constraint c "
        "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) "
        "WHERE c.conrelid = %s::regclass AND c.contype = 'f'",
        (f'"{table}"',),
    ).fetchall()
    return {str(name) for (name,) in rows}


def _by_key(connection: Conn, table: str) -> str:
    return " AND ".join(f'"{name}" = %s' for name in _primary_key(connection, table))


def _row(connection: Conn, table: str, key: Key) -> tuple[Any, ...] | None:
    return connection.execute(
        f'SELECT * FROM "{table}" WHERE {_by_key(connection, table)}',
        key,
    ).fetchone()


def _status(connection: Conn, referral_id: str) -> str:
    return str(_scalar(connection, "SELECT status FROM referrals WHERE id = %s", referral_id))


def referral_with(
    connection: Conn, status: str, fits: Callable[[str], bool] = lambda _: True
) -> str:
    """A referral in `status` that `fits`; when the demo has none, an open one is moved into
    that status first (allowed: the guards look at the status a referral had before)."""
    for (referral_id,) in connection.execute(
        "SELECT id FROM referrals WHERE status = %s ORDER BY id", (status,)
    ).fetchall():
        if fits(referral_id):
            return str(referral_id)
    for (referral_id,) in connection.execute(
        f"SELECT id FROM referrals WHERE status IN {OPEN} ORDER BY id"
    ).fetchall():
        if fits(referral_id):
            connection.execute(
                "UPDATE referrals SET status = %s WHERE id = %s", (status, referral_id)
            )
            return str(referral_id)
    raise AssertionError(f"no referral can be brought into status {status}")


def row_with(connection: Conn, table: str, status: str) -> Key:
    """The key of a row of `table` belonging to a referral in `status` (see referral_with)."""
    key = ", ".join(f't."{name}"' for name in _primary_key(connection, table))
    query = (
        f'SELECT {key}, t.referral_id FROM "{table}" t JOIN referrals r ON r.id = t.referral_id '
        f"WHERE r.status {{}} ORDER BY {key} LIMIT 1"
    )
    found = connection.execute(query.format("= %s"), (status,)).fetchone()
    if found is not None:
        return tuple(found[:-1])
    found = connection.execute(query.format(f"IN {OPEN}")).fetchone()
    assert found is not None, f"the demo has no {table} row of an open deal"
    connection.execute("UPDATE referrals SET status = %s WHERE id = %s", (status, found[-1]))
    return tuple(found[:-1])


def _without_mail(connection: Conn) -> Callable[[str], bool]:
    """Referrals whose notifications have no e-mail queued (the outbox keeps those alive)."""

    def fits(referral_id: str) -> bool:
        queued = connection.execute(
            "SELECT 1 FROM notifications n JOIN outbox o ON o.notification_id = n.id "
            "WHERE n.referral_id = %s",
            (referral_id,),
        ).fetchone()
        return queued is None

    return fits


def room_for(connection: Conn, table: str, values: dict[str, Any]) -> Callable[[str], bool]:
    """Whether a row with these values, moved to a given referral, breaks no unique key."""
    unique_sets = _unique_sets(connection, table)
    for columns in unique_sets:
        assert "referral_id" in columns, f"cannot copy a {table} row: {columns} must differ"

    def fits(referral_id: str) -> bool:
        for columns in unique_sets:
            where = " AND ".join(f'"{name}" IS NOT DISTINCT FROM %s' for name in columns)
            params = [referral_id if name == "referral_id" else values[name] for name in columns]
            if connection.execute(f'SELECT 1 FROM "{table}" WHERE {where}', params).fetchone():
                return False
        return True

    return fits


# --- statements and their effect -----------------------------------------------------------


def insert_attempt(connection: Conn, table: str, status: str) -> Attempt:
    """Copy an existing row (of an open deal when there is one) onto a referral in `status`."""
    order = ", ".join(f't."{name}"' for name in _primary_key(connection, table))
    with connection.cursor(row_factory=dict_row) as cursor:
        template = cursor.execute(
            f'SELECT t.* FROM "{table}" t JOIN referrals r ON r.id = t.referral_id '
            f"ORDER BY r.status IN {OPEN} DESC, {order} LIMIT 1"
        ).fetchone()
    assert template is not None, f"the demo has no {table} row to copy"
    filled = {name for name, _kind, _size, serial in _columns(connection, table) if serial}
    values = {name: value for name, value in template.items() if name not in filled}
    target = referral_with(connection, status, room_for(connection, table, values))
    values["referral_id"] = target
    names = ", ".join(f'"{name}"' for name in values)
    marks = ", ".join("%s" for _ in values)
    return Attempt(
        f'INSERT INTO "{table}" ({names}) VALUES ({marks})',
        tuple(values.values()),
        lambda: _scalar(
            connection, f'SELECT count(*) FROM "{table}" WHERE referral_id = %s', target
        ),
    )


def update_attempt(connection: Conn, table: str, key: Key) -> Attempt:
    """Edit a free-text (else a date) column of the row; a table with neither gets a same-value
    write, which fires the triggers all the same."""
    excluded = {"referral_id", *_primary_key(connection, table)}
    excluded |= {name for columns in _unique_sets(connection, table) for name in columns}
    excluded |= _foreign_key_columns(connection, table)
    free = [
        (name, kind, size)
        for name, kind, size, _serial in _columns(connection, table)
        if name not in excluded and not name.endswith("_id")
    ]
    # text (notes) before character varying, then in column order
    texts = sorted(
        ((name, size) for name, kind, size in free if kind in ("text", "character varying")),
        key=lambda column: column[1] is not None,
    )
    dates = [name for name, kind, _size in free if kind.startswith("timestamp") or kind == "date"]
    where = _by_key(connection, table)
    observe = lambda: _row(connection, table, key)  # noqa: E731
    if texts:
        column, size = texts[0]
        edited = f"'(edited) ' || coalesce(\"{column}\", '')"
        change = edited if size is None else f"left({edited}, {size})"
    elif dates:
        column = dates[0]
        change = f"coalesce(\"{column}\", {NOW}) + interval '1 day'"
    else:
        return Attempt(
            f'UPDATE "{table}" SET referral_id = referral_id WHERE {where}',
            key,
            observe,
            changes_something=False,
        )
    return Attempt(f'UPDATE "{table}" SET "{column}" = {change} WHERE {where}', key, observe)


def attempt(connection: Conn, table: str, op: str, status: str) -> Attempt:
    if table == "referrals":
        referral_id = referral_with(connection, status, _without_mail(connection))
        observe = lambda: _row(connection, "referrals", (referral_id,))  # noqa: E731
        if op == "update":
            return Attempt(
                "UPDATE referrals SET name = name || ' (edited)' WHERE id = %s",
                (referral_id,),
                observe,
            )
        return Attempt("DELETE FROM referrals WHERE id = %s", (referral_id,), observe)
    if op == "insert":
        return insert_attempt(connection, table, status)
    key = row_with(connection, table, status)
    if op == "update":
        return update_attempt(connection, table, key)
    return Attempt(
        f'DELETE FROM "{table}" WHERE {_by_key(connection, table)}',
        key,
        lambda: _row(connection, table, key),
    )


def _execute(connection: Conn, sql: str, params: tuple[object, ...] = ()) -> psycopg.Cursor[Any]:
    """One statement: on its own in autocommit, else in a savepoint (so a refusal leaves the
    test's transaction usable, as psql's ON_ERROR_ROLLBACK would)."""
    if connection.info.transaction_status == TransactionStatus.IDLE:
        return connection.execute(sql, params)
    with connection.transaction():
        return connection.execute(sql, params)


def check_refusal(error: BaseException, message: str) -> None:
    """The guard's refusal: an integrity error, SQLSTATE 23000, the guard's sentence."""
    assert isinstance(error, psycopg.errors.IntegrityError), repr(error)
    assert error.sqlstate == GUARD_SQLSTATE, f"{error.sqlstate}: {error}"
    assert error.diag.message_primary == message


def assert_refused(connection: Conn, trial: Attempt, message: str) -> None:
    before = trial.observe()
    with pytest.raises(psycopg.errors.IntegrityError) as caught:
        _execute(connection, trial.sql, trial.params)
    check_refusal(caught.value, message)
    assert trial.observe() == before, f"a refused statement left a change behind: {trial.sql}"


def assert_allowed(connection: Conn, trial: Attempt) -> None:
    before = trial.observe()
    cursor = _execute(connection, trial.sql, trial.params)
    assert cursor.rowcount == 1, trial.sql
    if trial.changes_something:
        assert trial.observe() != before, f"{trial.sql} changed nothing"


# --- R-STORE-1: which tables are guarded ---------------------------------------------------


def test_every_table_of_a_referrals_own_data_is_guarded(pg: Conn) -> None:
    """R-STORE-1 / R-STORE-4: the tables with a referral_id in the migrated PostgreSQL schema
    are the four exceptions and exactly the tables the cases below cover."""
    with_referral = referral_tables(pg)
    assert with_referral >= SPEC_EXCEPTIONS
    discovered = with_referral - SPEC_EXCEPTIONS
    assert discovered >= KNOWN_OWN_DATA
    assert discovered == set(OWN_DATA)


# --- R-STORE-1: closed deals refuse, open deals accept -------------------------------------


@pytest.mark.parametrize("status", TERMINAL)
@pytest.mark.parametrize(("table", "op"), CASES, ids=CASE_IDS)
def test_closed_deal_refuses_the_statement(pg: Conn, table: str, op: str, status: str) -> None:
    """R-STORE-1 / R-STORE-4: any UPDATE/DELETE of a terminal referral, and any
    INSERT/UPDATE/DELETE of its own data, fails in the database, from psql too."""
    trial = attempt(pg, table, op, status)
    message = guards.CLOSED_DEAL if table == "referrals" else guards.CLOSED_DATA
    assert_refused(pg, trial, message)


@pytest.mark.parametrize("status", ACTIVE)
@pytest.mark.parametrize(("table", "op"), CASES, ids=CASE_IDS)
def test_open_deal_accepts_the_same_statement(tx: Conn, table: str, op: str, status: str) -> None:
    """The control for the test above: the same statement on an open deal goes through."""
    assert_allowed(tx, attempt(tx, table, op, status))


@pytest.mark.parametrize("status", TERMINAL)
@pytest.mark.parametrize("table", OWN_DATA)
def test_a_row_cannot_be_moved_onto_a_closed_deal(tx: Conn, table: str, status: str) -> None:
    """R-STORE-1 checks the new referral too: re-pointing an open deal's row at a closed deal
    fails, while re-pointing it at another open deal works."""
    key = row_with(tx, table, "accepted")
    by_key = _by_key(tx, table)
    where_now = f'SELECT referral_id FROM "{table}" WHERE {by_key}'
    source = _scalar(tx, where_now, *key)
    with tx.cursor(row_factory=dict_row) as cursor:
        row = cursor.execute(f'SELECT * FROM "{table}" WHERE {by_key}', key).fetchone()
    assert row is not None
    room = room_for(tx, table, row)

    def fits(referral_id: str) -> bool:
        return referral_id != source and room(referral_id)

    move = f'UPDATE "{table}" SET referral_id = %s WHERE {by_key}'
    closed = referral_with(tx, status, fits)
    observe = lambda: _row(tx, table, key)  # noqa: E731
    assert_refused(tx, Attempt(move, (closed, *key), observe), guards.CLOSED_DATA)
    open_deal = referral_with(tx, "accepted", fits)
    assert_allowed(tx, Attempt(move, (open_deal, *key), observe))
    assert _scalar(tx, where_now, *key) == open_deal


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("accepted", "won"),
        ("accepted", "lost"),
        ("accepted", "declined"),
        ("accepted", "expired"),
        ("received", "declined"),
        ("received", "expired"),
    ],
)
def test_an_open_deal_can_be_closed_and_is_then_frozen(tx: Conn, before: str, after: str) -> None:
    """The guard looks at the stored (old) status: closing a deal is the last change it takes."""
    referral_id = referral_with(tx, before)
    close = Attempt(
        f"UPDATE referrals SET status = %s, closed_at = {NOW} WHERE id = %s",
        (after, referral_id),
        lambda: _status(tx, referral_id),
    )
    assert_allowed(tx, close)
    assert _status(tx, referral_id) == after
    reopen = Attempt(
        "UPDATE referrals SET status = %s WHERE id = %s",
        (before, referral_id),
        lambda: _row(tx, "referrals", (referral_id,)),
    )
    assert_refused(tx, reopen, guards.CLOSED_DEAL)


# --- PostgreSQL only: TRUNCATE skips the row triggers ---------------------------------------

TRUNCATE_REFUSALS = [
    ("referrals", guards.CLOSED_DEAL),
    *[(table, guards.CLOSED_DATA) for table in OWN_DATA],
    ("activity", guards.APPEND_ONLY),
    ("registrations", guards.FINAL_REGISTRATION),
]


@pytest.mark.parametrize(
    ("table", "message"), TRUNCATE_REFUSALS, ids=[t for t, _ in TRUNCATE_REFUSALS]
)
def test_truncate_is_refused(tx: Conn, table: str, message: str) -> None:
    """R-STORE-1 / R-STORE-4: TRUNCATE empties a table without firing its row triggers, so it
    is refused on every guarded table, on the append-only activity log and on registrations
    (final ones are frozen) — with CASCADE too. Run in a savepoint: a TRUNCATE the guard let
    through must not empty the worker's shared copy."""

    def observe() -> int:
        return int(_scalar(tx, f'SELECT count(*) FROM "{table}"'))

    assert observe() > 0, f"the demo has no {table} row"
    for sql in (f'TRUNCATE "{table}"', f'TRUNCATE "{table}" CASCADE'):
        if sql.endswith('"') and _referenced(tx, table):
            continue  # without CASCADE PostgreSQL itself refuses (a foreign key points here)
        assert_refused(tx, Attempt(sql, (), observe), message)


def _referenced(connection: Conn, table: str) -> bool:
    return bool(
        _scalar(
            connection,
            "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE contype = 'f' "
            "AND confrelid = %s::regclass AND conrelid <> confrelid)",
            f'"{table}"',
        )
    )


def test_truncate_of_a_users_favorites_is_allowed(tx: Conn) -> None:
    """The control: favorites are a user preference (an exception of R-STORE-1)."""
    assert _scalar(tx, "SELECT count(*) FROM favorites") > 0
    _execute(tx, "TRUNCATE favorites")
    assert _scalar(tx, "SELECT count(*) FROM favorites") == 0


# --- R-STORE-1: the four exceptions ---------------------------------------------------------


@pytest.mark.parametrize("status", TERMINAL + ACTIVE)
@pytest.mark.parametrize("op", ["update", "delete"])
def test_activity_is_append_only_for_every_deal(pg: Conn, op: str, status: str) -> None:
    """R-STORE-1 / R-AUD-1: activity is never updated or deleted, open deal or closed."""
    key = row_with(pg, "activity", status)
    sql = (
        "UPDATE activity SET new = 'rewritten' WHERE id = %s"
        if op == "update"
        else "DELETE FROM activity WHERE id = %s"
    )
    assert_refused(pg, Attempt(sql, key, lambda: _row(pg, "activity", key)), guards.APPEND_ONLY)


def test_activity_of_an_engagement_is_append_only_too(tx: Conn) -> None:
    """Entries about the engagement (no referral_id), such as comments, are frozen as well."""
    found = _scalar(tx, "SELECT min(id) FROM activity WHERE referral_id IS NULL")
    if found is None:  # the demo logs none: add one (inserts are allowed)
        found = _scalar(
            tx,
            "INSERT INTO activity (referral_id, engagement_id, user_id, at, action) "
            f"VALUES (NULL, NULL, NULL, {NOW}, 'note') RETURNING id",
        )
    key = (found,)
    observe = lambda: _row(tx, "activity", key)  # noqa: E731
    rewrite = Attempt("UPDATE activity SET action = 'x' WHERE id = %s", key, observe)
    assert_refused(tx, rewrite, guards.APPEND_ONLY)
    erase = Attempt("DELETE FROM activity WHERE id = %s", key, observe)
    assert_refused(tx, erase, guards.APPEND_ONLY)


@pytest.mark.parametrize("status", TERMINAL)
@pytest.mark.parametrize("table", ["activity", "favorites", "notifications"])
def test_exception_tables_take_new_rows_for_a_closed_deal(
    tx: Conn, table: str, status: str
) -> None:
    """Closing a deal logs it and notifies people; a user may star a closed deal."""
    assert_allowed(tx, insert_attempt(tx, table, status))


@pytest.mark.parametrize("status", TERMINAL)
@pytest.mark.parametrize("table", ["favorites", "notifications"])
def test_exception_tables_drop_rows_of_a_closed_deal(tx: Conn, table: str, status: str) -> None:
    """Un-starring a closed deal and clearing its notifications is allowed."""
    key = row_with(tx, table, status)
    if table == "notifications":  # its queued e-mail goes first (the outbox points at it)
        _execute(tx, "DELETE FROM outbox WHERE notification_id = %s", key)
    trial = Attempt(
        f'DELETE FROM "{table}" WHERE {_by_key(tx, table)}', key, lambda: _row(tx, table, key)
    )
    assert_allowed(tx, trial)
    assert trial.observe() is None


@pytest.mark.parametrize("status", TERMINAL)
def test_notifications_of_a_closed_deal_can_be_marked_read(tx: Conn, status: str) -> None:
    key = row_with(tx, "notifications", status)
    _execute(tx, "UPDATE notifications SET read_at = NULL WHERE id = %s", key)
    trial = Attempt(
        f"UPDATE notifications SET read_at = {NOW} WHERE id = %s",
        key,
        lambda: _scalar(tx, "SELECT read_at FROM notifications WHERE id = %s", *key),
    )
    assert_allowed(tx, trial)


def _registration(connection: Conn, status: str) -> Key:
    found = _scalar(connection, "SELECT min(id) FROM registrations WHERE status = %s", status)
    assert found is not None, f"the demo has no registration in status {status}"
    return (found,)


@pytest.mark.parametrize("status", FINAL_REGISTRATION)
@pytest.mark.parametrize("op", ["update", "delete"])
def test_final_registration_is_frozen(pg: Conn, op: str, status: str) -> None:
    """R-STORE-1 / R-REG-3: an approved or rejected registration never changes again."""
    key = _registration(pg, status)
    sql = (
        "UPDATE registrations SET status = 'in_review', message = 'reopened' WHERE id = %s"
        if op == "update"
        else "DELETE FROM registrations WHERE id = %s"
    )
    trial = Attempt(sql, key, lambda: _row(pg, "registrations", key))
    assert_refused(pg, trial, guards.FINAL_REGISTRATION)


@pytest.mark.parametrize("status", OPEN_REGISTRATION)
def test_open_registration_of_a_won_deal_can_change(tx: Conn, status: str) -> None:
    """Registrations are exempt from the closed-deal rule: they follow a won deal."""
    key = _registration(tx, status)
    referral_id = _scalar(tx, "SELECT referral_id FROM registrations WHERE id = %s", *key)
    assert _status(tx, referral_id) == "won"
    trial = Attempt(
        "UPDATE registrations SET message = 'Please attach the signed contract.', "
        "version = version + 1 WHERE id = %s",
        key,
        lambda: _row(tx, "registrations", key),
    )
    assert_allowed(tx, trial)


def test_a_won_deal_can_get_its_registration(tx: Conn) -> None:
    """Registering a won deal inserts a registration for a terminal referral."""
    assert_allowed(tx, insert_attempt(tx, "registrations", "won"))


# --- R-STORE-1 / R-DEAL-9: the shared discussion -------------------------------------------

OPEN_PARTIES = f"count(*) FILTER (WHERE status IN {OPEN})"


def _engagement(connection: Conn, having: str) -> str:
    found = _scalar(
        connection,
        "SELECT engagement_id FROM referrals GROUP BY engagement_id "
        f"HAVING {having} ORDER BY engagement_id LIMIT 1",
    )
    assert found is not None, having
    return str(found)


def _comment(connection: Conn, engagement_id: str) -> Attempt:
    author = connection.execute(
        "SELECT u.id, u.organization_id FROM users u JOIN referrals r "
        "ON r.organization_id = u.organization_id WHERE r.engagement_id = %s "
        "ORDER BY u.id LIMIT 1",
        (engagement_id,),
    ).fetchone()
    assert author is not None
    return Attempt(
        "INSERT INTO comments (engagement_id, author_user_id, organization_id, body, created_at) "
        f"VALUES (%s, %s, %s, 'Any news from the customer?', {NOW})",
        (engagement_id, author[0], author[1]),
        lambda: _scalar(
            connection, "SELECT count(*) FROM comments WHERE engagement_id = %s", engagement_id
        ),
    )


def test_no_comment_once_every_party_closed_the_deal(pg: Conn) -> None:
    engagement_id = _engagement(pg, f"{OPEN_PARTIES} = 0")
    assert_refused(pg, _comment(pg, engagement_id), guards.NO_ACTIVE_PARTY)


@pytest.mark.parametrize(
    "having",
    [f"{OPEN_PARTIES} = count(*)", f"{OPEN_PARTIES} > 0 AND {OPEN_PARTIES} < count(*)"],
    ids=["all-parties-open", "one-party-closed-one-open"],
)
def test_comment_while_a_party_is_still_open(tx: Conn, having: str) -> None:
    assert_allowed(tx, _comment(tx, _engagement(tx, having)))


# --- R-STORE-1 under concurrency: a close racing a write (PostgreSQL only) ------------------


class Background:
    """One statement on its own connection, in a thread (it may have to wait for a lock)."""

    def __init__(self, connection: Conn, sql: str, params: tuple[object, ...]) -> None:
        self.connection = connection
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(sql, params), daemon=True)
        self.thread.start()

    def _run(self, sql: str, params: tuple[object, ...]) -> None:
        try:
            self.connection.execute(sql, params)
        except BaseException as error:  # handed to the test
            self.error = error

    def finish(self) -> BaseException | None:
        self.thread.join(LOCK_WAIT)
        assert not self.thread.is_alive(), "the waiting statement never finished"
        return self.error


def wait_until_blocked(observer: Conn, waiting: Background, holder: Conn, what: str) -> None:
    """Until `waiting`'s statement waits for a lock `holder` holds; fails if it finished
    without waiting."""
    waiting_pid = waiting.connection.info.backend_pid
    holder_pid = holder.info.backend_pid
    deadline = time.monotonic() + LOCK_WAIT
    while not _scalar(observer, "SELECT %s = ANY (pg_blocking_pids(%s))", holder_pid, waiting_pid):
        assert waiting.thread.is_alive(), f"{what} did not wait for the other transaction"
        assert time.monotonic() < deadline, f"{what} never waited for the other transaction"
        time.sleep(0.01)


@contextmanager
def connections(dsn: str) -> Iterator[tuple[Conn, Conn, Conn]]:
    """An observer (autocommit), a connection that holds a transaction, and one that runs a
    statement in the background (autocommit, as psql)."""
    with (
        psycopg.connect(dsn, autocommit=True) as observer,
        psycopg.connect(dsn) as holding,
        psycopg.connect(dsn, autocommit=True) as background,
    ):
        for connection in (holding, background):
            connection.execute(f"SET lock_timeout = '{LOCK_WAIT}s'")
        holding.commit()
        yield observer, holding, background


def _open_deal(connection: Conn) -> tuple[str, int]:
    found = connection.execute(
        "SELECT id, organization_id FROM referrals WHERE status = 'accepted' ORDER BY id LIMIT 1"
    ).fetchone()
    assert found is not None
    return str(found[0]), int(found[1])


CLOSE = f"UPDATE referrals SET status = 'won', closed_at = {NOW} WHERE id = %s"
ADD_MEMBER = (
    "INSERT INTO team_members (referral_id, organization_id, first_name, last_name, phone, email) "
    "VALUES (%s, %s, 'Late', 'Joiner', '+1 555 0100', 'late.joiner@example.com')"
)
MEMBER = "SELECT count(*) FROM team_members WHERE referral_id = %s AND first_name = 'Late'"


def test_a_team_member_added_while_the_deal_closes_waits_and_is_refused(private_dsn: str) -> None:
    """R-STORE-1 / R-STORE-4: A closes a deal and has not committed; B adds a team member to
    it, waits for A, and once A commits is refused with the closed-data sentence."""
    with connections(private_dsn) as (observer, closer, adder):
        referral_id, organization_id = _open_deal(observer)
        closer.execute(CLOSE, (referral_id,))
        insert = Background(adder, ADD_MEMBER, (referral_id, organization_id))
        wait_until_blocked(observer, insert, closer, "the team member insert")
        closer.commit()
        error = insert.finish()
        assert error is not None, "a team member joined a deal closed meanwhile"
        check_refusal(error, guards.CLOSED_DATA)
        assert _status(observer, referral_id) == "won"
        assert _scalar(observer, MEMBER, referral_id) == 0


def test_a_close_waits_for_a_team_member_being_added(private_dsn: str) -> None:
    """The other order: B's insert comes first; A's close waits for it, then succeeds, and the
    member added before the close is there (and frozen with the deal)."""
    with connections(private_dsn) as (observer, adder, closer):
        referral_id, organization_id = _open_deal(observer)
        adder.execute(ADD_MEMBER, (referral_id, organization_id))
        close = Background(closer, CLOSE, (referral_id,))
        wait_until_blocked(observer, close, adder, "the close")
        adder.commit()
        assert close.finish() is None
        assert _status(observer, referral_id) == "won"
        assert _scalar(observer, MEMBER, referral_id) == 1
        leave = Attempt(
            "DELETE FROM team_members WHERE referral_id = %s AND first_name = 'Late'",
            (referral_id,),
            lambda: _scalar(observer, MEMBER, referral_id),
        )
        assert_refused(observer, leave, guards.CLOSED_DATA)


def _last_open_party(connection: Conn) -> tuple[str, Attempt]:
    """An engagement with one open party left: that party's referral and a comment on it."""
    engagement_id = _engagement(connection, f"{OPEN_PARTIES} = 1")
    party = _scalar(
        connection,
        f"SELECT id FROM referrals WHERE engagement_id = %s AND status IN {OPEN}",
        engagement_id,
    )
    return str(party), _comment(connection, engagement_id)


def test_a_comment_written_while_the_last_party_closes_waits_and_is_refused(
    private_dsn: str,
) -> None:
    """R-DEAL-9 under concurrency: the last open party closes (not yet committed); a comment
    on the engagement waits for it and is then refused — the discussion is over."""
    with connections(private_dsn) as (observer, closer, writer):
        party, comment = _last_open_party(observer)
        before = comment.observe()
        closer.execute(CLOSE, (party,))
        insert = Background(writer, comment.sql, comment.params)
        wait_until_blocked(observer, insert, closer, "the comment")
        closer.commit()
        error = insert.finish()
        assert error is not None, "a comment reached a discussion closed meanwhile"
        check_refusal(error, guards.NO_ACTIVE_PARTY)
        assert comment.observe() == before


def test_the_last_party_closing_waits_for_a_comment_being_written(private_dsn: str) -> None:
    """The other order: the comment comes first; the close waits for it, then succeeds."""
    with connections(private_dsn) as (observer, writer, closer):
        party, comment = _last_open_party(observer)
        before = comment.observe()
        writer.execute(comment.sql, comment.params)
        close = Background(closer, CLOSE, (party,))
        wait_until_blocked(observer, close, writer, "the close")
        writer.commit()
        assert close.finish() is None
        assert _status(observer, party) == "won"
        assert isinstance(before, int)
        assert comment.observe() == before + 1


# --- R-STORE-2 on PostgreSQL: stale saves, through the services ----------------------------


@pytest.fixture
def backend() -> str:
    """conftest's `demo_db` is a copy of the PostgreSQL demo in this module."""
    return "postgresql"


@pytest.fixture
def second_window(demo_db: Database, clock: FixedClock) -> Iterator[Database]:
    """Another cosell-tui on the same PostgreSQL database (its own engine and connections)."""
    other = open_database(demo_db.engine.url.render_as_string(hide_password=False), clock=clock)
    yield other
    other.dispose()


def test_the_later_of_two_saves_is_refused(demo_db: Database, second_window: Database) -> None:
    """R-STORE-2 / R-STORE-4: the SQLite test's scenario on PostgreSQL."""
    assert demo_db.engine.dialect.name == "postgresql"
    on_sqlite.test_the_later_of_two_saves_is_refused(demo_db, second_window)


def test_after_reloading_the_second_window_can_save(
    demo_db: Database, second_window: Database
) -> None:
    assert demo_db.engine.dialect.name == "postgresql"
    on_sqlite.test_after_reloading_the_second_window_can_save(demo_db, second_window)


def test_the_orm_refuses_a_stale_row(demo_db: Database, second_window: Database) -> None:
    assert demo_db.engine.dialect.name == "postgresql"
    on_sqlite.test_the_orm_refuses_a_stale_row(demo_db, second_window)


def test_a_save_racing_another_waits_and_is_refused(
    postgres_server: postgres.Server, demo_db: Database, second_window: Database
) -> None:
    """R-STORE-2 with real overlap: another window's save of the same version is in progress
    (its transaction holds the row); this save waits for it and is then refused with the
    stale-save sentence, neither lost nor overwriting."""
    referral, user = on_sqlite._editable(demo_db)
    form = on_sqlite._form(referral, "Second window save")
    outcome: list[BaseException | None] = []

    def save() -> None:
        try:
            services.edit(second_window, user, referral.id, form, version=referral.version)
            outcome.append(None)
        except BaseException as error:  # handed to the test
            outcome.append(error)

    dsn = postgres_server.dsn(str(demo_db.engine.url.database))
    with psycopg.connect(dsn, autocommit=True) as observer, psycopg.connect(dsn) as first:
        first.execute(
            "UPDATE referrals SET name = 'First window save', version = version + 1 "
            "WHERE id = %s AND version = %s",
            (referral.id, referral.version),
        )
        saving = threading.Thread(target=save, daemon=True)
        saving.start()
        deadline = time.monotonic() + LOCK_WAIT
        first_pid = first.info.backend_pid
        while not _scalar(
            observer,
            "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY (pg_blocking_pids(pid))",
            first_pid,
        ):
            assert saving.is_alive(), f"the second save did not wait: {outcome}"
            assert time.monotonic() < deadline, "the second save never waited for the first"
            time.sleep(0.01)
        first.commit()
        saving.join(LOCK_WAIT)
    assert len(outcome) == 1 and isinstance(outcome[0], Conflict), outcome
    assert str(outcome[0]) == services.STALE
    with second_window.reading() as session:
        stored = queries.referral(session, referral.id)
    assert stored.name == "First window save"
    assert stored.version == referral.version + 1
