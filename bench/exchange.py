"""Export and import at scale (issue 7): `cosell-tui export` of a partner admin's deals from
the 100 000-deal demo, and `cosell-tui import` of 100 000 records into `demo --deals 0`
(target: under a minute).

The records are the export's own, repeated with fresh ids (deal, engagement, parties) and no
CRM id until there are 100 000, so every one of them is new to the database. Wall times of
the installed CLI, one run each (an import of 100 000 is a long, steady job, not a jittery
keystroke), with the import's CPU time (user + sys: the machine is shared, so compare it too)
and its peak memory (max RSS, target: not above the 1.6 GB it took before issue 7's work).
Usage: `python -m bench.exchange [--records 100000]`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.data import CLI, TODAY, demo_db
from bench.terminal import TARGET_DEALS, Figure, print_table

USER = "dana.whitfield@contoso.example"  # Contoso's partner admin
RECORDS = 100_000
TARGET_SECONDS = 60.0
TARGET_MB = 1600.0  # what it took before (2026-11-27), not to grow


@dataclass(frozen=True)
class Run:
    wall: float  # s
    cpu: float  # s, user + sys
    peak: float  # MB, max RSS


def _run(*args: object) -> Run:
    started = time.perf_counter()
    process = subprocess.Popen(
        [CLI, *map(str, args)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert process.stderr is not None
    error = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)  # this process's own CPU time and memory
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, process.args, stderr=error)
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def _fresh_ids(record: dict[str, object], rng: random.Random) -> dict[str, object]:
    def new() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    copy: dict[str, Any] = json.loads(json.dumps(record))
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
        export_seconds = _run("export", "--db", db, "--as", USER, "--out", exported).wall
        data = json.loads(exported.read_text())
        found = data["value"]
        rng = random.Random(1)
        data["value"] = [_fresh_ids(found[i % len(found)], rng) for i in range(records)]
        big = work / "import.json"
        big.write_text(json.dumps(data))
        empty = work / "empty.db"
        _run("demo", "--db", empty, "--deals", "0", "--today", TODAY)
        imported = _run("import", big, "--db", empty, "--as", USER)
    limit = "limit" if records == RECORDS else "info"
    return [
        Figure(
            f"export {len(found):,} deals (JSON)", export_seconds, "s", note="a partner admin's"
        ),
        Figure(
            f"import {records:,} records (JSON)",
            imported.wall,
            "s",
            limit,
            target=TARGET_SECONDS,
            note="into demo --deals 0",
        ),
        Figure("  its CPU time (user + sys)", imported.cpu, "s", note="both cores: can pass wall"),
        Figure("  its peak memory (max RSS)", imported.peak, "MB", limit, target=TARGET_MB),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.exchange")
    parser.add_argument("--records", type=int, default=RECORDS)
    args = parser.parse_args()
    print_table("export and import (issue 7)", exchange_figures(args.records))


if __name__ == "__main__":
    main()
