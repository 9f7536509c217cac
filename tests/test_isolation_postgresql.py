"""R-ACL-4, second half: row-level security on a shared PostgreSQL database (issue 8).

A partner's login reads none of another organization's referrals, even in `psql`; yet the app,
signed in with each member's own login, works as on SQLite: what another party may know comes
through the party cards (R-INV-4, R-ACL-1), an answer still reaches the sender's team
(R-NOTE-2), and a party's action still opens another party's registration (R-REG-3).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from cosell_tui import services, source
from cosell_tui.clock import FixedClock
from cosell_tui.demo import build_demo
from cosell_tui.domain.enums import NotificationKind, Status
from cosell_tui.domain.models import AcceptForm, Referral, TeamMemberForm, User
from cosell_tui.exchange import export, importer
from cosell_tui.store import queries
from cosell_tui.store.database import Database, open_database
from cosell_tui.store.schema import OrganizationRow, ReferralRow, RegistrationRow
from tests import postgres
from tests.conftest import PG_DEMO, PG_EMPTY, SEED, TODAY, postgres_copy
from tests.test_identity_postgresql import PASSWORD, _login, _url

SAM = "sam.okafor@northwind.example"  # Northwind's referral admin
DANA = "dana.whitfield@contoso.example"  # Contoso's partner admin
MEGAN = "megan.bowen@microsoft.example"  # the vendor's global seller
PROSEWARE = "Proseware — Data platform modernization"  # Contoso invited Northwind: received
CITY_POWER = "City Power & Light — Identity consolidation"  # Contoso invited the vendor


@pytest.fixture
def shared(postgres_server: postgres.Server, clock: FixedClock) -> Iterator[tuple[str, Database]]:
    for login in (SAM, DANA, MEGAN):
        _login(postgres_server, login, "cosell_user")
    with postgres_copy(postgres_server, PG_DEMO, clock) as db:
        yield str(db.engine.url.database), db


def _organization(db: Database, name: str) -> int:
    with db.reading() as session:
        return session.scalars(select(OrganizationRow.id).where(OrganizationRow.name == name)).one()


def _psql(
    server: postgres.Server, database: str, login: str, sql: str
) -> subprocess.CompletedProcess[str]:
    """`psql` as a member would run it, with their login and password."""
    return subprocess.run(
        [
            str(server.bin / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(server.port),
            "-U",
            login,
            "-d",
            database,
            "-X",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ],
        env={**os.environ, "PGPASSWORD": PASSWORD},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_partners_login_reads_none_of_another_organizations_referrals_in_psql(
    postgres_server: postgres.Server, shared: tuple[str, Database]
) -> None:
    database, owner = shared
    northwind = _organization(owner, "Northwind Data")
    with owner.reading() as session:
        own = session.scalar(
            select(ReferralRow.id).where(ReferralRow.organization_id == northwind).limit(1)
        )
        everyone = len(session.scalars(select(ReferralRow.id)).all())
        others = session.scalars(
            select(ReferralRow.id).where(ReferralRow.organization_id != northwind)
        ).all()
    assert own is not None and len(others) > 20

    seen = _psql(postgres_server, database, SAM, "SELECT organization_id, id FROM referrals")
    assert seen.returncode == 0, seen.stderr
    rows = [line.split("|") for line in seen.stdout.split()]
    assert rows and {int(org) for org, _ in rows} == {northwind}
    assert not {rid for _, rid in rows} & set(others)
    assert len(rows) < everyone

    # nor can it change or delete them: the rows are not there for it
    contoso_deal = others[0]
    changed = _psql(
        postgres_server,
        database,
        SAM,
        f"UPDATE referrals SET name = 'mine' WHERE id = '{contoso_deal}'; "
        f"DELETE FROM referrals WHERE id = '{contoso_deal}'",
    )
    assert changed.returncode == 0, changed.stderr
    assert changed.stdout.split() == ["UPDATE", "0", "DELETE", "0"]  # nothing affected
    with owner.reading() as session:
        kept = session.get(ReferralRow, contoso_deal)
        assert kept is not None and kept.name != "mine"
    # and it cannot put a deal into an engagement its organization has no part in
    outsider = _psql(
        postgres_server,
        database,
        SAM,
        "INSERT INTO referrals (id, engagement_id, organization_id, location_id, name, status, "
        "stage, direction, value_cents, currency, close_date, help_requested, created_at, "
        f"version) SELECT 'outsider', e.id, {northwind}, 1, 'x', 'accepted', 'accepted', "
        "'outbound', 1, 'EUR', '2027-01-01', 'none', now(), 1 FROM engagements e "
        f"WHERE NOT EXISTS (SELECT 1 FROM referrals r WHERE r.engagement_id = e.id "
        f"AND r.organization_id = {northwind}) LIMIT 1",
    )
    assert outsider.returncode != 0
    assert "row-level security" in outsider.stderr


@dataclass
class Outcome:
    """What the shared flows leave behind, to compare SQLite with PostgreSQL's logins."""

    sam_sees_cards: list[tuple[str, str]]
    dana_told: list[str]
    dana_sees_cards: list[tuple[str, str]]
    registrations: int
    dana_exports: str  # her whole export, party cards included


