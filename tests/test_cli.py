"""The command line (SPEC §10 "Command line contract").

Every run gets an environment whose HOME and XDG directories point into a temporary folder and
which carries no COSELL_* variable, so nothing reads or writes the real user directories.
Most commands run in this process (`run`, tests/cli_harness.py): a subprocess would spend about
1.5 s importing before a few milliseconds of work. A few run the installed console script
(`spawn`) to prove the real entry point: a usage error exits 2, a user error exits 1 with one
stderr line, COSELL_DB and COSELL_USER come from the real environment, and `--demo` without a
terminal. Of two concurrent demo builds (`run_all`) one is a subprocess, and the seed-7 demo
is built in this process and again by a subprocess, so "same seed, same database" compares
builds from two interpreters.
Demo builds are the slow part (a few seconds each): the scripted demo is built once per module
and copied (SQLite backup API) for every test that runs a command against it.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.cli_harness import Runner, make_env, run, run_all, spawn

TODAY = "2026-11-27"
SEED = "7"
MEGAN = "megan.bowen@microsoft.example"
TWO_DAYS = timedelta(days=2)
PHONE = "+1 206 555 0100"


# --- helpers ---------------------------------------------------------------------------------


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (result.args, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout


def assert_user_error(result: subprocess.CompletedProcess[str]) -> str:
    """SPEC §10: exit 1 with one line naming the problem, never a traceback."""
    assert result.returncode == 1, (result.args, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("cosell-tui: error:"), lines
    assert len(lines[0]) > len("cosell-tui: error: "), "the line must name the problem"
    # a bug is one line too (its traceback goes to the log); in this process pytest also turns
    # SAWarnings into exceptions, which `main` reports that way
    assert "this is a bug" not in lines[0], lines
    return lines[0]


def assert_usage_error(result: subprocess.CompletedProcess[str]) -> None:
    """SPEC §10: exit 2 for usage."""
    assert result.returncode == 2, (result.args, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.strip(), "a usage error says what is wrong"


def dump(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def copy_db(source: Path, target: Path) -> Path:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    return target


def scalar(path: Path, sql: str, *params: object) -> Any:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql, params).fetchone()[0]
    finally:
        connection.close()


def rows(path: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def as_utc(value: object) -> datetime:
    moment = datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def printed_deals(stdout: str) -> int:
    """The number the demo command reports for what it built ("... N deals ...")."""
    match = re.search(r"([\d,]+) deals", stdout)
    assert match, stdout
    return int(match.group(1).replace(",", ""))


SWEEP_AT = datetime(2026, 12, 1, 9, tzinfo=UTC)  # --today 2026-12-01 freezes the clock here


def received_due(path: Path, now: datetime) -> set[str]:
    """Ids of received referrals whose response deadline is at or before now (R-LIFE-4)."""
    return {
        str(referral_id)
        for referral_id, deadline in rows(
            path,
            "SELECT id, response_deadline FROM referrals "
            "WHERE status = 'received' AND response_deadline IS NOT NULL",
        )
        if as_utc(deadline) <= now
    }


def statuses_of(path: Path, ids: set[str]) -> set[object]:
    return {scalar(path, "SELECT status FROM referrals WHERE id = ?", rid) for rid in ids}


def first_number(stdout: str) -> int:
    """The count a sweep reports first ("Expired N ...")."""
    numbers = re.findall(r"\d+", stdout)
    assert numbers, stdout
    return int(numbers[0])


def init_args(db: Path | None, **overrides: str) -> list[str | Path]:
    """`init` with valid values (overridden per flag); without --db when db is None."""
    values = {
        "--org": "Adventure Works",
        "--location": "Seattle, US",
        "--admin": "ann.lee@adventure-works.example",
        "--name": "Ann Lee",
        "--phone": PHONE,
    } | overrides
    args: list[str | Path] = ["init"] if db is None else ["init", "--db", db]
    for flag, value in values.items():
        args += [flag, value]
    return args


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def module_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def module_env(module_root: Path) -> dict[str, str]:
    return make_env(module_root / "env")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return make_env(tmp_path / "env")


@pytest.fixture(scope="module")
def demo_a(module_root: Path, module_env: dict[str, str]) -> tuple[Path, list[str], str]:
    """The scripted demo, seed 7, --today 2026-11-27: (pristine path, its dump, stdout)."""
    path = module_root / "a.db"
    stdout = ok(run(module_env, "demo", "--db", path, "--today", TODAY, "--seed", SEED))
    return path, dump(path), stdout


@pytest.fixture
def demo_copy(demo_a: tuple[Path, list[str], str], tmp_path: Path) -> Path:
    """A private copy of the seed-7 demo, so no test can change what others read."""
    return copy_db(demo_a[0], tmp_path / "demo.db")


@pytest.fixture(scope="module")
def initialized(module_root: Path, module_env: dict[str, str]) -> Path:
    """An empty database set up with `init` (Adventure Works, admin Ann Lee); read-only."""
    path = module_root / "init.db"
    ok(run(module_env, *init_args(path)))
    return path


class Rebuilt(NamedTuple):
    refused: subprocess.CompletedProcess[str]  # `demo` onto an existing file, no --force
    after_refusal: str  # that file's text right after the refusal
    forced: subprocess.CompletedProcess[str]  # the same with --force
    b: list[str]  # dump of the forced build (seed 7)
    c: list[str]  # dump of a build with seed 8


@pytest.fixture(scope="module")
def rebuilt(module_root: Path, module_env: dict[str, str]) -> Rebuilt:
    """B: a file in the way of `demo`, refused without --force, replaced with it; C: seed 8."""
    b, c = module_root / "b.db", module_root / "c.db"
    b.write_text("my notes, not a database\n", encoding="utf-8")
    refused = run(module_env, "demo", "--db", b, "--today", TODAY, "--seed", SEED)
    after_refusal = b.read_text(encoding="utf-8")
    forced, other_seed = run_all(
        module_env,
        [
            ["demo", "--db", b, "--today", TODAY, "--seed", SEED, "--force"],
            ["demo", "--db", c, "--today", TODAY, "--seed", "8"],
        ],
    )
    ok(forced)
    ok(other_seed)
    return Rebuilt(refused, after_refusal, forced, dump(b), dump(c))


# --- demo: determinism, --deals, --force -----------------------------------------------------


def test_demo_same_seed_and_today_give_the_same_database(
    demo_a: tuple[Path, list[str], str], rebuilt: Rebuilt
) -> None:
    """§10: same seed and same --today, same database (compared statement by statement)."""
    _, a_dump, _ = demo_a
    assert len(a_dump) > 100
    assert rebuilt.b == a_dump


def test_demo_other_seed_gives_another_database(
    demo_a: tuple[Path, list[str], str], rebuilt: Rebuilt
) -> None:
    _, a_dump, _ = demo_a
    assert rebuilt.c != a_dump


def test_demo_reports_the_deals_it_built(demo_a: tuple[Path, list[str], str]) -> None:
    path, _, stdout = demo_a
    count = scalar(path, "SELECT count(*) FROM referrals")
    assert printed_deals(stdout) == count
    # §10: deals of every type in every status
    statuses = {status for (status,) in rows(path, "SELECT DISTINCT status FROM referrals")}
    assert statuses == {"received", "accepted", "won", "lost", "declined", "expired"}


def test_demo_refuses_to_overwrite_an_existing_file(rebuilt: Rebuilt) -> None:
    line = assert_user_error(rebuilt.refused)
    assert "--force" in line
    assert rebuilt.after_refusal == "my notes, not a database\n"


def test_demo_force_replaces_an_existing_file(
    demo_a: tuple[Path, list[str], str], rebuilt: Rebuilt
) -> None:
    ok(rebuilt.forced)
    # the notes file became the very same demo as a fresh build
    assert rebuilt.b == demo_a[1]


def test_demo_deals_zero_builds_the_ecosystem_without_deals(
    module_root: Path, module_env: dict[str, str]
) -> None:
    """§10: --deals 0 builds organizations, users, customers and solutions, no deals."""
    path = module_root / "zero.db"
    stdout = ok(run(module_env, "demo", "--db", path, "--today", TODAY, "--deals", "0"))
    assert printed_deals(stdout) == 0
    assert scalar(path, "SELECT count(*) FROM referrals") == 0
    assert scalar(path, "SELECT count(*) FROM organizations") >= 5  # vendor + ≥ 4 partners
    assert scalar(path, "SELECT count(*) FROM companies") > 0
    assert scalar(path, "SELECT count(*) FROM solutions") > 0
    roles = {role for (role,) in rows(path, "SELECT DISTINCT role FROM users")}
    assert {"seller", "partner_admin", "referral_admin", "referral_user"} <= roles
    assert rows(path, "SELECT email FROM users WHERE email = ?", MEGAN) == [(MEGAN,)]


def test_demo_generated_deals_are_added_and_deterministic(
    module_root: Path, module_env: dict[str, str], demo_a: tuple[Path, list[str], str]
) -> None:
    """§10: --deals N adds N generated deals; same seed and --today, same database."""
    first, second = module_root / "gen1.db", module_root / "gen2.db"
    results = run_all(
        module_env,
        [
            ["demo", "--db", db, "--today", TODAY, "--seed", SEED, "--deals", "300"]
            for db in (first, second)
        ],
    )
    for result in results:
        ok(result)
    scripted = scalar(demo_a[0], "SELECT count(*) FROM referrals")
    generated = scalar(first, "SELECT count(*) FROM referrals")
    assert isinstance(scripted, int) and isinstance(generated, int)
    assert generated >= scripted + 300
    assert printed_deals(results[0].stdout) == generated
    assert dump(first) == dump(second)


# --- user errors: exit 1, one line, no traceback ---------------------------------------------


@pytest.mark.parametrize("command", [[], ["expire", "--today", TODAY]], ids=["open", "expire"])
def test_text_file_as_db_is_a_user_error(
    command: list[str], env: dict[str, str], tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("groceries: milk, eggs\n", encoding="utf-8")
    assert_user_error(run(env, *command, "--db", notes))
    assert notes.read_text(encoding="utf-8") == "groceries: milk, eggs\n"  # R-Q-1: no data loss


def test_unknown_user_is_a_user_error(env: dict[str, str], demo_copy: Path) -> None:
    line = assert_user_error(run(env, "--db", demo_copy, "--as", "nobody@nowhere.example"))
    assert "nobody@nowhere.example" in line


@pytest.mark.parametrize(
    "command",
    [[], ["demo", "--force", "--deals", "0"]],
    ids=["open", "demo"],
)
def test_impossible_today_is_a_user_error(
    command: list[str], env: dict[str, str], demo_copy: Path
) -> None:
    before = dump(demo_copy)
    line = assert_user_error(run(env, *command, "--db", demo_copy, "--today", "2026-13-40"))
    assert "2026-13-40" in line
    assert dump(demo_copy) == before  # `demo --force` did not replace it with a bad date


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["demo", "--deals", "0"],
        init_args(None),
    ],
    ids=["open", "demo", "init"],
)
def test_db_inside_a_regular_file_is_a_user_error(
    command: list[str], env: dict[str, str], tmp_path: Path
) -> None:
    """A --db path whose parent is a file (root ignores file modes, so this is the real test)."""
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder\n", encoding="utf-8")
    assert_user_error(run(env, *command, "--db", blocker / "cosell.db"))
    assert blocker.read_text(encoding="utf-8") == "a file, not a folder\n"


@pytest.mark.parametrize(
    "command", [["expire", "--today", TODAY], ["users"]], ids=["expire", "users"]
)
def test_missing_db_is_a_user_error(
    command: list[str], env: dict[str, str], tmp_path: Path
) -> None:
    missing = tmp_path / "missing.db"
    assert_user_error(run(env, *command, "--db", missing))
    assert not missing.exists()  # reading commands create nothing


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--phone", "12"),
        ("--location", "Seattle, ZZ"),
        ("--admin", "ann.lee.adventure-works.example"),
    ],
)
def test_init_rejects_bad_input_in_one_line(
    flag: str, value: str, env: dict[str, str], tmp_path: Path
) -> None:
    """R-Q-1 limits, reported against the flag that holds the bad value."""
    db = tmp_path / "new.db"
    line = assert_user_error(run(env, *init_args(db, **{flag: value})))
    assert flag in line
    if db.exists():  # refused before anything was written
        assert scalar(db, "SELECT count(*) FROM users") == 0


def test_init_refuses_a_database_that_already_has_users(
    env: dict[str, str], initialized: Path, tmp_path: Path
) -> None:
    db = copy_db(initialized, tmp_path / "cosell.db")
    second = init_args(
        db, **{"--org": "Other Org", "--admin": "bob@other.example", "--name": "Bob Stone"}
    )
    assert_user_error(run(env, *second))
    assert rows(db, "SELECT email FROM users") == [("ann.lee@adventure-works.example",)]
    assert scalar(db, "SELECT count(*) FROM organizations") == 1


# --- usage errors: exit 2 --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "how"),
    [
        (["--bogus"], run),
        (["users", "--bogus"], run),
        (["demo", "--deals", "notanumber"], run),
        (["demo", "--seed", "x"], run),
        (["init", "--org", "Adventure Works"], run),
        (["init"], run),
        (["frobnicate"], run),
        (["frobnicate"], spawn),  # the console script's exit status, not only main's
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_usage_errors_exit_2(
    args: list[str], how: Runner, env: dict[str, str], tmp_path: Path
) -> None:
    assert_usage_error(how(env, *args, cwd=tmp_path))
    data = Path(env["XDG_DATA_HOME"])
    assert not any(data.rglob("*.db")), "a usage error creates no database"


# --- init, users, the bare command ------------------------------------------------------------


def test_init_sets_up_org_and_admin(env: dict[str, str], initialized: Path) -> None:
    db = initialized

    listing = ok(run(env, "users", "--db", db)).splitlines()
    admin = [line for line in listing if "ann.lee@adventure-works.example" in line]
    assert len(admin) == 1, listing
    assert "partner_admin" in admin[0].split()
    assert "Adventure Works" in admin[0]

    opened = ok(run(env, "--db", db))
    first = opened.splitlines()[0]
    assert "Ann Lee" in first and "Adventure Works" in first


def test_init_and_users_default_to_the_user_data_dir(env: dict[str, str], tmp_path: Path) -> None:
    """§10: without --db the database is a file in the user data directory."""
    ok(run(env, *init_args(None), cwd=tmp_path))
    assert not any(tmp_path.glob("*.db")), "not in the working directory"
    created = list(Path(env["XDG_DATA_HOME"]).rglob("*.db"))
    assert len(created) == 1, created
    assert "ann.lee@adventure-works.example" in ok(run(env, "users", cwd=tmp_path))


def test_users_lists_the_demo_people(env: dict[str, str], demo_copy: Path) -> None:
    listing = ok(run(env, "users", "--db", demo_copy))
    megan = [line for line in listing.splitlines() if MEGAN in line]
    assert len(megan) == 1 and "seller" in megan[0].split()
    assert len(listing.splitlines()) - 1 == scalar(demo_copy, "SELECT count(*) FROM users")


def test_as_and_cosell_user_pick_the_user(env: dict[str, str], demo_copy: Path) -> None:
    """§10: --as / COSELL_USER picks the user; default: the database's first admin."""
    default = ok(run(env, "--db", demo_copy, "--today", TODAY))
    by_flag = ok(run(env, "--db", demo_copy, "--as", MEGAN, "--today", TODAY))
    by_env = ok(run(env | {"COSELL_USER": MEGAN}, "--db", demo_copy, "--today", TODAY))
    assert "Megan Bowen" in by_flag and "Microsoft" in by_flag
    assert by_env == by_flag
    assert "Megan Bowen" not in default  # the default is an admin, never a seller
    admins = rows(
        demo_copy,
        "SELECT first_name || ' ' || last_name FROM users WHERE role = 'partner_admin'",
    )
    assert any(name in default for (name,) in admins), default


