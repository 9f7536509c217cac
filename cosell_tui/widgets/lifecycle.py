"""The lifecycle of one referral (R-UI-3): sales stages, outcome, registration and Closed.

`plan_lifecycle` turns a referral and its registration status into steps; `LifecycleWidget`
shows them as wrapped lines of steps (compact, fits 80 columns in at most three lines) or, once
it is `WIDE_AT` cells wide, as a stepper with one column per step (the `-wide` class). Meaning
never rests on colour alone: ✓ reached, ▶ current, ○ (or plain) not reached, ✗ lost,
declined, expired or rejected — each with its word.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar, cast

from textual.containers import Grid, Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.style import Style
from textual.visual import RenderOptions, Visual
from textual.widget import Widget
from textual.widgets import Static

from cosell_tui.domain.enums import (
    DeclineReason,
    LostReason,
    RegistrationStatus,
    Stage,
    Status,
)
from cosell_tui.domain.lifecycle import stage_rank, stages
from cosell_tui.domain.models import Referral
from cosell_tui.domain.registration import Milestone, lifecycle_closed, milestones_reached
from cosell_tui.widgets.text import day

if TYPE_CHECKING:
    from datetime import date, datetime

    from textual import events
    from textual.app import ComposeResult
    from textual.css.styles import RulesMap
    from textual.strip import Strip

WIDE_AT = 110
"""From this many cells wide the widget shows the stepper instead of the compact lines."""


class Mark(StrEnum):
    """How far the referral got with one step."""

    DONE = "done"
    CURRENT = "current"
    PENDING = "pending"
    FAILED = "failed"

    @property
    def glyph(self) -> str:
        return _GLYPHS[self]


_GLYPHS = {Mark.DONE: "✓", Mark.CURRENT: "▶", Mark.PENDING: "○", Mark.FAILED: "✗"}

# The assessment's own stage names (R-LIFE-8) are long; these keep an SA ladder to two lines
# at 80 columns. The stepper has room for the full names.
_COMPACT_SA_NAMES = {
    Stage.QUALIFIED: "Secure engagement letter",
    Stage.DEVELOPED: "Collect data",
    Stage.PROPOSED: "Prepare report",
    Stage.NEGOTIATED: "Present to customer",
}


@dataclass(frozen=True)
class Step:
    """One step of the lifecycle as the widget shows it."""

    name: str
    mark: Mark
    percent: int | None = None
    short: str | None = None
    """A shorter name for the compact form, when the full one is long."""
    when: date | None = None
    note: str | None = None
    """A closing reason; may come from stored data, so it is only ever shown literally."""
    tone: str | None = None
    """Its own style: won, lost, declined, expired, approved or rejected."""

    def label(self, *, compact: bool = False) -> str:
        name = self.short if compact and self.short else self.name
        return name if self.percent is None else f"{name} {self.percent}%"

    @property
    def classes(self) -> tuple[str, ...]:
        return (f"-{self.mark}",) + ((f"-{self.tone}",) if self.tone else ())


@dataclass(frozen=True)
class LifecyclePlan:
    """Everything the widget shows, worked out from the referral and its registration."""

    status: Status | None
    steps: tuple[Step, ...]
    waiting: str | None = None
    """For a received referral: that it waits for the user's answer, and until when."""
    registration: tuple[Step, ...] = ()
    registration_status: RegistrationStatus | None = None
    closed: bool = False


EMPTY_PLAN = LifecyclePlan(status=None, steps=())


def _day(moment: datetime | None) -> date | None:
    return None if moment is None else moment.date()


def _closing_reason(referral: Referral) -> str | None:
    reason = referral.closing_reason
    if not reason:
        return None
    labels: dict[str, str] = {}
    if referral.status is Status.LOST:
        labels = {r.value: r.label for r in LostReason}
    elif referral.status is Status.DECLINED:
        labels = {r.value: r.label for r in DeclineReason}
    return labels.get(reason, reason)


