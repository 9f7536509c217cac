"""Random sequences of user actions on the demo keep the product's promises (a state machine).

Hypothesis drives random service calls by random demo users on random referrals — any
referral of the database, not only those the user sees, so refusals of rights happen too —
while the clock moves on and the expiry sweep runs. Every call either succeeds or is refused
with a `DomainError`; anything else escapes and fails the test. After every step:

(a) R-LIFE-1/R-STORE-1: a terminal referral's rows (the referral and its team, solutions,
    stage marks and invitation) stay byte-identical to when it first became terminal, and a
    final registration stays as it was decided (R-REG-3);
(b) R-ACL-2/R-ACL-3: a call that succeeded was made by a user with the right to make it;
(c) R-AUD-1: the activity log only grows, its earlier rows unchanged;
(d) R-DEAL-3: every engagement's stored deal type is the one its parties make it;
(e) R-LIFE-4: after a sweep, no received referral is at or past its deadline.

R-STORE-4 (issue 8): the same machine runs on SQLite and on PostgreSQL; the invariants read the
rows exactly as stored through the backend's own driver, past the app.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import select

from cosell_tui import services
from cosell_tui.clock import FixedClock
from cosell_tui.domain import parties, rights
from cosell_tui.domain.enums import (
    TERMINAL_STATUSES,
    DeclineReason,
    HelpType,
    LostReason,
    Role,
    Stage,
    Status,
)
from cosell_tui.domain.errors import DomainError
from cosell_tui.domain.models import (
    AcceptForm,
    CommentForm,
    DeclineForm,
    EditForm,
    LostForm,
    PartnerInviteForm,
    Referral,
    RegistrationForm,
    TeamMemberForm,
    User,
    WonForm,
)
from cosell_tui.domain.registration import ReviewAction
from cosell_tui.store import queries
from cosell_tui.store.database import Database, open_database
from cosell_tui.store.schema import ReferralRow
from tests import postgres
from tests.conftest import PG_DEMO

pytestmark = pytest.mark.backends  # R-STORE-4: the same promises on PostgreSQL

TODAY = date(2026, 11, 27)
OWN_DATA_TABLES = ("team_members", "referral_solutions", "stage_marks", "invitations")
TERMINAL_SQL = "(" + ",".join(f"'{s.value}'" for s in sorted(TERMINAL_STATUSES)) + ")"

SETTINGS = settings(
    max_examples=15,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,  # nothing written into the repository; print_blob reproduces a failure
    print_blob=True,
)
# An example takes about two and a half times as long on PostgreSQL (every query is a round
# trip to a server on the same two cores; copying the demo database is a quarter of a second of
# it), so 5 examples keep its run about as long as SQLite's 15, not longer: `make test` is close
# to CI's time limit.
PG_SETTINGS = settings(SETTINGS, max_examples=5)

picks = st.integers(min_value=0, max_value=10_000)
REGISTRATION_FOCUS = {
    "submittable": "('incomplete','action_required')",
    "reviewable": "('in_review','in_validation')",
}


class RawRows:
    """Rows exactly as stored, read through the backend's driver in autocommit (every read sees
    the latest commit). SQL is written with `?` placeholders on both backends."""

    def __init__(
        self, connection: sqlite3.Connection | psycopg.Connection[tuple[Any, ...]]
    ) -> None:
        self.connection = connection
        self.placeholder = "?" if isinstance(connection, sqlite3.Connection) else "%s"

    def __call__(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self.with_columns(sql, params)[1]

    def with_columns(
        self, sql: str, params: tuple[Any, ...] = ()
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """The column names and the rows."""
        query = sql.replace("?", self.placeholder)
        cursor = self.connection.execute(query, params)
        names = [column[0] for column in cursor.description or ()]
        return names, [tuple(row) for row in cursor.fetchall()]

    def close(self) -> None:
        self.connection.close()


@dataclass
class DemoCopy:
    """A private copy of the demo: the app's database, a raw reader, and how to discard both."""

    db: Database
    raw: RawRows
    discard: Callable[[], None]


