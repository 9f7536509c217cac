"""Switch user (`u`, R-UI-7): the whole app reloads as the chosen user; a seller never sees a
private deal (R-DEAL-3, R-ACL-1)."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from cosell_tui.app import CoSellApp
from cosell_tui.domain.models import Organization, User
from cosell_tui.screens.main import MainScreen
from cosell_tui.screens.switch_user import SwitchUserScreen, matches
from cosell_tui.store.database import Database
from cosell_tui.widgets.deal_list import DealList
from tests.ui.test_main_screen import running, settle, sql

ACTIVE = ("received", "accepted")
EVERY = ("received", "accepted", "won", "lost", "declined", "expired")


def test_the_filter_finds_by_name_email_or_organization(people: dict[str, User]) -> None:
    megan = people["Megan"]
    vendor = Organization(
        id=megan.organization_id,
        name="Microsoft",
        partner_id=None,
        is_vendor=True,
        co_sell_ready=True,
        in_ecosystem=True,
        vetted_for_assessments=True,
    )
    for typed in ("", "MEGAN", "bowen@micro", "soft", "  Megan Bowen "):
        assert matches(typed, megan, vendor), typed
    for typed in ("dana", "contoso", "seller"):
        assert not matches(typed, megan, vendor), typed


def shown_ids(deal_list: DealList) -> set[str]:
    return {row.id for rows in deal_list._pages.values() for row in rows}


def current_list(app: CoSellApp) -> DealList:
    screen = app.screen
    assert isinstance(screen, MainScreen)
    return screen.current_list


def seller_may_see(db: Database, seller: User, tab: str, statuses: tuple[str, ...]) -> set[str]:
    """R-ACL-1 for a seller, in SQL: the vendor's referrals, never of a private deal."""
    marks = ",".join("?" for _ in statuses)
    query = (
        "SELECT r.id FROM referrals r JOIN engagements e ON e.id = r.engagement_id "
        f"WHERE r.organization_id = ? AND e.deal_type != 'private' AND r.status IN ({marks})"
    )
    args: list[object] = [seller.organization_id, *statuses]
    if tab == "favorites":
        query += " AND r.id IN (SELECT referral_id FROM favorites WHERE user_id = ?)"
        args.append(seller.id)
    else:
        query += " AND r.direction = ?"
        args.append(tab)
    return {str(row[0]) for row in sql(db, query, *args)}


def private_among(db: Database, ids: set[str]) -> int:
    marks = ",".join("?" for _ in ids) or "''"
    rows = sql(
        db,
        "SELECT count(*) FROM referrals r JOIN engagements e ON e.id = r.engagement_id "
        f"WHERE e.deal_type = 'private' AND r.id IN ({marks})",
        *ids,
    )
    return int(rows[0][0])  # type: ignore[call-overload]


def status_bar(app: CoSellApp, part: str) -> str:
    return str(app.screen.query_one(f"#{part}", Static).render())


async def pick(app: CoSellApp, pilot: Pilot[None], typed: str, *, type_it: bool = True) -> None:
    await pilot.press("u")
    await settle(app, pilot)
    assert isinstance(app.screen, SwitchUserScreen)
    if type_it:
        await pilot.press(*typed)
    else:  # as if pasted: the list follows the field's value either way
        app.screen.query_one("#who-filter", Input).value = typed
    await settle(app, pilot)
    await pilot.press("enter")
    await settle(app, pilot)


async def test_switch_to_the_vendors_seller_and_back(
    demo_db: Database, people: dict[str, User]
) -> None:
    # R-UI-7: every list, the status bar and the unread count are the chosen user's
    dana, megan = people["Dana"], people["Megan"]
    async with running(demo_db, dana) as (app, pilot):
        first_main = app.screen
        # the list: every user, the signed-in one marked and highlighted
        await pilot.press("u")
        await settle(app, pilot)
        options = app.screen.query_one("#who-list", OptionList)
        users = [o for o in options.options if not o.disabled]
        assert len(users) == len(people)
        assert options.get_option_at_index(options.highlighted or 0).id == str(dana.id)
        assert "●" in str(options.get_option_at_index(options.highlighted or 0).prompt)
        # escape cancels: the same main screen, the same user
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is first_main and app.user == dana

        await pick(app, pilot, "megan.bowen@", type_it=False)  # by email
        assert app.user == megan and app.screen is not first_main
        assert status_bar(app, "who") == "Megan Bowen · Microsoft"
        unread = sql(
            demo_db,
            "SELECT count(*) FROM notifications WHERE user_id = ? AND read_at IS NULL",
            megan.id,
        )[0][0]
        assert status_bar(app, "unread") == f"✉ {unread}"
        for deal_list in app.screen.query(DealList):  # every tab's list (each loads at once)
            tab = deal_list.deal_query.tab.value
            expected = seller_may_see(demo_db, megan, tab, ACTIVE)
            assert deal_list.total == len(expected), tab
            assert shown_ids(deal_list) == expected, tab
        # every status: the vendor's private deals exist, and still none is shown
        await pilot.press("v", "v")
        await settle(app, pilot)
        deal_list = current_list(app)
        assert deal_list.deal_query.show.value == "all"
        everything = shown_ids(deal_list)
        assert everything == seller_may_see(demo_db, megan, "inbound", EVERY)
        assert private_among(demo_db, everything) == 0
        vendor_private = sql(
            demo_db,
            "SELECT r.id FROM referrals r JOIN engagements e ON e.id = r.engagement_id "
            "WHERE r.organization_id = ? AND e.deal_type = 'private'",
            megan.organization_id,
        )
        assert vendor_private and not {str(r[0]) for r in vendor_private} & everything

        await pick(app, pilot, "dana")  # and back
        assert app.user == dana
        assert status_bar(app, "who") == "Dana Whitfield · Contoso Analytics"
        inbound = sql(
            demo_db,
            "SELECT id FROM referrals WHERE organization_id = ? AND direction = 'inbound' "
            "AND status IN ('received', 'accepted')",
            dana.organization_id,
        )
        assert shown_ids(current_list(app)) == {str(r[0]) for r in inbound}
        assert len(app.screen_stack) == 2  # nothing of Megan's session left underneath