def plan_lifecycle(
    referral: Referral, registration: RegistrationStatus | None = None
) -> LifecyclePlan:
    """The steps of R-UI-3; `registration` is None unless the deal is eligible (R-REG-1)."""
    status = referral.status
    closed_on = _day(referral.closed_at)
    if status in (Status.DECLINED, Status.EXPIRED):
        # Never accepted: the ladder was never climbed, so show the path actually taken.
        return LifecyclePlan(
            status=status,
            steps=(
                Step("Received", Mark.DONE, when=_day(referral.received_at)),
                Step(
                    status.label,
                    Mark.FAILED,
                    when=closed_on,
                    note=_closing_reason(referral),
                    tone=status.value,
                ),
                Step("Closed", Mark.DONE, when=closed_on),
            ),
            closed=True,
        )

    registering = status is Status.WON and registration is not None
    closed = lifecycle_closed(status, registering, registration if registering else None)
    marked = {stage_rank(mark.stage): mark.marked_at for mark in referral.stage_marks}
    current = stage_rank(referral.stage) if status is Status.ACCEPTED else None
    ladder = stages(referral.direction, referral.is_sa)

    steps: list[Step] = []
    for rung in ladder[:-1]:
        rank = stage_rank(rung.stage)
        mark = Mark.CURRENT if rank == current else Mark.DONE if rank in marked else Mark.PENDING
        steps.append(
            Step(
                rung.name,
                mark,
                rung.percent,
                short=_COMPACT_SA_NAMES.get(rung.stage) if referral.is_sa else None,
                when=_day(marked.get(rank)),
            )
        )
    won = ladder[-1]
    if status is Status.WON:
        when = _day(marked.get(stage_rank(won.stage))) or closed_on
        steps.append(Step(won.name, Mark.DONE, won.percent, when=when, tone="won"))
    elif status is Status.LOST:
        note = _closing_reason(referral)
        steps.append(Step("Lost", Mark.FAILED, when=closed_on, note=note, tone="lost"))
    else:
        steps.append(Step(won.name, Mark.PENDING, won.percent))

    waiting = None
    if status is Status.RECEIVED:
        waiting = "Received — awaiting your answer"
        if referral.response_deadline is not None:
            waiting += f", due {day(referral.response_deadline)} UTC"

    if registering:
        assert registration is not None
        return LifecyclePlan(
            status=status,
            steps=tuple(steps),
            waiting=waiting,
            registration=_registration_steps(registration),
            registration_status=registration,
            closed=closed,
        )
    steps.append(
        Step(
            "Closed",
            Mark.DONE if closed else Mark.PENDING,
            when=closed_on if closed else None,
        )
    )
    return LifecyclePlan(status=status, steps=tuple(steps), waiting=waiting, closed=closed)


def _registration_steps(status: RegistrationStatus) -> tuple[Step, ...]:
    """Submitted, Review, Approved/Rejected, Closed — the first not reached is current."""
    reached = milestones_reached(status)
    # None once the registration is final: nothing is current any more.
    waiting_for = next((m for m in Milestone if m not in reached), None)

    def mark(milestone: Milestone) -> Mark:
        if milestone in reached:
            return Mark.DONE
        return Mark.CURRENT if milestone is waiting_for else Mark.PENDING

    if status is RegistrationStatus.APPROVED:
        decided = Step("Approved", Mark.DONE, tone="approved")
    elif status is RegistrationStatus.REJECTED:
        decided = Step("Rejected", Mark.FAILED, tone="rejected")
    else:
        decided = Step("Decision", mark(Milestone.DECIDED))
    return (
        Step("Submitted", mark(Milestone.SUBMITTED)),
        Step("Review", mark(Milestone.REVIEW)),
        decided,
        Step("Closed", mark(Milestone.CLOSED)),
    )


# --- compact form --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Piece:
    """A word of a flowing line: what goes before it on the same line, and what ends the
    previous line instead when it starts a new one."""

    content: Content
    before: Content
    line_end: Content


