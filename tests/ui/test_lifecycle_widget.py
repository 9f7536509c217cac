"""Pilot tests of the lifecycle widget (R-UI-3, with R-LIFE-2/3/7/8/9, R-REG-1/3 and §5 Closed).

Referrals are built directly, the way the services leave them: stages marked up to the current
one, one mark a week from ARRIVED. Assertions read what the screen shows.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, ParamSpec

import pytest
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widget import Widget

import cosell_tui
from cosell_tui.domain.enums import (
    DealType,
    Direction,
    HelpType,
    LostReason,
    RegistrationStatus,
    Stage,
    Status,
)
from cosell_tui.domain.lifecycle import first_stage, stage_rank, stages
from cosell_tui.domain.models import Referral, StageMark
from cosell_tui.widgets.lifecycle import LifecycleLine, LifecycleStep, LifecycleWidget

LIFECYCLE_TCSS = Path(cosell_tui.__file__).parent / "styles" / "lifecycle.tcss"
ARRIVED = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
WEEK = timedelta(days=7)
CLOSED_AT = ARRIVED + 6 * WEEK  # 2026-11-12

R = RegistrationStatus
P = ParamSpec("P")


def make_referral(
    status: Status = Status.ACCEPTED,
    stage: Stage | None = None,
    *,
    direction: Direction = Direction.OUTBOUND,
    sa: bool = False,
    closing_reason: str | None = None,
) -> Referral:
    """A referral as the services leave it; `stage` defaults to the first rung (Won if won)."""
    if stage is None:
        stage = Stage.WON if status is Status.WON else first_stage(direction)
    accepted = status not in (Status.RECEIVED, Status.DECLINED, Status.EXPIRED)
    marks = tuple(
        StageMark(stage=step.stage, marked_at=CLOSED_AT if step.stage is Stage.WON else when)
        for step, when in zip(
            stages(direction, sa), (ARRIVED + i * WEEK for i in range(7)), strict=False
        )
        if accepted and stage_rank(step.stage) <= stage_rank(stage)
    )
    inbound = direction is Direction.INBOUND
    return Referral(
        id="ref-1",
        engagement_id="eng-1",
        organization_id=1,
        location_id=1,
        name="[bold]Contoso[/bold] rollout",
        value=Decimal("480000"),
        currency="USD",
        close_date=date(2027, 3, 31),
        crm_id=None,
        campaign_id=None,
        notes=None,
        help_requested=HelpType.NONE,
        direction=direction,
        status=status,
        stage=stage,
        deal_type=DealType.SOLUTION_ASSESSMENT if sa else DealType.CO_SELL,
        created_at=ARRIVED,
        received_at=ARRIVED if inbound else None,
        responded_at=ARRIVED if inbound and status is not Status.RECEIVED else None,
        closed_at=CLOSED_AT if status.terminal else None,
        response_deadline=ARRIVED + 2 * WEEK if inbound else None,
        closing_reason=closing_reason,
        closing_notes=None,
        version=1,
        stage_marks=marks,
    )


class LifecycleApp(App[None]):
    """The widgets stacked, styled by the real stylesheet."""

    CSS_PATH = LIFECYCLE_TCSS
    CSS = "LifecycleWidget { margin-bottom: 1; }"

    def __init__(self, *widgets: Widget, width: int | None = None) -> None:
        super().__init__()
        self._widgets = widgets
        self._width = width

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield from self._widgets

    def on_mount(self) -> None:
        if self._width is not None:
            for widget in self.query(LifecycleWidget):
                widget.styles.width = self._width


def run_async(test: Callable[P, Coroutine[Any, Any, None]]) -> Callable[P, None]:
    """Run an async Pilot test with asyncio.run (the suite has no async pytest plugin)."""

    @functools.wraps(test)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


def shown(widget: Widget) -> list[str]:
    """The screen lines where `widget` is, as the user reads them (all our glyphs are one cell)."""
    strips = widget.app.screen._compositor.render_strips()
    region = widget.region
    return [
        "".join(segment.text for segment in strip)[region.x : region.right].rstrip()
        for strip in strips[region.y : region.bottom]
    ]


def text(widget: Widget) -> str:
    return "\n".join(line for line in shown(widget) if line)


def style_of(widget: Widget, words: str) -> Any:
    """The style the screen gives to `words` inside the widget."""
    region = widget.region
    for strip in widget.app.screen._compositor.render_strips()[region.y : region.bottom]:
        for segment in strip:
            if words in segment.text:
                return segment.style
    raise AssertionError(f"{words!r} not shown")


# --- compact form (80 columns) -------------------------------------------------------------


@run_async
async def test_received_referral_shows_it_awaits_an_answer_before_an_unmarked_ladder() -> None:
    """R-LIFE-3: a received referral has no stage marks; it waits for Accept or Decline."""
    widget = LifecycleWidget(make_referral(Status.RECEIVED, direction=Direction.INBOUND))
    async with LifecycleApp(widget).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        lines = shown(widget)
        assert lines[0].startswith("▶ Received — awaiting your answer")
        assert "2026-10-15 09:00 UTC" in lines[0]  # 14 × 24 hours after arrival
        ladder = "\n".join(lines[1:])
        assert ladder.startswith("Accepted 10%")  # inbound ladder, nothing reached yet
        for words in ("Qualified 20%", "Developed 40%", "Negotiated 80%", "Won 100%", "Closed"):
            assert words in ladder
        assert "✓" not in ladder and "▶" not in ladder
        assert widget.has_class("-received") and not widget.has_class("-closed")


@run_async
async def test_accepted_deal_checks_marked_stages_and_highlights_the_current_one() -> None:
    """R-LIFE-7: Created and Qualified marked, Developed current, the rest not reached."""
    widget = LifecycleWidget(make_referral(Status.ACCEPTED, Stage.DEVELOPED))
    async with LifecycleApp(widget).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        shown_text = text(widget)
        assert "✓ Created 10%" in shown_text
        assert "✓ Qualified 20%" in shown_text
        assert "▶ Developed 40%" in shown_text
        for later in ("Proposed 60%", "Negotiated 80%", "Won 100%", "Closed"):
            assert later in shown_text
            assert f"✓ {later}" not in shown_text and f"▶ {later}" not in shown_text
        # The stages are in ladder order.
        flat = " ".join(shown_text.split())
        order = ["Created", "Qualified", "Developed", "Proposed", "Negotiated", "Won", "Closed"]
        assert [flat.index(name) for name in order] == sorted(flat.index(n) for n in order)
        # Current is highlighted beyond its glyph (reverse or bold), a marked stage is not.
        current = style_of(widget, "▶ Developed")
        assert current.reverse or current.bold
        assert style_of(widget, "✓ Qualified") != current


@run_async
async def test_inbound_accepted_deal_starts_at_accepted() -> None:
    """R-LIFE-3: an accepted inbound referral climbs from Accepted (10 %), not Created."""
    widget = LifecycleWidget(make_referral(Status.ACCEPTED, direction=Direction.INBOUND))
    async with LifecycleApp(widget).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        shown_text = text(widget)
        assert shown_text.startswith("▶ Accepted 10%")
        assert "Created" not in shown_text


@run_async
async def test_solution_assessment_shows_the_assessment_stage_names() -> None:
    """R-LIFE-8: SA deals name their stages after the assessment's steps."""
    widget = LifecycleWidget(make_referral(Status.ACCEPTED, Stage.DEVELOPED, sa=True))
    async with LifecycleApp(widget).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        shown_text = text(widget)
        assert "✓ Secure engagement letter 20%" in shown_text
        assert "▶ Collect data 40%" in shown_text
        assert "Prepare report 60%" in shown_text
        assert "Present to customer 80%" in shown_text
        assert "Qualified" not in shown_text and "Developed" not in shown_text


