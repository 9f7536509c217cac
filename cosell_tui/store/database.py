"""Opening a database: the injected engine, its pragmas, and migrations (R-STORE-3)."""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from cosell_tui.clock import Clock, SystemClock

# The newest schema this code knows; tests check it matches the migrations' head, so opening an
# up-to-date database never has to import Alembic.
SCHEMA_HEAD = "0005"
BUSY_TIMEOUT_MS = 5000
CONNECT_TIMEOUT_S = 10


class StoreError(Exception):
    """The database cannot be used; `str(error)` is one sentence for the user."""


def random_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Database:
    """Everything the services need to reach the data: engine, clock and id source."""

    engine: Engine
    clock: Clock = field(default_factory=SystemClock)
    new_id: Callable[[], str] = random_id
    _writers: sessionmaker[Session] = field(init=False)
    _readers: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        writing = self.engine.execution_options(writing=True)
        self._writers = sessionmaker(writing, expire_on_commit=False)
        self._readers = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work that writes: committed on success, rolled back on any error."""
        with self._writers.begin() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A consistent read (one snapshot) that never takes the write lock."""
        with self._readers.begin() as session:
            yield session

    @property
    def path(self) -> Path | None:
        return sqlite_path(self.engine.url)

    def dispose(self) -> None:
        self.engine.dispose()


# R-ACL-4: on a shared PostgreSQL database the signed-in user is the database login. Members of
# this role (and superusers) administer the app: they may act as anyone (--as, switch user).
APP_ADMIN_ROLE = "cosell_admin"


@dataclass(frozen=True)
class Login:
    """Who a PostgreSQL connection logs in as."""

    name: str
    app_admin: bool


def login_of(db: Database) -> Login | None:
    """The database login and whether it administers the app; None for an SQLite file, which
    has no logins (whoever may open the file is trusted, and `--as` picks the user)."""
    if db.engine.dialect.name != "postgresql":
        return None
    with db.engine.connect() as connection:
        name, admin = connection.execute(
            text(
                "SELECT session_user, r.rolsuper OR CASE WHEN EXISTS "
                "(SELECT 1 FROM pg_roles WHERE rolname = :admin) "
                "THEN pg_has_role(session_user, :admin, 'MEMBER') ELSE false END "
                "FROM pg_roles r WHERE r.rolname = session_user"
            ),
            {"admin": APP_ADMIN_ROLE},
        ).one()
    return Login(str(name), bool(admin))


def to_url(target: str | Path) -> URL:
    """`--db` accepts a file path or an SQLAlchemy URL (SPEC §10)."""
    text_target = str(target)
    if "://" in text_target:
        try:
            return make_url(text_target)
        except ArgumentError:
            raise StoreError(f"“{text_target}” is not a valid database URL.") from None
    return URL.create("sqlite", database=str(Path(text_target).expanduser()))


def sqlite_path(url: URL) -> Path | None:
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def _casefold(value: object) -> str | None:
    return value.casefold() if isinstance(value, str) else None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy manage transactions; pysqlite's own BEGIN handling would defer them.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA journal_mode = WAL")
    # 512 KiB of page cache per pooled connection, not 2 MiB: the lists read from covering
    # indexes and the OS caches the file; 6.5 MB less memory, the same query times (issue 6).
    cursor.execute("PRAGMA cache_size = -512")
    # SQLite's lower() folds ASCII only; search folds like Python so "élan" finds "Élan".
    dbapi_connection.create_function("casefold", 1, _casefold, deterministic=True)
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # A writing transaction takes the lock up front (BEGIN IMMEDIATE), so busy_timeout applies
    # instead of a deadlock error halfway through; readers begin deferred and never block.
    if connection.get_execution_options().get("writing"):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


def _postgresql_session(dbapi_connection: Any, _record: Any) -> None:
    # Times are stored as UTC wall-clock values, as in SQLite; the server's zone must not move them.
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
    dbapi_connection.commit()


def make_engine(url: URL) -> Engine:
    backend = url.get_backend_name()
    if backend == "postgresql":
        if url.get_driver_name() not in ("psycopg", "psycopg2", ""):
            raise StoreError(
                f"cosell-tui reaches PostgreSQL through psycopg: use postgresql+psycopg://, "
                f"not {url.drivername}://."
            )
        # Always psycopg 3, whatever the URL names (SPEC §10 takes an SQLAlchemy URL).
        engine = create_engine(
            url.set(drivername="postgresql+psycopg"),
            pool_pre_ping=True,
            connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "cosell-tui"},
        )
        event.listen(engine, "connect", _postgresql_session)
        return engine
    if backend != "sqlite":
        raise StoreError(f"cosell-tui works with SQLite and PostgreSQL databases, not {backend}.")
    engine = create_engine(url)
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _check_location(path: Path) -> None:
    parent = path.parent
    for ancestor in (parent, *parent.parents):
        if ancestor.exists() and not ancestor.is_dir():
            raise StoreError(f"Cannot use {path}: {ancestor} is a file, not a folder.")
    if path.exists() and path.is_dir():
        raise StoreError(f"Cannot use {path}: it is a folder, not a database file.")


def current_revision(engine: Engine) -> str | None:
    """The schema revision stamped in the database, or None for an empty one."""
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        if "alembic_version" in tables:
            row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
            return None if row is None else str(row[0])
        if tables:
            raise StoreError("it holds tables of another program, not a cosell-tui database")
        return None


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config  # noqa: PLC0415  only needed when a migration runs

    config = Config()
    config.set_main_option("script_location", "cosell_tui.store:migrations")
    config.attributes["connection"] = connection
    return config