# --- environment variables --------------------------------------------------------------------


def test_cosell_db_is_the_same_as_db(env: dict[str, str], demo_copy: Path) -> None:
    by_flag = ok(run(env, "--db", demo_copy, "--today", TODAY))
    # the console script, reading COSELL_DB from its real environment
    by_env = ok(spawn(env | {"COSELL_DB": str(demo_copy)}, "--today", TODAY))
    assert by_env == by_flag


def test_cosell_user_unknown_is_a_user_error(env: dict[str, str], demo_copy: Path) -> None:
    # the console script: COSELL_USER from its real environment, exit 1, one stderr line
    result = spawn(env | {"COSELL_USER": "ghost@nowhere.example"}, "--db", demo_copy)
    assert "ghost@nowhere.example" in assert_user_error(result)


def test_cosell_today_impossible_is_a_user_error(env: dict[str, str], demo_copy: Path) -> None:
    before = dump(demo_copy)
    assert_user_error(run(env | {"COSELL_TODAY": "2026-13-40"}, "expire", "--db", demo_copy))
    assert dump(demo_copy) == before


def test_cosell_today_freezes_the_clock_like_today(env: dict[str, str], demo_copy: Path) -> None:
    """COSELL_TODAY (and COSELL_DB) instead of the flags: the same sweep as with --today."""
    due = received_due(demo_copy, SWEEP_AT)
    assert due
    out = ok(run(env | {"COSELL_TODAY": "2026-12-01", "COSELL_DB": str(demo_copy)}, "expire"))
    assert first_number(out) == len(due), out
    assert statuses_of(demo_copy, due) == {"expired"}


