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
