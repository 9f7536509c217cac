"""The main screen (R-UI-1): Inbound, Outbound, Favorites and Pipeline, a filter, a status bar."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from rich.cells import cell_len
from textual import on, work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Static, TabbedContent, TabPane, Tabs
from textual.widgets._tabs import Underline  # (textual is pinned; the footer does the same)
from textual.worker import Worker, WorkerState, get_current_worker

from cosell_tui.domain import rights
from cosell_tui.domain.enums import Status
from cosell_tui.domain.errors import DomainError
from cosell_tui.domain.listing import DealQuery, Show, SortKey, Tab, first_query
from cosell_tui.screens.sort import TITLES, SortDialog
from cosell_tui.widgets.deal_list import DealList, Summary
from cosell_tui.widgets.footer import KeysFooter
from cosell_tui.widgets.pipeline import PipelineView
from cosell_tui.widgets.reporting import ReportsWorkerErrors
from cosell_tui.widgets.text import literal, money
from cosell_tui.widgets.watching import forget

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from cosell_tui.app import CoSellApp
    from cosell_tui.domain.models import ValueTotal
    from cosell_tui.domain.wizard import Draft
    from cosell_tui.screens.wizard.base import WizardContext
    from cosell_tui.store.pipeline import Pipeline

LIST_ACTIONS = frozenset(
    {
        "tab", "filter", "sort", "view", "favorite", "answer", "copy", "export", "new_deal",
        "cannot_create",
    }
)  # fmt: skip
TAB_TITLES = {Tab.INBOUND: "1 Inbound", Tab.OUTBOUND: "2 Outbound", Tab.FAVORITES: "3 Favorites"}
PIPELINE = "pipeline"
"""The fourth tab's id: no list, so not a `Tab` (issue 7)."""
NOT_ON_PIPELINE = LIST_ACTIONS - {"tab", "new_deal", "cannot_create"}
"""List keys that have no list to act on there (hidden from the footer)."""


def sort_label(key: SortKey) -> str:
    return TITLES.get(key, key.value.replace("_", " ")).lower()


