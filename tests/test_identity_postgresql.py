"""R-ACL-4, first half: on a shared PostgreSQL database the signed-in user is the login.

Logins are made as docs/deploy.md tells an administrator to: a role named by the member's
e-mail address, in `cosell_user`; administrators of the app are in `cosell_admin` too. The
installed CLI is run without a terminal, where it reports who would be signed in.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command

from cosell_tui.clock import FixedClock
from cosell_tui.store import database as store_database
from cosell_tui.store.database import SCHEMA_HEAD, Database, StoreError, login_of, open_database
from tests import postgres
from tests.conftest import PG_DEMO, postgres_copy

SAM = "sam.okafor@northwind.example"  # Northwind's referral admin
GRACE = "grace.holloway@northwind.example"  # Northwind's partner admin, an app administrator here
MEGAN = "megan.bowen@microsoft.example"
STRANGER = "pat.nobody@example.com"
PASSWORD = "s3cret-for-tests"
CLI = Path(sys.executable).parent / "cosell-tui"


def make_env(root: Path) -> dict[str, str]:
    """No COSELL_* variable, and a home of the test's own."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("COSELL_")}
    env.update(HOME=str(root), XDG_DATA_HOME=str(root / "data"), XDG_CONFIG_HOME=str(root))
    return env


def _login(server: postgres.Server, name: str, *groups: str) -> None:
    """A login role named `name`, member of `groups` (made once per server: roles are global)."""
    postgres.execute(
        server,
        f"""DO $$ BEGIN
            CREATE ROLE "{name}" LOGIN PASSWORD '{PASSWORD}' IN ROLE {", ".join(groups)};
        EXCEPTION WHEN duplicate_object THEN NULL; END $$""",
    )


@pytest.fixture
def shared(postgres_server: postgres.Server, clock: FixedClock) -> Iterator[tuple[str, Database]]:
    """A copy of the demo on the server, with logins for Sam, Grace and a stranger: the
    database's name and the superuser's Database on it."""
    _login(postgres_server, SAM, "cosell_user")
    _login(postgres_server, GRACE, "cosell_user", "cosell_admin")
    _login(postgres_server, STRANGER, "cosell_user")
    with postgres_copy(postgres_server, PG_DEMO, clock) as db:
        yield str(db.engine.url.database), db


def _url(server: postgres.Server, database: str, login: str) -> str:
    # an e-mail address as a user name in a URL: its @ is escaped
    return server.url(database, user=login.replace("@", "%40"), password=PASSWORD)


def _open_as(server: postgres.Server, database: str, login: str, tmp_path: Path, *args: str):
    env = make_env(tmp_path)
    return subprocess.run(
        [str(CLI), "--db", _url(server, database, login), "--today", "2026-11-27", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_login_decides_who_is_signed_in(
    postgres_server: postgres.Server, shared: tuple[str, Database], tmp_path: Path
) -> None:
    database, _ = shared
    result = _open_as(postgres_server, database, SAM, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Signed in as Sam Okafor (Referral admin, Northwind Data)")
    # naming yourself is not acting as someone else
    itself = _open_as(postgres_server, database, SAM, tmp_path, "--as", SAM.upper())
    assert itself.returncode == 0, itself.stderr
    assert "Signed in as Sam Okafor" in itself.stdout


def test_as_is_refused_unless_the_login_administers_the_app(
    postgres_server: postgres.Server, shared: tuple[str, Database], tmp_path: Path
) -> None:
    database, _ = shared
    refused = _open_as(postgres_server, database, SAM, tmp_path, "--as", MEGAN)
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr.splitlines() == [
        f"cosell-tui: error: On a shared PostgreSQL database you are your database login, "
        f"{SAM}; only the app's administrators may use --as."
    ]
    allowed = _open_as(postgres_server, database, GRACE, tmp_path, "--as", MEGAN)
    assert allowed.returncode == 0, allowed.stderr
    assert allowed.stdout.startswith("Signed in as Megan Bowen (Seller, Microsoft)")


def test_a_login_that_is_no_user_is_told_so_in_one_line(
    postgres_server: postgres.Server, shared: tuple[str, Database], tmp_path: Path
) -> None:
    database, _ = shared
    result = _open_as(postgres_server, database, STRANGER, tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"cosell-tui: error: The database login {STRANGER} is no cosell-tui user; an "
        "administrator adds you with your e-mail address as the login's name (docs/deploy.md)."
    ]


def test_who_administers_the_app(
    postgres_server: postgres.Server, shared: tuple[str, Database], clock: FixedClock
) -> None:
    database, superuser = shared
    assert login_of(superuser) is not None and login_of(superuser).app_admin  # type: ignore[union-attr]
    for login, admin in ((SAM, False), (GRACE, True)):
        db = open_database(_url(postgres_server, database, login), clock=clock)
        try:
            found = login_of(db)
        finally:
            db.dispose()
        assert found is not None
        assert (found.name, found.app_admin) == (login, admin)


def test_an_sqlite_file_has_no_logins(demo_db: Database) -> None:
    assert login_of(demo_db) is None


def test_a_members_login_does_not_migrate_and_says_who_does(
    postgres_server: postgres.Server, shared: tuple[str, Database], clock: FixedClock
) -> None:
    database, owner = shared
    with owner.engine.connect() as connection:
        command.downgrade(store_database._alembic_config(connection), "-1")
        connection.commit()
    with pytest.raises(StoreError) as caught:
        open_database(_url(postgres_server, database, SAM), clock=clock)
    assert str(caught.value).endswith(
        f"needs the schema of this cosell-tui ({SCHEMA_HEAD}); its owner upgrades it by "
        "starting this version once (docs/deploy.md)."
    )
    open_database(owner.engine.url.render_as_string(hide_password=False), clock=clock).dispose()
    open_database(_url(postgres_server, database, SAM), clock=clock).dispose()  # now it opens
