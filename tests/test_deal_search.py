"""Deal search for the command palette (R-UI-6): indexed, fuzzy, and never past R-ACL-1."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from alembic import command
from sqlalchemy import select, text

from cosell_tui import services
from cosell_tui.domain.models import EditForm, User
from cosell_tui.store import database, queries, search
from cosell_tui.store.database import Database, upgrade
from cosell_tui.store.schema import ReferralRow


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
    assert names(demo_db, dana, "  ") == set()


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
    demo_db: Database, people: dict[str, User]
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
        # the plain LIKE used where there is no index (PostgreSQL, later) finds the same
        like = search._like(session, dana, "customer 360", 40)
    assert counts[0] == counts[1]
    assert sorted((h.name, h.customer, h.status.value) for h in like) == sorted(before)
