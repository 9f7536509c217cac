"""The database refuses changes to closed deals (R-STORE-1) and stale saves (R-STORE-2).

R-STORE-1 is checked on a raw `sqlite3` connection (the standard library, not SQLAlchemy), the
way someone using the `sqlite3` shell would reach the file: the guard has to live in the
database itself. The tables of a referral's own data are discovered from the database, so a
table added later with a `referral_id` column is covered (or the discovery test fails).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from cosell_tui import services
from cosell_tui.clock import FixedClock
from cosell_tui.domain import rights
from cosell_tui.domain.errors import Conflict
from cosell_tui.domain.models import EditForm, Referral, User
from cosell_tui.store import guards, queries
from cosell_tui.store.database import Database, open_database
from cosell_tui.store.schema import Base, ReferralRow

TERMINAL = ("won", "lost", "declined", "expired")
ACTIVE = ("accepted", "received")
# SPEC R-STORE-1 names the exceptions exactly so.
SPEC_EXCEPTIONS = frozenset({"favorites", "activity", "notifications", "registrations"})
KNOWN_OWN_DATA = {"team_members", "referral_solutions", "stage_marks", "invitations"}
FINAL_REGISTRATION = ("approved", "rejected")
OPEN_REGISTRATION = ("incomplete", "in_review", "in_validation", "action_required")


def _own_data_tables_of_the_model() -> list[str]:
    """Collection-time list (parametrize needs it before any database exists); the discovery
    test below checks it equals what the migrated database holds."""
    return sorted(
        name
        for name, table in Base.metadata.tables.items()
        if "referral_id" in table.columns and name not in SPEC_EXCEPTIONS
    )


OWN_DATA = _own_data_tables_of_the_model()
CASES = [("referrals", "update"), ("referrals", "delete")] + [
    (table, op) for table in OWN_DATA for op in ("insert", "update", "delete")
]
CASE_IDS = [f"{table}-{op}" for table, op in CASES]


# --- a raw sqlite3 connection on a private copy of the demo ----------------------------------


@pytest.fixture
def raw(demo_db: Database) -> Iterator[sqlite3.Connection]:
    """Autocommit stdlib connection with foreign keys on (as the app has them)."""
    path = demo_db.path
    assert path is not None
    demo_db.dispose()  # release the app's pooled connections; the WAL is shared anyway
    connection = sqlite3.connect(path, isolation_level=None)
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute("PRAGMA busy_timeout = 5000")
    yield connection
    connection.close()


def referral_tables(connection: sqlite3.Connection) -> set[str]:
    """Every table holding a `referral_id` column, from sqlite_master and PRAGMA table_info."""
    names = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {
        name
        for name in names
        if any(column["name"] == "referral_id" for column in _columns(connection, name))
    }


def _columns(connection: sqlite3.Connection, table: str) -> list[sqlite3.Row]:
    return connection.execute(f'PRAGMA table_info("{table}")').fetchall()


def _rowid_key(connection: sqlite3.Connection, table: str) -> str | None:
    """The INTEGER PRIMARY KEY column (a new row gets its own value when it is left out)."""
    keys = [c for c in _columns(connection, table) if c["pk"]]
    if len(keys) == 1 and keys[0]["type"].upper() == "INTEGER":
        return str(keys[0]["name"])
    return None


def _unique_sets(connection: sqlite3.Connection, table: str) -> list[tuple[str, ...]]:
    sets = []
    for index in connection.execute(f'PRAGMA index_list("{table}")').fetchall():
        if index["unique"]:
            names = [c["name"] for c in connection.execute(f'PRAGMA index_info("{index["name"]}")')]
            sets.append(tuple(names))
    return sets


def _foreign_key_columns(connection: sqlite3.Connection, table: str) -> set[str]:
    return {fk["from"] for fk in connection.execute(f'PRAGMA foreign_key_list("{table}")')}


def _scalar(connection: sqlite3.Connection, sql: str, *params: object) -> object:
    found = connection.execute(sql, params).fetchone()
    return None if found is None else found[0]


def _status(connection: sqlite3.Connection, referral_id: str) -> str:
    return str(_scalar(connection, "SELECT status FROM referrals WHERE id = ?", referral_id))


def referral_with(
    connection: sqlite3.Connection, status: str, fits: Callable[[str], bool] = lambda _: True
) -> str:
    """A referral in `status` that `fits`; when the demo has none, an open one is moved into
    that status first (allowed: the guards look at the status a referral had before)."""
    for (referral_id,) in connection.execute(
        "SELECT id FROM referrals WHERE status = ? ORDER BY id", (status,)
    ).fetchall():
        if fits(referral_id):
            return str(referral_id)
    for (referral_id,) in connection.execute(
        "SELECT id FROM referrals WHERE status IN ('accepted','received') ORDER BY id"
    ).fetchall():
        if fits(referral_id):
            connection.execute(
                "UPDATE referrals SET status = ? WHERE id = ?", (status, referral_id)
            )
            return str(referral_id)
    raise AssertionError(f"no referral can be brought into status {status}")


def row_with(connection: sqlite3.Connection, table: str, status: str) -> int:
    """The rowid of a row of `table` belonging to a referral in `status` (see referral_with)."""
    query = (
        f'SELECT t.rowid FROM "{table}" t JOIN referrals r ON r.id = t.referral_id '
        "WHERE r.status {} ORDER BY t.rowid LIMIT 1"
    )
    found = connection.execute(query.format("= ?"), (status,)).fetchone()
    if found is not None:
        return int(found[0])
    found = connection.execute(query.format("IN ('accepted','received')")).fetchone()
    assert found is not None, f"the demo has no {table} row of an open deal"
    connection.execute(
        f'UPDATE referrals SET status = ? WHERE id = (SELECT referral_id FROM "{table}" '
        "WHERE rowid = ?)",
        (status, found[0]),
    )
    return int(found[0])


def _without_mail(connection: sqlite3.Connection) -> Callable[[str], bool]:
    """Referrals whose notifications have no e-mail queued (the outbox keeps those alive)."""

    def fits(referral_id: str) -> bool:
        return (
            connection.execute(
                "SELECT 1 FROM notifications n JOIN outbox o ON o.notification_id = n.id "
                "WHERE n.referral_id = ?",
                (referral_id,),
            ).fetchone()
            is None
        )

    return fits


@dataclass
class Attempt:
    """One statement and a way to observe what it would change."""

    sql: str
    params: tuple[object, ...]
    observe: Callable[[], object]
    changes_something: bool = True


def _row(connection: sqlite3.Connection, table: str, rowid: int) -> tuple[object, ...] | None:
    found = connection.execute(f'SELECT * FROM "{table}" WHERE rowid = ?', (rowid,)).fetchone()
    return None if found is None else tuple(found)


def room_for(
    connection: sqlite3.Connection, table: str, values: dict[str, object]
) -> Callable[[str], bool]:
    """Whether a row with these values, moved to a given referral, breaks no unique key."""
    unique_sets = _unique_sets(connection, table)
    for columns in unique_sets:
        assert "referral_id" in columns, f"cannot copy a {table} row: {columns} must differ"

    def fits(referral_id: str) -> bool:
        for columns in unique_sets:
            where = " AND ".join(f'"{name}" IS ?' for name in columns)
            params = [referral_id if name == "referral_id" else values[name] for name in columns]
            if connection.execute(f'SELECT 1 FROM "{table}" WHERE {where}', params).fetchone():
                return False
        return True

    return fits


def insert_attempt(connection: sqlite3.Connection, table: str, status: str) -> Attempt:
    """Copy an existing row (of an open deal when there is one) onto a referral in `status`."""
    template = connection.execute(
        f'SELECT t.* FROM "{table}" t JOIN referrals r ON r.id = t.referral_id '
        "ORDER BY r.status IN ('accepted','received') DESC, t.rowid LIMIT 1"
    ).fetchone()
    assert template is not None, f"the demo has no {table} row to copy"
    key = _rowid_key(connection, table)
    values = {name: template[name] for name in template.keys() if name != key}  # noqa: SIM118
    target = referral_with(connection, status, room_for(connection, table, values))
    values["referral_id"] = target
    names = ", ".join(f'"{name}"' for name in values)
    marks = ", ".join("?" for _ in values)
    return Attempt(
        f'INSERT INTO "{table}" ({names}) VALUES ({marks})',
        tuple(values.values()),
        lambda: connection.execute(
            f'SELECT count(*) FROM "{table}" WHERE referral_id = ?', (target,)
        ).fetchone()[0],
    )


def update_attempt(connection: sqlite3.Connection, table: str, rowid: int) -> Attempt:
    """Edit a free-text (else a date) column of the row; a table with neither gets a same-value
    write, which fires the triggers all the same."""
    excluded = {"referral_id", _rowid_key(connection, table)}
    excluded |= {name for columns in _unique_sets(connection, table) for name in columns}
    excluded |= _foreign_key_columns(connection, table)
    free = [
        (str(c["name"]), c["type"].upper())
        for c in _columns(connection, table)
        if c["name"] not in excluded and not c["name"].endswith("_id")
    ]
    # TEXT (notes) before VARCHAR, then in column order
    texts = sorted(
        (name for name, kind in free if "CHAR" in kind or "TEXT" in kind),
        key=lambda name: not dict(free)[name].startswith("TEXT"),
    )
    dates = [name for name, kind in free if kind.startswith("DATE")]
    observe = lambda: _row(connection, table, rowid)  # noqa: E731
    if texts:
        column = texts[0]
        change = f"COALESCE(\"{column}\", '') || ' (edited)'"
    elif dates:
        column = dates[0]
        change = f"strftime('%Y-%m-%d %H:%M:%S.000000', \"{column}\", '+1 day')"
    else:
        return Attempt(
            f'UPDATE "{table}" SET referral_id = referral_id WHERE rowid = ?',
            (rowid,),
            observe,
            changes_something=False,
        )
    return Attempt(f'UPDATE "{table}" SET "{column}" = {change} WHERE rowid = ?', (rowid,), observe)


def attempt(connection: sqlite3.Connection, table: str, op: str, status: str) -> Attempt:
    if table == "referrals":
        referral_id = referral_with(connection, status, _without_mail(connection))
        observe = lambda: _row(connection, "referrals", _rowid(connection, referral_id))  # noqa: E731
        if op == "update":
            return Attempt(
                "UPDATE referrals SET name = name || ' (edited)' WHERE id = ?",
                (referral_id,),
                observe,
            )
        return Attempt(
            "DELETE FROM referrals WHERE id = ?",
            (referral_id,),
            lambda: connection.execute(
                "SELECT count(*) FROM referrals WHERE id = ?", (referral_id,)
            ).fetchone()[0],
        )
    if op == "insert":
        return insert_attempt(connection, table, status)
    rowid = row_with(connection, table, status)
    if op == "update":
        return update_attempt(connection, table, rowid)
    return Attempt(
        f'DELETE FROM "{table}" WHERE rowid = ?', (rowid,), lambda: _row(connection, table, rowid)
    )


def _rowid(connection: sqlite3.Connection, referral_id: str) -> int:
    found = connection.execute(
        "SELECT rowid FROM referrals WHERE id = ?", (referral_id,)
    ).fetchone()
    return -1 if found is None else int(found[0])


def assert_refused(
    connection: sqlite3.Connection, trial: Attempt, message: str
) -> sqlite3.IntegrityError:
    before = trial.observe()
    with pytest.raises(sqlite3.IntegrityError) as caught:
        connection.execute(trial.sql, trial.params)
    assert message in str(caught.value), f"{trial.sql}: {caught.value}"
    assert trial.observe() == before, "a refused statement left a change behind"
    return caught.value


def assert_allowed(connection: sqlite3.Connection, trial: Attempt) -> None:
    before = trial.observe()
    cursor = connection.execute(trial.sql, trial.params)
    assert cursor.rowcount == 1, trial.sql
    if trial.changes_something:
        assert trial.observe() != before, f"{trial.sql} changed nothing"


# --- R-STORE-1: which tables are guarded ------------------------------------------------------


def test_every_table_of_a_referrals_own_data_is_guarded(raw: sqlite3.Connection) -> None:
    """R-STORE-1: the guarded set is every table with a referral_id minus the four exceptions."""
    with_referral = referral_tables(raw)
    assert with_referral >= SPEC_EXCEPTIONS
    discovered = with_referral - SPEC_EXCEPTIONS
    assert discovered, "no table of a referral's own data found"
    assert discovered >= KNOWN_OWN_DATA
    # The parametrized cases below come from the ORM; a table only the migrations know would
    # otherwise escape them.
    assert discovered == set(OWN_DATA)
    assert guards.EXEMPT == SPEC_EXCEPTIONS


# --- R-STORE-1: closed deals refuse, open deals accept ---------------------------------------


@pytest.mark.parametrize("status", TERMINAL)
@pytest.mark.parametrize(("table", "op"), CASES, ids=CASE_IDS)
def test_closed_deal_refuses_the_statement(
    raw: sqlite3.Connection, table: str, op: str, status: str
) -> None:
    """R-STORE-1: any UPDATE/DELETE of a terminal referral, and any INSERT/UPDATE/DELETE of
    its own data, fails in the database whoever runs it."""
    trial = attempt(raw, table, op, status)
    message = guards.CLOSED_DEAL if table == "referrals" else guards.CLOSED_DATA
    assert_refused(raw, trial, message)


@pytest.mark.parametrize("status", ACTIVE)
@pytest.mark.parametrize(("table", "op"), CASES, ids=CASE_IDS)
def test_open_deal_accepts_the_same_statement(
    raw: sqlite3.Connection, table: str, op: str, status: str
) -> None:
    """The control for the test above: the same statement on an open deal goes through."""
    assert_allowed(raw, attempt(raw, table, op, status))


@pytest.mark.parametrize("status", TERMINAL)
@pytest.mark.parametrize("table", OWN_DATA)
def test_a_row_cannot_be_moved_onto_a_closed_deal(
    raw: sqlite3.Connection, table: str, status: str
) -> None:
    """R-STORE-1 checks the new referral too: re-pointing an open deal's row at a closed deal
    fails, while re-pointing it at another open deal works."""
    rowid = row_with(raw, table, "accepted")
    where_now = f'SELECT referral_id FROM "{table}" WHERE rowid = ?'
    source = _scalar(raw, where_now, rowid)
    row = dict(raw.execute(f'SELECT * FROM "{table}" WHERE rowid = ?', (rowid,)).fetchone())
    room = room_for(raw, table, row)

    def fits(referral_id: str) -> bool:
        return referral_id != source and room(referral_id)

    move = f'UPDATE "{table}" SET referral_id = ? WHERE rowid = ?'
    closed = referral_with(raw, status, fits)
    with pytest.raises(sqlite3.IntegrityError, match=re.escape(guards.CLOSED_DATA)):
        raw.execute(move, (closed, rowid))
    open_deal = referral_with(raw, "accepted", fits)
    raw.execute(move, (open_deal, rowid))
    assert _scalar(raw, where_now, rowid) == open_deal


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
def test_an_open_deal_can_be_closed_and_is_then_frozen(
    raw: sqlite3.Connection, before: str, after: str
) -> None:
    """The guard looks at the stored (old) status: closing a deal is the last change it takes."""
    referral_id = referral_with(raw, before)
    raw.execute(
        "UPDATE referrals SET status = ?, closed_at = '2026-11-27 09:00:00.000000' WHERE id = ?",
        (after, referral_id),
    )
    assert _status(raw, referral_id) == after
    with pytest.raises(sqlite3.IntegrityError, match=re.escape(guards.CLOSED_DEAL)):
        raw.execute("UPDATE referrals SET status = ? WHERE id = ?", (before, referral_id))
    assert _status(raw, referral_id) == after


# --- R-STORE-1: the four exceptions -----------------------------------------------------------


@pytest.mark.parametrize("status", TERMINAL + ACTIVE)
@pytest.mark.parametrize("op", ["update", "delete"])
def test_activity_is_append_only_for_every_deal(
    raw: sqlite3.Connection, op: str, status: str
) -> None:
    """R-STORE-1 / R-AUD-1: activity is never updated or deleted, open deal or closed."""
    rowid = row_with(raw, "activity", status)
    sql = (
        "UPDATE activity SET new = 'rewritten' WHERE rowid = ?"
        if op == "update"
        else "DELETE FROM activity WHERE rowid = ?"
    )
    trial = Attempt(sql, (rowid,), lambda: _row(raw, "activity", rowid))
    assert_refused(raw, trial, guards.APPEND_ONLY)


def test_activity_of_an_engagement_is_append_only_too(raw: sqlite3.Connection) -> None:
    """Entries about the engagement (no referral_id), such as comments, are frozen as well."""
    found = raw.execute("SELECT rowid FROM activity WHERE referral_id IS NULL LIMIT 1").fetchone()
    if found is None:  # the demo logs none: add one (inserts are allowed)
        cursor = raw.execute(
            "INSERT INTO activity (referral_id, engagement_id, user_id, at, action) "
            "VALUES (NULL, NULL, NULL, '2026-11-27 09:00:00.000000', 'note')"
        )
        found = (cursor.lastrowid,)
    rowid = int(found[0])
    observe = lambda: _row(raw, "activity", rowid)  # noqa: E731
    rewrite = Attempt("UPDATE activity SET action = 'x' WHERE rowid = ?", (rowid,), observe)
    assert_refused(raw, rewrite, guards.APPEND_ONLY)
    assert_refused(
        raw, Attempt("DELETE FROM activity WHERE rowid = ?", (rowid,), observe), guards.APPEND_ONLY
    )


@pytest.mark.parametrize("status", TERMINAL)
@pytest.mark.parametrize("table", ["activity", "favorites", "notifications"])
def test_exception_tables_take_new_rows_for_a_closed_deal(
    raw: sqlite3.Connection, table: str, status: str
) -> None:
    """Closing a deal logs it and notifies people; a user may star a closed deal."""
    assert_allowed(raw, insert_attempt(raw, table, status))


@pytest.mark.parametrize("status", TERMINAL)
@pytest.mark.parametrize("table", ["favorites", "notifications"])
def test_exception_tables_drop_rows_of_a_closed_deal(
    raw: sqlite3.Connection, table: str, status: str
) -> None:
    """Un-starring a closed deal and clearing its notifications is allowed."""
    rowid = row_with(raw, table, status)
    if table == "notifications":  # its queued e-mail goes first (the outbox points at it)
        raw.execute(
            "DELETE FROM outbox WHERE notification_id = "
            "(SELECT id FROM notifications WHERE rowid = ?)",
            (rowid,),
        )
    trial = Attempt(
        f'DELETE FROM "{table}" WHERE rowid = ?', (rowid,), lambda: _row(raw, table, rowid)
    )
    assert_allowed(raw, trial)
    assert trial.observe() is None


@pytest.mark.parametrize("status", TERMINAL)
def test_notifications_of_a_closed_deal_can_be_marked_read(
    raw: sqlite3.Connection, status: str
) -> None:
    rowid = row_with(raw, "notifications", status)
    trial = Attempt(
        "UPDATE notifications SET read_at = '2026-11-27 09:00:00.000000' WHERE rowid = ?",
        (rowid,),
        lambda: raw.execute(
            "SELECT read_at FROM notifications WHERE rowid = ?", (rowid,)
        ).fetchone()[0],
    )
    raw.execute("UPDATE notifications SET read_at = NULL WHERE rowid = ?", (rowid,))
    assert_allowed(raw, trial)


def _registration(raw: sqlite3.Connection, status: str) -> int:
    found = raw.execute(
        "SELECT rowid FROM registrations WHERE status = ? ORDER BY rowid LIMIT 1", (status,)
    ).fetchone()
    assert found is not None, f"the demo has no registration in status {status}"
    return int(found[0])


@pytest.mark.parametrize("status", FINAL_REGISTRATION)
@pytest.mark.parametrize("op", ["update", "delete"])
def test_final_registration_is_frozen(raw: sqlite3.Connection, op: str, status: str) -> None:
    """R-STORE-1 / R-REG-3: an approved or rejected registration never changes again."""
    rowid = _registration(raw, status)
    sql = (
        "UPDATE registrations SET status = 'in_review', message = 'reopened' WHERE rowid = ?"
        if op == "update"
        else "DELETE FROM registrations WHERE rowid = ?"
    )
    trial = Attempt(sql, (rowid,), lambda: _row(raw, "registrations", rowid))
    assert_refused(raw, trial, guards.FINAL_REGISTRATION)


@pytest.mark.parametrize("status", OPEN_REGISTRATION)
def test_open_registration_of_a_won_deal_can_change(raw: sqlite3.Connection, status: str) -> None:
    """Registrations are exempt from the closed-deal rule: they follow a won deal."""
    rowid = _registration(raw, status)
    referral_id = raw.execute(
        "SELECT referral_id FROM registrations WHERE rowid = ?", (rowid,)
    ).fetchone()[0]
    assert _status(raw, referral_id) == "won"
    trial = Attempt(
        "UPDATE registrations SET message = 'Please attach the signed contract.', "
        "version = version + 1 WHERE rowid = ?",
        (rowid,),
        lambda: _row(raw, "registrations", rowid),
    )
    assert_allowed(raw, trial)


def test_a_won_deal_can_get_its_registration(raw: sqlite3.Connection) -> None:
    """Registering a won deal inserts a registration for a terminal referral."""
    assert_allowed(raw, insert_attempt(raw, "registrations", "won"))


# --- R-STORE-1 / R-DEAL-9: the shared discussion ----------------------------------------------


def _engagement(raw: sqlite3.Connection, having: str) -> str:
    found = raw.execute(
        "SELECT engagement_id FROM referrals GROUP BY engagement_id "
        f"HAVING {having} ORDER BY engagement_id LIMIT 1"
    ).fetchone()
    assert found is not None, having
    return str(found[0])


def _comment(raw: sqlite3.Connection, engagement_id: str) -> Attempt:
    author = raw.execute(
        "SELECT u.id, u.organization_id FROM users u JOIN referrals r "
        "ON r.organization_id = u.organization_id WHERE r.engagement_id = ? LIMIT 1",
        (engagement_id,),
    ).fetchone()
    return Attempt(
        "INSERT INTO comments (engagement_id, author_user_id, organization_id, body, created_at) "
        "VALUES (?, ?, ?, 'Any news from the customer?', '2026-11-27 09:00:00.000000')",
        (engagement_id, author[0], author[1]),
        lambda: raw.execute(
            "SELECT count(*) FROM comments WHERE engagement_id = ?", (engagement_id,)
        ).fetchone()[0],
    )


def test_no_comment_once_every_party_closed_the_deal(raw: sqlite3.Connection) -> None:
    engagement_id = _engagement(raw, "SUM(status IN ('accepted','received')) = 0")
    assert_refused(raw, _comment(raw, engagement_id), guards.NO_ACTIVE_PARTY)


@pytest.mark.parametrize(
    "having",
    [
        "SUM(status IN ('accepted','received')) = count(*)",
        "SUM(status IN ('accepted','received')) > 0 AND "
        "SUM(status IN ('won','lost','declined','expired')) > 0",
    ],
    ids=["all-parties-open", "one-party-closed-one-open"],
)
def test_comment_while_a_party_is_still_open(raw: sqlite3.Connection, having: str) -> None:
    assert_allowed(raw, _comment(raw, _engagement(raw, having)))


# --- R-STORE-2: concurrent edits -------------------------------------------------------------


def _editable(db: Database) -> tuple[Referral, User]:
    """An accepted referral and a user allowed to edit it."""
    with db.reading() as session:
        people = queries.users(session)
        ids = session.scalars(
            select(ReferralRow.id).where(ReferralRow.status == "accepted").order_by(ReferralRow.id)
        ).all()
        for referral_id in ids:
            referral = queries.referral(session, referral_id)
            for user in people:
                if rights.can_act(user, referral):
                    return referral, user
    raise AssertionError("the demo has no editable accepted referral")


def _form(referral: Referral, name: str, value: Decimal | None = None) -> EditForm:
    return EditForm(
        name=name,
        value=value if value is not None else referral.value,
        currency=referral.currency,
        close_date=referral.close_date,
        notes=referral.notes,
        crm_id=referral.crm_id,
        campaign_id=referral.campaign_id,
    )


@pytest.fixture
def second_window(demo_db: Database, clock: FixedClock) -> Iterator[Database]:
    """Another cosell-tui on the same file (its own engine and connections)."""
    assert demo_db.path is not None
    other = open_database(demo_db.path, clock=clock)
    yield other
    other.dispose()


def test_the_later_of_two_saves_is_refused(demo_db: Database, second_window: Database) -> None:
    """R-STORE-2: both read version v; the first save wins, the second gets a Conflict with a
    clear message and overwrites nothing."""
    referral, user = _editable(demo_db)
    with second_window.reading() as session:
        seen_by_second = queries.referral(session, referral.id)
    assert seen_by_second.version == referral.version

    first = services.edit(
        demo_db, user, referral.id, _form(referral, "First window save"), version=referral.version
    )
    assert first.name == "First window save"
    assert first.version > referral.version

    with pytest.raises(Conflict) as caught:
        services.edit(
            second_window,
            user,
            referral.id,
            _form(seen_by_second, "Second window save", seen_by_second.value + 1),
            version=seen_by_second.version,
        )
    assert "reload" in str(caught.value).lower()

    with second_window.reading() as session:
        stored = queries.referral(session, referral.id)
        log = queries.activity(session, referral.id)
    assert stored.name == "First window save"
    assert stored.value == referral.value
    assert stored.version == first.version
    assert not any("Second window save" in repr(entry) for entry in log)


def test_after_reloading_the_second_window_can_save(
    demo_db: Database, second_window: Database
) -> None:
    """R-STORE-2: the refusal asks for a reload; with the fresh version the save goes through."""
    referral, user = _editable(demo_db)
    services.edit(demo_db, user, referral.id, _form(referral, "First"), version=referral.version)
    with pytest.raises(Conflict):
        services.edit(
            second_window, user, referral.id, _form(referral, "Second"), version=referral.version
        )
    with second_window.reading() as session:
        reloaded = queries.referral(session, referral.id)
    saved = services.edit(
        second_window, user, referral.id, _form(reloaded, "Second"), version=reloaded.version
    )
    assert saved.name == "Second"
    assert saved.version > reloaded.version


def test_the_orm_refuses_a_stale_row(demo_db: Database, second_window: Database) -> None:
    """R-STORE-2 below the services: the UPDATE carries the version it read, so a second
    session holding the old row cannot overwrite the first one's commit."""
    referral, _user = _editable(demo_db)
    with (
        Session(demo_db.engine, expire_on_commit=False) as first,
        Session(second_window.engine, expire_on_commit=False) as second,
    ):
        row_first = first.get(ReferralRow, referral.id)
        first.commit()  # each screen loaded the row and let go of its read snapshot
        row_second = second.get(ReferralRow, referral.id)
        second.commit()
        assert row_first is not None and row_second is not None
        assert row_first.version == row_second.version

        row_first.name = "Saved by the first session"
        row_first.version += 1
        first.commit()

        row_second.name = "Saved by the second session"
        row_second.version += 1
        with pytest.raises(StaleDataError):
            second.commit()
        second.rollback()

    with demo_db.reading() as session:
        stored = queries.referral(session, referral.id)
    assert stored.name == "Saved by the first session"
    assert stored.version == referral.version + 1
