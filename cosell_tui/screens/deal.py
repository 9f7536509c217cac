"""The deal screen (R-UI-2): everything about one referral, and what the user may do with it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from cosell_tui import services
from cosell_tui.domain.enums import RegistrationStatus, Status
from cosell_tui.domain.errors import DomainError
from cosell_tui.domain.lifecycle import STAGE_PERCENT, stage_name, won_blocker
from cosell_tui.domain.models import DeclineForm, PartnerInviteForm, TeamMemberForm, User
from cosell_tui.domain.registration import is_eligible
from cosell_tui.screens.dialog import FINAL_WARNING, ConfirmDialog
from cosell_tui.source import DealView, load_deal
from cosell_tui.store.database import Database
from cosell_tui.widgets.footer import KeysFooter
from cosell_tui.widgets.lifecycle import LifecycleWidget
from cosell_tui.widgets.reporting import ReportsWorkerErrors
from cosell_tui.widgets.text import day, literal, money
from cosell_tui.widgets.watching import forget

if TYPE_CHECKING:
    from cosell_tui.app import CoSellApp


def _pairs(rows: list[tuple[str, Text | str]]) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for label, value in rows:
        table.add_row(label, value if isinstance(value, Text) else literal(value))
    return table


def title(view: DealView) -> Text:
    ref = view.referral
    text = Text()
    text.append("♥ " if view.favorite else "")
    text.append_text(literal(ref.name, "bold"))
    text.append(f"  {ref.status.label} · {ref.deal_type.label}")
    if ref.status is Status.ACCEPTED:
        text.append(f" · {stage_name(ref.stage, ref.is_sa)} {STAGE_PERCENT[ref.stage]} %")
    return text


def customer(view: DealView) -> RenderableType:
    company = view.engagement.company
    rows: list[tuple[str, Text | str]] = [
        ("Company", company.name),
        ("Address", company.address),
        ("D-U-N-S", company.duns or "—"),
    ]
    contact = view.engagement.contact
    mine = view.engagement.created_by_organization_id == view.referral.organization_id
    if contact is not None and (mine or view.engagement.contact_consent):
        rows.append(("Contact", f"{contact.name} · {contact.phone} · {contact.email}"))
        if mine:
            consent = "yes" if view.engagement.contact_consent else "no"
            rows.append(("Consent to share", consent))
    return _pairs(rows)


def details(view: DealView) -> RenderableType:
    ref = view.referral
    rows: list[tuple[str, Text | str]] = [
        ("Value", money(ref.value, ref.currency, compact=False)),
        ("Close date", day(ref.close_date)),
        ("Location", view.locations.get(ref.location_id, "?")),
        ("Direction", ref.direction.value.capitalize()),
        ("CRM id", ref.crm_id or "—"),
        ("Campaign id", ref.campaign_id or "—"),
        ("Notes", ref.notes or "—"),
    ]
    if ref.status is Status.RECEIVED and ref.response_deadline is not None:
        rows.insert(0, ("Answer by", f"{day(ref.response_deadline)} UTC (14 days from arrival)"))
    if ref.invitation is not None:
        inviter = view.organizations.get(ref.invitation.from_organization_id, "?")
        rows.append(("Invited by", f"{inviter} on {day(ref.invitation.sent_at)}"))
        rows.append(("Help wanted", ref.invitation.help_requested.label))
        if ref.invitation.notes:
            rows.append(("Why", ref.invitation.notes))
    if ref.closed_at is not None:
        reason = ref.closing_reason.replace("_", " ") if ref.closing_reason else ""
        rows.append(("Closed", f"{day(ref.closed_at)} {reason}".strip()))
        if ref.closing_notes:
            rows.append(("Closing notes", ref.closing_notes))
    return _pairs(rows)


def team(view: DealView) -> RenderableType:
    table = Table.grid(padding=(0, 2))
    for member in view.referral.team:
        org = ""
        if member.organization_id != view.referral.organization_id:
            org = view.organizations.get(member.organization_id, "")
        table.add_row(
            literal(member.full_name), literal(member.email), literal(member.phone), literal(org)
        )
    return table if view.referral.team else Text("No team yet.")


def solutions(view: DealView) -> RenderableType:
    lines = Text()
    for i, item in enumerate(view.referral.solutions):
        sol = item.solution
        publisher = view.organizations.get(sol.organization_id, "")
        eligible = " · incentive eligible" if sol.incentive_eligible else ""
        if i:
            lines.append("\n")
        lines.append_text(literal(sol.name, "bold"))
        lines.append(f"  {sol.kind.value} by {publisher}{eligible}")
    return lines


def parties(view: DealView) -> RenderableType:
    """R-INV-4: each party's organization and status, the vendor card first; nothing private."""
    table = Table.grid(padding=(0, 2))
    for party in view.parties:
        me = party.referral_id == view.referral.id
        name = literal(party.organization_name, "bold" if party.is_vendor else "")
        role = "vendor" if party.is_vendor else "partner"
        if me:
            role += " (you)"
        table.add_row(name, Text(role), literal(party.location_label), Text(party.status.label))
    if any(p.is_vendor and p.status is Status.RECEIVED for p in view.parties):
        table.add_row(
            Text("Asking the vendor for help is no guarantee a seller takes part.", "italic"),
            "",
            "",
            "",
        )
    return table


