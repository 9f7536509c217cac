"""Opening the deal screen (issue 6): complete at once when the read is quick, "Loading…" and
then the deal when it is slow; either way the same screen and the same keys."""

from __future__ import annotations

import threading

import pytest
from textual.widgets import Static

import cosell_tui.screens.deal as deal_screen
from cosell_tui.domain.models import User
from cosell_tui.screens.deal import DealScreen
from cosell_tui.source import DealView, load_deal
from cosell_tui.store.database import Database
from cosell_tui.widgets.lifecycle import LifecycleStepper, LifecycleWidget
from tests.ui.test_app_snapshots import contoso_deal
from tests.ui.test_main_screen import running, settle

RECEIVED = "Adatum Corporation — Copilot rollout"


def shown(screen: DealScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def footer_actions(screen: DealScreen) -> set[str]:
    return {binding.action for _, binding, enabled, _ in screen.active_bindings.values() if enabled}


async def test_a_quick_read_opens_the_screen_filled_in(
    demo_db: Database, people: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deal_screen, "FIRST_READ_SECONDS", 30.0)  # never "too slow" here
    referral_id = contoso_deal(demo_db, RECEIVED)
    async with running(demo_db, people["Dana"]) as (app, pilot):
        app.push_screen(DealScreen(referral_id))
        await pilot.pause()  # composed and mounted: no worker has run yet
        screen = app.screen
        assert isinstance(screen, DealScreen)
        assert RECEIVED in shown(screen, "#deal-title")
        assert "Loading…" not in shown(screen, "#deal-title")
        assert screen.query(LifecycleWidget)
        assert "No messages yet." in shown(screen, "#discussion")
        assert not screen.query_one("#registration").display  # no registration yet
        assert {"accept", "decline"} <= footer_actions(screen)


async def test_a_slow_read_shows_loading_then_the_deal(
    demo_db: Database, people: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    disk = threading.Event()  # a slow disk: no read finishes until it is set

    def slow(db: Database, user: User, referral_id: str) -> DealView:
        disk.wait(10)
        return load_deal(db, user, referral_id)

    monkeypatch.setattr("cosell_tui.screens.deal.load_deal", slow)
    monkeypatch.setattr(deal_screen, "FIRST_READ_SECONDS", 0.01)
    referral_id = contoso_deal(demo_db, RECEIVED)
    async with running(demo_db, people["Dana"]) as (app, pilot):
        app.push_screen(DealScreen(referral_id))
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DealScreen)
        assert shown(screen, "#deal-title") == "Loading…"
        assert not footer_actions(screen) & {"accept", "decline"}
        disk.set()
        await settle(app, pilot)
        assert RECEIVED in shown(screen, "#deal-title")
        assert len(screen.query(LifecycleWidget)) == 1
        assert "No messages yet." in shown(screen, "#discussion")
        assert {"accept", "decline"} <= footer_actions(screen)


async def test_the_stepper_is_made_only_when_there_is_room_for_it(
    demo_db: Database, people: dict[str, User]
) -> None:
    referral_id = contoso_deal(demo_db, RECEIVED)
    async with running(demo_db, people["Dana"], size=(80, 24)) as (app, pilot):
        app.push_screen(DealScreen(referral_id))
        await settle(app, pilot)
        widget = app.screen.query_one(LifecycleWidget)
        assert not widget.query(LifecycleStepper) and not widget.has_class("-wide")
        await pilot.resize_terminal(140, 40)
        await settle(app, pilot)
        assert widget.has_class("-wide")
        stepper = widget.query_one(LifecycleStepper)
        assert stepper.display and stepper.plan == widget.plan  # bound to the widget's plan