@run_async
async def test_won_deal_without_registration_is_all_checked_and_closed() -> None:
    """§5: a won deal that is not eligible reaches Closed at once."""
    widget = LifecycleWidget(make_referral(Status.WON), None)
    async with LifecycleApp(widget).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        shown_text = text(widget)
        for words in ("Created 10%", "Qualified 20%", "Developed 40%", "Proposed 60%"):
            assert f"✓ {words}" in shown_text
        assert "✓ Negotiated 80%" in shown_text
        assert "✓ Won 100%" in shown_text
        assert shown_text.rstrip().endswith("✓ Closed")
        assert "▶" not in shown_text
        assert "Registration" not in shown_text
        assert widget.has_class("-won") and widget.has_class("-closed")


@run_async
async def test_eligible_won_deal_in_review_shows_registration_milestones() -> None:
    """R-REG-1/3: Submitted reached, Review current, Closed not yet reached."""
    widget = LifecycleWidget(make_referral(Status.WON), R.IN_REVIEW)
    async with LifecycleApp(widget).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        lines = shown(widget)
        registration = next(line for line in lines if line.startswith("Registration"))
        assert "✓ Submitted" in registration
        assert "▶ Review" in registration
        assert "Decision" in registration and "✓ Decision" not in registration
        assert "Closed" in registration and "✓ Closed" not in registration
        assert "In review" in registration
        # Closed comes once, after the registration: the deal is not closed yet.
        assert text(widget).count("Closed") == 1
        assert "✓ Won 100%" in text(widget)
        assert not widget.has_class("-closed")


