"""Notifications (`N`, §6): the signed-in user's notifications, and a toast when new ones come.

- `NotificationsScreen()`: newest first, unread marked by a glyph and bold (not colour alone,
  R-Q-3); `enter` opens the deal and marks it read; `m` marks all read.
- `unread_rose(app, before, now)`: the polled unread count rose (this or another process
  wrote): every open screen reads afresh and a toast tells the newest message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.strip import Strip
from textual.visual import RenderOptions, Visual
from textual.widgets import Footer, Label, OptionList, Static
from textual.widgets.option_list import Option

from cosell_tui.widgets.reporting import ReportsWorkerErrors
from cosell_tui.widgets.text import day, literal
from cosell_tui.widgets.watching import forget

if TYPE_CHECKING:
    from textual.css.styles import RulesMap
    from textual.style import Style

    from cosell_tui.app import CoSellApp
    from cosell_tui.source import DatabaseSource
    from cosell_tui.store.queries import NotificationLine

# A user can have thousands: the list shows the newest ones and says so; `m` marks all read.
LIMIT = 200
MESSAGE_CHARS = 240  # a registration message can be 4 000 characters; the deal shows it all
UNREAD = "●"
READ = "○"
GONE = "A deal you can no longer open"


class Indented(Visual):
    """A glyph, then text whose wrapped lines start under the text, not under the glyph.

    (A Rich table would do the same, but measuring 200 of them takes a noticeable moment.)
    """

    def __init__(self, glyph: Content, body: Content) -> None:
        self.glyph = glyph
        self.body = body
        self._laid_out: dict[int, Content] = {}  # by width: layout asks several times

    def _at(self, width: int) -> Content:
        laid_out = self._laid_out.get(width)
        if laid_out is None:
            indent = self.glyph.cell_length + 1
            lines = self.body.wrap(max(1, width - indent))
            first, rest = self.glyph + " ", Content(" " * indent)
            laid_out = Content("\n").join(
                (first if n == 0 else rest) + line for n, line in enumerate(lines)
            )
            self._laid_out[width] = laid_out
        return laid_out

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        return self._at(width).render_strips(width, height, style, options)

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return self.glyph.cell_length + 1 + self.body.get_optimal_width(rules, container_width)

    def get_height(self, rules: RulesMap, width: int) -> int:
        return self._at(width).plain.count("\n") + 1


def prompt(line: NotificationLine) -> Indented:
    """The glyph, then time and deal over the message; unread ones bold too (R-Q-3)."""
    note = line.notification
    unread = note.read_at is None
    message = literal(note.message).plain
    if len(message) > MESSAGE_CHARS:
        message = message[: MESSAGE_CHARS - 1] + "…"
    body = Content.assemble(
        f"{day(note.created_at)}  ",
        literal(line.deal_name).plain if line.deal_name is not None else (GONE, "italic"),
        "\n",
        message,
    )
    glyph = Content(UNREAD if unread else READ)
    if unread:
        body, glyph = body.stylize("bold"), glyph.stylize("bold")
    return Indented(glyph, body)


class NotificationsScreen(ReportsWorkerErrors, ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="notifications.close", tooltip="Back"),
        # priority: the list's own enter would hide this one from the footer
        Binding(
            "enter",
            "open",
            "Open deal",
            priority=True,
            id="notifications.open",
            tooltip="Open the notification's deal and mark it read",
        ),
        Binding(
            "m",
            "mark_all",
            "Mark all read",
            id="notifications.mark_all",
            tooltip="Mark every notification read, older ones not shown too",
        ),
        Binding(
            "j",
            "move('cursor_down')",
            "Down",
            show=False,
            id="notifications.down",
            tooltip="Next notification",
        ),
        Binding(
            "k",
            "move('cursor_up')",
            "Up",
            show=False,
            id="notifications.up",
            tooltip="Previous notification",
        ),
        Binding(
            "g",
            "move('first')",
            "First",
            show=False,
            id="notifications.first",
            tooltip="Newest notification",
        ),
        Binding(
            "G",
            "move('last')",
            "Last",
            show=False,
            id="notifications.last",
            tooltip="Oldest notification shown",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[NotificationLine] = []
        self.total = 0
        self._opening = False  # a second enter before the deal opens must not open it twice

    @property
    def cosell(self) -> CoSellApp:
        return cast("CoSellApp", self.app)

    def compose(self) -> ComposeResult:
        with Vertical(id="notifications"):
            yield Label("Notifications", id="notifications-title", classes="dialog-title")
            yield OptionList(id="notifications-list", markup=False)
            yield Static("Loading…", id="notifications-empty")
            yield Static("", id="notifications-more")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#notifications-list").display = False
        self.query_one("#notifications-more").display = False
        # the same count as the status bar, other processes' changes included
        self.watch(self.app, "unread", self._show_unread)
        self.reload()

    def on_unmount(self) -> None:
        forget(self.app, self)  # or the app's `unread` keeps every closed screen alive

    def _show_unread(self, unread: int) -> None:
        title = f"Notifications · {unread} unread" if unread else "Notifications · none unread"
        self.query_one("#notifications-title", Label).update(title)

    # --- reading ------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="notifications", exit_on_error=False)
    def reload(self) -> None:
        source = self.cosell.source
        lines, total = source.notification_lines(LIMIT)
        self.app.call_from_thread(self._show, source, lines, total)

    def _show(self, source: DatabaseSource, lines: list[NotificationLine], total: int) -> None:
        if source is not self.cosell.source or not self.is_attached:
            return  # read for another user, or closed meanwhile
        options = self.query_one(OptionList)
        keep = self._current()
        self.lines, self.total = lines, total
        options.set_options(Option(prompt(line), id=str(line.notification.id)) for line in lines)
        options.display = bool(lines)
        empty = self.query_one("#notifications-empty", Static)
        empty.display = not lines
        empty.update(
            "No notifications yet: new deals, answers to your invitations and news of your "
            "registrations will show here."
        )
        more = self.query_one("#notifications-more", Static)
        more.display = total > len(lines)
        more.update(
            f"Showing the newest {len(lines)} of {total}; older ones are not shown "
            "(m marks them read too)."
        )
        if lines:
            ids = [line.notification.id for line in lines]
            at = ids.index(keep.notification.id) if keep and keep.notification.id in ids else 0
            options.highlighted = at
            options.focus()
        self.refresh_bindings()

    def _current(self) -> NotificationLine | None:
        options = self.query_one(OptionList)
        index = options.highlighted
        if not self.lines or index is None or index >= len(self.lines):
            return None
        return self.lines[index]

    # --- keys ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open":
            return self._current() is not None
        if action == "mark_all":
            return any(line.notification.read_at is None for line in self.lines) or (
                self.total > len(self.lines)
            )
        return True

    def action_close(self) -> None:
        self.dismiss(None)

    def action_move(self, how: str) -> None:
        options = self.query_one(OptionList)
        getattr(options, f"action_{how}")()

    @on(OptionList.OptionHighlighted)
    def _highlighted(self) -> None:
        self.refresh_bindings()

    @on(OptionList.OptionSelected)
    def _clicked(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        line = self._current()
        if line is not None and not self._opening:
            self._opening = True
            self._open(line)

    @work(thread=True, group="notifications-write", exit_on_error=False)
    def _open(self, line: NotificationLine) -> None:
        try:
            if line.notification.read_at is None:
                self.cosell.source.mark_read([line.notification.id])
        except Exception:
            self.app.call_from_thread(setattr, self, "_opening", False)
            raise  # the app says what went wrong
        self.app.call_from_thread(self._opened, line)

    def _opened(self, line: NotificationLine) -> None:
        from cosell_tui.screens.deal import DealScreen  # noqa: PLC0415

        self._opening = False
        self.cosell.refresh_unread()
        self._show_read(line.notification.id)
        if not line.visible:
            # a team, scope or party change took the deal away (R-ACL-1): say so, stay here
            self.notify(
                "You can no longer open this deal: its team, location or parties have "
                "changed since this notification.",
                severity="warning",
                markup=False,
            )
            return

        def closed(_: object) -> None:
            self.cosell.data_changed()  # the lists below read afresh, as after any deal
            self.reload()

        self.app.push_screen(DealScreen(line.notification.referral_id), closed)

    def action_mark_all(self) -> None:
        self._mark_all()

    @work(thread=True, group="notifications-write", exit_on_error=False)
    def _mark_all(self) -> None:
        marked = self.cosell.source.mark_read(None)
        self.app.call_from_thread(self._marked_all, marked)

    def _marked_all(self, marked: int) -> None:
        self.cosell.refresh_unread()
        self.notify(f"Marked {marked} notification{'s' if marked != 1 else ''} read.", timeout=3)
        self.reload()

    def _show_read(self, notification_id: int) -> None:
        """Show one notification as read at once, without reading the whole list again."""
        for index, line in enumerate(self.lines):
            note = line.notification
            if note.id == notification_id and note.read_at is None:
                read_at = self.cosell.source.now()
                read = line.model_copy(
                    update={"notification": note.model_copy(update={"read_at": read_at})}
                )
                self.lines[index] = read
                self.query_one(OptionList).replace_option_prompt_at_index(index, prompt(read))
                self.refresh_bindings()


# --- new notifications ------------------------------------------------------------------------


def unread_rose(app: CoSellApp, before: int, now: int) -> None:
    """More unread than at the last poll: read afresh everywhere and tell the newest message."""
    app.data_changed()  # the new inbound deal appears in the lists and an open deal reloads
    for screen in app.screen_stack:
        if isinstance(screen, NotificationsScreen):
            screen.reload()
    source = app.source
    more = now - before - 1

    def toast() -> None:
        newest = source.newest_unread()
        if newest is None or not app.signed_in or app.source is not source:
            return  # read meanwhile, or another user signed in
        extra = f" (+{more} more)" if more > 0 else ""
        app.notify(  # thread-safe
            f"{literal(newest.message).plain}{extra}",
            title="New notification · N to see them",
            timeout=12,  # long enough to read a deal's name; N lists them all
            markup=False,
        )

    app.run_worker(toast, thread=True, group="unread-toast", exclusive=True, exit_on_error=False)