# --- expire -----------------------------------------------------------------------------------


def test_expire_closes_the_invitations_past_their_deadline(
    env: dict[str, str], demo_copy: Path
) -> None:
    """R-LIFE-4: at 2026-12-01 09:00 UTC the invitations that were about to expire when the demo
    was built (2026-11-27, deadline within two days: R-NOTE-4) are expired; a second sweep
    finds nothing left."""
    built_at = datetime(2026, 11, 27, 9, tzinfo=UTC)
    assert received_due(demo_copy, built_at) == set()  # the demo is swept at its own today
    about_to_expire = received_due(demo_copy, built_at + TWO_DAYS)
    assert len(about_to_expire) == 2  # the demo's two inbound invitations about to expire
    assert received_due(demo_copy, SWEEP_AT) == about_to_expire

    out = ok(run(env, "expire", "--db", demo_copy, "--today", "2026-12-01"))
    assert first_number(out) == 2, out
    assert statuses_of(demo_copy, about_to_expire) == {"expired"}
    assert received_due(demo_copy, SWEEP_AT) == set()

    again = ok(run(env, "expire", "--db", demo_copy, "--today", "2026-12-01"))
    assert first_number(again) == 0, again


# --- --demo -----------------------------------------------------------------------------------


def test_bare_demo_flag_creates_and_reuses_a_demo_in_the_user_data_dir(
    env: dict[str, str], tmp_path: Path
) -> None:
    """§10: --demo uses a separate demo database in the user data dir, created when missing."""
    data = Path(env["XDG_DATA_HOME"])
    assert not any(data.rglob("*.db"))
    # the console script without a terminal (stdout is a pipe): builds, reports, exits 0
    first = ok(spawn(env, "--demo", "--today", TODAY, cwd=tmp_path))
    created = list(data.rglob("*.db"))
    assert len(created) == 1, created
    demo = created[0]
    assert scalar(demo, "SELECT count(*) FROM referrals") > 0
    assert first.strip()

    with sqlite3.connect(demo) as connection:  # a mark a rebuild would wipe out
        connection.execute("CREATE TABLE test_marker (note TEXT)")
    connection.close()
    again = ok(run(env, "--demo", "--as", MEGAN, "--today", TODAY, cwd=tmp_path))
    assert "Megan Bowen" in again
    assert scalar(demo, "SELECT count(*) FROM sqlite_master WHERE name = 'test_marker'") == 1
    assert list(data.rglob("*.db")) == [demo]

    # separate: the regular default database is not the demo
    regular = run(env, "users", cwd=tmp_path)
    assert MEGAN not in regular.stdout