@pytest.mark.parametrize(
    ("status", "decision", "label"),
    [
        (R.APPROVED, "✓ Approved", None),
        (R.REJECTED, "✗ Rejected", None),
        (R.IN_VALIDATION, "▶ Decision", "In validation"),
        (R.ACTION_REQUIRED, "Decision", "Action required"),
        (R.INCOMPLETE, "Decision", "Incomplete"),
    ],
)
@run_async
async def test_registration_status_drives_the_milestones_and_closed(
    status: RegistrationStatus, decision: str, label: str | None
) -> None:
    """R-REG-3 / §5: the lifecycle closes when the registration is final (approved/rejected)."""
    widget = LifecycleWidget(make_referral(Status.WON), status)
    async with LifecycleApp(widget).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        registration = next(line for line in shown(widget) if line.startswith("Registration"))
        assert decision in registration
        if status.final:
            assert "✓ Submitted" in registration and "✓ Review" in registration
            assert "✓ Closed" in registration
            assert widget.has_class("-closed")
        else:
            assert label is not None and registration.endswith(label)
            assert "✓ Closed" not in registration
            assert not widget.has_class("-closed")
        if status is R.INCOMPLETE:
            assert "▶ Submitted" in registration  # nothing sent yet
        if status is R.ACTION_REQUIRED:
            assert "✓ Submitted" in registration and "▶ Review" in registration


@pytest.mark.parametrize(
    ("status", "outcome", "direction"),
    [
        (Status.LOST, "✗ Lost", Direction.OUTBOUND),
        (Status.DECLINED, "✗ Declined", Direction.INBOUND),
        (Status.EXPIRED, "✗ Expired", Direction.INBOUND),
    ],
)
@run_async
async def test_lost_declined_and_expired_show_their_outcome_and_closed(
    status: Status, outcome: str, direction: Direction
) -> None:
    """R-LIFE-9 / §5: these close at once; the outcome is said in words, not only colour."""
    stage = Stage.PROPOSED if status is Status.LOST else None
    widget = LifecycleWidget(make_referral(status, stage, direction=direction))
    async with LifecycleApp(widget).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        shown_text = text(widget)
        assert outcome in shown_text
        assert shown_text.rstrip().endswith("✓ Closed")
        assert "Won 100%" not in shown_text  # the outcome takes Won's place
        assert widget.has_class(f"-{status.value}") and widget.has_class("-closed")
        if status is Status.LOST:
            assert "✓ Proposed 60%" in shown_text  # how far it got before it was lost
            assert "Negotiated 80%" in shown_text and "✓ Negotiated" not in shown_text
        else:
            assert shown_text.startswith("✓ Received")  # never accepted: no ladder climbed


