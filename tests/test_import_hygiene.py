"""STYLE rule 2 (layering) and rule 10 (start-up time), checked in fresh interpreters.

`domain/` and `store/` never import textual; `domain/` never imports SQLAlchemy either; the
CLI's `--help` and usage errors stay free of SQLAlchemy (R-Q start-up budget, cli docstring).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

WALK = """
import importlib, json, pkgutil, sys
package = importlib.import_module(sys.argv[1])
names = [package.__name__] + [
    info.name
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
    if info.name != "cosell_tui.store.migrations.env"  # runs a migration when imported
]
for name in names:
    importlib.import_module(name)
if len(sys.argv) > 2:  # also run the migrations (Alembic env and revision scripts)
    from cosell_tui.store.database import open_database
    open_database(sys.argv[2]).dispose()
print(json.dumps({"imported": names, "loaded": sorted(sys.modules)}))
"""


def _fresh(code: str, *args: str) -> dict[str, list[str]]:
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def _top_level(modules: list[str]) -> set[str]:
    return {name.partition(".")[0] for name in modules}


def test_domain_imports_neither_textual_nor_sqlalchemy() -> None:
    report = _fresh(WALK, "cosell_tui.domain")
    # the walk found the real modules, so the check below is not vacuous
    assert {
        "cosell_tui.domain.models",
        "cosell_tui.domain.rights",
        "cosell_tui.domain.lifecycle",
        "cosell_tui.domain.errors",
    } <= set(report["imported"])
    loaded = _top_level(report["loaded"])
    assert "textual" not in loaded
    assert "sqlalchemy" not in loaded
    assert "alembic" not in loaded


def test_store_does_not_import_textual(tmp_path: Path) -> None:
    report = _fresh(WALK, "cosell_tui.store", str(tmp_path / "hygiene.db"))
    assert {
        "cosell_tui.store.database",
        "cosell_tui.store.schema",
        "cosell_tui.store.guards",
        "cosell_tui.store.queries",
    } <= set(report["imported"])
    loaded = set(report["loaded"])
    assert "sqlalchemy" in _top_level(report["loaded"])  # it really loaded the store
    assert any(name.startswith("alembic") for name in loaded)  # and ran the migrations
    assert "textual" not in _top_level(report["loaded"])
    assert (tmp_path / "hygiene.db").exists()


CLI_IN_PROCESS = """
import json, sys
from cosell_tui import cli
cli.build_parser().format_help()
for argv in (["--help"], ["users", "--help"], ["no-such-command"]):
    try:
        cli.main(argv)
    except SystemExit:
        pass
print(json.dumps({"loaded": sorted(sys.modules)}))
"""


def test_cli_help_and_usage_errors_do_not_load_sqlalchemy() -> None:
    """The CLI imports SQLAlchemy, pydantic and the services inside the commands only."""
    loaded = _top_level(_fresh(CLI_IN_PROCESS)["loaded"])
    assert "cosell_tui" in loaded
    for heavy in ("sqlalchemy", "alembic", "textual", "pydantic"):
        assert heavy not in loaded, f"{heavy} loaded for --help"


@pytest.mark.parametrize(
    ("args", "code"), [(["--help"], 0), (["frobnicate"], 2)], ids=["help", "usage-error"]
)
def test_cli_process_help_imports_no_sqlalchemy(args: list[str], code: int) -> None:
    """`python -X importtime -m cosell_tui.cli --help` as a user would run it."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "cosell_tui.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == code, result.stderr[-2000:]
    imported = [
        line.rpartition("|")[2].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    ]
    assert any(name.startswith("argparse") for name in imported)  # the log is being read
    assert not [name for name in imported if name.startswith("sqlalchemy")]
    if code == 0:
        assert "usage: cosell-tui" in result.stdout


FIRST_FRAME = """
import asyncio, json, sys
from pathlib import Path
from cosell_tui.app import CoSellApp
from cosell_tui.config import load_config

config, problem = load_config(Path(sys.argv[1]))
seen = {}

def opener():
    # the app runs its opener after the main screen's first frame: what is loaded now is
    # what that frame cost
    seen["loaded"] = sorted(sys.modules)
    raise RuntimeError("stop here")

async def main():
    app = CoSellApp(None, None, None, config, problem, Path(sys.argv[1]), opener=opener)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(200):
            await pilot.pause(0.05)
            if seen:
                break

asyncio.run(main())
print(json.dumps(seen))
"""


def test_the_first_frame_loads_no_database_or_model_code(tmp_path: Path) -> None:
    """Issue 6 (STYLE rule 10): the main screen draws before SQLAlchemy, pydantic, the store
    and the services load; they come in the worker that opens the database."""
    config = tmp_path / "config.toml"
    config.write_text('theme = "nord"\ndefault_tab = "outbound"\n', encoding="utf-8")
    report = _fresh(FIRST_FRAME, str(config))
    assert "loaded" in report, "the app never ran its opener"
    loaded = set(report["loaded"])
    assert "cosell_tui.screens.main" in loaded and "textual" in loaded  # the frame was drawn
    heavy = {"sqlalchemy", "alembic", "pydantic", "email_validator"}
    assert not heavy & _top_level(report["loaded"])
    ours = {"cosell_tui.services", "cosell_tui.source", "cosell_tui.store.database"}
    assert not ours & loaded
