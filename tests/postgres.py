"""A throwaway PostgreSQL server for the test run (issue 8, R-STORE-4).

Started from Debian's `postgresql` package (the Makefile installs it when missing): a cluster
in a temporary folder, listening on a free loopback port only, run as an unprivileged user
when the tests run as root (PostgreSQL refuses to run as root; CI runs as root), stopped and
deleted at the end. Durability is switched off (fsync, synchronous commit): nothing here
outlives the run.

Each test gets its own database, copied from a template database that holds the migrated
schema (or the demo) — `CREATE DATABASE … TEMPLATE …` takes a few tens of milliseconds.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "cosell_test"
UNPRIVILEGED = "nobody"  # who runs the server when the tests run as root


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries here (install Debian's `postgresql`: `make postgres`)."""


def server_binaries() -> Path:
    """The newest installed server's bin folder (Debian: /usr/lib/postgresql/N/bin)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1].parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise PostgresUnavailable(
        "No PostgreSQL server found; install Debian's postgresql package (make postgres)."
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    folder: Path
    port: int
    password: str
    bin: Path

    def url(
        self, database: str = "postgres", user: str = SUPERUSER, password: str | None = None
    ) -> str:
        secret = self.password if password is None and user == SUPERUSER else password
        auth = user if secret is None else f"{user}:{secret}"
        return f"postgresql+psycopg://{auth}@127.0.0.1:{self.port}/{database}"

    def dsn(
        self, database: str = "postgres", user: str = SUPERUSER, password: str | None = None
    ) -> str:
        secret = self.password if password is None and user == SUPERUSER else password
        parts = f"host=127.0.0.1 port={self.port} dbname={database} user={user}"
        return parts if secret is None else f"{parts} password={secret}"

    def stop(self) -> None:
        _as_server_user(
            [str(self.bin / "pg_ctl"), "stop", "-D", str(self.folder / "data"), "-m", "immediate"],
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def _demote() -> list[str]:
    """The command prefix that runs a server program as an unprivileged user, if we are root."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", f"--reuid={UNPRIVILEGED}", "--regid=nogroup", "--clear-groups", "--"]


def _as_server_user(command: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_demote(), *command],
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
        env={**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"},
    )


def start() -> Server:
    """initdb, then start on a free loopback port; returns once the server takes logins."""
    binaries = server_binaries()
    folder = Path(tempfile.mkdtemp(prefix="cosell-pg-"))
    password = secrets.token_hex(12)
    (folder / "pw").write_text(password + "\n")
    if os.geteuid() == 0:
        owner = pwd.getpwnam(UNPRIVILEGED)
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        os.chown(folder / "pw", owner.pw_uid, owner.pw_gid)
    try:
        _as_server_user(
            [
                str(binaries / "initdb"),
                "-D",
                str(folder / "data"),
                "-U",
                SUPERUSER,
                f"--pwfile={folder / 'pw'}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]
        )
        port = _free_port()
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={folder}"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            " -c max_connections=200 -c shared_buffers=64MB"
        )
        _as_server_user(
            [
                str(binaries / "pg_ctl"),
                "start",
                "-D",
                str(folder / "data"),
                "-w",
                "-t",
                "60",
                "-l",
                str(folder / "server.log"),
                "-o",
                options,
            ]
        )
    except subprocess.CalledProcessError as error:
        log = folder / "server.log"
        detail = log.read_text() if log.exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise PostgresUnavailable(
            f"the test PostgreSQL server did not start: {error.stderr or error.stdout}{detail}"
        ) from None
    server = Server(folder, port, password, binaries)
    _wait_for_logins(server)
    return server


def _wait_for_logins(server: Server, timeout: float = 30) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg.connect(server.dsn(), connect_timeout=5).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def execute(server: Server, *statements: str, database: str = "postgres") -> None:
    """Statements outside a transaction (CREATE/DROP DATABASE need that)."""
    import psycopg

    with psycopg.connect(server.dsn(database), autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)  # type: ignore[arg-type]


def copy_database(server: Server, template: str, name: str) -> None:
    execute(server, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


def drop_database(server: Server, name: str) -> None:
    execute(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
