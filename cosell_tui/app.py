"""The App: small — it holds the session, pushes screens and turns worker errors into notices."""

from __future__ import annotations

import os
from pathlib import Path, PurePath
from typing import ClassVar

from textual import events
from textual.app import App
from textual.binding import Binding, BindingType
from textual.worker import Worker, WorkerState

from cosell_tui import services
from cosell_tui.domain.errors import DomainError
from cosell_tui.domain.models import Organization, User
from cosell_tui.screens.main import MainScreen
from cosell_tui.screens.too_small import TooSmallScreen
from cosell_tui.source import DatabaseSource
from cosell_tui.store import queries
from cosell_tui.store.database import Database

STYLES = Path(__file__).parent / "styles"
SWEEP_SECONDS = 60
MIN_SIZE = (80, 24)


class CoSellApp(App[None]):
    TITLE = "cosell-tui"
    CSS_PATH: ClassVar[list[str | PurePath]] = sorted(STYLES.glob("*.tcss"))
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", show=False, id="app.quit", tooltip="Leave cosell-tui"),
    ]

    def __init__(self, db: Database, user: User, organization: Organization) -> None:
        super().__init__()
        self.db = db
        self.user = user
        self.organization = organization
        self.source = DatabaseSource(db, user)
        self.log_path: Path | None = None

    def on_mount(self) -> None:
        if os.environ.get("NO_COLOR"):
            self.add_class("-no-color")
        self.push_screen(MainScreen())
        if self.size.width < MIN_SIZE[0] or self.size.height < MIN_SIZE[1]:
            self.push_screen(TooSmallScreen(*self.size))
        self.sweep()
        self.set_interval(SWEEP_SECONDS, self.sweep)

    def on_resize(self, event: events.Resize) -> None:
        """Below 80×24 say so instead of drawing a broken screen (R-Q-3)."""
        width, height = event.size
        small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        showing = isinstance(self.screen, TooSmallScreen)
        if small and not showing:
            self.push_screen(TooSmallScreen(width, height))
        elif small and isinstance(self.screen, TooSmallScreen):
            self.screen.update_size(width, height)
        elif not small and showing:
            self.pop_screen()

    def data_changed(self) -> None:
        """Something changed behind the screens' backs: every open screen reads afresh."""
        from cosell_tui.screens.deal import DealScreen  # noqa: PLC0415

        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                screen.reload_all()
            elif isinstance(screen, DealScreen):
                screen.reload()

    def sweep(self) -> None:
        """R-LIFE-4, R-NOTE-4: expire and remind at start and every minute."""
        self.run_worker(
            lambda: services.expire_overdue(self.db),
            thread=True,
            group="sweep",
            exclusive=True,
            exit_on_error=False,
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """One place turns a failed background job into a notice (STYLE rule 4)."""
        if event.state is WorkerState.SUCCESS and event.worker.group == "sweep":
            result = event.worker.result
            if isinstance(result, services.SweepResult) and (result.expired or result.reminded):
                self.data_changed()
            return
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, DomainError):
            self.notify(error.message, severity="error")
            return
        from cosell_tui.cli import _log_bug  # noqa: PLC0415

        where = _log_bug(error) if isinstance(error, BaseException) else None
        self.notify(
            f"Something went wrong ({type(error).__name__}); details are in {where}.",
            severity="error",
            timeout=10,
        )


def build_app(db: Database, user: User) -> CoSellApp:
    """The one factory the CLI and the tests use."""
    with db.reading() as session:
        organization = queries.organization(session, user.organization_id)
    return CoSellApp(db, user, organization)
