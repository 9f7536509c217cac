"""Builds the benchmark database once and times the build: `cosell-tui demo --deals N` ≤ 60 s.

The database is cached under bench/.cache/ (git-ignored) with its build time beside it, so
later runs reuse both; `--rebuild` builds and times it again. Usage:
`python -m bench.data [--deals 100000|1000000] [--rebuild]`.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

CLI = Path(sys.executable).parent / "cosell-tui"
CACHE = Path(__file__).parent / ".cache"
TODAY = "2026-11-27"
TARGET_SECONDS = 60.0


def demo_db(deals: int, rebuild: bool = False) -> tuple[Path, float]:
    """The cached demo database with `deals` generated deals, and how long its build took."""
    db = CACHE / f"demo-{deals}.db"
    record = db.with_suffix(".json")
    if rebuild or not (db.exists() and record.exists()):
        CACHE.mkdir(exist_ok=True)
        print(f"building {db} ({deals:,} deals)…", flush=True)
        started = time.perf_counter()
        command = [CLI, "demo", "--db", db, "--deals", str(deals), "--today", TODAY, "--force"]
        subprocess.run(command, check=True, capture_output=True)
        record.write_text(json.dumps({"seconds": time.perf_counter() - started}))
    _migrate(db)
    return db, json.loads(record.read_text())["seconds"]


def _migrate(db: Path) -> None:
    """Bring a cached database built by older code to the current schema once, so that the
    launches timed later do not each run the migration on their copy."""
    from cosell_tui.store.database import SCHEMA_HEAD, make_engine, to_url, upgrade  # noqa: PLC0415

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        (version,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    if version != SCHEMA_HEAD:
        print(f"migrating {db} from schema {version} to {SCHEMA_HEAD}…", flush=True)
        engine = make_engine(to_url(db))  # (not the CLI: it would keep a backup copy beside it)
        try:
            upgrade(engine)
        finally:
            engine.dispose()


def report_build(deals: int, seconds: float) -> None:
    """The target holds at 100 000 deals; larger builds are written down to show the growth."""
    if deals == 100_000:
        verdict = "pass" if seconds <= TARGET_SECONDS else "FAIL"
        print(f"cosell-tui demo --deals {deals:,}: {seconds:.1f} s (target ≤ 60 s) {verdict}")
    else:
        print(f"cosell-tui demo --deals {deals:,}: {seconds:.1f} s (no target)")


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.data")
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--rebuild", action="store_true", help="build and time it again")
    args = parser.parse_args()
    _, seconds = demo_db(args.deals, args.rebuild)
    report_build(args.deals, seconds)


if __name__ == "__main__":
    main()
