"""SVG snapshots of the app on the demo (seed 1, 2026-11-27): each tab, and the deal screen in
every status and of every type, at 80×24 and 120×40 (issue 3).

Update only after looking at the new SVGs: `pytest tests/ui/test_app_snapshots.py
--snapshot-update`, then convert and view them (STYLE rule 11).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from cosell_tui.app import build_app
from cosell_tui.domain.models import User
from cosell_tui.screens.deal import DealScreen
from cosell_tui.store.database import Database
from tests.ui.test_main_screen import settle, sql

SnapCompare = Callable[..., bool]
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]

# One deal per status and per type (not every combination), as Contoso sees it.
DEALS = {
    "received-co_sell": "Adatum Corporation — Copilot rollout",
    "accepted-co_sell": "Humongous Insurance — Zero-trust security uplift",
    "accepted-p2p": "Trey Research — Customer 360",
    "accepted-private": "Coho Winery — Data platform modernization",
    "accepted-sa": "Bellows College — Azure migration readiness",
    "won-registration": "Woodgrove Bank — Sales copilot pilot",
    "lost-private": "VanArsdel — Supply chain forecasting",
    "declined-co_sell": "Blue Yonder Airlines — Sales copilot pilot",
    "expired-co_sell": "Consolidated Messenger — Contact center AI",
}


def contoso_deal(db: Database, name: str, status: str | None = None) -> str:
    query = (
        "SELECT r.id FROM referrals r JOIN organizations o ON o.id = r.organization_id "
        "WHERE o.name = 'Contoso Analytics' AND r.name = ?"
    )
    args: list[object] = [name]
    if status:
        query += " AND r.status = ?"
        args.append(status)
    rows = sql(db, query, *args)
    assert len(rows) == 1, (name, rows)
    return str(rows[0][0])


class TestTabs:
    @pytest.mark.parametrize("size", SIZES)
    @pytest.mark.parametrize("key", ["1", "2", "3"])
    def test_tab(
        self,
        snap_compare: SnapCompare,
        demo_db: Database,
        people: dict[str, User],
        key: str,
        size: tuple[int, int],
    ) -> None:
        app = build_app(demo_db, people["Dana"])

        async def ready(pilot: Pilot[None]) -> None:
            await settle(app, pilot)
            await pilot.press(key)
            await settle(app, pilot)

        assert snap_compare(app, terminal_size=size, run_before=ready)


class TestDealScreen:
    @pytest.mark.parametrize("size", SIZES)
    @pytest.mark.parametrize("deal", list(DEALS))
    def test_deal(
        self,
        snap_compare: SnapCompare,
        demo_db: Database,
        people: dict[str, User],
        deal: str,
        size: tuple[int, int],
    ) -> None:
        status = "won" if deal.startswith("won") else None
        referral_id = contoso_deal(demo_db, DEALS[deal], status)
        app = build_app(demo_db, people["Dana"])

        async def ready(pilot: Pilot[None]) -> None:
            await settle(app, pilot)
            app.push_screen(DealScreen(referral_id))
            await settle(app, pilot)

        assert snap_compare(app, terminal_size=size, run_before=ready)
