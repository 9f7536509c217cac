"""The App: small — it holds the session, pushes screens and turns worker errors into notices.

Started from the CLI it draws the main screen first and opens the database after that first
frame (issue 6): this module imports Textual and the light screen code only; SQLAlchemy, the
pydantic models and the services come in a worker thread.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.worker import Worker, WorkerState

from cosell_tui.config import Config
from cosell_tui.domain.errors import DomainError
from cosell_tui.screens.main import MainScreen
from cosell_tui.screens.too_small import TooSmallScreen

if TYPE_CHECKING:
    from collections.abc import Iterable

    from rich.console import RenderableType
    from textual import events
    from textual.command import Provider
    from textual.screen import Screen

    from cosell_tui.domain.models import Organization, User
    from cosell_tui.source import DatabaseSource
    from cosell_tui.store.database import Database
    from cosell_tui.store.early import EarlySource

STYLES = Path(__file__).parent / "styles"
SWEEP_SECONDS = 60
UNREAD_SECONDS = 2  # one indexed COUNT: cheap enough to notice other terminals' actions quickly
MIN_SIZE = (80, 24)


@dataclass(frozen=True)
class Opened:
    """What opening the database gave: the user is None when it has nobody yet (first run)."""

    db: Database
    user: User | None
    organization: Organization | None
    may_switch_user: bool = True  # R-ACL-4: on PostgreSQL, only the app's administrators


Opener = Callable[[], Opened]
"""Opens the database and signs the user in; run in a worker thread after the first frame.
It raises the CLI's errors (a missing user, a newer database) for the CLI to report."""

Peeker = Callable[[], "EarlySource | None"]
"""Reads the first lists before the opener has loaded the store (`cosell_tui.store.early`),
or says it cannot (None); run in the same worker, first."""


DEAL_SCREEN_MODELS = (
    "Referral",
    "Engagement",
    "Company",
    "Party",
    "Comment",
    "ActivityEntry",
    "Registration",
    "Organization",
    "Location",
    "Solution",
    "TeamMember",
    "StageMark",
    "Invitation",
    "ReferralSolution",
)


def _warm_up() -> None:
    """Import what the next keys will need (a deal screen, the palette) in a worker, so the
    first `enter` does not wait for the import (about 0.3 s) on the UI thread (issue 6)."""
    import cosell_tui.screens.deal  # noqa: PLC0415
    import cosell_tui.screens.palette  # noqa: PLC0415
    import cosell_tui.services  # noqa: F401, PLC0415
    from cosell_tui.domain import models  # noqa: PLC0415

    for model in DEAL_SCREEN_MODELS:  # built on first use (`defer_build`): 50-80 ms, not then
        getattr(models, model).model_rebuild(force=True)


def _deal_commands() -> type[Provider]:
    from cosell_tui.screens.palette import DealCommands  # noqa: PLC0415

    return DealCommands


