"""The demo ecosystem holds what SPEC §10 promises, so every screen has something to show."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from cosell_tui import services
from cosell_tui.clock import FixedClock
from cosell_tui.demo import build_demo
from cosell_tui.domain.enums import DealType, RegistrationStatus, Role, SolutionKind, Status
from cosell_tui.store.database import Database, open_database
from cosell_tui.store.schema import (
    InvitationRow,
    ReferralRow,
    ReferralSolutionRow,
    StageMarkRow,
    TeamMemberRow,
)
from tests.conftest import TODAY


@pytest.fixture
def raw(demo_db: Database) -> Iterator[sqlite3.Connection]:
    path = demo_db.path
    assert path is not None
    connection = sqlite3.connect(path)
    yield connection
    connection.close()


def column(connection: sqlite3.Connection, sql: str) -> set[object]:
    return {row[0] for row in connection.execute(sql)}


def test_every_status_type_and_registration_status(raw: sqlite3.Connection) -> None:
    # issue 2 "done when"; R-DEAL-3, §3, R-REG-3
    assert column(raw, "SELECT status FROM referrals") == {s.value for s in Status}
    assert column(raw, "SELECT deal_type FROM engagements") == {t.value for t in DealType}
    assert column(raw, "SELECT status FROM registrations") == {s.value for s in RegistrationStatus}
    won_with_registration = column(
        raw,
        "SELECT r.status FROM registrations g JOIN referrals r ON r.id = g.referral_id",
    )
    assert won_with_registration == {"won"}


def test_ecosystem_shape(raw: sqlite3.Connection) -> None:
    # §10: the vendor with sellers, >= 4 partners with several locations, every role
    assert raw.execute("SELECT count(*) FROM organizations WHERE is_vendor").fetchone() == (1,)
    partners_with_locations = raw.execute(
        "SELECT o.name, count(l.id) FROM organizations o JOIN locations l "
        "ON l.organization_id = o.id WHERE NOT o.is_vendor GROUP BY o.id"
    ).fetchall()
    assert len(partners_with_locations) >= 4
    assert sum(1 for _, n in partners_with_locations if n > 1) >= 4
    assert column(raw, "SELECT role FROM users") == {r.value for r in Role}
    assert column(raw, "SELECT kind FROM solutions") == {k.value for k in SolutionKind}
    assert raw.execute("SELECT count(*) FROM solutions WHERE incentive_eligible").fetchone()[0]


def test_same_name_companies_told_apart_by_duns(raw: sqlite3.Connection) -> None:
    # R-ORG-3
    twins = raw.execute(
        "SELECT name, city, count(*), count(DISTINCT duns) FROM companies "
        "GROUP BY name, city HAVING count(*) > 1"
    ).fetchall()
    assert twins
    assert all(count == distinct for _, _, count, distinct in twins)


def test_inbound_deals_about_to_expire(demo_db: Database, raw: sqlite3.Connection) -> None:
    # §10 "inbound ones about to expire": open now, expired by a sweep two days later
    about = column(
        raw,
        "SELECT id FROM referrals WHERE status = 'received' "
        "AND response_deadline <= datetime('2026-11-29 09:00:00')",
    )
    assert about
    clock = demo_db.clock
    assert isinstance(clock, FixedClock)
    clock.at = clock.at.replace(day=29)
    assert set(services.expire_overdue(demo_db).expired) == about


def test_expired_deals_closed_at_their_deadline(raw: sqlite3.Connection) -> None:
    # R-LIFE-4: expired exactly when the clock reached the deadline
    rows = raw.execute(
        "SELECT closed_at, response_deadline FROM referrals WHERE status = 'expired'"
    ).fetchall()
    assert rows
    assert all(closed == deadline for closed, deadline in rows)


def test_no_deals_at_all_with_zero(tmp_path: Path) -> None:
    # §10: --deals 0 builds the ecosystem with no deals
    db = open_database(tmp_path / "empty.db", clock=FixedClock.on(TODAY))
    build_demo(db, seed=1, today=TODAY, deals=0)
    db.dispose()
    connection = sqlite3.connect(tmp_path / "empty.db")
    assert connection.execute("SELECT count(*) FROM referrals").fetchone() == (0,)
    assert connection.execute("SELECT count(*) FROM users").fetchone()[0] > 10
    connection.close()


def _one(db: Database, sql: str) -> object:
    with db.engine.connect() as connection:
        return connection.execute(text(sql), {"now": datetime(2026, 11, 27, 9)}).scalar_one()


def _generated(db: Database) -> list[tuple[object, ...]]:
    """Each referral as it ended up: status, stage, value, dates, version, team and solution."""
    r = ReferralRow
    marks = select(func.count()).where(StageMarkRow.referral_id == r.id).scalar_subquery()
    invited = select(func.count()).where(InvitationRow.referral_id == r.id).scalar_subquery()
    query = (
        select(
            *(r.id, r.engagement_id, r.organization_id, r.status, r.stage, r.value_cents),
            *(r.currency, r.close_date, r.created_at, r.responded_at, r.closed_at),
            *(r.closing_reason, r.version, TeamMemberRow.email, ReferralSolutionRow.solution_id),
            *(marks, invited),
        )
        .join(TeamMemberRow, TeamMemberRow.referral_id == r.id)
        .join(ReferralSolutionRow, ReferralSolutionRow.referral_id == r.id)
        .order_by(r.id, TeamMemberRow.email, ReferralSolutionRow.solution_id)
    )
    with db.reading() as session:
        return [tuple(row) for row in session.execute(query)]


@pytest.mark.backends
def test_generated_deals_keep_the_rules(db: Database, backend: str, tmp_path: Path) -> None:
    # --deals N: bulk rows still go through the guards' order and the domain's invariants,
    # on SQLite and on PostgreSQL (issue 8), where they are the same deals as in SQLite
    build_demo(db, seed=3, today=TODAY, deals=400)
    assert _one(db, "SELECT count(*) FROM referrals WHERE name LIKE '% #%'") == 400
    orphans = _one(
        db,
        "SELECT count(*) FROM referrals r WHERE NOT EXISTS "
        "(SELECT 1 FROM team_members t WHERE t.referral_id = r.id) "
        "OR NOT EXISTS (SELECT 1 FROM referral_solutions s WHERE s.referral_id = r.id)",
    )
    assert orphans == 0
    uninvited = _one(
        db,
        "SELECT count(*) FROM referrals r WHERE direction = 'inbound' AND NOT EXISTS "
        "(SELECT 1 FROM invitations i WHERE i.referral_id = r.id)",
    )
    assert uninvited == 0
    overdue = _one(
        db,
        "SELECT count(*) FROM referrals WHERE status = 'received' AND response_deadline <= :now",
    )
    assert overdue == 0
    # a declined invitation was answered when it was declined, as services.decline records it
    declined = "SELECT count(*) FROM referrals WHERE status = 'declined'"
    assert _one(db, declined + " AND name LIKE '% #%'") > 0
    assert _one(db, declined + " AND (responded_at IS NULL OR responded_at <> closed_at)") == 0
    with pytest.raises(IntegrityError, match="closed"), db.engine.begin() as connection:
        connection.execute(text("UPDATE referrals SET name = 'x' WHERE status = 'lost'"))
    if backend == "postgresql":
        twin = open_database(tmp_path / "gen.db", clock=FixedClock.on(TODAY))
        build_demo(twin, seed=3, today=TODAY, deals=400)
        assert _generated(db) == _generated(twin)
        twin.dispose()
