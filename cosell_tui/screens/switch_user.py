"""Switch user (`u`, R-UI-7): pick another user of the database; the app reloads as them.

`SwitchUserScreen(current)` lists every user, grouped by organization (name order), with their
role and scope, the signed-in user marked; typing filters by name, email or organization;
`enter` dismisses with the chosen `User`, `escape` with None.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.events import Resize
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist

from cosell_tui.domain.enums import Role
from cosell_tui.domain.models import Organization, User
from cosell_tui.source import users_and_organizations
from cosell_tui.widgets.reporting import ReportsWorkerErrors
from cosell_tui.widgets.text import literal

if TYPE_CHECKING:
    from cosell_tui.app import CoSellApp

MARK = "●"  # the signed-in user; a glyph, not a colour (R-Q-3)
ROLE_ORDER = {Role.PARTNER_ADMIN: 0, Role.REFERRAL_ADMIN: 1, Role.REFERRAL_USER: 2, Role.SELLER: 3}
ROLE_WIDTH = 15  # "Referral admin" and a gap
SCOPE_WIDTH = 22  # at most: "San Francisco, US" and a gap
NAME_WIDTH = 30  # at most
EMAIL_FROM = 96  # list widths from which the email gets a column of its own
CHROME = 8  # rows of the dialog that are not the list (margin, border, title, filter, keys)


def cell(value: str, width: int) -> Text:
    """`value` shown literally in exactly `width` cells, cut with an ellipsis when longer."""
    text = literal(value)
    text.truncate(max(width - 1, 1), overflow="ellipsis", pad=True)
    text.append(" ")
    return text


def scope_label(user: User, organization: Organization) -> str:
    if user.scope_location_id is None:
        return "Global"
    location = organization.location(user.scope_location_id)
    return location.label if location is not None else f"Location {user.scope_location_id}"


def matches(search: str, user: User, organization: Organization) -> bool:
    """Case-insensitive: any of name, email or organization contains what was typed."""
    term = search.strip().casefold()
    if not term:
        return True
    haystack = (user.full_name, user.email, organization.name)
    return any(term in part.casefold() for part in haystack)


class SwitchUserScreen(ReportsWorkerErrors, ModalScreen[User | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape", "cancel", "Cancel", id="switch_user.cancel", tooltip="Stay signed in as now"
        ),
        Binding(
            "enter",
            "pick",
            "Switch",
            id="switch_user.pick",
            tooltip="Show the app as the highlighted user",
        ),
        Binding(
            "down", "move('down')", "Next", show=False, id="switch_user.down", tooltip="Next user"
        ),
        Binding(
            "up", "move('up')", "Previous", show=False, id="switch_user.up", tooltip="Previous user"
        ),
        Binding(
            "pagedown",
            "move('page_down')",
            "Page down",
            show=False,
            id="switch_user.page_down",
            tooltip="A page further down the list",
        ),
        Binding(
            "pageup",
            "move('page_up')",
            "Page up",
            show=False,
            id="switch_user.page_up",
            tooltip="A page further up the list",
        ),
    ]

    def __init__(self, current: User) -> None:
        super().__init__()
        self.current = current
        self._users: list[User] = []
        self._organizations: dict[int, Organization] = {}
        self._loaded = False

    @property
    def cosell(self) -> CoSellApp:
        return cast("CoSellApp", self.app)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="switch-user"):
            yield Label("Switch user", classes="dialog-title")
            yield Input(placeholder="Type to filter: name, email or organization", id="who-filter")
            yield OptionList(Option("Reading the users…", disabled=True), id="who-list")
            yield Static(
                f"{MARK} signed in now · ↑↓ move · enter switch · esc cancel", id="who-keys"
            )

    def on_mount(self) -> None:
        self.query_one("#who-list", OptionList).can_focus = False  # the filter keeps the keys
        self.query_one("#who-filter", Input).focus()
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="switch-user")
    def _load(self) -> None:
        users, organizations = users_and_organizations(self.cosell.db)
        self.app.call_from_thread(self._loaded_users, users, organizations)

    def _loaded_users(self, users: list[User], organizations: dict[int, Organization]) -> None:
        def order(user: User) -> tuple[str, int, int, str, int]:
            org = organizations[user.organization_id]
            return (
                org.name.casefold(),
                org.id,
                ROLE_ORDER.get(user.role, 9),
                user.full_name.casefold(),
                user.id,
            )

        self._users = sorted(users, key=order)
        self._organizations = organizations
        self._loaded = True
        self._fill(keep=self.current.id)

    # --- the list ----------------------------------------------------------------------------

    def _columns(self, width: int) -> tuple[int, int, int]:
        """Widths of name, scope and email (0: no email column) for a list `width` wide."""
        organizations = self._organizations
        longest_scope = max(
            (len(scope_label(u, organizations[u.organization_id])) for u in self._users),
            default=6,
        )
        scope = min(longest_scope + 1, SCOPE_WIDTH)
        rest = width - len(MARK) - 1 - ROLE_WIDTH - scope
        longest_name = max((len(u.full_name) for u in self._users), default=10)
        name = max(min(longest_name + 2, NAME_WIDTH, rest), 12)
        email = rest - name if width >= EMAIL_FROM else 0
        return name, scope, email

    def _row(self, user: User, organization: Organization, width: int) -> Text:
        name_width, scope_width, email_width = self._columns(width)
        row = Text(f"{MARK} " if user.id == self.current.id else " " * (len(MARK) + 1), end="")
        row.append_text(cell(user.full_name, name_width))
        row.append_text(cell(user.role.label, ROLE_WIDTH))
        row.append_text(cell(scope_label(user, organization), scope_width))
        if email_width:
            row.append_text(cell(user.email, email_width))
        row.rstrip()
        return row

    def _header(self, organization: Organization, width: int) -> Text:
        name = organization.name + (" · vendor" if organization.is_vendor else "")
        header = cell(name, width)
        header.stylize("bold")
        header.rstrip()
        return header

    def _fill(self, keep: int | None = None) -> None:
        """Show the users matching the filter; the highlight stays on `keep` when it is shown."""
        options = self.query_one("#who-list", OptionList)
        if not self._loaded:
            return
        width = max(options.scrollable_content_region.width, 40)
        # what the dialog leaves the list: the screen less margin, border, title, filter, keys
        options.styles.max_height = max(self.app.size.height - CHROME, 3)
        search = self.query_one("#who-filter", Input).value
        shown: list[Option] = []
        last_org: int | None = None
        for user in self._users:
            organization = self._organizations[user.organization_id]
            if not matches(search, user, organization):
                continue
            if organization.id != last_org:
                shown.append(Option(self._header(organization, width), disabled=True))
                last_org = organization.id
            shown.append(Option(self._row(user, organization, width), id=str(user.id)))
        if not shown:
            nobody = literal(f"No user's name, email or organization contains “{search.strip()}”.")
            shown.append(Option(nobody, disabled=True))
        options.set_options(shown)
        index = None
        if keep is not None:
            try:
                index = options.get_option_index(str(keep))
            except OptionDoesNotExist:
                index = None
        if index is None:
            index = next((i for i, o in enumerate(shown) if not o.disabled), None)
        options.highlighted = index
        self._show_first_header(options)

    def _highlighted_user(self) -> User | None:
        options = self.query_one("#who-list", OptionList)
        if options.highlighted is None:
            return None
        option = options.get_option_at_index(options.highlighted)
        if option.disabled or option.id is None:
            return None
        return next((u for u in self._users if str(u.id) == option.id), None)

    @on(Input.Changed, "#who-filter")
    def _filter(self) -> None:
        user = self._highlighted_user()
        self._fill(keep=user.id if user else None)

    def on_resize(self, event: Resize) -> None:
        user = self._highlighted_user()
        self.call_after_refresh(self._fill, user.id if user else self.current.id)

    # --- keys ----------------------------------------------------------------------------

    def action_move(self, where: str) -> None:
        options = self.query_one("#who-list", OptionList)
        if where == "up":
            options.action_cursor_up()
        elif where == "down":
            options.action_cursor_down()
        elif where == "page_up":
            options.action_page_up()  # type: ignore[no-untyped-call]
        else:
            options.action_page_down()  # type: ignore[no-untyped-call]
        self._show_first_header(options)

    @staticmethod
    def _show_first_header(options: OptionList) -> None:
        """On the first user, scroll to the very top so that their organization shows too."""
        index = options.highlighted
        if index is not None and all(o.disabled for o in options.options[:index]):
            options.scroll_home(animate=False)

    @on(Input.Submitted, "#who-filter")
    def action_pick(self) -> None:
        user = self._highlighted_user()
        if user is not None:
            self.dismiss(user)

    @on(OptionList.OptionSelected, "#who-list")
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_pick()

    def action_cancel(self) -> None:
        self.dismiss(None)
