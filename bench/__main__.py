"""Measures `cosell-tui demo --deals N` (issue 2: 100 000 deals in under a minute).

Baseline, measured in the same run: `cosell-tui demo --deals 0` (start-up, migrations and the
ecosystem), so the ratio shows what the generated deals cost on top of a bare run. Usage:
`python -m bench [--deals N] [--runs R]`.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLI = Path(sys.executable).parent / "cosell-tui"


def timed_demo(deals: int, folder: Path) -> float:
    target = folder / f"bench-{deals}.db"
    started = time.perf_counter()
    subprocess.run(
        [
            str(CLI),
            "demo",
            "--db",
            str(target),
            "--deals",
            str(deals),
            "--today",
            "2026-11-27",
            "--force",
        ],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = [timed_demo(0, Path(folder)) for _ in range(args.runs)]
        full = [timed_demo(args.deals, Path(folder)) for _ in range(args.runs)]
    baseline, figure = statistics.median(base), statistics.median(full)
    print(f"baseline  demo --deals 0          median {baseline:6.2f} s  ({args.runs} runs)")
    print(
        f"figure    demo --deals {args.deals:<10,} median {figure:6.2f} s  "
        f"ratio {figure / baseline:5.1f}x  target <= 60 s  "
        f"({args.deals / max(figure - baseline, 1e-9):,.0f} deals/s)"
    )


if __name__ == "__main__":
    main()
