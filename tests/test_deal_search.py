"""Deal search for the command palette (R-UI-6): indexed, fuzzy, and never past R-ACL-1."""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from cosell_tui import services
from cosell_tui.clock import FixedClock
from cosell_tui.demo import build_demo, generate_deals
from cosell_tui.domain.models import EditForm, User
from cosell_tui.store import database, guards, queries, search
from cosell_tui.store.database import Database, open_database, upgrade
from cosell_tui.store.schema import ReferralRow
from tests.conftest import TODAY


def found(db: Database, user: User, typed: str) -> list[tuple[str, str, str]]:
    with db.reading() as session:
        return [
            (hit.name, hit.customer, hit.status.value)
            for hit in search.find_deals(session, user, typed)
        ]


def names(db: Database, user: User, typed: str) -> set[str]:
    return {name for name, _, _ in found(db, user, typed)}


def visible(db: Database, user: User) -> set[str]:
    with db.reading() as session:
        return set(session.scalars(select(ReferralRow.name).where(queries.visible_to(user))).all())


@pytest.mark.backends
def test_finds_by_deal_or_customer_name_in_any_case_closed_deals_too(
    demo_db: Database, people: dict[str, User]
) -> None:
    dana = people["Dana"]
    assert "Coho Winery — Data platform modernization" in names(demo_db, dana, "platform modern")
    # the customer's name, not the deal's: "Proseware, Inc."
    assert ("Proseware — Data platform modernization", "Proseware, Inc.", "accepted") in found(
        demo_db, dana, "proseware inc"
    )
    assert names(demo_db, dana, "WOODGROVE") == names(demo_db, dana, "woodgrove") != set()
    # declined, expired, lost and won deals are still found
    statuses = {status for _, _, status in found(demo_db, dana, "sales copilot")}
    assert {"won", "declined"} <= statuses
    assert "Consolidated Messenger — Contact center AI" in names(demo_db, dana, "contact center")


@pytest.mark.backends
def test_forgives_a_typo_and_short_input_matches_the_start(
    demo_db: Database, people: dict[str, User]
) -> None:
    dana = people["Dana"]
    assert "Woodgrove Bank — ERP migration to cloud" in names(demo_db, dana, "woodgrve")
    assert "Woodgrove Bank — ERP migration to cloud" in names(demo_db, dana, "migrstion")
    with demo_db.reading() as session:
        typo = search.find_deals(session, dana, "woodgrve")
    assert all(hit.shared >= 3 for hit in typo)
    short = names(demo_db, dana, "Wi")
    assert short and all(n.lower().startswith("wi") for n in short)
    assert names(demo_db, dana, "zzqxv") == set()
    assert names(demo_db, dana, '"; DROP TABLE referrals; --') == set()  # taken as text
    assert names(demo_db, dana, "%") == names(demo_db, dana, "_") == set()  # not wildcards
    assert names(demo_db, dana, "  ") == set()


@pytest.mark.backends
def test_nobody_finds_what_they_may_not_see(demo_db: Database, people: dict[str, User]) -> None:
    megan, marco, priya = people["Megan"], people["Marco"], people["Priya"]
    # the vendor's side of a deal that became private again (its invitation expired)
    assert "Wingtip Toys — Sales copilot pilot" not in names(demo_db, megan, "sales copilot")
    assert "Woodgrove Bank — Sales copilot pilot" in names(demo_db, megan, "sales copilot")
    for user in (megan, marco, priya):
        seen = visible(demo_db, user)
        for typed in ("a", "co", "migration", "customer 360", "sales copilt", "relecloud"):
            assert names(demo_db, user, typed) <= seen, (user.first_name, typed)
    assert (
        names(demo_db, marco, "wide world") == set() < names(demo_db, people["Dana"], "wide world")
    )


