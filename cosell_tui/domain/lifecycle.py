"""The referral lifecycle of SPEC §3: statuses, sales stages, the 14-day response window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cosell_tui.domain.enums import Direction, Stage, Status
from cosell_tui.domain.errors import InvalidState

RESPONSE_WINDOW = timedelta(days=14)  # R-LIFE-3
REMINDER_BEFORE = timedelta(days=2)  # R-NOTE-4

STAGE_PERCENT: dict[Stage, int] = {
    Stage.CREATED: 10,
    Stage.ACCEPTED: 10,
    Stage.QUALIFIED: 20,
    Stage.DEVELOPED: 40,
    Stage.PROPOSED: 60,
    Stage.NEGOTIATED: 80,
    Stage.WON: 100,
}

STAGE_NAMES: dict[Stage, str] = {
    Stage.CREATED: "Created",
    Stage.ACCEPTED: "Accepted",
    Stage.QUALIFIED: "Qualified",
    Stage.DEVELOPED: "Developed",
    Stage.PROPOSED: "Proposed",
    Stage.NEGOTIATED: "Negotiated",
    Stage.WON: "Won",
}

# R-LIFE-8: the same steps carry the assessment's own names on SA deals.
SA_STAGE_NAMES: dict[Stage, str] = {
    **STAGE_NAMES,
    Stage.QUALIFIED: "Secure customer letter of engagement",
    Stage.DEVELOPED: "Collect data",
    Stage.PROPOSED: "Prepare assessment report",
    Stage.NEGOTIATED: "Present to customer",
}

_LADDER = (Stage.QUALIFIED, Stage.DEVELOPED, Stage.PROPOSED, Stage.NEGOTIATED, Stage.WON)


@dataclass(frozen=True)
class StageStep:
    stage: Stage
    name: str
    percent: int


def first_stage(direction: Direction) -> Stage:
    """R-LIFE-2/3: outbound deals start at Created, inbound ones at Accepted."""
    return Stage.CREATED if direction is Direction.OUTBOUND else Stage.ACCEPTED


def stages(direction: Direction, is_sa: bool) -> tuple[StageStep, ...]:
    """The stage ladder a referral climbs, first step to Won."""
    names = SA_STAGE_NAMES if is_sa else STAGE_NAMES
    return tuple(
        StageStep(stage, names[stage], STAGE_PERCENT[stage])
        for stage in (first_stage(direction), *_LADDER)
    )


def stage_rank(stage: Stage) -> int:
    """Order on the ladder; Created and Accepted share the bottom rung."""
    if stage in (Stage.CREATED, Stage.ACCEPTED):
        return 0
    return _LADDER.index(stage) + 1


def stage_name(stage: Stage, is_sa: bool) -> str:
    return (SA_STAGE_NAMES if is_sa else STAGE_NAMES)[stage]


def markable_stages(direction: Direction) -> tuple[Stage, ...]:
    """Stages the stage dialog may set: the ladder without Won, which only the Won action sets."""
    return (first_stage(direction), *_LADDER[:-1])


def check_stage_move(
    status: Status, direction: Direction, current: Stage, target: Stage, is_sa: bool = False
) -> None:
    """R-LIFE-7: any stage of the ladder, forward (marking earlier ones) or back, while accepted."""
    require_status(status, Status.ACCEPTED, "change the sales stage")
    name = stage_name(target, is_sa)
    if target not in markable_stages(direction):
        if target is Stage.WON:
            raise InvalidState("Use Won to close the deal as won; it sets the last stage.")
        raise InvalidState(f"{name} is not a stage of this deal.")
    if target is current:
        raise InvalidState(f"The deal is already at {name}.")


def won_blocker(status: Status, stage: Stage, is_sa: bool) -> str | None:
    """Why Won is unavailable now, or None (R-LIFE-8 makes SA stages mandatory)."""
    if status is not Status.ACCEPTED:
        return _status_refusal(status, "mark it as won")
    if is_sa and stage_rank(stage) < stage_rank(Stage.NEGOTIATED):
        return (
            "An assessment is won only after every stage up to "
            f"“{SA_STAGE_NAMES[Stage.NEGOTIATED]}” (80 %) is marked."
        )
    return None


def response_deadline(received_at: datetime) -> datetime:
    """Exactly 14 × 24 hours after arrival (R-LIFE-3)."""
    return received_at + RESPONSE_WINDOW


def is_past_deadline(deadline: datetime | None, now: datetime) -> bool:
    """Expired when the clock reaches the deadline (R-LIFE-4)."""
    return deadline is not None and now >= deadline


def reminder_due(deadline: datetime | None, now: datetime) -> bool:
    """R-NOTE-4: within two days of the deadline but not yet past it."""
    return deadline is not None and deadline - REMINDER_BEFORE <= now < deadline


def _status_refusal(status: Status, doing: str) -> str:
    if status.terminal:
        return f"This deal is {status.value}, a final state: you can no longer {doing}."
    if status is Status.RECEIVED:
        return f"Accept this deal first; then you can {doing}."
    return f"This deal is {status.value}: you cannot {doing}."


def require_status(status: Status, needed: Status, doing: str) -> None:
    """Refuse an action unless the referral is in the status it needs (R-LIFE-1)."""
    if status is not needed:
        raise InvalidState(_status_refusal(status, doing))


_API_STAGES = {
    "qualify": Stage.QUALIFIED,
    "develop": Stage.DEVELOPED,
    "propose": Stage.PROPOSED,
    "close": Stage.NEGOTIATED,
}


def stage_from_external(value: str | int | float, direction: Direction) -> Stage:
    """Map a Referrals-API stage name or a bare percentage to our stage (R-LIFE-7)."""
    if isinstance(value, str):
        key = value.strip().lower()
        if key in _API_STAGES:
            return _API_STAGES[key]
        by_name = {name.lower(): stage for stage, name in STAGE_NAMES.items()}
        if key in by_name:
            return by_name[key]
        try:
            value = float(key.rstrip("%").strip())
        except ValueError:
            raise ValueError(f"Unknown sales stage “{value}”.") from None
    best = first_stage(direction)
    for step in stages(direction, is_sa=False):
        if step.percent <= value:
            best = step.stage
    return best
