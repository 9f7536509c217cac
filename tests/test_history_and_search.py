"""History, visibility and search details found in review (R-AUD-1, R-DEAL-3, R-NOTE-2, R-UI-1)."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from cosell_tui import services
from cosell_tui.domain.enums import DeclineReason, HelpType, Status
from cosell_tui.domain.listing import DealQuery, Show, Tab
from cosell_tui.domain.models import AcceptForm, DeclineForm, TeamMemberForm, User
from cosell_tui.store import lists, queries
from cosell_tui.store.database import Database
from cosell_tui.store.schema import ReferralRow
from tests.test_services import (
    CONTOSO,
    COSELL_WAITING,
    FABRIKAM,
    MICROSOFT,
    P2P_OPEN,
    PRIVATE_OPEN,
    find,
)

pytestmark = pytest.mark.backends  # R-STORE-4: the same on PostgreSQL


def test_history_shows_the_deal_type_change_when_the_vendor_declines(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-AUD-1: engagement-wide changes appear in each party's history
    vendor_side = find(demo_db, MICROSOFT, COSELL_WAITING)
    services.decline(
        demo_db, people["Megan"], vendor_side.id, DeclineForm(reason=DeclineReason.OTHER)
    )
    contoso_side = find(demo_db, CONTOSO, COSELL_WAITING)
    with demo_db.reading() as session:
        history = queries.activity(session, contoso_side.id)
    changes = [(e.field, e.old, e.new) for e in history]
    assert ("deal_type", "co_sell", "private") in changes


def test_the_vendor_never_sees_a_private_deal(demo_db: Database, people: dict[str, User]) -> None:
    # R-DEAL-3: after the vendor declines, the deal is private: gone from the vendor's lists
    vendor_side = find(demo_db, MICROSOFT, COSELL_WAITING)
    megan = people["Megan"]
    services.decline(demo_db, megan, vendor_side.id, DeclineForm(reason=DeclineReason.OTHER))
    with demo_db.reading() as session:
        listed = queries.list_referrals(session, megan, show="all", limit=10_000)
        query = DealQuery(tab=Tab.INBOUND, show=Show.ALL)
        paged = lists.page(session, megan, query, 0, 10_000)
    assert vendor_side.id not in {r.id for r in listed}
    assert vendor_side.id not in {r.id for r in paged}


def test_accepting_logs_the_team_it_sets(demo_db: Database, people: dict[str, User]) -> None:
    # R-AUD-1: the accepting team is in the history, old → new
    vendor_side = find(demo_db, MICROSOFT, COSELL_WAITING)
    megan = people["Megan"]
    form = AcceptForm(
        name="Codename Falcon",
        value=vendor_side.value,
        currency=vendor_side.currency,
        close_date=vendor_side.close_date,
        team=[
            TeamMemberForm(
                first_name="Megan", last_name="Bowen", phone=megan.phone, email=megan.email
            )
        ],
    )
    services.accept(demo_db, megan, vendor_side.id, form)
    with demo_db.reading() as session:
        history = queries.activity(session, vendor_side.id)
        told = queries.notifications(session, people["Dana"].id)
    assert any(e.field == "team" and e.new == megan.email for e in history)
    # R-NOTE-2: the sender hears about it under its own name for the deal
    latest = told[0]
    assert COSELL_WAITING in latest.message and "Codename Falcon" not in latest.message


def test_inviting_the_vendor_keeps_what_the_inviter_asked_of_us(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-INV-4: Fabrikam's card keeps the help Contoso asked of it after Fabrikam invites the vendor
    fabrikam_side = find(demo_db, FABRIKAM, P2P_OPEN)
    before = fabrikam_side.help_requested
    services.invite_vendor(
        demo_db, people["Jonas"], fabrikam_side.id, HelpType.QUOTES_AND_LICENSING
    )
    assert find(demo_db, FABRIKAM, P2P_OPEN).help_requested is before


def test_search_folds_accents_and_takes_wildcards_literally(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-UI-1: filter matches case-insensitively, Unicode included; % and _ are plain characters
    coho = find(demo_db, CONTOSO, PRIVATE_OPEN)
    with demo_db.transaction() as session:
        session.execute(
            update(ReferralRow).where(ReferralRow.id == coho.id).values(name="Élan 100%_done")
        )
    dana = people["Dana"]
    query = DealQuery(tab=Tab.OUTBOUND, show=Show.ALL)
    with demo_db.reading() as session:
        for term, expected in (("élan", 1), ("ÉLAN", 1), ("100%_", 1), ("%", 1), ("_", 1)):
            rows = lists.page(session, dana, query.with_(search=term), 0, 100)
            assert [r.id for r in rows] == [coho.id] * expected, term
            assert lists.count(session, dana, query.with_(search=term)) == expected
    assert find(demo_db, CONTOSO, "Élan 100%_done").status is Status.ACCEPTED