def known_revisions() -> list[str]:
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    script = ScriptDirectory.from_config(_alembic_config(None))
    return [rev.revision for rev in script.walk_revisions()]


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command  # noqa: PLC0415

    with engine.connect() as connection:
        command.upgrade(_alembic_config(connection), revision)
        connection.commit()


def reset(engine: Engine) -> None:
    """Every table and guard dropped (migrations down to nothing), then the schema anew."""
    from alembic import command  # noqa: PLC0415

    with engine.connect() as connection:
        command.downgrade(_alembic_config(connection), "base")
        connection.commit()
    upgrade(engine)


def backup(path: Path, revision: str, clock: Clock) -> Path:
    """A consistent copy (SQLite's backup API, WAL included) beside the database."""
    stamp = clock.now().strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.{revision}-{stamp}.bak")
    source = sqlite3.connect(path)
    try:
        destination = sqlite3.connect(target)
        with destination:
            source.backup(destination)
        destination.close()
    finally:
        source.close()
    if not target.exists():  # pragma: no cover - sqlite3 raises first
        shutil.copy2(path, target)
    return target


def open_database(
    target: str | Path,
    *,
    clock: Clock | None = None,
    new_id: Callable[[], str] = random_id,
    create: bool = True,
) -> Database:
    """Open (and create or upgrade) a database; every user-caused failure is a StoreError."""
    url = to_url(target)
    path = sqlite_path(url)
    if path is not None:
        _check_location(path)
        if not path.exists() and not create:
            raise StoreError(f"There is no database at {path}.")
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    where = str(path) if path is not None else url.render_as_string(hide_password=True)
    clock = clock or SystemClock()
    try:
        revision = current_revision(engine)
        if revision != SCHEMA_HEAD:
            if revision is not None and revision not in known_revisions():
                raise StoreError(
                    f"{where} was written by a newer cosell-tui (schema {revision}); "
                    "upgrade cosell-tui to open it."
                )
            if revision is not None and path is not None:
                backup(path, revision, clock)
            try:
                upgrade(engine)
            except DBAPIError as error:
                if path is None and _not_permitted(error):  # a member's PostgreSQL login
                    raise StoreError(
                        f"{where} needs the schema of this cosell-tui ({SCHEMA_HEAD}); its owner "
                        "upgrades it by starting this version once (docs/deploy.md)."
                    ) from None
                raise
        database = Database(engine, clock, new_id)
        _heal(database)
    except StoreError as error:
        engine.dispose()
        if str(error).startswith(where):
            raise
        raise StoreError(f"Cannot use {where}: {error}.") from None
    except OperationalError as error:
        engine.dispose()
        raise StoreError(f"Cannot open {where}: {_sqlite_reason(error)}.") from None
    except DatabaseError as error:
        engine.dispose()
        raise StoreError(
            f"Cannot open {where}: {_sqlite_reason(error)} (is it a cosell-tui database?)."
        ) from None
    return database


def _heal(database: Database) -> None:
    """Indexes that triggers keep current are whole again after a crash (one look at
    sqlite_master when they are)."""
    from cosell_tui.store import search  # noqa: PLC0415  keeps `import database` light

    search.heal(database)


# What psycopg says when a connection fails, and our sentence for it (R-STORE-4).
_POSTGRESQL_REASONS = (
    ("password authentication failed", "the server refused that user name or password"),
    ("no password supplied", "the server wants a password, and the URL gives none"),
    ("does not exist", "{detail}"),
    ("no pg_hba.conf entry", "the server does not accept this login from this machine"),
    ("Connection refused", "nothing answers at that address (is the server running?)"),
    ("timeout expired", "the server did not answer in time"),
    ("could not translate host name", "that host name is unknown"),
    ("failed to resolve host", "that host name is unknown"),
    ("server closed the connection", "the server closed the connection"),
    ("the database system is starting up", "the server is starting up; try again in a moment"),
    ("the database system is shutting down", "the server is shutting down"),
    ("terminating connection", "the server ended the connection"),
    ("is not currently accepting connections", "the database is not accepting connections"),
    ("connection is closed", "the connection to the server was lost"),
    ("connection is lost", "the connection to the server was lost"),
    ("consuming input failed", "the connection to the server was lost"),
)


def postgresql_reason(text_of_error: str) -> str | None:
    """One clause for a PostgreSQL connection failure, or None if it is not one."""
    for marker, reason in _POSTGRESQL_REASONS:
        if marker in text_of_error:
            if reason == "{detail}":
                detail = text_of_error.split("FATAL:", 1)[-1].strip().splitlines()[0]
                return detail.replace('"', "“", 1).replace('"', "”", 1)
            return reason
    return None


def _sqlite_reason(error: DatabaseError) -> str:
    reason = str(error.orig) if error.orig is not None else str(error)
    pg = postgresql_reason(reason)
    if pg is not None:
        return pg
    if "locked" in reason or "busy" in reason:
        return "the database is busy (another program is writing to it); try again"
    return reason


def _not_permitted(error: DBAPIError) -> bool:
    reason = str(error.orig) if error.orig is not None else str(error)
    return "permission denied" in reason or "must be owner" in reason


def unreachable_reason(error: object) -> str | None:
    """The clause for a database server out of reach (down, restarting, the connection cut),
    or None for anything else; the engine reconnects by itself once it answers (pre-ping)."""
    if not isinstance(error, DBAPIError) or not (
        isinstance(error, OperationalError) or error.connection_invalidated
    ):
        return None
    return postgresql_reason(str(error.orig) if error.orig is not None else str(error))


def busy_reason(error: object) -> str | None:
    """The sentence for a database another program holds locked, or None for anything else."""
    if isinstance(error, OperationalError):
        reason = _sqlite_reason(error)
        if reason.startswith("the database is busy"):
            return reason
    return None
