"""R-STORE-1 in the database itself: SQLite triggers that refuse changes to closed deals.

The statements are generated from a table list that each migration passes explicitly, so a
migration keeps creating exactly the guards of its own revision.
"""

from __future__ import annotations

from collections.abc import Iterable

TERMINAL = "('won','lost','declined','expired')"
CLOSED_DEAL = (
    "cosell-tui: this deal is closed (won, lost, declined or expired) and cannot be changed"
)
CLOSED_DATA = (
    "cosell-tui: this row belongs to a closed deal (won, lost, declined or expired) "
    "and cannot be changed"
)
APPEND_ONLY = "cosell-tui: the activity log is append-only"
FINAL_REGISTRATION = (
    "cosell-tui: this registration is approved or rejected, a final state, and cannot be changed"
)
NO_ACTIVE_PARTY = "cosell-tui: every party of this deal has closed it; the discussion is over"

# Tables holding a referral's own data but exempt from R-STORE-1, exactly as SPEC §11 names them.
EXEMPT = frozenset({"favorites", "activity", "notifications", "registrations"})

GUARD_MESSAGES = (CLOSED_DEAL, CLOSED_DATA, APPEND_ONLY, FINAL_REGISTRATION, NO_ACTIVE_PARTY)


def _closed(referral_id: str) -> str:
    return f"(SELECT status FROM referrals WHERE id = {referral_id}) IN {TERMINAL}"


def _raise(message: str) -> str:
    return f"SELECT RAISE(ABORT, '{message}');"


def sqlite_guard_triggers(own_data_tables: Iterable[str]) -> list[str]:
    """CREATE TRIGGER statements for `referrals`, each own-data table and the exceptions."""
    statements = [
        f"""CREATE TRIGGER guard_referrals_update BEFORE UPDATE ON referrals
            WHEN OLD.status IN {TERMINAL} BEGIN {_raise(CLOSED_DEAL)} END""",
        f"""CREATE TRIGGER guard_referrals_delete BEFORE DELETE ON referrals
            WHEN OLD.status IN {TERMINAL} BEGIN {_raise(CLOSED_DEAL)} END""",
    ]
    for table in own_data_tables:
        if table in EXEMPT:
            raise ValueError(f"{table} is exempt from R-STORE-1")
        statements += [
            f"""CREATE TRIGGER guard_{table}_insert BEFORE INSERT ON {table}
                WHEN {_closed("NEW.referral_id")} BEGIN {_raise(CLOSED_DATA)} END""",
            f"""CREATE TRIGGER guard_{table}_update BEFORE UPDATE ON {table}
                WHEN {_closed("OLD.referral_id")} OR {_closed("NEW.referral_id")}
                BEGIN {_raise(CLOSED_DATA)} END""",
            f"""CREATE TRIGGER guard_{table}_delete BEFORE DELETE ON {table}
                WHEN {_closed("OLD.referral_id")} BEGIN {_raise(CLOSED_DATA)} END""",
        ]
    statements += [
        f"""CREATE TRIGGER guard_activity_update BEFORE UPDATE ON activity
            BEGIN {_raise(APPEND_ONLY)} END""",
        f"""CREATE TRIGGER guard_activity_delete BEFORE DELETE ON activity
            BEGIN {_raise(APPEND_ONLY)} END""",
        f"""CREATE TRIGGER guard_registrations_update BEFORE UPDATE ON registrations
            WHEN OLD.status IN ('approved','rejected') BEGIN {_raise(FINAL_REGISTRATION)} END""",
        f"""CREATE TRIGGER guard_registrations_delete BEFORE DELETE ON registrations
            WHEN OLD.status IN ('approved','rejected') BEGIN {_raise(FINAL_REGISTRATION)} END""",
        f"""CREATE TRIGGER guard_comments_insert BEFORE INSERT ON comments
            WHEN NOT EXISTS (SELECT 1 FROM referrals WHERE engagement_id = NEW.engagement_id
                             AND status IN ('received','accepted'))
            BEGIN {_raise(NO_ACTIVE_PARTY)} END""",
    ]
    return statements


def sqlite_drop_guard_triggers(own_data_tables: Iterable[str]) -> list[str]:
    names = ["guard_referrals_update", "guard_referrals_delete"]
    for table in own_data_tables:
        names += [f"guard_{table}_insert", f"guard_{table}_update", f"guard_{table}_delete"]
    names += [
        "guard_activity_update",
        "guard_activity_delete",
        "guard_registrations_update",
        "guard_registrations_delete",
        "guard_comments_insert",
    ]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in names]


def guard_message(error_text: str) -> str | None:
    """The guard sentence inside a driver error, without its prefix, or None."""
    for message in GUARD_MESSAGES:
        if message in error_text:
            return message.removeprefix("cosell-tui: ").capitalize() + "."
    return None


# --- PostgreSQL (R-STORE-4): the same contract as trigger functions ------------------------------
#
# SQLite runs one writer at a time; PostgreSQL runs many, so an own-data trigger reads its
# referral's status with FOR SHARE: a concurrent close of that referral waits for this write (or
# this write waits for the close and then sees the closed status), and a closed deal can never
# gain, change or lose a row. SQLSTATE 23000 makes the refusal an integrity error, as in SQLite.
# The functions run with their owner's rights (SECURITY DEFINER): row-level security (R-ACL-4,
# store/isolation.py) hides other organizations' referrals from a member's login, and a guard
# must see the status of a deal whoever writes to it.

_PG_RAISE = "RAISE EXCEPTION USING MESSAGE = '{message}', ERRCODE = '23000';"


def _pg_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _pg_raise(message: str) -> str:
    return _PG_RAISE.format(message=message)


