"""The benchmarks' frame-time hook (issue 6): opt-in by COSELL_FRAME_LOG, absent otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from cosell_tui.app import build_app
from cosell_tui.domain.models import User
from cosell_tui.store.database import Database
from tests.ui.test_main_screen import settle


async def test_keys_and_frames_are_logged_only_when_asked(
    demo_db: Database, people: dict[str, User], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COSELL_FRAME_LOG", raising=False)
    plain = build_app(demo_db, people["Dana"])
    assert "_display" not in vars(plain) and "on_event" not in vars(plain)  # nothing installed

    log = tmp_path / "frames.log"
    monkeypatch.setenv("COSELL_FRAME_LOG", str(log))
    app = build_app(demo_db, people["Dana"])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
    lines = [line.split() for line in log.read_text().splitlines()]
    keys = [float(t) for kind, t, *_ in lines if kind == "key"]
    frames = [float(t) for kind, t, *_ in lines if kind == "frame"]
    assert [rest for kind, _, *rest in lines if kind == "key"] == [["2"]]
    assert any(t > keys[0] for t in frames)  # a frame followed the key
