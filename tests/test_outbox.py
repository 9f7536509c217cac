"""Every notification kind queues e-mail in the outbox, except for users who turned it off (§6).

Each case makes the demo notify two users about one event — one who wants mail, one who does
not — and checks both see it in the app and only the first gets an outbox row.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from cosell_tui import services
from cosell_tui.domain.enums import DeclineReason, NotificationKind, Status
from cosell_tui.domain.models import DeclineForm, User
from cosell_tui.domain.registration import ReviewAction
from cosell_tui.store.database import Database
from cosell_tui.store.schema import NotificationRow, OutboxRow, UserRow
from tests.test_services import (
    CONTOSO,
    COSELL_WAITING,
    IN_EXPIRING,
    IN_NEW,
    MICROSOFT,
    NORTHWIND,
    P2P_WAITING,
    PRIVATE_OPEN,
    REG_INCOMPLETE,
    accept_form,
    find,
    member,
    partner_invite,
    registration_form,
    side,
)

pytestmark = pytest.mark.backends  # R-STORE-4: the same on PostgreSQL

People = dict[str, User]
Act = Callable[[Database, People], None]


def mail_off(db: Database, user: User) -> None:
    with db.transaction() as session:
        session.execute(
            update(UserRow).where(UserRow.id == user.id).values(email_notifications=False)
        )


def new_inbound(db: Database, p: People) -> None:
    # R-NOTE-1: Contoso invites Northwind's Chicago office: Grace (global) and Sam (Chicago)
    coho = find(db, CONTOSO, PRIVATE_OPEN)
    invite = partner_invite(db, NORTHWIND, "Chicago", ("Contoso Data Quickstart",), [p["Dana"]])
    services.invite_partners(db, p["Dana"], coho.id, [invite])


def accepted(db: Database, p: People) -> None:
    # R-NOTE-2: the vendor's sending team (Megan, and Lee added) hears Contoso accepted
    received = find(db, CONTOSO, IN_NEW)
    vendor = side(db, received.engagement_id, MICROSOFT)
    services.add_team_member(db, p["Megan"], vendor.id, member(p["Lee"]))
    services.accept(db, p["Dana"], received.id, accept_form(received, [p["Dana"]]))


def declined(db: Database, p: People) -> None:
    # R-NOTE-2: Contoso's team (Dana, and Priya added) hears the vendor declined
    contoso = find(db, CONTOSO, COSELL_WAITING)
    services.add_team_member(db, p["Dana"], contoso.id, member(p["Priya"]))
    vendor = side(db, contoso.engagement_id, MICROSOFT)
    services.decline(db, p["Megan"], vendor.id, DeclineForm(reason=DeclineReason.OTHER))


def expired(db: Database, p: People) -> None:
    # R-NOTE-2: the vendor's sending team (Alex, and Lee added) hears Contoso let it expire
    received = find(db, CONTOSO, IN_EXPIRING)
    vendor = side(db, received.engagement_id, MICROSOFT)
    services.add_team_member(db, p["Alex"], vendor.id, member(p["Lee"]))
    assert received.response_deadline is not None
    db.clock.at = received.response_deadline  # type: ignore[attr-defined]
    assert received.id in services.expire_overdue(db).expired


def reminded(db: Database, p: People) -> None:
    # R-NOTE-4: Northwind's recipients (Grace, Sam) are reminded two days before
    received = find(db, NORTHWIND, P2P_WAITING)
    assert received.response_deadline is not None
    db.clock.at = received.response_deadline - timedelta(days=2)  # type: ignore[attr-defined]
    assert services.expire_overdue(db).reminded == [received.id]


def reviewed(*steps: tuple[str, ReviewAction]) -> Act:
    # R-NOTE-3: the registration contact (Owen) and the team (Dana, Priya) are told
    def act(db: Database, p: People) -> None:
        won = find(db, CONTOSO, REG_INCOMPLETE, Status.WON)
        services.register(db, p["Dana"], won.id, registration_form(won, p["Owen"]))
        for who, decision in steps:
            services.review_registration(db, p[who], won.id, decision, "See the order form.")

    return act


CASES: dict[NotificationKind, tuple[Act, str, str]] = {
    # kind: (what happens, a recipient who wants mail, one who turned it off)
    NotificationKind.NEW_INBOUND: (new_inbound, "Grace", "Sam"),
    NotificationKind.INVITATION_ACCEPTED: (accepted, "Megan", "Lee"),
    NotificationKind.INVITATION_DECLINED: (declined, "Dana", "Priya"),
    NotificationKind.INVITATION_EXPIRED: (expired, "Alex", "Lee"),
    NotificationKind.EXPIRY_REMINDER: (reminded, "Grace", "Sam"),
    NotificationKind.REGISTRATION_ACTION_REQUIRED: (
        reviewed(("Megan", ReviewAction.REQUEST_CHANGES)),
        "Owen",
        "Priya",
    ),
    NotificationKind.REGISTRATION_APPROVED: (
        reviewed(("Megan", ReviewAction.APPROVE), ("Alex", ReviewAction.APPROVE)),
        "Dana",
        "Owen",
    ),
    NotificationKind.REGISTRATION_REJECTED: (
        reviewed(("Megan", ReviewAction.REJECT)),
        "Priya",
        "Dana",
    ),
}


def test_every_kind_is_covered() -> None:
    assert set(CASES) == set(NotificationKind)


@pytest.mark.parametrize("kind", list(CASES), ids=[k.value for k in CASES])
def test_notification_queues_mail_unless_turned_off(
    demo_db: Database, people: People, kind: NotificationKind
) -> None:
    act, wants, refuses = CASES[kind]
    if people[refuses].email_notifications:  # the demo's Lee already has mail off
        mail_off(demo_db, people[refuses])
    assert people[wants].email_notifications
    with demo_db.reading() as session:
        before = session.scalar(select(func.max(NotificationRow.id))) or 0

    act(demo_db, people)

    with demo_db.reading() as session:
        rows = session.execute(
            select(NotificationRow, OutboxRow, UserRow)
            .join(UserRow, UserRow.id == NotificationRow.user_id)
            .outerjoin(OutboxRow, OutboxRow.notification_id == NotificationRow.id)
            .where(NotificationRow.id > before, NotificationRow.kind == kind.value)
        ).all()
        told = {user.first_name: (note, mail, user) for note, mail, user in rows}
        assert {wants, refuses} <= set(told)
        assert len(told) == len(rows)  # one notification (and at most one mail) each
        for name, (note, mail, user) in told.items():
            assert (mail is not None) == user.email_notifications, name
            if mail is not None:
                assert mail.to_email == user.email
                assert mail.body == note.message
                assert mail.subject == f"cosell-tui: {note.message[:200]}"
                assert mail.sent_at is None
    assert told[wants][1] is not None
    assert told[refuses][1] is None