def _accept_alone(
    db: Database, user: User, referral: Referral, raise_by: Decimal = Decimal(0)
) -> None:
    """`user` accepts `referral` with themselves as its team."""
    member = TeamMemberForm(
        first_name=user.first_name, last_name=user.last_name, phone=user.phone, email=user.email
    )
    form = AcceptForm(
        name=referral.name,
        value=referral.value + raise_by,
        currency=referral.currency,
        close_date=max(referral.close_date, TODAY),
        team=[member],
    )
    services.accept(db, user, referral.id, form)


def _flows(dbs: dict[str, Database], people: dict[str, User]) -> Outcome:
    """Sam accepts Contoso's invitation; Contoso wins City Power, then the vendor accepts it
    (which opens Contoso's registration, R-REG-3). Each acts through their own Database."""
    sam, dana, megan = people[SAM], people[DANA], people[MEGAN]
    with dbs[SAM].reading() as session:
        inbound = queries.list_referrals(session, sam, limit=500)
    proseware = next(r for r in inbound if r.name == PROSEWARE)
    view = source.load_deal(dbs[SAM], sam, proseware.id)
    sam_cards = [(p.organization_name, p.status.value) for p in view.parties]
    _accept_alone(dbs[SAM], sam, proseware)
    with dbs[DANA].reading() as session:
        told = [  # Contoso's team on the deal (R-NOTE-2), whoever is on it
            n.message
            for user in people.values()
            if user.organization_id == dana.organization_id
            for n in queries.notifications(session, user.id)
            if n.kind is NotificationKind.INVITATION_ACCEPTED and PROSEWARE in n.message
        ]
        mine = queries.list_referrals(session, dana, limit=500)
    contoso_proseware = next(r for r in mine if r.name == PROSEWARE)
    dana_cards = [
        (p.organization_name, p.status.value)
        for p in source.load_deal(dbs[DANA], dana, contoso_proseware.id).parties
    ]
    city_power = next(r for r in mine if r.name == CITY_POWER)
    services.mark_won(dbs[DANA], dana, city_power.id)
    with dbs[MEGAN].reading() as session:
        vendor_side = next(
            r for r in queries.list_referrals(session, megan, limit=500) if r.name == CITY_POWER
        )
    _accept_alone(dbs[MEGAN], megan, vendor_side, raise_by=Decimal(1))
    with dbs[DANA].reading() as session:
        registrations = len(
            session.scalars(
                select(RegistrationRow.id).where(RegistrationRow.referral_id == city_power.id)
            ).all()
        )
    with dbs[DANA].reading() as session:
        exported = "".join(
            export.render(
                export.records(session, dana, export.visible_ids(session, dana)),
                "json",
                exported_by=dana,
                organization="Contoso Analytics",
            )
        )
    return Outcome(sam_cards, told, dana_cards, registrations, exported)


def _people(db: Database) -> dict[str, User]:
    with db.reading() as session:
        return {user.email: user for user in queries.users(session)}


