"""Launch figures of `make bench`, timed in a real terminal (tmux), medians of N runs.

Measures the seconds from `tmux new-session` to the first screen capture (polled every 10 ms)
that shows:
  - bare Textual app (bench/bare_app.py): footer and tab names — the baseline;
  - cosell-tui on the demo database: footer and tab names (target ≤ 1.25× the baseline);
  - cosell-tui: the first page of Inbound rows (target ≤ 2.5×, stretch 2.0×).
Runs alternate between the two apps so machine noise falls on both; every cosell-tui run gets
a fresh copy of the database, because a launch writes to it (the sweep). Usage:
`python -m bench.launch [--runs 5] [--size 80x24] [--deals 100000]`.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

from bench.data import demo_db, report_build
from bench.terminal import (
    TARGET_DEALS,
    Figure,
    Terminal,
    app_command,
    app_env,
    bare_command,
    median,
    patience,
    print_table,
    without_targets,
)

TABS = ("Inbound", "Outbound", "Favorites")
# A deal row: a status word, then the stage percentage (the bare app's empty tables have none).
ROW = re.compile(r"\b(Received|Accepted|Won|Lost|Declined|Expired)\b.*\d+%")


def footer_and_tabs(screen: str) -> bool:
    lines = screen.rstrip("\n").splitlines()
    return bool(lines) and "palette" in lines[-1] and all(tab in screen for tab in TABS)


def first_rows(screen: str) -> bool:
    return ROW.search(screen) is not None


def launch_figures(deals: int, runs: int, size: str) -> list[Figure]:
    """The bare app's footer (baseline), cosell-tui's footer and first rows: medians of `runs`."""
    db, _ = demo_db(deals)
    with tempfile.TemporaryDirectory(prefix="cosell-bench-") as scratch:
        home = Path(scratch)
        terminal = Terminal(size, app_env(home), patience(deals))
        copy = home / "bench.db"
        bare, app = bare_command(), app_command(copy)

        bare_footer: list[float] = []
        app_footer: list[float] = []
        app_rows: list[float] = []
        for run in range(runs + 1):  # run 0 warms the disk cache and is not counted
            shutil.copyfile(db, copy)
            (footer_seconds,) = terminal.time_launch(bare, [footer_and_tabs])
            footer, rows = terminal.time_launch(app, [footer_and_tabs, first_rows])
            if run:
                bare_footer.append(footer_seconds)
                app_footer.append(footer)
                app_rows.append(rows)

    baseline = median(bare_footer)
    figures = [
        Figure("bare app: footer and tab names", baseline, "s"),
        Figure("launch → footer and tab names", median(app_footer), "s", "ratio", baseline, 1.25),
        Figure("launch → first Inbound rows", median(app_rows), "s", "ratio", baseline, 2.5, 2.0),
    ]
    return figures if deals == TARGET_DEALS else without_targets(figures)


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.launch")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", default="80x24", help="terminal WIDTHxHEIGHT")
    parser.add_argument("--deals", type=int, default=100_000, help="demo size (or 1000000)")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        sys.exit("bench needs tmux (make tmux installs it)")

    _, build_seconds = demo_db(args.deals)
    report_build(args.deals, build_seconds)
    figures = launch_figures(args.deals, args.runs, args.size)
    print_table(
        f"launch figures: {args.deals:,} deals, {args.size}, median of {args.runs} runs", figures
    )


if __name__ == "__main__":
    main()
