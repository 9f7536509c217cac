"""R-STORE-3 and R-STORE-4 on PostgreSQL: migrations, refusals and connection errors.

A real server (tests/postgres.py) — the SQLite half of these promises is test_store_migrations.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
from alembic import command
from sqlalchemy import inspect, text

from cosell_tui.clock import FixedClock
from cosell_tui.store import database, guards, queries
from cosell_tui.store.database import (
    SCHEMA_HEAD,
    StoreError,
    current_revision,
    make_engine,
    open_database,
    to_url,
    upgrade,
)
from tests import postgres

FIRST = "0001"
SPEC_EXCEPTIONS = frozenset({"favorites", "activity", "notifications", "registrations"})
_names = itertools.count(1)


@pytest.fixture
def empty(postgres_server: postgres.Server) -> Iterator[str]:
    """A new, empty database on the test server: its URL (superuser login)."""
    name = f"migrations_{os.getpid()}_{next(_names)}"
    postgres.execute(postgres_server, f'CREATE DATABASE "{name}"')
    yield postgres_server.url(name)
    postgres.drop_database(postgres_server, name)


def _raw(url: str) -> psycopg.Connection[tuple[object, ...]]:
    parsed = to_url(url)
    return psycopg.connect(
        host=parsed.host,
        port=parsed.port,
        dbname=parsed.database,
        user=parsed.username,
        password=parsed.password,
        autocommit=True,
    )


def _column(url: str, sql: str) -> set[object]:
    with _raw(url) as connection:
        return {row[0] for row in connection.execute(sql)}  # type: ignore[arg-type]


def _tables(url: str) -> set[object]:
    return _column(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")


def _triggers(url: str) -> set[object]:
    return _column(url, "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")


def _own_data_tables(url: str) -> set[str]:
    found = _column(
        url,
        "SELECT table_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND column_name = 'referral_id'",
    )
    return {str(name) for name in found} - SPEC_EXCEPTIONS


def _expected_triggers(own: set[str]) -> set[str]:
    statements = guards.postgresql_guard_triggers(sorted(own))
    return {s.split()[2] for s in statements if s.lstrip().startswith("CREATE TRIGGER")}


def _one_sentence(url: str) -> str:
    with pytest.raises(StoreError) as caught:
        open_database(url, clock=FixedClock.on(date(2026, 11, 27)))
    message = str(caught.value)
    assert message.strip() and "\n" not in message and "Traceback" not in message
    assert message.endswith(".")
    return message


def test_an_empty_database_is_migrated_to_the_head_with_every_guard(
    empty: str, clock: FixedClock
) -> None:
    db = open_database(empty, clock=clock)
    try:
        assert current_revision(db.engine) == SCHEMA_HEAD
        assert "outbox" in inspect(db.engine).get_table_names()
    finally:
        db.dispose()
    own = _own_data_tables(empty)
    assert own >= {"team_members", "referral_solutions", "stage_marks", "invitations"}
    expected = _expected_triggers(own)
    assert {f"guard_{table}" for table in own} <= expected
    assert {"guard_referrals", "guard_activity", "guard_registrations"} <= expected
    assert expected <= _triggers(empty)


def test_an_older_database_is_upgraded_and_keeps_its_data(empty: str, clock: FixedClock) -> None:
    engine = make_engine(to_url(empty))
    upgrade(engine, FIRST)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO organizations (id, name, partner_id, is_vendor, co_sell_ready, "
                "in_ecosystem, vetted_for_assessments) "
                "VALUES (1, 'Contoso Analytics', '1234567', false, true, true, true)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO locations (id, organization_id, city, country) "
                "VALUES (1, 1, 'Seattle', 'US')"
            )
        )
    engine.dispose()
    assert "outbox" not in _tables(empty)

    db = open_database(empty, clock=clock)
    try:
        assert current_revision(db.engine) == SCHEMA_HEAD
        with db.reading() as session:
            organizations = queries.organizations(session)
        assert [(o.name, o.partner_id) for o in organizations] == [("Contoso Analytics", "1234567")]
    finally:
        db.dispose()
    assert _expected_triggers(_own_data_tables(empty)) <= _triggers(empty)


def test_exactly_one_vendor(empty: str, clock: FixedClock) -> None:
    """The partial unique index (R-ORG-1) allows many partners but one vendor."""
    open_database(empty, clock=clock).dispose()
    insert = (
        "INSERT INTO organizations (name, is_vendor, co_sell_ready, in_ecosystem, "
        "vetted_for_assessments) VALUES (%s, %s, true, true, true)"
    )
    with _raw(empty) as connection:
        for name in ("Partner A", "Partner B", "Vendor"):
            connection.execute(insert, (name, name == "Vendor"))
        with pytest.raises(psycopg.errors.UniqueViolation):
            connection.execute(insert, ("Second vendor", True))


def test_a_newer_database_is_refused_untouched(empty: str, clock: FixedClock) -> None:
    open_database(empty, clock=clock).dispose()
    with _raw(empty) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    message = _one_sentence(empty)
    assert "newer cosell-tui (schema 9999)" in message
    assert _column(empty, "SELECT version_num FROM alembic_version") == {"9999"}


def test_another_programs_database_is_refused(empty: str) -> None:
    with _raw(empty) as connection:
        connection.execute("CREATE TABLE invoices (id integer PRIMARY KEY)")
    assert "another program" in _one_sentence(empty)
    assert _tables(empty) == {"invoices"}


def test_downgrade_to_base_and_upgrade_again(empty: str, clock: FixedClock) -> None:
    open_database(empty, clock=clock).dispose()
    engine = make_engine(to_url(empty))
    try:
        with engine.connect() as connection:
            command.downgrade(database._alembic_config(connection), "base")
            connection.commit()
        assert current_revision(engine) is None
        assert _tables(empty) <= {"alembic_version"}
        assert not _triggers(empty)
        assert not _column(empty, "SELECT proname FROM pg_proc WHERE proname LIKE 'cosell_guard_%'")
        upgrade(engine)
        assert current_revision(engine) == SCHEMA_HEAD
    finally:
        engine.dispose()
    assert _expected_triggers(_own_data_tables(empty)) <= _triggers(empty)


def test_search_folds_case_and_uses_the_trigram_index(demo_pg: str) -> None:
    """Case-insensitive indexed search (issue 8): casefold() is lower() on a UTF-8 database,
    and the planner can answer `casefold(name) LIKE '%…%'` from the pg_trgm index."""
    with _raw(demo_pg) as connection:
        for name in ("ÉLAN Straße", "ΣΟΦΟΣ Οδυσσέας", "Ærø Ødegaard"):  # as Python folds them
            found = connection.execute("SELECT casefold(%s)", (name,)).fetchone()
            assert found == (name.casefold(),), name
        connection.execute("SET enable_seqscan = off")
        plan = "\n".join(
            str(row[0])
            for row in connection.execute(
                "EXPLAIN SELECT id FROM referrals WHERE casefold(name) LIKE '%adatum%'"
            )
        )
    assert "ix_referrals_name_trgm" in plan, plan


@pytest.fixture
def demo_pg(postgres_server: postgres.Server, clock: FixedClock) -> Iterator[str]:
    from tests.conftest import PG_DEMO, postgres_copy

    with postgres_copy(postgres_server, PG_DEMO, clock) as db:
        yield db.engine.url.render_as_string(hide_password=False)


# --- connection errors: one sentence, at start and from the CLI (R-STORE-4) --------------------


def test_connection_errors_are_one_sentence(postgres_server: postgres.Server) -> None:
    missing = _one_sentence(postgres_server.url("no_such_database"))
    assert "database “no_such_database” does not exist" in missing
    wrong = _one_sentence(postgres_server.url("postgres", password="wrong"))
    assert "refused that user name or password" in wrong
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    down = _one_sentence(f"postgresql+psycopg://someone@127.0.0.1:{closed_port}/cosell")
    assert "nothing answers at that address (is the server running?)" in down


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


def test_the_cli_says_a_wrong_password_in_one_line(
    postgres_server: postgres.Server, tmp_path: Path
) -> None:
    result = _cli(
        "users", "--db", postgres_server.url("postgres", password="hunter2"), home=tmp_path
    )
    assert result.returncode == 1, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cosell-tui: error: ")
    assert "refused that user name or password" in lines[0]
    assert "hunter2" not in result.stderr


def test_export_and_import_from_the_cli(demo_pg: str, tmp_path: Path) -> None:
    """`export` and `import` (issue 7) run unchanged on PostgreSQL: a file imported again
    adds nothing, and with new ids it adds every deal."""
    file = tmp_path / "deals.json"
    dana = ("--db", demo_pg, "--as", "dana.whitfield@contoso.example")
    exported = _cli("export", *dana, "--out", str(file), home=tmp_path)
    assert exported.returncode == 0, exported.stderr
    again = _cli("import", str(file), *dana, home=tmp_path)
    assert (again.returncode, again.stderr) == (0, "")
    assert again.stdout.splitlines() == ["Imported 0 deal(s); skipped 24 already in the database."]
    records = json.loads(file.read_text(encoding="utf-8"))["value"]
    for record in records:
        record["id"] = record["engagementId"] = record["externalReferenceId"] = None
    file.write_text(json.dumps(records), encoding="utf-8")
    added = _cli("import", str(file), *dana, home=tmp_path)
    assert (added.returncode, added.stderr) == (0, "")
    assert added.stdout.splitlines() == ["Imported 24 deal(s); skipped 0 already in the database."]
