"""A PostgreSQL server out of reach while the app runs (issue 8, R-STORE-4).

The app's connections are cut and the database refuses new ones, as when the server restarts:
one notice says so (no traceback, no log file), a save in the meantime is one sentence and
keeps nothing half-done, and when the database answers again the app says so and reads afresh.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from cosell_tui import services
from cosell_tui.app import build_app
from cosell_tui.clock import FixedClock
from cosell_tui.domain.errors import Unavailable
from cosell_tui.domain.models import EditForm
from cosell_tui.store import queries
from tests import postgres
from tests.conftest import PG_DEMO, postgres_copy
from tests.ui.test_main_screen import settle

pytestmark = pytest.mark.long


def _cut(server: postgres.Server, database: str, *, allow: bool) -> None:
    postgres.execute(server, f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(allow).lower()}')
    if not allow:
        postgres.execute(
            server,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{database}' AND pid <> pg_backend_pid()",
        )


def _messages(app: object) -> list[str]:
    return [str(n.message) for n in app._notifications]  # type: ignore[attr-defined]


async def _until(check: object, seconds: float) -> None:
    for _ in range(int(seconds / 0.05)):
        if check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)


async def test_the_app_says_once_when_the_server_is_gone_and_again_when_it_is_back(
    postgres_server: postgres.Server,
    clock: FixedClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))  # where a bug would be logged
    with postgres_copy(postgres_server, PG_DEMO, clock) as db:
        database = str(db.engine.url.database)
        with db.reading() as session:
            dana = next(u for u in queries.users(session) if u.first_name == "Dana")
            deal = queries.list_referrals(session, dana, limit=1)[0]
        app = build_app(db, dana)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            try:
                _cut(postgres_server, database, allow=False)
                gone = "The database cannot be reached"
                await _until(lambda: any(gone in m for m in _messages(app)), 8)
                await asyncio.sleep(2.5)  # another poll fails: no second notice
                notices = [m for m in _messages(app) if gone in m]
                assert len(notices) == 1, _messages(app)
                assert "not accepting connections" in notices[0] or "ended" in notices[0]

                edit = EditForm(
                    name=f"{deal.name} (renamed)",
                    value=deal.value,
                    currency=deal.currency,
                    close_date=deal.close_date,
                    notes=deal.notes,
                    crm_id=deal.crm_id,
                    campaign_id=deal.campaign_id,
                )
                with pytest.raises(Unavailable) as caught:
                    services.edit(db, dana, deal.id, edit)
                assert str(caught.value).startswith("The database cannot be reached (")
                assert str(caught.value).endswith("nothing was saved. Try again in a moment.")
            finally:
                _cut(postgres_server, database, allow=True)
            back = "Connected to the database again."
            await _until(lambda: back in _messages(app), 8)
            assert back in _messages(app)
        with db.reading() as session:
            assert queries.referral(session, deal.id).name == deal.name  # nothing half-saved
    assert not list((tmp_path / "state").rglob("*.log")), "a lost connection is no bug"