def test_the_app_works_the_same_for_member_logins(
    postgres_server: postgres.Server,
    shared: tuple[str, Database],
    demo_db: Database,
    clock: FixedClock,
    tmp_path: Path,
) -> None:
    on_sqlite = _flows({SAM: demo_db, DANA: demo_db, MEGAN: demo_db}, _people(demo_db))

    database, owner = shared
    logins = {
        login: open_database(_url(postgres_server, database, login), clock=clock)
        for login in (SAM, DANA, MEGAN)
    }
    try:
        on_postgresql = _flows(logins, _people(owner))
    finally:
        for db in logins.values():
            db.dispose()

    assert on_postgresql == on_sqlite
    # and the flows did what they should: cards of both parties, the answer heard, the
    # registration opened on Contoso's deal by the vendor's action
    assert ("Contoso Analytics", Status.ACCEPTED.value) in on_sqlite.sam_sees_cards
    assert ("Northwind Data", Status.ACCEPTED.value) in on_sqlite.dana_sees_cards
    assert on_sqlite.dana_told, on_sqlite
    assert on_sqlite.registrations == 1
    assert '"name": "Northwind Data"' in on_sqlite.dana_exports  # her party card


def test_a_members_sweep_expires_its_own_organizations_invitations_only(
    postgres_server: postgres.Server, shared: tuple[str, Database], clock: FixedClock
) -> None:
    database, owner = shared
    northwind = _organization(owner, "Northwind Data")
    later = FixedClock.on(TODAY.replace(year=TODAY.year + 1))
    sam = open_database(_url(postgres_server, database, SAM), clock=later)
    try:
        swept = services.expire_overdue(sam)
    finally:
        sam.dispose()
    with owner.reading() as session:
        expired = {
            org
            for (org,) in session.execute(
                select(ReferralRow.organization_id).where(ReferralRow.id.in_(swept.expired))
            )
        }
        still_received = session.scalars(
            select(ReferralRow.organization_id).where(ReferralRow.status == Status.RECEIVED.value)
        ).all()
    assert swept.expired and expired == {northwind}
    assert still_received and northwind not in still_received
    # an administrator's sweep (the `expire` command from cron, docs/deploy.md) does the rest
    assert services.expire_overdue(
        open_database(owner.engine.url.render_as_string(hide_password=False), clock=later)
    ).expired


def test_a_members_login_imports_its_deals_with_their_party_cards(
    postgres_server: postgres.Server,
    shared: tuple[str, Database],
    clock: FixedClock,
    tmp_path: Path,
) -> None:
    # issue 7 on a shared database: Dana's own login imports her file (co-sell deals with the
    # other parties' cards) into a fresh ecosystem — row-level security lets a party's card in
    # once Dana's deal of that engagement is there — and Sam's login sees only Northwind's
    _, owner = shared
    file = tmp_path / "dana.json"
    export.export(owner, _people(owner)[DANA], form="json", out=file)
    records = json.loads(file.read_text(encoding="utf-8"))["value"]
    assert any(record["parties"] for record in records)
    with postgres_copy(postgres_server, PG_EMPTY, clock) as fresh:
        build_demo(fresh, seed=SEED, today=TODAY, deals=0)
        name = str(fresh.engine.url.database)
        dana_db = open_database(_url(postgres_server, name, DANA), clock=clock)
        try:
            dana = _people(dana_db)[DANA]
            assert importer.import_file(dana_db, dana, file, form=None).added == len(records)
        finally:
            dana_db.dispose()
        with fresh.reading() as session:
            contoso = _organization(fresh, "Contoso Analytics")
            rows = session.execute(select(ReferralRow.id, ReferralRow.organization_id)).all()
        assert {rid for rid, org in rows if org == contoso} == {r["id"] for r in records}
        assert any(org != contoso for _, org in rows)  # the party cards came in too
        northwind = _organization(fresh, "Northwind Data")
        seen = _psql(postgres_server, name, SAM, "SELECT organization_id, id FROM referrals")
        assert seen.returncode == 0, seen.stderr
        # only its own: the invitation Dana's file holds for Northwind, as a card made it
        assert sorted(seen.stdout.split()) == sorted(
            f"{org}|{rid}" for rid, org in rows if org == northwind
        )
        assert any(org == northwind for _, org in rows)
