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
        # every other deal (the suite's time): each kind of deal, party and user still comes up
        referral_ids = list(session.scalars(text("SELECT id FROM referrals ORDER BY id")))[::2]
    assert len(users) > 10 and len(referral_ids) > 20
    shown = refused = 0
    for user in users:
        for referral_id in referral_ids:
            with demo_db.reading() as session:
                referral = queries.referral(session, referral_id)
                if not rights.can_view(user, referral):
                    with pytest.raises(NotFound):
                        load_deal(demo_db, user, referral_id)
                    refused += 1
                    continue
                view = load_deal(demo_db, user, referral_id)
                assert view.referral == referral
                assert view.parties == queries.parties(session, referral.engagement_id)
                assert view.comments == queries.comments(session, referral.engagement_id)
                assert view.activity == queries.activity(session, referral_id)
                assert view.engagement == queries.engagement(session, referral.engagement_id)
                assert view.registration == queries.registration(session, referral_id)
                organizations = queries.organizations(session)
                assert view.organization == next(
                    o for o in organizations if o.id == referral.organization_id
                )
                assert view.organizations == {o.id: o.name for o in organizations}
                shown += 1
    assert shown > 25 and refused > 25
