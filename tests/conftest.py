"""Shared fixtures: every test gets its own database file (the engine is injected, STYLE rule 3)."""

from __future__ import annotations

import asyncio
import inspect
import shutil
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
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    database = open_database(path, clock=FixedClock.on(TODAY))
    build_demo(database, seed=SEED, today=TODAY)
    with database.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()
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
