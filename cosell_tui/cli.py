"""The command line (SPEC §10). User errors: one line, exit 1; usage errors: exit 2.

Heavy modules (SQLAlchemy, pydantic, the services) are imported inside the commands, so
`--help` and usage errors stay instant.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from cosell_tui import __version__

if TYPE_CHECKING:
    from cosell_tui.clock import Clock
    from cosell_tui.domain.models import User
    from cosell_tui.store.database import Database
    from cosell_tui.store.early import EarlySource

APP = "cosell-tui"


class UserError(Exception):
    """Something the user can fix; the text is the whole message."""


# --- where things live ----------------------------------------------------------------------


def data_dir() -> Path:
    from platformdirs import user_data_path  # noqa: PLC0415

    return user_data_path(APP, appauthor=False)


def log_file() -> Path:
    from platformdirs import user_log_path  # noqa: PLC0415

    return user_log_path(APP, appauthor=False) / f"{APP}.log"


def default_db(demo: bool) -> Path:
    return data_dir() / ("demo.db" if demo else "cosell.db")


# --- option parsing --------------------------------------------------------------------------


def _common(parser: argparse.ArgumentParser, *, user: bool, today: bool) -> None:
    suppress = argparse.SUPPRESS
    parser.add_argument(
        "--db",
        metavar="PATH|URL",
        default=suppress,
        help="database file or SQLAlchemy URL (env COSELL_DB)",
    )
    if user:
        parser.add_argument(
            "--as",
            dest="as_user",
            metavar="EMAIL",
            default=suppress,
            help="act as this user (env COSELL_USER; default: the first admin)",
        )
    if today:
        parser.add_argument(
            "--today",
            metavar="YYYY-MM-DD",
            default=suppress,
            help="freeze the clock at 09:00 UTC of this date (env COSELL_TODAY)",
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=APP,
        description="Manage the deals you co-sell with a software vendor and other partners.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _common(parser, user=True, today=True)
    parser.add_argument(
        "--demo",
        action="store_true",
        default=argparse.SUPPRESS,
        help="use the demo database (created with demo data when missing)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser("demo", help="build the demo ecosystem and deals")
    _common(demo, user=False, today=True)
    demo.add_argument("--deals", type=int, metavar="N", help="generated deals to add (0: none)")
    demo.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (default 1)")
    demo.add_argument("--force", action="store_true", help="replace an existing database")

    expire = commands.add_parser("expire", help="expire unanswered invitations; send reminders")
    _common(expire, user=False, today=True)

    users = commands.add_parser("users", help="list the users of the database")
    _common(users, user=False, today=False)

    export = commands.add_parser(
        "export", help="write the deals you see as Referrals-API JSON or CSV"
    )
    _common(export, user=True, today=False)
    export.add_argument("--format", choices=("json", "csv"), help="default: by --out's extension")
    export.add_argument(
        "--out", metavar="FILE", help="the file to write (default: standard output)"
    )

    load = commands.add_parser(
        "import", help="add deals from a file that export wrote (JSON or CSV)"
    )
    _common(load, user=True, today=True)
    load.add_argument("file", metavar="FILE", help="a .json or .csv file")
    load.add_argument("--format", choices=("json", "csv"), help="default: by the file's extension")

    init = commands.add_parser("init", help="set up an empty database for your organization")
    _common(init, user=False, today=False)
    init.add_argument("--org", required=True, metavar="NAME", help="your organization's name")
    init.add_argument("--location", required=True, metavar='"CITY, CC"', help="its first location")
    init.add_argument("--admin", required=True, metavar="EMAIL", help="the first admin's email")
    init.add_argument("--name", required=True, metavar='"FIRST LAST"', help="the admin's name")
    init.add_argument("--phone", required=True, metavar="PHONE", help="the admin's phone")
    return parser


def _option(args: argparse.Namespace, name: str, env: str) -> str | None:
    value = getattr(args, name, None)
    if value is None:
        value = os.environ.get(env) or None
    return value


def parse_today(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UserError(f"--today {value} is not a real date; use YYYY-MM-DD.") from None


def _clock(args: argparse.Namespace) -> Clock:
    from cosell_tui.clock import FixedClock, SystemClock  # noqa: PLC0415

    today = parse_today(_option(args, "today", "COSELL_TODAY"))
    return FixedClock.on(today) if today else SystemClock()


def _db_target(args: argparse.Namespace, *, demo: bool = False) -> str:
    return _option(args, "db", "COSELL_DB") or str(default_db(demo))


def _open(target: str, clock: Clock, *, create: bool = True) -> Database:
    from cosell_tui.store.database import open_database  # noqa: PLC0415

    return open_database(target, clock=clock, create=create)


def _signed_in(db: Database, email: str | None) -> User:
    from cosell_tui.store import queries  # noqa: PLC0415
    from cosell_tui.store.database import login_of  # noqa: PLC0415

    login = login_of(db)
    if login is not None and not login.app_admin:  # R-ACL-4: you are your database login
        if email and email.strip().casefold() != login.name.casefold():
            raise UserError(
                f"On a shared PostgreSQL database you are your database login, {login.name}; "
                "only the app's administrators may use --as."
            )
        with db.reading() as session:
            user = queries.user_by_email(session, login.name)
        if user is None:
            raise UserError(
                f"The database login {login.name} is no cosell-tui user; an administrator "
                "adds you with your e-mail address as the login's name (docs/deploy.md)."
            )
        return user
    with db.reading() as session:
        if email:
            user = queries.user_by_email(session, email)
            if user is None:
                raise UserError(
                    f"No user {email} in this database; `{APP} users` lists who is there."
                )
            return user
        user = queries.first_admin(session)
        anyone = user is not None or bool(queries.users(session))
    if user is None and anyone:
        raise UserError(f"This database has no admin; pick a user with --as (`{APP} users`).")
    if user is None:
        raise UserError(
            f"This database has no users yet; set it up with `{APP} init` or `{APP} demo`."
        )
    return user


# --- commands --------------------------------------------------------------------------------


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def cmd_open(args: argparse.Namespace) -> int:
    """Open the app; without a terminal (a script, a pipe) report who would be signed in."""
    demo = bool(getattr(args, "demo", False))
    target = _db_target(args, demo=demo)
    email = _option(args, "as_user", "COSELL_USER")
    if demo and not Path(target).exists() and "://" not in target:
        today = _clock(args).now().date()
        _build_demo(target, seed=1, today=today, deals=None, force=False)
    if interactive():
        return _run_app(args, target, email)
    db = _open(target, _clock(args))
    try:
        user = _signed_in(db, email)
        from cosell_tui.store import queries  # noqa: PLC0415

        with db.reading() as session:
            organization = queries.organization(session, user.organization_id)
            visible = queries.count_visible(session, user)
            unread = queries.unread_count(session, user.id)
    finally:
        db.dispose()
    print(
        f"Signed in as {user.full_name} ({user.role.label}, {organization.name}) on {target}: "
        f"{visible} deals visible, {unread} unread notifications."
    )
    print("Not a terminal: start cosell-tui in an interactive terminal to use its screens.")
    return 0


def _run_app(args: argparse.Namespace, target: str, email: str | None) -> int:
    """The app draws its first frame, then opens the database in a worker (issue 6): nothing
    here imports SQLAlchemy or the models; errors opening come back to be reported as usual."""
    from cosell_tui.app import CoSellApp, Opened  # noqa: PLC0415
    from cosell_tui.config import config_path, load_config  # noqa: PLC0415

    clock = _clock(args)

    def peeker() -> EarlySource | None:
        from cosell_tui.store.early import peek  # noqa: PLC0415

        return peek(target, email, clock)

    def opener() -> Opened:
        from cosell_tui.store import queries  # noqa: PLC0415
        from cosell_tui.store.database import login_of  # noqa: PLC0415

        db = _open(target, clock)
        try:
            # an empty database opens the first-run form (R-UI-8) unless a user was named
            user = _signed_in(db, email) if email or _has_users(db) else None
            login = login_of(db)
            may_switch = login is None or login.app_admin
            organization = None
            if user is not None:
                with db.reading() as session:
                    organization = queries.organization(session, user.organization_id)
        except BaseException:
            db.dispose()
            raise
        return Opened(db, user, organization, may_switch)

    path = config_path()
    config, problem = load_config(path)
    app = CoSellApp(None, None, None, config, problem, path, opener=opener, peeker=peeker)
    try:
        app.run()
    finally:
        if app.open_db is not None:
            app.open_db.dispose()
    if app.open_error is not None:
        raise app.open_error
    return app.return_code or 0


def _has_users(db: Database) -> bool:
    from cosell_tui.store import queries  # noqa: PLC0415

    with db.reading() as session:
        return bool(queries.users(session))


def _build_demo(target: str, *, seed: int, today: date, deals: int | None, force: bool) -> str:
    from cosell_tui.clock import FixedClock  # noqa: PLC0415
    from cosell_tui.demo import MAX_GENERATED  # noqa: PLC0415
    from cosell_tui.store.database import sqlite_path, to_url  # noqa: PLC0415

    if deals is not None and not 0 <= deals <= MAX_GENERATED:
        raise UserError(f"--deals must be between 0 and {MAX_GENERATED:,}.")
    url = to_url(target)
    path = sqlite_path(url)
    if path is None:
        return _build_server_demo(target, seed=seed, today=today, deals=deals, force=force)
    if path.exists():
        if not force:
            raise UserError(f"{path} already exists; add --force to replace it.")
        if path.is_dir():
            raise UserError(f"Cannot use {path}: it is a folder, not a database file.")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = _open(str(path), FixedClock.on(today))
    try:
        return _built(db, str(path), seed=seed, today=today, deals=deals)
    finally:
        db.dispose()


def _built(db: Database, where: str, *, seed: int, today: date, deals: int | None) -> str:
    """Build the demo into `db` and say what was built."""
    from sqlalchemy import func, select  # noqa: PLC0415

    from cosell_tui.demo import build_demo  # noqa: PLC0415
    from cosell_tui.store.schema import ReferralRow  # noqa: PLC0415

    started = time.perf_counter()
    build_demo(db, seed=seed, today=today, deals=deals)
    seconds = time.perf_counter() - started
    with db.reading() as session:
        count = session.scalar(select(func.count()).select_from(ReferralRow)) or 0
    return (
        f"Demo database {where}: {count:,} deals, built in {seconds:.1f} s (seed {seed}, {today})."
    )


def _build_server_demo(
    target: str, *, seed: int, today: date, deals: int | None, force: bool
) -> str:
    """The demo in a PostgreSQL database (issue 8): a team's shared demo. The database must
    exist (the server's administrator creates it); --force empties one that holds data."""
    from cosell_tui.clock import FixedClock  # noqa: PLC0415
    from cosell_tui.store.database import reset  # noqa: PLC0415

    db = _open(target, FixedClock.on(today))
    where = db.engine.url.render_as_string(hide_password=True)
    try:
        if _has_users(db):
            if not force:
                raise UserError(
                    f"{where} already holds cosell-tui data; add --force to replace it."
                )
            reset(db.engine)
        return _built(db, where, seed=seed, today=today, deals=deals)
    finally:
        db.dispose()


def cmd_demo(args: argparse.Namespace) -> int:
    today = parse_today(_option(args, "today", "COSELL_TODAY")) or datetime.now(UTC).date()
    target = _db_target(args, demo=True)
    print(_build_demo(target, seed=args.seed, today=today, deals=args.deals, force=args.force))
    return 0


def cmd_expire(args: argparse.Namespace) -> int:
    from cosell_tui import services  # noqa: PLC0415

    db = _open(_db_target(args), _clock(args), create=False)
    try:
        result = services.expire_overdue(db)
    finally:
        db.dispose()
    print(
        f"Expired {len(result.expired)} unanswered invitation(s); "
        f"reminded recipients of {len(result.reminded)} that expire within two days."
    )
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    from cosell_tui.store import queries  # noqa: PLC0415

    db = _open(_db_target(args), _clock(args), create=False)
    try:
        with db.reading() as session:
            organizations = {o.id: o for o in queries.organizations(session)}
            people = queries.users(session)
    finally:
        db.dispose()
    if not people:
        print(f"No users yet; set the database up with `{APP} init` or `{APP} demo`.")
        return 0
    rows = [("EMAIL", "NAME", "ROLE", "ORGANIZATION", "SCOPE")]
    for user in people:
        org = organizations[user.organization_id]
        scope = "global"
        if user.scope_location_id is not None:
            location = org.location(user.scope_location_id)
            scope = location.label if location else str(user.scope_location_id)
        rows.append((user.email, user.full_name, user.role.value, org.name, scope))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from cosell_tui.exchange import export  # noqa: PLC0415

    out = Path(args.out) if args.out else None
    form = export.format_of(out, args.format)
    db = _open(_db_target(args), _clock(args), create=False)
    try:
        user = _signed_in(db, _option(args, "as_user", "COSELL_USER"))
        done = export.export(db, user, form=form, out=out, write=sys.stdout.write)
    finally:
        db.dispose()
    if out is not None:
        print(f"Exported {done.count} deal(s) to {out}.", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from cosell_tui.exchange import importer  # noqa: PLC0415

    path = Path(args.file)
    db = _open(_db_target(args), _clock(args), create=False)
    try:
        user = _signed_in(db, _option(args, "as_user", "COSELL_USER"))
        result = importer.import_file(db, user, path, form=args.format, progress=sys.stderr)
    finally:
        db.dispose()
    print(result.summary())
    return 0


_INIT_FLAGS = {
    "organization": "--org",
    "city": "--location",
    "country": "--location",
    "admin_email": "--admin",
    "first_name": "--name",
    "last_name": "--name",
    "phone": "--phone",
}


def cmd_init(args: argparse.Namespace) -> int:
    from pydantic import ValidationError  # noqa: PLC0415

    from cosell_tui import services  # noqa: PLC0415
    from cosell_tui.domain.models import OrganizationSetupForm  # noqa: PLC0415
    from cosell_tui.domain.validation import field_messages  # noqa: PLC0415

    city, _, country = args.location.rpartition(",")
    if not city.strip():
        raise UserError('--location takes "CITY, CC", e.g. "Seattle, US".')
    first, _, last = args.name.strip().partition(" ")
    if not last.strip():
        raise UserError('--name takes "FIRST LAST", e.g. "Dana Whitfield".')
    try:
        form = OrganizationSetupForm(
            organization=args.org,
            city=city,
            country=country,
            admin_email=args.admin,
            first_name=first,
            last_name=last,
            phone=args.phone,
        )
    except ValidationError as error:
        field, message = next(iter(field_messages(error).items()))
        raise UserError(f"{_INIT_FLAGS.get(field, field)}: {message}") from None
    db = _open(_db_target(args), _clock(args))
    try:
        admin = services.initialize(db, form)
    finally:
        db.dispose()
    print(f"Set up {form.organization} ({form.city}, {form.country}) with admin {admin.email}.")
    return 0


COMMANDS: dict[str | None, Callable[[argparse.Namespace], int]] = {
    None: cmd_open,
    "demo": cmd_demo,
    "expire": cmd_expire,
    "users": cmd_users,
    "export": cmd_export,
    "import": cmd_import,
    "init": cmd_init,
}


def _fail(message: str) -> NoReturn:
    print(f"{APP}: error: {message}", file=sys.stderr)
    raise SystemExit(1)


def _log_bug(error: BaseException) -> Path | None:
    path = log_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(f"--- {datetime.now(UTC).isoformat()} {APP} {__version__} {sys.argv!r}\n")
            log.write("".join(traceback.format_exception(error)))
    except OSError:
        return None
    return path


def _users_error(error: Exception) -> bool:
    """Something the user can fix? (The store's errors only exist once the store is imported:
    the app imports it after its first frame.)"""
    from cosell_tui.domain.errors import DomainError  # noqa: PLC0415

    store = sys.modules.get("cosell_tui.store.database")
    store_error: type[Exception] | None = getattr(store, "StoreError", None)
    return isinstance(error, UserError | DomainError) or (
        store_error is not None and isinstance(error, store_error)
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `cosell-tui export | head`: the reader had enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as error:
        if _users_error(error):
            _fail(str(error))
        # a bug: the traceback goes to the log, not the screen
        where = _log_bug(error)
        _fail(
            f"unexpected {type(error).__name__}; this is a bug, details are in {where}"
            if where
            else f"unexpected {type(error).__name__}: {error}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
