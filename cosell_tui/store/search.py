"""Finding deals by deal or customer name for the command palette (R-UI-6), from indexed SQL.

On SQLite an FTS5 table with the trigram tokenizer (`deal_search`, migration 0004) holds every
referral's name and its customer's name, kept current by triggers, so a search stays fast at
100 000 deals: words of three or more characters are index look-ups (substrings of the deal's
or the customer's name, in any case), and one mistyped letter per word is forgiven when
nothing matches exactly. Shorter input scans the start of the name indexes. Where there is
no FTS5 index — PostgreSQL, or an SQLite without FTS5's trigram tokenizer (older than 3.34 or
built without FTS5: migration 0004 then skips it) — LIKE does the same work, by the same rules
(`_like`); on PostgreSQL its patterns are read from trigram indexes (pg_trgm, migration 0004).

The index heals itself: `heal` (run by every open) recreates a trigger that is missing — a
bulk load killed halfway, a database last written by an SQLite without FTS5 — and indexes
what the index lacks.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
    union_all,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, aliased

from cosell_tui.domain.enums import DealType, Direction, Status
from cosell_tui.domain.listing import Viewer
from cosell_tui.domain.models import User
from cosell_tui.store import lists
from cosell_tui.store.queries import contains_pattern, folded, starts_pattern, visible_to
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


INSERT_TRIGGER = "deal_search_referral_insert"


@cache
def fts5_trigram_available() -> bool:
    """Whether this SQLite has FTS5 and its trigram tokenizer (3.34 or later, built with FTS5).

    Tried on a private in-memory database, once per process: pysqlite, which the engine uses,
    is this same library.
    """
    if sqlite3.sqlite_version_info < (3, 34, 0):
        return False
    try:
        with closing(sqlite3.connect(":memory:")) as probe:
            probe.execute("CREATE VIRTUAL TABLE probe USING fts5(a, tokenize = 'trigram')")
    except sqlite3.Error:
        return False
    return True


def _trigger(name: str) -> str:
    return f"CREATE TRIGGER IF NOT EXISTS {name} {_TRIGGERS[name].strip()}"


def sqlite_search_ddl() -> list[str]:
    """The index, its key table and the triggers that keep them current."""
    return [
        "CREATE TABLE deal_search_ids ("
        "id INTEGER PRIMARY KEY, deal_id VARCHAR(36) NOT NULL UNIQUE)",
        # trigram: any substring of 3+ characters matches; case-insensitive (Unicode letters too)
        "CREATE VIRTUAL TABLE deal_search USING fts5(name, customer, tokenize = 'trigram')",
        *(_trigger(name) for name in _TRIGGERS),
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


def sqlite_search_drop(*, with_index: bool = True) -> list[str]:
    """Triggers and tables; `with_index=False` leaves the FTS5 table, which an SQLite without
    FTS5 cannot drop."""
    return [
        *(f"DROP TRIGGER IF EXISTS {name}" for name in _TRIGGERS),
        *(["DROP TABLE IF EXISTS deal_search"] if with_index else []),
        "DROP TABLE IF EXISTS deal_search_ids",
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


_OBJECTS = frozenset({SEARCH_TABLE, KEYS_TABLE, *_TRIGGERS})


def _present(connection: Connection) -> set[str]:
    """Which tables, indexes and triggers of the search and list indexes the schema holds (one
    look at sqlite_master)."""
    rows = connection.execute(text("SELECT name FROM sqlite_master WHERE name GLOB 'deal_*'"))
    return {name for (name,) in rows} & (_OBJECTS | lists.LIST_OBJECTS)


def _needs_care(present: set[str]) -> bool:
    if fts5_trigram_available():
        return present & _OBJECTS != _OBJECTS  # usually they are equal: nothing to do
    # No FTS5 here: searches use LIKE. Triggers naming the FTS5 table would make every new
    # deal fail ("no such module"), so they go (a database indexed by a newer SQLite).
    return bool(present & set(_TRIGGERS))


def heal(db: Database) -> bool:
    """Make the search and list indexes whole again if they are not (every open runs this;
    True if it changed anything).

    The usual case costs one read of sqlite_master. A missing insert trigger (a bulk load
    killed halfway) comes back and what it missed is indexed; any other missing trigger or
    table means the index may be stale, so it is rebuilt. On an SQLite without FTS5, the
    search triggers go instead. A busy or read-only database is left as it is: the next open
    tries again, and searching works meanwhile (it may miss the newest deals; lists read the
    referrals while their index is missing).
    """
    if db.engine.dialect.name != "sqlite":
        return False
    with db.engine.connect() as connection:  # a plain read: no session, no write lock
        present = _present(connection)
        if not _needs_care(present) and not lists.list_repairs(present):
            return False
    try:
        with db.transaction() as session:
            return _repair(session.connection())
    except OperationalError:
        return False


def _repair(connection: Connection) -> bool:
    present = _present(connection)  # again, under the write lock: another process may have
    statements = lists.list_repairs(present)  # healed it meanwhile
    if _needs_care(present):
        statements += _search_repairs(connection, present)
    for statement in statements:
        connection.execute(text(statement))
    return bool(statements)


def _search_repairs(connection: Connection, present: set[str]) -> list[str]:
    if not fts5_trigram_available():
        return sqlite_search_drop(with_index=False)[: len(_TRIGGERS)]
    if not {SEARCH_TABLE, KEYS_TABLE} <= present:
        return [*sqlite_search_drop(), *sqlite_search_ddl(), *sqlite_search_fill()]
    if present & _OBJECTS | {INSERT_TRIGGER} == _OBJECTS:
        _index_missing(connection)  # only new deals may be missing
        return [_trigger(INSERT_TRIGGER)]
    # renames or deletes may have been missed: index everything afresh
    return [
        *(_trigger(name) for name in _TRIGGERS),
        "DELETE FROM deal_search",
        "DELETE FROM deal_search_ids",
        *sqlite_search_fill(),
    ]


def has_index(connection: Connection) -> bool:
    """Whether searches can use the FTS5 index here (else they use LIKE)."""
    if connection.dialect.name != "sqlite" or not fts5_trigram_available():
        return False
    found = connection.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {"name": KEYS_TABLE},
    )
    return found.first() is not None


@contextmanager
def bulk_loading(db: Database) -> Iterator[None]:
    """Inserting many referrals (the demo's `--deals N`): index them once at the end.

    One INSERT … SELECT is several times quicker than the insert trigger row by row; the list
    index is built afresh (`lists.bulk_load_started`). The triggers come back (and what was
    inserted is indexed) in one transaction, when the load ends or fails; if even that fails
    (or the process is killed), the next open heals the indexes. A failed load's own error is
    the one raised.
    """
    with db.reading() as session:
        connection = session.connection()
        indexed = has_index(connection)
        listed = lists.has_list_index(connection)
    if not (indexed or listed):
        yield
        return
    with db.transaction() as session:
        if indexed:
            session.execute(text(f"DROP TRIGGER IF EXISTS {INSERT_TRIGGER}"))
        if listed:
            for statement in lists.bulk_load_started():
                session.execute(text(statement))
    try:
        yield
    except BaseException as error:
        try:
            _restore(db, indexed=indexed, listed=listed)
        except Exception as restoring:  # the load's own error is the one raised
            error.add_note(f"The search index is repaired at the next open ({restoring}).")
        raise
    _restore(db, indexed=indexed, listed=listed)


def _restore(db: Database, *, indexed: bool, listed: bool) -> None:
    with db.transaction() as session:
        connection = session.connection()
        if indexed:
            _index_missing(connection)
            connection.execute(text(_trigger(INSERT_TRIGGER)))
        if listed:
            for statement in lists.bulk_load_ended():
                connection.execute(text(statement))


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


def _hits(session: Session, statement: _Rows, params: dict[str, Any]) -> list[DealHit]:
    return [
        DealHit(
            referral_id=referral_id,
            name=name,
            customer=customer,
            status=Status(status),
            direction=Direction(direction),
            deal_type=DealType(deal_type),
        )
        for referral_id, name, customer, status, direction, deal_type in session.execute(
            statement, params
        )
    ]


# Parameters of the search statements (with the viewer's, `lists.viewer_params`).
_MATCH = bindparam("match", type_=String)
_LIMIT = bindparam("limit", type_=Integer)
_SCAN = bindparam("scan", type_=Integer)
_FOLD = bindparam("fold", type_=String)


@dataclass(frozen=True)
class _Source:
    """Where a search reads the deals a user may see: the list index (`lists.deal_list`), or
    the referrals with their engagements and companies where it is missing."""

    rows: _Rows  # id, name, customer, status, direction, type
    deal_id: Any
    name: Any
    customer: Any
    listed: bool = False
    on_teams_only: bool = False  # the user sees the deals whose team they are on, no more

    def fold(self, column: Any) -> Any:
        """`folded(column)`; on the list index without the Python function for ASCII text."""
        return lists.ascii_folded(column) if self.listed else folded(column)

    def named(self, window: Any) -> ColumnElement[bool]:
        """The deal is in `window` (`_starting`: ids, organizations), and of the user's
        organization (so that only those rows of the list index are read)."""
        if not self.listed:
            return ReferralRow.id.in_(select(window.c.id))
        mine = select(window.c.id).where(window.c.organization_id == lists.ORGANIZATION)
        found: ColumnElement[bool] = self.deal_id.in_(mine)
        return found

    def of_engagements(self, engagements: Any) -> ColumnElement[bool]:
        """The deal is a party's to one of `engagements` (of the user's organization: from an
        index of the referrals alone)."""
        if not self.listed:
            return ReferralRow.engagement_id.in_(engagements)
        referred = aliased(ReferralRow)
        mine = select(referred.id).where(
            referred.engagement_id.in_(engagements),
            # as an expression: SQLite reads the index that holds the id, not the unique one
            referred.organization_id + 0 == lists.ORGANIZATION,
        )
        found: ColumnElement[bool] = self.deal_id.in_(mine)
        return found


def _source(session: Session, viewer: User) -> tuple[_Source, dict[str, Any]]:
    """The source for `viewer` and the parameters of its statements."""
    if not lists.reads_index(session):
        return _Source(_base(viewer), ReferralRow.id, ReferralRow.name, CompanyRow.name), {}
    return _listed(Viewer.of(viewer.role, viewer.scope_location_id)), lists.viewer_params(viewer)


@cache
def _listed(kind: Viewer) -> _Source:
    d = lists.deal_list.c
    # The organization as an expression: SQLite must not start from its range of the list
    # index (all its deals) but from the deals found, or from the user's teams.
    visible = lists.visible(kind, d.organization_id + 0)
    rows = select(d.deal_id, d.name, d.customer, d.status, d.direction, d.deal_type)
    return _Source(
        rows.where(*visible),
        d.deal_id,
        d.name,
        d.customer,
        listed=True,
        on_teams_only=kind in (Viewer.TEAM, Viewer.TEAM_SCOPED),
    )


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
    return has_index(session.connection())


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
    words = [w for w in typed.casefold().split() if len(w) >= 3]
    if not _indexed(session):
        found = _like(session, viewer, typed, words, limit)
    else:
        source, params = _source(session, viewer)
        if not words:
            return _prefix(session, source, params, typed, limit)
        statement = _fts(source)
        exact = {"match": _all(_phrase, words), "limit": limit}
        found = _hits(session, statement, params | exact)
        if not found:
            forgiving = {"match": _all(_forgiving, words), "limit": limit}
            found = _hits(session, statement, params | forgiving)
    if not words:
        return found
    typed_grams = set(trigrams(typed))
    return [
        replace(hit, shared=len(typed_grams & set(trigrams(f"{hit.name} {hit.customer}"))))
        for hit in found
    ]


def _forgivings(word: str) -> list[tuple[str, ...]]:
    """`word` with one letter wrong, missing or extra: for each position, the parts left and
    right of it must both appear (each part three or more characters); the word itself first."""
    alternatives: list[tuple[str, ...]] = [(word,)]
    for at in range(len(word)):
        parts = tuple(part for part in (word[:at], word[at + 1 :]) if len(part) >= 3)
        if sum(map(len, parts)) >= max(4, len(word) - 3):
            alternatives.append(parts)
    return list(dict.fromkeys(alternatives))


def _forgiving(word: str) -> str:
    """FTS5 query for `word` with one letter wrong, missing or extra (`_forgivings`)."""
    alternatives = (" AND ".join(map(_phrase, parts)) for parts in _forgivings(word))
    return "(" + " OR ".join(f"({a})" for a in alternatives) + ")"


def _all(query: Callable[[str], str], words: list[str]) -> str:
    return " AND ".join(query(word) for word in words)


def _fts(source: _Source) -> _Rows:
    """Matches of the FTS5 query `match`, newest first (parameter `limit`); built once per
    kind of user on the list index."""
    return _listed_fts(source) if source.listed else _fts_of(source)


@cache
def _listed_fts(source: _Source) -> _Rows:
    return _fts_of(source)


def _fts_of(source: _Source) -> _Rows:
    statement = (
        source.rows.join(_keys, _keys.c.deal_id == source.deal_id)
        .join(_search, _search.c.rowid == _keys.c.id)
        .where(literal_column(SEARCH_TABLE).op("MATCH")(_MATCH))
        .order_by(_search.c.rowid.desc())  # the newest deals first; FTS5 reads them so
        .limit(_LIMIT)
    )
    if source.on_teams_only:  # a few deals: FTS5 checks each of them, not every match
        teams = _keys.alias("teams")
        on_team = select(teams.c.id).where(teams.c.deal_id.in_(lists.team_deals()))
        statement = statement.where(_search.c.rowid.in_(on_team))
    return statement


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _index_prefixes(typed: str) -> list[str]:
    """Where names starting with `typed` (case-folded like Python) sit in a lower(name) index.

    SQLite's lower() folds ASCII only (unless built with ICU), so "Élan" is under "Élan" and
    "élan" under "élan": a typed "é" looks under both. Every spelling of each typed letter
    that folds to the same (its lower, upper and folded forms) is tried, as the index keys it.
    """
    spellings = [
        dict.fromkeys(
            form.translate(_ASCII_LOWER)
            for form in (letter, letter.lower(), letter.upper(), letter.casefold())
        )
        for letter in typed
    ]
    return ["".join(parts) for parts in itertools.product(*spellings)]


def _starting(row: type[ReferralRow] | type[CompanyRow], prefixes: int) -> Any:
    """Ids of `row`'s table whose lower(name) starts with one of the prefixes (parameters
    `low0`, `high0`, …; with their organizations, for referrals), `scan` at most per prefix:
    one range scan of its lower(name) index each (an alias each, never correlated with the
    query around it)."""
    ranges = []
    for n in range(prefixes):
        named: Any = aliased(row)
        key = func.lower(named.name)
        columns = [named.id, named.organization_id] if row is ReferralRow else [named.id]
        low, high = bindparam(f"low{n}", type_=String), bindparam(f"high{n}", type_=String)
        ranges.append(select(*columns).where(key >= low, key < high).order_by(key).limit(_SCAN))
    # SQLite: LIMIT inside a UNION only in a subquery
    parts = [select(*part.subquery().c) for part in ranges]
    return union_all(*parts).subquery() if len(parts) > 1 else ranges[0].subquery()


def _prefix(
    session: Session, source: _Source, params: dict[str, Any], typed: str, limit: int
) -> list[DealHit]:
    """One or two characters: deal names, then customer names, starting so (in any case,
    accented letters too: "é" finds "École").

    Limited scans of the lower(name) indexes come first, so the organization's deals never
    drive the query; a user who sees few deals may see none here (typing a third character
    searches them all). The names found are then checked with the app's own case folding
    (`folded`), which is what the answer follows.
    """
    fold = typed.casefold()
    prefixes = _index_prefixes(typed)
    ranges = {f"low{n}": low for n, low in enumerate(prefixes)} | {
        f"high{n}": low[:-1] + chr(ord(low[-1]) + 1) for n, low in enumerate(prefixes)
    }
    params = params | ranges | {"fold": fold, "scan": limit * 25, "limit": limit}
    by_name, by_customer = _prefix_statements(source, len(prefixes), len(fold))
    names = _hits(session, by_name, params)
    if len(names) >= limit:
        return names
    have = {hit.referral_id for hit in names}
    customers = _hits(session, by_customer, params)
    return names + [hit for hit in customers if hit.referral_id not in have][: limit - len(names)]


def _prefix_statements(source: _Source, prefixes: int, letters: int) -> tuple[_Rows, _Rows]:
    """Deals by name, deals by customer (see `_prefix`), built once per shape on the index."""
    if source.listed:
        return _listed_prefix_statements(source, prefixes, letters)
    return _prefix_statements_of(source, prefixes, letters)


@cache
def _listed_prefix_statements(source: _Source, prefixes: int, letters: int) -> tuple[_Rows, _Rows]:
    return _prefix_statements_of(source, prefixes, letters)


def _prefix_statements_of(source: _Source, prefixes: int, letters: int) -> tuple[_Rows, _Rows]:
    name_fold = source.fold(source.name)
    by_name = (
        source.rows.where(source.named(_starting(ReferralRow, prefixes)))
        .where(func.substr(name_fold, 1, letters) == _FOLD)
        .order_by(name_fold, source.deal_id)
        .limit(_LIMIT)
    )
    customers = select(_starting(CompanyRow, prefixes).c.id)
    engaged = aliased(EngagementRow)
    engagements = select(engaged.id).where(engaged.company_id.in_(customers)).limit(_SCAN)
    customer_fold = source.fold(source.customer)
    by_customer = (
        source.rows.where(source.of_engagements(engagements))
        .where(func.substr(customer_fold, 1, letters) == _FOLD)
        .order_by(customer_fold, name_fold, source.deal_id)
        .limit(_LIMIT)
    )
    return by_name, by_customer


def _like(
    session: Session, viewer: User, typed: str, words: list[str], limit: int
) -> list[DealHit]:
    """Without the FTS5 index (PostgreSQL, an older SQLite), by LIKE, as `find_deals` and
    `_prefix` do with it: every word of three or more characters appears in the deal's or the
    customer's name ("proseware inc" finds "Proseware, Inc."), and when no deal has them all,
    one letter per word may be wrong; shorter input finds deal names, then customer names,
    starting so."""
    if not words:
        start = starts_pattern(typed)
        by_name = _base(viewer).where(folded(ReferralRow.name).like(start, escape="\\"))
        names = _hits(
            session, by_name.order_by(folded(ReferralRow.name), ReferralRow.id).limit(limit), {}
        )
        if len(names) >= limit:
            return names
        by_customer = (
            _base(viewer)
            .where(folded(CompanyRow.name).like(start, escape="\\"))
            .where(ReferralRow.id.not_in([hit.referral_id for hit in names]))
            .order_by(folded(CompanyRow.name), folded(ReferralRow.name), ReferralRow.id)
            .limit(limit - len(names))
        )
        return names + _hits(session, by_customer, {})

    def anywhere(part: str) -> ColumnElement[bool]:
        pattern = contains_pattern(part)
        return or_(
            folded(ReferralRow.name).like(pattern, escape="\\"),
            folded(CompanyRow.name).like(pattern, escape="\\"),
        )

    def matching(conditions: list[ColumnElement[bool]]) -> list[DealHit]:
        statement = (
            _base(viewer)
            .where(*conditions)
            .order_by(folded(ReferralRow.name), ReferralRow.id)
            .limit(limit)
        )
        return _hits(session, statement, {})

    found = matching([anywhere(word) for word in words])
    if found:
        return found
    return matching(
        [or_(*(and_(*map(anywhere, parts)) for parts in _forgivings(word))) for word in words]
    )