def sqlite_copy(template: Path, clock: FixedClock) -> DemoCopy:
    folder = Path(tempfile.mkdtemp(prefix="cosell-stateful-"))
    path = folder / "demo.db"
    shutil.copyfile(template, path)
    db = open_database(path, clock=clock)
    raw = RawRows(sqlite3.connect(path, isolation_level=None))
    return DemoCopy(db, raw, lambda: shutil.rmtree(folder, ignore_errors=True))


_copies = itertools.count(1)


def postgresql_copy(server: postgres.Server, clock: FixedClock) -> DemoCopy:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"stateful_{worker}_{os.getpid()}_{next(_copies)}"
    postgres.copy_database(server, PG_DEMO, name)
    try:
        db = open_database(server.url(name), clock=clock)
        raw = RawRows(psycopg.connect(server.dsn(name), autocommit=True))
    except BaseException:
        postgres.drop_database(server, name)
        raise
    return DemoCopy(db, raw, lambda: postgres.drop_database(server, name))


def member(user: User) -> TeamMemberForm:
    return TeamMemberForm(
        first_name=user.first_name, last_name=user.last_name, phone=user.phone, email=user.email
    )


class DealMachine(RuleBasedStateMachine):
    """One example: a fresh copy of the demo database, a clock at 2026-11-27 09:00 UTC."""

    def __init__(self, copy: Callable[[FixedClock], DemoCopy]) -> None:
        super().__init__()
        self.clock = FixedClock.on(TODAY)
        self.copy = copy(self.clock)
        self.db = self.copy.db
        self.raw = self.copy.raw  # rows exactly as stored, for the snapshots
        self.frozen: dict[str, list[tuple[str, tuple[Any, ...]]]] = {}
        self.final_registrations: dict[str, tuple[Any, ...]] = {}
        try:
            with self.db.reading() as session:
                self.users = queries.users(session)
                self.organizations = queries.organizations(session)
                self.solutions = queries.solutions(session)
            self.vendor_id = next(o.id for o in self.organizations if o.is_vendor)
            self._freeze_new_terminals(self._terminal_rows(), self._final_registrations())
            log = self.raw("SELECT * FROM activity ORDER BY id")
            self.activity_seen = self._activity_state(log)
        except BaseException:
            self.teardown()  # hypothesis tears down only a machine it got
            raise

    def teardown(self) -> None:
        self.raw.close()
        self.db.dispose()
        self.copy.discard()

    # --- choosing who acts on what ---------------------------------------------------------

    def _referral_ids(self, focus: str | None = None) -> list[str]:
        """Every referral of the database, or those `focus` names (a status, or registrations
        waiting for the partner or for the vendor)."""
        sql = "SELECT id FROM referrals ORDER BY created_at, id"
        args: tuple[str, ...] = ()
        if focus in REGISTRATION_FOCUS:
            sql = (
                "SELECT r.id FROM referrals r JOIN registrations g ON g.referral_id = r.id "
                f"WHERE g.status IN {REGISTRATION_FOCUS[focus]} ORDER BY r.created_at, r.id"
            )
        elif focus is not None:
            sql = "SELECT id FROM referrals WHERE status = ? ORDER BY created_at, id"
            args = (focus,)
        return [row[0] for row in self.raw(sql, args)]

    def _referral(self, referral_id: str) -> Referral:
        with self.db.reading() as session:
            return queries.referral(session, referral_id)

    def _target(self, pick: int, who: int, own: bool, focus: str | None) -> tuple[Referral, User]:
        """A referral — any of the database, or (when focused) one in the state the action
        needs, so that actions get done often enough — and a user: any user, or one of the
        referral's own organization."""
        ids = (self._referral_ids(focus) if focus else []) or self._referral_ids()
        referral = self._referral(ids[pick % len(ids)])
        pool = [u for u in self.users if u.organization_id == referral.organization_id]
        user_pool = pool if own and pool else self.users
        return referral, user_pool[who % len(user_pool)]

    def _attempt(
        self, action: str, user: User, referral: Referral, allowed: bool, call: Callable[[], Any]
    ) -> bool:
        """Run one service call: refused with a DomainError, or done by someone entitled (b)."""
        where = f"{action} by {user.first_name} on {referral.name} ({referral.status.value})"
        try:
            call()
        except DomainError as error:
            note(f"{where}: refused, {type(error).__name__}: {error}")
            return False
        note(f"{where}: done")
        assert allowed, f"{where} succeeded without the right to (R-ACL-2)"
        return True

    # --- rules -----------------------------------------------------------------------------

    @rule(pick=picks, who=picks, own=st.booleans(), focus=st.booleans())
    def accept(self, pick: int, who: int, own: bool, focus: bool) -> None:
        ref, user = self._target(pick, who, own, "received" if focus else None)
        form = AcceptForm(
            name=ref.name,
            value=ref.value,
            currency=ref.currency,
            close_date=max(ref.close_date, self.clock.now().date()),
            team=[member(user)],
        )
        self._attempt(
            "accept",
            user,
            ref,
            rights.can_act(user, ref),
            lambda: services.accept(self.db, user, ref.id, form, ref.version),
        )

    @rule(
        pick=picks,
        who=picks,
        own=st.booleans(),
        focus=st.booleans(),
        reason=st.sampled_from(DeclineReason),
    )
    def decline(self, pick: int, who: int, own: bool, focus: bool, reason: DeclineReason) -> None:
        ref, user = self._target(pick, who, own, "received" if focus else None)
        self._attempt(
            "decline",
            user,
            ref,
            rights.can_act(user, ref),
            lambda: services.decline(self.db, user, ref.id, DeclineForm(reason=reason)),
        )

    @rule(
        pick=picks,
        who=picks,
        own=st.booleans(),
        focus=st.booleans(),
        cents=st.integers(min_value=1, max_value=10**11),
        shift=st.integers(min_value=0, max_value=90),
    )
    def edit(self, pick: int, who: int, own: bool, focus: bool, cents: int, shift: int) -> None:
        ref, user = self._target(pick, who, own, "accepted" if focus else None)
        form = EditForm(
            name=f"{ref.name[:150]} v{ref.version}",
            value=Decimal(cents) / 100,
            currency=ref.currency,
            close_date=ref.close_date + timedelta(days=shift),
            notes=ref.notes,
            crm_id=ref.crm_id,
            campaign_id=ref.campaign_id,
        )
        self._attempt(
            "edit",
            user,
            ref,
            rights.can_act(user, ref),
            lambda: services.edit(self.db, user, ref.id, form, ref.version),
        )

    @rule(
        pick=picks, who=picks, own=st.booleans(), focus=st.booleans(), stage=st.sampled_from(Stage)
    )
    def set_stage(self, pick: int, who: int, own: bool, focus: bool, stage: Stage) -> None:
        ref, user = self._target(pick, who, own, "accepted" if focus else None)
        self._attempt(
            "set_stage",
            user,
            ref,
            rights.can_act(user, ref),
            lambda: services.set_stage(self.db, user, ref.id, stage, ref.version),
        )

    @rule(pick=picks, who=picks, own=st.booleans(), focus=st.booleans())
    def mark_won(self, pick: int, who: int, own: bool, focus: bool) -> None:
        ref, user = self._target(pick, who, own, "accepted" if focus else None)
        self._attempt(
            "mark_won",
            user,
            ref,
            rights.can_act(user, ref),
            lambda: services.mark_won(self.db, user, ref.id, WonForm(notes="Signed")),
        )

    @rule(
        pick=picks,
        who=picks,
        own=st.booleans(),
        focus=st.booleans(),
        reason=st.sampled_from(LostReason),
    )
    def mark_lost(self, pick: int, who: int, own: bool, focus: bool, reason: LostReason) -> None:
        ref, user = self._target(pick, who, own, "accepted" if focus else None)
        form = LostForm(reason=reason, notes="Customer went another way")
        self._attempt(
            "mark_lost",
            user,
            ref,
            rights.can_act(user, ref),
            lambda: services.mark_lost(self.db, user, ref.id, form),
        )

    @rule(
        pick=picks,
        who=picks,
        own=st.booleans(),
        focus=st.booleans(),
        help_=st.sampled_from(HelpType),
    )
    def invite_vendor(self, pick: int, who: int, own: bool, focus: bool, help_: HelpType) -> None:
        ref, user = self._target(pick, who, own, "accepted" if focus else None)
        self._attempt(
            "invite_vendor",
            user,
            ref,
            rights.can_act(user, ref),
            lambda: services.invite_vendor(self.db, user, ref.id, help_, "Need help", ref.version),
        )

    @rule(
        pick=picks,
        who=picks,
        own=st.booleans(),
        focus=st.booleans(),
        partner=picks,
        place=picks,
        offer=picks,
        fitting=st.booleans(),
    )
    def invite_partners(
        self,
        pick: int,
        who: int,
        own: bool,
        focus: bool,
        partner: int,
        place: int,
        offer: int,
        fitting: bool,
    ) -> None:
        ref, user = self._target(pick, who, own, "accepted" if focus else None)
        # fitting: a partner in the ecosystem not yet in the engagement; else any organization,
        # so the vendor, Litware (not in the ecosystem), one's own and parties are tried too
        candidates = self.organizations
        if fitting:
            engaged = {
                row[0]
                for row in self.raw(
                    "SELECT organization_id FROM referrals WHERE engagement_id = ?",
                    (ref.engagement_id,),
                )
            }
            candidates = [
                o
                for o in self.organizations
                if o.in_ecosystem and not o.is_vendor and o.id not in engaged
            ] or self.organizations
        organization = candidates[partner % len(candidates)]
        theirs = [s for s in self.solutions if s.organization_id == organization.id]
        solution = (theirs or self.solutions)[offer % len(theirs or self.solutions)]
        invite = PartnerInviteForm(
            organization_id=organization.id,
            location_id=organization.locations[place % len(organization.locations)].id,
            close_date=self.clock.now().date() + timedelta(days=30),
            value=Decimal("25000"),
            currency="USD",
            notes="Bring your team",
            team=[member(user)],
            solution_ids=[solution.id],
        )
        self._attempt(
            "invite_partners",
            user,
            ref,
            rights.can_act(user, ref),
            lambda: services.invite_partners(self.db, user, ref.id, [invite], ref.version),
        )

    @rule(pick=picks, who=picks, own=st.booleans())
    def comment(self, pick: int, who: int, own: bool) -> None:
        ref, user = self._target(pick, who, own, None)
        form = CommentForm(body=f"{user.first_name} checking in")
        self._attempt(
            "comment",
            user,
            ref,
            rights.can_view(user, ref),
            lambda: services.comment(self.db, user, ref.id, form),
        )

    @rule(pick=picks, who=picks, own=st.booleans())
    def toggle_favorite(self, pick: int, who: int, own: bool) -> None:
        ref, user = self._target(pick, who, own, None)
        self._attempt(
            "toggle_favorite",
            user,
            ref,
            rights.can_view(user, ref),
            lambda: services.toggle_favorite(self.db, user, ref.id),
        )

    @rule(pick=picks, who=picks, own=st.booleans(), focus=st.booleans(), person=picks)
    def add_team_member(self, pick: int, who: int, own: bool, focus: bool, person: int) -> None:
        ref, user = self._target(pick, who, own, "accepted" if focus else None)
        newcomer = self.users[person % len(self.users)]
        self._attempt(
            "add_team_member",
            user,
            ref,
            rights.can_act(user, ref),
            lambda: services.add_team_member(self.db, user, ref.id, member(newcomer), ref.version),
        )

    @rule(pick=picks, who=picks, own=st.booleans(), focus=st.booleans())
    def register(self, pick: int, who: int, own: bool, focus: bool) -> None:
        ref, user = self._target(pick, who, own, "submittable" if focus else None)
        eligible = [s.solution.id for s in ref.solutions if s.solution.incentive_eligible]
        today = self.clock.now().date()
        form = RegistrationForm(
            customer_name="Customer",
            country="US",
            city="Seattle",
            state="WA",
            solution_id=(eligible or [ref.solutions[0].solution.id])[0],
            contract_type="new",
            total_value=Decimal("100000"),
            currency="USD",
            solution_value=Decimal("40000"),
            deployed_on="azure",
            deployed_where="customer_tenant",
            contract_start=today,
            perpetual=True,
            signed_on=today,
            contact_first_name=user.first_name,
            contact_last_name=user.last_name,
            contact_phone=user.phone,
            contact_email=user.email,
            named_in_contract=True,
        )
        self._attempt(
            "register",
            user,
            ref,
            rights.can_act(user, ref),
            lambda: services.register(self.db, user, ref.id, form),
        )

    @rule(
        pick=picks,
        who=picks,
        seller=st.booleans(),
        focus=st.booleans(),
        decision=st.sampled_from(ReviewAction),
        message=st.sampled_from([None, "", "Attach the signed order form."]),
    )
    def review_registration(
        self,
        pick: int,
        who: int,
        seller: bool,
        focus: bool,
        decision: ReviewAction,
        message: str | None,
    ) -> None:
        ids = (self._referral_ids("reviewable") if focus else []) or self._referral_ids()
        ref = self._referral(ids[pick % len(ids)])
        sellers = [u for u in self.users if u.role is Role.SELLER]
        user = (sellers if seller else self.users)[who % len(sellers if seller else self.users)]
        entitled = user.role is Role.SELLER and user.organization_id == self.vendor_id
        self._attempt(
            "review_registration",
            user,
            ref,
            entitled,
            lambda: services.review_registration(self.db, user, ref.id, decision, message),
        )

    @rule(hours=st.integers(min_value=0, max_value=10 * 24))
    def expire_overdue(self, hours: int) -> None:
        self.clock.advance(timedelta(hours=hours))
        result = services.expire_overdue(self.db)
        note(
            f"sweep at {self.clock.now():%Y-%m-%d %H:%M}: expired {len(result.expired)}, "
            f"reminded {len(result.reminded)}"
        )
        # (e) R-LIFE-4: nothing received is left at or past its deadline
        with self.db.reading() as session:
            received = session.execute(
                select(ReferralRow.id, ReferralRow.response_deadline).where(
                    ReferralRow.status == Status.RECEIVED.value
                )
            ).all()
        now = self.clock.now()
        assert all(deadline is not None for _, deadline in received)
        overdue = [rid for rid, deadline in received if deadline is None or deadline <= now]
        assert overdue == [], f"received referrals past their deadline after a sweep: {overdue}"

    # --- invariants ------------------------------------------------------------------------

    def _terminal_rows(self) -> dict[str, list[tuple[str, tuple[Any, ...]]]]:
        columns, found = self.raw.with_columns(
            f"SELECT * FROM referrals WHERE status IN {TERMINAL_SQL}"
        )
        id_at = columns.index("id")
        rows: dict[str, list[tuple[str, tuple[Any, ...]]]] = {
            row[id_at]: [("referrals", row)] for row in found
        }
        for table in OWN_DATA_TABLES:
            columns, found = self.raw.with_columns(
                f"SELECT * FROM {table} WHERE referral_id IN "
                f"(SELECT id FROM referrals WHERE status IN {TERMINAL_SQL}) ORDER BY id"
            )
            owner_at = columns.index("referral_id")
            for row in found:
                rows[row[owner_at]].append((table, row))
        return rows

    def _final_registrations(self) -> dict[str, tuple[Any, ...]]:
        columns, found = self.raw.with_columns(
            "SELECT * FROM registrations WHERE status IN ('approved','rejected')"
        )
        owner_at = columns.index("referral_id")
        return {row[owner_at]: row for row in found}

    def _freeze_new_terminals(
        self,
        terminal: dict[str, list[tuple[str, tuple[Any, ...]]]],
        registrations: dict[str, tuple[Any, ...]],
    ) -> None:
        for referral_id, rows in terminal.items():
            self.frozen.setdefault(referral_id, rows)
        for referral_id, row in registrations.items():
            self.final_registrations.setdefault(referral_id, row)

    @invariant()
    def terminal_referrals_never_change(self) -> None:
        """(a) R-LIFE-1, R-STORE-1; R-REG-3 for final registrations."""
        current = self._terminal_rows()
        for referral_id, rows in self.frozen.items():
            assert current.get(referral_id) == rows, f"closed referral {referral_id} changed"
        registrations = self._final_registrations()
        for referral_id, row in self.final_registrations.items():
            assert registrations.get(referral_id) == row, f"final registration {row} changed"
        self._freeze_new_terminals(current, registrations)

    @staticmethod
    def _activity_state(rows: list[tuple[Any, ...]]) -> tuple[int, int, str]:
        """How many rows `rows` (the log, by id) holds, the last id, and a digest of them all."""
        digest = hashlib.sha256(repr(rows).encode()).hexdigest()
        return len(rows), (rows[-1][0] if rows else 0), digest

    @invariant()
    def activity_only_grows(self) -> None:
        """(c) R-AUD-1: append-only — more rows or the same, the earlier ones untouched."""
        seen_count, seen_last, seen_digest = self.activity_seen
        rows = self.raw("SELECT * FROM activity ORDER BY id")
        earlier = [row for row in rows if row[0] <= seen_last]
        assert len(earlier) == seen_count, "activity rows disappeared"
        assert self._activity_state(earlier)[2] == seen_digest, "earlier activity rows changed"
        self.activity_seen = self._activity_state(rows)

    @invariant()
    def deal_type_follows_parties(self) -> None:
        """(d) R-DEAL-3: the stored deal type is derived from the parties, never stale."""
        engagements: dict[str, tuple[bool, str, list[parties.PartyState]]] = {}
        for engagement_id, is_assessment, stored, org_id, is_vendor, status in self.raw(
            "SELECT e.id, e.is_assessment, e.deal_type, r.organization_id, o.is_vendor, r.status "
            "FROM engagements e JOIN referrals r ON r.engagement_id = e.id "
            "JOIN organizations o ON o.id = r.organization_id"
        ):
            entry = engagements.setdefault(engagement_id, (bool(is_assessment), stored, []))
            entry[2].append(parties.PartyState(org_id, bool(is_vendor), Status(status)))
        for engagement_id, (is_assessment, stored, states) in engagements.items():
            derived = parties.derive_deal_type(is_assessment, states).value
            assert stored == derived, f"engagement {engagement_id}: stored {stored}, is {derived}"


@pytest.fixture
def demo_copies(request: pytest.FixtureRequest, backend: str) -> Callable[[FixedClock], DemoCopy]:
    """How each example gets its private copy of the demo on `backend` (the server or the
    template is made ready here, so the test's own time is the examples')."""
    if backend == "postgresql":
        return partial(postgresql_copy, request.getfixturevalue("postgres_server"))
    return partial(sqlite_copy, request.getfixturevalue("demo_template"))


@pytest.mark.long
def test_random_actions_keep_promises(
    backend: str, demo_copies: Callable[[FixedClock], DemoCopy]
) -> None:
    """(a)–(e) above, over random action sequences on a fresh copy of the demo each time."""
    # hypothesis takes a factory as well as the class, though its annotation names only the class
    machine: Any = partial(DealMachine, demo_copies)
    run_state_machine_as_test(
        machine, settings=PG_SETTINGS if backend == "postgresql" else SETTINGS
    )
