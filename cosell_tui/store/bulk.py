"""Many deals at once (the demo's `--deals N`, `import`): rows written with executemany.

SQLAlchemy's per-value processing was most of the time of a large load, so the rows go
straight to the driver, as SQLite stores them (`stored` for date-times). Every referral goes
in active with its data and the closing UPDATE comes last, so the R-STORE-1 triggers see the
same order of events as the services make (SPEC §3: a terminal deal is built active, then
closed); registrations, exempt from R-STORE-1, go in after the closing.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

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


@lru_cache(maxsize=4096)  # a deal's dates repeat: created, responded, its first stage mark
def stored(moment: datetime) -> str:
    """A UTC datetime as SQLAlchemy stores it in SQLite, for rows written past it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _driver(session: Session) -> Any:
    session.flush()
    cursor = session.connection().connection.driver_connection
    assert cursor is not None
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

    def write(self, db: Database) -> None:
        with db.transaction() as session:
            self.write_in(session)

    def write_in(self, session: Session) -> None:
        """Into the session's transaction (after what the session already flushed)."""
        cursor = _driver(session)
        cursor.execute("PRAGMA cache_size = -262144")  # 256 MiB: indexes stay in memory
        try:
            self.write_rows(cursor)
        finally:
            cursor.execute("PRAGMA cache_size = -512")  # the pool's usual size (issue 6)

    def write_rows(self, cursor: Any) -> None:
        """Every row, through the driver's connection (in its open transaction)."""
        for row_class, rows in (
            (EngagementRow, self.engagements),
            (ReferralRow, self.referrals),
            (TeamMemberRow, self.team),
            (ReferralSolutionRow, self.solutions),
            (StageMarkRow, self.marks),
            (InvitationRow, self.invitations),
            (ActivityRow, self.activity),
        ):
            self._insert(cursor, row_class, rows)
        cursor.executemany(
            "UPDATE referrals SET status = ?, stage = ?, closed_at = ?, closing_reason = ?, "
            "closing_notes = ?, version = version + 1 WHERE id = ?",
            [
                (c["status"], c["stage"], c["closed_at"], c["reason"], c.get("notes"), c["rid"])
                for c in self.closing
            ],
        )
        self._insert(cursor, RegistrationRow, self.registrations)

    @staticmethod
    def _insert(cursor: Any, row_class: type[Any], rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        columns = list(rows[0])
        cursor.executemany(
            f"INSERT INTO {_table(row_class).name} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})",
            [tuple(row[c] for c in columns) for row in rows],
        )


class BackgroundWriter:
    """Writes batches from a thread while the caller builds the next one: SQLite releases the
    GIL while it works, so building rows and inserting them overlap (issue 7: an import of
    100 000 records). One batch at a time, in order, in the session's open transaction.

    The connection is the session's: whoever else uses the session while a batch is being
    written calls `wait()` first. `close()` waits for the last batch and raises its error.
    """

    def __init__(self, session: Session) -> None:
        self._cursor = _driver(session)
        self._cursor.execute("PRAGMA cache_size = -262144")
        self._queue: queue.Queue[Batch | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="import-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            batch = self._queue.get()
            try:
                if batch is None:
                    return
                if self._error is None:
                    batch.write_rows(self._cursor)
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
        try:
            self._cursor.execute("PRAGMA cache_size = -512")
        finally:
            self._check()

    def close_quietly(self) -> None:
        """Stop after a failure elsewhere; that failure is the one to raise."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def _check(self) -> None:
        if self._error is not None:
            raise self._error
