"""Many deals at once (the demo's `--deals N`, `import`): rows written with executemany.

SQLAlchemy's per-value processing was most of the time of a large load, so the rows go
straight to the driver, as SQLite stores them (`stored` for date-times). Every referral goes
in active with its data and the closing UPDATE comes last, so the R-STORE-1 triggers see the
same order of events as the services make (SPEC §3: a terminal deal is built active, then
closed); registrations, exempt from R-STORE-1, go in after the closing.

An import (issue 7) may lift R-STORE-1's insert guards and the tables' indexes for its load
(`Lifted`): inside its own transaction — the guards only while every row it writes belongs to
a referral the same batch inserts active, rows they let through anyway — and puts them back,
word for word, before the transaction commits; a rollback puts them back too (SQLite's DDL is
transactional).

On PostgreSQL (issue 8) the same rows go through psycopg (`_Postgres`), many to a statement; the
guards and indexes stay (a member's login may not drop them, and other sessions write meanwhile),
and row-level security checks every row as for any other write.
"""

from __future__ import annotations

import queue
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import Engine, Table, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from cosell_tui.domain.enums import ACTIVE_STATUSES
from cosell_tui.store.database import Database
from cosell_tui.store.schema import (
    ActivityRow,
    EngagementRow,
    InvitationRow,
    ReferralRow,
    ReferralSolutionRow,
    RegistrationRow,
    StageMarkRow,
    TeamMemberRow,
)

LOAD_CACHE = "PRAGMA cache_size = -262144"  # 256 MiB while loading: indexes stay in memory
POOL_CACHE = "PRAGMA cache_size = -512"  # the pool's usual size (issue 6)


@lru_cache(maxsize=65_536)  # a deal's dates repeat: created, responded, its stage marks
def stored(moment: datetime) -> str:
    """A UTC datetime as SQLAlchemy stores it in SQLite, for rows written past it."""
    moment = moment.astimezone(UTC)
    if moment.year < 1000:  # strftime does not pad the year; isoformat does
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment.replace(tzinfo=None).isoformat(" ", "microseconds")  # 3 times quicker


def _driver(session: Session) -> Any:
    """What the rows are written through, in the session's transaction: SQLite's own
    connection, or psycopg's behind `_Postgres`."""
    session.flush()
    connection = session.connection()
    driver = connection.connection.driver_connection
    assert driver is not None
    if connection.dialect.name == "postgresql":
        return _Postgres(driver)
    return driver