def registration(view: DealView) -> RenderableType | None:
    reg = view.registration
    if reg is None:
        return None
    rows: list[tuple[str, Text | str]] = [("Status", reg.status.label)]
    if reg.submitted_at:
        rows.append(("Submitted", day(reg.submitted_at)))
    if reg.message:
        rows.append(("Vendor says", reg.message))
    if reg.form is not None:
        total = money(reg.form.total_value, reg.form.currency, compact=False)
        rows.append(("Contract", f"{reg.form.contract_type.value}, {total}"))
    return _pairs(rows)


def discussion(view: DealView) -> RenderableType:
    if not view.comments:
        return Text("No messages yet.")
    text = Text()
    for i, comment in enumerate(view.comments):
        if i:
            text.append("\n")
        text.append(
            f"{day(comment.created_at)} {comment.author_name} ({comment.organization_name})\n",
            "dim",
        )
        text.append_text(literal(comment.body))
    return text


def activity(view: DealView) -> RenderableType:
    text = Text()
    for i, entry in enumerate(reversed(view.activity)):
        if i:
            text.append("\n")
        who = view.people.get(entry.user_id, "cosell-tui") if entry.user_id else "cosell-tui"
        change = ""
        if entry.field and (entry.old is not None or entry.new is not None):
            label = "" if entry.field == entry.action else f" {entry.field.replace('_', ' ')}:"
            change = f"{label} {entry.old or '—'} → {entry.new or '—'}"
        text.append(f"{day(entry.at)} {who} {entry.action.replace('_', ' ')}", "dim")
        text.append_text(literal(change))
    return text


def _freshness(view: DealView) -> tuple[int, int, int]:
    """Versions and logs only grow, so a later read never compares lower."""
    registration = view.registration.version if view.registration else 0
    return (view.referral.version, registration, len(view.activity) + len(view.comments))


class Section(Static):
    """A titled block of the deal screen."""

    def __init__(self, heading: str, content: RenderableType = "", *, id: str) -> None:
        super().__init__(content, id=id, classes="section")
        self.border_title = heading


SECTIONS: tuple[tuple[str, str, Callable[[DealView], RenderableType | None]], ...] = (
    ("customer", "Customer", customer),
    ("details", "Details", details),
    ("team", "Team", team),
    ("solutions", "Solutions", solutions),
    ("parties", "Parties", parties),
    ("registration", "Registration", registration),  # None: no registration, section hidden
    ("discussion", "Discussion", discussion),
    ("activity", "Activity", activity),
)