@pytest.mark.backends
def test_the_index_follows_renames_and_accents(demo_db: Database, people: dict[str, User]) -> None:
    dana = people["Dana"]
    with demo_db.reading() as session:
        referral = next(
            r
            for r in queries.list_referrals(session, dana)
            if r.name == "Coho Winery — Data platform modernization"
        )
    form = EditForm(
        name="Société Générale — Überblick",
        value=Decimal("1000"),
        currency="EUR",
        close_date=date(2027, 3, 1),
    )
    services.edit(demo_db, dana, referral.id, form)
    assert names(demo_db, dana, "data platform modernization coho") == set()
    assert "Société Générale — Überblick" in names(demo_db, dana, "SOCIÉTÉ")
    assert "Société Générale — Überblick" in names(demo_db, dana, "überblick")
    assert "Société Générale — Überblick" in names(demo_db, dana, "societe")  # one accent off
    # a customer renamed in the directory is found by its new name, its closed deals too
    with demo_db.transaction() as session:
        session.execute(
            text("UPDATE companies SET name = 'Blue Horizon Air' WHERE name = :n"),
            {"n": "Blue Yonder Airlines"},
        )
    assert ("Blue Yonder Airlines — Sales copilot pilot", "Blue Horizon Air", "declined") in found(
        demo_db, dana, "horizon air"
    )