class _Flow(Visual):
    """Paragraphs of pieces wrapped between pieces, never inside one."""

    def __init__(self, paragraphs: list[list[_Piece]]) -> None:
        self._paragraphs = paragraphs

    def lines(self, width: int) -> list[Content]:
        lines: list[Content] = []
        for pieces in self._paragraphs:
            line: Content | None = None
            for index, piece in enumerate(pieces):
                # Leave room for what ends the line should the next piece start a new one.
                after = pieces[index + 1].line_end.cell_length if index + 1 < len(pieces) else 0
                if line is None:
                    line = piece.content
                elif (
                    line.cell_length + piece.before.cell_length + piece.content.cell_length + after
                    <= width
                ):
                    line = Content.assemble(line, piece.before, piece.content)
                else:
                    lines.append(Content.assemble(line, piece.line_end))
                    line = piece.content
            if line is not None:
                lines.append(line)
        return lines

    def _text(self, width: int) -> Content:
        return Content("\n").join(self.lines(width))

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return max((line.cell_length for line in self.lines(10_000)), default=0)

    def get_height(self, rules: RulesMap, width: int) -> int:
        pad = rules.get("line_pad", 0) * 2
        return self._text(width - pad).get_height(rules, width)

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        pad = options.rules.get("line_pad", 0) * 2
        return self._text(width - pad).render_strips(width, height, style, options)