@run_async
async def test_each_outcome_has_its_own_style() -> None:
    """R-UI-3: won, lost, declined and expired are each styled differently (a class each)."""
    widgets = {
        "✓ Won": LifecycleWidget(make_referral(Status.WON)),
        "✗ Lost": LifecycleWidget(make_referral(Status.LOST, Stage.QUALIFIED)),
        "✗ Declined": LifecycleWidget(make_referral(Status.DECLINED, direction=Direction.INBOUND)),
        "✗ Expired": LifecycleWidget(make_referral(Status.EXPIRED, direction=Direction.INBOUND)),
    }
    async with LifecycleApp(*widgets.values()).run_test(size=(80, 30)) as pilot:
        await pilot.pause()
        styles = {words: style_of(widget, words) for words, widget in widgets.items()}
        assert len(set(styles.values())) == 4
        plain_done = style_of(widgets["✓ Won"], "✓ Created")
        assert plain_done not in styles.values()


@run_async
async def test_changing_the_reactives_re_renders() -> None:
    """The deal screen sets `referral` and `registration` after reloading; the widget follows."""
    widget = LifecycleWidget(make_referral(Status.ACCEPTED, Stage.QUALIFIED))
    async with LifecycleApp(widget).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "▶ Qualified 20%" in text(widget)
        assert widget.has_class("-accepted")

        widget.referral = make_referral(Status.ACCEPTED, Stage.NEGOTIATED)
        await pilot.pause()
        assert "✓ Qualified 20%" in text(widget)
        assert "▶ Negotiated 80%" in text(widget)

        widget.referral = make_referral(Status.WON)
        await pilot.pause()
        assert "✓ Won 100%" in text(widget) and "✓ Closed" in text(widget)
        assert widget.has_class("-won") and not widget.has_class("-accepted")
        assert widget.has_class("-closed")

        widget.registration = R.IN_REVIEW
        await pilot.pause()
        assert "▶ Review" in text(widget)
        assert "✓ Closed" not in text(widget) and not widget.has_class("-closed")

        widget.registration = R.APPROVED
        await pilot.pause()
        assert "✓ Approved" in text(widget) and "✓ Closed" in text(widget)
        assert widget.has_class("-closed")


def _every_kind_of_referral() -> list[tuple[Referral, RegistrationStatus | None]]:
    cases: list[tuple[Referral, RegistrationStatus | None]] = []
    for sa in (False, True):
        inbound = make_referral(Status.RECEIVED, direction=Direction.INBOUND, sa=sa)
        cases.append((inbound, None))
        for direction in Direction:
            for stage in (first_stage(direction), Stage.DEVELOPED, Stage.NEGOTIATED):
                cases.append(
                    (make_referral(Status.ACCEPTED, stage, direction=direction, sa=sa), None)
                )
            reason = LostReason.NO_DECISION.value
            cases.append(
                (
                    make_referral(
                        Status.LOST,
                        Stage.NEGOTIATED,
                        direction=direction,
                        sa=sa,
                        closing_reason=reason,
                    ),
                    None,
                )
            )
            cases.append((make_referral(Status.WON, direction=direction, sa=sa), None))
            cases.extend(
                (make_referral(Status.WON, direction=direction, sa=sa), status) for status in R
            )
    cases.append((make_referral(Status.DECLINED, direction=Direction.INBOUND), None))
    cases.append((make_referral(Status.EXPIRED, direction=Direction.INBOUND), None))
    return cases


