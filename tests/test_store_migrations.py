"""Versioned schema migrations (R-STORE-3): upgrade after a backup, refuse what is not ours."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from cosell_tui.clock import FixedClock
from cosell_tui.store import database, guards, queries
from cosell_tui.store.database import (
    SCHEMA_HEAD,
    StoreError,
    current_revision,
    known_revisions,
    make_engine,
    open_database,
    to_url,
    upgrade,
)

FIRST = "0001"
SPEC_EXCEPTIONS = frozenset({"favorites", "activity", "notifications", "registrations"})


def _revision_in_file(path: Path) -> str | None:
    connection = sqlite3.connect(path)
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    finally:
        connection.close()
    return None if row is None else str(row[0])


def _tables(path: Path) -> set[str]:
    connection = sqlite3.connect(path)
    try:
        return {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    finally:
        connection.close()


def _one_line_store_error(path: Path) -> str:
    with pytest.raises(StoreError) as caught:
        open_database(path, clock=FixedClock(datetime.now(UTC)))
    message = str(caught.value)
    assert message.strip(), "empty error message"
    assert "\n" not in message, message
    assert "Traceback" not in message
    return message


# --- (a) the head -----------------------------------------------------------------------------


def test_schema_head_is_the_newest_migration() -> None:
    """SCHEMA_HEAD (checked without importing Alembic) must match the migration scripts."""
    script = ScriptDirectory.from_config(database._alembic_config(None))
    assert script.get_heads() == [SCHEMA_HEAD]  # one line of history, no branches
    revisions = known_revisions()
    assert revisions[0] == SCHEMA_HEAD
    assert revisions[-1] == FIRST
    assert len(set(revisions)) == len(revisions)


def test_an_empty_file_is_migrated_to_the_head(tmp_path: Path, clock: FixedClock) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    db = open_database(path, clock=clock)
    try:
        assert current_revision(db.engine) == SCHEMA_HEAD
        assert "outbox" in inspect(db.engine).get_table_names()
    finally:
        db.dispose()
    assert _revision_in_file(path) == SCHEMA_HEAD
    assert not list(tmp_path.glob("*.bak")), "nothing to back up in a new database"


# --- (b) upgrading an older database ---------------------------------------------------------


@pytest.fixture
def old_database(tmp_path: Path) -> Path:
    """A database written by the first release (revision 0001) holding an organization."""
    path = tmp_path / "cosell.db"
    engine = make_engine(to_url(path))
    upgrade(engine, FIRST)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO organizations (id, name, partner_id, is_vendor, co_sell_ready, "
                "in_ecosystem, vetted_for_assessments) "
                "VALUES (1, 'Contoso Analytics', '1234567', 0, 1, 1, 1)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO locations (id, organization_id, city, country) "
                "VALUES (1, 1, 'Seattle', 'US')"
            )
        )
    engine.dispose()
    assert _revision_in_file(path) == FIRST
    assert "outbox" not in _tables(path)
    return path


def test_an_older_database_is_upgraded_and_keeps_its_data(
    old_database: Path, clock: FixedClock
) -> None:
    db = open_database(old_database, clock=clock)
    try:
        assert current_revision(db.engine) == SCHEMA_HEAD
        assert "outbox" in inspect(db.engine).get_table_names()
        with db.reading() as session:
            organizations = queries.organizations(session)
        assert [(o.name, o.partner_id) for o in organizations] == [("Contoso Analytics", "1234567")]
        assert [(loc.city, loc.country) for loc in organizations[0].locations] == [
            ("Seattle", "US")
        ]
    finally:
        db.dispose()


def test_the_upgrade_leaves_a_backup_of_the_old_database(
    old_database: Path, clock: FixedClock
) -> None:
    open_database(old_database, clock=clock).dispose()
    backups = list(old_database.parent.glob(f"{old_database.name}.{FIRST}-*.bak"))
    assert len(backups) == 1, backups
    backup = backups[0]
    assert re.fullmatch(rf"{re.escape(old_database.name)}\.{FIRST}-[0-9TZ:-]+\.bak", backup.name)
    # the copy is a usable SQLite database at the old revision, data included
    connection = sqlite3.connect(backup)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (FIRST,)
        ]
        assert connection.execute("SELECT name, partner_id FROM organizations").fetchall() == [
            ("Contoso Analytics", "1234567")
        ]
    finally:
        connection.close()
    assert "outbox" not in _tables(backup)


def test_an_up_to_date_database_is_not_backed_up_again(
    old_database: Path, clock: FixedClock
) -> None:
    open_database(old_database, clock=clock).dispose()
    clock.advance(timedelta(days=1))
    open_database(old_database, clock=clock).dispose()
    assert len(list(old_database.parent.glob("*.bak"))) == 1


# --- (c)-(e) files it must refuse -------------------------------------------------------------


@pytest.fixture
def newer_database(tmp_path: Path, clock: FixedClock) -> Path:
    """A cosell-tui database written by a future release (schema 9999)."""
    path = tmp_path / "future.db"
    open_database(path, clock=clock).dispose()
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    connection.close()
    return path


def test_a_newer_database_is_refused(newer_database: Path) -> None:
    message = _one_line_store_error(newer_database)
    assert "newer" in message
    assert str(newer_database) in message
    # refused untouched: no upgrade attempt, no backup
    assert _revision_in_file(newer_database) == "9999"
    assert not list(newer_database.parent.glob("*.bak"))


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "XDG_DATA_HOME": str(home / "data")}
    return subprocess.run(
        [sys.executable, "-m", "cosell_tui.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_the_cli_refuses_a_newer_database_in_one_line(newer_database: Path, tmp_path: Path) -> None:
    result = _cli("users", "--db", str(newer_database), home=tmp_path)
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cosell-tui: error: ")
    assert "newer" in lines[0]
    assert result.stdout == ""
    assert _revision_in_file(newer_database) == "9999"


def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("CREATE TABLE foo (id INTEGER PRIMARY KEY, bar TEXT)")
        connection.execute("INSERT INTO foo (bar) VALUES ('keep me')")
    connection.close()
    message = _one_line_store_error(path)
    assert str(path) in message
    assert _tables(path) == {"foo"}, "the foreign database was changed"
    connection = sqlite3.connect(path)
    assert connection.execute("SELECT bar FROM foo").fetchall() == [("keep me",)]
    connection.close()


def test_a_text_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    content = "These are my meeting notes, not a database.\n" * 20
    path.write_text(content, encoding="utf-8")
    message = _one_line_store_error(path)
    assert str(path) in message
    assert path.read_text(encoding="utf-8") == content


def test_the_cli_refuses_a_text_file_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("not a database\n" * 50, encoding="utf-8")
    result = _cli("users", "--db", str(path), home=tmp_path)
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr


# --- (f) the R-STORE-1 triggers come with the schema -----------------------------------------


def _guard_names(own_data_tables: set[str]) -> set[str]:
    statements = guards.sqlite_guard_triggers(sorted(own_data_tables))
    names = {match.group(1) for s in statements if (match := re.search(r"CREATE TRIGGER (\w+)", s))}
    assert len(names) == len(statements)
    return names


def _own_data_tables(path: Path) -> set[str]:
    connection = sqlite3.connect(path)
    try:
        return {
            table
            for table in _tables(path)
            if any(
                c[1] == "referral_id" for c in connection.execute(f'PRAGMA table_info("{table}")')
            )
        } - SPEC_EXCEPTIONS
    finally:
        connection.close()


def _triggers(path: Path) -> set[str]:
    connection = sqlite3.connect(path)
    try:
        return {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        }
    finally:
        connection.close()


def test_the_migrated_schema_carries_every_guard(tmp_path: Path, clock: FixedClock) -> None:
    """R-STORE-1 lives in the schema: each table of a referral's own data (discovered, not
    listed) has its insert/update/delete triggers, plus the exceptions' own triggers."""
    path = tmp_path / "fresh.db"
    open_database(path, clock=clock).dispose()
    own = _own_data_tables(path)
    assert own >= {"team_members", "referral_solutions", "stage_marks", "invitations"}
    expected = _guard_names(own)
    for table in own:
        assert {f"guard_{table}_{op}" for op in ("insert", "update", "delete")} <= expected
    assert {
        "guard_referrals_update",
        "guard_referrals_delete",
        "guard_activity_update",
        "guard_activity_delete",
        "guard_registrations_update",
        "guard_registrations_delete",
        "guard_comments_insert",
    } <= expected
    assert expected <= _triggers(path)


def test_an_upgraded_database_carries_every_guard(old_database: Path, clock: FixedClock) -> None:
    open_database(old_database, clock=clock).dispose()
    assert _guard_names(_own_data_tables(old_database)) <= _triggers(old_database)


# --- (g) down and up again --------------------------------------------------------------------


def test_downgrade_to_base_and_upgrade_again(tmp_path: Path, clock: FixedClock) -> None:
    path = tmp_path / "roundtrip.db"
    open_database(path, clock=clock).dispose()
    engine = make_engine(to_url(path))
    try:
        with engine.connect() as connection:
            command.downgrade(database._alembic_config(connection), "base")
            connection.commit()
        assert current_revision(engine) is None
        assert _tables(path) <= {"alembic_version"}
        assert not _triggers(path)
        upgrade(engine)
        assert current_revision(engine) == SCHEMA_HEAD
    finally:
        engine.dispose()
    assert _guard_names(_own_data_tables(path)) <= _triggers(path)
    assert "outbox" in _tables(path)
