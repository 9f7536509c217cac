"""The list in view at launch, read before SQLAlchemy has loaded (issue 6).

Opening the store imports SQLAlchemy, the schema and the pydantic models: about a second on a
small machine, while the query for a page takes 2 ms. So the opener first `peek`s with the
stdlib's sqlite3: when the database is an SQLite file of this very schema, its list index is
whole and the user is found, an `EarlySource` answers each tab's first list (active deals, the
tab's sort, no filter) with the very statements `store.lists` runs (compiled into `early_sql`;
tests compare both). Anything else — another query, a deal's place in a list — waits until
the app `hand_over`s the real source. Anything unexpected and there is no peek: the usual open
follows and says what is wrong.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from cosell_tui.clock import Clock
from cosell_tui.domain.enums import ADMIN_ROLES, DealType, Direction, Stage, Status
from cosell_tui.domain.listing import DealQuery, ListRow, Tab, Viewer, first_query
from cosell_tui.store.early_sql import LIST_OBJECTS, SCHEMA_HEAD, STATEMENTS

_CENT = Decimal("0.01")


class Source(Protocol):
    """What a deal list asks of its source (`widgets.deal_list.DealSource`)."""

    def count(self, query: DealQuery) -> int: ...

    def page(self, query: DealQuery, offset: int, limit: int) -> Any: ...

    def position(self, query: DealQuery, referral_id: str) -> int | None: ...


class Closed(Exception):
    """The database did not open after all (the app says why and ends)."""


def peek(target: str, email: str | None, clock: Clock) -> EarlySource | None:
    """An early source for the database at `target` signed in as `email` (or as the default
    user), or None when only the full open can tell (not a plain SQLite file, another schema,
    no such user, a damaged list index, any SQLite error)."""
    if "://" in target:
        return None
    path = Path(target).expanduser()
    try:
        if not path.is_file():
            return None
        connection = sqlite3.connect(
            f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, check_same_thread=False
        )
    except (OSError, sqlite3.Error):
        return None
    try:
        user = _usable(connection, email)
    except sqlite3.Error:
        user = None
    if user is None:
        connection.close()
        return None
    return EarlySource(connection, user, clock)


def _usable(connection: sqlite3.Connection, email: str | None) -> dict[str, Any] | None:
    names = {name for (name,) in connection.execute("SELECT name FROM sqlite_master")}
    if "alembic_version" not in names or not set(LIST_OBJECTS) <= names:
        return None
    if connection.execute("SELECT version_num FROM alembic_version").fetchall() != [(SCHEMA_HEAD,)]:
        return None
    columns = "id, organization_id, email, role, scope_location_id"
    if email:
        found = connection.execute(
            f"SELECT {columns} FROM users WHERE email = ?", (email.strip().lower(),)
        ).fetchone()
    else:  # the default user (SPEC §10, `queries.first_admin`)
        admins = [
            row
            for row in connection.execute(f"SELECT {columns} FROM users ORDER BY id")
            if row[3] in ADMIN_ROLES
        ]
        found = min(admins, key=lambda row: (ADMIN_ROLES.index(row[3]), row[0])) if admins else None
    if found is None:
        return None
    user_id, organization, user_email, role, scope = found
    return {
        "user": user_id,
        "organization": organization,
        "email": user_email,
        "scope": scope,
        "viewer": Viewer.of(role, scope).value,
    }


def _row(row: tuple[Any, ...]) -> ListRow:
    deadline = row[10]
    return ListRow(
        id=row[0],
        name=row[1],
        customer=row[2],
        deal_type=DealType(row[3]),
        status=Status(row[4]),
        stage=Stage(row[5]),
        value=(Decimal(row[6]) * _CENT).quantize(_CENT),
        currency=row[7],
        close_date=date.fromisoformat(row[8]),
        direction=Direction(row[9]),
        response_deadline=None
        if deadline is None
        else datetime.fromisoformat(deadline).replace(tzinfo=UTC),
        favorite=bool(row[11]),
    )


class EarlySource:
    """Each tab's first list straight from SQLite; the rest from the real source once open."""

    def __init__(self, connection: sqlite3.Connection, user: dict[str, Any], clock: Clock):
        self._connection = connection
        self._lock = threading.Lock()  # one connection, several list workers
        self._viewer = user.pop("viewer")
        self._params = user
        self._clock = clock
        self._first = {first_query(tab): tab for tab in Tab}
        self._real: Source | None = None
        self._closed = False
        self._ready = threading.Event()

    # --- what the lists ask ----------------------------------------------------------------

    def count(self, query: DealQuery) -> int:
        tab = self._first.get(query)
        rows = None if tab is None else self._run(f"{self._viewer}/{tab}/count", {})
        if rows is None:
            return self._wait().count(query)
        if len(rows) == 1 and len(rows[0]) == 1:
            return int(rows[0][0])
        return sum(int(deals or 0) for _, _, deals, _ in rows)  # deal_list_totals' groups

    def page(self, query: DealQuery, offset: int, limit: int) -> list[ListRow]:
        tab = self._first.get(query)
        extra = {"offset": offset, "limit": limit}
        found = None if tab is None else self._run(f"{self._viewer}/{tab}/page", extra)
        if found is None:
            return self._wait().page(query, offset, limit)  # type: ignore[no-any-return]
        return [_row(row) for row in found]

    def position(self, query: DealQuery, referral_id: str) -> int | None:
        return self._wait().position(query, referral_id)

    def today(self) -> date:
        return self._clock.now().date()

    def now(self) -> datetime:
        return self._clock.now()

    # --- the app's side --------------------------------------------------------------------

    def answers(self, query: DealQuery) -> bool:
        """Whether this source reads `query` itself (else it waits for the store)."""
        return query in self._first

    def hand_over(self, real: Source | None) -> None:
        """The database is open (`real`), or did not open (None): close the early read."""
        self._real = real
        with self._lock:
            self._closed = True
            self._connection.close()
        self._ready.set()

    def _wait(self) -> Source:
        self._ready.wait()
        if self._real is None:
            raise Closed("The database did not open.")
        return self._real

    def _run(self, key: str, extra: dict[str, Any]) -> list[tuple[Any, ...]] | None:
        """The rows of one early statement, or None once handed over (ask the real source)."""
        sql, fixed = STATEMENTS[key]
        with self._lock:
            if self._closed:
                return None
            return self._connection.execute(sql, fixed | self._params | extra).fetchall()
