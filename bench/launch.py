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
import os
import re
import secrets
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.data import CLI, TODAY, demo_db, report_build

BARE_APP = Path(__file__).parent / "bare_app.py"
POLL_SECONDS = 0.01
TIMEOUT_SECONDS = 30.0
TABS = ("Inbound", "Outbound", "Favorites")
# A deal row: a status word, then the stage percentage (the bare app's empty tables have none).
ROW = re.compile(r"\b(Received|Accepted|Won|Lost|Declined|Expired)\b.*\d+%")

Check = Callable[[str], bool]


def footer_and_tabs(screen: str) -> bool:
    lines = screen.rstrip("\n").splitlines()
    return bool(lines) and "palette" in lines[-1] and all(tab in screen for tab in TABS)


def first_rows(screen: str) -> bool:
    return ROW.search(screen) is not None


class Terminal:
    """Private tmux servers (own sockets) that run one app at a time at a fixed size."""

    def __init__(self, size: str, env: dict[str, str]) -> None:
        self.name = f"bench-{secrets.token_hex(4)}"
        self.launches = 0
        self.socket = self.name
        self.width, self.height = size.split("x")
        self.env = env  # a fresh server per launch inherits it, and so does the app

    def tmux(self, *args: str, check: bool = True) -> str:
        command = ["tmux", "-L", self.socket, *args]
        done = subprocess.run(command, check=False, capture_output=True, text=True, env=self.env)
        if check and done.returncode:
            raise RuntimeError(f"tmux {args[0]}: {done.stderr.strip()} (did the app exit?)")
        return done.stdout

    def socket_path(self) -> Path:
        folder = self.env.get("TMUX_TMPDIR") or "/tmp"
        return Path(folder) / f"tmux-{os.getuid()}" / self.socket

    def time_launch(self, command: list[str], checks: list[Check]) -> list[float]:
        """Seconds from launch until each check first holds on a capture of the screen."""
        seen: list[float | None] = [None] * len(checks)
        # A server per launch: a new session on a server still shutting down can vanish.
        self.launches += 1
        self.socket = f"{self.name}-{self.launches}"
        started = time.perf_counter()
        size = ("-x", self.width, "-y", self.height)
        self.tmux("new-session", "-d", *size, shlex.join(command))
        try:
            while None in seen:
                screen = self.tmux("capture-pane", "-p")
                elapsed = time.perf_counter() - started
                for index, check in enumerate(checks):
                    if seen[index] is None and check(screen):
                        seen[index] = elapsed
                if elapsed > TIMEOUT_SECONDS:
                    raise TimeoutError(f"not seen in {TIMEOUT_SECONDS:.0f} s; screen:\n{screen}")
                time.sleep(POLL_SECONDS)
        finally:
            self.tmux("kill-server", check=False)
            self.socket_path().unlink(missing_ok=True)  # tmux 3.3 leaves it behind
        return [value for value in seen if value is not None]


def verdict(ratio: float, target: float, stretch: float | None = None) -> str:
    if ratio > target:
        return "FAIL"
    return "pass (stretch too)" if stretch is not None and ratio <= stretch else "pass"


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.launch")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", default="80x24", help="terminal WIDTHxHEIGHT")
    parser.add_argument("--deals", type=int, default=100_000, help="demo size (or 1000000)")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        sys.exit("bench needs tmux (make tmux installs it)")

    db, build_seconds = demo_db(args.deals)
    report_build(args.deals, build_seconds)

    with tempfile.TemporaryDirectory(prefix="cosell-bench-") as scratch:
        home = Path(scratch)
        env = {name: value for name, value in os.environ.items() if not name.startswith("COSELL_")}
        env |= {"HOME": str(home), "COSELL_CONFIG": str(home / "missing.toml")}
        terminal = Terminal(args.size, env)
        copy = home / "bench.db"
        bare = [sys.executable, str(BARE_APP)]
        app = [str(CLI), "--db", str(copy), "--today", TODAY]

        bare_footer: list[float] = []
        app_footer: list[float] = []
        app_rows: list[float] = []
        for run in range(args.runs + 1):  # run 0 warms the disk cache and is not counted
            shutil.copyfile(db, copy)
            (footer_seconds,) = terminal.time_launch(bare, [footer_and_tabs])
            footer, rows = terminal.time_launch(app, [footer_and_tabs, first_rows])
            if run:
                bare_footer.append(footer_seconds)
                app_footer.append(footer)
                app_rows.append(rows)

    baseline = statistics.median(bare_footer)
    print(f"\nlaunch figures: {args.deals:,} deals, {args.size}, median of {args.runs} runs")
    print(f"{'figure':<40} {'median':>7} {'base':>7} {'ratio':>6} {'target':>7}  result")
    figures = [
        ("bare app: footer and tab names", baseline, None, None),
        ("cosell-tui: footer and tab names", statistics.median(app_footer), 1.25, None),
        ("cosell-tui: first Inbound rows", statistics.median(app_rows), 2.5, 2.0),
    ]
    for name, median, target, stretch in figures:
        ratio = median / baseline
        if target is None:
            print(f"{name:<40} {median:6.3f}s {'':>7} {'':>6} {'':>7}  baseline")
        else:
            print(
                f"{name:<40} {median:6.3f}s {baseline:6.3f}s {ratio:5.2f}x {f'≤{target}x':>7}  "
                f"{verdict(ratio, target, stretch)}"
            )


if __name__ == "__main__":
    main()