class FilterInput(Input):
    """The `/` filter: typing filters at once, `enter` keeps it, `escape` clears it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear_filter", "Clear", id="filter.clear", tooltip="Clear the filter"),
        Binding("enter", "keep_filter", "Keep", id="filter.keep", tooltip="Back to the list"),
    ]

    class Cleared(Message):
        """The user cleared the filter."""

    class Kept(Message):
        """The user went back to the list, keeping the filter."""

    def action_clear_filter(self) -> None:
        self.value = ""
        self.blur()  # at once: keys typed right after go to the screen, not into the field
        self.post_message(self.Cleared())

    def action_keep_filter(self) -> None:
        self.blur()
        self.post_message(self.Kept())


class StatusBar(Horizontal):
    """User and organization, rows shown / total, value and weighted value, unread count."""

    def __init__(self) -> None:
        super().__init__()
        self._shown: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Static(id="who")
        yield Static(id="rows")
        yield Static(id="values")
        yield Static(id="unread")

    def show(self, part: str, text: str) -> None:
        """Show `text` in a part, repainting only that part: a layout of the whole screen
        only when an auto-sized part changes width (`values` takes what is left: never).
        Each layout meant another frame after a tab switch or a filter keystroke (issue 6)."""
        before = self._shown.get(part)
        if text == before:
            return
        self._shown[part] = text
        resized = part != "values" and (before is None or cell_len(before) != cell_len(text))
        shown = literal(text) if part == "who" else text  # (names shown exactly, R-Q-1)
        self.query_one(f"#{part}", Static).update(shown, layout=resized)


class MainScreen(ReportsWorkerErrors, Screen[None]):
    # The list's keys have priority: the app runs them as they arrive, in the order typed, so
    # `2/wood` typed or pasted in one burst filters Outbound by "wood" (a key that bubbled up
    # from the list ran after the next ones: `/wood` ran `o`, sort). In the filter field they
    # are text (`check_action`). `q` and `u` are the app's and stay as they were.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "1",
            "tab('inbound')",
            "Inbound",
            show=False,
            id="main.inbound",
            tooltip="Deals you were invited to",
            priority=True,
        ),
        Binding(
            "2",
            "tab('outbound')",
            "Outbound",
            show=False,
            id="main.outbound",
            tooltip="Deals you created",
            priority=True,
        ),
        Binding(
            "3",
            "tab('favorites')",
            "Favorites",
            show=False,
            id="main.favorites",
            tooltip="Deals you marked",
            priority=True,
        ),
        Binding(
            "4",
            "tab('pipeline')",
            "Pipeline",
            show=False,
            id="main.pipeline",
            tooltip="Your pipeline by stage, win rate, due soon",
            priority=True,
        ),
        Binding(
            "slash",
            "filter",
            "Filter",
            id="list.filter",
            tooltip="Filter by deal or customer name",
            priority=True,
        ),
        Binding(
            "o",
            "sort",
            "Sort",
            id="list.sort",
            tooltip="Sort by a column; again to reverse",
            priority=True,
        ),
        Binding(
            "v",
            "view",
            "View",
            id="list.view",
            tooltip="Show active, closed or all deals",
            priority=True,
        ),
        Binding(
            "f",
            "favorite",
            "Fav",
            id="list.favorite",
            tooltip="Mark or unmark as favorite",
            priority=True,
        ),
        Binding(
            "a",
            "answer('accept')",
            "Accept",
            id="list.accept",
            tooltip="Accept the deal",
            priority=True,
        ),
        Binding(
            "d",
            "answer('decline')",
            "Decline",
            id="list.decline",
            tooltip="Decline the deal",
            priority=True,
        ),
        Binding(
            "y",
            "copy",
            "Copy",
            show=False,
            id="list.copy",
            tooltip="Copy name and id",
            priority=True,
        ),
        Binding(
            "x",
            "export",
            "Export",
            show=False,
            id="list.export",
            tooltip="Export this view to CSV or JSON",
            priority=True,
        ),
        Binding(
            "n",
            "new_deal",
            "New deal",
            id="main.new_deal",
            tooltip="Create a deal (wizard)",
            priority=True,
        ),
        Binding(
            "n",
            "cannot_create",
            "New deal",
            show=False,
            id="main.new_deal_refused",
            tooltip="Why you cannot create deals",
            priority=True,
        ),
        Binding(
            "u",
            "app.switch_user",
            "Switch user",
            show=False,
            id="main.switch_user",
            tooltip="Show the app as another user of this database",
        ),
        Binding("q", "app.quit", "Quit", id="main.quit", tooltip="Leave cosell-tui"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.queries = {tab: first_query(tab) for tab in Tab}
        self._opening_wizard = False
        self._unconnected: list[DealList] | None = None  # lists waiting for the first rows
        self._open_when_signed_in: str | None = None
        self._switched = 0  # tabs switched by a key whose TabActivated is not in yet
        self._list_tab = Tab.INBOUND  # the list tab in view, or the last one (on Pipeline)

    @property
    def cosell(self) -> CoSellApp:
        return cast("CoSellApp", self.app)

    def compose(self) -> ComposeResult:
        # while the app opens the database (after this screen's first frame, issue 6) the
        # lists have no source; `connect` gives them one
        source = self.cosell.source if self.cosell.signed_in else None
        config = self.cosell.config
        show = Show(config.default_view)
        self.queries = {tab: query.with_(show=show) for tab, query in self.queries.items()}
        self._list_tab = Tab(config.default_tab)
        with TabbedContent(initial=config.default_tab):
            for tab in Tab:
                with TabPane(TAB_TITLES[tab], id=tab.value):
                    yield DealList(
                        source,
                        self.queries[tab],
                        id=f"list-{tab.value}",
                        on_counted=self._list_counted,
                    )
            with TabPane("4 Pipeline", id=PIPELINE):
                yield PipelineView(id="pipeline-view")
        yield FilterInput(placeholder="Filter: deal or customer name", id="filter")
        yield StatusBar()
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        self.current_list.focus()
        self.watch(self.app, "unread", self._show_unread)
        if self.cosell.signed_in:
            self._signed_in()

    def on_unmount(self) -> None:
        forget(self.app, self)  # a user switch replaces this screen: let it go

    def connect(self) -> None:
        """The app has opened the database and signed the user in: the list in view reads its
        first page now; the other lists, the totals and the rest wait until it shows."""
        self._unconnected = [d for d in self.query(DealList) if d is not self.current_list]
        self.current_list.connect(self.cosell.source)
        self._show_who()
        if self.pipeline_shown:  # `4` pressed while the database opened
            self.query_one(PipelineView).shown(self.cosell.source)
        if self._open_when_signed_in is not None:  # enter pressed on an early row
            self._push_deal(self._open_when_signed_in)
            self._open_when_signed_in = None

    def _signed_in(self) -> None:
        self._show_who()
        self._settled()

    def _show_who(self) -> None:
        user = self.cosell.user
        who = f"{user.full_name} · {self.cosell.organization.name}"
        self.query_one(StatusBar).show("who", who)
        self._show_unread(self.cosell.unread)
        self.refresh_bindings()  # `n` and its twin depend on the role

    def _settled(self) -> None:
        """The first rows are on screen (or were at hand): now the work that can wait."""
        # offer an unfinished deal (R-Q-2), unless `n` (pressed while the database opened) is
        # already opening the wizard: it offers the draft itself, and this would cancel it
        if self.cosell.user.role in rights.CREATOR_ROLES and not self._opening_wizard:
            self._open_wizard(starting_new=False)

    def reload_all(self) -> None:
        for deal_list in self.query(DealList):
            deal_list.reload()
        self._pipeline_changed()
        self.refresh_totals()
        self.cosell.refresh_unread()

    # --- which list ----------------------------------------------------------------------

    @property
    def tab(self) -> Tab:
        """The list tab in view; on the Pipeline tab, the list tab shown last."""
        active = self.query_one(TabbedContent).active
        if active != PIPELINE:
            self._list_tab = Tab(active)
        return self._list_tab

    @property
    def pipeline_shown(self) -> bool:
        return self.is_mounted and self.query_one(TabbedContent).active == PIPELINE

    @property
    def current_list(self) -> DealList:
        return self.query_one(f"#list-{self.tab.value}", DealList)

    def action_tab(self, tab: str) -> None:
        tabbed = self.query_one(TabbedContent)
        if tabbed.active != tab:
            tabbed.active = tab
            self._tab_shown()  # now, not when TabActivated arrives: after a first frame
            self._switched += 1

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        # (a click on a tab; after `1`-`3` there is nothing left to do, and doing it again
        # would take the focus from a filter opened meanwhile: `2/wood` typed in one burst)
        if self._switched:
            self._switched -= 1
        else:
            self._tab_shown()

    def _tab_shown(self) -> None:
        """Everything a tab switch changes, at once, so one frame shows it all (issue 6): the
        underline, the focus, the filter, the status bar (totals kept from the list's last
        read) and the footer (whose a/d change their style in place)."""
        self._underline_active_tab()
        if self.pipeline_shown:
            view = self.query_one(PipelineView)
            self.set_focus(view)
            self.query_one("#filter", Input).display = False
            view.shown(self.cosell.source if self.cosell.signed_in else None)
        else:
            self.set_focus(self.current_list)
            self._show_filter()
        self.refresh_totals()
        self.query_one(KeysFooter).sync()

    def _underline_active_tab(self) -> None:
        """Move the tab underline now: Textual's Tabs move it after the next frame, which
        made another frame of every switch. (Tabs later sets the same place: nothing then.)"""
        tabs = self.query_one(Tabs)
        active = tabs.active_tab
        if active is None or not active.size:
            return
        start, end = active.virtual_region.shrink(active.styles.gutter).column_span
        underline = tabs.query_one(Underline)
        underline.highlight_start = start
        underline.highlight_end = end

    # --- filter (/), sort (o), view (v) ----------------------------------------------------

    def _show_filter(self) -> None:
        field = self.query_one("#filter", Input)
        search = self.queries[self.tab].search
        field.display = bool(search) or field.has_focus
        if field.value != search:
            field.value = search

    def action_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.display = True
        self.set_focus(field)  # at once (`focus()` waits a turn): the next keys are its

    @on(Input.Changed, "#filter")
    def _filter_typed(self, event: Input.Changed) -> None:
        if event.value == self.queries[self.tab].search:
            return
        self._apply(self.queries[self.tab].with_(search=event.value))

    @on(FilterInput.Kept)
    def _filter_done(self) -> None:
        self.current_list.focus()
        self._show_filter()

    @on(FilterInput.Cleared)
    def _filter_cleared(self) -> None:
        self._apply(self.queries[self.tab].with_(search=""))
        self.current_list.focus()
        self.query_one("#filter", Input).display = False

    def action_sort(self) -> None:
        query = self.queries[self.tab]

        def chosen(key: SortKey | None) -> None:
            if key is None:
                return
            descending = not query.descending if key is query.sort else False
            self._apply(query.with_(sort=key, descending=descending))

        self.app.push_screen(
            SortDialog(self.current_list.columns, query.sort, query.descending), chosen
        )

    def action_view(self) -> None:
        query = self.queries[self.tab]
        self._apply(query.with_(show=query.show.next()))
        self.notify(f"Showing {query.show.next().value} deals", timeout=2)

    def _apply(self, query: DealQuery) -> None:
        self.queries[query.tab] = query
        self.query_one(f"#list-{query.tab.value}", DealList).reload(query)

    # --- favorites --------------------------------------------------------------------------

    def action_favorite(self) -> None:
        row = self.current_list.current
        if row is not None:
            self._toggle_favorite(row.id)

    @work(thread=True, group="favorite", exit_on_error=False)
    def _toggle_favorite(self, referral_id: str) -> None:
        try:
            from cosell_tui import services  # noqa: PLC0415 (after the first frame, issue 6)

            now_favorite = services.toggle_favorite(self.cosell.db, self.cosell.user, referral_id)
        except DomainError as error:
            self.app.call_from_thread(self.notify, error.message, severity="error")
            return
        self.app.call_from_thread(self._favorite_done, referral_id, now_favorite)

    def _favorite_done(self, referral_id: str, favorite: bool) -> None:
        for deal_list in self.query(DealList):
            if deal_list.deal_query.tab is Tab.FAVORITES:
                deal_list.reload()
            else:
                deal_list.set_favorite(referral_id, favorite)

    # --- opening deals -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self._opening_wizard:
            return False  # keys typed while the wizard opens must not act on the list
        if action in LIST_ACTIONS and isinstance(self.focused, FilterInput):
            return False  # typed in the filter: text (the list's keys have priority)
        if action in NOT_ON_PIPELINE and self.pipeline_shown:
            return False  # no list there to filter, sort or act on
        if action in ("favorite", "answer", "export") and not self.cosell.signed_in:
            return False  # the early rows (store/early.py) show before the store can write
        if action in ("new_deal", "cannot_create"):  # R-ACL-2: `n` only for who may create
            if not self.cosell.signed_in:
                return False  # not known until the database is open
            may = self.cosell.user.role in rights.CREATOR_ROLES
            return may if action == "new_deal" else not may
        if action == "answer":  # a / d only on a received row (§9)
            row = self.current_list.current if self.is_mounted else None
            return row is not None and row.status is Status.RECEIVED
        return True

    @on(DealList.Highlighted)
    def _highlighted(self) -> None:
        self.refresh_bindings()

    def action_answer(self, action: str) -> None:
        row = self.current_list.current
        if row is not None:
            self._push_deal(row.id, then=action)

    def action_copy(self) -> None:
        row = self.current_list.current
        if row is not None:
            self.app.copy_to_clipboard(f"{row.name} ({row.id})")
            self.notify("Copied the deal's name and id.", timeout=2)

    def action_export(self) -> None:
        """`x`: this list as it is — tab, view, filter, sort — to a file (issue 7)."""
        from cosell_tui.screens.dialogs.export import ExportDialog, ExportRequest  # noqa: PLC0415

        query = self.queries[self.tab]
        source = self.cosell.source
        shown = self.current_list.total
        parts = [TAB_TITLES[query.tab].split(" ", 1)[1], f"{query.show.value} deals"]
        if query.search:
            parts.append(f"filter “{query.search}”")
        parts.append(
            f"sorted by {sort_label(query.sort)}" + (", reversed" if query.descending else "")
        )
        if shown is not None:
            parts.append(f"{shown} deal{'s' if shown != 1 else ''}")
        default = f"cosell-{query.tab.value}-{source.today().isoformat()}.csv"

        def run(request: ExportRequest) -> int:
            return source.export_view(query, request.path, request.form)

        def done(result: ExportRequest | None) -> None:
            if result is not None:
                self.notify(f"Exported {result.count} deal(s) to {result.path}.")

        self.app.push_screen(ExportDialog(" · ".join(parts), default, run), done)

    def _push_deal(self, referral_id: str, then: str | None = None) -> None:
        from cosell_tui.screens.deal import DealScreen  # noqa: PLC0415

        def closed(_: object) -> None:
            # anything may have changed there, a favorite included: every list reads afresh
            for deal_list in self.query(DealList):
                keep = referral_id if deal_list is self.current_list else None
                deal_list.reload(keep=keep)
            self._pipeline_changed()
            self.refresh_totals()

        self.app.push_screen(DealScreen(referral_id, then=then), closed)

    @on(DealList.Opened)
    def _open(self, event: DealList.Opened) -> None:
        if not self.cosell.signed_in:  # an early row (store/early.py): opened once signed in
            self._open_when_signed_in = event.row.id
        elif not self._opening_wizard:
            self._push_deal(event.row.id)

    # --- new deals: the wizard and its draft (R-UI-4, R-Q-2) -----------------------------------

    @property
    def opening_wizard(self) -> bool:
        return self._opening_wizard

    def action_new_deal(self) -> None:
        self._opening_wizard = True
        self._open_wizard(starting_new=True)

    def action_cannot_create(self) -> None:
        self.notify(rights.CANNOT_CREATE, severity="warning")

    @work(thread=True, group="wizard-open", exclusive=True, exit_on_error=False)
    def _open_wizard(self, starting_new: bool) -> None:
        """Read the user's draft; when there is one (or a new deal was asked for), the context."""
        from cosell_tui.screens.wizard.context import load_context  # noqa: PLC0415
        from cosell_tui.source import WizardSource  # noqa: PLC0415

        app = self.cosell
        draft = WizardSource(app.db, app.user).load_draft()
        if draft is None and not starting_new:
            return
        context = load_context(app.db, app.user)
        if get_current_worker().is_cancelled:
            return  # a newer open (the user pressed n) answers instead
        self.app.call_from_thread(self._wizard_ready, context, draft, starting_new)

    @on(Worker.StateChanged)
    def _wizard_failed(self, event: Worker.StateChanged) -> None:
        # the app reports the error; the list must not stay locked (R-UI-1). (A cancelled
        # open was replaced by a newer one, which unlocks the list when it is done.)
        if event.worker.group == "wizard-open" and event.state is WorkerState.ERROR:
            self._opening_wizard = False
            self.refresh_bindings()

    def _wizard_ready(
        self, context: WizardContext, draft: Draft | None, starting_new: bool
    ) -> None:
        from cosell_tui.screens.wizard.screen import ResumeDraft, WizardScreen  # noqa: PLC0415

        self._opening_wizard = False  # what opens now takes the keys; the list gets them back
        self.refresh_bindings()
        if not self.is_attached:
            return  # this user's main screen was replaced meanwhile (switch user)
        if any(isinstance(s, ResumeDraft | WizardScreen) for s in self.app.screen_stack):
            return  # already asking, or already in the wizard
        if draft is None:
            self.app.push_screen(WizardScreen(context), self._wizard_done)
            return
        field = self.query_one("#filter", Input)
        if not starting_new and (self.app.screen is not self or field.has_focus or field.value):
            return  # the user got busy while it was read: no dialog taking their keys; `n` asks

        def answered(answer: str | None) -> None:
            if answer == "resume":
                self.app.push_screen(WizardScreen(context, draft), self._wizard_done)
            elif answer == "discard":
                self._discard_draft()
                if starting_new:
                    self.app.push_screen(WizardScreen(context), self._wizard_done)

        self.app.push_screen(ResumeDraft(draft, starting_new=starting_new), answered)

    @work(thread=True, group="wizard-open", exit_on_error=False)
    def _discard_draft(self) -> None:
        from cosell_tui import services  # noqa: PLC0415

        services.discard_draft(self.cosell.db, self.cosell.user)

    def _wizard_done(self, referral_id: str | None) -> None:
        if referral_id is None:
            return
        self.reload_all()
        self._push_deal(referral_id)

    # --- status bar ----------------------------------------------------------------------

    @on(DealList.CountFailed)
    def _count_failed(self) -> None:
        self._first_rows_done()  # (the app has said why) the rest must not wait for ever

    def _first_rows_done(self) -> None:
        if self._unconnected is not None:  # the first rows after the database opened
            waiting, self._unconnected = self._unconnected, None
            for deal_list in waiting:
                deal_list.connect(self.cosell.source)
            self._settled()
            self.cosell.settle()

    @on(DealList.Counted)
    def _counted(self, event: DealList.Counted) -> None:
        self._first_rows_done()

    def _list_counted(self, deal_list: DealList) -> None:
        """A list's new rows are in (called before they are drawn): the status bar and the
        footer change in the same frame as the rows, not in frames of their own (issue 6)."""
        active = self.query_one(TabbedContent).active  # ("" until the tabs are mounted)
        if deal_list.deal_query.tab.value == active:
            self.refresh_totals()
            self.query_one(KeysFooter).sync()

    def refresh_totals(self) -> None:
        """Show the tab's row counts and totals: those read with its rows (`list_summary`,
        kept until the list reads again: a tab switch reads nothing), or read now."""
        if not self.cosell.signed_in:
            return  # the database is still opening
        if self.pipeline_shown:
            self._show_pipeline_totals()
            return
        query = self.queries[self.tab]
        summary = self.current_list.summary
        if summary is None:
            return  # its first rows are on their way, the totals with them
        if summary.unfiltered is not None and summary.totals is not None:
            self._show_summary(summary)
        elif summary.query == query:  # (a source that does not total with its rows)
            self._load_totals(query)

    @work(thread=True, group="totals", exclusive=True, exit_on_error=False)
    def _load_totals(self, query: DealQuery) -> None:
        unfiltered, totals = self.cosell.source.totals(query)
        self.app.call_from_thread(self._show_totals, query, unfiltered, totals)

    def _show_totals(self, query: DealQuery, unfiltered: int, totals: list[ValueTotal]) -> None:
        if query != self.queries[self.tab] or self.pipeline_shown:
            return  # another tab or filter is showing by now
        self._show_summary(Summary(query, self.current_list.total, unfiltered, totals))

    def _show_summary(self, summary: Summary) -> None:
        bar = self.query_one(StatusBar)
        shown = summary.shown if summary.shown is not None else "…"
        bar.show("rows", f"{shown}/{summary.unfiltered}")
        totals = summary.totals or []
        parts = [
            f"{money(t.total, t.currency)} ~{money(t.weighted, '').strip()}" for t in totals[:3]
        ]
        more = f" +{len(totals) - 3}" if len(totals) > 3 else ""
        bar.show("values", " · ".join(parts) + more)

    # --- the Pipeline tab (issue 7) ----------------------------------------------------------

    def _pipeline_changed(self) -> None:
        """Deals changed: the pipeline reads again, now if in view, else when next shown."""
        self.query_one(PipelineView).changed(in_view=self.pipeline_shown)

    @on(PipelineView.Updated)
    def _pipeline_updated(self) -> None:
        if self.pipeline_shown:
            self._show_pipeline_totals()

    def _show_pipeline_totals(self) -> None:
        figures: Pipeline | None = self.query_one(PipelineView).figures
        bar = self.query_one(StatusBar)
        if figures is None:
            bar.show("rows", "…")
            bar.show("values", "")
            return
        bar.show("rows", f"{figures.active} active")
        currencies = figures.currencies()
        parts = [
            f"{money(value, currency)} ~{money(weighted, '').strip()}"
            for currency, _, value, weighted in currencies[:3]
        ]
        more = f" +{len(currencies) - 3}" if len(currencies) > 3 else ""
        bar.show("values", " · ".join(parts) + more)

    def _show_unread(self, unread: int) -> None:
        shown = f"✉ {unread}" if self.cosell.signed_in else ""  # not "0" while it opens
        self.query_one(StatusBar).show("unread", shown)
