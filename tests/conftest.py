"""Shared fixtures: every test gets its own database file (the engine is injected, STYLE rule 3)."""

from __future__ import annotations

import asyncio
import inspect
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from cosell_tui.clock import FixedClock
from cosell_tui.demo import build_demo
from cosell_tui.domain.models import User
from cosell_tui.store import queries
from cosell_tui.store.database import Database, open_database

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


def _build_for_workers(path: Path) -> None:
    try:
        build_demo_template(path)
    except BaseException:
        path.with_suffix(".failed").touch()
        raise
    path.with_suffix(".ready").touch()


def pytest_configure(config: pytest.Config) -> None:
    running_workers = config.getoption("numprocesses", None) and not hasattr(config, "workerinput")
    if running_workers and not config.getoption("collectonly"):
        folder = Path(tempfile.mkdtemp(prefix="cosell-tests-"))
        os.environ[TEMPLATE_ENV] = str(folder / "demo.db")
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
        build = threading.Thread(target=_build_for_workers, args=(folder / "demo.db",))
        build.daemon = True
        build.start()


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


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock.on(TODAY)


@pytest.fixture
def db(tmp_path: Path, clock: FixedClock) -> Iterator[Database]:
    """An empty, migrated database."""
    database = open_database(tmp_path / "test.db", clock=clock)
    yield database
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
def demo_db(demo_template: Path, tmp_path: Path, clock: FixedClock) -> Iterator[Database]:
    """A private copy of the demo database, clock at 2026-11-27 09:00 UTC."""
    path = tmp_path / "demo.db"
    shutil.copyfile(demo_template, path)
    database = open_database(path, clock=clock)
    yield database
    database.dispose()


@pytest.fixture
def people(demo_db: Database) -> dict[str, User]:
    """Demo users by first name (Dana: Contoso partner admin, Megan: global seller, ...)."""
    with demo_db.reading() as session:
        return {user.first_name: user for user in queries.users(session)}