class _Postgres:
    """The part of sqlite3's connection the writers use, over a psycopg connection: `?`
    marks, and the driver's errors raised as SQLAlchemy's (an `IntegrityError` for a refused
    row, as from a session). Strings go to the server untyped, so it reads `stored` date-times
    as the columns' timestamps."""

    MAX_PARAMETERS = 65_535  # PostgreSQL's limit of bound values in one statement

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def getlimit(self, _category: int) -> int:
        return self.MAX_PARAMETERS

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._run(sql, lambda cursor, statement: cursor.execute(statement, params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any:
        return self._run(sql, lambda cursor, statement: cursor.executemany(statement, rows))

    def _run(self, sql: str, run: Callable[[Any, str], Any]) -> Any:
        import psycopg  # noqa: PLC0415  (only here when the database is PostgreSQL)

        statement = sql.replace("?", "%s")
        cursor = self._connection.cursor()
        try:
            run(cursor, statement)
        except psycopg.Error as error:  # (a statement of thousands of rows shown by its head)
            shown = statement if len(statement) <= 300 else statement[:300] + "…"
            raise DBAPIError.instance(shown, None, error, psycopg.Error) from error
        return cursor


def _table(row_class: type[Any]) -> Table:
    return cast(Table, row_class.__table__)


@dataclass
class Batch:
    """Rows of many deals, written together."""

    engagements: list[dict[str, Any]] = field(default_factory=list)
    referrals: list[dict[str, Any]] = field(default_factory=list)
    team: list[dict[str, Any]] = field(default_factory=list)
    solutions: list[dict[str, Any]] = field(default_factory=list)
    marks: list[dict[str, Any]] = field(default_factory=list)
    invitations: list[dict[str, Any]] = field(default_factory=list)
    activity: list[dict[str, Any]] = field(default_factory=list)
    closing: list[dict[str, Any]] = field(default_factory=list)
    registrations: list[dict[str, Any]] = field(default_factory=list)
    # On PostgreSQL, the organization whose referrals go in first, in a statement of their own:
    # row-level security lets another organization's referral into an engagement only once
    # the writer's own is there (store/isolation.py), and a statement does not see its own rows.
    leading: int | None = None

    def write(self, db: Database) -> None:
        with db.transaction() as session:
            self.write_in(session)

    def write_in(self, session: Session) -> None:
        """Into the session's transaction (after what the session already flushed)."""
        cursor = _driver(session)
        if isinstance(cursor, _Postgres):
            self.write_rows(cursor)
            return
        cursor.execute(LOAD_CACHE)
        try:
            self.write_rows(cursor)
        finally:
            cursor.execute(POOL_CACHE)

    def only_fresh(self) -> bool:
        """Whether every row of a referral's own data belongs to a referral this batch
        inserts, and inserts active: rows R-STORE-1's insert guards always let through."""
        fresh = {row["id"] for row in self.referrals if row["status"] in _ACTIVE}
        return all(
            row["referral_id"] in fresh
            for rows in (self.team, self.solutions, self.marks, self.invitations)
            for row in rows
        )

    def write_rows(self, cursor: Any, *, at_once: bool = False) -> None:
        """Every row, through the driver's connection (in its open transaction). `at_once`
        puts up to 2 048 rows in one statement (`_at_once`), for a writer thread; on
        PostgreSQL, where every statement is a round trip to the server, always."""
        postgres = isinstance(cursor, _Postgres)
        insert = _at_once if at_once or postgres else _one_by_one
        referrals = [self.referrals]
        if postgres and self.leading is not None:
            first = [row for row in self.referrals if row["organization_id"] == self.leading]
            rest = [row for row in self.referrals if row["organization_id"] != self.leading]
            referrals = [first, rest]
        for row_class, rows in (
            (EngagementRow, self.engagements),
            *((ReferralRow, part) for part in referrals),
            (TeamMemberRow, self.team),
            (ReferralSolutionRow, self.solutions),
            (StageMarkRow, self.marks),
            (InvitationRow, self.invitations),
            (ActivityRow, self.activity),
        ):
            if rows:
                columns = list(rows[0])
                head = f"INSERT INTO {_table(row_class).name} ({', '.join(columns)}) VALUES "
                insert(cursor, head, "", len(columns), map(_values(columns), rows))
        if self.closing:
            closing = [
                (c["rid"], c["status"], c["stage"], c["closed_at"], c["reason"], c.get("notes"))
                for c in self.closing
            ]
            if at_once and not postgres:  # (its VALUES would be text, not timestamps)
                _at_once(cursor, _CLOSING_FROM, _CLOSING_TAIL, 6, closing)
            else:
                cursor.executemany(_CLOSE_ONE, [(*c[1:], c[0]) for c in closing])
        if self.registrations:
            columns = list(self.registrations[0])
            head = f"INSERT INTO {_table(RegistrationRow).name} ({', '.join(columns)}) VALUES "
            insert(cursor, head, "", len(columns), map(_values(columns), self.registrations))


_CLOSE_ONE = (
    "UPDATE referrals SET status = ?, stage = ?, closed_at = ?, closing_reason = ?, "
    "closing_notes = ?, version = version + 1 WHERE id = ?"
)
_CLOSING_FROM = "WITH closing (rid, status, stage, closed_at, reason, notes) AS (VALUES "
_CLOSING_TAIL = (
    ") UPDATE referrals SET status = closing.status, stage = closing.stage, "
    "closed_at = closing.closed_at, closing_reason = closing.reason, "
    "closing_notes = closing.notes, version = version + 1 "
    "FROM closing WHERE referrals.id = closing.rid"
)
AT_ONCE = 2048  # rows in one statement at most
SWITCH_INTERVAL = 0.0005  # s, while a writer thread runs (BackgroundWriter)


def _values(columns: list[str]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    if len(columns) == 1:
        return lambda row: (row[columns[0]],)
    return itemgetter(*columns)


def _one_by_one(
    cursor: Any, head: str, tail: str, width: int, rows: Iterable[Sequence[Any]]
) -> None:
    cursor.executemany(f"{head}({', '.join('?' * width)}){tail}", rows)


def _at_once(cursor: Any, head: str, tail: str, width: int, rows: Iterable[Sequence[Any]]) -> None:
    """Rows many to a statement: SQLite releases the GIL while a statement runs, and a thread
    that takes it back for every row waits behind a busy main thread (up to 5 ms a row, the
    switch interval); in 2 048-row statements it waits once per statement. Statement sizes
    are powers of two, so the few shapes stay in the driver's statement cache (preparing
    one costs 20 times as much as running it)."""
    values = list(chain.from_iterable(rows))
    count = len(values) // width
    limit = cursor.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width
    size = 1 << (max(1, min(AT_ONCE, limit)).bit_length() - 1)
    one = f"({', '.join('?' * width)})"
    done = 0
    while done < count:
        while size > count - done:
            size >>= 1
        cursor.execute(
            f"{head}{', '.join([one] * size)}{tail}",
            values[done * width : (done + size) * width],
        )
        done += size


_ACTIVE = frozenset(status.value for status in ACTIVE_STATUSES)
_FILLED = tuple(
    _table(row).name
    for row in (
        EngagementRow,
        ReferralRow,
        TeamMemberRow,
        ReferralSolutionRow,
        StageMarkRow,
        InvitationRow,
        ActivityRow,
        RegistrationRow,
    )
)
# the tables of a referral's own data that a batch fills (guards.py names their guards)
_GUARDED = tuple(_table(row).name for row in (TeamMemberRow, ReferralSolutionRow, StageMarkRow))
_GUARDED += (_table(InvitationRow).name,)


class Lifted:
    """Parts of the schema a large load does without, dropped inside the caller's open
    transaction and put back word for word by `restore` — or by the transaction's rollback.

    - `guards`: R-STORE-1's insert guards on a referral's own data (guards.py). Each costs a
      look-up of the referral per row; a batch `only_fresh` holds rows they let through anyway.
    - `indexes`: the tables' CREATE INDEX indexes (not those of a key), built again at the
      end from their rows instead of row by row — worth it when the load is at least as large
      as what the tables hold (a restore into a fresh database), not otherwise. A unique one
      then refuses a duplicate when it is built, with the same error as an INSERT would, and
      the transaction is rolled back as after any refused row. All of them are built again in
      their order, so each table lists its indexes as before (the query planner weighs them
      in that order); their statistics (sqlite_stat1), if any, are put back too.
    """

    def __init__(self, cursor: Any, *, guards: bool, indexes: bool) -> None:
        self._guards: list[tuple[str, str]] = []
        self._indexes: list[tuple[str, str]] = []
        self._stats: list[tuple[str, str, str]] = []
        if guards:
            marks = ", ".join("?" for _ in _GUARDED)
            self._guards = cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                f"AND name = 'guard_' || tbl_name || '_insert' AND tbl_name IN ({marks}) "
                "ORDER BY rowid",
                _GUARDED,
            ).fetchall()
        if indexes:
            marks = ", ".join("?" for _ in _FILLED)
            self._indexes = cursor.execute(
                "SELECT m.name, m.sql FROM sqlite_master m "
                "JOIN pragma_index_list(m.tbl_name) i ON i.name = m.name "
                f"WHERE m.type = 'index' AND m.tbl_name IN ({marks}) "
                "AND i.origin = 'c' ORDER BY m.rowid",
                _FILLED,
            ).fetchall()
            if (
                self._indexes
                and cursor.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
                ).fetchone()
            ):
                names = [name for name, _ in self._indexes]
                self._stats = cursor.execute(
                    "SELECT tbl, idx, stat FROM sqlite_stat1 "
                    f"WHERE idx IN ({', '.join('?' for _ in names)})",
                    names,
                ).fetchall()
        for name, _ in self._guards:
            cursor.execute(f'DROP TRIGGER "{name}"')
        for name, _ in self._indexes:
            cursor.execute(f'DROP INDEX "{name}"')

    def restore_guards(self, cursor: Any) -> None:
        guards, self._guards = self._guards, []
        for _, sql in guards:
            cursor.execute(sql)

    def restore(self, cursor: Any) -> None:
        indexes, self._indexes = self._indexes, []
        for _, sql in indexes:
            cursor.execute(sql)
        stats, self._stats = self._stats, []
        if stats:
            cursor.executemany("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", stats)
        self.restore_guards(cursor)

    def restore_quietly(self, cursor: Any) -> None:
        """After a failure: the guards first, then the indexes, as far as the connection
        still takes them (the caller rolls back, which puts back all of it anyway)."""
        with suppress(sqlite3.Error, DBAPIError):
            self.restore_guards(cursor)
        with suppress(sqlite3.Error, DBAPIError):
            self.restore(cursor)


@contextmanager
def large_cache(engine: Engine) -> Iterator[None]:
    """Every SQLite connection the pool hands out meanwhile gets the loading cache, and its
    usual size back when returned: a load, and the index rebuild after it in a transaction of
    its own (`search.bulk_loading`), keep their indexes in memory."""
    if engine.dialect.name != "sqlite":
        yield
        return

    def checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        dbapi_connection.execute(LOAD_CACHE)

    def checkin(dbapi_connection: Any, _record: Any) -> None:
        if dbapi_connection is not None:
            with suppress(sqlite3.Error):
                dbapi_connection.execute(POOL_CACHE)

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)
    try:
        yield
    finally:
        event.remove(engine, "checkout", checkout)
        event.remove(engine, "checkin", checkin)