FIRST_READ_SECONDS = 0.05
"""How long the screen waits for its first read before it shows "Loading…" instead.

The read takes a few milliseconds (issue 6); waiting for it lets the screen come up complete,
with its lifecycle and its footer's keys, instead of drawing "Loading…", then filling in,
mounting the lifecycle and rebuilding the footer (two more layouts). A slow read (a busy
disk) never holds the app for longer than this."""


def _registration_status(view: DealView) -> RegistrationStatus | None:
    return view.registration.status if view.registration else None


class InviteChoice(ModalScreen[str | None]):
    """Whom to invite, when the deal type allows both the vendor and partners (R-INV-1)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="invite_choice.cancel", tooltip="Invite no one"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Invite whom?", classes="dialog-title")
            yield OptionList(
                Option("The vendor's sellers (makes it co-sell)", id="vendor"),
                Option("Other partners", id="partners"),
                id="invite-choice",
            )

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class DealScreen(ReportsWorkerErrors, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="deal.back", tooltip="Back to the list"),
        Binding("a", "accept", "Accept", id="deal.accept", tooltip="Accept this invitation"),
        Binding("d", "decline", "Decline", id="deal.decline", tooltip="Decline (final)"),
        Binding("e", "edit", "Edit", id="deal.edit", tooltip="Edit name, value, dates, notes"),
        Binding("s", "stage", "Stage", id="deal.stage", tooltip="Mark or move the sales stage"),
        Binding("w", "won", "Won", id="deal.won", tooltip="Close as won (final)"),
        Binding("l", "lost", "Lost", id="deal.lost", tooltip="Close as lost (final)"),
        Binding("i", "invite", "Invite", id="deal.invite", tooltip="Invite the vendor or partners"),
        Binding(
            "t", "team", "Team", show=False, id="deal.team", tooltip="Add or remove team members"
        ),
        Binding(
            "p",
            "solutions",
            "Solutions",
            show=False,
            id="deal.solutions",
            tooltip="Change solutions",
        ),
        Binding("r", "register", "Register", id="deal.register", tooltip="Register the won deal"),
        Binding("R", "review", "Review", id="deal.review", tooltip="Review the registration"),
        Binding("c", "comment", "Comment", id="deal.comment", tooltip="Write to every party"),
        Binding(
            "f",
            "favorite",
            "Fav",
            show=False,
            id="deal.favorite",
            tooltip="Mark or unmark as favorite",
        ),
        Binding(
            "y", "copy", "Copy", show=False, id="deal.copy", tooltip="Copy the deal's name and id"
        ),
    ]

    def __init__(self, referral_id: str, then: str | None = None) -> None:
        super().__init__()
        self.referral_id = referral_id
        self.view: DealView | None = None
        self._then = then  # an action to start once the deal is loaded (`a`/`d` on a list row)
        self._register_when_loaded = False
        self._leave_on_resume = False

    @property
    def cosell(self) -> CoSellApp:
        return cast("CoSellApp", self.app)

    def compose(self) -> ComposeResult:
        view = self.view = self._first_read()
        with Horizontal(id="deal-header"):
            yield Static("Loading…" if view is None else title(view), id="deal-title")
            # §6: the unread count is always in sight
            yield Static(f"✉ {self.cosell.unread}", id="deal-unread")
        with VerticalScroll(id="deal-body"):
            with Vertical(id="lifecycle-slot"):
                if view is not None:
                    yield LifecycleWidget(view.referral, _registration_status(view))
            for key, heading, content in SECTIONS:
                shown = None if view is None else content(view)
                section = Section(heading, "" if shown is None else shown, id=key)
                section.display = view is None or shown is not None
                yield section
        yield KeysFooter()

    def _first_read(self) -> DealView | None:
        """The deal, if it can be read within FIRST_READ_SECONDS (in a thread); else None,
        and `reload` reads it (and reports a refusal or an error) once the screen is up."""
        db, user, referral_id = self.cosell.db, self.cosell.user, self.referral_id
        read: Future[DealView] = Future()

        def run() -> None:
            try:
                read.set_result(load_deal(db, user, referral_id))
            except BaseException as error:  # handed over, not swallowed
                read.set_exception(error)

        threading.Thread(target=run, name="deal-first-read", daemon=True).start()
        try:
            return read.result(timeout=FIRST_READ_SECONDS)
        except Exception:  # too slow, refused or failed: `reload` says why
            return None

    def on_mount(self) -> None:
        self.query_one("#deal-body").focus()
        self.watch(self.app, "unread", self._show_unread, init=False)
        if self.view is None:
            self.reload()
        else:
            self._loaded()

    def on_unmount(self) -> None:
        forget(self.app, self)  # or the app's `unread` keeps every closed deal screen alive

    def _show_unread(self, unread: int) -> None:
        self.query_one("#deal-unread", Static).update(f"✉ {unread}")

    @work(thread=True, exclusive=True, group="deal", exit_on_error=False)
    def reload(self) -> None:
        try:
            view = load_deal(self.cosell.db, self.cosell.user, self.referral_id)
        except DomainError as error:
            self.app.call_from_thread(self._gone, error.message)
            return
        self.app.call_from_thread(self.show, view)

    def _gone(self, message: str) -> None:
        self.notify(message, severity="error")
        if self.app.screen is self:
            self.dismiss(None)
        else:  # a dialog is on top: leave once it closes, not by popping the dialog
            self._leave_on_resume = True

    def on_screen_resume(self) -> None:
        if self._leave_on_resume:
            self._leave_on_resume = False
            self.dismiss(None)

    def show(self, view: DealView) -> None:
        if self.view is not None and _freshness(view) < _freshness(self.view):
            return  # a slower, older read finished last: keep the newer one
        self.view = view
        self.query_one("#deal-title", Static).update(title(view))
        slot = self.query_one("#lifecycle-slot")
        existing = self.query(LifecycleWidget)
        status = _registration_status(view)
        if existing:
            widget = existing.first()
            widget.referral = view.referral
            widget.registration = status
        else:
            slot.mount(LifecycleWidget(view.referral, status))
        for key, _, content in SECTIONS:
            section = self.query_one(f"#{key}", Static)
            shown = content(view)
            section.display = shown is not None
            if shown is not None:
                section.update(shown)
        self.refresh_bindings()
        self._loaded()

    def _loaded(self) -> None:
        """Start what was asked for once the deal is loaded (`a`/`d` on a list row, Register)."""
        if self._register_when_loaded:
            self._register_when_loaded = False
            self._then = "register"
        if self._then is not None:
            action, self._then = self._then, None
            if self.check_action(action, ()):
                self.call_later(self.run_action, action)

    def action_back(self) -> None:
        self.dismiss(None)

    # --- which actions the state and the user's rights allow (R-UI-2) ------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        view = self.view
        if action in ("back", "favorite", "copy"):
            return True
        if view is None:
            return False
        ref = view.referral
        active = ref.status is Status.ACCEPTED and view.can_act
        allowed = {
            "accept": ref.status is Status.RECEIVED and view.can_act,
            "decline": ref.status is Status.RECEIVED and view.can_act,
            "edit": active,
            "stage": active,
            "won": active,
            "lost": active,
            "team": active,
            "solutions": active,
            "invite": active and (view.invite.vendor or view.invite.partners),
            "register": view.can_act
            and view.registration is not None
            and view.registration.status
            in (RegistrationStatus.INCOMPLETE, RegistrationStatus.ACTION_REQUIRED),
            "review": any(
                reg.status in (RegistrationStatus.IN_REVIEW, RegistrationStatus.IN_VALIDATION)
                for _, reg in view.reviewable
            ),
            "comment": any(not party.status.terminal for party in view.parties),
        }
        return allowed.get(action, True)

    # --- running a service: one sentence on refusal, then reload (R-UI-5, R-STORE-2) ----------

    def run_service(
        self, call: Callable[[], object], done: str, then: Callable[[], None] | None = None
    ) -> None:
        self._run_service(call, done, then)

    @work(thread=True, group="deal-action", exit_on_error=False)
    def _run_service(
        self, call: Callable[[], object], done: str, then: Callable[[], None] | None
    ) -> None:
        try:
            call()
        except DomainError as error:
            self.app.call_from_thread(self.notify, error.message, severity="error", timeout=8)
        else:
            self.app.call_from_thread(self.notify, done, timeout=3)
            if then is not None:
                self.app.call_from_thread(then)
        self.reload()

    def confirm_final(self, question: str, status: str, go: Callable[[], None]) -> None:
        """Ask before a move into a final state: it cannot be undone (R-LIFE-1)."""

        def answered(yes: bool | None) -> None:
            if yes:
                go()

        self.app.push_screen(
            ConfirmDialog(
                question, FINAL_WARNING.format(status=status), yes=question.split(maxsplit=1)[0]
            ),
            answered,
        )

    @property
    def _db_user(self) -> tuple[Database, User]:
        return self.cosell.db, self.cosell.user

    def _version(self) -> int | None:
        return self.view.referral.version if self.view else None

    # --- the actions ---------------------------------------------------------------------------

    def action_decline(self) -> None:
        from cosell_tui.screens.dialogs.decline import DeclineDialog  # noqa: PLC0415

        view = self.view
        assert view is not None
        db, user = self._db_user
        version = self._version()

        def chosen(form: DeclineForm | None) -> None:
            if form is None:
                return
            self.confirm_final(
                "Decline this deal?",
                "declined",
                lambda: self.run_service(
                    lambda: services.decline(db, user, view.referral.id, form, version),
                    "Declined; the sender has been told.",
                ),
            )

        self.app.push_screen(DeclineDialog(), chosen)

    def _open(self, dialog: ModalScreen[Any], handle: Callable[[Any], None]) -> None:
        """Push a dialog; hand its result (unless cancelled) to `handle`."""

        def after(result: object) -> None:
            if result is not None:
                handle(result)

        self.app.push_screen(dialog, after)

    def action_accept(self) -> None:
        from cosell_tui.screens.dialogs.accept import AcceptDialog  # noqa: PLC0415

        view, (db, user), version = self._require_view(), self._db_user, self._version()
        self._open(
            AcceptDialog(view.referral, user, today=db.clock.now().date()),
            lambda form: self.run_service(
                lambda: services.accept(db, user, view.referral.id, form, version),
                "Accepted: the deal is yours to work, and the sender has been told.",
            ),
        )

    def action_edit(self) -> None:
        from cosell_tui.screens.dialogs.edit import EditDialog  # noqa: PLC0415

        view, (db, user), version = self._require_view(), self._db_user, self._version()
        location = view.locations.get(view.referral.location_id, "?")
        self._open(
            EditDialog(view.referral, location, today=db.clock.now().date()),
            lambda form: self.run_service(
                lambda: services.edit(db, user, view.referral.id, form, version), "Saved."
            ),
        )

    def action_stage(self) -> None:
        from cosell_tui.screens.dialogs.stage import StageDialog  # noqa: PLC0415

        view, (db, user), version = self._require_view(), self._db_user, self._version()
        self._open(
            StageDialog(view.referral),
            lambda stage: self.run_service(
                lambda: services.set_stage(db, user, view.referral.id, stage, version),
                f"Stage set to {stage_name(stage, view.referral.is_sa)}.",
            ),
        )

    def _eligible_when_won(self, view: DealView) -> bool:
        """R-REG-1 as this side sees it before winning: vendor engaged, eligible solution."""
        vendor = next((p for p in view.parties if p.is_vendor), None)
        return (
            is_eligible(
                status=Status.WON,
                vendor_direction=vendor.direction if vendor else None,
                vendor_status=vendor.status if vendor else None,
                incentive_eligible=(s.solution.incentive_eligible for s in view.referral.solutions),
            )
            and not view.organization.is_vendor
        )

    def action_won(self) -> None:
        from cosell_tui.screens.dialogs.close import WonDialog  # noqa: PLC0415

        view, (db, user), version = self._require_view(), self._db_user, self._version()
        ref = view.referral
        blocker = won_blocker(ref.status, ref.stage, ref.is_sa)
        offers = self._eligible_when_won(view)
        self._open(
            WonDialog(ref, blocker, offers),
            lambda form: self.run_service(
                lambda: services.mark_won(db, user, ref.id, form, version),
                "Marked as won.",
                then=self._offer_registration if offers else None,
            ),
        )

    def _offer_registration(self) -> None:
        """R-REG-1: on Won the app offers to register now ("Register now" stays available)."""

        def answered(yes: bool | None) -> None:
            if yes:
                self._register_when_loaded = True
                self.reload()

        self.app.push_screen(
            ConfirmDialog(
                "Register this deal now?",
                "It is eligible for registration. You can also register later with r.",
                yes="Register",
            ),
            answered,
        )

    def action_lost(self) -> None:
        from cosell_tui.screens.dialogs.close import LostDialog  # noqa: PLC0415

        view, (db, user), version = self._require_view(), self._db_user, self._version()
        self._open(
            LostDialog(view.referral),
            lambda form: self.run_service(
                lambda: services.mark_lost(db, user, view.referral.id, form, version),
                "Marked as lost.",
            ),
        )

    def action_team(self) -> None:
        from cosell_tui.screens.dialogs.team import TeamChange, TeamDialog  # noqa: PLC0415

        view, (db, user), version = self._require_view(), self._db_user, self._version()

        def change(result: TeamChange) -> None:
            if result.add is not None:
                member = result.add
                self.run_service(
                    lambda: services.add_team_member(db, user, view.referral.id, member, version),
                    f"{member.first_name} {member.last_name} is on the team.",
                )
            elif result.remove is not None:
                email = result.remove
                self.run_service(
                    lambda: services.remove_team_member(db, user, view.referral.id, email, version),
                    f"{email} is off the team.",
                )

        self._open(TeamDialog(view.referral, view.organizations), change)

    def action_solutions(self) -> None:
        from cosell_tui.screens.dialogs.solutions import (  # noqa: PLC0415
            SolutionChoice,
            SolutionsDialog,
        )

        view, (db, user), version = self._require_view(), self._db_user, self._version()

        def chosen(choice: SolutionChoice) -> None:
            self.run_service(
                lambda: services.set_solutions(
                    db,
                    user,
                    view.referral.id,
                    choice.solution_ids,
                    version,
                    choice.assessment_location_id,
                ),
                "Solutions saved.",
            )

        dialog = SolutionsDialog(
            view.referral,
            view.catalog,
            view.organization.id,
            view.organization.vetted_for_assessments,
            list(view.organization.locations),
        )
        self._open(dialog, chosen)

    def action_comment(self) -> None:
        from cosell_tui.screens.dialogs.comment import CommentDialog  # noqa: PLC0415

        view, (db, user) = self._require_view(), self._db_user
        self._open(
            CommentDialog(view.referral.name),
            lambda form: self.run_service(
                lambda: services.comment(db, user, view.referral.id, form),
                "Posted to the discussion.",
            ),
        )

    def action_invite(self) -> None:
        """R-INV-1: the vendor and/or partners, as the deal type allows."""
        view = self._require_view()
        if view.invite.vendor and view.invite.partners:

            def picked(choice: str | None) -> None:
                if choice == "vendor":
                    self._invite_vendor()
                elif choice == "partners":
                    self._invite_partners()

            self.app.push_screen(InviteChoice(), picked)
        elif view.invite.vendor:
            self._invite_vendor()
        else:
            self._invite_partners()

    def _invite_vendor(self) -> None:
        from cosell_tui.screens.dialogs.invite import (  # noqa: PLC0415
            InviteVendorDialog,
            VendorInvite,
        )

        view, (db, user), version = self._require_view(), self._db_user, self._version()
        creator = view.engagement.created_by_organization_id
        can_edit = creator == view.referral.organization_id

        def send(invite: VendorInvite) -> None:
            def call() -> None:
                current = version
                if invite.changes_contact(view.engagement):
                    updated = services.set_customer_contact(
                        db, user, view.referral.id, invite.contact, invite.consent, current
                    )
                    current = updated.version
                services.invite_vendor(
                    db, user, view.referral.id, invite.help_requested, invite.notes, current
                )

            self.run_service(call, "The vendor's sellers are invited; they have 14 days to answer.")

        dialog = InviteVendorDialog(
            view.referral,
            view.engagement,
            can_edit,
            contact_owner=view.organizations.get(creator),
        )
        self._open(dialog, send)

    def _invite_partners(self) -> None:
        from cosell_tui.screens.dialogs.invite import InvitePartnersDialog  # noqa: PLC0415

        view, (db, user), version = self._require_view(), self._db_user, self._version()
        own_team = [
            TeamMemberForm(
                first_name=m.first_name, last_name=m.last_name, phone=m.phone, email=m.email
            )
            for m in view.referral.team
            if m.organization_id == view.referral.organization_id
        ]

        def send(invites: list[PartnerInviteForm]) -> None:
            count = len(invites)
            self.run_service(
                lambda: services.invite_partners(db, user, view.referral.id, invites, version),
                f"Invited {count} partner{'s' if count != 1 else ''}; each has 14 days to answer.",
            )

        dialog = InvitePartnersDialog(
            view.referral,
            view.partner_candidates,
            view.catalog,
            own_team,
            today=db.clock.now().date(),
        )
        self._open(dialog, send)

    def action_register(self) -> None:
        from cosell_tui.screens.dialogs.register import RegisterDialog  # noqa: PLC0415

        view, (db, user) = self._require_view(), self._db_user
        registration = view.registration
        if registration is None:
            return
        self._open(
            RegisterDialog(view.referral, view.engagement.company, registration, user),
            lambda form: self.run_service(
                lambda: services.register(db, user, view.referral.id, form, registration.version),
                "Registration submitted for the vendor's review.",
            ),
        )

    def action_review(self) -> None:
        from cosell_tui.screens.dialogs.review import ReviewDialog, ReviewResult  # noqa: PLC0415

        view, (db, user) = self._require_view(), self._db_user
        pending = next(
            (
                (party, reg)
                for party, reg in view.reviewable
                if reg.status in (RegistrationStatus.IN_REVIEW, RegistrationStatus.IN_VALIDATION)
            ),
            None,
        )
        if pending is None:
            return
        party, registration = pending

        def decided(result: ReviewResult) -> None:
            self.run_service(
                lambda: services.review_registration(
                    db, user, party.referral_id, result.action, result.message, registration.version
                ),
                f"Review saved for {party.organization_name}'s registration.",
            )

        self._open(ReviewDialog(registration, view.referral.name), decided)

    def _require_view(self) -> DealView:
        assert self.view is not None, "actions are offered only once the deal is loaded"
        return self.view

    def action_copy(self) -> None:
        view = self.view
        if view is None:
            return
        self.app.copy_to_clipboard(f"{view.referral.name} ({view.referral.id})")
        self.notify("Copied the deal's name and id.", timeout=2)

    def action_favorite(self) -> None:
        self._toggle_favorite()

    @work(thread=True, group="favorite", exit_on_error=False)
    def _toggle_favorite(self) -> None:
        try:
            services.toggle_favorite(self.cosell.db, self.cosell.user, self.referral_id)
        except DomainError as error:
            self.app.call_from_thread(self.notify, error.message, severity="error")
        self.reload()