@run_async
async def test_compact_form_fits_76_cells_in_three_lines() -> None:
    """R-UI-3 readable at 80 columns: every kind of lifecycle fits 76 cells in ≤ 3 lines."""
    cases = _every_kind_of_referral()
    widgets = [LifecycleWidget(referral, registration) for referral, registration in cases]
    app = LifecycleApp(*widgets, width=76)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for widget, (referral, registration) in zip(widgets, cases, strict=True):
            line = widget.query_one(LifecycleLine)
            assert not widget.has_class("-wide")
            assert widget.outer_size.width == 76
            assert 1 <= line.outer_size.height <= 3, (referral.status, referral.is_sa, registration)


@run_async
async def test_at_80_columns_the_widget_is_compact_and_at_most_three_lines() -> None:
    """The worst case for height — an eligible SA win with changes asked for — at 80 columns."""
    widget = LifecycleWidget(make_referral(Status.WON, sa=True), R.ACTION_REQUIRED)
    async with LifecycleApp(widget).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not widget.has_class("-wide")
        assert widget.outer_size.height <= 3
        assert all(len(line) <= 80 for line in shown(widget))
        assert shown(widget)[-1].endswith("Action required")


STYLES = sorted(str(path.resolve()) for path in LIFECYCLE_TCSS.parent.glob("*.tcss"))
DEAL_SCREEN_WIDTH = 80 - 1 - 2  # the deal screen: the slot's left padding and a scrollbar


class StyledApp(LifecycleApp):
    """The widgets under every stylesheet the app loads, as on the deal screen."""

    CSS_PATH = STYLES  # type: ignore[assignment]


@pytest.mark.parametrize(
    ("referral", "registration", "current"),
    [
        (make_referral(Status.WON), R.INCOMPLETE, "▶ Submitted"),
        (make_referral(Status.ACCEPTED, Stage.DEVELOPED, sa=True), None, "▶ Collect data 40%"),
    ],
    ids=["registration-incomplete", "sa-collect-data"],
)
@run_async
async def test_current_step_is_highlighted_whole_at_the_deal_screen_width(
    referral: Referral, registration: RegistrationStatus | None, current: str
) -> None:
    """R-UI-3 at 80 columns: the current step keeps every character inside its highlight.

    Guards a report of "▶ Submitte›" / "▶ Collect data 40›" seen in a PNG of the deal
    screen snapshot (that was rsvg-convert drawing ▶ two cells wide; the screen was right).
    """
    widget = LifecycleWidget(referral, registration)
    async with StyledApp(widget, width=DEAL_SCREEN_WIDTH).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert current in text(widget)
        highlighted = [
            segment.text
            for strip in widget.app.screen._compositor.render_strips()
            for segment in strip
            if segment.style is not None and segment.style.reverse
        ]
        assert highlighted == [current]
        assert f"{current} ›" in text(widget)  # the separator follows, nothing lost between


# --- wide form -------------------------------------------------------------------------------


@run_async
async def test_wide_widget_shows_a_stepper_with_dates() -> None:
    """Richer when wider: one column per step with its percentage and the day it was marked."""
    widget = LifecycleWidget(make_referral(Status.ACCEPTED, Stage.DEVELOPED))
    async with LifecycleApp(widget).run_test(size=(140, 30)) as pilot:
        await pilot.pause()
        assert widget.has_class("-wide")
        assert not widget.query_one(LifecycleLine).display
        columns = [str(cell.visual).splitlines() for cell in widget.query(LifecycleStep)]
        assert columns == [
            ["✓ Created", "10%", "2026-10-01"],
            ["✓ Qualified", "20%", "2026-10-08"],
            ["▶ Developed", "40%", "2026-10-15"],
            ["○ Proposed", "60%"],
            ["○ Negotiated", "80%"],
            ["○ Won", "100%"],
            ["○ Closed"],
        ]
        # Side by side on the screen, left to right.
        xs = [cell.region.x for cell in widget.query(LifecycleStep)]
        assert xs == sorted(xs) and len(set(xs)) == 7
        assert len({cell.region.y for cell in widget.query(LifecycleStep)}) == 1
        assert "▶ Developed" in text(widget) and "2026-10-08" in text(widget)
        current = widget.query(LifecycleStep)[2]
        assert current.has_class("-current") and current.styles.text_style.bold