def postgresql_guard_functions() -> list[str]:
    """The trigger functions (shared by every table); `postgresql_guard_triggers` binds them."""
    closed = "SELECT status FROM referrals WHERE id = {ref} FOR SHARE"
    return [
        f"""CREATE OR REPLACE FUNCTION cosell_guard_referral() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
            BEGIN
                IF OLD.status IN {TERMINAL} THEN {_pg_raise(CLOSED_DEAL)} END IF;
                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                RETURN NEW;
            END $$""",
        f"""CREATE OR REPLACE FUNCTION cosell_guard_own_data() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
            DECLARE
                found text;
            BEGIN
                IF TG_OP IN ('UPDATE', 'DELETE') THEN
                    {closed.format(ref="OLD.referral_id")} INTO found;
                    IF found IN {TERMINAL} THEN {_pg_raise(CLOSED_DATA)} END IF;
                END IF;
                IF TG_OP IN ('INSERT', 'UPDATE') THEN
                    {closed.format(ref="NEW.referral_id")} INTO found;
                    IF found IN {TERMINAL} THEN {_pg_raise(CLOSED_DATA)} END IF;
                    RETURN NEW;
                END IF;
                RETURN OLD;
            END $$""",
        f"""CREATE OR REPLACE FUNCTION cosell_guard_append_only() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
            BEGIN {_pg_raise(APPEND_ONLY)} END $$""",
        f"""CREATE OR REPLACE FUNCTION cosell_guard_registration() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
            BEGIN
                IF OLD.status IN ('approved', 'rejected') THEN
                    {_pg_raise(FINAL_REGISTRATION)}
                END IF;
                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                RETURN NEW;
            END $$""",
        # The open parties are read FOR SHARE, as above: a close of the last one waits for
        # this comment, or this comment waits for the close and then finds no open party.
        f"""CREATE OR REPLACE FUNCTION cosell_guard_comment() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
            BEGIN
                PERFORM 1 FROM referrals WHERE engagement_id = NEW.engagement_id
                    AND status IN ('received', 'accepted') FOR SHARE;
                IF NOT FOUND THEN {_pg_raise(NO_ACTIVE_PARTY)} END IF;
                RETURN NEW;
            END $$""",
        # The refusal's sentence is the trigger's argument: the table's own guard message.
        """CREATE OR REPLACE FUNCTION cosell_guard_truncate() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
            BEGIN RAISE EXCEPTION USING MESSAGE = TG_ARGV[0], ERRCODE = '23000'; END $$""",
    ]


def postgresql_guard_triggers(own_data_tables: Iterable[str]) -> list[str]:
    """The functions, then a trigger per table: the contract of `sqlite_guard_triggers`.

    TRUNCATE skips row triggers, so the guarded tables, the activity log and registrations
    (final ones are frozen) refuse it too, each with its own sentence (a statement trigger;
    SQLite has no TRUNCATE)."""
    statements = [
        *postgresql_guard_functions(),
        """CREATE TRIGGER guard_referrals BEFORE UPDATE OR DELETE ON referrals
           FOR EACH ROW EXECUTE FUNCTION cosell_guard_referral()""",
    ]
    truncate_refusals = {
        "referrals": CLOSED_DEAL,
        "activity": APPEND_ONLY,
        "registrations": FINAL_REGISTRATION,
    }
    for table in own_data_tables:
        if table in EXEMPT:
            raise ValueError(f"{table} is exempt from R-STORE-1")
        truncate_refusals[table] = CLOSED_DATA
        statements.append(
            f"""CREATE TRIGGER guard_{table} BEFORE INSERT OR UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION cosell_guard_own_data()"""
        )
    statements += [
        """CREATE TRIGGER guard_activity BEFORE UPDATE OR DELETE ON activity
           FOR EACH ROW EXECUTE FUNCTION cosell_guard_append_only()""",
        """CREATE TRIGGER guard_registrations BEFORE UPDATE OR DELETE ON registrations
           FOR EACH ROW EXECUTE FUNCTION cosell_guard_registration()""",
        """CREATE TRIGGER guard_comments_insert BEFORE INSERT ON comments
           FOR EACH ROW EXECUTE FUNCTION cosell_guard_comment()""",
    ]
    statements += [
        f"""CREATE TRIGGER guard_{table}_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION cosell_guard_truncate({_pg_literal(message)})"""
        for table, message in truncate_refusals.items()
    ]
    return statements


def postgresql_drop_guard_triggers(own_data_tables: Iterable[str]) -> list[str]:
    tables = ["referrals", "activity", *own_data_tables]
    statements = [f"DROP TRIGGER IF EXISTS guard_{table} ON {table}" for table in tables]
    tables.append("registrations")
    statements += [f"DROP TRIGGER IF EXISTS guard_{table}_truncate ON {table}" for table in tables]
    statements += [
        "DROP TRIGGER IF EXISTS guard_registrations ON registrations",
        "DROP TRIGGER IF EXISTS guard_comments_insert ON comments",
    ]
    statements += [
        f"DROP FUNCTION IF EXISTS {name}()"
        for name in (
            "cosell_guard_referral",
            "cosell_guard_own_data",
            "cosell_guard_append_only",
            "cosell_guard_registration",
            "cosell_guard_comment",
            "cosell_guard_truncate",
        )
    ]
    return statements


def guard_triggers(dialect: str, own_data_tables: Iterable[str]) -> list[str]:
    """A migration's guards for the database it runs on."""
    if dialect == "postgresql":
        return postgresql_guard_triggers(own_data_tables)
    return sqlite_guard_triggers(own_data_tables)


def drop_guard_triggers(dialect: str, own_data_tables: Iterable[str]) -> list[str]:
    if dialect == "postgresql":
        return postgresql_drop_guard_triggers(own_data_tables)
    return sqlite_drop_guard_triggers(own_data_tables)
