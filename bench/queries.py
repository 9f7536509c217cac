"""Measures the main screen's list queries, its filter and the palette search in the store layer.

For a partner admin, a seller and a referral user of the cached demo database, it times (median
of --runs, in ms, each call in its own read transaction as the app makes it): each tab's count,
first page, a page by offset, the last page, the cursor's position and the status-line totals;
a filter keystroke (count + first page + totals, as the app asks today; and `lists.summary`,
count and totals in one pass) for 1–6 letters; the palette's find_deals for 1–6 letters; with
--sorts, Inbound's first page in every sort. The figures to reach at 100 000 deals (issue 6):
first page ≤ 5 ms, any page ≤ 10 ms, count ≤ 5 ms, totals ≤ 10 ms, a filter keystroke ≤ 20 ms,
find_deals ≤ 10 ms.

It works on a copy of bench/.cache/demo-N.db (bench/.cache/queries-N.db, made once and migrated
without the backup an open would make), never on the cached database itself. Usage:
`python -m bench.queries [--deals 100000|1000000] [--runs 7] [--db PATH] [--who dana,megan]
[--sorts]`.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from cosell_tui.clock import FixedClock
from cosell_tui.domain.listing import DealQuery, SortKey, Tab
from cosell_tui.domain.models import User
from cosell_tui.store import lists, queries, search
from cosell_tui.store.database import (
    SCHEMA_HEAD,
    Database,
    current_revision,
    make_engine,
    open_database,
    to_url,
    upgrade,
)

CACHE = Path(__file__).parent / ".cache"
TODAY = date(2026, 11, 27)
DEFAULT_SORT = {Tab.INBOUND: SortKey.URGENCY, Tab.OUTBOUND: SortKey.CLOSE_DATE}
DEFAULT_SORT[Tab.FAVORITES] = SortKey.NAME
PAGE = 100
WHO = {
    "dana": "dana.whitfield@contoso.example",  # partner admin: the organization's deals
    "megan": "megan.bowen@microsoft.example",  # seller: the vendor's, not private ones
    "marco": "marco.ruiz@contoso.example",  # referral user: own team, own scope
}
TYPED = "contact"  # a deal name's start in the demo: "Contact center AI #…"
PALETTE = "woodgr"  # a customer's: "Woodgrove Bank"


def working_copy(deals: int) -> Path:
    """bench/.cache/queries-N.db, copied from the cached demo when missing or older."""
    source = CACHE / f"demo-{deals}.db"
    if not source.exists():
        raise SystemExit(
            f"{source} is missing: build it with `python -m bench.data --deals {deals}`"
        )
    copy = CACHE / f"queries-{deals}.db"
    if not copy.exists() or copy.stat().st_mtime < source.stat().st_mtime:
        print(f"copying {source.name} to {copy.name}…", flush=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(source, copy)
    engine = make_engine(to_url(copy))
    try:
        if current_revision(engine) != SCHEMA_HEAD:  # migrate here: open_database would back
            print(f"migrating {copy.name}…", flush=True)  # it up first (1.7 GB at 1M deals)
            upgrade(engine)
    finally:
        engine.dispose()
    return copy


def median_ms(runs: int, call: Callable[[], Any]) -> float:
    call()  # warm the page cache and the statement cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


class Bench:
    def __init__(self, db: Database, runs: int) -> None:
        self.db = db
        self.runs = runs

    def read(self, work: Callable[..., Any], *args: Any) -> Callable[[], Any]:
        def call() -> Any:
            with self.db.reading() as session:
                return work(session, *args)

        return call

    def line(self, label: str, ms: float, note: str = "") -> None:
        print(f"  {label:<34} {ms:8.2f} ms  {note}", flush=True)

    def tab(self, user: User, query: DealQuery) -> None:
        total = self.read(lists.count, user, query)()
        self.line(
            f"{query.tab.value:<9} count",
            median_ms(self.runs, self.read(lists.count, user, query)),
            f"{total} rows",
        )
        self.line("  first page", median_ms(self.runs, self.read(lists.page, user, query, 0, PAGE)))
        offset = min(3000, max(total - PAGE, 0))
        self.line(
            f"  page @{offset}",
            median_ms(self.runs, self.read(lists.page, user, query, offset, PAGE)),
        )
        last = max(total - PAGE, 0)
        self.line(
            f"  page @{last} (last)",
            median_ms(self.runs, self.read(lists.page, user, query, last, PAGE)),
        )
        if total:
            at = min(total - 1, 250)
            (row,) = self.read(lists.page, user, query, at, 1)()
            self.line(
                f"  position of row {at}",
                median_ms(self.runs, self.read(lists.position, user, query, row.id)),
            )
        self.line(
            "  totals (+ unfiltered count)", median_ms(self.runs, lambda: self.totals(user, query))
        )

    def totals(self, user: User, query: DealQuery) -> Any:
        with self.db.reading() as session:  # as DatabaseSource.totals
            return lists.count(session, user, query.with_(search="")), lists.totals(
                session, user, query
            )

    def keystroke(self, user: User, query: DealQuery) -> Any:
        """What one filter keystroke costs: the widget's count and first page, the totals."""
        with self.db.reading() as session:
            lists.count(session, user, query)
        with self.db.reading() as session:
            lists.page(session, user, query, 0, PAGE)
        return self.totals(user, query)

    def filter(self, user: User, query: DealQuery) -> None:
        for n in range(1, 7):
            typed = query.with_(search=TYPED[:n])
            found = self.read(lists.count, user, typed)()
            parts = [
                median_ms(self.runs, self.read(lists.count, user, typed)),
                median_ms(self.runs, self.read(lists.page, user, typed, 0, PAGE)),
                median_ms(self.runs, lambda typed=typed: self.totals(user, typed)),
            ]
            whole = median_ms(self.runs, lambda typed=typed: self.keystroke(user, typed))
            detail = " + ".join(f"{p:.1f}" for p in parts)
            summary = ""
            if hasattr(lists, "summary"):  # count and totals in one pass (the older code lacks it)
                once = median_ms(self.runs, self.read(lists.summary, user, typed))
                summary = f"; summary {once:.1f}"
            self.line(
                f"filter {typed.search!r:<9} keystroke",
                whole,
                f"count+page+totals {detail}{summary}; {found} rows",
            )

    def palette(self, user: User) -> None:
        for word in (TYPED, PALETTE):
            for n in range(1, 7):
                typed = word[:n]
                found = len(self.read(search.find_deals, user, typed, 40)())
                ms = median_ms(self.runs, self.read(search.find_deals, user, typed, 40))
                self.line(f"palette {typed!r}", ms, f"{found} hits")


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.queries")
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--db", type=Path, help="a database to use as it is (it is migrated)")
    parser.add_argument("--who", default=",".join(WHO), help=f"some of {', '.join(WHO)}")
    parser.add_argument("--sorts", action="store_true", help="also every sort of Inbound")
    args = parser.parse_args()
    path = args.db or working_copy(args.deals)
    db = open_database(path, clock=FixedClock.on(TODAY))
    bench = Bench(db, args.runs)
    print(f"{path} — median of {args.runs} runs")
    for name in args.who.split(","):
        with db.reading() as session:
            user = queries.user_by_email(session, WHO[name])
        assert user is not None
        print(f"{user.full_name} ({user.role.value})")
        for tab in Tab:
            bench.tab(user, DealQuery(tab=tab, sort=DEFAULT_SORT[tab]))
        inbound = DealQuery(tab=Tab.INBOUND, sort=SortKey.URGENCY)
        if args.sorts:
            for key in SortKey:
                for descending in (False, True):
                    sorted_query = inbound.with_(sort=key, descending=descending)
                    ms = median_ms(args.runs, bench.read(lists.page, user, sorted_query, 0, PAGE))
                    bench.line(f"inbound by {key.value}{' desc' if descending else ''}", ms)
        bench.filter(user, inbound)
        bench.palette(user)
    db.dispose()


if __name__ == "__main__":
    main()