@run_async
async def test_wide_sa_stepper_uses_the_full_stage_names() -> None:
    """R-LIFE-8 names in full where there is room."""
    widget = LifecycleWidget(make_referral(Status.ACCEPTED, Stage.QUALIFIED, sa=True))
    async with LifecycleApp(widget).run_test(size=(140, 30)) as pilot:
        await pilot.pause()
        names = [str(cell.visual).splitlines()[0] for cell in widget.query(LifecycleStep)]
        assert names == [
            "✓ Created",
            "▶ Secure customer letter of engagement",
            "○ Collect data",
            "○ Prepare assessment report",
            "○ Present to customer",
            "○ Won",
            "○ Closed",
        ]
        flat = " ".join(text(widget).split())
        assert "Secure customer" in flat and "engagement" in flat


@run_async
async def test_wide_eligible_won_deal_has_a_registration_row() -> None:
    widget = LifecycleWidget(make_referral(Status.WON), R.ACTION_REQUIRED)
    async with LifecycleApp(widget).run_test(size=(140, 30)) as pilot:
        await pilot.pause()
        cells = list(widget.query(LifecycleStep))
        assert [str(c.visual).splitlines()[0] for c in cells] == [
            "✓ Created",
            "✓ Qualified",
            "✓ Developed",
            "✓ Proposed",
            "✓ Negotiated",
            "✓ Won",
            "✓ Submitted",
            "▶ Review",
            "○ Decision",
            "○ Closed",
        ]
        assert cells[5].has_class("-won")
        assert cells[6].region.y > cells[0].region.y  # a row of its own, under the stages
        shown_text = text(widget)
        assert "Registration" in shown_text and "Action required" in shown_text
        assert "2026-11-12" in shown_text  # the day it was won


@run_async
async def test_wide_closing_reason_is_shown_literally() -> None:
    """Stored text never reaches markup: an odd reason shows exactly as stored."""
    widget = LifecycleWidget(
        make_referral(Status.DECLINED, direction=Direction.INBOUND, closing_reason="[b]x[/b]")
    )
    async with LifecycleApp(widget).run_test(size=(140, 30)) as pilot:
        await pilot.pause()
        assert "[b]x[/b]" in text(widget)


@run_async
async def test_lost_reason_label_in_wide_form() -> None:
    widget = LifecycleWidget(
        make_referral(Status.LOST, Stage.QUALIFIED, closing_reason=LostReason.PRICE.value)
    )
    async with LifecycleApp(widget).run_test(size=(140, 30)) as pilot:
        await pilot.pause()
        lost = next(c for c in widget.query(LifecycleStep) if c.has_class("-lost"))
        assert str(lost.visual).splitlines() == ["✗ Lost", "Price", "2026-11-12"]


@run_async
async def test_switches_between_forms_when_resized() -> None:
    """The widget's own width decides (a class, `-wide`), and it follows a resize."""
    widget = LifecycleWidget(make_referral(Status.ACCEPTED, Stage.PROPOSED))
    async with LifecycleApp(widget).run_test(size=(140, 30)) as pilot:
        await pilot.pause()
        assert widget.has_class("-wide")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert not widget.has_class("-wide")
        assert widget.query_one(LifecycleLine).display
        assert widget.outer_size.height <= 3
        assert "▶ Proposed 60%" in text(widget)
        await pilot.resize_terminal(120, 30)
        await pilot.pause()
        assert widget.has_class("-wide")


@run_async
async def test_a_narrow_widget_in_a_wide_terminal_stays_compact() -> None:
    """A lifecycle in a side column of a wide screen keeps the compact form."""
    widget = LifecycleWidget(make_referral(Status.ACCEPTED, Stage.PROPOSED))
    app = LifecycleApp(widget, width=60)
    async with app.run_test(size=(160, 30)) as pilot:
        await pilot.pause()
        assert not widget.has_class("-wide")
        assert "▶ Proposed 60%" in text(widget)
