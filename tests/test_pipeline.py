"""The Pipeline tab's figures (R-UI-1, issue 7) against values worked out by hand.

One small database for the module, built through the services on a moving clock (the demo's
`Script`), today 2026-11-27 09:00 UTC:

- `open-usd`: Dana's private deal, 100 000 USD, Qualified (20 %), closes in 10 days;
- `expiring`: Megan (the vendor) invites Contoso 13 days ago; Contoso's side, 150 000 EUR,
  is still received, its deadline tomorrow 09:00 (R-NOTE-4's two days);
- `answered`: Megan invites Contoso (Seattle) 20 days ago, 40 000 EUR for Contoso, accepted by
  Dana 4 days later with Marco (a Seattle referral user) as the team, Proposed (60 %), closes
  in 20 days;
- `declined`: Megan invites Contoso 30 days ago, 60 000 USD; Contoso declines 2 days later.
  The vendor's side stays accepted; its engagement is then made *private* by hand (the
  services never leave the vendor a private deal; an import or another tool might), a deal
  Megan must not see (R-DEAL-3);
- `won` 30 days ago, `lost-recent` 20 days ago, `lost-old` 100 days ago: Dana's private deals.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import update

from cosell_tui.clock import FixedClock
from cosell_tui.demo import Ecosystem, Script, build_demo
from cosell_tui.domain.enums import DeclineReason, LostReason, Stage
from cosell_tui.store import lists
from cosell_tui.store import pipeline as store_pipeline
from cosell_tui.store.database import Database, open_database
from cosell_tui.store.pipeline import CurrencyFigure, Pipeline, StageFigure, pipeline
from cosell_tui.store.schema import EngagementRow

pytestmark = pytest.mark.backends  # R-STORE-4: the same on PostgreSQL

TODAY = date(2026, 11, 27)
NOW = datetime.combine(TODAY, time(9), tzinfo=UTC)
CONTOSO, MICROSOFT = "Contoso Analytics", "Microsoft"
CLOUD, QUICK = "Contoso Insight Cloud", "Contoso Data Quickstart"


def build_small(db: Database) -> Ecosystem:
    eco = build_demo(db, seed=1, today=TODAY, deals=0)
    s = Script(db, eco, NOW)
    c = eco.companies
    s.at(50, lambda: s.create("open-usd", "Dana", c[0], "Open", 100_000, solutions=[QUICK]))
    s.at(40, lambda: s.stage("open-usd", CONTOSO, "Dana", Stage.QUALIFIED))
    s.at(
        13,
        lambda: s.create(
            "expiring",
            "Megan",
            c[1],
            "Expiring",
            300_000,
            currency="EUR",
            solutions=["Microsoft Fabric"],
            partners=[(CONTOSO, 0, [CLOUD])],
        ),
    )
    s.at(
        20,
        lambda: s.create(
            "answered",
            "Megan",
            c[2],
            "Answered",
            80_000,
            currency="EUR",
            solutions=["Microsoft Fabric"],
            partners=[(CONTOSO, 0, [CLOUD])],
            close_in=40,
        ),
    )
    s.at(16, lambda: s.accept("answered", CONTOSO, "Dana", team=["Marco"]))
    s.at(10, lambda: s.stage("answered", CONTOSO, "Dana", Stage.PROPOSED))
    s.at(
        30,
        lambda: s.create(
            "declined",
            "Megan",
            c[3],
            "Declined",
            60_000,
            solutions=["Microsoft Fabric"],
            partners=[(CONTOSO, 0, [QUICK])],
        ),
    )
    s.at(28, lambda: s.decline("declined", CONTOSO, "Dana", DeclineReason.TIMELINE_TOO_SHORT))
    s.at(40, lambda: s.create("won", "Dana", c[4], "Won", 50_000, solutions=[QUICK]))
    s.at(30, lambda: s.won("won", CONTOSO, "Dana"))
    s.at(60, lambda: s.create("lost-recent", "Dana", c[5], "Lost", 70_000, solutions=[QUICK]))
    s.at(20, lambda: s.lost("lost-recent", CONTOSO, "Dana", LostReason.PRICE))
    s.at(
        200,
        lambda: s.create("lost-old", "Dana", c[6], "Old", 90_000, solutions=[QUICK], close_in=150),
    )
    s.at(100, lambda: s.lost("lost-old", CONTOSO, "Dana", LostReason.PRICE))
    s.run()
    with db.transaction() as session:
        private = EngagementRow.id == s.deals["declined"].engagement_id
        session.execute(update(EngagementRow).where(private).values(deal_type="private"))
    return eco


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, Ecosystem]]:
    path: Path = tmp_path_factory.mktemp("pipeline") / "small.db"
    database = open_database(path, clock=FixedClock.on(TODAY))
    eco = build_small(database)
    yield database, eco
    database.dispose()


def figures(small: tuple[Database, Ecosystem], who: str) -> Pipeline:
    db, eco = small
    with db.reading() as session:
        return pipeline(session, eco.users[who], NOW)


def test_an_admin_sees_every_active_deal_by_stage_per_currency(
    small: tuple[Database, Ecosystem],
) -> None:
    # R-UI-1, R-LIFE-7: count, value and weighted value by stage, per currency, never summed
    dana = figures(small, "Dana")
    assert set(dana.stages) == {
        StageFigure("USD", "qualified", 1, Decimal("100000.00")),
        StageFigure("EUR", "received", 1, Decimal("150000.00")),
        StageFigure("EUR", "proposed", 1, Decimal("40000.00")),
    }
    weighted = {(s.currency, s.step): s.weighted for s in dana.stages}
    assert weighted == {
        ("USD", "qualified"): Decimal("20000.00"),
        ("EUR", "received"): Decimal("15000.00"),  # a received deal counts 10 %
        ("EUR", "proposed"): Decimal("24000.00"),
    }
    assert dana.active == 3
    assert dana.currencies() == [
        ("EUR", 2, Decimal("190000.00"), Decimal("39000.00")),
        ("USD", 1, Decimal("100000.00"), Decimal("20000.00")),
    ]
    assert [s.step for s in dana.steps_of("EUR")] == [
        "received",
        "created",
        "accepted",
        "qualified",
        "developed",
        "proposed",
        "negotiated",
    ]


def test_win_rate_response_time_closing_and_expiring(small: tuple[Database, Ecosystem]) -> None:
    dana = figures(small, "Dana")
    # won 30 days ago, lost 20 days ago; the loss 100 days ago is outside the 90 days
    assert (dana.won, dana.lost, dana.win_rate) == (1, 1, 0.5)
    # accepted after 4 days, declined after 2: 3 days on average; the received one not yet
    assert dana.answered == 2
    assert dana.answer_days == pytest.approx(3.0)
    # active, closing from today to today + 30: open-usd in 10 days, answered in 20
    assert dana.closing == (
        CurrencyFigure("USD", 1, Decimal("100000.00")),
        CurrencyFigure("EUR", 1, Decimal("40000.00")),
    )
    assert [d.close_date for d in dana.closing_deals] == [
        TODAY + timedelta(days=10),
        TODAY + timedelta(days=20),
    ]
    # R-NOTE-4: received 13 days ago, deadline tomorrow 09:00
    assert dana.expiring == 1
    (deal,) = dana.expiring_deals
    assert deal.response_deadline == NOW + timedelta(days=1)
    assert deal.value == Decimal("150000.00") and deal.currency == "EUR"


def test_a_seller_never_counts_a_private_deal(small: tuple[Database, Ecosystem]) -> None:
    # R-DEAL-3, R-ACL-1: the vendor's side of `declined` is private: not in the figures
    megan = figures(small, "Megan")
    assert set(megan.stages) == {StageFigure("EUR", "created", 2, Decimal("380000.00"))}
    assert megan.currencies() == [("EUR", 2, Decimal("380000.00"), Decimal("38000.00"))]
    assert (megan.won, megan.lost, megan.win_rate) == (0, 0, None)
    assert (megan.answered, megan.answer_days) == (0, None)  # the vendor's sides are outbound
    assert megan.closing == (CurrencyFigure("EUR", 1, Decimal("80000.00")),)
    assert megan.expiring == 0
    db, eco = small
    with db.reading() as session:  # it is there, active: only the rule hides it
        hidden = session.execute(
            lists.deal_list.select().where(
                lists.deal_list.c.organization_id == eco.orgs[MICROSOFT],
                lists.deal_list.c.deal_type == "private",
                lists.deal_list.c.status == "accepted",
            )
        ).all()
    assert len(hidden) == 1


def test_a_referral_user_sees_only_the_deals_of_their_team(
    small: tuple[Database, Ecosystem],
) -> None:
    # R-ACL-1: Marco (Seattle) is on `answered` only
    marco = figures(small, "Marco")
    assert marco.stages == (StageFigure("EUR", "proposed", 1, Decimal("40000.00")),)
    assert (marco.won, marco.lost, marco.win_rate) == (0, 0, None)
    assert marco.answered == 1
    assert marco.answer_days == pytest.approx(4.0)
    assert marco.closing == (CurrencyFigure("EUR", 1, Decimal("40000.00")),)
    assert marco.expiring == 0


def test_the_same_figures_without_the_list_index(
    small: tuple[Database, Ecosystem], monkeypatch: pytest.MonkeyPatch
) -> None:
    # PostgreSQL has no deal_list: the referrals, through queries.visible_to, give the same
    expected = {who: figures(small, who) for who in ("Dana", "Megan", "Marco")}
    monkeypatch.setattr(store_pipeline.lists, "reads_index", lambda session: False)
    for who, indexed in expected.items():
        assert figures(small, who) == indexed, who
