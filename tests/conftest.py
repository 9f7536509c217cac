"""Shared fixtures: every test gets its own database file (the engine is injected, STYLE rule 3)."""

from __future__ import annotations

import asyncio
import gc
import inspect
import itertools
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from cosell_tui.clock import FixedClock
from cosell_tui.demo import build_demo
from cosell_tui.domain.models import User
from cosell_tui.store import queries
from cosell_tui.store.database import Database, open_database
from tests import postgres

TODAY = date(2026, 11, 27)
SEED = 1

# Under xdist the controller builds the demo template once, in a thread, while the workers
# collect; they copy it (a build is several seconds of CPU, and the suite is CPU-bound).
TEMPLATE_ENV = "COSELL_TEST_DEMO_TEMPLATE"  # COSELL_*: the CLI and tmux tests drop it
TEMPLATE_WAIT = 600  # seconds; past it a worker builds its own


def build_demo_template(path: Path) -> None:
    """The scripted demo (seed 1, 2026-11-27) at `path`, checkpointed into one file."""
    database = open_database(path, clock=FixedClock.on(TODAY))
    build_demo(database, seed=SEED, today=TODAY)
    with database.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()


# PostgreSQL (issue 8): one throwaway server for the run, started by the xdist controller (or the
# lone process) beside the demo build; its template databases hold the migrated schema and the
# demo, and every test that runs on PostgreSQL gets a copy of one of them.
PG_ENV = "COSELL_TEST_POSTGRES"  # the server's address as JSON, for the workers
PG_EMPTY, PG_DEMO = "template_empty", "template_demo"
BACKENDS = ("sqlite", "postgresql")


def start_postgres() -> postgres.Server:
    server = postgres.start()
    try:
        postgres.execute(server, f"CREATE DATABASE {PG_EMPTY}", f"CREATE DATABASE {PG_DEMO}")
        open_database(server.url(PG_EMPTY), clock=FixedClock.on(TODAY)).dispose()
        database = open_database(server.url(PG_DEMO), clock=FixedClock.on(TODAY))
        build_demo(database, seed=SEED, today=TODAY)
        database.dispose()
    except BaseException:
        server.stop()
        raise
    return server


def _server_from_env(value: str) -> postgres.Server:
    fields = json.loads(value)
    return postgres.Server(
        Path(fields["folder"]), fields["port"], fields["password"], Path(fields["bin"])
    )


def _server_to_env(server: postgres.Server) -> str:
    return json.dumps(
        {
            "folder": str(server.folder),
            "port": server.port,
            "password": server.password,
            "bin": str(server.bin),
        }
    )


def _postgres_for_workers(folder: Path, started: list[postgres.Server]) -> None:
    marker = folder / "postgres.json"
    try:
        started.append(start_postgres())
    except BaseException as error:
        marker.with_suffix(".failed").write_text(str(error))
        raise
    marker.write_text(_server_to_env(started[0]))
    marker.with_suffix(".ready").touch()


def _stop_postgres(thread: threading.Thread, started: list[postgres.Server]) -> None:
    thread.join(timeout=TEMPLATE_WAIT)  # a short run may end while the server still starts
    for server in started:
        server.stop()


def _build_for_workers(path: Path) -> None:
    try:
        build_demo_template(path)
    except BaseException:
        path.with_suffix(".failed").touch()
        raise
    path.with_suffix(".ready").touch()


# Textual allocates many short-lived objects: Python's default young-generation threshold (700)
# ran a collection every few keys, about a tenth of the suite's CPU. The app's own memory tests
# collect explicitly; the cycles a test leaves are still collected, only less often.
GC_THRESHOLDS = (100_000, 50, 100)


def pytest_configure(config: pytest.Config) -> None:
    gc.set_threshold(*GC_THRESHOLDS)
    running_workers = config.getoption("numprocesses", None) and not hasattr(config, "workerinput")
    if running_workers and not config.getoption("collectonly"):
        folder = Path(tempfile.mkdtemp(prefix="cosell-tests-"))
        os.environ[TEMPLATE_ENV] = str(folder / "demo.db")
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
        build = threading.Thread(target=_build_for_workers, args=(folder / "demo.db",))
        build.daemon = True
        build.start()
        os.environ[PG_ENV] = str(folder / "postgres.json")
        started: list[postgres.Server] = []
        server = threading.Thread(target=_postgres_for_workers, args=(folder, started))
        server.daemon = True
        server.start()
        config.add_cleanup(lambda: _stop_postgres(server, started))