class LifecycleLine(Widget):
    """The compact form: the steps as text, wrapped only between steps."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "lifecycle--done",
        "lifecycle--current",
        "lifecycle--pending",
        "lifecycle--failed",
        "lifecycle--won",
        "lifecycle--lost",
        "lifecycle--declined",
        "lifecycle--expired",
        "lifecycle--approved",
        "lifecycle--rejected",
        "lifecycle--separator",
        "lifecycle--label",
        "lifecycle--status",
    }

    plan: reactive[LifecyclePlan] = reactive(EMPTY_PLAN, layout=True)

    def __init__(self, plan: LifecyclePlan) -> None:
        super().__init__()
        self.set_reactive(LifecycleLine.plan, plan)

    def _style(self, *names: str) -> Style:
        style = Style()
        for name in names:
            component = f"lifecycle--{name}"
            style += self.get_visual_style(component, partial=True)
            # Visual styles keep colour transparency but drop `reverse`; take it from CSS.
            if self.get_component_styles(component).text_style.reverse:
                style += Style(reverse=True)
        return style

    def _piece(self, step: Step, before: Content, line_end: Content) -> _Piece:
        text = step.label(compact=True)
        if step.mark is not Mark.PENDING:  # plain words are "not reached": saves room
            text = f"{step.mark.glyph} {text}"
        names = (step.mark.value, step.tone) if step.tone else (step.mark.value,)
        return _Piece(Content.styled(text, self._style(*names)), before, line_end)

    def _chain(self, steps: tuple[Step, ...], first_before: Content) -> list[_Piece]:
        arrow = self._style("separator")
        between, line_end = Content.styled(" › ", arrow), Content.styled(" ›", arrow)
        return [
            self._piece(step, first_before if index == 0 else between, line_end)
            for index, step in enumerate(steps)
        ]

    def render(self) -> Visual:
        plan = self.plan
        blank = Content("")
        paragraphs: list[list[_Piece]] = []
        if plan.waiting:
            waiting = Content.styled(f"{Mark.CURRENT.glyph} {plan.waiting}", self._style("current"))
            paragraphs.append([_Piece(waiting, blank, blank)])
        paragraphs.append(self._chain(plan.steps, blank))
        if plan.registration:
            label = Content.styled("Registration:", self._style("label"))
            pieces = [_Piece(label, blank, blank), *self._chain(plan.registration, Content(" "))]
            status_label = plan.registration_status
            # Once final, the decision step already says Approved or Rejected.
            if status_label is not None and not status_label.final:
                status = Content.styled(status_label.label, self._style("status"))
                dot = Content.styled(" · ", self._style("separator"))
                pieces.append(_Piece(status, dot, blank))
            paragraphs.append(pieces)
        return _Flow(paragraphs)


# --- wide form -----------------------------------------------------------------------------


class LifecycleStep(Static):
    """One column of the stepper: mark and name, percentage, the day it was reached."""

    def __init__(self, step: Step) -> None:
        lines = [Content(f"{step.mark.glyph} {step.name}")]
        if step.percent is not None:
            lines.append(Content(f"{step.percent}%"))
        if step.note:
            lines.append(Content(step.note))  # literal: never parsed as markup
        if step.when is not None:
            lines.append(Content(day(step.when)))
        super().__init__(Content("\n").join(lines), classes=" ".join(step.classes))
        self.step = step


class LifecycleStepper(Vertical):
    """The wide form: a row of columns for the stages, outcome and Closed; a second row for
    the registration milestones of an eligible won deal."""

    plan: reactive[LifecyclePlan] = reactive(EMPTY_PLAN, recompose=True)

    def __init__(self, plan: LifecyclePlan) -> None:
        super().__init__()
        self.set_reactive(LifecycleStepper.plan, plan)

    def compose(self) -> ComposeResult:
        plan = self.plan
        if plan.waiting:
            yield Static(
                Content(f"{Mark.CURRENT.glyph} {plan.waiting}"), classes="lifecycle-waiting"
            )
        with Grid(classes="lifecycle-steps"):
            for step in plan.steps:
                yield LifecycleStep(step)
            if plan.registration:
                # The registration row starts on a fresh grid row, under the first stage.
                for _ in range(-len(plan.steps) % _STEPPER_COLUMNS):
                    yield Static(classes="lifecycle-gap")
                status = plan.registration_status
                label = "Registration" + (f"\n{status.label}" if status is not None else "")
                yield Static(Content(label), classes="lifecycle-registration-label")
                for step in plan.registration:
                    yield LifecycleStep(step)


_STEPPER_COLUMNS = 7  # six stages and Closed: the grid-size in LifecycleWidget.DEFAULT_CSS


class LifecycleWidget(Widget):
    """R-UI-3: the lifecycle of one referral. Set `referral` or `registration` to re-render.

    `registration` is the deal's registration status, or None when it has none (not eligible).
    Classes: `-received`, `-accepted`, `-won`, `-lost`, `-declined`, `-expired` (its status),
    `-closed` once the last milestone is reached, `-wide` when the stepper is shown.
    """

    DEFAULT_CSS = """
    LifecycleWidget { height: auto; }
    LifecycleWidget > LifecycleLine { height: auto; color: $foreground; }
    LifecycleWidget > LifecycleStepper { height: auto; display: none; }
    LifecycleWidget.-wide > LifecycleLine { display: none; }
    LifecycleWidget.-wide > LifecycleStepper { display: block; }
    LifecycleStepper > Grid { height: auto; grid-size: 7; grid-rows: auto; }
    """

    # Always given in the constructor; the cast only gives the class attribute a default.
    referral: reactive[Referral] = reactive(cast(Referral, None), init=False)
    registration: reactive[RegistrationStatus | None] = reactive(None, init=False)
    plan: reactive[LifecyclePlan] = reactive(EMPTY_PLAN, init=False)

    def __init__(
        self,
        referral: Referral,
        registration: RegistrationStatus | None = None,
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.set_reactive(LifecycleWidget.referral, referral)
        self.set_reactive(LifecycleWidget.registration, registration)
        plan = plan_lifecycle(referral, registration)
        self.set_reactive(LifecycleWidget.plan, plan)
        self._set_status_classes(plan)

    def compose(self) -> ComposeResult:
        yield LifecycleLine(self.plan).data_bind(LifecycleWidget.plan)
        # The stepper (a grid of a dozen widgets) only where it can be shown: on a narrower
        # screen nobody styles or lays it out (issue 6: less work when a deal screen opens).
        if self.app.size.width >= WIDE_AT:
            yield LifecycleStepper(self.plan).data_bind(LifecycleWidget.plan)

    def watch_referral(self) -> None:
        self._replan()

    def watch_registration(self) -> None:
        self._replan()

    def _replan(self) -> None:
        self.plan = plan_lifecycle(self.referral, self.registration)
        self._set_status_classes(self.plan)

    def _set_status_classes(self, plan: LifecyclePlan) -> None:
        for status in Status:
            self.set_class(plan.status is status, f"-{status.value}")
        self.set_class(plan.closed, "-closed")

    def on_resize(self, event: events.Resize) -> None:
        # The widget's own width decides, not the terminal's: a side panel stays compact.
        wide = event.size.width >= WIDE_AT
        if wide and not self.query_children(LifecycleStepper):
            self.mount(LifecycleStepper(self.plan).data_bind(LifecycleWidget.plan))
        self.set_class(wide, "-wide")
