"""Finding deals by deal or customer name for the command palette (R-UI-6), from indexed SQL.

On SQLite an FTS5 table with the trigram tokenizer (`deal_search`, migration 0004) holds every
referral's name and its customer's name, kept current by triggers, so a search stays fast at
100 000 deals: words of three or more characters are index look-ups (substrings of the deal's
or the customer's name, in any case), and one mistyped letter per word is forgiven when
nothing matches exactly. Shorter input scans the start of the name indexes. Elsewhere
(PostgreSQL, a later issue) a plain LIKE does the work.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlalchemy import (
    Connection,
    Select,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session, aliased

from cosell_tui.domain.enums import DealType, Direction, Status
from cosell_tui.domain.models import User
from cosell_tui.store.queries import contains_pattern, visible_to
from cosell_tui.store.schema import CompanyRow, EngagementRow, ReferralRow

if TYPE_CHECKING:
    from cosell_tui.store.database import Database

SEARCH_TABLE = "deal_search"
KEYS_TABLE = "deal_search_ids"


@dataclass(frozen=True)
class DealHit:
    """One deal the search found: what the palette shows and what it opens."""

    referral_id: str
    name: str
    customer: str
    status: Status
    direction: Direction
    deal_type: DealType
    shared: int = 0
    """How many of the query's trigrams the deal's names share (for typo ranking)."""


# --- the index (SQLite) ----------------------------------------------------------------------

# The FTS row of a referral is found through `deal_search_ids` (its INTEGER PRIMARY KEY is the FTS
# rowid): referrals have a text key, and their implicit rowid may change on VACUUM or a dump.
# The column is `deal_id`, not `referral_id`: this is an index, not a referral's own data, so
# R-STORE-1 does not freeze it (a customer renamed later is found by its new name, closed deals
# included). The triggers use plain SQL only, so they work from the sqlite3 shell too.
_TRIGGERS = {
    "deal_search_referral_insert": """
        AFTER INSERT ON referrals BEGIN
            INSERT INTO deal_search_ids (deal_id) VALUES (new.id);
            INSERT INTO deal_search (rowid, name, customer) VALUES (
                last_insert_rowid(),
                new.name,
                (SELECT c.name FROM engagements e JOIN companies c ON c.id = e.company_id
                 WHERE e.id = new.engagement_id)
            );
        END""",
    "deal_search_referral_rename": """
        AFTER UPDATE OF name ON referrals WHEN new.name IS NOT old.name BEGIN
            UPDATE deal_search SET name = new.name
            WHERE rowid = (SELECT id FROM deal_search_ids WHERE deal_id = new.id);
        END""",
    "deal_search_referral_delete": """
        AFTER DELETE ON referrals BEGIN
            DELETE FROM deal_search
            WHERE rowid = (SELECT id FROM deal_search_ids WHERE deal_id = old.id);
            DELETE FROM deal_search_ids WHERE deal_id = old.id;
        END""",
    "deal_search_company_rename": """
        AFTER UPDATE OF name ON companies WHEN new.name IS NOT old.name BEGIN
            UPDATE deal_search SET customer = new.name
            WHERE rowid IN (
                SELECT k.id FROM engagements e
                JOIN referrals r ON r.engagement_id = e.id
                JOIN deal_search_ids k ON k.deal_id = r.id
                WHERE e.company_id = new.id
            );
        END""",
    "deal_search_engagement_customer": """
        AFTER UPDATE OF company_id ON engagements WHEN new.company_id IS NOT old.company_id BEGIN
            UPDATE deal_search
            SET customer = (SELECT name FROM companies WHERE id = new.company_id)
            WHERE rowid IN (
                SELECT k.id FROM referrals r JOIN deal_search_ids k ON k.deal_id = r.id
                WHERE r.engagement_id = new.id
            );
        END""",
}


def sqlite_search_ddl() -> list[str]:
    """The index, its key table and the triggers that keep them current."""
    return [
        "CREATE TABLE deal_search_ids ("
        "id INTEGER PRIMARY KEY, deal_id VARCHAR(36) NOT NULL UNIQUE)",
        # trigram: any substring of 3+ characters matches; case-insensitive (Unicode letters too)
        "CREATE VIRTUAL TABLE deal_search USING fts5(name, customer, tokenize = 'trigram')",
        *(f"CREATE TRIGGER {name} {body.strip()}" for name, body in _TRIGGERS.items()),
    ]


def sqlite_search_fill() -> list[str]:
    """Index every referral already there, in two statements (the migration's backfill)."""
    return [
        "INSERT INTO deal_search_ids (deal_id) SELECT id FROM referrals ORDER BY rowid",
        "INSERT INTO deal_search (rowid, name, customer) "
        "SELECT k.id, r.name, c.name FROM deal_search_ids k "
        "JOIN referrals r ON r.id = k.deal_id "
        "JOIN engagements e ON e.id = r.engagement_id "
        "JOIN companies c ON c.id = e.company_id",
    ]


def _index_missing(connection: Connection) -> None:
    """Index every referral the index lacks, in two statements."""
    before = connection.execute(text("SELECT coalesce(max(id), 0) FROM deal_search_ids")).scalar()
    connection.execute(
        text(
            "INSERT INTO deal_search_ids (deal_id) SELECT r.id FROM referrals r "
            "WHERE NOT EXISTS (SELECT 1 FROM deal_search_ids k WHERE k.deal_id = r.id) "
            "ORDER BY r.rowid"
        )
    )
    connection.execute(
        text(
            "INSERT INTO deal_search (rowid, name, customer) "
            "SELECT k.id, r.name, c.name FROM deal_search_ids k "
            "JOIN referrals r ON r.id = k.deal_id "
            "JOIN engagements e ON e.id = r.engagement_id "
            "JOIN companies c ON c.id = e.company_id "
            "WHERE k.id > :before"
        ),
        {"before": before},
    )


def _has_index(db: Database) -> bool:
    with db.reading() as session:
        found = session.execute(
            text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
            {"name": KEYS_TABLE},
        )
        return found.first() is not None


@contextmanager
def bulk_loading(db: Database) -> Iterator[None]:
    """Inserting many referrals (the demo's `--deals N`): index them once at the end.

    One INSERT … SELECT is several times quicker than the insert trigger row by row. The
    trigger comes back (and what was inserted is indexed) even if the load fails.
    """
    if db.engine.dialect.name != "sqlite" or not _has_index(db):
        yield
        return
    insert = "deal_search_referral_insert"
    with db.transaction() as session:
        session.execute(text(f"DROP TRIGGER IF EXISTS {insert}"))
    try:
        yield
    finally:
        with db.transaction() as session:
            connection = session.connection()
            _index_missing(connection)
            connection.execute(text(f"CREATE TRIGGER {insert} {_TRIGGERS[insert].strip()}"))


def sqlite_search_drop() -> list[str]:
    return [
        *(f"DROP TRIGGER IF EXISTS {name}" for name in _TRIGGERS),
        "DROP TABLE IF EXISTS deal_search",
        "DROP TABLE IF EXISTS deal_search_ids",
    ]


# --- searching -------------------------------------------------------------------------------

_search = table(SEARCH_TABLE, column("rowid"), column("name"), column("customer"))
_keys = table(KEYS_TABLE, column("id"), column("deal_id"))
_WORD = re.compile(r"\S+")
_Rows = Select[str, str, str, str, str, str]  # id, name, customer, status, direction, type


def trigrams(text: str) -> list[str]:
    """The distinct trigrams of each word (as the index folds them), in order."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.casefold()):
        for i in range(len(word) - 2):
            seen.setdefault(word[i : i + 3], None)
    return list(seen)


def _phrase(text: str) -> str:
    """One FTS5 string: double quotes doubled, so nothing typed is read as query syntax."""
    return '"' + text.replace('"', '""') + '"'


def _hits(session: Session, statement: _Rows) -> list[DealHit]:
    return [
        DealHit(
            referral_id=referral_id,
            name=name,
            customer=customer,
            status=Status(status),
            direction=Direction(direction),
            deal_type=DealType(deal_type),
        )
        for referral_id, name, customer, status, direction, deal_type in session.execute(statement)
    ]


def _base(viewer: User) -> _Rows:
    return (
        select(
            ReferralRow.id,
            ReferralRow.name,
            CompanyRow.name,
            ReferralRow.status,
            ReferralRow.direction,
            EngagementRow.deal_type,
        )
        .join(EngagementRow, EngagementRow.id == ReferralRow.engagement_id)
        .join(CompanyRow, CompanyRow.id == EngagementRow.company_id)
        .where(visible_to(viewer))
    )


def _indexed(session: Session) -> bool:
    bind = session.get_bind()
    return bind.dialect.name == "sqlite"


def find_deals(session: Session, viewer: User, typed: str, limit: int = 40) -> list[DealHit]:
    """Deals `viewer` may see whose name or customer matches `typed`, newest first.

    Candidates only: the palette ranks them with its fuzzy matcher. Every word of three or
    more characters must appear in the deal's or the customer's name; when no deal has them
    all, one mistyped letter per word is forgiven (`DealHit.shared` then says how many of the
    typed trigrams the deal shares, for ranking).
    """
    typed = " ".join(typed.split())
    if not typed:
        return []
    if not _indexed(session):
        return _like(session, viewer, typed, limit)
    words = [w for w in typed.casefold().split() if len(w) >= 3]
    if not words:
        return _prefix(session, viewer, typed, limit)
    found = _fts(session, viewer, " AND ".join(_phrase(w) for w in words), limit)
    if not found:
        found = _fts(session, viewer, " AND ".join(_forgiving(w) for w in words), limit)
    typed_grams = set(trigrams(typed))
    return [
        replace(hit, shared=len(typed_grams & set(trigrams(f"{hit.name} {hit.customer}"))))
        for hit in found
    ]


def _forgiving(word: str) -> str:
    """FTS5 query for `word` with one letter wrong, missing or extra: for each position, the
    parts left and right of it must both appear (each part three or more characters)."""
    alternatives = [_phrase(word)]
    for at in range(len(word)):
        parts = [part for part in (word[:at], word[at + 1 :]) if len(part) >= 3]
        if sum(map(len, parts)) >= max(4, len(word) - 3):
            alternatives.append(" AND ".join(_phrase(part) for part in parts))
    return "(" + " OR ".join(f"({a})" for a in dict.fromkeys(alternatives)) + ")"


def _fts(session: Session, viewer: User, match: str, limit: int) -> list[DealHit]:
    statement = (
        _base(viewer)
        .join(_keys, _keys.c.deal_id == ReferralRow.id)
        .join(_search, _search.c.rowid == _keys.c.id)
        .where(literal_column(SEARCH_TABLE).op("MATCH")(match))
        .order_by(_search.c.rowid.desc())  # the newest deals first; FTS5 reads them so
        .limit(limit)
    )
    return _hits(session, statement)


def _prefix(session: Session, viewer: User, typed: str, limit: int) -> list[DealHit]:
    """One or two characters: deal names, then customer names, starting so.

    A limited scan of the lower(name) indexes comes first, so the organization's index never
    drives the query through all of its deals; a user who sees few deals may see none here
    (typing a third character searches them all).
    """
    low = typed.lower()
    high = low[:-1] + chr(ord(low[-1]) + 1)
    scan = limit * 25
    named = aliased(ReferralRow)
    name_key = func.lower(named.name)
    by_name = select(named.id).where(name_key >= low, name_key < high)
    names = _hits(
        session,
        _base(viewer)
        .where(ReferralRow.id.in_(by_name.order_by(name_key).limit(scan)))
        .order_by(func.lower(ReferralRow.name))
        .limit(limit),
    )
    if len(names) >= limit:
        return names
    company = aliased(CompanyRow)
    company_key = func.lower(company.name)
    customers = select(company.id).where(company_key >= low, company_key < high).limit(scan)
    engaged = aliased(EngagementRow)
    engagements = select(engaged.id).where(engaged.company_id.in_(customers)).limit(scan)
    have = {hit.referral_id for hit in names}
    by_customer = _hits(
        session,
        _base(viewer)
        .where(ReferralRow.engagement_id.in_(engagements))
        .order_by(func.lower(CompanyRow.name), func.lower(ReferralRow.name))
        .limit(limit),
    )
    return names + [hit for hit in by_customer if hit.referral_id not in have][: limit - len(names)]


def _like(session: Session, viewer: User, typed: str, limit: int) -> list[DealHit]:
    pattern = contains_pattern(typed)
    statement = (
        _base(viewer)
        .where(
            or_(
                ReferralRow.name.ilike(pattern, escape="\\"),
                CompanyRow.name.ilike(pattern, escape="\\"),
            )
        )
        .order_by(ReferralRow.name)
        .limit(limit)
    )
    return _hits(session, statement)