def _fewer_malloc_arenas() -> None:
    """Two glibc malloc arenas, not one per thread that ever allocated: the app's workers come
    and go, and each arena kept its free pages (3.5 MB at the end of `make bench`, issue 6)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes  # noqa: PLC0415 (7 ms: off the UI thread, in the opener)

    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-8, 2)  # M_ARENA_MAX
    except (OSError, AttributeError):
        return  # not glibc (musl has no arenas)


FIRST_STYLES = ("app.tcss", "notifications.tcss")  # the main screen's, and its toasts'


class CoSellApp(App[None]):
    TITLE = "cosell-tui"
    CSS_PATH: ClassVar[list[str | PurePath]] = [STYLES / name for name in FIRST_STYLES]
    COMMANDS = App.COMMANDS | {_deal_commands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", show=False, id="app.quit", tooltip="Leave cosell-tui"),
        # f1 is never typed text, so it may take priority and work inside dialogs too
        Binding(
            "f1",
            "help",
            "Help",
            priority=True,
            show=False,
            id="app.help",
            tooltip="The keys that work here, and how co-selling works",
        ),
        Binding(
            "question_mark",
            "help",
            "Help",
            id="app.help_question",
            tooltip="The keys that work here, and how co-selling works",
        ),
        Binding(
            "N",
            "notifications",
            "Notifications",
            show=False,
            id="app.notifications",
            tooltip="Your notifications, newest first",
        ),
    ]

    unread: reactive[int] = reactive(0, init=False)
    """The signed-in user's unread notifications, polled (other processes' changes too)."""

    def __init__(
        self,
        db: Database | None,
        user: User | None,
        organization: Organization | None,
        config: Config | None = None,
        config_problem: str | None = None,
        config_path: Path | None = None,
        *,
        opener: Opener | None = None,
        peeker: Peeker | None = None,
    ) -> None:
        """Either an open `db` (tests; `user` None opens the first-run form), or `opener`,
        which the app runs after its first frame (the CLI)."""
        super().__init__()
        assert (db is None) != (opener is None), "an open database or an opener, not both"
        self._db = db
        self._opener = opener
        self._peeker = peeker
        self._early: EarlySource | None = None  # the first lists, until the store opens
        self.open_error: BaseException | None = None  # opening failed: the CLI reports it
        self._user = user
        self._organization = organization
        self._source: DatabaseSource | None = None
        if db is not None and user is not None:
            from cosell_tui.source import DatabaseSource  # noqa: PLC0415

            self._source = DatabaseSource(db, user)
        self.config = config or Config()
        self.config_problem = config_problem
        self.config_path = config_path
        self.log_path: Path | None = None
        self._unread_known = False  # the first count after signing in is no news: no toast
        self._unread_failing = False
        self._polling = False  # sweep and unread count started
        self._may_switch_user = True
        self._connection_lost = False
        self._styles_loaded = False  # all of them, not only FIRST_STYLES
        if "TEXTUAL_ANIMATIONS" not in os.environ:
            # no sliding tab underline or fading toasts: a key's answer is its first frame,
            # and over SSH every frame of an animation costs (issue 6)
            self.animation_level = "none"
        if os.environ.get("COSELL_FRAME_LOG"):  # benchmarks only (issue 6); off: nothing runs
            from cosell_tui.frames import install_if_asked  # noqa: PLC0415

            install_if_asked(self)

    @property
    def db(self) -> Database:
        assert self._db is not None, "the database is still opening"
        return self._db

    @property
    def open_db(self) -> Database | None:
        """The database, or None if it never opened."""
        return self._db

    # The signed-in user; None while the database opens and the first-run form shows (R-UI-8).
    @property
    def user(self) -> User:
        assert self._user is not None, "nobody is signed in yet"
        return self._user

    @property
    def organization(self) -> Organization:
        assert self._organization is not None, "nobody is signed in yet"
        return self._organization

    @property
    def source(self) -> DatabaseSource:
        assert self._source is not None, "nobody is signed in yet"
        return self._source

    @property
    def signed_in(self) -> bool:
        return self._user is not None

    def on_mount(self) -> None:
        if os.environ.get("NO_COLOR"):
            self.add_class("-no-color")
        self.apply_config()
        if self._opener is not None:
            main = MainScreen()  # its lists wait for the database, opened after this frame
            self.push_screen(main)
            main.call_after_refresh(self._open_database)
        elif self.signed_in:
            self.push_screen(MainScreen())
        else:
            self._show_first_run()
        if self.size.width < MIN_SIZE[0] or self.size.height < MIN_SIZE[1]:
            self.push_screen(TooSmallScreen(*self.size))
        if self._db is not None:
            self._start_polling()

    def settle(self) -> None:
        """The first rows are on screen after opening: start what could wait (issue 6)."""
        if self._polling:
            return
        self.call_after_refresh(self.load_styles)
        self._start_polling()
        self.run_worker(_warm_up, thread=True, group="warm-up", exit_on_error=False)

    def load_styles(self) -> None:
        """The other screens' styles: parsed after the first rows (or before another screen
        shows), not before the first frame, which they made about 0.1 s later (issue 6)."""
        if self._styles_loaded:
            return
        self._styles_loaded = True
        for path in sorted(STYLES.glob("*.tcss")):
            if path.name not in FIRST_STYLES:
                self.stylesheet.read(path)
        self.stylesheet.reparse()
        self.stylesheet.update(self)

    def _load_screen_css(self, screen: Screen[Any]) -> None:
        if not isinstance(screen, MainScreen | TooSmallScreen):
            self.load_styles()  # (Textual loads a screen's own styles here)
        super()._load_screen_css(screen)

    def _start_polling(self) -> None:
        self._polling = True
        self.sweep()
        self.set_interval(SWEEP_SECONDS, self.sweep)
        self.set_interval(UNREAD_SECONDS, self.refresh_unread)
        self.refresh_unread()  # the count at once, not "✉ 0" until the first poll

    def _show_first_run(self) -> None:
        from cosell_tui.screens.first_run import FirstRunScreen  # noqa: PLC0415

        self.push_screen(FirstRunScreen(), self._first_run_done)

    def _open_database(self) -> None:
        self.run_worker(self._run_opener, thread=True, group="open", exit_on_error=False)

    def _run_opener(self) -> Opened:
        assert self._opener is not None
        _fewer_malloc_arenas()
        early = self._peeker() if self._peeker is not None else None
        if early is not None:
            self._early = early
            with contextlib.suppress(RuntimeError):  # the app is closing
                self.call_from_thread(self._show_early, early)
        try:
            opened = self._opener()
            import cosell_tui.source  # noqa: F401, PLC0415 (imported here, not on the UI thread)
        except BaseException:
            if early is not None:
                early.hand_over(None)
            raise
        return opened

    def _show_early(self, early: EarlySource) -> None:
        """The first rows while the store still loads (about a second sooner, issue 6)."""
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen) and not self.signed_in:
                deal_list = screen.current_list
                # (not for a view or filter set meanwhile: "Opening the database…" stays)
                if early.answers(deal_list.deal_query):
                    deal_list.connect(early)  # type: ignore[arg-type]

    def exit(
        self, result: None = None, return_code: int = 0, message: RenderableType | None = None
    ) -> None:
        if self._early is not None:  # quitting before the store opened: no list waits for it
            self._early.hand_over(None)
            self._early = None
        super().exit(result, return_code, message)

    def _opened(self, opened: Opened) -> None:
        """The database is open: the waiting main screen shows the user's deals."""
        from cosell_tui.source import DatabaseSource  # noqa: PLC0415 (imported by the worker)

        self._db = opened.db
        self._user = opened.user
        self._organization = opened.organization
        self._may_switch_user = opened.may_switch_user
        if opened.user is None:
            if self._early is not None:
                self._early.hand_over(None)
                self._early = None
            # an empty database: the first-run form over the waiting main screen, which
            # `sign_in` replaces with the new user's (R-UI-8)
            self._show_first_run()
            self._start_polling()
            return
        self._source = DatabaseSource(opened.db, opened.user)
        if self._early is not None:
            self._early.hand_over(self._source)  # lists waiting on it ask the store now
            self._early = None
        waiting = [s for s in self.screen_stack if isinstance(s, MainScreen)]
        for screen in waiting:
            screen.connect()  # which calls `settle` when its first rows show
        if not waiting:
            self.settle()

    def _open_failed(self, error: BaseException | None) -> None:
        """Opening failed (a missing user, a newer or busy database): the CLI says why."""
        self.open_error = error
        self.exit(return_code=1)

    def apply_config(self) -> None:
        """Keymap and theme from the config file; a problem is one sentence (issue 5)."""
        from cosell_tui.config import apply_to_app  # noqa: PLC0415

        apply_to_app(self)

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

    # --- who is signed in (R-UI-7, R-UI-8) ---------------------------------------------------

    def sign_in(self, user: User) -> None:
        """Show the whole app as `user`: every screen is rebuilt from the database."""
        from cosell_tui.source import DatabaseSource  # noqa: PLC0415
        from cosell_tui.store import queries  # noqa: PLC0415

        with self.db.reading() as session:
            organization = queries.organization(session, user.organization_id)
        self._user = user
        self._organization = organization
        self._source = DatabaseSource(self.db, user)
        self.set_reactive(CoSellApp.unread, 0)  # no "new notifications" toast for the switch
        self._unread_known = False
        # a fresh main screen replaces the one that showed the previous user's data (`u` is
        # pressed on the main screen; the first-run form leaves nothing under it)
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if isinstance(self.screen, MainScreen):
            self.switch_screen(MainScreen())
        else:
            self.push_screen(MainScreen())
        self.refresh_unread()
        self.settle()  # (a switch before the first rows showed would leave nothing polling)

    def _first_run_done(self, user: User | None) -> None:
        if user is None:
            self.exit()
        else:
            self.sign_in(user)

    def action_switch_user(self) -> None:
        from cosell_tui.screens.switch_user import SwitchUserScreen  # noqa: PLC0415

        if not self.check_action("switch_user", ()):
            return  # (the palette runs actions without asking the bindings)

        def chosen(user: User | None) -> None:
            if user is not None and user.id != self.user.id:
                self.sign_in(user)

        self.push_screen(SwitchUserScreen(self.user), chosen)

    # --- help, notifications, palette (R-UI-6, §6) ----------------------------------------------

    def action_help(self) -> None:
        from cosell_tui.screens.help import HelpScreen  # noqa: PLC0415

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)  # f1 (a priority key) again closes it
        else:
            self.push_screen(HelpScreen(self.screen))

    def action_notifications(self) -> None:
        from cosell_tui.screens.notifications import NotificationsScreen  # noqa: PLC0415

        if not self.signed_in:
            return
        if not any(isinstance(s, NotificationsScreen) for s in self.screen_stack):
            self.push_screen(NotificationsScreen())
            return
        while not isinstance(self.screen, NotificationsScreen):  # back to the open list, not
            self.pop_screen()  # a second one over the deal opened from it

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "notifications":
            return self.signed_in
        if action == "switch_user":  # not while `n` is opening the wizard for this user
            return (
                self.signed_in
                and self._may_switch_user
                and not any(
                    isinstance(s, MainScreen) and s.opening_wizard for s in self.screen_stack
                )
            )
        return True

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette offers every action of the screen the user is on, by name (R-UI-6)."""
        from cosell_tui.screens.palette import system_commands  # noqa: PLC0415

        yield from system_commands(self, screen)

    # --- data from elsewhere -----------------------------------------------------------------

    def data_changed(self) -> None:
        """Something changed behind the screens' backs: every open screen reads afresh."""
        from cosell_tui.screens.deal import DealScreen  # noqa: PLC0415

        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                screen.reload_all()
            elif isinstance(screen, DealScreen):
                screen.reload()

    def refresh_unread(self) -> None:
        if self.signed_in:
            self.run_worker(
                self._read_unread, thread=True, group="unread", exclusive=True, exit_on_error=False
            )

    def _read_unread(self) -> tuple[int, int]:
        source = self.source
        return source.user.id, source.unread()

    def watch_unread(self, before: int, now: int) -> None:
        from cosell_tui.screens.notifications import unread_rose  # noqa: PLC0415

        if now > before and self._unread_known:
            unread_rose(self, before, now)

    def sweep(self) -> None:
        """R-LIFE-4, R-NOTE-4: expire and remind at start and every minute."""
        if not self.signed_in:
            return  # the first-run form may be building the demo: nothing to sweep yet
        from cosell_tui import services  # noqa: PLC0415 (imported by now: the database is open)

        self.run_worker(
            lambda: services.expire_overdue(self.db),
            thread=True,
            group="sweep",
            exclusive=True,
            exit_on_error=False,
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """One place turns a failed background job into a notice (STYLE rule 4)."""
        if event.worker.group == "open":
            if event.state is WorkerState.SUCCESS:
                self._opened(cast("Opened", event.worker.result))
            elif event.state is WorkerState.ERROR:
                self._open_failed(event.worker.error)
            return
        if event.state is WorkerState.SUCCESS and event.worker.group == "sweep":
            from cosell_tui import services  # noqa: PLC0415

            result = event.worker.result
            if isinstance(result, services.SweepResult) and (result.expired or result.reminded):
                self.data_changed()
            return
        if event.state is WorkerState.SUCCESS and event.worker.group == "unread":
            user_id, unread = event.worker.result  # type: ignore[misc]
            self._unread_failing = False
            if self._connection_lost:  # the poll reached the database again
                self._connection_lost = False
                self.notify("Connected to the database again.", timeout=5)
                self.data_changed()
            if self.signed_in and user_id == self.user.id:  # not a count read for the last user
                self.unread = unread
                self._unread_known = True
            return
        if event.state is not WorkerState.ERROR:
            return
        if event.worker.group == "unread":
            if self._unread_failing:
                return  # polled every 2 s: say it once, not every time
            self._unread_failing = True
        self.report_worker_error(event.worker.error)

    def report_worker_error(self, error: object, what: str | None = None) -> None:
        """A failed background job: the user's one sentence, or a bug logged to a file.

        `what` names what failed ("The draft could not be saved"); it leads the sentence.
        """
        from cosell_tui.store.database import (  # noqa: PLC0415
            StoreError,
            busy_reason,
            unreachable_reason,
        )

        busy = busy_reason(error)
        lost = unreachable_reason(error)
        if lost is not None:  # a server down or restarting: said once, then polled (issue 8)
            if self._connection_lost:
                return
            self._connection_lost = True
            self.notify(
                f"The database cannot be reached ({lost}); the app keeps trying and says when "
                "it is back.",
                severity="error",
                timeout=10,
                markup=False,
            )
            return
        if isinstance(error, DomainError):
            message = error.message
        elif isinstance(error, StoreError):
            message = str(error)
        elif busy:
            message = f"{busy[0].upper()}{busy[1:]}."
        else:
            from cosell_tui.cli import _log_bug  # noqa: PLC0415

            where = _log_bug(error) if isinstance(error, BaseException) else None
            message = f"Something went wrong ({type(error).__name__}); details are in {where}."
        self.notify(
            f"{what}: {message}" if what else message, severity="error", timeout=10, markup=False
        )


def build_app(
    db: Database,
    user: User | None,
    config: Config | None = None,
    config_problem: str | None = None,
    config_path: Path | None = None,
) -> CoSellApp:
    """The tests' factory (the CLI gives the app an opener); `user` None: the first-run form."""
    from cosell_tui.store import queries  # noqa: PLC0415

    organization = None
    if user is not None:
        with db.reading() as session:
            organization = queries.organization(session, user.organization_id)
    return CoSellApp(db, user, organization, config, config_problem, config_path)