class BackgroundWriter:
    """Writes batches from a thread while the caller builds the next one: SQLite releases the
    GIL while it works, so building rows and inserting them overlap (issue 7: an import of
    100 000 records). One batch at a time, in order, in the session's open transaction.

    The connection is the session's: whoever else uses the session while a batch is being
    written calls `wait()` first. `close()` waits for the last batch and raises its error.
    With `lift_guards` and `lift_indexes`, those parts of the schema are lifted (`Lifted`)
    and put back by `close()` (the guards before any batch that is not `only_fresh`); the
    caller rolls back after any failure.
    """

    def __init__(
        self, session: Session, *, lift_guards: bool = False, lift_indexes: bool = False
    ) -> None:
        self._cursor = _driver(session)
        self._lifted = Lifted(self._cursor, guards=lift_guards, indexes=lift_indexes)
        self._queue: queue.Queue[Batch | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="import-writer", daemon=True)
        # The writer takes the GIL back after each statement; a busy caller would hold it up to
        # the switch interval (5 ms) every time: 0.5 ms while writing.
        self._interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._interval, SWITCH_INTERVAL))
        self._thread.start()

    def _run(self) -> None:
        while True:
            batch = self._queue.get()
            try:
                if batch is None:
                    return
                if self._error is None:
                    if not batch.only_fresh():
                        self._lifted.restore_guards(self._cursor)
                    batch.write_rows(self._cursor, at_once=True)
            except BaseException as error:  # handed to the caller by wait() or close()
                self._error = error
            finally:
                self._queue.task_done()

    def put(self, batch: Batch) -> None:
        self._check()
        self._queue.put(batch)

    def wait(self) -> None:
        """Until every batch handed over is written (the connection is free)."""
        self._queue.join()
        self._check()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        sys.setswitchinterval(self._interval)
        self._check()
        self._lifted.restore(self._cursor)

    def close_quietly(self) -> None:
        """Stop after a failure elsewhere; that failure is the one to raise. (The caller rolls
        back, which puts what was lifted back; it is put back here too, as far as the
        connection still takes it, so that no caller can commit without it.)"""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        sys.setswitchinterval(self._interval)
        self._lifted.restore_quietly(self._cursor)

    def _check(self) -> None:
        if self._error is not None:
            raise self._error
