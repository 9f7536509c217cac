"""The early read at launch (issue 6, R-ACL-1): before SQLAlchemy loads, each tab's first list
comes straight from SQLite — the same rows, in the same order, for every kind of user, as the
store gives once open; anything else waits for the store."""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from pathlib import Path

import pytest

from cosell_tui.clock import FixedClock
from cosell_tui.domain.listing import DEFAULT_SORT, Show, Tab, first_query
from cosell_tui.domain.models import User
from cosell_tui.source import DatabaseSource
from cosell_tui.store import early, early_sql, lists, queries
from cosell_tui.store.database import SCHEMA_HEAD, Database, sqlite_path


def path_of(db: Database) -> Path:
    path = sqlite_path(db.engine.url)
    assert path is not None
    return path


def test_the_early_statements_are_those_the_store_runs() -> None:
    # regenerate with `python -m cosell_tui.store.lists` after changing the lists' SQL
    assert lists.early_statements(DEFAULT_SORT) == early_sql.STATEMENTS
    assert set(early_sql.LIST_OBJECTS) == lists.LIST_OBJECTS
    assert early_sql.SCHEMA_HEAD == SCHEMA_HEAD


def test_every_user_sees_the_same_first_lists_early_as_from_the_store(
    demo_db: Database, clock: FixedClock
) -> None:
    with demo_db.engine.begin() as connection:  # a private deal among the sellers' active ones
        made_private = connection.exec_driver_sql(
            "UPDATE engagements SET deal_type = 'private' WHERE id IN (SELECT engagement_id "
            "FROM referrals WHERE organization_id = 1 AND status IN ('received', 'accepted') "
            "LIMIT 2)"
        )
        assert made_private.rowcount == 2
    with demo_db.reading() as session:
        users = queries.users(session)
    assert {user.role for user in users} >= {"partner_admin", "seller", "referral_user"}
    seen = 0
    for user in users:
        source = early.peek(str(path_of(demo_db)), user.email.upper(), clock)
        assert source is not None, user.email
        store = DatabaseSource(demo_db, user)
        for tab in Tab:
            query = first_query(tab)
            total = store.count(query)
            assert source.count(query) == total, (user.email, tab)
            expected = [row.model_dump() for row in store.page(query, 0, 500)]
            assert [dataclasses.asdict(row) for row in source.page(query, 0, 500)] == expected
            middle = [dataclasses.asdict(row) for row in source.page(query, 3, 4)]
            assert middle == expected[3:7]
            seen += total
        source.hand_over(store)
    assert seen > 50  # the lists were not all empty


def test_without_an_email_the_default_user_is_read(demo_db: Database, clock: FixedClock) -> None:
    with demo_db.reading() as session:
        default = queries.first_admin(session)
    assert default is not None
    source = early.peek(str(path_of(demo_db)), None, clock)
    assert source is not None
    store = DatabaseSource(demo_db, default)
    query = first_query(Tab.INBOUND)
    assert [r.id for r in source.page(query, 0, 100)] == [r.id for r in store.page(query, 0, 100)]


def test_other_lists_wait_for_the_store_and_fail_if_it_never_opens(
    demo_db: Database, people: dict[str, User], clock: FixedClock
) -> None:
    source = early.peek(str(path_of(demo_db)), people["Dana"].email, clock)
    assert source is not None
    store = DatabaseSource(demo_db, people["Dana"])
    closed = first_query(Tab.INBOUND).with_(show=Show.CLOSED)
    answers: list[int] = []
    waiting = threading.Thread(target=lambda: answers.append(source.count(closed)))
    waiting.start()
    waiting.join(0.2)
    assert waiting.is_alive() and not answers  # no early answer for another view
    source.hand_over(store)
    waiting.join(5)
    assert answers == [store.count(closed)]
    # after the hand-over even the first lists come from the store
    assert source.count(first_query(Tab.OUTBOUND)) == store.count(first_query(Tab.OUTBOUND))

    failed = early.peek(str(path_of(demo_db)), people["Dana"].email, clock)
    assert failed is not None
    failed.hand_over(None)
    with pytest.raises(early.Closed):
        failed.position(first_query(Tab.INBOUND), "any")


def change(path: Path, sql: str) -> None:
    connection = sqlite3.connect(path)
    connection.execute(sql)
    connection.commit()
    connection.close()


@pytest.mark.parametrize(
    "damage",
    [
        "UPDATE alembic_version SET version_num = '9999'",  # a newer cosell-tui wrote it
        "DROP TRIGGER deal_list_referral_update",  # the list index may be stale
        "DROP TABLE deal_list_totals",
    ],
)
def test_no_early_read_unless_the_database_is_exactly_as_expected(
    demo_db: Database, people: dict[str, User], clock: FixedClock, damage: str
) -> None:
    path = path_of(demo_db)
    assert early.peek(str(path), people["Dana"].email, clock) is not None
    demo_db.dispose()
    change(path, damage)
    assert early.peek(str(path), people["Dana"].email, clock) is None


def test_no_early_read_for_what_only_the_full_open_can_judge(
    demo_db: Database, tmp_path: Path, clock: FixedClock
) -> None:
    path = str(path_of(demo_db))
    assert early.peek(path, "nobody@example.com", clock) is None  # the open says who is there
    assert early.peek(str(tmp_path / "missing.db"), None, clock) is None
    assert early.peek(f"sqlite:///{path}", None, clock) is None  # URLs: the store's to read
    assert early.peek(str(tmp_path), None, clock) is None  # a folder
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n" * 100)
    assert early.peek(str(text), None, clock) is None
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    assert early.peek(str(empty), None, clock) is None  # first run: no users yet