def test_the_migration_indexes_an_existing_database(
    demo_db: Database, people: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    dana = people["Dana"]
    before = found(demo_db, dana, "customer 360")
    with demo_db.engine.connect() as connection:
        command.downgrade(database._alembic_config(connection), "0003")
        connection.commit()
        assert not connection.execute(
            text("SELECT name FROM sqlite_master WHERE name LIKE 'deal_search%'")
        ).all()
    upgrade(demo_db.engine)
    assert sorted(found(demo_db, dana, "customer 360")) == sorted(before) != []
    with demo_db.reading() as session:
        counts = session.execute(
            text("SELECT (SELECT count(*) FROM deal_search), (SELECT count(*) FROM referrals)")
        ).one()
    assert counts[0] == counts[1]
    # LIKE, used where there is no FTS5 index (PostgreSQL), finds the same deals by the same
    # rules: words anywhere, one mistyped letter, the start of a name for short input
    typed = ("customer 360", "woodgrve", "migrstion", "sales copilt", "wi", "co", "é")
    with demo_db.reading() as session:
        indexed = [set(search.find_deals(session, dana, text)) for text in typed]
    monkeypatch.setattr(search, "has_index", lambda _connection: False)
    with demo_db.reading() as session:
        assert [set(search.find_deals(session, dana, text)) for text in typed] == indexed
    assert all(indexed[:5])


# --- the index heals itself; without FTS5, LIKE ------------------------------------------------


def _schema(db: Database) -> set[str]:
    with db.reading() as session:
        rows = session.execute(
            text("SELECT name FROM sqlite_master WHERE name GLOB 'deal_search*'")
        )
        return {name for (name,) in rows} & search._OBJECTS  # not FTS5's own tables


def _counts(db: Database) -> tuple[int, int]:
    with db.reading() as session:
        indexed, deals = session.execute(
            text("SELECT (SELECT count(*) FROM deal_search), (SELECT count(*) FROM referrals)")
        ).one()
        return indexed, deals


def test_a_bulk_load_that_fails_keeps_its_error_and_the_next_open_heals_the_index(
    db: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A load killed or failing halfway, its restore failing too (a locked database): the
    load's own error is raised, and opening the database again brings the trigger back and
    indexes what it missed."""
    path = db.path
    assert path is not None
    complete = _schema(db)
    assert complete == search._OBJECTS
    eco = build_demo(db, seed=1, today=TODAY, deals=0)

    def locked(connection: object) -> None:
        raise OperationalError("INSERT …", {}, sqlite3.OperationalError("database is locked"))

    start = datetime.combine(TODAY, time(9), tzinfo=UTC)
    with (
        pytest.raises(RuntimeError, match="killed") as raised,
        search.bulk_loading(db),
    ):
        generate_deals(db, eco, 30, random.Random(1), start)
        monkeypatch.setattr(search, "_index_missing", locked)
        raise RuntimeError("killed")
    assert "repaired at the next open" in " ".join(raised.value.__notes__)
    monkeypatch.undo()
    assert complete - _schema(db) == {search.INSERT_TRIGGER}
    assert _counts(db) == (0, 30)
    db.dispose()

    healed = open_database(path, clock=clock)
    try:
        assert _schema(healed) == complete
        assert _counts(healed) == (30, 30)
        with healed.transaction() as session:
            session.execute(
                text(
                    "UPDATE referrals SET name = 'Zephyr Quokka — a name to find' WHERE rowid = "
                    f"(SELECT max(rowid) FROM referrals WHERE status NOT IN {guards.TERMINAL})"
                )
            )
        assert _counts(healed) == (30, 30)  # the triggers are back: renames follow
        with healed.reading() as session:
            found = session.execute(
                text("SELECT name FROM deal_search WHERE deal_search MATCH '\"zephyr quokka\"'")
            ).all()
        assert found == [("Zephyr Quokka — a name to find",)]
        assert not search.heal(healed)  # whole: the usual open only looks
    finally:
        healed.dispose()


def test_without_fts5_trigram_the_search_uses_like_and_the_index_comes_later(
    demo_db: Database, people: dict[str, User], clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An SQLite older than 3.34 (or without FTS5), forced: migration 0004 skips the index,
    the database opens and searching uses LIKE (accents folded); triggers naming a table this
    SQLite could not use go. Opened again by one that has it, the index is built, current."""
    dana, path = people["Dana"], demo_db.path
    assert path is not None
    before = {typed: found(demo_db, dana, typed) for typed in ("customer 360", "woodgrove")}
    with demo_db.engine.connect() as connection:
        command.downgrade(database._alembic_config(connection), "0003")
        connection.commit()
    demo_db.dispose()

    monkeypatch.setattr(search, "fts5_trigram_available", lambda: False)
    old = open_database(path, clock=clock)  # migrates to 0004 again, without the index
    try:
        assert _schema(old) == set()
        for typed, hits in before.items():
            assert sorted(found(old, dana, typed)) == sorted(hits) != []
        rename(old, dana, "Coho Winery — Data platform modernization", "Électricité — Smart grid")
        assert names(old, dana, "électricité") == {"Électricité — Smart grid"}
        assert "Électricité — Smart grid" in names(old, dana, "é")
    finally:
        old.dispose()

    # a database indexed by a newer SQLite, opened by an older one: the triggers go, so new
    # and renamed deals can still be written
    monkeypatch.undo()
    newer = open_database(path, clock=clock)
    assert not search.heal(newer)
    assert _schema(newer) == search._OBJECTS
    newer.dispose()
    monkeypatch.setattr(search, "fts5_trigram_available", lambda: False)
    older = open_database(path, clock=clock)
    assert _schema(older) == {search.SEARCH_TABLE, search.KEYS_TABLE}
    rename(older, dana, "Électricité — Smart grid", "Électricité — Wind farms")
    older.dispose()

    # back on a newer SQLite: a rename was missed, so everything is indexed afresh
    monkeypatch.undo()
    again = open_database(path, clock=clock)
    try:
        assert _schema(again) == search._OBJECTS
        assert names(again, dana, "wind farms") == {"Électricité — Wind farms"}
        assert names(again, dana, "smart grid") == set()
        assert _counts(again)[0] == _counts(again)[1]
    finally:
        again.dispose()


def rename(db: Database, user: User, name: str, new_name: str) -> None:
    with db.reading() as session:
        referral = next(r for r in queries.list_referrals(session, user) if r.name == name)
    form = EditForm(
        name=new_name, value=Decimal("1000"), currency="EUR", close_date=date(2027, 3, 1)
    )
    services.edit(db, user, referral.id, form)


@pytest.mark.backends
def test_one_or_two_letters_find_names_starting_with_an_accented_capital(
    demo_db: Database, people: dict[str, User]
) -> None:
    """SQLite's lower() folds ASCII only: "é" must still find "École …" and deals of the
    customer "Électricité de France", as the app folds case everywhere (`folded`)."""
    dana = people["Dana"]
    rename(demo_db, dana, "Coho Winery — Data platform modernization", "École 42 — Campus Wi-Fi")
    rename(demo_db, dana, "Proseware — Data platform modernization", "Société Générale — Überblick")
    with demo_db.transaction() as session:
        session.execute(
            text("UPDATE companies SET name = 'Électricité de France' WHERE name = :n"),
            {"n": "Woodgrove Bank"},
        )
    woodgrove = {name for name in visible(demo_db, dana) if name.startswith("Woodgrove Bank")}
    for typed in ("é", "É"):
        assert names(demo_db, dana, typed) == {"École 42 — Campus Wi-Fi"} | woodgrove != set()
    assert names(demo_db, dana, "éc") == {"École 42 — Campus Wi-Fi"}
    assert names(demo_db, dana, "ÉL") == woodgrove
    assert "Société Générale — Überblick" in names(demo_db, dana, "so")
    assert names(demo_db, dana, "e") & ({"École 42 — Campus Wi-Fi"} | woodgrove) == set()
