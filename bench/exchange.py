"""Export and import at scale (issue 7): `cosell-tui export` of a partner admin's deals from
the 100 000-deal demo, and `cosell-tui import` of 100 000 records into `demo --deals 0`
(target: under a minute).

The records are the export's own, repeated with fresh ids (deal, engagement, parties) and no
CRM id until there are 100 000, so every one of them is new to the database. Wall times of
the installed CLI, one run each (an import of 100 000 is a long, steady job, not a jittery
keystroke). Usage: `python -m bench.exchange [--records 100000]`.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from bench.data import CLI, TODAY, demo_db
from bench.terminal import TARGET_DEALS, Figure, print_table

USER = "dana.whitfield@contoso.example"  # Contoso's partner admin
RECORDS = 100_000
TARGET_SECONDS = 60.0


def _run(*args: object) -> float:
    started = time.perf_counter()
    subprocess.run([CLI, *map(str, args)], check=True, capture_output=True)
    return time.perf_counter() - started


def _fresh_ids(record: dict[str, object], rng: random.Random) -> dict[str, object]:
    def new() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    copy = json.loads(json.dumps(record))
    copy["id"], copy["engagementId"], copy["externalReferenceId"] = new(), new(), None
    for party in copy["parties"]:
        party["id"] = new()
    return copy


def exchange_figures(records: int = RECORDS) -> list[Figure]:
    source, _ = demo_db(TARGET_DEALS)
    with tempfile.TemporaryDirectory(prefix="cosell-bench-") as folder:
        work = Path(folder)
        db = work / "demo.db"
        shutil.copyfile(source, db)
        for suffix in ("-wal",):
            if Path(f"{source}{suffix}").exists():
                shutil.copyfile(f"{source}{suffix}", f"{db}{suffix}")
        exported = work / "export.json"
        export_seconds = _run("export", "--db", db, "--as", USER, "--out", exported)
        data = json.loads(exported.read_text())
        found = data["value"]
        rng = random.Random(1)
        data["value"] = [_fresh_ids(found[i % len(found)], rng) for i in range(records)]
        big = work / "import.json"
        big.write_text(json.dumps(data))
        empty = work / "empty.db"
        _run("demo", "--db", empty, "--deals", "0", "--today", TODAY)
        import_seconds = _run("import", big, "--db", empty, "--as", USER)
    return [
        Figure(
            f"export {len(found):,} deals (JSON)", export_seconds, "s", note="a partner admin's"
        ),
        Figure(
            f"import {records:,} records (JSON)",
            import_seconds,
            "s",
            "limit" if records == RECORDS else "info",
            target=TARGET_SECONDS,
            note="into demo --deals 0",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.exchange")
    parser.add_argument("--records", type=int, default=RECORDS)
    args = parser.parse_args()
    print_table("export and import (issue 7)", exchange_figures(args.records))


if __name__ == "__main__":
    main()
