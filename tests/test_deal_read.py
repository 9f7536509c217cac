"""The deal screen's read (`source.load_deal`, Core statements in `store/deal_reads.py`, issue
6) gives what the store's own queries give, for every user and every deal of the demo, and
refuses (NotFound) exactly the deals a user may not see (R-ACL-1)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from cosell_tui.domain import rights
from cosell_tui.domain.errors import NotFound
from cosell_tui.source import load_deal
from cosell_tui.store import queries
from cosell_tui.store.database import Database

pytestmark = pytest.mark.backends  # R-STORE-4: the same on PostgreSQL


@pytest.mark.long
def test_the_deal_screen_reads_what_the_store_holds(demo_db: Database) -> None:
    with demo_db.reading() as session:
        users = queries.users(session)
        organizations = queries.organizations(session)
        # every other deal (the suite's time): each kind of deal, party and user still comes up
        referral_ids = list(session.scalars(text("SELECT id FROM referrals ORDER BY id")))[::2]
        # what the store's own queries say of each deal, whoever asks (read once per deal)
        held = {}
        for referral_id in referral_ids:
            referral = queries.referral(session, referral_id)
            held[referral_id] = (
                referral,
                queries.parties(session, referral.engagement_id),
                queries.comments(session, referral.engagement_id),
                queries.activity(session, referral_id),
                queries.engagement(session, referral.engagement_id),
                queries.registration(session, referral_id),
                next(o for o in organizations if o.id == referral.organization_id),
            )
    assert len(users) > 10 and len(referral_ids) > 20
    names = {o.id: o.name for o in organizations}
    shown = refused = 0
    for user in users:
        for referral_id in referral_ids:
            referral = held[referral_id][0]
            if not rights.can_view(user, referral):
                with pytest.raises(NotFound):
                    load_deal(demo_db, user, referral_id)
                refused += 1
                continue
            view = load_deal(demo_db, user, referral_id)
            assert (
                view.referral,
                view.parties,
                view.comments,
                view.activity,
                view.engagement,
                view.registration,
                view.organization,
            ) == held[referral_id]
            assert view.organizations == names
            shown += 1
    assert shown > 25 and refused > 25
