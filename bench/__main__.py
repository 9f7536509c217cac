"""`make bench`: every figure of issue 6 in one table — median, baseline, ratio, target, result.

Runs, in turn: the launch figures (bench/launch.py: the bare Textual app's footer, cosell-tui's
footer and first Inbound rows, in tmux), the key → frame figures and peak memory
(bench/keys.py: cursor down, page down, tab switch, a filter keystroke, a palette keystroke,
opening a deal), the demo build time (bench/data.py: cached with the database), export and
import of 100 000 records (bench/exchange.py, issue 7) and the wall
time of the last full `make test` (recorded by the Makefile in bench/.cache/make-test.json;
`--make-test` runs it afresh, about 8 minutes). At another size than 100 000 deals only the
launch and filter figures run (no targets there: they show how cost grows). Usage:
`python -m bench [--deals 100000] [--runs N] [--samples 15] [--size 80x24] [--only …]
[--make-test] [--rebuild]`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from bench.data import CACHE, TARGET_SECONDS, demo_db
from bench.exchange import exchange_figures
from bench.keys import FIGURES, key_figures
from bench.launch import launch_figures
from bench.terminal import TARGET_DEALS, Figure, print_table

MAKE_TEST = CACHE / "make-test.json"
MAKE_TEST_TARGET_SECONDS = 600.0
ROOT = Path(__file__).parent.parent


def demo_figure(deals: int, rebuild: bool) -> Figure:
    db, seconds = demo_db(deals, rebuild)
    built = datetime.fromtimestamp(db.with_suffix(".json").stat().st_mtime)
    note = f"built {built:%Y-%m-%d %H:%M}" + ("" if rebuild else " (cached; --rebuild)")
    name = f"cosell-tui demo --deals {deals:,}"
    if deals == TARGET_DEALS:
        return Figure(name, seconds, "s", "limit", target=TARGET_SECONDS, note=note)
    return Figure(name, seconds, "s", note=note)


def make_test_figure(fresh: bool) -> Figure:
    """The last full `make test` the Makefile recorded (or a fresh one)."""
    name = "make test, wall time"
    if fresh:
        print("running make test…", file=sys.stderr, flush=True)
        subprocess.run(["make", "-C", str(ROOT), "test"], check=False)
    if not MAKE_TEST.exists():
        note = "not recorded yet: run `make test` or `python -m bench --make-test`"
        return Figure(name, None, "s", "limit", target=MAKE_TEST_TARGET_SECONDS, note=note)
    record = json.loads(MAKE_TEST.read_text())
    failed = record["exit"] != 0
    note = f"recorded {record['date']}" + (", the tests FAILED" if failed else "")
    seconds = float(record["seconds"])
    target = MAKE_TEST_TARGET_SECONDS
    return Figure(name, seconds, "s", "limit", target=target, note=note, failed=failed)


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--deals", type=int, default=TARGET_DEALS, help="demo size (or 1000000)")
    parser.add_argument("--runs", type=int, help="runs per figure (default: launch 5, keys 3)")
    parser.add_argument("--samples", type=int, default=15, help="keys per figure per run")
    parser.add_argument("--size", default="80x24", help="terminal WIDTHxHEIGHT")
    parser.add_argument(
        "--only",
        help=f"key figures, some of {','.join(FIGURES)} (default: all; filter at other sizes)",
    )
    parser.add_argument("--make-test", action="store_true", help="run make test afresh")
    parser.add_argument("--rebuild", action="store_true", help="build and time the demo again")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        sys.exit("bench needs tmux (make tmux installs it)")
    started = time.perf_counter()
    launch_runs = args.runs or 5
    key_runs = args.runs or 3
    default = FIGURES if args.deals == TARGET_DEALS else ("filter",)
    wanted = set(args.only.split(",")) if args.only else set(default)

    demo = demo_figure(args.deals, args.rebuild)  # first: it builds the database if needed
    print(f"launch figures: {launch_runs} runs…", file=sys.stderr, flush=True)
    figures = launch_figures(args.deals, launch_runs, args.size)
    print(f"launch figures took {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    print(f"key figures: {key_runs} runs…", file=sys.stderr, flush=True)
    figures += key_figures(args.deals, key_runs, args.samples, args.size, wanted)
    figures.append(demo)
    if args.deals == TARGET_DEALS and not args.only:
        print("export and import (issue 7)…", file=sys.stderr, flush=True)
        figures += exchange_figures()
    if args.deals == TARGET_DEALS or args.make_test:
        figures.append(make_test_figure(args.make_test))

    failed = sum(figure.verdict == "FAIL" for figure in figures)
    print_table(
        f"make bench: {args.deals:,} deals, {args.size}; launch: median of {launch_runs} runs; "
        f"keys: median of {key_runs} runs of {args.samples} keys (ms: key → frame)",
        figures,
    )
    print(
        f"\n{failed} of {sum(bool(figure.verdict) for figure in figures)} targets missed; "
        f"the bench took {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