def _wait_for(marker: Path) -> str:
    """The controller's result at `marker` (.ready beside it), or its failure as an error."""
    deadline = time.monotonic() + TEMPLATE_WAIT
    while time.monotonic() < deadline:
        if marker.with_suffix(".ready").exists():
            return marker.read_text()
        if marker.with_suffix(".failed").exists():
            raise postgres.PostgresUnavailable(marker.with_suffix(".failed").read_text())
        time.sleep(0.05)
    raise postgres.PostgresUnavailable("the test PostgreSQL server took too long to start")


def _from_controller() -> Path | None:
    """The controller's template once built; None if there is none or its build failed."""
    shared = os.environ.get(TEMPLATE_ENV)
    if not shared:
        return None
    path = Path(shared)
    deadline = time.monotonic() + TEMPLATE_WAIT
    while time.monotonic() < deadline:
        if path.with_suffix(".ready").exists():
            return path
        if path.with_suffix(".failed").exists():
            return None
        time.sleep(0.05)
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Start the tests marked `long` first, spread over the workers' first shares.

    xdist's worksteal hands each of n workers a contiguous share of the list, sized as below,
    and steals from a share's end: a long test found late would be the run's tail, alone on
    one core. Each share here begins with every n-th long test.
    """
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    long = [item for item in items if item.get_closest_marker("long")]
    if not long:
        return
    rest = [item for item in items if not item.get_closest_marker("long")]
    ordered: list[pytest.Item] = []
    left = len(items)
    for worker in range(workers):
        share = left // (workers - worker)
        firsts = long[worker::workers]
        ordered += firsts + rest[: max(share - len(firsts), 0)]
        del rest[: max(share - len(firsts), 0)]
        left -= share
    items[:] = ordered + rest


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run `async def` tests (Textual's Pilot) on a fresh event loop; no plugin needed."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
    return True


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Modules marked `backends` run each test that uses a database on SQLite and PostgreSQL."""
    if metafunc.definition.get_closest_marker("backends") and "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The database the test runs on: SQLite unless its module is marked `backends`."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[postgres.Server]:
    shared = os.environ.get(PG_ENV)
    if shared:
        yield _server_from_env(_wait_for(Path(shared)))
        return
    server = start_postgres()  # a run without workers starts its own
    yield server
    server.stop()


_copies = itertools.count(1)


@contextmanager
def postgres_copy(server: postgres.Server, template: str, clock: FixedClock) -> Iterator[Database]:
    """A private database copied from `template`, dropped afterwards."""
    name = f"test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}_{next(_copies)}"
    postgres.copy_database(server, template, name)
    database = open_database(server.url(name), clock=clock)
    try:
        yield database
    finally:
        database.dispose()
        postgres.drop_database(server, name)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock.on(TODAY)


@pytest.fixture
def db(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, clock: FixedClock
) -> Iterator[Database]:
    """An empty, migrated database."""
    with backend_database(
        request, backend, PG_EMPTY, clock, lambda: tmp_path / "test.db"
    ) as database:
        yield database


@contextmanager
def backend_database(
    request: pytest.FixtureRequest,
    backend: str,
    template: str,
    clock: FixedClock,
    sqlite_file: Callable[[], Path],
) -> Iterator[Database]:
    """A copy of the PostgreSQL `template`, or the SQLite file `sqlite_file` makes."""
    if backend == "postgresql":
        with postgres_copy(request.getfixturevalue("postgres_server"), template, clock) as database:
            yield database
        return
    database = open_database(sqlite_file(), clock=clock)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scripted demo (seed 1, 2026-11-27), built once per session and copied per test."""
    shared = _from_controller()
    if shared is not None:
        return shared
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    build_demo_template(path)
    return path


@pytest.fixture
def demo_db(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, clock: FixedClock
) -> Iterator[Database]:
    """A private copy of the demo database, clock at 2026-11-27 09:00 UTC."""

    def copy() -> Path:
        path = tmp_path / "demo.db"
        shutil.copyfile(request.getfixturevalue("demo_template"), path)
        return path

    with backend_database(request, backend, PG_DEMO, clock, copy) as database:
        yield database


@pytest.fixture
def people(demo_db: Database) -> dict[str, User]:
    """Demo users by first name (Dana: Contoso partner admin, Megan: global seller, ...)."""
    with demo_db.reading() as session:
        return {user.first_name: user for user in queries.users(session)}
