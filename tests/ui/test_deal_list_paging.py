"""The deal list reads pages ahead of the screen (issue 6, R-Q-4): paging down through a long
list never shows rows still loading ("…"), and it never reads more than the pages around it."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from textual.app import App, ComposeResult

from cosell_tui.app import CoSellApp
from cosell_tui.domain.enums import DealType, Direction, Stage, Status
from cosell_tui.domain.listing import DealQuery, Tab
from cosell_tui.domain.models import DealRow
from cosell_tui.widgets.deal_list import PAGE, DealList

TODAY = date(2026, 11, 27)


class SlowSource:
    """A thousand deals; each page read takes a while, as a busy database might."""

    def __init__(self, total: int = 1000) -> None:
        self.total = total
        self.pages_read: list[int] = []
        self.lock = threading.Lock()

    def count(self, query: DealQuery) -> int:
        return self.total

    def page(self, query: DealQuery, offset: int, limit: int) -> list[DealRow]:
        threading.Event().wait(0.3)
        with self.lock:
            self.pages_read.append(offset // PAGE)
        return [self._row(i) for i in range(offset, min(offset + limit, self.total))]

    def position(self, query: DealQuery, referral_id: str) -> int | None:
        return None

    def today(self) -> date:
        return TODAY

    def now(self) -> datetime:
        return datetime(2026, 11, 27, 12, tzinfo=UTC)

    @staticmethod
    def _row(i: int) -> DealRow:
        return DealRow(
            id=f"deal-{i}",
            name=f"Deal {i:04d}",
            customer="Fabrikam",
            deal_type=DealType.CO_SELL,
            status=Status.ACCEPTED,
            stage=Stage.QUALIFIED,
            value=Decimal(1000),
            currency="USD",
            close_date=TODAY + timedelta(days=30),
            direction=Direction.OUTBOUND,
            response_deadline=None,
            favorite=False,
        )


class ListApp(App[None]):
    CSS_PATH = CoSellApp.CSS_PATH  # the list scrolls as in the app

    def __init__(self, source: SlowSource) -> None:
        super().__init__()
        self.source = source

    def compose(self) -> ComposeResult:
        yield DealList(self.source, DealQuery(tab=Tab.OUTBOUND), id="list")


def _loading_rows(deal_list: DealList) -> int:
    """Rows drawn as "…" (a page not read yet) on the screen now."""
    return sum(
        1 for y in range(1, deal_list.size.height) if deal_list.render_line(y).text.strip() == "…"
    )


async def test_paging_down_never_waits_for_a_page() -> None:
    source = SlowSource()
    app = ListApp(source)
    async with app.run_test(size=(80, 24)) as pilot:
        deal_list = app.query_one(DealList)
        deal_list.focus()
        for _ in range(100):
            await pilot.pause(0.05)
            if deal_list.total:
                break
        seen_loading = 0
        for _ in range(12):  # 12 screens of 22 rows: into the third page of 100
            await pilot.press("pagedown")
            seen_loading += _loading_rows(deal_list)
            shown = [deal_list.render_line(y).text for y in range(1, deal_list.size.height)]
            assert any(f"Deal {deal_list.cursor:04d}" in line for line in shown)  # it scrolled
            await pilot.pause(0.4)  # a user reading the screen between keys
        assert deal_list.cursor > 2 * PAGE
        assert seen_loading == 0
        # only the pages around the screen were read, each once
        assert len(source.pages_read) == len(set(source.pages_read))
        assert set(source.pages_read) <= set(range(deal_list.cursor // PAGE + 2))
